// What the v1.1.1 target's dynamic steps send to the API server (lib/target-metadata.ts
// applyMetadataRenames, lib/cluster.ts waitForWebhookV1), against a bare HTTP server on 127.0.0.1.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { waitForWebhookV1 } from "../lib/cluster";
import { loadKubeConfig } from "../lib/kube";
import { applyMetadataRenames } from "../lib/target-metadata";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-target-runtime-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

type Seen = { method: string; url: string; type?: string; body: string };

async function withServer(answer: (req: Seen) => [number, unknown], fn: (kubeconfig: string, seen: Seen[]) => Promise<void>): Promise<void> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry = { method: req.method ?? "", url: (req.url ?? "").replace(/\?.*/, ""), type: req.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") };
      seen.push(entry);
      const [status, body] = answer(entry);
      res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const kubeconfig = path.join(tmp, `kubeconfig-${port}`);
    fs.writeFileSync(kubeconfig, [
      "apiVersion: v1", "kind: Config", "current-context: local",
      "clusters:", "- name: local", `  cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }`,
      "users:", "- name: u", "  user: { token: not-a-secret }",
      "contexts:", "- name: local", "  context: { cluster: local, user: u }",
    ].join("\n"));
    await fn(kubeconfig, seen);
  } finally {
    server.close();
  }
}

const DISCOVERY: Record<string, unknown> = {
  "/api/v1": { kind: "APIResourceList", groupVersion: "v1", resources: [{ name: "secrets", namespaced: true, kind: "Secret", verbs: ["get", "patch"] }] },
  "/apis/networking.k8s.io/v1beta1": { kind: "APIResourceList", groupVersion: "networking.k8s.io/v1beta1", resources: [{ name: "ingresses", namespaced: true, kind: "Ingress", verbs: ["get", "patch"] }] },
};

test("metadata renames: one JSON merge patch of metadata per object, to its own API path; an object gone since the preview is named, not an error", async () => {
  await withServer((req) => {
    if (req.method === "GET" && DISCOVERY[req.url]) return [200, DISCOVERY[req.url]];
    if (req.url.endsWith("/gone")) return [404, { kind: "Status", status: "Failure", reason: "NotFound", details: { name: "gone", kind: "secrets" }, code: 404 }];
    return [200, {}];
  }, async (kubeconfig, seen) => {
    const result = await applyMetadataRenames({ kubeconfig, renames: [
      { kind: "Secret", apiVersion: "v1", namespace: "default", name: "web", changes: ["x"], patch: { metadata: { annotations: { "certmanager.k8s.io/issuer-name": null, "cert-manager.io/issuer-name": "le" } } } },
      { kind: "Ingress", apiVersion: "networking.k8s.io/v1beta1", namespace: "default", name: "web", changes: ["y"], patch: { metadata: { annotations: { "certmanager.k8s.io/cluster-issuer": null, "cert-manager.io/cluster-issuer": "le" } } } },
      { kind: "Secret", apiVersion: "v1", namespace: "default", name: "gone", changes: ["z"], patch: { metadata: { labels: { a: null } } } },
    ] });
    assert.deepEqual([result.renamed, result.gone], [["Secret/default/web", "Ingress/default/web"], ["Secret/default/gone"]]);
    const patches = seen.filter((s) => s.method === "PATCH");
    assert.deepEqual(patches.map((p) => [p.url, p.type]), [
      ["/api/v1/namespaces/default/secrets/web", "application/merge-patch+json"],
      ["/apis/networking.k8s.io/v1beta1/namespaces/default/ingresses/web", "application/merge-patch+json"],
      ["/api/v1/namespaces/default/secrets/gone", "application/merge-patch+json"],
    ]);
    assert.deepEqual(JSON.parse(patches[0].body), { apiVersion: "v1", kind: "Secret", metadata: { name: "web", namespace: "default", annotations: { "certmanager.k8s.io/issuer-name": null, "cert-manager.io/issuer-name": "le" } } });
    assert.ok(!seen.some((s) => s.method === "GET" && /secrets\//.test(s.url)), "no Secret is read");
  });
});

test("the v1 webhook wait: retries while the probe ClusterIssuer is refused, then creates and deletes it under cert-manager.io/v1", async () => {
  let refusals = 2;
  await withServer((req) => {
    if (req.method === "POST" && refusals-- > 0) return [500, { kind: "Status", message: "Internal error occurred: failed calling webhook \"webhook.cert-manager.io\": x509: certificate signed by unknown authority", code: 500 }];
    return [req.method === "POST" ? 201 : 200, {}];
  }, async (kubeconfig, seen) => {
    const lines: string[] = [];
    const detail = await waitForWebhookV1(loadKubeConfig({ kubeconfig }), 30, (l) => lines.push(l));
    assert.equal(detail, "webhook accepted a probe cert-manager.io/v1 ClusterIssuer");
    // Two refusals for the same cause, said once (polled every 500 ms, the same line at most every 10 s).
    assert.equal(lines.length, 1);
    assert.match(lines[0], /waiting for the cert-manager v1 webhook .*: HTTP 500: .*x509: certificate signed by unknown authority/);
    assert.deepEqual(seen.map((s) => `${s.method} ${s.url}`), [
      "POST /apis/cert-manager.io/v1/clusterissuers", "POST /apis/cert-manager.io/v1/clusterissuers", "POST /apis/cert-manager.io/v1/clusterissuers",
      "DELETE /apis/cert-manager.io/v1/clusterissuers/cert-manager-upgrade-webhook-probe",
    ]);
    assert.equal(JSON.parse(seen[0].body).apiVersion, "cert-manager.io/v1");
  });
});
