// The second hop's pure parts: which release a converting target replaces, what of it is stopped,
// what of the backup its chart made, where the new group's restore record lives, and the preview's
// line; and the one-shot steps that run again when what they are for changes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { oneShotProvider } from "../components/dynamic";
import { NO_PREVIOUS_RELEASE, PreviousRelease, describePreviousRemoval, isCertmanagerK8sIoChart, isPreviousReleaseObject, previousChartObjects } from "../lib/previous-release";
import { RESTORE_RECORD_NAME, effectiveRecord, restoreRecordName } from "../lib/restore-record";
import type { BackupObject } from "../lib/types";

test("the releases a converting target replaces: cert-manager 0.5 to 0.10, never 0.4 (the legacy removal's) nor 0.11 on (cert-manager.io)", () => {
  for (const v of ["v0.6.6", "0.6.6", "v0.5.2", "v0.10.1"]) assert.equal(isCertmanagerK8sIoChart("cert-manager", v), true, v);
  for (const v of ["v0.4.1", "0.4.0", "v0.11.0", "v1.1.1", "v0.6"]) assert.equal(isCertmanagerK8sIoChart("cert-manager", v), false, v);
  assert.equal(isCertmanagerK8sIoChart("other-chart", "v0.6.6"), false);
});

test("an object of the release: its release label and a 0.x chart of cert-manager or its webhook", () => {
  assert.equal(isPreviousReleaseObject({ release: "cert-manager", chart: "cert-manager-v0.6.6" }, "cert-manager"), true);
  assert.equal(isPreviousReleaseObject({ release: "cert-manager", chart: "webhook-v0.6.4" }, "cert-manager"), true);
  assert.equal(isPreviousReleaseObject({ release: "other", chart: "webhook-v0.6.4" }, "cert-manager"), false);
  assert.equal(isPreviousReleaseObject({ release: "cert-manager", chart: "cert-manager-v1.1.1" }, "cert-manager"), false, "the target's own release");
  assert.equal(isPreviousReleaseObject({ release: "cert-manager" }, "cert-manager"), false, "no chart label: not Helm's");
});

const object = (kind: BackupObject["kind"], namespace: string, name: string, labels?: Record<string, string>): BackupObject =>
  ({ kind, namespace, name, object: { apiVersion: "certmanager.k8s.io/v1alpha1", kind, metadata: { name, ...(namespace ? { namespace } : {}), ...(labels ? { labels } : {}) } } });

test("the 0.6 chart's webhook issuers and certificates are not restored; users' objects are, labelled or not", () => {
  const chart = { release: "cert-manager", chart: "webhook-v0.6.4", app: "webhook", heritage: "Helm" };
  const objects = [
    object("Issuer", "cert-manager", "cert-manager-webhook-selfsign", chart),
    object("Certificate", "cert-manager", "cert-manager-webhook-ca", chart),
    object("Issuer", "cert-manager", "users-own", { release: "cert-manager" }),
    object("Certificate", "team-a", "labelled-elsewhere", chart),
    object("ClusterIssuer", "", "letsencrypt-prod", chart),
  ];
  assert.deepEqual(previousChartObjects(objects, "cert-manager", "cert-manager"), ["Certificate/cert-manager/cert-manager-webhook-ca", "Issuer/cert-manager/cert-manager-webhook-selfsign"]);
  assert.deepEqual(previousChartObjects(objects, "other-release", "cert-manager"), []);
});

test("the restore record of another API group is a ConfigMap of its own, and an old release found means every object is written", () => {
  assert.equal(restoreRecordName("certmanager.k8s.io"), RESTORE_RECORD_NAME, "0.6's keeps its name");
  assert.equal(restoreRecordName("cert-manager.io"), `${RESTORE_RECORD_NAME}-cert-manager-io`);
  // What the second hop reads: no record of the new group yet, the old group's objects live (not counted).
  assert.deepEqual(effectiveRecord(undefined, { legacyFound: false, liveLabels: [] }), { labels: [], backupSha256: [], fromLiveObjects: true });
  assert.deepEqual(effectiveRecord({ restored: "ClusterIssuer/a" }, { legacyFound: true, liveLabels: [] }).labels, [], "a removal ahead: the record does not count");
});

test("the preview's line says what is deleted when, and nothing when there is no such release", () => {
  const previous: PreviousRelease = {
    found: true, releaseName: "cert-manager", namespace: "cert-manager", chartVersion: "v0.6.6",
    stopFirst: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "cert-manager", name: "cert-manager" }, { apiVersion: "apiregistration.k8s.io/v1beta1", kind: "APIService", namespace: "", name: "v1beta1.admission.certmanager.k8s.io" }],
    crds: [{ apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", namespace: "", name: "certificates.certmanager.k8s.io" }],
  };
  assert.equal(describePreviousRemoval(previous, 12, "v1.1.1", "backups/b.yaml"),
    "REPLACES release cert-manager (chart v0.6.6) with cert-manager v1.1.1: DELETES Deployment cert-manager/cert-manager, APIService v1beta1.admission.certmanager.k8s.io first (the 0.x controller stops), " +
    "then Helm uninstalls the rest and installs v1.1.1; after the restore, DELETES 1 certmanager.k8s.io CRDs and with them 12 Issuers, ClusterIssuers and Certificates, each restored before that in v1.1.1's API group from backups/b.yaml");
  assert.match(describePreviousRemoval(NO_PREVIOUS_RELEASE("cert-manager", "cert-manager"), 0, "v1.1.1", "b.yaml"), /nothing to replace/);
});

test("a one-shot step runs again only when an input it names changes (the webhook a wait is for), never for the rest", async () => {
  const provider = oneShotProvider("webhookReady", ["readiness"]);
  assert.deepEqual(await provider.diff!("id", { timeoutSeconds: 300 }, { timeoutSeconds: 600 }), { changes: false }, "other inputs: still done");
  assert.deepEqual(await provider.diff!("id", { timeoutSeconds: 300 }, { timeoutSeconds: 300, readiness: "probe-v1" }), { changes: true, replaces: ["readiness"], deleteBeforeReplace: true });
  assert.deepEqual(await provider.diff!("id", { readiness: "probe-v1" }, { readiness: "probe-v1" }), { changes: false });
  assert.deepEqual(await oneShotProvider("removeLegacyRelease").diff!("id", { a: 1 }, { a: 2 }), { changes: false }, "without names: runs once");
});
