// The stack setting leaveOut (pure): objects of the backup that the upgrade does not restore, on
// purpose, e.g. one cert-manager 0.6.2's webhook rejects and that cannot be fixed before the upgrade.
// They are named by label ("Kind/namespace/name", "ClusterIssuer/name"), as the preview prints them.
import { ParsedBackup } from "./backup-format";
import { ConfigError } from "./settings";
import { isRestoreKind, objectLabel } from "./types";

/** The command that leaves one object out, as a fix says it (the index is the list's next free one). */
export function leaveOutCommand(label: string, index = 0): string {
  return `pulumi config set --path 'leaveOut[${index}]' ${label}`;
}

/**
 * Checks that every entry names an Issuer, ClusterIssuer or Certificate of the backup (an entry that
 * names nothing would leave out nothing, silently) and returns the entries in the backup's order,
 * without repeats. Throws a ConfigError naming `where` (the config key and stack file, or the option).
 */
export function checkLeaveOut(entries: readonly string[], backup: ParsedBackup, backupFile: string, where: string): string[] {
  const labels = backup.objects.filter((o) => isRestoreKind(o.kind)).map((o) => objectLabel(o));
  const known = new Set(labels);
  const unknown = entries.filter((e) => !known.has(e));
  if (unknown.length > 0) {
    const example = labels.find((l) => l.startsWith("Certificate/")) ?? labels[0];
    throw new ConfigError(
      `${where} names ${unknown.map((u) => JSON.stringify(u)).join(", ")}, which ${backupFile} does not hold as an Issuer, ClusterIssuer or Certificate; ` +
        `an entry is Kind/namespace/name (ClusterIssuer/name)${example ? `, e.g. ${example}` : ""}: fix or remove it`,
    );
  }
  const wanted = new Set(entries);
  return labels.filter((l) => wanted.has(l));
}

/** The backup without the left-out objects: what the restore plan is built from. */
export function withoutLeftOut(backup: ParsedBackup, leftOut: readonly string[]): ParsedBackup {
  if (leftOut.length === 0) return backup;
  const out = new Set(leftOut);
  return { ...backup, objects: backup.objects.filter((o) => !out.has(objectLabel(o))) };
}

/** The preview's line about them (a warning): they are not restored, and go with the old CRDs. */
export function describeLeftOut(leftOut: readonly string[], backupFile: string): string | undefined {
  if (leftOut.length === 0) return undefined;
  return `leaveOut: ${leftOut.length} object(s) of the backup are left out on purpose and not restored: ${leftOut.join(", ")}; ` +
    `they go with the old CRDs and stay only in ${backupFile}`;
}

/** The labels a describeLeftOut line names (the preview summary reads them back from the warnings). */
export function parseLeftOutLine(line: string): string[] | undefined {
  const m = /^leaveOut: \d+ object\(s\) of the backup are left out on purpose and not restored: (.*?); they go with the old CRDs/.exec(line);
  return m ? m[1].split(", ") : undefined;
}
