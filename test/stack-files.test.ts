// Stack files: every one in the repository is valid; broken ones are named by file and key; the
// files `npm run add-cluster` writes are valid.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import * as yaml from "js-yaml";
import { CONFIG_NAMESPACE, CONFIG_SCHEMA, parseSettings } from "../lib/settings";
import { rawConfigOf, renderStackFile, stackNameFromContext, validateStackFile } from "../lib/stack-files";
import { ROOT } from "./support/fixtures";
import { runTsx } from "./support/run-tsx";

let tmp: string;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-stack-files-"));
});
after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function stackFile(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(tmp, "case-"));
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, text);
  return file;
}

const VALID = [
  "config:",
  "  cert-manager-upgrade:backupFile: backups/prod/cert-manager-backup.yaml",
  "  cert-manager-upgrade:context: prod",
  "",
].join("\n");

function kubeconfig(contexts: string[]): string {
  const file = path.join(fs.mkdtempSync(path.join(tmp, "kube-")), "kubeconfig");
  fs.writeFileSync(file, yaml.dump({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443" } }],
    users: [{ name: "u", user: { token: "not-a-real-token" } }],
    contexts: contexts.map((name) => ({ name, context: { cluster: "c", user: "u" } })),
    "current-context": contexts[0],
  }));
  return file;
}

