// The second hop (issue 20): a cluster this program took to cert-manager 0.6.2 earlier, whose
// release (chart v0.6.6, the stack's own `releaseName` in its `namespace`) a converting target such
// as v1.1.1 replaces. Pure selection over what lib/cluster.ts read: which release records, which
// Deployments are stopped before anything else changes, and which certmanager.k8s.io CRDs go once
// every object is restored in the target's API group.
import { CRD_FACTS, crdName } from "./crds";
import { LegacyObject, describeLegacyObject } from "./legacy";

/** The CRDs of the certmanager.k8s.io line that this program creates for 0.6 (lib/crds.ts). */
export const PREVIOUS_CRD_NAMES: readonly string[] = CRD_FACTS.map((f) => crdName(f.plural)).sort();

export interface PreviousRelease {
  found: boolean;
  releaseName: string;
  namespace: string;
  /** The newest deployed record's chart version, e.g. "v0.6.6". */
  chartVersion?: string;
  /**
   * Its controller and webhook Deployments, then its webhook's APIService and
   * ValidatingWebhookConfiguration, then the Secrets its webhook's own Certificates issued into:
   * deleted first, so that no 0.6 controller acts while the objects are converted, no registration
   * points at a webhook that is gone, and the target's webhook does not take 0.6's CA Secret
   * (cert-manager-webhook-ca, the same name) for its own.
   */
  stopFirst: LegacyObject[];
  /** The certmanager.k8s.io CRDs there now: deleted (with every object in them) after the restore. */
  crds: LegacyObject[];
}

export const NO_PREVIOUS_RELEASE = (releaseName: string, namespace: string): PreviousRelease => ({ found: false, releaseName, namespace, stopFirst: [], crds: [] });

/**
 * cert-manager of the certmanager.k8s.io API group with its own namespace: charts 0.5 to 0.10
 * (0.11 renamed the group to cert-manager.io). 0.4 and older are the legacy release
 * (lib/legacy.ts), removed by the first step whatever the target.
 */
export function isCertmanagerK8sIoChart(chartName: string, chartVersion: string): boolean {
  const m = /^v?0\.(\d+)\./.exec(chartVersion);
  return chartName === "cert-manager" && m !== null && Number(m[1]) >= 5 && Number(m[1]) <= 10;
}

/** An object of the release: Helm's release label (every template of chart v0.6.6 sets it) and a chart of the 0.x line. */
export function isPreviousReleaseObject(labels: Record<string, string>, releaseName: string): boolean {
  return labels.release === releaseName && /^(cert-manager|webhook|cainjector)-v?0\.([5-9]|10)\./.test(labels.chart ?? "");
}

/** What the preview says the step will do. */
export function describePreviousRemoval(p: PreviousRelease, objectsInCrds: number, targetVersion: string, backupFile: string): string {
  if (!p.found) return `no cert-manager 0.x release ${p.releaseName} in ${p.namespace}: nothing to replace`;
  const stops = p.stopFirst.map(describeLegacyObject).join(", ") || "no Deployment left";
  return `REPLACES release ${p.releaseName} (chart ${p.chartVersion}) with cert-manager ${targetVersion}: DELETES ${stops} first (the 0.x controller stops), ` +
    `then Helm uninstalls the rest and installs ${targetVersion}; after the restore, DELETES ${p.crds.length} certmanager.k8s.io CRDs and with them ${objectsInCrds} Issuers, ClusterIssuers and Certificates, ` +
    `each restored before that in ${targetVersion}'s API group from ${backupFile}`;
}

/**
 * The backup's objects that the replaced release's chart made (chart v0.6.6's webhook: a
 * self-signed Issuer, a CA Issuer and their two Certificates, labelled with the release and chart
 * webhook-v0.x, in the release's namespace): Helm uninstalls them with the release, and the
 * target's chart brings its own webhook set-up, so they are not restored. Labels, sorted.
 */
export function previousChartObjects(objects: ReadonlyArray<{ kind: string; namespace: string; name: string; object: { metadata?: { labels?: Record<string, string> } } }>, releaseName: string, namespace: string): string[] {
  return objects
    .filter((o) => o.kind !== "ClusterIssuer" && o.namespace === namespace && isPreviousReleaseObject(o.object.metadata?.labels ?? {}, releaseName))
    .map((o) => `${o.kind}/${namespace}/${o.name}`)
    .sort();
}
