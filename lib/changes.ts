// What changed in the cluster since the backup was taken (pure). The restore writes the backup's
// version of every object, so an object edited since (spec, labels, annotations, ownerReferences)
// would silently go back to its old version, and a certificate re-issued since no longer matches
// what the backup recorded: both stop the upgrade until the backup is taken again.
import { createHash } from "node:crypto";
import { ParsedBackup } from "./backup-format";
import { sanitizeForRestore } from "./sanitize";
import { describeSpecDifferences, specDifferences } from "./spec-equivalence";
import { LiveTlsCertificate, shortSha } from "./tls-facts";
import { KubeObject, isClusterScoped, isRestoreKind, objectLabel } from "./types";

/**
 * What the restore writes of an object: its spec (kept whole, to be compared as cert-manager reads
 * it and the differing fields named), and a hash of its labels, annotations and ownerReferences.
 */
export interface ObjectDigest {
  spec: Record<string, unknown>;
  metadata: string;
}

/** JSON with object keys sorted, so that equal content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

const sha = (value: unknown): string => createHash("sha256").update(canonicalJson(value)).digest("hex");

export function objectDigest(kind: string, obj: KubeObject): ObjectDigest {
  const restored = sanitizeForRestore(obj, isClusterScoped(kind));
  const m = restored.metadata ?? {};
  return {
    spec: restored.spec ?? {},
    metadata: sha({ labels: m.labels ?? {}, annotations: m.annotations ?? {}, ownerReferences: m.ownerReferences ?? [] }),
  };
}

/** "namespace/name" of the TLS Secrets whose state the backup recorded: with a certificate, or missing. */
export function recordedTlsSecrets(backup: ParsedBackup): string[] {
  const keys = new Set<string>(backup.meta?.missingTlsSecrets ?? []);
  for (const c of backup.meta?.tlsCertificates ?? []) keys.add(`${c.namespace}/${c.secretName}`);
  return [...keys].sort();
}

export interface LiveForComparison {
  /** Live cert-manager objects by label (e.g. "Certificate/default/web"). */
  objects: Record<string, ObjectDigest>;
  /** Live TLS Secrets by "namespace/name": their certificate's facts, or null when the Secret does not exist. Keys not asked about are absent. */
  tlsSecrets: Record<string, LiveTlsCertificate | null>;
}

/**
 * Objects of the backup that the cluster holds in another version, and TLS Secrets that no longer
 * hold the certificate the backup recorded (or appeared, or went). Objects gone from the cluster are
 * not listed: the old release's removal deletes them, and a resumed run must not stop on that.
 * Each entry is one short description, e.g. "Certificate/default/web (spec.dnsNames)". A spec the
 * old controller wrote back through its Go types (zero values added, durations rewritten) is the
 * same spec (lib/spec-equivalence.ts).
 */
export function changesSinceBackup(backup: ParsedBackup, live: LiveForComparison): string[] {
  const changes: string[] = [];
  for (const o of backup.objects) {
    if (!isRestoreKind(o.kind)) continue;
    const label = objectLabel(o);
    const now = live.objects[label];
    if (!now) continue;
    const then = objectDigest(o.kind, o.object);
    const fields = specDifferences(o.kind, then.spec, now.spec);
    const what = [
      ...(fields.length > 0 ? [describeSpecDifferences(fields)] : []),
      ...(now.metadata !== then.metadata ? ["labels, annotations or ownerReferences"] : []),
    ];
    if (what.length) changes.push(`${label} (${what.join("; ")})`);
  }
  for (const c of backup.meta?.tlsCertificates ?? []) {
    const key = `${c.namespace}/${c.secretName}`;
    if (!c.sha256 || !(key in live.tlsSecrets)) continue;
    const now = live.tlsSecrets[key];
    if (now === null) changes.push(`Secret/${key} (deleted; it held a TLS certificate)`);
    else if (now.sha256 !== c.sha256) {
      changes.push(`Secret/${key} (another certificate: serial ${c.serial} → ${now.serial ?? now.problem ?? "none"}, SHA-256 ${shortSha(c.sha256)} → ${shortSha(now.sha256)}: re-issued)`);
    }
  }
  for (const key of backup.meta?.missingTlsSecrets ?? []) {
    if (live.tlsSecrets[key]) changes.push(`Secret/${key} (created since the backup)`);
  }
  // A Secret shared by several Certificates is named once.
  return [...new Set(changes)];
}

/** The preflight's and the removal's one line about changes since the backup. */
export function describeChanges(changes: string[], file: string): string {
  const more = changes.length > 3 ? `, and ${changes.length - 3} more` : "";
  return `${changes.length} object(s) changed in the cluster since ${file} was taken (${changes.slice(0, 3).join(", ")}${more}); ` +
    "the restore would bring back the backed-up version and verify could not tell a re-issue: take the backup again";
}
