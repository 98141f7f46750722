// CustomResourceDefinitions through whichever apiextensions version the cluster serves: v1 from
// Kubernetes 1.16 on, v1beta1 only up to 1.15 (the clusters that still run cert-manager 0.4).
import * as k8s from "@kubernetes/client-node";

export const CRD_GROUP = "apiextensions.k8s.io";
export type CrdVersion = "v1" | "v1beta1";

/** The apiextensions version to read and delete CRDs with, from the served group versions (discovery). */
export function crdVersionFor(servedApiVersions: Iterable<string>): CrdVersion {
  const served = new Set(servedApiVersions);
  if (served.has(`${CRD_GROUP}/v1`)) return "v1";
  if (served.has(`${CRD_GROUP}/v1beta1`)) return "v1beta1";
  throw new Error(`the cluster serves neither ${CRD_GROUP}/v1 nor ${CRD_GROUP}/v1beta1: is this a Kubernetes API server?`);
}

export interface CrdSummary {
  name: string;
  labels: Record<string, string>;
  group: string;
}

interface RawCrd {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { group?: string };
}

function summary(o: RawCrd): CrdSummary {
  return { name: o.metadata?.name ?? "", labels: o.metadata?.labels ?? {}, group: o.spec?.group ?? "" };
}

/** CustomObjectsApi builds /apis/{group}/{version}/{plural} paths: the same client serves both versions. */
export class CrdApi {
  private readonly custom: k8s.CustomObjectsApi;
  constructor(kc: k8s.KubeConfig, readonly version: CrdVersion) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  get apiVersion(): string {
    return `${CRD_GROUP}/${this.version}`;
  }

  async list(labelSelector?: string): Promise<CrdSummary[]> {
    const list = (await this.custom.listClusterCustomObject({ group: CRD_GROUP, version: this.version, plural: "customresourcedefinitions", labelSelector })) as { items?: RawCrd[] };
    return (list.items ?? []).map(summary);
  }

  async read(name: string): Promise<CrdSummary> {
    return summary((await this.custom.getClusterCustomObject({ group: CRD_GROUP, version: this.version, plural: "customresourcedefinitions", name })) as RawCrd);
  }
}
