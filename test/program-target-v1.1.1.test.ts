// targetVersion v1.1.1 under Pulumi's mocks: the graph (rename before the release, the manifest's
// CRDs, the v1 webhook wait), the converted objects restored, and the gates that stop the preview
// before anything is declared.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import type { TargetMetadata } from "../lib/target-metadata";
import type { KubeObject } from "../lib/types";
import { ownBackup, seedClusterFacts, seedObjects } from "./support/fixtures";
import { SOURCE_SECRET_VALUE, restoredObjects, runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";

const APIS_1_15 = ["v1", "apps/v1", "apps/v1beta1", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1", "batch/v1", "batch/v1beta1",
  "apiregistration.k8s.io/v1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1",
  "extensions/v1beta1", "networking.k8s.io/v1beta1", "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1"];

function facts(over: Partial<ClusterFacts> = {}): ClusterFacts {
  return seedClusterFacts({ serverVersion: "v1.15.12", servedApiVersions: APIS_1_15, ...over });
}

/** A small legacy CRD manifest: the three restored kinds, as v1.1.1's crds.legacy.yaml defines them (without schemas). */
function writeCrdManifest(dir: string): string {
  const crd = (plural: string, kind: string, scope: string): string => [
    "apiVersion: apiextensions.k8s.io/v1beta1", "kind: CustomResourceDefinition",
    `metadata:\n  name: ${plural}.cert-manager.io\n  labels:\n    app: cert-manager`,
    `spec:\n  group: cert-manager.io\n  scope: ${scope}\n  names:\n    kind: ${kind}\n    plural: ${plural}\n  versions:\n  - name: v1\n    served: true\n    storage: true`,
    "status:\n  acceptedNames:\n    kind: \"\"\n    plural: \"\"\n  conditions: []\n  storedVersions: []",
  ].join("\n");
  const file = path.join(dir, "crds.legacy.yaml");
  fs.writeFileSync(file, [crd("clusterissuers", "ClusterIssuer", "Cluster"), crd("issuers", "Issuer", "Namespaced"), crd("certificates", "Certificate", "Namespaced")].join("\n---\n") + "\n");
  return file;
}

function stack(objects: KubeObject[] = seedObjects(), extra: Record<string, string> = {}): Record<string, string> {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(objects).text);
  const chart = path.join(dir, "cert-manager-v1.1.1.tgz");
  fs.writeFileSync(chart, "");
  return {
    "cert-manager-upgrade:backupFile": backupFile,
    "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
    "cert-manager-upgrade:chart": chart,
    "cert-manager-upgrade:crdManifest": writeCrdManifest(dir),
    "cert-manager-upgrade:targetVersion": "v1.1.1",
    ...extra,
  };
}

const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
const METADATA: TargetMetadata = {
  secrets: [
    { namespace: "default", name: "wonder-app-cert", annotations: { "certmanager.k8s.io/issuer-name": "letsencrypt-prod", "certmanager.k8s.io/issuer-kind": "ClusterIssuer", [LAST_APPLIED]: `{"data":{"tls.key":"${SOURCE_SECRET_VALUE}"}}` }, labels: { "certmanager.k8s.io/certificate-name": "wonder-app-cert" } },
    { namespace: "test", name: "ivan-test-cert", annotations: { "cert-manager.io/issuer-name": "letsencrypt-prod" } },
  ],
  ingresses: [{ apiVersion: "networking.k8s.io/v1beta1", namespace: "default", name: "wonder-app", annotations: { "certmanager.k8s.io/cluster-issuer": "letsencrypt-prod", "certmanager.k8s.io/acme-challenge-type": "http01" } }],
};

