// Issue 10, item 4: an old release the program does not recognise (another release name or
// namespace, CRDs without the release label) must stop the preview instead of installing 0.6 beside
// a live 0.4 controller. The decision is pure: what the cluster holds, what the removal will remove,
// and which objects are this stack's own 0.6 release (a re-run after a finished upgrade passes).
import { test } from "node:test";
import assert from "node:assert/strict";
import { CertManagerFootprint, CrdFact, DeploymentFact, LegacyObject, unaccountedCertManagerObjects } from "../lib/legacy";

const NEW = { name: "cert-manager", namespace: "cert-manager" };

function legacyCrd(plural: string, labels: Record<string, string> = { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cert-manager", heritage: "Tiller" }): CrdFact {
  return { name: `${plural}.certmanager.k8s.io`, labels, annotations: {} };
}
/** The 0.6 CRDs as this program creates them (lib/crds.ts, components/crds.ts). */
function ourCrd(plural: string): CrdFact {
  return { name: `${plural}.certmanager.k8s.io`, labels: { app: "cert-manager" }, annotations: { "pulumi.com/patchForce": "true" } };
}
function deployment(namespace: string, name: string, labels: Record<string, string>, images: string[], annotations: Record<string, string> = {}): DeploymentFact {
  return { namespace, name, labels, annotations, images };
}
const OLD_DEPLOYMENT = deployment("kube-system", "cert-manager", { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cert-manager", heritage: "Tiller" }, ["quay.io/jetstack/cert-manager-controller:v0.4.1"]);
const NEW_DEPLOYMENT = deployment("cert-manager", "cert-manager", { app: "cert-manager", chart: "cert-manager-v0.6.6", release: "cert-manager", heritage: "Helm" },
  ["quay.io/jetstack/cert-manager-controller:v0.6.2"], { "meta.helm.sh/release-name": "cert-manager", "meta.helm.sh/release-namespace": "cert-manager" });
const NEW_WEBHOOK = deployment("cert-manager", "cert-manager-webhook", { app: "webhook", chart: "webhook-v0.6.4", release: "cert-manager" }, ["quay.io/jetstack/cert-manager-webhook:v0.6.2"],
  { "meta.helm.sh/release-name": "cert-manager", "meta.helm.sh/release-namespace": "cert-manager" });
const UNRELATED = deployment("default", "nginx", { app: "nginx" }, ["nginx:1.25"]);

const obj = (kind: string, namespace: string, name: string): LegacyObject => ({ apiVersion: kind === "Deployment" ? "apps/v1" : "apiextensions.k8s.io/v1", kind, namespace, name });
const FULL_REMOVAL = [obj("Deployment", "kube-system", "cert-manager"), ...["certificates", "issuers", "clusterissuers"].map((p) => obj("CustomResourceDefinition", "", `${p}.certmanager.k8s.io`))];
const SEED: CertManagerFootprint = { crds: ["certificates", "issuers", "clusterissuers"].map((p) => legacyCrd(p)), deployments: [OLD_DEPLOYMENT, UNRELATED] };

test("the recognised 0.4 release: everything cert-manager is in the removal", () => {
  assert.deepEqual(unaccountedCertManagerObjects(SEED, FULL_REMOVAL, NEW), []);
});

test("a wrong legacyReleaseName finds nothing: the 0.4 CRDs and controller are named, with the release they carry", () => {
  const found = unaccountedCertManagerObjects(SEED, [], NEW);
  assert.deepEqual(found.map((f) => f.object), [
    "CustomResourceDefinition certificates.certmanager.k8s.io",
    "CustomResourceDefinition clusterissuers.certmanager.k8s.io",
    "CustomResourceDefinition issuers.certmanager.k8s.io",
    "Deployment kube-system/cert-manager",
  ]);
  assert.deepEqual(found[3].release, { name: "cert-manager", namespace: "kube-system" });
  assert.match(found[3].detail, /chart cert-manager-v0\.4\.1/);
  assert.match(found[3].detail, /image quay\.io\/jetstack\/cert-manager-controller:v0\.4\.1/);
});

test("0.4 CRDs without the release label are not removed with the release: named, not taken for 0.6", () => {
  const stripped = ["certificates", "issuers", "clusterissuers"].map((p) => legacyCrd(p, { app: "cert-manager", chart: "cert-manager-v0.4.1", heritage: "Tiller" }));
  const found = unaccountedCertManagerObjects({ crds: stripped, deployments: [OLD_DEPLOYMENT] }, [obj("Deployment", "kube-system", "cert-manager")], NEW);
  assert.deepEqual(found.map((f) => f.object), stripped.map((c) => `CustomResourceDefinition ${c.name}`).sort());
  assert.ok(found.every((f) => f.missingReleaseLabel), "the fix is to label them");
  // Helm 3 also annotates what it installs: the label is still missing, and the line says both.
  const annotated = stripped.map((c) => ({ ...c, annotations: { "meta.helm.sh/release-name": "cert-manager", "meta.helm.sh/release-namespace": "kube-system" } }));
  const again = unaccountedCertManagerObjects({ crds: annotated, deployments: [] }, [], NEW);
  assert.ok(again.every((f) => f.missingReleaseLabel));
  assert.equal(again[0].detail, "chart cert-manager-v0.4.1, no release label, Helm release cert-manager in kube-system");
});

test("another cert-manager controller anywhere (by label or by image) is named", () => {
  const byImage = deployment("ops", "certs", { team: "ops" }, ["docker.io/jetstack/cert-manager-controller:v0.5.2"]);
  const byChart = deployment("tools", "cm", { chart: "cert-manager-v0.3.0", release: "cm" }, ["registry.local/cm:0.3"]);
  const byApp = deployment("x", "y", { app: "cert-manager" }, ["registry.local/cm:0.2"]);
  const found = unaccountedCertManagerObjects({ crds: [], deployments: [UNRELATED, byImage, byChart, byApp] }, [], NEW);
  assert.deepEqual(found.map((f) => f.object), ["Deployment ops/certs", "Deployment tools/cm", "Deployment x/y"]);
  assert.deepEqual(found[1].release, { name: "cm", namespace: "tools" });
});

test("a re-run after a finished upgrade passes: the 0.6 CRDs and this stack's 0.6 release are ours", () => {
  const done: CertManagerFootprint = {
    crds: ["certificates", "issuers", "clusterissuers", "orders", "challenges"].map(ourCrd),
    deployments: [NEW_DEPLOYMENT, NEW_WEBHOOK, UNRELATED],
  };
  assert.deepEqual(unaccountedCertManagerObjects(done, [], NEW), []);
  // 0.6 CRDs applied by hand (upstream 00-crds.yaml: label app only) are adopted, not a foreign release.
  const byHand = { crds: ["certificates", "orders"].map((p) => ({ name: `${p}.certmanager.k8s.io`, labels: { app: "cert-manager" }, annotations: {} })), deployments: [] };
  assert.deepEqual(unaccountedCertManagerObjects(byHand, [], NEW), []);
});

test("a 0.6 release that is not this stack's, a 0.4 controller in the new namespace, or a CRD we do not define is named", () => {
  const otherNamespace = { ...NEW_DEPLOYMENT, namespace: "certs", annotations: { "meta.helm.sh/release-name": "cert-manager", "meta.helm.sh/release-namespace": "certs" } };
  const otherRelease = { ...NEW_DEPLOYMENT, name: "cm2", labels: { ...NEW_DEPLOYMENT.labels, release: "cm2" }, annotations: { "meta.helm.sh/release-name": "cm2", "meta.helm.sh/release-namespace": "cert-manager" } };
  const oldInNew = deployment("cert-manager", "old", { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cert-manager" }, ["quay.io/jetstack/cert-manager-controller:v0.4.1"]);
  const oldImageInNew = deployment("cert-manager", "old-image", { app: "cert-manager", release: "cert-manager" }, ["quay.io/jetstack/cert-manager-controller:v0.4.0"], { "meta.helm.sh/release-name": "cert-manager", "meta.helm.sh/release-namespace": "cert-manager" });
  const helmCrd = { name: "certificates.certmanager.k8s.io", labels: { app: "cert-manager" }, annotations: { "meta.helm.sh/release-name": "legacy", "meta.helm.sh/release-namespace": "kube-system" } };
  const unknownCrd = ourCrd("certificaterequests");
  const found = unaccountedCertManagerObjects({ crds: [helmCrd, unknownCrd], deployments: [otherNamespace, otherRelease, oldInNew, oldImageInNew, NEW_DEPLOYMENT] }, [], NEW);
  assert.deepEqual(found.map((f) => f.object), [
    "CustomResourceDefinition certificaterequests.certmanager.k8s.io",
    "CustomResourceDefinition certificates.certmanager.k8s.io",
    "Deployment cert-manager/cm2",
    "Deployment cert-manager/old",
    "Deployment cert-manager/old-image",
    "Deployment certs/cert-manager",
  ]);
  assert.deepEqual(found[1].release, { name: "legacy", namespace: "kube-system" });
});
