// The restore is one-shot (issue 19): what decides which backed-up objects are written, given a
// record of what was restored earlier. The record lives in the cluster (a ConfigMap in the new
// release's namespace), not in the Pulumi state, so that it survives a new batch layout, `pulumi
// destroy` then `up`, and the migration from per-object state; it holds object labels
// ("Kind/namespace/name") and backup checksums, never an object's body or any Secret data.
import { createHash } from "node:crypto";

/** The record's ConfigMap name, in the stack's `namespace`. */
export const RESTORE_RECORD_NAME = "cert-manager-upgrade-restored";
/**
 * The record of a target whose objects live in another API group than 0.6's (v1.1.1:
 * cert-manager.io): a ConfigMap of its own, so that what a 0.6 upgrade restored under the same
 * labels never counts as restored in the new group (the second hop restores every object again).
 */
export function restoreRecordName(apiGroup: string): string {
  return apiGroup === "certmanager.k8s.io" ? RESTORE_RECORD_NAME : `${RESTORE_RECORD_NAME}-${apiGroup.replace(/\./g, "-")}`;
}

/** Its data keys: restored labels, one a line, sorted; checksums of the backups they came from, one a line. */
export const RECORD_LABELS_KEY = "restored";
export const RECORD_BACKUPS_KEY = "backupSha256";

export interface RestoreRecord {
  /** Labels of the objects restored earlier, sorted. */
  labels: string[];
  /** sha256 of each backup objects were restored from, sorted. */
  backupSha256: string[];
}

/** The stack's explicit request to write objects again: every one ("*"), or those named. */
export type Reapply = { all: true } | { all: false; labels: string[] };

export const NO_REAPPLY: Reapply = { all: false, labels: [] };

function lines(text: string | undefined): string[] {
  return [...new Set((text ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== ""))].sort();
}

/** The record from its ConfigMap's data; a ConfigMap that does not exist (undefined) is an empty record. */
export function decodeRecord(data: Record<string, string> | undefined): RestoreRecord {
  return { labels: lines(data?.[RECORD_LABELS_KEY]), backupSha256: lines(data?.[RECORD_BACKUPS_KEY]) };
}

/** The record's data after `labels`, restored from the backup `backupSha256`, were applied: a union, so adding twice changes nothing. */
export function recordData(record: RestoreRecord, labels: readonly string[], backupSha256: string): Record<string, string> {
  return {
    [RECORD_LABELS_KEY]: lines([...record.labels, ...labels].join("\n")).join("\n"),
    [RECORD_BACKUPS_KEY]: lines([...record.backupSha256, backupSha256].join("\n")).join("\n"),
  };
}

/**
 * The `reapply` setting checked against the backup: "*" (or a list holding it) for all, or a
 * list of labels of objects the backup holds. Anything else is a config error naming `key`; an empty list asks for nothing.
 */
export function parseReapply(value: unknown, backupLabels: readonly string[], key: string): Reapply {
  if (value === undefined || value === null) return NO_REAPPLY;
  if (value === "*" || (Array.isArray(value) && value.includes("*"))) return { all: true };
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
    throw new Error(`${key}: expected "*" or a list of labels ("Kind/namespace/name", "ClusterIssuer/name"), got ${JSON.stringify(value)}`);
  }
  const known = new Set(backupLabels);
  const unknown = (value as string[]).filter((l) => !known.has(l));
  if (unknown.length > 0) {
    throw new Error(`${key}: ${unknown.slice(0, 3).join(", ")}${unknown.length > 3 ? ` and ${unknown.length - 3} more` : ""} not in the backup (labels are "Kind/namespace/name", "ClusterIssuer/name")`);
  }
  return { all: false, labels: [...new Set(value as string[])].sort() };
}

export interface RestoreWrites {
  /** Labels the restore writes, in the backup's order: never restored, or asked for again. */
  write: string[];
  /** Of those, the ones restored earlier and written again only because `reapply` names them. */
  reapplied: string[];
  /** Restored earlier: never written, never re-created if deleted since. */
  leftAsTheyAre: string[];
}

/**
 * Which of the backup's objects (labels, in restore order) the restore writes: those the record
 * does not hold, and those `reapply` asks for; the others were restored once and are left as the
 * user has them (edited, or deleted).
 */
export function decideRestoreWrites(labels: readonly string[], record: RestoreRecord, reapply: Reapply): RestoreWrites {
  const restored = new Set(record.labels);
  const asked = new Set(reapply.all ? labels : reapply.labels);
  const out: RestoreWrites = { write: [], reapplied: [], leftAsTheyAre: [] };
  for (const label of labels) {
    if (!restored.has(label)) out.write.push(label);
    else if (asked.has(label)) {
      out.write.push(label);
      out.reapplied.push(label);
    } else out.leftAsTheyAre.push(label);
  }
  return out;
}

/**
 * The batch (0-based) of an object among `batches` of its kind: a hash of its label, so that the
 * object's place depends on nothing else (not its position in the backup, not the other
 * namespaces); the number of batches comes from the kind's object count and the batch size.
 */
export function batchIndex(label: string, batches: number): number {
  if (!Number.isInteger(batches) || batches < 1) throw new Error(`batch count must be a positive whole number, not ${batches}`);
  return createHash("sha256").update(label).digest().readUInt32BE(0) % batches;
}

/**
 * The record the restore goes by. None while the old release is there: removing it deletes every
 * object with the old CRDs, so each must be restored, whatever a record from an earlier upgrade
 * says. Without a record ConfigMap, on a cluster whose old release is
 * gone (an upgrade done by a version of this program that kept no record, or a restore that died
 * before its first record), the backup's objects now in the cluster count as restored: they can
 * only be there because a restore wrote them (the old CRDs' removal deleted every 0.4 object) or
 * because someone made them since; either way they are not overwritten.
 */
export function effectiveRecord(data: Record<string, string> | undefined, cluster: { legacyFound: boolean; liveLabels: readonly string[] }): RestoreRecord & { fromLiveObjects: boolean } {
  if (cluster.legacyFound) return { ...decodeRecord(undefined), fromLiveObjects: false };
  if (data !== undefined) return { ...decodeRecord(data), fromLiveObjects: false };
  return { labels: [...new Set(cluster.liveLabels)].sort(), backupSha256: [], fromLiveObjects: true };
}

/** What the preview says of the restore's objects not written, and of those written again (names: the first few). */
export function describeRestoreWrites(writes: RestoreWrites, fromLiveObjects: boolean): string[] {
  const few = (labels: string[]) => `${labels.slice(0, 5).join(", ")}${labels.length > 5 ? ` and ${labels.length - 5} more` : ""}`;
  const out: string[] = [];
  if (writes.leftAsTheyAre.length > 0) {
    out.push(`${writes.leftAsTheyAre.length} object(s) restored earlier: left as they are, not written, not re-created if deleted (${few(writes.leftAsTheyAre)}); ` +
      (fromLiveObjects ? `counted from the cluster (no record ${RESTORE_RECORD_NAME} yet: the objects there now), and recorded by this run; ` : "") +
      "list one in reapply to write it again from the backup");
  }
  if (writes.reapplied.length > 0) out.push(`${writes.reapplied.length} object(s) restored earlier written again from the backup, as reapply asks (${few(writes.reapplied)})`);
  return out;
}