test("v1.1.1: the preview shows each conversion, renames metadata before the release, installs the manifest's CRDs, waits for the v1 webhook, restores cert-manager.io/v1 objects", async () => {
  const run = await runProgram(stack(), facts(), true, { targetMetadata: METADATA });

  // What each old issuer becomes, for the reviewer.
  const conversion = run.logs.find((l) => l.severity === "info" && l.message.startsWith("cert-manager v1.1.1: each issuer converted to cert-manager.io/v1"));
  assert.ok(conversion, run.logs.map((l) => l.message).join("\n"));
  assert.match(conversion.message, /ClusterIssuer\/letsencrypt-prod:\n/);
  assert.match(conversion.message, /now: solvers\[0\]: http01 ingress class nginx, selector dnsNames \[wonder-app.example.com\]/);
  assert.match(conversion.message, /now: solvers\[1\]: dns01 cloudDNS example-project, selector dnsNames \[ivan-test.example.com\]/);
  assert.ok(!run.logs.some((l) => /cert-manager 0\.6\.2/.test(l.message) && /issued anew|cannot renew|RFC 8555/.test(l.message)), "no 0.6.2 prediction or renewal line for another target");

  // The manifest's CRDs, none of 0.6's.
  const crds = run.registrations.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition");
  assert.deepEqual(crds.map((c) => c.inputs.metadata.name).sort(), ["certificates.cert-manager.io", "clusterissuers.cert-manager.io", "issuers.cert-manager.io"]);
  for (const crd of crds) {
    assert.equal(crd.retainOnDelete, true);
    assert.equal(crd.inputs.status, undefined, "the file's status is not sent");
    assert.ok(run.dependencyNames(crd.name).includes("previous-release-stop-0.x-release"), `${crd.name} waits for the removals`);
  }
  // The second hop's steps are there, with nothing to do on a 0.4.1 cluster; each waits for the one before.
  assert.ok(run.dependencyNames("previous-release-stop-0.x-release").includes("legacy-release-delete-0.4-release"));
  assert.match(run.byName("previous-release-stop-0.x-release").inputs.summary, /no cert-manager 0\.x release cert-manager in cert-manager: nothing to replace/);
  assert.deepEqual(run.byName("previous-crds-delete-certmanager.k8s.io-crds").inputs.crdNames, []);
  assert.deepEqual(run.byName("namespace").inputs.metadata.labels, { "cert-manager.io/disable-validation": "true" });

  // The renames: after the removal, before the release; merge patches of the changed keys only.
  const rename = run.byName("metadata-renames-apply");
  assert.ok(run.dependencyNames("metadata-renames-apply").includes("previous-release-stop-0.x-release"));
  assert.ok(run.dependencyNames("cert-manager").includes("metadata-renames-apply"), "the release (its controller) starts only after the renames");
  assert.deepEqual(rename.inputs.renames, [
    {
      kind: "Secret", apiVersion: "v1", namespace: "default", name: "wonder-app-cert",
      patch: { metadata: {
        annotations: { "certmanager.k8s.io/issuer-name": null, "certmanager.k8s.io/issuer-kind": null, "cert-manager.io/issuer-name": "letsencrypt-prod", "cert-manager.io/issuer-kind": "ClusterIssuer" },
        labels: { "certmanager.k8s.io/certificate-name": null, "cert-manager.io/certificate-name": "wonder-app-cert" },
      } },
      changes: ["annotation certmanager.k8s.io/issuer-name → cert-manager.io/issuer-name", "annotation certmanager.k8s.io/issuer-kind → cert-manager.io/issuer-kind", "label certmanager.k8s.io/certificate-name → cert-manager.io/certificate-name"],
    },
    {
      kind: "Ingress", apiVersion: "networking.k8s.io/v1beta1", namespace: "default", name: "wonder-app",
      patch: { metadata: { annotations: { "certmanager.k8s.io/cluster-issuer": null, "certmanager.k8s.io/acme-challenge-type": null, "cert-manager.io/cluster-issuer": "letsencrypt-prod" } } },
      changes: ["annotation certmanager.k8s.io/cluster-issuer → cert-manager.io/cluster-issuer", "annotation certmanager.k8s.io/acme-challenge-type dropped (v1 solvers choose the challenge)"],
    },
  ]);
  const renameInputs = JSON.stringify(run.registrations.filter((r) => r.name.startsWith("metadata-renames")).map((r) => r.rawInputs));
  assert.ok(!renameInputs.includes(SOURCE_SECRET_VALUE) && !renameInputs.includes(LAST_APPLIED), "a Secret's last-applied annotation (its data) never reaches the inputs");

  // The release from the local chart; the webhook wait is v1's; the restore after both.
  const release = run.byName("cert-manager");
  assert.match(release.inputs.chart, /cert-manager-v1\.1\.1\.tgz$/);
  assert.equal(release.inputs.repositoryOpts, undefined);
  // A 0.6 release in the state is replaced (uninstalled first), never upgraded in place.
  assert.equal(release.replacementTrigger, "cert-manager.io/v1");
  assert.equal(release.deleteBeforeReplace, true);
  assert.equal(run.byName("webhook-accepts-objects").inputs.readiness, "probe-v1");

  const restored = restoredObjects(run);
  assert.deepEqual(restored.map((o) => `${o.object.apiVersion} ${o.label}`).sort(), [
    "cert-manager.io/v1 Certificate/default/wonder-app-cert",
    "cert-manager.io/v1 Certificate/test/ivan-test-cert",
    "cert-manager.io/v1 ClusterIssuer/letsencrypt-prod",
    "cert-manager.io/v1 ClusterIssuer/letsencrypt-staging",
  ]);
  const prod = restored.find((o) => o.label === "ClusterIssuer/letsencrypt-prod")!;
  assert.deepEqual(prod.object.spec.acme.solvers, [
    { selector: { dnsNames: ["wonder-app.example.com"] }, http01: { ingress: { class: "nginx" } } },
    { selector: { dnsNames: ["ivan-test.example.com"] }, dns01: { cloudDNS: { project: "example-project", serviceAccountSecretRef: { name: "clouddns-service-account", key: "service-account.json" } } } },
  ]);
  const ivan = restored.find((o) => o.label === "Certificate/test/ivan-test-cert")!;
  assert.equal(ivan.object.spec.acme, undefined, "spec.acme moved to the issuer's solvers");
  assert.deepEqual(ivan.object.spec.issuerRef, { name: "letsencrypt-prod", kind: "ClusterIssuer", group: "cert-manager.io" });
  for (const batch of new Set(restored.map((o) => o.batch.name))) {
    const deps = run.dependencyNames(batch);
    assert.ok(deps.includes("cert-manager") && deps.includes("webhook-accepts-objects"), `${batch} after the release and the webhook`);
  }
});

