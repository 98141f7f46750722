// Plain data shapes shared by the pure logic, the scripts and the Pulumi program.
import type { TlsCertificateRecord } from "./tls-facts";

export const CERTMANAGER_GROUP = "certmanager.k8s.io";
export const CERTMANAGER_VERSION = "v1alpha1";
export const CERTMANAGER_API_VERSION = `${CERTMANAGER_GROUP}/${CERTMANAGER_VERSION}`;

/** Kinds that are restored, in restore order. */
export const RESTORE_KINDS = ["ClusterIssuer", "Issuer", "Certificate"] as const;
/** Kinds that are recorded in a backup but never restored (transient ACME state). */
export const RECORD_ONLY_KINDS = ["Order", "Challenge"] as const;

export type RestoreKind = (typeof RESTORE_KINDS)[number];
export type RecordOnlyKind = (typeof RECORD_ONLY_KINDS)[number];
export type CertManagerKind = RestoreKind | RecordOnlyKind;

export const KIND_PLURALS: Record<CertManagerKind, string> = {
  ClusterIssuer: "clusterissuers",
  Issuer: "issuers",
  Certificate: "certificates",
  Order: "orders",
  Challenge: "challenges",
};

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<Record<string, unknown>>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

/** A cert-manager object with its identity resolved. */
export interface BackupObject {
  kind: CertManagerKind;
  namespace: string; // "" for cluster-scoped kinds
  name: string;
  object: KubeObject;
  /** 1-based line in the source file where the object starts, when known. */
  line?: number;
}

export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface ClusterIdentity {
  context: string;
  server: string;
  kubeSystemUID: string;
  serverVersion: string;
}

export interface SecretInventoryEntry {
  namespace: string;
  name: string;
  exists: boolean;
  /** Names of the data keys (never values). */
  keys: string[];
}

/** An ACME issuer's account key Secret as the backup found it (never the key itself). */
export interface AccountKeyRecord {
  issuerKind: "ClusterIssuer" | "Issuer";
  /** "" for a ClusterIssuer. */
  issuerNamespace: string;
  issuer: string;
  /** Where the old release read it: the legacy namespace for a ClusterIssuer, the Issuer's own namespace otherwise. */
  secretNamespace: string;
  secretName: string;
  /** The data key (privateKeySecretRef.key, "tls.key" when unset, as cert-manager does). */
  key: string;
  secretExists: boolean;
  keyPresent: boolean;
  /** PEM block type of the key (from its header line only), when it has one. */
  keyType?: string;
}

/** Facts recorded by the pre-step; kept in a YAML comment so `kubectl apply -f` ignores them. */
export interface BackupMeta {
  /** BACKUP_FORMAT when written now; older backups (BACKUP_FORMATS_READ) stay readable. */
  format: BackupFormat;
  takenAt: string;
  tool: string;
  cluster: ClusterIdentity;
  legacyNamespace: string;
  counts: Record<CertManagerKind, number>;
  /** Orders and Challenges: recorded for the record, never restored. */
  recorded: ObjectRef[];
  /** Secrets referenced by issuers: existence and key names at backup time. */
  secrets: SecretInventoryEntry[];
  /** "namespace/name" of Certificate TLS Secrets that did not exist at backup time. */
  missingTlsSecrets: string[];
  /**
   * Since format 2: for each Certificate whose TLS Secret existed, its certificate's public facts
   * (serial, SHA-256 of the DER, NotAfter, subject CN, DNS SANs, the key's PEM block type); never
   * the key, never the certificate itself. Absent in format-1 backups.
   */
  tlsCertificates?: TlsCertificateRecord[];
  /**
   * Added within format 2 (optional: earlier format-2 backups lack it, and what it would say is then
   * unknown): per ACME issuer, its account key Secret (spec.acme.privateKeySecretRef), whether the
   * Secret and its data key existed, and the key's PEM block type; never the key. Its presence also
   * says that every tlsCertificates entry had its key checked (keyMatchesCertificate or keyProblem).
   */
  acmeAccountKeys?: AccountKeyRecord[];
  /** sha256 (hex) of every byte of the file before the meta line. */
  sha256: string;
}

/** Format 2 added tlsCertificates to the meta line. */
export const BACKUP_FORMAT = "cert-manager-upgrade/backup@2";
/** Formats this version reads: the current one and every earlier one. */
export const BACKUP_FORMATS_READ = ["cert-manager-upgrade/backup@1", BACKUP_FORMAT] as const;
export type BackupFormat = (typeof BACKUP_FORMATS_READ)[number];
export const META_PREFIX = "# cert-manager-upgrade-meta: ";

export interface Problem {
  object: string; // e.g. "Certificate/test/ivan-test-cert", or "file" / "backup"
  message: string;
}

export function objectLabel(ref: ObjectRef): string {
  return ref.namespace ? `${ref.kind}/${ref.namespace}/${ref.name}` : `${ref.kind}/${ref.name}`;
}

export function isRestoreKind(kind: string): kind is RestoreKind {
  return (RESTORE_KINDS as readonly string[]).includes(kind);
}

export function isRecordOnlyKind(kind: string): kind is RecordOnlyKind {
  return (RECORD_ONLY_KINDS as readonly string[]).includes(kind);
}

export function isClusterScoped(kind: string): boolean {
  return kind === "ClusterIssuer";
}
