// The old 0.4 release: what belongs to it (pure selection) and its deletion order.
import { CRD_FACTS, crdName } from "./crds";

/** The five 0.6 CRDs this program defines (lib/crds.ts). */
export const OUR_CRD_NAMES: ReadonlySet<string> = new Set(CRD_FACTS.map((f) => crdName(f.plural)));

export interface LegacyObject {
  apiVersion: string;
  kind: string;
  namespace: string; // "" for cluster-scoped
  name: string;
}

/** 0.4 (and older) chart labels: chart=cert-manager-v0.4.1, release=<name>. The 0.6 chart's objects say v0.6.x. */
export function isLegacyChartLabel(chart: string | undefined): boolean {
  return typeof chart === "string" && /^cert-manager-v?0\.[0-4]\./.test(chart);
}

/** Deletion order: stop the controller first, then its RBAC, then the CRDs (which takes the objects), the release record last. */
export const LEGACY_DELETION_ORDER = [
  "Deployment",
  "ClusterRoleBinding",
  "ClusterRole",
  "ServiceAccount",
  "CustomResourceDefinition",
  "Secret", // Helm 3 release record
  "ConfigMap", // Helm 2 release record
];

export function orderLegacyDeletions(objects: LegacyObject[]): LegacyObject[] {
  const rank = (o: LegacyObject): number => {
    const i = LEGACY_DELETION_ORDER.indexOf(o.kind);
    return i < 0 ? LEGACY_DELETION_ORDER.length : i;
  };
  return [...objects].sort((a, b) => rank(a) - rank(b) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

export function describeLegacyObject(o: LegacyObject): string {
  return o.namespace ? `${o.kind} ${o.namespace}/${o.name}` : `${o.kind} ${o.name}`;
}

/** Live cert-manager objects that the backup lacks: deleting the old CRDs would lose them. */
export function objectsMissingFromBackup(live: string[], backedUp: Set<string>): string[] {
  return live.filter((label) => !backedUp.has(label));
}

// ---------------------------------------------------------------------------------------------
// Everything cert-manager in the cluster, and what of it the removal will not remove.

/** A certmanager.k8s.io CRD as found in the cluster. */
export interface CrdFact {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** A Deployment that looks like cert-manager (see isCertManagerDeployment). */
export interface DeploymentFact {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Container images, e.g. quay.io/jetstack/cert-manager-controller:v0.4.1. */
  images: string[];
}

/** Every certmanager.k8s.io CRD and every cert-manager Deployment in any namespace. */
export interface CertManagerFootprint {
  crds: CrdFact[];
  deployments: DeploymentFact[];
}

export interface UnaccountedObject {
  /** "CustomResourceDefinition certificates.certmanager.k8s.io" or "Deployment ns/name". */
  object: string;
  /** What identifies it, e.g. "chart cert-manager-v0.4.1, no release label". */
  detail: string;
  /** The Helm release it says it belongs to, where it says so. */
  release?: { name: string; namespace?: string };
  /** A 0.4 chart CRD that lacks only the release label. */
  missingReleaseLabel?: boolean;
}

const CONTROLLER_IMAGE = /(^|\/)jetstack\/cert-manager-controller(:|@|$)/;
const LEGACY_CONTROLLER_TAG = /(^|\/)jetstack\/cert-manager-controller:v?0\.[0-4]\./;
const HELM_RELEASE_NAME = "meta.helm.sh/release-name";
const HELM_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace";

/** cert-manager's controller, whatever installed it: labels app=cert-manager or chart=cert-manager-*, or its image. */
export function isCertManagerDeployment(d: Pick<DeploymentFact, "labels" | "images">): boolean {
  return d.labels.app === "cert-manager" || (d.labels.chart ?? "").startsWith("cert-manager-") || d.images.some((i) => CONTROLLER_IMAGE.test(i));
}

function releaseOf(labels: Record<string, string>, annotations: Record<string, string>, namespace?: string): UnaccountedObject["release"] {
  const name = annotations[HELM_RELEASE_NAME] ?? labels.release;
  if (!name) return undefined;
  const ns = annotations[HELM_RELEASE_NAMESPACE] ?? namespace;
  return ns ? { name, namespace: ns } : { name };
}

/** Made by a Helm release (any chart, any Helm): the 0.6 CRDs this program creates never are. */
function fromHelm(crd: CrdFact): boolean {
  return Boolean(crd.labels.chart || crd.labels.release || crd.labels.heritage || crd.annotations[HELM_RELEASE_NAME]);
}

/**
 * The cert-manager objects that would survive the removal and are not this stack's own 0.6
 * release: a certmanager.k8s.io CRD that the removal does not delete and that a Helm release made
 * (the 0.6 CRDs are made by this program, or by hand from the upstream manifest, never by Helm), or
 * that this program does not define; a cert-manager Deployment in any namespace that the removal
 * does not delete and that is not the new release's (its namespace, its release name, not a 0.4
 * chart or controller image). Installing 0.6 beside any of them would leave an old controller
 * reconciling the same objects, or the old CRDs in place. Sorted by kind, then name.
 */
export function unaccountedCertManagerObjects(
  footprint: CertManagerFootprint,
  removal: LegacyObject[],
  newRelease: { name: string; namespace: string },
  ourCrdNames: ReadonlySet<string> = OUR_CRD_NAMES,
): UnaccountedObject[] {
  const removed = new Set(removal.map((o) => `${o.kind}/${o.namespace}/${o.name}`));
  const found: UnaccountedObject[] = [];
  for (const crd of footprint.crds) {
    if (removed.has(`CustomResourceDefinition//${crd.name}`)) continue;
    const helm = fromHelm(crd);
    if (!helm && ourCrdNames.has(crd.name)) continue;
    const details: string[] = [];
    if (crd.labels.chart) details.push(`chart ${crd.labels.chart}`);
    const release = releaseOf(crd.labels, crd.annotations);
    details.push(crd.labels.release ? `release ${crd.labels.release}` : "no release label");
    const annotated = crd.annotations[HELM_RELEASE_NAME];
    if (annotated) details.push(`Helm release ${annotated}${crd.annotations[HELM_RELEASE_NAMESPACE] ? ` in ${crd.annotations[HELM_RELEASE_NAMESPACE]}` : ""}`);
    if (!helm) details.push("not one of the 0.6 CRDs this program defines");
    found.push({
      object: `CustomResourceDefinition ${crd.name}`,
      detail: details.join(", "),
      ...(release ? { release } : {}),
      ...(isLegacyChartLabel(crd.labels.chart) && !crd.labels.release ? { missingReleaseLabel: true } : {}),
    });
  }
  for (const d of footprint.deployments) {
    if (!isCertManagerDeployment(d)) continue;
    if (removed.has(`Deployment/${d.namespace}/${d.name}`)) continue;
    const release = releaseOf(d.labels, d.annotations, d.namespace);
    const legacy = isLegacyChartLabel(d.labels.chart) || d.images.some((i) => LEGACY_CONTROLLER_TAG.test(i));
    const ours = !legacy && d.namespace === newRelease.namespace && release?.name === newRelease.name && release.namespace === newRelease.namespace;
    if (ours) continue;
    const details: string[] = [];
    if (d.labels.chart) details.push(`chart ${d.labels.chart}`);
    if (release) details.push(`release ${release.name}`);
    const image = d.images.find((i) => CONTROLLER_IMAGE.test(i)) ?? d.images[0];
    if (image) details.push(`image ${image}`);
    found.push({ object: `Deployment ${d.namespace}/${d.name}`, detail: details.join(", "), ...(release ? { release } : {}) });
  }
  const rank = (o: UnaccountedObject): number => (o.object.startsWith("CustomResourceDefinition ") ? 0 : 1);
  return found.sort((a, b) => rank(a) - rank(b) || a.object.localeCompare(b.object));
}