test("v1.1.1: a backup with an object the conversion refuses stops the preview, naming it, before anything is declared", async () => {
  const objects = seedObjects();
  const ivan = objects.find((o) => o.kind === "Certificate" && o.metadata?.name === "ivan-test-cert")!;
  ((ivan.spec!.acme as { config: Array<{ dns01: { provider: string } }> }).config[0].dns01).provider = "gone";
  await assert.rejects(runProgram(stack(objects), facts(), true, { targetMetadata: METADATA }), (e: Error & { registrations?: unknown[] }) => {
    assert.match(e.message, /^conversion check failed: cert-manager v1\.1\.1 cannot take 1 thing\(s\) of .*nothing was changed/);
    assert.match(e.message, /\n {2}Certificate\/test\/ivan-test-cert spec\.acme\.config: .*names provider 'gone'.* — fix: /);
    assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
    return true;
  });
});

test("v1.1.1: a Secret whose old and new annotation disagree is refused before anything is declared", async () => {
  const metadata: TargetMetadata = { secrets: [{ namespace: "test", name: "ivan-test-cert", annotations: { "certmanager.k8s.io/issuer-name": "letsencrypt-prod", "cert-manager.io/issuer-name": "other" } }], ingresses: [] };
  await assert.rejects(runProgram(stack(), facts(), true, { targetMetadata: metadata }), (e: Error & { registrations?: unknown[] }) => {
    assert.match(e.message, /conversion check failed/);
    assert.match(e.message, /Secret\/test\/ivan-test-cert metadata\.annotations: annotation certmanager\.k8s\.io\/issuer-name is "letsencrypt-prod" but cert-manager\.io\/issuer-name is already "other"/);
    assert.deepEqual(e.registrations, []);
    return true;
  });
});

