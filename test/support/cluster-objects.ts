// What the end-to-end tests look at in a cluster: the old release's CRD, and the cert-manager objects there.
import * as k8s from "@kubernetes/client-node";
import { objectLabel } from "../../lib/types";

/** The 0.4 release's Certificate CRD is still there (its objects are the old ones, not restored yet). */
export async function legacyCrdPresent(kc: k8s.KubeConfig): Promise<boolean> {
  const crd = await kc.makeApiClient(k8s.ApiextensionsV1Api).readCustomResourceDefinition({ name: "certificates.certmanager.k8s.io" }).catch(() => undefined);
  return crd?.metadata?.labels?.chart === "cert-manager-v0.4.1";
}

/** Every ClusterIssuer, Issuer and Certificate by label ("Kind/namespace/name"), sorted; `exceptNamespace` left out. */
export async function certManagerObjectLabels(kc: k8s.KubeConfig, options: { exceptNamespace?: string } = {}): Promise<string[]> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const labels: string[] = [];
  for (const plural of ["clusterissuers", "issuers", "certificates"]) {
    const list = await custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural }) as { items: Array<{ kind: string; metadata: { namespace?: string; name: string } }> };
    for (const o of list.items) {
      if (options.exceptNamespace !== undefined && o.metadata.namespace === options.exceptNamespace) continue;
      labels.push(objectLabel({ kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name }));
    }
  }
  return labels.sort();
}
