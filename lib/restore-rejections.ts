// Objects the API server rejects at restore time (pure): a rule of cert-manager 0.6.2's webhook the
// preflight does not know, or a schema. One rejected object must not hold back the others: its batch
// records it and succeeds, the batches after it run, and the restore's last step
// (components/restore-outcome.ts) fails the run naming each one, with the API's reason and the fix.
import { leaveOutCommand } from "./leave-out";
import { ObjectChange } from "./restore-batch";

/**
 * Answers about the object itself: the webhook's decoding (400) and validation (406, as
 * validation/webhooks/*.go set it) errors, a schema's 422. Retrying the same object cannot help.
 * Anything else (the webhook unreachable, 5xx, 403) still fails the batch: running again can help.
 */
export const REJECTION_STATUS: readonly number[] = [400, 406, 422];

export function isRejection(status: number | undefined): boolean {
  return status !== undefined && REJECTION_STATUS.includes(status);
}

/** Label → the API's reason, as a batch's state records the objects it could not apply. */
export type Rejections = Record<string, string>;

/**
 * What a batch update applies: the objects that changed, and those rejected last time that it still
 * holds (the same object again: the webhook may have changed, or the object may be fixed by now).
 */
export function labelsToApply(changes: Map<string, ObjectChange>, rejectedBefore: Rejections | undefined, news: Record<string, unknown> | undefined): string[] {
  const labels = [...changes].filter(([, c]) => c !== "remove").map(([label]) => label);
  for (const label of Object.keys(rejectedBefore ?? {})) if (news && label in news && !labels.includes(label)) labels.push(label);
  return labels;
}

/** Whether a batch must run again although its objects did not change: some were rejected last time. */
export function retriesRejected(rejectedBefore: Rejections | undefined, news: Record<string, unknown> | undefined): boolean {
  return Object.keys(rejectedBefore ?? {}).some((label) => news !== undefined && label in news);
}

/** Every batch's rejections in one map, in label order. */
export function mergeRejections(lists: Array<Rejections | undefined>): Rejections {
  const all: Rejections = {};
  for (const list of lists) Object.assign(all, list ?? {});
  return Object.fromEntries(Object.keys(all).sort().map((l) => [l, all[l]]));
}

/**
 * The run's failure when objects were rejected: a first line (what, that the rest is restored, what
 * to do), then one line per object with the API's reason and the command
 * that leaves it out. `leaveOutCount` is how many entries the stack's leaveOut has already.
 */
export function describeRejected(rejected: Rejections, leaveOutCount: number): string | undefined {
  const labels = Object.keys(rejected);
  if (labels.length === 0) return undefined;
  const lines = labels.map((label, i) => `  ${label}: ${rejected[label]} — \`${leaveOutCommand(label, leaveOutCount + i)}\``);
  return `restore incomplete: the API server rejected ${labels.length} object(s) of the backup; every other object of it is restored. ` +
    "Leave each one out of the restore (stack setting leaveOut; it goes with the old CRDs and stays only in the backup) with the command on its line, then run `pulumi up` again:\n" +
    lines.join("\n");
}

/**
 * What a batch adds to the record of restored objects: what it wrote and what it was asked to record
 * besides, except the objects the API server rejected. A rejected object is not in the cluster, so
 * it must stay unrecorded: the next run writes it again (once fixed or left out), never skips it.
 */
export function restoredLabels(inputs: { objects?: Record<string, unknown>; record?: string[] }, rejected: Rejections): string[] {
  const labels = new Set([...Object.keys(inputs.objects ?? {}), ...(inputs.record ?? [])]);
  return [...labels].filter((label) => !(label in rejected));
}