test("v1.1.1 on Kubernetes 1.16: refused, naming the newest cert-manager for it, before anything is declared", async () => {
  await assert.rejects(runProgram(stack(), facts({ serverVersion: "v1.16.15" }), true), (e: Error & { registrations?: unknown[] }) => {
    assert.match(e.message, /^Kubernetes version check failed: targetVersion v1\.1\.1 does not run on this cluster \(v1\.16\.15\): .*legacy CRDs, which are for 1\.15 and older; the newest cert-manager for Kubernetes 1\.16 is v1\.5\.5/);
    assert.deepEqual(e.registrations, []);
    return true;
  });
});

test("v1.1.1: a CRD manifest that is missing or lacks a kind stops the preview naming the key", async () => {
  const dir = tempDir();
  await assert.rejects(runProgram(stack(seedObjects(), { "cert-manager-upgrade:crdManifest": path.join(dir, "nope.yaml") }), facts(), true), (e: Error & { registrations?: unknown[] }) => {
    assert.match(e.message, /^CRD manifest check failed: cannot read .*nope\.yaml \(config key cert-manager-upgrade:crdManifest in Pulumi\.test\.yaml\): ENOENT; fix the key/);
    assert.deepEqual(e.registrations, []);
    return true;
  });
  const partial = path.join(dir, "partial.yaml");
  fs.writeFileSync(partial, "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata: {name: issuers.cert-manager.io}\nspec: {group: cert-manager.io, names: {kind: Issuer, plural: issuers}}\n");
  await assert.rejects(runProgram(stack(seedObjects(), { "cert-manager-upgrade:crdManifest": partial }), facts(), true), /CRD manifest check failed: .*partial\.yaml does not define cert-manager\.io\/ClusterIssuer, cert-manager\.io\/Certificate/);
});

test("targetVersion: an unknown value is one line naming the key and the allowed values", async () => {
  await assert.rejects(runProgram(stack(seedObjects(), { "cert-manager-upgrade:targetVersion": "v1.5.5" }), facts(), true), (e: Error) => {
    assert.equal(e.message, 'config key cert-manager-upgrade:targetVersion in Pulumi.test.yaml must be one of v0.6.2, v1.1.1, not "v1.5.5"');
    return true;
  });
});

