// The restore batches' HTTP client sends each object to its own apiVersion's path: the converted
// objects of targetVersion v1.1.1 (cert-manager.io/v1) go to /apis/cert-manager.io/v1/..., not to
// 0.6's group. Against a bare HTTP server on 127.0.0.1.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { applyBatch } from "../lib/restore-batch-apply";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-restore-client-v1-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test("cert-manager.io/v1 objects are applied and created under /apis/cert-manager.io/v1", async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url?.replace(/\?.*/, "")}`);
    res.writeHead(req.method === "POST" ? 201 : 200, { "Content-Type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const kubeconfig = path.join(tmp, "kubeconfig");
    fs.writeFileSync(kubeconfig, [
      "apiVersion: v1", "kind: Config", "current-context: local",
      "clusters:", "- name: local", `  cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }`,
      "users:", "- name: u", "  user: { token: not-a-secret }",
      "contexts:", "- name: local", "  context: { cluster: local, user: u }",
    ].join("\n"));
    const objects = {
      "ClusterIssuer/le": { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "le" }, spec: { selfSigned: {} } },
      "Certificate/team-a/web": { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { namespace: "team-a", name: "web" }, spec: { secretName: "web", issuerRef: { name: "le", kind: "ClusterIssuer", group: "cert-manager.io" } } },
    };
    await applyBatch({ kubeconfig, serverSideApply: true, batch: "mixed/0", objects });
    await applyBatch({ kubeconfig, serverSideApply: false, batch: "mixed/0", objects });
    assert.deepEqual(seen.sort(), [
      "PATCH /apis/cert-manager.io/v1/clusterissuers/le",
      "PATCH /apis/cert-manager.io/v1/namespaces/team-a/certificates/web",
      "POST /apis/cert-manager.io/v1/clusterissuers",
      "POST /apis/cert-manager.io/v1/namespaces/team-a/certificates",
    ]);
  } finally {
    server.close();
  }
});
