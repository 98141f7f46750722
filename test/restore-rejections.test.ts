// At restore time, an object the API server rejects never holds back the others (issue 19, item 1, step 4).
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { restoredBatchProvider } from "../components/restored-batch";
import { restoreOutcomeProvider } from "../components/restore-outcome";
import { applyBatch } from "../lib/restore-batch-apply";
import { encodeObject } from "../lib/restore-batch";
import { describeRejected, labelsToApply, mergeRejections, restoredLabels, retriesRejected } from "../lib/restore-rejections";
import { RESTORE_RECORD_NAME, decodeRecord } from "../lib/restore-record";
import { KubeObject } from "../lib/types";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-restore-rejections-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const DENIED = 'admission webhook "clusterissuers.admission.certmanager.k8s.io" denied the request: spec.acme.email: Required value: email address is a required field';

/** A bare API server that applies every object, except that it answers `deny` (path → status) like the 0.6.2 webhook. */
async function apiServer(deny: Map<string, number>): Promise<{ seen: string[]; bodies: Map<string, string>; kubeconfig: string; close: () => void }> {
  const seen: string[] = [];
  const bodies = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    seen.push(`${req.method} ${url.pathname}`);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      bodies.set(`${req.method} ${url.pathname}`, Buffer.concat(chunks).toString("utf8"));
      const status = deny.get(url.pathname);
      if (status) {
        res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", message: DENIED, reason: "NotAcceptable", code: status }));
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" }).end(Buffer.concat(chunks).toString("utf8") || "{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = path.join(tmp, `kubeconfig-${port}`);
  fs.writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: c",
    "clusters:", "- name: c", `  cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true }`,
    "users:", "- name: u", "  user: { token: not-a-secret }",
    "contexts:", "- name: c", "  context: { cluster: c, user: u }",
  ].join("\n"));
  return { seen, bodies, kubeconfig, close: () => server.close() };
}

const issuer = (name: string, spec: Record<string, unknown>): KubeObject => ({ apiVersion: "certmanager.k8s.io/v1alpha1", kind: "ClusterIssuer", metadata: { name }, spec });
const OBJECTS = {
  "ClusterIssuer/a": encodeObject(issuer("a", { selfSigned: {} })),
  "ClusterIssuer/no-email": encodeObject(issuer("no-email", { acme: { server: "https://x", privateKeySecretRef: { name: "k" } } })),
  "ClusterIssuer/c": encodeObject(issuer("c", { ca: { secretName: "ca" } })),
};
const NO_EMAIL_PATH = "/apis/certmanager.k8s.io/v1alpha1/clusterissuers/no-email";

test("applyBatch: an object the webhook rejects (406) is recorded with the API's reason; every other object of the batch is applied", async () => {
  const api = await apiServer(new Map([[NO_EMAIL_PATH, 406]]));
  try {
    const result = await applyBatch({ kubeconfig: api.kubeconfig, serverSideApply: true, batch: "clusterissuers/1", objects: OBJECTS });
    assert.deepEqual(result.rejected, { "ClusterIssuer/no-email": `HTTP 406: ${DENIED}` });
    assert.deepEqual(api.seen.sort(), ["a", "c", "no-email"].map((n) => `PATCH /apis/certmanager.k8s.io/v1alpha1/clusterissuers/${n}`));
  } finally {
    api.close();
  }
});

test("applyBatch: a failure that is not about the object (403) still fails the batch, naming it", async () => {
  const api = await apiServer(new Map([[NO_EMAIL_PATH, 403]]));
  try {
    await assert.rejects(applyBatch({ kubeconfig: api.kubeconfig, serverSideApply: true, batch: "clusterissuers/1", objects: OBJECTS }),
      /^Error: restoring 1 of 3 object\(s\) of batch clusterissuers\/1 failed: ClusterIssuer\/no-email: HTTP 403/);
  } finally {
    api.close();
  }
});

