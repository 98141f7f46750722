import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { ownBackup, seedObjects, TEST_CLUSTER } from "./support/fixtures";
import { SOURCE_SECRET_VALUE, SECRET_SIG, batchNameOf, restoredBatches, restoredObjects, runProgram, tempDir, writeChart, writeKubeconfig } from "./support/pulumi-harness";

const OLD_APIS = ["v1", "apps/v1", "apps/v1beta1", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1", "batch/v1", "batch/v1beta1",
  "apiregistration.k8s.io/v1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1beta1",
  "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", "extensions/v1beta1", "authorization.k8s.io/v1beta1"];

const facts: ClusterFacts = {
  kubeSystemUID: TEST_CLUSTER.kubeSystemUID,
  server: TEST_CLUSTER.server,
  serverVersion: "v1.12.10",
  servedApiVersions: OLD_APIS,
  legacy: {
    found: true, record: "helm2", chartVersion: "0.4.x",
    objects: [
      { apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" },
      { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", namespace: "", name: "certificates.certmanager.k8s.io" },
    ],
  },
  liveObjects: ["ClusterIssuer/letsencrypt-prod", "ClusterIssuer/letsencrypt-staging", "Certificate/default/wonder-app-cert", "Certificate/test/ivan-test-cert"],
  liveObjectDigests: {},
  liveTlsSecrets: {},
  footprint: {
    crds: [{ name: "certificates.certmanager.k8s.io", labels: { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cert-manager", heritage: "Tiller" }, annotations: {} }],
    deployments: [{ namespace: "kube-system", name: "cert-manager", labels: { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cert-manager" }, annotations: {}, images: ["quay.io/jetstack/cert-manager-controller:v0.4.1"] }],
  },
  secrets: {
    "kube-system/cert-manager-setup-production-private-key": true,
    "kube-system/cert-manager-setup-staging-private-key": true,
    "kube-system/clouddns-service-account": true,
  },
};

test("the seed's upgrade as a resource graph", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const run = await runProgram({
    "cert-manager-upgrade:backupFile": backupFile,
    "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
    "cert-manager-upgrade:context": "test-context",
    "cert-manager-upgrade:chart": writeChart(dir),
  }, facts, true);

  // Components, one per step.
  const components = run.registrations.filter((r) => !r.custom).map((r) => r.type);
  for (const t of ["LegacyReleaseRemoval", "CertManagerNamespace", "CertManagerCrds", "CertManagerRelease", "IssuerSecretCopies", "WebhookReadiness", "RestoredResources"]) {
    assert.ok(components.includes(`cert-manager-upgrade:index:${t}`), t);
  }
  assert.ok(!components.includes("cert-manager-upgrade:index:LegacySecretCleanup"), "cleanup is off by default");

  // 1. removal: says what it deletes and what goes with the CRDs.
  const removal = run.byName("legacy-release-delete-0.4-release");
  assert.equal(removal.type, "pulumi-nodejs:dynamic:Resource");
  assert.deepEqual(removal.inputs.willDelete, ["Deployment kube-system/cert-manager", "CustomResourceDefinition certificates.certmanager.k8s.io"]);
  assert.equal(removal.inputs.objectsDeletedWithCrds, 4);
  assert.match(removal.inputs.summary, /DELETES 2 objects.*every Issuer, ClusterIssuer and Certificate \(4 objects\)/);
  assert.equal(removal.inputs.backupFile, backupFile);

  // 2. namespace with its label.
  const ns = run.byName("namespace");
  assert.equal(ns.type, "kubernetes:core/v1:Namespace");
  assert.equal(ns.inputs.metadata.name, "cert-manager");
  assert.deepEqual(ns.inputs.metadata.labels, { "certmanager.k8s.io/disable-validation": "true" });
  assert.equal(ns.retainOnDelete, true);
  assert.ok(run.dependencyNames("namespace").includes("legacy-release-delete-0.4-release"), "nothing new before the old release is gone");

  // 3. five CRDs after the removal, kept on destroy.
  const crds = run.registrations.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition");
  assert.deepEqual(crds.map((c) => c.inputs.metadata.name).sort(), ["certificates", "challenges", "clusterissuers", "issuers", "orders"].map((p) => `${p}.certmanager.k8s.io`));
  for (const crd of crds) {
    assert.equal(crd.retainOnDelete, true, `${crd.name} retained`);
    assert.ok(run.dependencyNames(crd.name).includes("legacy-release-delete-0.4-release"), `${crd.name} waits for the removal`);
  }

  // 4. the release after namespace and CRDs.
  const release = run.byName("cert-manager");
  assert.equal(release.type, "kubernetes:helm.sh/v3:Release");
  assert.equal(release.inputs.chart, path.join(dir, "cert-manager-v0.6.6.tgz"));
  assert.equal(release.inputs.namespace, "cert-manager");
  assert.equal(release.inputs.name, "cert-manager");
  assert.deepEqual(release.inputs.values.resources, { requests: { cpu: "10m", memory: "50Mi" }, limits: { cpu: "15m", memory: "100Mi" } });
  assert.equal(release.inputs.values.webhook.enabled, true);
  assert.equal(release.inputs.skipCrds, true);
  // The default target's release keeps its options: never replaced by a target change, nothing of the second hop.
  assert.equal(release.replacementTrigger, undefined);
  assert.equal(release.deleteBeforeReplace, false);
  assert.ok(!run.registrations.some((r) => r.name.startsWith("previous-")), "no second-hop step for the default target");
  assert.ok(run.registrations.some((r) => r.name.startsWith("restored-") && !r.name.startsWith("restored-cert-manager.io")), "the default's restore keeps its names");
  const releaseDeps = run.dependencyNames("cert-manager");
  for (const c of crds) assert.ok(releaseDeps.includes(c.name), `release after ${c.name}`);
  assert.ok(releaseDeps.includes("namespace"));

  // 5. secret copies: each once, data secret, read from kube-system.
  const copies = run.registrations.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.custom && r.name.startsWith("issuer-secrets-") && !r.name.includes("-source-"));
  assert.deepEqual(copies.map((c) => c.inputs.metadata.name).sort(), ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"]);
  for (const c of copies) {
    assert.equal(c.inputs.metadata.namespace, "cert-manager");
    assert.equal(c.rawInputs.data?.[Object.keys(c.rawInputs.data).find((k) => c.rawInputs.data[k] === SECRET_SIG)!], SECRET_SIG, `${c.name}: data is a secret`);
    assert.equal(c.retainOnDelete, true);
  }
  assert.deepEqual(run.reads.map((r) => r.id).sort(), copies.map((c) => `kube-system/${c.inputs.metadata.name}`).sort());

  // 6. webhook readiness after the release.
  const webhook = run.byName("webhook-accepts-objects");
  assert.ok(run.dependencyNames("webhook-accepts-objects").includes("cert-manager"));
  assert.equal(webhook.type, "pulumi-nodejs:dynamic:Resource");

  // 7. restored objects: every backup object named in a batch's inputs (one batch per kind here),
  // server fields gone, after copies and webhook; a Certificate's batch after its issuer's.
  const restored = restoredObjects(run);
  assert.deepEqual(restored.map((r) => r.label).sort(), [
    "Certificate/default/wonder-app-cert",
    "Certificate/test/ivan-test-cert",
    "ClusterIssuer/letsencrypt-prod",
    "ClusterIssuer/letsencrypt-staging",
  ]);
  assert.deepEqual(restoredBatches(run).map((b) => b.name), ["restored-clusterissuers/1", "restored-certificates/1"]);
  // Each object travels as JSON text (lib/restore-batch.ts encodeObject: the RPCs are far cheaper).
  for (const b of restoredBatches(run)) assert.ok(Object.values(b.inputs.objects as object).every((o) => typeof o === "string"), `${b.name}: objects as JSON text`);
  for (const r of restored) {
    assert.equal(r.batch.retainOnDelete, true);
    assert.equal(r.batch.inputs.serverSideApply, false, "Kubernetes 1.12: client-side apply");
    for (const field of ["uid", "resourceVersion", "selfLink", "creationTimestamp", "generation"]) assert.equal(r.object.metadata[field], undefined, `${r.label} ${field}`);
    assert.equal(r.object.status, undefined);
    assert.equal(r.object.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"], undefined);
    const deps = run.dependencyNames(r.batch.name);
    assert.ok(deps.includes("webhook-accepts-objects"), `${r.label} after the webhook`);
    for (const c of crds) assert.ok(deps.includes(c.name));
  }
  const prodDeps = run.dependencyNames(batchNameOf(run, "ClusterIssuer/letsencrypt-prod"));
  for (const c of copies) assert.ok(prodDeps.includes(c.name), `ClusterIssuer after ${c.name}`);
  assert.ok(run.dependencyNames(batchNameOf(run, "Certificate/test/ivan-test-cert")).includes(batchNameOf(run, "ClusterIssuer/letsencrypt-prod")), "certificate after its issuer");
  const ivan = restored.find((r) => r.label === "Certificate/test/ivan-test-cert")!.object;
  assert.equal(ivan.metadata.ownerReferences[0].uid, "202bc781-3b1d-11e9-9fb0-02096e167e86");
  assert.equal(ivan.metadata.namespace, "test");

  // The whole chain, step by step: removal → CRDs → release → readiness → restores.
  const dependsOnTransitively = (from: string, to: string, seen = new Set<string>()): boolean => {
    if (seen.has(from)) return false;
    seen.add(from);
    const direct = run.dependencyNames(from);
    return direct.includes(to) || direct.some((d) => d !== from && dependsOnTransitively(d, to, seen));
  };
  assert.ok(dependsOnTransitively("restored-certificates/1", "legacy-release-delete-0.4-release"));
  assert.ok(!dependsOnTransitively("legacy-release-delete-0.4-release", "crds-certificates"), "the removal depends on nothing that comes after it");

  // Outputs; the secret's value appears nowhere in them.
  assert.equal(run.outputs.namespace, "cert-manager");
  assert.deepEqual(run.outputs.restored, { ClusterIssuer: 2, Issuer: 0, Certificate: 2 });
  assert.deepEqual([...run.outputs.secretsCopied].sort(), copies.map((c) => c.inputs.metadata.name).sort());
  assert.ok(!JSON.stringify(run.outputs).includes(SOURCE_SECRET_VALUE));
});
