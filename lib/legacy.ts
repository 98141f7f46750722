// The old 0.4 release: what belongs to it (pure selection) and its deletion order.

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
