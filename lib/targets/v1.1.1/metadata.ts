// TLS Secrets' and Ingresses' certmanager.k8s.io/* annotations and labels as v1.1.1 reads them (pure).
//
// v1.1.1 pkg/apis/certmanager/v1/types.go and pkg/apis/acme/v1/const.go name the new keys; v0.6.2
// pkg/apis/certmanager/v1alpha1/types.go the old ones. v1.1.1's trigger policy
// SecretHasUpToDateIssuerAnnotations (pkg/controller/certificates/trigger/policies/policies.go)
// issues a certificate anew when the Secret's cert-manager.io/issuer-name differs from the
// Certificate's issuerRef.name, or issuer-kind / issuer-group differ (an empty kind counts as
// "Issuer", an empty group as "cert-manager.io"): so a Secret without cert-manager.io/issuer-group
// matches a Certificate whose issuerRef.group is cert-manager.io, and none is added here.
import type { MetadataRename, ObjectMetadataView, TargetFinding } from "../target";

/** Secret annotations: old key → new key. */
export const SECRET_ANNOTATION_RENAMES: Record<string, string> = {
  "certmanager.k8s.io/issuer-name": "cert-manager.io/issuer-name",
  "certmanager.k8s.io/issuer-kind": "cert-manager.io/issuer-kind",
  "certmanager.k8s.io/alt-names": "cert-manager.io/alt-names",
  "certmanager.k8s.io/ip-sans": "cert-manager.io/ip-sans",
  "certmanager.k8s.io/common-name": "cert-manager.io/common-name",
};
/** Secret labels: old key → new key. */
export const SECRET_LABEL_RENAMES: Record<string, string> = {
  "certmanager.k8s.io/certificate-name": "cert-manager.io/certificate-name",
};
/** Ingress annotations: old key → new key (ingress-shim's). */
export const INGRESS_ANNOTATION_RENAMES: Record<string, string> = {
  "certmanager.k8s.io/issuer": "cert-manager.io/issuer",
  "certmanager.k8s.io/cluster-issuer": "cert-manager.io/cluster-issuer",
  "certmanager.k8s.io/acme-http01-edit-in-place": "acme.cert-manager.io/http01-edit-in-place",
  "certmanager.k8s.io/acme-http01-ingress-class": "acme.cert-manager.io/http01-ingress-class",
};
/** Ingress annotations v1 has no use for: the issuer's solvers (with selectors) replace them. */
export const INGRESS_ANNOTATIONS_DROPPED = ["certmanager.k8s.io/acme-challenge-type", "certmanager.k8s.io/acme-dns01-provider"];

function rename(
  kind: "Secret" | "Ingress",
  view: ObjectMetadataView,
  where: "annotation" | "label",
  values: Record<string, string> | undefined,
  renames: Record<string, string>,
  dropped: readonly string[],
  changes: string[],
  refusals: TargetFinding[],
): Record<string, string> | undefined {
  if (!values) return undefined;
  const out: Record<string, string> = { ...values };
  for (const [oldKey, newKey] of Object.entries(renames)) {
    if (!(oldKey in values)) continue;
    const value = values[oldKey];
    if (newKey in values && values[newKey] !== value) {
      refusals.push({
        object: `${kind}/${view.namespace}/${view.name}`, kind, namespace: view.namespace, name: view.name,
        field: `metadata.${where}s`,
        rule: `${where} ${oldKey} is ${JSON.stringify(value)} but ${newKey} is already ${JSON.stringify(values[newKey])}: which one v1.1.1 should see is not known`,
        fix: `remove one of the two ${where}s from ${kind} ${view.namespace}/${view.name} before the upgrade`,
      });
      continue;
    }
    delete out[oldKey];
    out[newKey] = value;
    changes.push(`${where} ${oldKey} → ${newKey}`);
  }
  for (const key of dropped) {
    if (!(key in out)) continue;
    delete out[key];
    changes.push(`${where} ${key} dropped (v1 solvers choose the challenge)`);
  }
  return out;
}

function result(view: ObjectMetadataView, annotations: Record<string, string> | undefined, labels: Record<string, string> | undefined, changes: string[], refusals: TargetFinding[]): MetadataRename {
  const metadata: ObjectMetadataView = { namespace: view.namespace, name: view.name };
  if (annotations) metadata.annotations = annotations;
  if (labels) metadata.labels = labels;
  return { metadata, changes, refusals };
}

/** A TLS Secret's metadata as v1.1.1 must first see it (so that it does not issue the certificate anew). */
export function renameSecretMetadata(secret: ObjectMetadataView): MetadataRename {
  const changes: string[] = [];
  const refusals: TargetFinding[] = [];
  const annotations = rename("Secret", secret, "annotation", secret.annotations, SECRET_ANNOTATION_RENAMES, [], changes, refusals);
  const labels = rename("Secret", secret, "label", secret.labels, SECRET_LABEL_RENAMES, [], changes, refusals);
  return result(secret, annotations, labels, changes, refusals);
}

/** An Ingress's metadata as v1.1.1's ingress-shim reads it. */
export function renameIngressMetadata(ingress: ObjectMetadataView): MetadataRename {
  const changes: string[] = [];
  const refusals: TargetFinding[] = [];
  const annotations = rename("Ingress", ingress, "annotation", ingress.annotations, INGRESS_ANNOTATION_RENAMES, INGRESS_ANNOTATIONS_DROPPED, changes, refusals);
  return result(ingress, annotations, ingress.labels ? { ...ingress.labels } : undefined, changes, refusals);
}