test("a batch with a rejected object succeeds and records it; the next run applies it again, and the restore's last step fails naming it with the fix", async () => {
  const api = await apiServer(new Map([[NO_EMAIL_PATH, 406]]));
  try {
    const batches = restoredBatchProvider();
    const inputs = { kubeconfig: api.kubeconfig, serverSideApply: true, batch: "clusterissuers/1", kind: "ClusterIssuer", namespaces: [], adopted: [], objects: OBJECTS };
    const created = await batches.create!(inputs);
    assert.deepEqual(created.outs.rejected, { "ClusterIssuer/no-email": `HTTP 406: ${DENIED}` });
    // Nothing changed in the program, but the rejected object is tried again (the webhook may differ by now), alone.
    assert.equal((await batches.diff!("id", created.outs, inputs)).changes, true);
    api.seen.length = 0;
    const updated = await batches.update!("id", created.outs, inputs);
    assert.deepEqual(api.seen, [`PATCH ${NO_EMAIL_PATH}`]);
    assert.deepEqual(Object.keys(updated.outs.rejected), ["ClusterIssuer/no-email"]);
    // Left out (leaveOut): it leaves the batch; nothing to apply, nothing rejected.
    const { "ClusterIssuer/no-email": _gone, ...rest } = OBJECTS;
    const without = { ...inputs, objects: rest };
    assert.equal((await batches.diff!("id", updated.outs, without)).changes, false);

    const outcome = restoreOutcomeProvider();
    await assert.rejects(outcome.create!({ rejected: mergeRejections([{}, updated.outs.rejected]), leaveOutCount: 0 }), (e: Error) => {
      const [head, ...lines] = e.message.split("\n");
      assert.match(head, /^restore incomplete: the API server rejected 1 object\(s\) of the backup; every other object of it is restored\. /);
      assert.match(head, /then run `pulumi up` again:$/);
      assert.deepEqual(lines, [`  ClusterIssuer/no-email: HTTP 406: ${DENIED} — \`pulumi config set --path 'leaveOut[0]' ClusterIssuer/no-email\``]);
      return true;
    });
    assert.deepEqual((await outcome.create!({ rejected: {}, leaveOutCount: 0 })).outs, { rejected: {}, leaveOutCount: 0 });
  } finally {
    api.close();
  }
});

test("a rejected object never enters the record of restored objects (issue 19, items 1 and 2): the next run writes it again, not skips it", async () => {
  const api = await apiServer(new Map([[NO_EMAIL_PATH, 406]]));
  try {
    const batches = restoredBatchProvider();
    const labels = Object.keys(OBJECTS);
    const inputs = { kubeconfig: api.kubeconfig, serverSideApply: true, batch: "clusterissuers/1", kind: "ClusterIssuer", namespaces: [], adopted: [],
      objects: OBJECTS, reapply: [], record: labels, leftAsTheyAre: [], recordNamespace: "cert-manager", backupSha256: "sha" };
    const created = await batches.create!(inputs);
    assert.deepEqual(Object.keys(created.outs.rejected), ["ClusterIssuer/no-email"]);
    const recordPath = `/api/v1/namespaces/cert-manager/configmaps/${RESTORE_RECORD_NAME}`;
    // This bare server answers the record's read with {}, so the record is written with PUT.
    const written = JSON.parse(api.bodies.get(`PUT ${recordPath}`)!) as { data: Record<string, string> };
    assert.deepEqual(decodeRecord(written.data).labels, ["ClusterIssuer/a", "ClusterIssuer/c"]);
  } finally {
    api.close();
  }
});

test("pure parts: what an update applies, when a batch runs again, the merged list, the message's fix indexes", () => {
  const changes = new Map<string, "add" | "update" | "remove">([["Certificate/a/x", "update"], ["Certificate/a/gone", "remove"]]);
  const news = { "Certificate/a/x": "{}", "Certificate/a/y": "{}" };
  assert.deepEqual(labelsToApply(changes, { "Certificate/a/y": "HTTP 406", "Certificate/a/old": "HTTP 406" }, news), ["Certificate/a/x", "Certificate/a/y"]);
  assert.equal(retriesRejected({ "Certificate/a/y": "r" }, news), true);
  assert.equal(retriesRejected({ "Certificate/a/old": "r" }, news), false);
  assert.equal(retriesRejected(undefined, news), false);
  assert.deepEqual(mergeRejections([{ "Certificate/b/x": "2" }, undefined, { "Certificate/a/x": "1" }]), { "Certificate/a/x": "1", "Certificate/b/x": "2" });
  assert.equal(describeRejected({}, 0), undefined);
  assert.deepEqual(restoredLabels({ objects: { "Certificate/a/x": "{}", "Certificate/a/y": "{}" }, record: ["Certificate/a/x", "Certificate/a/z"] }, { "Certificate/a/y": "HTTP 406" }),
    ["Certificate/a/x", "Certificate/a/z"]);
  assert.match(describeRejected({ "Certificate/a/x": "r1", "Certificate/b/x": "r2" }, 2)!, /leaveOut\[2\]' Certificate\/a\/x`\n {2}Certificate\/b\/x: r2 — `pulumi config set --path 'leaveOut\[3\]' Certificate\/b\/x`$/);
});
