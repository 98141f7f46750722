// The target registry (lib/targets/index.ts): 0.6.2 is the existing modules behind the same
// interface, unchanged; v1.1.1's program knowledge (Kubernetes versions, files, renames).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { parseBackup } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { kubernetesVersionRefusal, planForTarget, planMetadataRenames, targetWiring, toolchainDir } from "../lib/targets";
import { objectLabel } from "../lib/types";
import { webhookViolations } from "../lib/webhook-0.6.2-validation";
import { cm, ownBackup, seedObjects } from "./support/fixtures";

const NOW = new Date("2026-11-28T00:00:00Z");
const OPTIONS = { legacyNamespace: "kube-system", namespace: "cert-manager", now: NOW };
const backup = parseBackup(Buffer.from(ownBackup(seedObjects()).text), "backup.yaml");
const plan = buildRestorePlan(backup, OPTIONS);

test("0.6.2 as a target: the plan is left as it is (the same object), nothing converted or refused", () => {
  const wiring = targetWiring("v0.6.2");
  const planned = planForTarget(wiring, plan, backup.objects, { meta: backup.meta, now: NOW, legacyNamespace: "kube-system" });
  assert.equal(planned.plan, plan);
  assert.deepEqual([planned.views, planned.refusals, planned.conversionLines], [[], [], []]);
  assert.deepEqual({ crds: wiring.crds, chart: wiring.chart, webhook: wiring.webhookReadiness, label: wiring.disableValidationLabel, converts: wiring.converts },
    { crds: { source: "code" }, chart: { name: "cert-manager", fromRepository: true }, webhook: "apiservice-v1alpha1", label: "certmanager.k8s.io/disable-validation", converts: false });
});

test("0.6.2 as a target delegates: its objects, prediction and renewal lines are the plan's, its rules the 0.6.2 webhook's", () => {
  const target = targetWiring("v0.6.2").knowledge;
  const converted = target.convert(backup.objects);
  const byLabel = new Map(plan.restore.map((r) => [objectLabel(r), r.object]));
  assert.equal(converted.objects.length, plan.restore.length);
  for (const o of converted.objects) {
    assert.deepEqual(o, byLabel.get(objectLabel({ kind: o.kind!, namespace: o.metadata?.namespace ?? "", name: o.metadata!.name! })));
  }
  const restorable = backup.objects.filter((o) => ["ClusterIssuer", "Issuer", "Certificate"].includes(o.kind));
  assert.deepEqual(target.predictReissue({ objects: restorable, meta: backup.meta, now: NOW, legacyNamespace: "kube-system" }), plan.prediction);
  assert.deepEqual(targetWiring("v0.6.2").renewalLines(backup.objects), plan.renewal);
  const bad = cm("ClusterIssuer", "le", undefined, { acme: { server: "https://acme.example/dir", privateKeySecretRef: { name: "k" } } });
  const findings = target.validate(bad);
  const violations = webhookViolations([{ kind: "ClusterIssuer", namespace: "", name: "le", spec: bad.spec }], []);
  assert.ok(violations.length > 0);
  assert.deepEqual(findings.map((f) => [f.object, f.field, f.rule]), violations.map((v) => [v.object, v.jsonField, v.message]));
  const secret = { namespace: "default", name: "s", annotations: { "certmanager.k8s.io/issuer-name": "le" } };
  assert.deepEqual(planMetadataRenames(target, [secret], []), { renames: [], refusals: [] }, "0.6.2 reads the old names: nothing renamed");
});

test("v1.1.1: the plan's 0.6.2 prediction and renewal lines give way to v1.1.1's; objects converted", () => {
  const wiring = targetWiring("v1.1.1");
  const planned = planForTarget(wiring, plan, backup.objects, { meta: backup.meta, now: NOW, legacyNamespace: "kube-system" });
  assert.deepEqual(planned.refusals, []);
  assert.ok(planned.plan.restore.every((r) => r.object.apiVersion === "cert-manager.io/v1"));
  assert.deepEqual(planned.plan.restore.map((r) => objectLabel(r)), plan.restore.map((r) => objectLabel(r)), "same labels, same order");
  assert.deepEqual(planned.plan.renewal, []);
  assert.ok(plan.renewal.length > 0, "the seed's ACME issuers cannot renew with 0.6.2");
  assert.ok(!planned.plan.warnings.some((w) => /by cert-manager 0\.6\.2/.test(w.message)));
  assert.ok(planned.conversionLines.includes("ClusterIssuer/letsencrypt-prod:"));
});