test("targetVersion v0.6.2 (the default, also when set): no rename step, 0.6's CRDs and webhook wait", async () => {
  for (const extra of [{} as Record<string, string>, { "cert-manager-upgrade:targetVersion": "v0.6.2" }]) {
    const config = { ...stack(), ...extra };
    delete (config as Record<string, string>)["cert-manager-upgrade:crdManifest"];
    if (!("cert-manager-upgrade:targetVersion" in extra)) delete (config as Record<string, string>)["cert-manager-upgrade:targetVersion"];
    const run = await runProgram(config, facts(), true);
    assert.ok(!run.registrations.some((r) => r.type === "cert-manager-upgrade:index:MetadataRenames" || r.type === "cert-manager-upgrade:index:CertManagerCrdManifest"));
    assert.ok(!("readiness" in run.byName("webhook-accepts-objects").inputs));
    assert.deepEqual(run.byName("namespace").inputs.metadata.labels, { "certmanager.k8s.io/disable-validation": "true" });
    assert.ok(restoredObjects(run).every((o) => o.object.apiVersion === "certmanager.k8s.io/v1alpha1"));
    assert.equal(run.registrations.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition").length, 5);
  }
});

test("v1.1.1 on a cluster whose CRDs an earlier run made (no server-side apply): they are taken over with import, the others created", async () => {
  const run = await runProgram(stack(), facts({ targetCrds: ["certificates.cert-manager.io"] }), true, { targetMetadata: METADATA });
  const crds = run.registrations.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition");
  assert.deepEqual(crds.map((c) => [c.inputs.metadata.name, c.importId]).sort(), [
    ["certificates.cert-manager.io", "certificates.cert-manager.io"], ["clusterissuers.cert-manager.io", ""], ["issuers.cert-manager.io", ""],
  ]);
});

test("the second hop under mocks: the stack's own 0.6 release replaced; its controller stopped first, its CRDs deleted after the restore, its chart's webhook issuers not restored", async () => {
  const chartLabels = { app: "webhook", chart: "webhook-v0.6.4", release: "cert-manager", heritage: "Tiller" };
  const webhookIssuer: KubeObject = { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Issuer", metadata: { name: "cert-manager-webhook-selfsign", namespace: "cert-manager", labels: chartLabels }, spec: { selfSigned: {} } };
  const previous = {
    found: true, releaseName: "cert-manager", namespace: "cert-manager", chartVersion: "v0.6.6",
    stopFirst: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "cert-manager", name: "cert-manager" }, { apiVersion: "v1", kind: "Secret", namespace: "cert-manager", name: "cert-manager-webhook-ca" }],
    crds: [{ apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", namespace: "", name: "certificates.certmanager.k8s.io" }],
  };
  const noLegacy = { found: false, record: "none" as const, objects: [] };
  const objects = [...seedObjects(), webhookIssuer];
  const live = objects.map((o) => o.kind === "ClusterIssuer" ? `ClusterIssuer/${o.metadata!.name}` : `${o.kind}/${o.metadata!.namespace}/${o.metadata!.name}`);
  const run = await runProgram(stack(objects), facts({ legacy: noLegacy, previous, liveObjects: live }), true, { targetMetadata: METADATA });
  const replaces = run.logs.find((l) => l.severity === "warn" && l.message.startsWith("REPLACES release cert-manager (chart v0.6.6) with cert-manager v1.1.1"));
  assert.ok(replaces, run.logs.map((l) => l.message).join("\n"));
  assert.match(replaces.message, /DELETES Deployment cert-manager\/cert-manager, Secret cert-manager\/cert-manager-webhook-ca first.*after the restore, DELETES 1 certmanager\.k8s\.io CRDs and with them 5 Issuers/);
  assert.deepEqual(run.byName("previous-release-stop-0.x-release").inputs.willDelete, ["Deployment cert-manager/cert-manager", "Secret cert-manager/cert-manager-webhook-ca"]);
  for (const step of ["namespace", "metadata-renames-apply"]) assert.ok(run.dependencyNames(step).includes("previous-release-stop-0.x-release"), `${step} after 0.6.2 stopped`);
  const crdRemoval = run.byName("previous-crds-delete-certmanager.k8s.io-crds");
  assert.deepEqual(crdRemoval.inputs.crdNames, ["certificates.certmanager.k8s.io"]);
  const restoredBatches = run.registrations.filter((r) => r.name.startsWith("restored-cert-manager.io-") && r.custom && r.name !== "restored-cert-manager.io-outcome").map((r) => r.name);
  assert.ok(restoredBatches.length > 0);
  for (const batch of restoredBatches) assert.ok(!run.dependencyNames(batch).includes("previous-crds-delete-certmanager.k8s.io-crds"));
  assert.ok(restoredBatches.every((b) => run.byName(b).inputs.recordName === "cert-manager-upgrade-restored-cert-manager-io"), "the new group's own record");
  // Known only once every batch is in place: the old CRDs go after the restore.
  assert.ok(crdRemoval.rawInputs.restoredCount !== undefined || run.dependencyNames("previous-crds-delete-certmanager.k8s.io-crds").length > 0);
  assert.ok(!restoredObjects(run).some((o) => o.label === "Issuer/cert-manager/cert-manager-webhook-selfsign"), "the chart's webhook issuer is not restored");
  assert.ok(run.logs.some((l) => /^not restored: Issuer\/cert-manager\/cert-manager-webhook-selfsign: release cert-manager's chart made them/.test(l.message)));
});
