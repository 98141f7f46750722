// cert-manager 0.6.2 (chart v0.6.6), the seed's target, as a CertManagerTarget: a thin adapter over
// the modules that were written for it (lib/sanitize.ts, lib/webhook-0.6.2-validation.ts,
// lib/reissue-prediction.ts, lib/renewal-0.6.2.ts). Nothing is converted: the objects stay
// certmanager.k8s.io/v1alpha1, and the Secrets' and Ingresses' metadata is what 0.6.2 reads.
import { predictReissues } from "../../reissue-prediction";
import { cannotRenewWarning } from "../../renewal-0.6.2";
import { sanitizeForRestore } from "../../sanitize";
import { BackupObject, CERTMANAGER_API_VERSION, KubeObject, Problem, isClusterScoped, isRestoreKind, objectLabel } from "../../types";
import { webhookViolations } from "../../webhook-0.6.2-validation";
import type { CertManagerTarget, MetadataRename, ObjectMetadataView, TargetFinding, TargetPrediction, TargetPredictionInput } from "../target";

function unchanged(view: ObjectMetadataView): MetadataRename {
  return { metadata: structuredClone(view), changes: [], refusals: [] };
}

/** The restorable objects as they are restored now (lib/plan.ts): sanitized, in the backup's order. */
function convert062(objects: BackupObject[]) {
  const restorable = objects.filter((o) => isRestoreKind(o.kind));
  return { objects: restorable.map((o) => sanitizeForRestore(o.object, isClusterScoped(o.kind))), views: [], refusals: [] };
}

/** What the 0.6.2 webhook rejects in one object (lib/webhook-0.6.2-validation.ts), as findings. */
function validate062(object: KubeObject): TargetFinding[] {
  const kind = object.kind;
  if (kind !== "ClusterIssuer" && kind !== "Issuer" && kind !== "Certificate") return [];
  const ref = { kind: kind as "ClusterIssuer" | "Issuer" | "Certificate", namespace: object.metadata?.namespace ?? "", name: object.metadata?.name ?? "" };
  return webhookViolations([{ ...ref, spec: object.spec }], []).map((v) => ({
    object: v.object, kind: v.kind, namespace: v.namespace, name: v.name, field: v.jsonField, rule: v.message,
    fix: `${v.type === "Required" ? "set" : v.type === "Forbidden" ? "remove or change" : "change"} ${v.jsonField}`,
  }));
}

function predict062(input: TargetPredictionInput): TargetPrediction {
  return predictReissues({
    objects: input.objects, meta: input.meta, now: input.now, renewalMarginMs: input.renewalMarginMs,
    accountKeysNotCopied: input.accountKeysNotCopied, legacyNamespace: input.legacyNamespace,
  });
}

export const target062: CertManagerTarget = {
  version: "v0.6.2",
  crdGroups: { certmanager: CERTMANAGER_API_VERSION, acme: CERTMANAGER_API_VERSION },
  convert: convert062,
  validate: validate062,
  renameSecretMetadata: unchanged,
  renameIngressMetadata: unchanged,
  predictReissue: predict062,
  renderConversion: () => [],
};

/** The 0.6.2 target's "cannot renew" lines (lib/renewal-0.6.2.ts), one per ACME issuer. */
export function renewalLines062(objects: BackupObject[]): Problem[] {
  const out: Problem[] = [];
  for (const o of objects) {
    if (o.kind !== "ClusterIssuer" && o.kind !== "Issuer") continue;
    const line = cannotRenewWarning(o.object);
    if (line) out.push({ object: objectLabel(o), message: line });
  }
  return out;
}
