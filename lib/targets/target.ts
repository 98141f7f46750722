// What a target cert-manager version knows, as plain functions over plain data: how the backup's
// certmanager.k8s.io/v1alpha1 objects (0.4.1 or 0.6.2) become that version's objects, what its
// webhook rejects, and what its controller will issue anew once they are restored. A later target
// (v1.5.5 for Kubernetes 1.16, ...) is one more folder under lib/targets/ implementing this.
import type { BackupMeta, BackupObject, KubeObject } from "../types";

/** Something the target cannot take as it is: said in the preview, before anything is deleted. */
export interface TargetFinding {
  /** "Kind/namespace/name" (lib/types.ts objectLabel), or "Secret/ns/name", "Ingress/ns/name". */
  object: string;
  kind: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
  /** The field concerned, in the old object (refusals) or the converted one (validation). */
  field: string;
  /** The rule that fails, in the words of the target's source (or of the conversion). */
  rule: string;
  /** What the user can change so that it passes. */
  fix: string;
}

/** One issuer's conversion, for a reviewer: what it was, what it becomes. */
export interface IssuerConversionView {
  object: string;
  /** Lines describing the old configuration (one per solver or issuer type). */
  before: string[];
  /** Lines describing the new configuration. */
  after: string[];
  /** What changes in behaviour (e.g. an http01 solver the old issuer did not enable). */
  notes: string[];
}

export interface ConvertedObjects {
  /** The objects to restore, in restore order (ClusterIssuers, Issuers, Certificates), fit for creation. */
  objects: KubeObject[];
  /** One view per converted issuer. */
  views: IssuerConversionView[];
  /** What cannot be converted faithfully: the restore must not go ahead while there is one. */
  refusals: TargetFinding[];
}

/** A prediction entry; the same shape as lib/reissue-prediction.ts Reissue. */
export interface TargetReissue {
  kind: string;
  namespace: string;
  name: string;
  what: "certificate" | "acme-account";
  reason: string;
}

export interface TargetPrediction {
  /** What the target's controller will do: issue these certificates anew, register these accounts. */
  reissues: TargetReissue[];
  /** What the backup cannot tell in advance (time between plan and run): maybe. */
  mayReissue: TargetReissue[];
  /** What the facts given do not tell: never taken for "fine". */
  unknown: TargetReissue[];
  /** Certificates waiting for an issuer that will not be Ready. */
  held: TargetReissue[];
  /** ACME issuers whose account key the target cannot use (not Ready, nothing registered). */
  accountKeyProblems: Array<{ kind: string; namespace: string; name: string; reason: string }>;
}

/** Metadata of a Secret or Ingress as the target's controller will see it (never data). */
export interface ObjectMetadataView {
  namespace: string;
  name: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
}

export interface TargetPredictionInput {
  /** The backup's objects (old format): the prediction converts them itself. */
  objects: BackupObject[];
  meta?: BackupMeta;
  now: Date;
  /**
   * The TLS Secrets' metadata as the target's controller will first see it, keyed "namespace/name"
   * (after renameSecretMetadata when the program renames, as they are otherwise). Absent: unknown.
   */
  tlsSecretMetadata?: Map<string, ObjectMetadataView>;
  /** ClusterIssuer Secret names that will not be copied to where the target reads them. */
  accountKeysNotCopied?: string[];
  legacyNamespace?: string;
  /** How long after `now` the upgrade may run (default 7 days). */
  renewalMarginMs?: number;
}

/** The result of renaming one Secret's or Ingress's metadata. */
export interface MetadataRename {
  metadata: ObjectMetadataView;
  /** Human-readable changes, e.g. "annotation certmanager.k8s.io/issuer-name → cert-manager.io/issuer-name". */
  changes: string[];
  /** Conflicts (an old and a new key with different values): refusals. */
  refusals: TargetFinding[];
}

export interface CertManagerTarget {
  /** The cert-manager version, e.g. "v1.1.1". */
  version: string;
  /** API groups (group/version) of the restored kinds, e.g. cert-manager.io/v1. */
  crdGroups: { certmanager: string; acme: string };
  /** Converts the backup's restorable objects (Orders and Challenges are dropped). */
  convert(objects: BackupObject[]): ConvertedObjects;
  /** The target webhook's (and CRD schema's) rules that the converted object breaks. */
  validate(object: KubeObject): TargetFinding[];
  renameSecretMetadata(secret: ObjectMetadataView): MetadataRename;
  renameIngressMetadata(ingress: ObjectMetadataView): MetadataRename;
  predictReissue(input: TargetPredictionInput): TargetPrediction;
  /** Reviewer-readable lines for the preview (one block per issuer). */
  renderConversion(views: IssuerConversionView[]): string[];
}
