// KUBECONFIG lists are merged as kubectl merges them, by every command and by the program.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadKubeConfig } from "../lib/kube";
import { FakeKubeApi } from "./support/fake-kube-api";
import { certificate, cm } from "./support/fixtures";
import { runScript } from "./support/run-command";

let tmp: string;
const saved = process.env.KUBECONFIG;

function write(name: string, lines: string[]): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join("\n") + "\n");
  return file;
}

/** A kubeconfig file with one cluster, user and context of that name (server https://<name>.example:6443). */
function single(file: string, name: string, options: { current?: string; server?: string; token?: string } = {}): string {
  return write(file, [
    "apiVersion: v1",
    "kind: Config",
    ...(options.current !== undefined ? [`current-context: ${JSON.stringify(options.current)}`] : []),
    "clusters:",
    `- name: ${name}`,
    `  cluster: {server: ${JSON.stringify(options.server ?? `https://${name}.example:6443`)}}`,
    "users:",
    `- name: ${name}`,
    `  user: {token: ${JSON.stringify(options.token ?? `token-of-${name}`)}}`,
    "contexts:",
    `- name: ${name}`,
    `  context: {cluster: ${name}, user: ${name}}`,
  ]);
}

function withKubeconfig<T>(value: string | undefined, fn: () => T): T {
  if (value === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-kubeconfig-"));
});

after(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("loadKubeConfig with a KUBECONFIG list", () => {
  test("a context defined only in the second file is found", () => {
    const a = single("a/config", "dev", { current: "dev" });
    const b = single("b/config", "prod-eu");
    const kc = withKubeconfig(`${a}:${b}`, () => loadKubeConfig({ context: "prod-eu" }));
    assert.equal(kc.getCurrentContext(), "prod-eu");
    assert.equal(kc.getCurrentCluster()?.server, "https://prod-eu.example:6443");
    assert.equal(kc.getCurrentUser()?.token, "token-of-prod-eu");
  });

  test("the first file wins for a name defined twice, and for current-context", () => {
    const a = single("first/config", "shared", { current: "shared", server: "https://first.example:6443", token: "first-token" });
    const b = single("second/config", "shared", { current: "other", server: "https://second.example:6443", token: "second-token" });
    const kc = withKubeconfig(`${a}:${b}`, () => loadKubeConfig({}));
    assert.equal(kc.getCurrentContext(), "shared");
    assert.equal(kc.getCurrentCluster()?.server, "https://first.example:6443");
    assert.equal(kc.getCurrentUser()?.token, "first-token");
    assert.equal(kc.getContexts().length, 1);
  });

  test("current-context comes from the first file that sets one; files that do not exist and empty entries are skipped", () => {
    const onlyCurrent = write("current-only/config", ["apiVersion: v1", "kind: Config", "current-context: prod-eu"]);
    const empty = write("empty/config", [""]);
    const a = single("c1/config", "dev");
    const b = single("c2/config", "prod-eu", { current: "dev" });
    const missing = path.join(tmp, "no-such-file");
    const kc = withKubeconfig(`${missing}::${empty}:${a}:${onlyCurrent}:${b}`, () => loadKubeConfig({}));
    assert.equal(kc.getCurrentContext(), "prod-eu");
    assert.equal(kc.getCurrentCluster()?.server, "https://prod-eu.example:6443");
    assert.deepEqual(kc.getContexts().map((c) => c.name).sort(), ["dev", "prod-eu"]);
  });

  test("a user defined in one file serves a context defined in another", () => {
    const contexts = write("split/contexts", [
      "apiVersion: v1", "kind: Config", "current-context: split",
      "clusters: [{name: split, cluster: {server: 'https://split.example:6443'}}]",
      "contexts: [{name: split, context: {cluster: split, user: split-user}}]",
    ]);
    const users = write("split/users", ["apiVersion: v1", "kind: Config", "users: [{name: split-user, user: {token: split-token}}]"]);
    const kc = withKubeconfig(`${contexts}:${users}`, () => loadKubeConfig({}));
    assert.equal(kc.getCurrentUser()?.token, "split-token");
  });

  test("relative paths in a file are resolved against that file's folder", () => {
    fs.mkdirSync(path.join(tmp, "rel"), { recursive: true });
    fs.writeFileSync(path.join(tmp, "rel", "ca.crt"), "not really a CA\n");
    const a = single("other/config", "dev", { current: "dev" });
    const b = write("rel/config", [
      "apiVersion: v1", "kind: Config",
      "clusters: [{name: rel, cluster: {server: 'https://rel.example:6443', certificate-authority: ca.crt}}]",
      "users: [{name: rel, user: {token: t}}]",
      "contexts: [{name: rel, context: {cluster: rel, user: rel}}]",
    ]);
    const kc = withKubeconfig(`${a}:${b}`, () => loadKubeConfig({ context: "rel" }));
    assert.equal(kc.getCurrentCluster()?.caFile, path.join(tmp, "rel", "ca.crt"));
  });

  test("errors: no file exists (named), a context in none of the files (all contexts named), a file that does not parse (named)", () => {
    const missing = path.join(tmp, "missing-1");
    assert.throws(() => withKubeconfig(`${missing}:${path.join(tmp, "missing-2")}`, () => loadKubeConfig({})), /^Error: no file of KUBECONFIG=.*missing-1:.*missing-2 exists/);
    const a = single("e1/config", "dev", { current: "dev" });
    const b = single("e2/config", "stage");
    assert.throws(() => withKubeconfig(`${a}:${b}`, () => loadKubeConfig({ context: "prod" })), /context prod is not in the kubeconfig \(contexts: dev, stage\)/);
    const broken = write("broken/config", ["clusters: [", "  - name: x"]);
    assert.throws(() => withKubeconfig(`${a}:${broken}`, () => loadKubeConfig({})), /kubeconfig .*broken\/config cannot be read/);
  });

  test("--kubeconfig reads that one file, like kubectl", () => {
    const a = single("k1/config", "dev", { current: "dev" });
    const b = single("k2/config", "prod-eu");
    assert.throws(() => withKubeconfig(b, () => loadKubeConfig({ kubeconfig: a, context: "prod-eu" })), /context prod-eu is not in the kubeconfig/);
    assert.equal(withKubeconfig(b, () => loadKubeConfig({ kubeconfig: a })).getCurrentContext(), "dev");
  });
});

describe("the commands with a KUBECONFIG list", () => {
  let api: FakeKubeApi;
  before(async () => {
    api = new FakeKubeApi();
    await api.start();
    api.addObject(cm("ClusterIssuer", "ca", undefined, { ca: { secretName: "ca-key" } }));
    api.addSecret("kube-system", "ca-key", { "tls.key": "k" });
    api.addObject(certificate("default", "web", { kind: "ClusterIssuer", name: "ca" }));
  });
  after(async () => {
    await api.close();
  });

  test("backup reaches the cluster of a context defined in the second file", async () => {
    const first = single("cmd/first", "laptop", { current: "laptop", server: "https://127.0.0.1:1" });
    const second = api.writeKubeconfig(path.join(tmp, "cmd", "second"), "prod-eu");
    const out = path.join(tmp, "cmd", "backup.yaml");
    const result = await runScript("backup", ["--context", "prod-eu", "--out", out], { env: { KUBECONFIG: `${first}${path.delimiter}${second}` } });
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, new RegExp(`^backup: cluster ${api.url.replace(/[.]/g, "\\.")} `, "m"));
    assert.ok(api.requests.length > 0 && api.requests.every((r) => r.authorization === `Bearer ${api.token}`));
  });
});