describe("the repository's stack files", () => {
  const tracked = execFileSync("git", ["ls-files", "Pulumi.*.yaml"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f !== "" && f !== "Pulumi.yaml");

  test("there is at least one (Pulumi.dev.yaml, the example)", () => {
    assert.ok(tracked.includes("Pulumi.dev.yaml"), `tracked: ${tracked.join(", ")}`);
  });

  for (const file of tracked) {
    test(`${file} validates`, () => {
      assert.deepEqual(validateStackFile(path.join(ROOT, file)).map((p) => p.message), []);
    });
  }
});

describe("validateStackFile names the file and the key", () => {
  test("a minimal stack with backupFile and context is valid (defaults fill the rest)", () => {
    assert.deepEqual(validateStackFile(stackFile("ok", VALID)), []);
  });

  test("an unknown key", () => {
    const file = stackFile("typo", VALID + "  cert-manager-upgrade:namepsace: cert-manager\n");
    const problems = validateStackFile(file);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0].key, "cert-manager-upgrade:namepsace");
    assert.equal(problems[0].line, 4);
    assert.match(problems[0].message, /unknown config key cert-manager-upgrade:namepsace/);
    assert.ok(problems[0].message.includes(file), problems[0].message);
  });

  test("wrong types, each one named, in one run", () => {
    const file = stackFile("types", VALID + [
      "  cert-manager-upgrade:webhook: \"yes\"",
      "  cert-manager-upgrade:webhookTimeoutSeconds: 1.5",
      "  cert-manager-upgrade:values: [1, 2]",
      "  cert-manager-upgrade:expectedMissingSecrets: {a: b}",
      "  cert-manager-upgrade:crdApiVersion: v2",
      "  cert-manager-upgrade:chart:",
      "",
    ].join("\n"));
    const problems = validateStackFile(file);
    const byKey = new Map(problems.map((p) => [p.key, p.message]));
    assert.equal(problems.length, 6, problems.map((p) => p.message).join("\n"));
    assert.match(byKey.get("cert-manager-upgrade:webhook") ?? "", /must be a boolean/);
    assert.match(byKey.get("cert-manager-upgrade:webhookTimeoutSeconds") ?? "", /must be an integer/);
    assert.match(byKey.get("cert-manager-upgrade:values") ?? "", /must be an object/);
    assert.match(byKey.get("cert-manager-upgrade:expectedMissingSecrets") ?? "", /must be an array/);
    assert.match(byKey.get("cert-manager-upgrade:crdApiVersion") ?? "", /one of auto, v1beta1, v1/);
    assert.match(byKey.get("cert-manager-upgrade:chart") ?? "", /has no value/);
    for (const p of problems) {
      assert.ok(p.message.includes(file), `file named: ${p.message}`);
      assert.ok(p.message.includes(p.key!), `key named: ${p.message}`);
    }
  });

  test("YAML values are handed over as Pulumi does: booleans, numbers, objects, arrays as JSON", () => {
    const file = stackFile("typed", VALID + [
      "  cert-manager-upgrade:webhook: false",
      "  cert-manager-upgrade:webhookTimeoutSeconds: 120",
      "  cert-manager-upgrade:values: {resources: {limits: {memory: 200Mi}}}",
      "  cert-manager-upgrade:expectedMissingSecrets: [clouddns-service-account]",
      "  kubernetes:enableServerSideApply: true",
      "",
    ].join("\n"));
    assert.deepEqual(validateStackFile(file), []);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    const raw = rawConfigOf(doc.config);
    assert.equal(raw["cert-manager-upgrade:webhook"], "false");
    assert.equal(raw["cert-manager-upgrade:expectedMissingSecrets"], '["clouddns-service-account"]');
    const s = parseSettings(raw, file);
    assert.equal(s.webhook, false);
    assert.equal(s.webhookTimeoutSeconds, 120);
    assert.deepEqual(s.expectedMissingSecrets, ["clouddns-service-account"]);
  });

  test("a missing context", () => {
    const file = stackFile("nocontext", "config:\n  cert-manager-upgrade:backupFile: backups/x/cert-manager-backup.yaml\n");
    const problems = validateStackFile(file);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0].key, "cert-manager-upgrade:context");
    assert.match(problems[0].message, /cert-manager-upgrade:context is missing/);
    assert.ok(problems[0].message.includes(file));
  });

  test("an empty context counts as missing (Pulumi.yaml's default for it is \"\")", () => {
    const problems = validateStackFile(stackFile("emptycontext", "config:\n  cert-manager-upgrade:backupFile: b.yaml\n  cert-manager-upgrade:context: \"\"\n"));
    assert.deepEqual(problems.map((p) => p.key), ["cert-manager-upgrade:context"]);
  });

  test("a missing backupFile", () => {
    const file = stackFile("nobackup", "config:\n  cert-manager-upgrade:context: prod\n");
    const problems = validateStackFile(file);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0].key, "cert-manager-upgrade:backupFile");
    assert.match(problems[0].message, /cert-manager-upgrade:backupFile is missing/);
    assert.ok(problems[0].message.includes(file));
  });

  test("an empty file misses both", () => {
    const keys = validateStackFile(stackFile("empty", "")).map((p) => p.key).sort();
    assert.deepEqual(keys, ["cert-manager-upgrade:backupFile", "cert-manager-upgrade:context"]);
  });

  test("bad YAML: file and line", () => {
    const file = stackFile("broken", VALID + "  cert-manager-upgrade:values: {resources: [\n");
    const problems = validateStackFile(file);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0].message, /not valid YAML/);
    assert.ok(problems[0].message.startsWith(`${file}:`), problems[0].message);
    assert.ok(problems[0].line && problems[0].line >= 4);
  });

  test("a key without the project's namespace, and a config that is not a mapping", () => {
    const bare = validateStackFile(stackFile("bare", VALID + "  context: prod\n"));
    assert.equal(bare.length, 1);
    assert.equal(bare[0].key, "context");
    assert.match(bare[0].message, /no namespace: write it as cert-manager-upgrade:context/);
    const list = validateStackFile(stackFile("list", "config:\n  - a\n"));
    assert.equal(list.length, 1);
    assert.match(list[0].message, /must be a mapping/);
  });

  test("a chart source: a local chart alone is enough; an empty repository is not", () => {
    assert.deepEqual(validateStackFile(stackFile("chart", VALID + "  cert-manager-upgrade:chart: charts/cert-manager-v0.6.6.tgz\n")), []);
    const empty = validateStackFile(stackFile("norepo", VALID + "  cert-manager-upgrade:chartRepository: \"\"\n"));
    assert.equal(empty.length, 1);
    assert.equal(empty[0].key, "cert-manager-upgrade:chartRepository");
  });

  test("tillerNamespace (issue 10, item 5): a stack may set it; an empty one is named", () => {
    assert.deepEqual(validateStackFile(stackFile("tiller", VALID + "  cert-manager-upgrade:tillerNamespace: tiller\n")), []);
    const empty = validateStackFile(stackFile("tiller-empty", VALID + "  cert-manager-upgrade:tillerNamespace: \"\"\n"));
    assert.equal(empty.length, 1, JSON.stringify(empty));
    assert.equal(empty[0].key, "cert-manager-upgrade:tillerNamespace");
    assert.match(empty[0].message, /tillerNamespace .* is empty/);
    assert.match(renderStackFile({ stack: "prod", context: "prod" }), /^  cert-manager-upgrade:tillerNamespace: kube-system$/m);
  });

  test("a file that does not exist", () => {
    const problems = validateStackFile(path.join(tmp, "Pulumi.absent.yaml"));
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /cannot read the stack file: ENOENT/);
  });
});

describe("new stack files", () => {
  test("stack names from contexts", () => {
    assert.equal(stackNameFromContext("prod-eu"), "prod-eu");
    assert.equal(stackNameFromContext("arn:aws:eks:eu-west-1:123456789012:cluster/prod"), "arn-aws-eks-eu-west-1-123456789012-cluster-prod");
    assert.equal(stackNameFromContext("gke_project_europe-west1_prod"), "gke_project_europe-west1_prod");
    assert.equal(stackNameFromContext("user@cluster"), "user-cluster");
    assert.equal(stackNameFromContext("///"), "");
  });

  test("renderStackFile writes every key of the schema, the context and the backup path, and validates", () => {
    const text = renderStackFile({ stack: "prod", context: "prod" });
    for (const key of Object.keys(CONFIG_SCHEMA)) assert.ok(text.includes(`${CONFIG_NAMESPACE}:${key}:`), `${key} is in the file`);
    const doc = yaml.load(text) as { config: Record<string, unknown> };
    assert.equal(doc.config["cert-manager-upgrade:context"], "prod");
    assert.equal(doc.config["cert-manager-upgrade:backupFile"], "backups/prod/cert-manager-backup.yaml");
    assert.equal(doc.config["cert-manager-upgrade:chartRepository"], "https://charts.helm.sh/stable");
    assert.equal(doc.config["cert-manager-upgrade:chartVersion"], "v0.6.6");
    assert.equal(doc.config["cert-manager-upgrade:kubeconfig"], undefined, "kubeconfig is commented out");
    assert.deepEqual(validateStackFile(stackFile("prod", text)), []);
  });
});

