// What the end-to-end tests of the v1.1.1 target share beside the harness' readyStatesV1/ordersV1:
// a v1 object's shape, a TLS Secret's certificate, and which issuer each TLS Secret belongs to.
import * as crypto from "node:crypto";
import * as k8s from "@kubernetes/client-node";

export type V1Object = { metadata: { name: string; namespace?: string; uid: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> }; spec?: Record<string, unknown>; status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>; state?: string } };

export const x509 = (d: Record<string, string>): crypto.X509Certificate => new crypto.X509Certificate(Buffer.from(d["tls.crt"], "base64"));

/** Each certmanager.k8s.io Certificate's TLS Secret and issuerRef, `namespace/secret` → issuer (kind Issuer when unset, as 0.4.1 wrote it). */
export async function issuersOfTlsSecrets(kc: k8s.KubeConfig): Promise<Map<string, { name: string; kind: string }>> {
  const certificates = (await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "certificates" })).items as V1Object[];
  return new Map(certificates.map((c) => {
    const spec = c.spec as { secretName: string; issuerRef: { name: string; kind?: string } };
    return [`${c.metadata.namespace}/${spec.secretName}`, { name: spec.issuerRef.name, kind: spec.issuerRef.kind || "Issuer" }];
  }));
}