test("v1.1.1 runs on Kubernetes 1.11 to 1.15 here; newer clusters are told the newest cert-manager for them", () => {
  const wiring = targetWiring("v1.1.1");
  for (const v of ["v1.11.0", "v1.15.12", "1.13.4-gke.1"]) assert.equal(kubernetesVersionRefusal(wiring, v), undefined, v);
  assert.match(kubernetesVersionRefusal(wiring, "v1.16.15")!, /newest cert-manager for Kubernetes 1\.16 is v1\.5\.5/);
  assert.match(kubernetesVersionRefusal(wiring, "v1.21.1")!, /newest cert-manager for Kubernetes 1\.21 is v1\.11\.5/);
  assert.match(kubernetesVersionRefusal(wiring, "v1.34.4")!, /newest cert-manager for Kubernetes 1\.34 is not in this program's facts/);
  assert.match(kubernetesVersionRefusal(wiring, "v1.10.13")!, /use targetVersion v0\.6\.2 there/);
  assert.equal(kubernetesVersionRefusal(targetWiring("v0.6.2"), "v1.34.4"), undefined, "0.6.2's versions are lib/api-versions.ts's check");
});

test("v1.1.1's chart and CRDs default to the toolchain cache (CMU_CACHE as scripts/toolchain.sh reads it)", () => {
  const env = { CMU_CACHE: "/cache" };
  assert.equal(toolchainDir(env), path.join("/cache", "toolchain"));
  assert.equal(toolchainDir({}, "/home/u"), path.join("/home/u", ".cache", "cert-manager-upgrade", "toolchain"));
  const wiring = targetWiring("v1.1.1", env);
  assert.deepEqual(wiring.crds, { source: "manifest", defaultFile: "/cache/toolchain/cert-manager-v1.1.1/crds.legacy.yaml" });
  assert.deepEqual(wiring.chart, { name: "cert-manager", version: "v1.1.1", fromRepository: false, defaultFile: "/cache/toolchain/cert-manager-v1.1.1/chart/cert-manager-v1.1.1.tgz" });
});

test("v1.1.1's plan passes the TLS Secrets' metadata to the prediction: without it the issuer annotations are not known, with it they are checked", () => {
  const wiring = targetWiring("v1.1.1");
  const meta = { ...backup.meta!, tlsCertificates: [{ namespace: "default", certificate: "wonder-app-cert", secretName: "wonder-app-cert", serial: "01", sha256: "ab".repeat(32),
    notAfter: new Date(NOW.getTime() + 60 * 24 * 3600 * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"), commonName: "wonder-app.example.com", dnsNames: ["wonder-app.example.com"],
    keyType: "RSA PRIVATE KEY", keyMatchesCertificate: true, chainLength: 1 }] };
  const without = planForTarget(wiring, plan, backup.objects, { meta, now: NOW, legacyNamespace: "kube-system" });
  const wonder = (p: typeof without) => [...p.prediction!.unknown, ...p.prediction!.reissues, ...p.prediction!.mayReissue].filter((r) => r.namespace === "default" && r.name === "wonder-app-cert").map((r) => r.reason).join("; ");
  assert.match(wonder(without), /issuer annotations were not given/);
  const renamed = wiring.knowledge.renameSecretMetadata({ namespace: "default", name: "wonder-app-cert", annotations: { "certmanager.k8s.io/issuer-name": "someone-else", "certmanager.k8s.io/issuer-kind": "ClusterIssuer" } }).metadata;
  const told = planForTarget(wiring, plan, backup.objects, { meta, now: NOW, legacyNamespace: "kube-system", tlsSecretMetadata: new Map([["default/wonder-app-cert", renamed]]) });
  assert.doesNotMatch(wonder(told), /issuer annotations were not given/);
  assert.match(wonder(told), /someone-else.*IncorrectIssuer/);
});
