// The restore batches' HTTP client (lib/restore-batch-apply.ts) against a bare HTTP server on 127.0.0.1.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { readBatch } from "../lib/restore-batch-apply";

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
