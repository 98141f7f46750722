// The pure decisions of lib/kube-connection.ts: which proxy route, when a credential is stale, what
// an exec plugin's output means, where a user's token file is.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KubeCredentials, TOKEN_FILE_PERIOD_MS, credentialStale, describeProxy, parseExecCredential, proxyAuthorization, proxyRoute, unsupportedProxy } from "../lib/kube-connection";
import { loadKubeConfig, userTokenFiles } from "../lib/kube";

test("proxy-url: none is direct, http:// tunnels to an https server and forwards to an http one", () => {
  assert.deepEqual(proxyRoute(new URL("https://10.0.0.1:6443"), { name: "c" }), { kind: "direct" });
  const tunnel = proxyRoute(new URL("https://10.0.0.1:6443"), { name: "c", proxyUrl: "http://proxy.corp:3128" });
  assert.equal(tunnel.kind, "tunnel");
  assert.equal(tunnel.kind === "tunnel" && tunnel.proxy.host, "proxy.corp:3128");
  assert.equal(proxyRoute(new URL("http://10.0.0.1:8080"), { name: "c", proxyUrl: "http://proxy.corp:3128" }).kind, "forward");
});

test("proxy-url: socks5, https and a non-URL are refused with one line naming the cluster, never the proxy's password", () => {
  const socks = unsupportedProxy({ name: "prod", proxyUrl: "socks5://user:secret@127.0.0.1:1080" });
  assert.match(socks ?? "", /^the proxy-url of cluster prod in the kubeconfig is a socks5 proxy \(socks5:\/\/127\.0\.0\.1:1080\), which the restore step cannot use: only http:\/\/ proxies/);
  assert.doesNotMatch(socks ?? "", /secret|user/);
  assert.match(unsupportedProxy({ name: "prod", proxyUrl: "https://proxy:443" }) ?? "", /is a https proxy/);
  assert.match(unsupportedProxy({ name: "prod", proxyUrl: "not a url" }) ?? "", /is not a URL/);
  assert.equal(unsupportedProxy({ name: "prod", proxyUrl: "http://proxy:3128" }), undefined);
  assert.equal(unsupportedProxy({ name: "prod" }), undefined);
  assert.throws(() => proxyRoute(new URL("https://10.0.0.1:6443"), { name: "prod", proxyUrl: "socks5://127.0.0.1:1080" }), /socks5 proxy/);
});

test("a proxy URL with a user gets Basic Proxy-Authorization; its description leaves the user out", () => {
  const proxy = new URL("http://al%40corp:p%3Ass@proxy:3128");
  assert.equal(proxyAuthorization(proxy), `Basic ${Buffer.from("al@corp:p:ss").toString("base64")}`);
  assert.equal(proxyAuthorization(new URL("http://proxy:3128")), undefined);
  assert.equal(describeProxy(proxy), "http://proxy:3128");
});

test("a credential is stale: exec after its expirationTimestamp, a token file after a minute, a static token never", () => {
  const at = 1_000_000;
  assert.equal(credentialStale({ source: "exec", obtainedAt: at, expiresAt: at + 5000 }, at + 5000), false);
  assert.equal(credentialStale({ source: "exec", obtainedAt: at, expiresAt: at + 5000 }, at + 5001), true);
  assert.equal(credentialStale({ source: "exec", obtainedAt: at }, at + 10 * 86_400_000), false, "no expiry: valid until refused");
  assert.equal(credentialStale({ source: "tokenFile", obtainedAt: at }, at + TOKEN_FILE_PERIOD_MS - 1), false);
  assert.equal(credentialStale({ source: "tokenFile", obtainedAt: at }, at + TOKEN_FILE_PERIOD_MS), true);
  assert.equal(credentialStale({ source: "static", obtainedAt: at }, at + 10 * 86_400_000), false);
  assert.equal(credentialStale({ source: "provider", obtainedAt: at }, at), true, "the library refreshes an auth-provider itself: asked every time");
});

test("an ExecCredential: token and expiry read; bad output is one line without the output", () => {
  const c = parseExecCredential(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "t0k", expirationTimestamp: "2030-01-01T00:00:00Z" } }), "plugin", 5);
  assert.equal(c.authorization, "Bearer t0k");
  assert.equal(c.expiresAt, Date.parse("2030-01-01T00:00:00Z"));
  assert.equal(c.obtainedAt, 5);
  const certOnly = parseExecCredential(JSON.stringify({ kind: "ExecCredential", status: { clientCertificateData: "CERT", clientKeyData: "KEY" } }), "plugin", 5);
  assert.deepEqual([certOnly.authorization, certOnly.cert, certOnly.key, certOnly.expiresAt], [undefined, "CERT", "KEY", undefined]);
  assert.throws(() => parseExecCredential("token=hunter2", "plugin", 0), (e: Error) => /not JSON/.test(e.message) && !e.message.includes("hunter2"));
  assert.throws(() => parseExecCredential(JSON.stringify({ kind: "ExecCredential", status: {} }), "plugin", 0), /neither a token nor a client certificate/);
  assert.throws(() => parseExecCredential(JSON.stringify({ kind: "ExecCredential", status: { clientCertificateData: "C" } }), "plugin", 0), /not both/);
  assert.throws(() => parseExecCredential(JSON.stringify({ kind: "ExecCredential", status: { token: "x", expirationTimestamp: "soon" } }), "plugin", 0), /not a time/);
});

test("users' tokenFile (client-go's key) is found, relative to the kubeconfig's folder", () => {
  const files = userTokenFiles({ users: [{ name: "a", user: { tokenFile: "tokens/a" } }, { name: "b", user: { tokenFile: "/abs/b" } }, { name: "c", user: { token: "x" } }, null] }, "/home/me/.kube");
  assert.deepEqual([...files.entries()], [["a", "/home/me/.kube/tokens/a"], ["b", "/abs/b"]]);
  assert.equal(userTokenFiles(undefined, "/").size, 0);
});

test("concurrent requests share one refresh; a static token is not refreshed after a 401", async () => {
  let runs = 0;
  // An auth-provider's credential is stale at every request: it shows whether concurrent requests share one refresh.
  const credentials = new KubeCredentials({ name: "u", authProvider: { name: "x" } } as never, async () => `Bearer p${++runs}`);
  const [a, b] = await Promise.all([credentials.current(), credentials.current(), credentials.current()]);
  assert.equal(runs, 1, "one refresh for three concurrent requests");
  assert.equal(a, b);
  const fixed = new KubeCredentials({ name: "u", token: "static" } as never, async () => undefined);
  assert.equal((await fixed.current()).authorization, "Bearer static");
  assert.equal(await fixed.renewAfterRefusal(await fixed.current()), false, "a static token cannot change: the 401 stands");
});

test("a relative exec command is relative to its kubeconfig's folder (client-go), an absolute or bare one is kept", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-exec-path-"));
  try {
    const file = path.join(dir, "kubeconfig");
    fs.writeFileSync(file, [
      "apiVersion: v1", "kind: Config", "current-context: a",
      "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]",
      "users: [{name: rel, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/plugin}}}, {name: bare, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: aws}}}]",
      "contexts: [{name: a, context: {cluster: c, user: rel}}, {name: b, context: {cluster: c, user: bare}}]", "",
    ].join("\n"));
    assert.equal(loadKubeConfig({ kubeconfig: file }).getCurrentUser()?.exec.command, path.join(dir, "bin", "plugin"));
    assert.equal(loadKubeConfig({ kubeconfig: file, context: "b" }).getCurrentUser()?.exec.command, "aws", "a bare name is looked up on PATH");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
