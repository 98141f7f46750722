// What the end-to-end tests look at in a cluster: the old release's CRD, and the cert-manager objects there.
import * as k8s from "@kubernetes/client-node";
import { objectLabel } from "../../lib/types";

/** The 0.4 release's Certificate CRD is still there (its objects are the old ones, not restored yet). */
export async function legacyCrdPresent(kc: k8s.KubeConfig): Promise<boolean> {
  // apiextensions.k8s.io/v1 from Kubernetes 1.16 on, v1beta1 on 1.15.
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  for (const version of ["v1", "v1beta1"]) {
    try {
      const crd = await answered(() => custom.getClusterCustomObject({ group: "apiextensions.k8s.io", version, plural: "customresourcedefinitions", name: "certificates.certmanager.k8s.io" })) as { metadata?: { labels?: Record<string, string> } };
      return crd.metadata?.labels?.chart === "cert-manager-v0.4.1";
    } catch (err) {
      // Not served, or not there: the next version, then "not present". Anything else (the API
      // server unreachable) is no answer, and must not read as "gone".
      if (!isNotFound(err)) throw err;
    }
  }
  return false;
}

/**
 * The answer of `read`, asked again while the API server says "not now": 429 (a CRD created a moment
 * ago answers "storage is (re)initializing") or 5xx, at most 40 times 250 ms apart. Anything else,
 * 404 included, is the answer.
 */
export async function answered<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      const code = (err as { code?: number }).code ?? 0;
      if (!(code === 429 || code >= 500) || attempt >= 40) throw err;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The API's 404, and nothing else: helpers that look for absence swallow only that. */
export function isNotFound(err: unknown): boolean {
  return (err as { code?: number }).code === 404;
}

/** Whether `read` finds its object: true, false on 404, and any other failure thrown. */
export async function exists(read: () => Promise<unknown>): Promise<boolean> {
  try {
    await read();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

/** Every ClusterIssuer, Issuer and Certificate: label ("Kind/namespace/name") → uid; `exceptNamespace` left out. */
export async function certManagerObjectUids(kc: k8s.KubeConfig, options: { exceptNamespace?: string } = {}): Promise<Map<string, string>> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const uids = new Map<string, string>();
  for (const plural of ["clusterissuers", "issuers", "certificates"]) {
    const list = await answered(() => custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural })) as { items: Array<{ kind: string; metadata: { namespace?: string; name: string; uid: string } }> };
    for (const o of list.items) {
      if (options.exceptNamespace !== undefined && o.metadata.namespace === options.exceptNamespace) continue;
      uids.set(objectLabel({ kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name }), o.metadata.uid);
    }
  }
  return uids;
}

/** Every ClusterIssuer, Issuer and Certificate by label ("Kind/namespace/name"), sorted; `exceptNamespace` left out. */
export async function certManagerObjectLabels(kc: k8s.KubeConfig, options: { exceptNamespace?: string } = {}): Promise<string[]> {
  return [...(await certManagerObjectUids(kc, options)).keys()].sort();
}
