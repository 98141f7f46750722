// CustomResourceDefinitions through whichever apiextensions version the cluster serves: v1 from
// Kubernetes 1.16 on, v1beta1 only up to 1.15 (the clusters that still run cert-manager 0.4).
import * as k8s from "@kubernetes/client-node";
import { RetryLog, discoverApiVersions } from "./kube";

export const CRD_GROUP = "apiextensions.k8s.io";
export type CrdVersion = "v1" | "v1beta1";

/** The apiextensions version to read and delete CRDs with, from the served group versions (discovery). */
export function crdVersionFor(servedApiVersions: Iterable<string>): CrdVersion {
  const served = new Set(servedApiVersions);
  if (served.has(`${CRD_GROUP}/v1`)) return "v1";
  if (served.has(`${CRD_GROUP}/v1beta1`)) return "v1beta1";
  throw new Error(`the cluster serves neither ${CRD_GROUP}/v1 nor ${CRD_GROUP}/v1beta1: is this a Kubernetes API server?`);
}

/** The version named by an apiVersion such as "apiextensions.k8s.io/v1beta1". */
export function crdVersionOf(apiVersion: string): CrdVersion {
  if (apiVersion === `${CRD_GROUP}/v1`) return "v1";
  if (apiVersion === `${CRD_GROUP}/v1beta1`) return "v1beta1";
  throw new Error(`${apiVersion} is not an apiextensions.k8s.io version this program knows (v1, v1beta1)`);
}

export interface CrdSummary {
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  group: string;
}

interface RawCrd {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { group?: string };
}

function summary(o: RawCrd): CrdSummary {
  return { name: o.metadata?.name ?? "", labels: o.metadata?.labels ?? {}, annotations: o.metadata?.annotations ?? {}, group: o.spec?.group ?? "" };
}

export interface CrdPage {
  items: CrdSummary[];
  continueToken?: string;
}

/** CustomObjectsApi builds /apis/{group}/{version}/{plural} paths: the same client serves both versions. */
export class CrdApi {
  private readonly custom: k8s.CustomObjectsApi;
  constructor(kc: k8s.KubeConfig, readonly version: CrdVersion) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
  }

  /** The CRD API the cluster serves (discovery). */
  static async discover(kc: k8s.KubeConfig, log: RetryLog): Promise<CrdApi> {
    return new CrdApi(kc, crdVersionFor(await discoverApiVersions(kc, log)));
  }

  get apiVersion(): string {
    return `${CRD_GROUP}/${this.version}`;
  }

  /** One page of CRDs (all of them when no limit is given). */
  async listPage(options: { labelSelector?: string; limit?: number; continueToken?: string } = {}): Promise<CrdPage> {
    const list = (await this.custom.listClusterCustomObject({
      group: CRD_GROUP, version: this.version, plural: "customresourcedefinitions",
      labelSelector: options.labelSelector, limit: options.limit, _continue: options.continueToken,
    })) as { items?: RawCrd[]; metadata?: { continue?: string } };
    return { items: (list.items ?? []).map(summary), continueToken: list.metadata?.continue || undefined };
  }

  async list(labelSelector?: string): Promise<CrdSummary[]> {
    return (await this.listPage({ labelSelector })).items;
  }

  async read(name: string): Promise<CrdSummary> {
    return summary((await this.custom.getClusterCustomObject({ group: CRD_GROUP, version: this.version, plural: "customresourcedefinitions", name })) as RawCrd);
  }

  /** Deletes a CRD (the API server then deletes every object of it, and the CRD last). */
  async delete(name: string): Promise<void> {
    await this.custom.deleteClusterCustomObject({ group: CRD_GROUP, version: this.version, plural: "customresourcedefinitions", name, propagationPolicy: "Background" });
  }
}
