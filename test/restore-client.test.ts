// The restore batches' HTTP client (lib/restore-batch-apply.ts) against a bare HTTP server on 127.0.0.1.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { RetryLog, clusterIdentity, loadKubeConfig } from "../lib/kube";
import { readBatch } from "../lib/restore-batch-apply";
import type { KubeObject } from "../lib/types";
import { FakeKubeApi } from "./support/fake-kube-api";
import { HttpProxy } from "./support/http-proxy";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-restore-client-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("a kubeconfig server URL with a path (a proxy such as Rancher's) keeps it: every request goes under it", async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.writeHead(404, { "Content-Type": "application/json" }).end(JSON.stringify({ kind: "Status", status: "Failure", reason: "NotFound", details: { name: "web", kind: "certificates" }, code: 404 }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const kubeconfig = path.join(tmp, "kubeconfig");
    fs.writeFileSync(kubeconfig, [
      "apiVersion: v1", "kind: Config", "current-context: proxied",
      "clusters:", `- name: proxied`, `  cluster: { server: "http://127.0.0.1:${port}/k8s/clusters/c-1/", insecure-skip-tls-verify: true }`,
      "users:", "- name: u", "  user: { token: not-a-secret }",
      "contexts:", "- name: proxied", "  context: { cluster: proxied, user: u }",
    ].join("\n"));
    const views = await readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/0",
      objects: { "Certificate/team-a/web": { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Certificate", metadata: { namespace: "team-a", name: "web" } } } });
    assert.deepEqual(views, {}, "a 404 is an object that no longer exists");
    assert.deepEqual(seen, ["GET /k8s/clusters/c-1/apis/certmanager.k8s.io/v1alpha1/namespaces/team-a/certificates/web"]);
  } finally {
    server.close();
  }
});

// ---------------------------------------------------------------- issue 19, item 5: proxy-url and refreshed credentials

const PORT_OF = (url: string): string => new URL(url).port;

/** A self-signed certificate for 127.0.0.1 (the fake API server's over HTTPS). */
function selfSignedCertificate(): { key: string; cert: string } {
  const keyFile = path.join(tmp, "server.key");
  const certFile = path.join(tmp, "server.crt");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile,
    "-days", "1", "-subj", "/CN=fake-kube-api", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
  return { key: fs.readFileSync(keyFile, "utf8"), cert: fs.readFileSync(certFile, "utf8") };
}

let kubeconfigs = 0;
/** A kubeconfig for `server` (with the CA when given, a proxy-url when given) and the user lines given. */
function writeKubeconfig(server: string, user: string[], options: { ca?: string; proxyUrl?: string } = {}): string {
  const file = path.join(tmp, `kubeconfig-${++kubeconfigs}`);
  fs.writeFileSync(file, [
    "apiVersion: v1", "kind: Config", "current-context: target",
    "clusters:", "- name: target", "  cluster:", `    server: ${server}`,
    ...(options.ca ? [`    certificate-authority-data: ${Buffer.from(options.ca).toString("base64")}`] : ["    insecure-skip-tls-verify: true"]),
    ...(options.proxyUrl ? [`    proxy-url: ${options.proxyUrl}`] : []),
    "users:", "- name: u", "  user:", ...user.map((l) => `    ${l}`),
    "contexts:", "- name: target", "  context: { cluster: target, user: u }", "",
  ].join("\n"));
  return file;
}

/** `count` Certificates in the fake, and the batch that reads them back. */
function certificates(api: FakeKubeApi, count: number, prefix: string): Record<string, KubeObject> {
  const objects: Record<string, KubeObject> = {};
  for (let i = 0; i < count; i++) {
    const object = { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Certificate", metadata: { namespace: "team-a", name: `${prefix}-${i}` }, spec: { secretName: `${prefix}-${i}-tls` } };
    api.addObject(object);
    objects[`Certificate/team-a/${prefix}-${i}`] = object;
  }
  return objects;
}

test("proxy-url: every request to an https API server goes through the proxy's CONNECT tunnels, kept alive", async () => {
  const tls = selfSignedCertificate();
  const api = new FakeKubeApi();
  await api.start({ tls });
  const proxy = new HttpProxy();
  await proxy.start();
  try {
    const kubeconfig = writeKubeconfig(api.url, [`token: ${api.token}`], { ca: tls.cert, proxyUrl: proxy.url });
    const objects = certificates(api, 120, "via-tunnel");
    const views = await readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/0", objects });
    assert.equal(Object.keys(views).length, 120, "every object read back");
    assert.equal(api.requests.length, 120);
    assert.ok(proxy.connects.length >= 1, "the proxy saw CONNECTs");
    assert.ok(proxy.connects.every((c) => c === `127.0.0.1:${PORT_OF(api.url)}`), `CONNECTs to the API server only: ${proxy.connects.join(", ")}`);
    assert.ok(proxy.connects.length < api.requests.length, `kept-alive tunnels serve several requests (${proxy.connects.length} CONNECTs for ${api.requests.length} requests)`);
  } finally {
    await proxy.close();
    await api.close();
  }
});

test("proxy-url: an http API server is reached through the proxy with absolute URLs", async () => {
  const api = new FakeKubeApi();
  await api.start();
  const proxy = new HttpProxy();
  await proxy.start();
  try {
    const kubeconfig = writeKubeconfig(api.url, [`token: ${api.token}`], { proxyUrl: proxy.url });
    const views = await readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/0", objects: certificates(api, 5, "via-forward") });
    assert.equal(Object.keys(views).length, 5);
    assert.equal(proxy.forwarded.length, 5, "each request went through the proxy");
    assert.ok(proxy.forwarded.every((u) => u.startsWith(`${api.url}/apis/certmanager.k8s.io/v1alpha1/namespaces/team-a/certificates/via-forward-`)), proxy.forwarded[0]);
  } finally {
    await proxy.close();
    await api.close();
  }
});

test("proxy-url: with the proxy down the batch fails with a message naming the proxy, and nothing reaches the server directly", async () => {
  const tls = selfSignedCertificate();
  const api = new FakeKubeApi();
  await api.start({ tls });
  const proxy = new HttpProxy();
  await proxy.start();
  const downProxy = proxy.url;
  await proxy.close();
  try {
    const kubeconfig = writeKubeconfig(api.url, [`token: ${api.token}`], { ca: tls.cert, proxyUrl: downProxy });
    await assert.rejects(readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/0", objects: certificates(api, 1, "proxy-down") }),
      (e: Error) => {
        assert.match(e.message, new RegExp(`reading 1 object\\(s\\) of batch certificates/0 failed: Certificate/team-a/proxy-down-0: .*through the proxy ${downProxy.replace(/[.]/g, "\\.")} \\(proxy-url of cluster target\\): .*ECONNREFUSED`));
        return true;
      });
    assert.equal(api.requests.length, 0, "no request went around the proxy");
  } finally {
    await api.close();
  }
});

test("an exec credential plugin is run again once its credential expires, not once per request", async () => {
  const api = new FakeKubeApi();
  await api.start();
  const state = path.join(tmp, "exec-state.json");
  fs.writeFileSync(state, JSON.stringify({ runs: 0 }));
  const plugin = path.join(tmp, "exec-plugin.cjs");
  // Each run hands out a new token valid for 2 s, and the server accepts only the newest one while it is valid.
  fs.writeFileSync(plugin, [
    "const fs = require('node:fs');",
    `const state = ${JSON.stringify(state)};`,
    "const runs = JSON.parse(fs.readFileSync(state, 'utf8')).runs + 1;",
    "const expiresAt = Date.now() + 2000;",
    "fs.writeFileSync(state, JSON.stringify({ runs, token: 'tok-' + runs, expiresAt }));",
    "const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO || '{}');",
    "process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: 'tok-' + runs, expirationTimestamp: new Date(expiresAt).toISOString() } }));",
  ].join("\n"));
  const current = (): { runs: number; token?: string; expiresAt?: number } => JSON.parse(fs.readFileSync(state, "utf8"));
  api.acceptsToken = (token) => {
    const s = current();
    return token === s.token && Date.now() < (s.expiresAt ?? 0);
  };
  try {
    const kubeconfig = writeKubeconfig(api.url, [
      "exec:", "  apiVersion: client.authentication.k8s.io/v1", `  command: ${JSON.stringify(process.execPath)}`, `  args: [${JSON.stringify(plugin)}]`, "  interactiveMode: Never",
    ]);
    const first = await readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/0", objects: certificates(api, 40, "exec-a") });
    assert.equal(Object.keys(first).length, 40);
    // Past the first credential's expiry: the server refuses it from now on.
    const expiresAt = current().expiresAt!;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));
    const second = await readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/1", objects: certificates(api, 40, "exec-b") });
    assert.equal(Object.keys(second).length, 40, "the batch after the expiry is read with a new credential");
    const runs = current().runs;
    assert.ok(runs >= 2, `the plugin ran again after the expiry (${runs} runs)`);
    assert.ok(runs < 80, `not once per request (${runs} runs for 80 objects)`);
  } finally {
    await api.close();
  }
});

test("a tokenFile is read, and read again when the server refuses its token (rotated): the request is retried once", async () => {
  const api = new FakeKubeApi();
  await api.start();
  const tokenFile = path.join(tmp, "token");
  fs.writeFileSync(tokenFile, "tok-a\n");
  let accepted = "tok-a";
  api.acceptsToken = (token) => token === accepted;
  try {
    const kubeconfig = writeKubeconfig(api.url, ["tokenFile: token"]);
    assert.equal(Object.keys(await readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/0", objects: certificates(api, 5, "file-a") })).length, 5);
    fs.writeFileSync(tokenFile, "tok-b\n");
    accepted = "tok-b";
    assert.equal(Object.keys(await readBatch({ kubeconfig, serverSideApply: true, batch: "certificates/1", objects: certificates(api, 5, "file-b") })).length, 5,
      "the rotated token is read at the first 401, within the minute client-go caches a token file for");
    const refused = api.requests.filter((r) => r.authorization === "Bearer tok-a" && r.path.includes("file-b")).length;
    assert.ok(refused >= 1, "the old token was refused at least once");
  } finally {
    await api.close();
  }
});

test("the preflight's client (@kubernetes/client-node) sends a tokenFile's token too", async () => {
  const api = new FakeKubeApi();
  await api.start();
  const tokenFile = path.join(tmp, "preflight-token");
  fs.writeFileSync(tokenFile, `${api.token}\n`);
  try {
    const kubeconfig = writeKubeconfig(api.url, [`tokenFile: ${tokenFile}`, "token: stale-inline-token"]);
    const identity = await clusterIdentity(loadKubeConfig({ kubeconfig }), new RetryLog());
    assert.equal(identity.kubeSystemUID, api.kubeSystemUID);
    assert.ok(api.requests.every((r) => r.authorization === `Bearer ${api.token}`), "the file's token, not the inline one (as client-go)");
  } finally {
    await api.close();
  }
});
