import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { CONFIG_SCHEMA, ConfigError, DEFAULT_VALUES, parseSettings } from "../lib/settings";

const ROOT = path.resolve(__dirname, "..");

test("defaults fill what a stack leaves out; only backupFile is required", () => {
  const s = parseSettings({ "cert-manager-upgrade:backupFile": "backups/x.yaml" });
  assert.equal(s.backupFile, "backups/x.yaml");
  assert.equal(s.legacyNamespace, "kube-system");
  assert.equal(s.namespace, "cert-manager");
  assert.equal(s.chartVersion, "v0.6.6");
  assert.equal(s.webhook, true);
  assert.equal(s.mapApiVersions, false);
  assert.equal(s.allowCrdDeletion, false);
  assert.deepEqual(s.values, DEFAULT_VALUES);
  assert.throws(() => parseSettings({}), (e: Error) => e instanceof ConfigError && /cert-manager-upgrade:backupFile is missing/.test(e.message));
});

test("values merge over the seed's resources", () => {
  const s = parseSettings({
    "cert-manager-upgrade:backupFile": "b.yaml",
    "cert-manager-upgrade:values": JSON.stringify({ resources: { limits: { memory: "200Mi" } }, extraArgs: ["--v=2"] }),
  });
  assert.deepEqual(s.values, {
    resources: { requests: { cpu: "10m", memory: "50Mi" }, limits: { cpu: "15m", memory: "200Mi" } },
    extraArgs: ["--v=2"],
  });
});

test("unknown keys and wrong types fail with the key named", () => {
  const base = { "cert-manager-upgrade:backupFile": "b.yaml" };
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:namepsace": "x" }, "Pulumi.prod.yaml"), /unknown config key cert-manager-upgrade:namepsace in Pulumi.prod.yaml/);
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:webhook": "yes" }), /cert-manager-upgrade:webhook .* must be a boolean/);
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:webhookTimeoutSeconds": "1.5" }), /must be an integer/);
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:values": "[1]" }), /must be an object/);
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:expectedMissingSecrets": "[1]" }), /list of strings/);
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:crdApiVersion": "v2" }), /one of auto, v1beta1, v1/);
  // Optional strings declared with "" as default are unset.
  assert.equal(parseSettings({ ...base, "cert-manager-upgrade:chart": "", "cert-manager-upgrade:context": "" }).chart, undefined);
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:namespace": "" }), /namespace .* is empty/);
  // Other namespaces (e.g. kubernetes:context) are not ours to judge.
  assert.doesNotThrow(() => parseSettings({ ...base, "kubernetes:context": "x" }));
});

test("Pulumi.yaml declares exactly the schema's keys, with the same types and defaults", () => {
  const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as any;
  assert.equal(project.name, "cert-manager-upgrade");
  assert.deepEqual(Object.keys(project.config).sort(), Object.keys(CONFIG_SCHEMA).sort());
  for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
    const declared = project.config[key];
    assert.equal(declared.type, spec.type, key);
    assert.ok(declared.description, `${key} has a description`);
    if (spec.required) assert.equal(declared.default, undefined, `${key} is required: no default`);
    else assert.ok("default" in declared, `${key}: the CLI treats a declared key without default as required`);
    if (spec.default !== undefined && spec.type !== "object" && spec.type !== "array") assert.deepEqual(declared.default, spec.default, key);
    if (spec.default === undefined && !spec.required) assert.equal(declared.default, "", `${key}: optional, "" means unset`);
  }
});

test("Pulumi.dev.yaml is a complete example that passes the schema", () => {
  const stack = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as any;
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(stack.config)) raw[k] = typeof v === "string" ? v : JSON.stringify(v);
  const s = parseSettings(raw, "Pulumi.dev.yaml");
  assert.equal(s.context, "dev");
  const keys = Object.keys(stack.config).map((k) => k.replace(/^cert-manager-upgrade:/, ""));
  for (const key of Object.keys(CONFIG_SCHEMA)) {
    if (key === "kubeconfig" || key === "chart") continue; // shown commented out: alternatives
    assert.ok(keys.includes(key), `Pulumi.dev.yaml shows ${key}`);
  }
});

test("tillerNamespace: where Tiller kept the old release's records, kube-system unless set", () => {
  const base = { "cert-manager-upgrade:backupFile": "b.yaml" };
  assert.equal(parseSettings(base).tillerNamespace, "kube-system");
  assert.equal(parseSettings({ ...base, "cert-manager-upgrade:tillerNamespace": "tiller" }).tillerNamespace, "tiller");
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:tillerNamespace": "" }), /tillerNamespace .* is empty/);
});