describe("npm run add-cluster", () => {
  test("writes Pulumi.<stack>.yaml for a context of the kubeconfig; the file validates", async () => {
    const kc = kubeconfig(["prod-eu", "arn:aws:eks:eu-west-1:123456789012:cluster/staging"]);
    const dir = fs.mkdtempSync(path.join(tmp, "add-"));
    const result = await runTsx("add-cluster.ts", ["--context", "arn:aws:eks:eu-west-1:123456789012:cluster/staging", "--kubeconfig", kc, "--dir", dir]);
    assert.equal(result.code, 0, result.output);
    const file = path.join(dir, "Pulumi.arn-aws-eks-eu-west-1-123456789012-cluster-staging.yaml");
    assert.ok(fs.existsSync(file), `${file} written: ${result.output}`);
    assert.match(result.stdout, /wrote .*Pulumi\.arn-aws-eks-eu-west-1-123456789012-cluster-staging\.yaml/);
    assert.match(result.stdout, /npm run backup -- --context arn:aws:eks:eu-west-1:123456789012:cluster\/staging/);
    assert.deepEqual(validateStackFile(file), []);
    const doc = yaml.load(fs.readFileSync(file, "utf8")) as { config: Record<string, unknown> };
    assert.equal(doc.config["cert-manager-upgrade:context"], "arn:aws:eks:eu-west-1:123456789012:cluster/staging");
    assert.equal(doc.config["cert-manager-upgrade:backupFile"], "backups/arn_aws_eks_eu-west-1_123456789012_cluster_staging/cert-manager-backup.yaml");
    assert.equal(doc.config["cert-manager-upgrade:chartVersion"], "v0.6.6");
    assert.deepEqual(fs.readdirSync(dir), [path.basename(file)], "no temporary file left behind");
  });

  test("--stack names the stack; an existing file is kept unless --force", async () => {
    const kc = kubeconfig(["prod-eu"]);
    const dir = fs.mkdtempSync(path.join(tmp, "add-"));
    const first = await runTsx("add-cluster.ts", ["--context", "prod-eu", "--kubeconfig", kc, "--dir", dir, "--stack", "eu"]);
    assert.equal(first.code, 0, first.output);
    const file = path.join(dir, "Pulumi.eu.yaml");
    fs.appendFileSync(file, "# edited by hand\n");
    const again = await runTsx("add-cluster.ts", ["--context", "prod-eu", "--kubeconfig", kc, "--dir", dir, "--stack", "eu"]);
    assert.equal(again.code, 1, again.output);
    assert.match(again.stderr, /^add-cluster: .*Pulumi\.eu\.yaml already exists: pass --force/);
    assert.equal(again.stderr.trim().split("\n").length, 1);
    assert.match(fs.readFileSync(file, "utf8"), /edited by hand/, "kept");
    const forced = await runTsx("add-cluster.ts", ["--context", "prod-eu", "--kubeconfig", kc, "--dir", dir, "--stack", "eu", "--force"]);
    assert.equal(forced.code, 0, forced.output);
    assert.doesNotMatch(fs.readFileSync(file, "utf8"), /edited by hand/, "replaced");
  });

  test("a context that is not in the kubeconfig, a missing --context, a bad stack name", async () => {
    const kc = kubeconfig(["prod-eu"]);
    const dir = fs.mkdtempSync(path.join(tmp, "add-"));
    const [missing, usage, badStack, help] = await Promise.all([
      runTsx("add-cluster.ts", ["--context", "prod-us", "--kubeconfig", kc, "--dir", dir]),
      runTsx("add-cluster.ts", ["--kubeconfig", kc, "--dir", dir]),
      runTsx("add-cluster.ts", ["--context", "prod-eu", "--kubeconfig", kc, "--dir", dir, "--stack", "a/b"]),
      runTsx("add-cluster.ts", ["--help"]),
    ]);
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.stderr, /^add-cluster: context prod-us is not in the kubeconfig \(contexts: prod-eu\)\n$/);
    assert.equal(usage.code, 2, usage.output);
    assert.match(usage.stderr, /--context NAME is required/);
    assert.equal(badStack.code, 2, badStack.output);
    assert.deepEqual(fs.readdirSync(dir), [], "nothing written");
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run add-cluster -- --context NAME/);
  });
});
