// The summary of a `pulumi preview --json` that a reviewer reads in seconds (pure): the first error,
// destructive steps first, counts by type, the Secrets copied (names only), the objects restored,
// warnings. One parser (summarizePreview) returns a plain model; two renderers (Markdown for the pull
// request comment, plain text for the terminal). No Secret data ever reaches the model.
import { renderTable } from "./cli";
import { parseLeftOutLine } from "./leave-out";
import { RestorePlan, predictionWarnings, unknownWarnings } from "./plan";
import { isSecretCopyResourceName } from "./resource-names";
import { objectChanges, parseLabel } from "./restore-batch";

export const LEGACY_REMOVAL_TYPE = "pulumi-nodejs:dynamic:Resource";
export const LEGACY_REMOVAL_SUFFIX = "-delete-0.4-release";
export const SECRET_TYPE = "kubernetes:core/v1:Secret";
export const SECRET_COPY_PREFIX = "issuer-secrets-";
export const LEGACY_SECRET_CLEANUP_SUFFIX = "-delete-copied-sources";
export const RESTORED_TYPE_PREFIX = "kubernetes:certmanager.k8s.io/v1alpha1:";
/** components/metadata-renames.ts: the step that renames the TLS Secrets' and Ingresses' annotations (converting targets). */
export const METADATA_RENAMES_SUFFIX = "metadata-renames-apply";
export const RESTORED_KINDS = ["ClusterIssuer", "Issuer", "Certificate"] as const;
/** Pulumi's stand-in for a value not known until the update runs. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
/** How many restored objects are listed by name (the rest are counted). */
export const RESTORED_LISTED = 20;

/** Ops that delete or replace something that exists. */
const DESTRUCTIVE_OPS = new Set(["delete", "replace", "delete-replaced", "create-replacement", "discard", "discard-replaced", "import-replacement"]);
/** Ops of one replacement (several steps share a URN); shown once, as "replace". */
const REPLACE_OPS = new Set(["replace", "create-replacement", "delete-replaced", "import-replacement", "discard-replaced"]);
/** Ops that change nothing. */
const NO_CHANGE_OPS = new Set(["same", "read", "refresh"]);

export interface PreviewError {
  /** The first error diagnostic's first meaningful line. */
  message: string;
  /** Its other lines (stack-trace lines dropped), at most 20. */
  detail: string[];
  /** The resource it is about, when it names one other than the stack. */
  resource?: string;
  /** How many error diagnostics there were in all. */
  count: number;
}

export interface LegacyRemoval {
  op: string;
  name: string;
  summary?: string;
  willDelete: string[];
  objectsDeletedWithCrds?: number;
}

export interface LegacySecretCleanup {
  op: string;
  name: string;
  /** The legacy namespace the copied Secrets are deleted from. */
  namespace: string;
  /** Secret names it deletes there. */
  deletes: string[];
  /** Copied Secrets it keeps there, with what still uses them, or why that could not be checked. */
  keeps: Array<{ name: string; usedBy: string[]; notChecked?: string }>;
  /** What "still used" covers. */
  checked?: string;
}

export interface DestructiveItem {
  op: string;
  /** Kind and name as a reader knows them, e.g. "CustomResourceDefinition certificates.certmanager.k8s.io". */
  what: string;
  type: string;
  /** The Pulumi resource name (last URN segment). */
  resource: string;
  /** Why, where Pulumi says (replace reasons / changed properties). */
  reasons: string[];
}

export interface TypeCounts {
  type: string;
  create: number;
  update: number;
  delete: number;
  replace: number;
}

export interface SecretCopy {
  namespace: string;
  name: string;
  /** The source, from the copy's `cert-manager-upgrade/copied-from` annotation. */
  from?: string;
  op: string;
}

export interface RestoredObject {
  kind: string;
  namespace: string;
  name: string;
  /** "create", "update", "adopt" (exists already: replaced with the backup's values), "reapply" (restored earlier, written again as the stack asks), "import" (earlier versions). */
  op: string;
}

/** Resources that leave the Pulumi state while what they made stays in the cluster (retainOnDelete). */
export interface RetainedRemoval {
  /** "Certificate default/x", or the batch's resource name. */
  what: string;
  resource: string;
}

export interface PreviewSummary {
  error?: PreviewError;
  /** The removal of the 0.4 release, when this preview would run it. */
  legacyRemoval?: LegacyRemoval;
  /** The optional cleanup of the copied Secrets' sources, when this preview would run it. */
  legacySecretCleanup?: LegacySecretCleanup;
  /** Other destructive steps, in the preview's order (one per resource). */
  destructive: DestructiveItem[];
  counts: TypeCounts[];
  totals: Omit<TypeCounts, "type">;
  /** Resources that stay as they are. */
  unchanged: number;
  secretsCopied: SecretCopy[];
  secretsUnchanged: number;
  /** Every restored object that changes (renderers list the first RESTORED_LISTED). */
  restored: RestoredObject[];
  restoredByKind: Record<string, number>;
  restoredUnchanged: number;
  /** Labels of objects restored earlier (the record in the cluster): not written, not re-created if deleted. */
  restoredEarlier: string[];
  /**
   * Restored objects' resources of an earlier version (one per object) or batches that leave the
   * state: nothing is deleted in the cluster (they were made with retainOnDelete). Not destructive.
   */
  retainedRemovals: RetainedRemoval[];
  /** Objects of the backup the stack leaves out on purpose (setting leaveOut): not restored, gone with the old CRDs. */
  leftOut: string[];
  warnings: string[];
  /** The target's conversion as the program logs it (converting targets: `cert-manager v1.1.1: each issuer converted to cert-manager.io/v1:`). */
  conversion?: { version: string; apiVersion: string; lines: string[] };
  /** The TLS Secrets' and Ingresses' annotation renames the update makes before the target starts, one line per object. */
  metadataRenames?: { op: string; lines: string[] };
  /** The cert-manager version of the count line (`0.6.2`, `v1.1.1`). */
  reissuesBy?: string;
  /**
   * The re-issue prediction's count line (`2 certificates will be issued anew and 1 new ACME account
   * registered by cert-manager 0.6.2 (…)`, then `; 1 certificate may be issued (…)` when some depend on
   * what the backup cannot fix), when the preview's warnings carry one: shown right after the
   * destructive steps, as what the upgrade costs against Let's Encrypt's limits.
   */
  reissues?: string;
}

/**
 * The count line of the prediction as the plan's warnings carry it: lib/reissue-prediction.ts
 * describePrediction (`… registered by cert-manager 0.6.2 …`) or a target's
 * (lib/targets/v1.1.1/reissue.ts describePredictionV111: `… registered by cert-manager v1.1.1 …`).
 */
const REISSUE_COUNT_LINE = /^plan: (.* registered by cert-manager (0\.6\.2|v\d+\.\d+\.\d+)\b.*)$/;
/** index.ts's info line before a converting target's conversion lines. */
const CONVERSION_LINE = /^cert-manager (\S+): each issuer converted to (\S+):$/;

/**
 * The restore plan's warnings the preview summary adds to the program's own. For 0.6.2 the plan's
 * prediction is the program's. For a converting target the program warns with the target's
 * prediction (made with the TLS Secrets' annotations it read from the cluster), and 0.6.2's
 * prediction, which lib/plan.ts makes, would contradict it: left out.
 */
export function previewPlanWarnings(plan: RestorePlan, converts: boolean): string[] {
  const of062 = new Set(predictionWarnings(plan.prediction).map((w) => `${w.object}\u0000${w.message}`));
  const warnings = converts ? plan.warnings.filter((w) => !of062.has(`${w.object}\u0000${w.message}`)) : [...plan.warnings, ...unknownWarnings(plan.prediction)];
  return warnings.map((w) => `${w.object}: ${w.message}`);
}

export class PreviewJsonError extends Error {}

type Json = Record<string, unknown>;

function obj(v: unknown): Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : {};
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== "" ? v : undefined;
}

/** A value for display: Pulumi's unknown stand-in and secrets said as such. */
function shown(v: unknown): string | undefined {
  const s = str(v);
  if (s === UNKNOWN_VALUE) return "(known after apply)";
  return s;
}

/** The last `::` segment of a URN: the resource's name. */
export function urnName(urn: string): string {
  const i = urn.lastIndexOf("::");
  return i >= 0 ? urn.slice(i + 2) : urn;
}

/** The type from a URN (`...::PARENT$TYPE::NAME`). */
export function urnType(urn: string): string {
  const parts = urn.split("::");
  if (parts.length < 4) return "";
  const qualified = parts[parts.length - 2];
  return qualified.slice(qualified.lastIndexOf("$") + 1);
}

/** Removes colour directives and ANSI escapes from a diagnostic; a URN becomes its resource name. */
export function cleanMessage(message: string): string {
  return message
    .replace(/<\{%[^%]*%\}>/g, "")
    .replace(/urn:pulumi:[^\s"'`]+::[^\s"'`]+/g, (u) => urnName(u))
    // eslint-disable-next-line no-control-regex
    .replace(/\u001b\[[0-9;]*[A-Za-z]/g, "")
    .replace(/\r/g, "")
    .trim();
}

interface Step {
  op: string;
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  state: Json;
  inputs: Json;
  /** The inputs before this step (updates and sames), else {}. */
  oldInputs: Json;
  reasons: string[];
}

function readStep(raw: unknown): Step | undefined {
  const s = obj(raw);
  const newState = obj(s.newState);
  const oldState = obj(s.oldState);
  const state = Object.keys(newState).length ? newState : oldState;
  const urn = str(s.urn) ?? str(state.urn) ?? "";
  const op = str(s.op) ?? "unknown";
  if (!urn && Object.keys(state).length === 0) return undefined;
  const type = str(state.type) ?? urnType(urn);
  const inputs = Object.keys(obj(state.inputs)).length ? obj(state.inputs) : obj(state.outputs);
  const reasons = [
    ...(Array.isArray(s.replaceReasons) ? s.replaceReasons : []),
    ...(Array.isArray(s.diffReasons) ? s.diffReasons : []),
  ].filter((r): r is string => typeof r === "string");
  const oldInputs = Object.keys(newState).length && Object.keys(oldState).length ? obj(oldState.inputs) : {};
  return { op, urn, type, name: urnName(urn), custom: state.custom !== false, state, inputs, oldInputs, reasons: [...new Set(reasons)] };
}

/** `namespace/name` (or `name`) of a Kubernetes object from a step's inputs, else its resource name. */
function objectName(step: Step): { namespace: string; name: string } {
  const meta = obj(step.inputs.metadata);
  const outMeta = obj(obj(step.state.outputs).metadata);
  return {
    namespace: shown(meta.namespace) ?? shown(outMeta.namespace) ?? "",
    name: shown(meta.name) ?? shown(outMeta.name) ?? step.name,
  };
}

function kindOf(type: string): string {
  return type.slice(type.lastIndexOf(":") + 1) || type;
}

function describe(step: Step): string {
  if (step.type.startsWith("kubernetes:")) {
    const { namespace, name } = objectName(step);
    return `${kindOf(step.type)} ${namespace ? `${namespace}/` : ""}${name}`;
  }
  return `${kindOf(step.type)} ${step.name}`;
}

/** One op for a resource with several steps (a replacement's create-replacement/replace/delete-replaced). */
function mergedOp(ops: string[]): string {
  if (ops.some((o) => REPLACE_OPS.has(o))) return "replace";
  return ops.find((o) => !NO_CHANGE_OPS.has(o)) ?? ops[0];
}

function isLegacyRemoval(step: Step): boolean {
  return step.type === LEGACY_REMOVAL_TYPE && step.name.endsWith(LEGACY_REMOVAL_SUFFIX);
}

/** Why the cleanup keeps a Secret: what uses it, and what could not be checked. */
function keptBecause(k: LegacySecretCleanup["keeps"][number]): string {
  return [k.usedBy.length > 0 ? `still used by ${k.usedBy.join(", ")}` : "", k.notChecked ? `not checked (${k.notChecked})` : ""].filter(Boolean).join("; ");
}

function isLegacySecretCleanup(step: Step): boolean {
  return step.type === LEGACY_REMOVAL_TYPE && step.name.endsWith(LEGACY_SECRET_CLEANUP_SUFFIX);
}

/** A batch of restored objects (components/restored-batch.ts): a dynamic resource whose inputs carry them by label. */
export function isRestoredBatch(step: { type: string; inputs: Json }): boolean {
  return step.type === LEGACY_REMOVAL_TYPE && typeof step.inputs.batch === "string" && typeof step.inputs.objects === "object" && step.inputs.objects !== null;
}

/** Deleted from the state only: the resource was made with retainOnDelete, so the cluster keeps what it made. */
function isRetained(step: Step): boolean {
  return step.state.retainOnDelete === true;
}

function isRestoredObjectStep(step: Step): boolean {
  return step.type.startsWith(RESTORED_TYPE_PREFIX) && (RESTORED_KINDS as readonly string[]).includes(kindOf(step.type));
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function isStackOrComponent(step: Step): boolean {
  return !step.custom || step.type === "pulumi:pulumi:Stack" || step.type.startsWith("pulumi:providers:");
}

function firstError(diagnostics: Json[]): PreviewError | undefined {
  const errors = diagnostics.filter((d) => d.severity === "error");
  if (errors.length === 0) return undefined;
  const d = errors[0];
  const lines = cleanMessage(str(d.message) ?? "").split("\n").map((l) => l.trimEnd()).filter((l) => l.trim() !== "");
  const meaningful = lines.filter((l) => !/^\s+at /.test(l));
  let message = meaningful[0] ?? "the preview failed (no message)";
  let rest = meaningful.slice(1);
  // "Running program '…' failed with an unhandled exception:" says little without the next line.
  if (message.endsWith(":") && rest.length) {
    message = `${message} ${rest[0].trim()}`;
    rest = rest.slice(1);
  }
  message = message.replace(/^error: /, "");
  const urn = str(d.urn);
  const resource = urn && urnType(urn) !== "pulumi:pulumi:Stack" ? urnName(urn) : undefined;
  return { message, detail: rest.slice(0, 20), resource, count: errors.length };
}

/**
 * Reads `pulumi preview --json` output (parsed or as text) and the restore plan's warnings into a
 * plain model. Tolerates missing fields; never copies a Secret's data, stringData or their keys.
 */
export function summarizePreview(json: unknown, planWarnings: string[] = []): PreviewSummary {
  let doc: unknown = json;
  if (typeof json === "string") {
    try {
      doc = JSON.parse(json);
    } catch (err) {
      throw new PreviewJsonError(`pulumi preview --json did not print JSON: ${(err as Error).message.split("\n")[0]}`);
    }
  }
  const root = obj(doc);
  const steps = (Array.isArray(root.steps) ? root.steps : []).map(readStep).filter((s): s is Step => s !== undefined);
  const diagnostics = (Array.isArray(root.diagnostics) ? root.diagnostics : []).map(obj);

  // Group steps by resource, in the preview's order.
  const byUrn = new Map<string, Step[]>();
  for (const step of steps) {
    const key = step.urn || `${step.type}::${step.name}`;
    const list = byUrn.get(key);
    if (list) list.push(step);
    else byUrn.set(key, [step]);
  }

  const summary: PreviewSummary = {
    destructive: [],
    counts: [],
    totals: { create: 0, update: 0, delete: 0, replace: 0 },
    unchanged: 0,
    secretsCopied: [],
    secretsUnchanged: 0,
    restored: [],
    restoredByKind: {},
    restoredUnchanged: 0,
    restoredEarlier: [],
    retainedRemovals: [],
    leftOut: [],
    warnings: [],
  };
  const counts = new Map<string, TypeCounts>();

  for (const group of byUrn.values()) {
    const step = group.find((s) => s.op === "replace") ?? group.find((s) => Object.keys(s.inputs).length > 0) ?? group[0];
    const op = mergedOp(group.map((s) => s.op));
    const reasons = [...new Set(group.flatMap((s) => s.reasons))];

    if (isLegacyRemoval(step)) {
      if (!NO_CHANGE_OPS.has(op)) {
        const willDelete = Array.isArray(step.inputs.willDelete) ? step.inputs.willDelete.filter((w): w is string => typeof w === "string") : [];
        const count = step.inputs.objectsDeletedWithCrds;
        summary.legacyRemoval = {
          op,
          name: step.name,
          summary: shown(step.inputs.summary),
          willDelete,
          objectsDeletedWithCrds: typeof count === "number" ? count : undefined,
        };
      }
    } else if (isLegacySecretCleanup(step)) {
      if (!NO_CHANGE_OPS.has(op)) {
        // Names only: the step's inputs hold no Secret data.
        summary.legacySecretCleanup = {
          op,
          name: step.name,
          namespace: shown(step.inputs.namespace) ?? "?",
          deletes: strings(step.inputs.names),
          keeps: (Array.isArray(step.inputs.kept) ? step.inputs.kept : []).map(obj)
            .filter((k) => typeof k.name === "string")
            .map((k) => ({ name: k.name as string, usedBy: strings(k.usedBy), ...(typeof k.notChecked === "string" ? { notChecked: k.notChecked } : {}) })),
          ...(typeof step.inputs.checked === "string" ? { checked: step.inputs.checked } : {}),
        };
      }
    } else if ((op === "delete" || op === "discard") && isRetained(step) && (isRestoredObjectStep(step) || isRestoredBatch(step))) {
      // An earlier version's per-object resource, or a batch no longer needed: leaves the state, the object stays.
      summary.retainedRemovals.push({ what: isRestoredBatch(step) ? `batch ${step.name} (${plural(Object.keys(obj(step.inputs.objects)).length, "object")})` : describe(step), resource: step.name });
    } else if (!isStackOrComponent(step)) {
      const isCrd = kindOf(step.type) === "CustomResourceDefinition";
      if (group.some((s) => DESTRUCTIVE_OPS.has(s.op)) || (isCrd && !NO_CHANGE_OPS.has(op))) {
        summary.destructive.push({ op, what: describe(step), type: step.type, resource: step.name, reasons });
      }
    }

    if (!isStackOrComponent(step)) {
      if (op === "create" || op === "update" || op === "delete" || op === "replace") {
        let c = counts.get(step.type);
        if (!c) counts.set(step.type, (c = { type: step.type, create: 0, update: 0, delete: 0, replace: 0 }));
        c[op]++;
        summary.totals[op]++;
      } else if (op === "same") {
        summary.unchanged++;
      }
    }

    if (step.type === SECRET_TYPE && isSecretCopyResourceName(step.name, SECRET_COPY_PREFIX.slice(0, -1)) && op !== "read") {
      if (op === "same") summary.secretsUnchanged++;
      else if (!NO_CHANGE_OPS.has(op) && op !== "delete") {
        // Only metadata is read: never data, stringData or their keys.
        const { namespace, name } = objectName(step);
        const annotations = obj(obj(step.inputs.metadata).annotations);
        summary.secretsCopied.push({ namespace, name, from: shown(annotations["cert-manager-upgrade/copied-from"]), op });
      }
    }

    if (step.type === LEGACY_REMOVAL_TYPE && step.name.endsWith(METADATA_RENAMES_SUFFIX) && !NO_CHANGE_OPS.has(op) && op !== "delete") {
      summary.metadataRenames = { op, lines: strings(step.inputs.summary) };
    }

    if (isRestoredBatch(step) && op !== "delete" && op !== "discard") {
      const objects = obj(step.inputs.objects);
      const adopted = new Set(strings(step.inputs.adopted));
      // A create applies every object; an update those that differ from what the batch last applied (or a refresh read).
      const changes = op === "create" || op === "replace" ? new Map(Object.keys(objects).map((l) => [l, "add"])) : op === "update"
        ? objectChanges(obj(step.oldInputs.objects), objects) : new Map<string, string>();
      // An update writes what `reapply` names whether or not it differs (components/restored-batch.ts).
      if (op === "update") for (const label of strings(step.inputs.reapply)) if (label in objects) changes.set(label, "reapply");
      summary.restoredEarlier.push(...strings(step.inputs.leftAsTheyAre));
      for (const label of Object.keys(objects)) {
        const change = changes.get(label);
        if (!change) {
          summary.restoredUnchanged++;
          continue;
        }
        const { kind, namespace, name } = parseLabel(label);
        summary.restored.push({ kind, namespace, name, op: change === "reapply" ? "reapply" : adopted.has(label) ? "adopt" : change === "add" ? "create" : "update" });
      }
    }

    if (isRestoredObjectStep(step)) {
      if (op === "same") summary.restoredUnchanged++;
      else if (!NO_CHANGE_OPS.has(op) && op !== "delete") {
        const { namespace, name } = objectName(step);
        summary.restored.push({ kind: kindOf(step.type), namespace, name, op });
      }
    }
  }

  const kindRank = (k: string): number => (RESTORED_KINDS as readonly string[]).indexOf(k);
  summary.restored.sort((a, b) => kindRank(a.kind) - kindRank(b.kind));
  for (const r of summary.restored) summary.restoredByKind[r.kind] = (summary.restoredByKind[r.kind] ?? 0) + 1;
  summary.counts = [...counts.values()].sort((a, b) => a.type.localeCompare(b.type));

  summary.error = firstError(diagnostics);
  const warnings = [
    ...diagnostics.filter((d) => d.severity === "warning").map((d) => cleanMessage(str(d.message) ?? "").replace(/^warning: /, "")),
    ...planWarnings.map((w) => cleanMessage(w)),
  ].filter((w) => w !== "");
  summary.warnings = [...new Set(warnings)];
  summary.leftOut = [...new Set(summary.warnings.flatMap((w) => parseLeftOutLine(w) ?? []))];
  for (const d of diagnostics.filter((x) => x.severity === "info")) {
    const lines = cleanMessage(str(d.message) ?? "").split("\n");
    const head = CONVERSION_LINE.exec(lines[0]);
    if (head) summary.conversion = { version: head[1], apiVersion: head[2], lines: lines.slice(1).filter((l) => l.trim() !== "") };
  }
  // A converting target's count line, not another version's (a plan that still carries 0.6.2's).
  const countLines = summary.warnings.map((w) => REISSUE_COUNT_LINE.exec(w)).filter((m): m is RegExpExecArray => m !== null);
  const countLine = countLines.find((m) => !summary.conversion || m[2] === summary.conversion.version);
  if (countLine) {
    summary.reissues = countLine[1];
    summary.reissuesBy = countLine[2];
  }
  return summary;
}

/** Destructive steps in all: the removal (when it deletes something) and the rest. */
export function destructiveCount(model: PreviewSummary): number {
  return model.destructive.length + (model.legacyRemoval && model.legacyRemoval.willDelete.length > 0 ? 1 : 0) +
    (model.legacySecretCleanup && model.legacySecretCleanup.deletes.length > 0 ? 1 : 0);
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function restoredLabel(o: { kind: string; namespace: string; name: string; op?: string }): string {
  const note = o.op === "adopt" ? "exists: adopted, not duplicated" : o.op === "reapply" ? "restored earlier, written again from the backup: reapply" : o.op;
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name}${o.op && o.op !== "create" ? ` (${note})` : ""}`;
}

/** The objects restored earlier, one line: how many, the first few by label. */
export function restoredEarlierSentence(model: PreviewSummary): string | undefined {
  const n = model.restoredEarlier.length;
  if (n === 0) return undefined;
  const shown = model.restoredEarlier.slice(0, RESTORED_LISTED).join(", ");
  return `restored earlier: left as they are (${plural(n, "object")}; not written, not re-created if deleted; the stack's reapply writes one again): ${shown}${n > RESTORED_LISTED ? ` and ${n - RESTORED_LISTED} more` : ""}`;
}

const LEFT_OUT_SENTENCE = "the stack setting leaveOut names them: they are not restored, and they go with the old CRDs (the backup keeps them).";

/** One plain sentence on resources that leave the state while the cluster keeps their objects. */
export function retainedSentence(model: PreviewSummary): string | undefined {
  const n = model.retainedRemovals.length;
  if (n === 0) return undefined;
  return `${plural(n, "resource")} of restored objects ${n === 1 ? "leaves" : "leave"} the Pulumi state (an earlier version of this program made one per object; now batches restore them): ` +
    "nothing is deleted in the cluster (they were made with retainOnDelete), and each object stays as it is unless listed above as restored.";
}

function kindCounts(model: PreviewSummary): string {
  return RESTORED_KINDS.filter((k) => model.restoredByKind[k]).map((k) => plural(model.restoredByKind[k], k)).join(", ");
}

/** One sentence: failed, or what is destructive, or nothing is. */
export function headline(model: PreviewSummary): string {
  if (model.error) return "The preview FAILED: nothing can be applied until the error below is fixed.";
  const parts: string[] = [];
  const removal = model.legacyRemoval;
  if (removal && removal.willDelete.length) parts.push(`removes the cert-manager 0.4 release (${plural(removal.willDelete.length, "object")})`);
  const cleanup = model.legacySecretCleanup;
  if (cleanup && cleanup.deletes.length) parts.push(`deletes ${plural(cleanup.deletes.length, "copied Secret")} from ${cleanup.namespace}`);
  const ops = (wanted: (d: DestructiveItem) => boolean): number => model.destructive.filter(wanted).length;
  const crds = ops((d) => d.type.endsWith(":CustomResourceDefinition"));
  const deletes = ops((d) => !d.type.endsWith(":CustomResourceDefinition") && (d.op === "delete" || d.op === "discard"));
  const replaces = ops((d) => !d.type.endsWith(":CustomResourceDefinition") && d.op === "replace");
  if (crds) parts.push(`changes ${plural(crds, "CRD")}`);
  if (deletes) parts.push(`deletes ${plural(deletes, "resource")}`);
  if (replaces) parts.push(`replaces ${plural(replaces, "resource")}`);
  const other = model.destructive.length - crds - deletes - replaces;
  if (other) parts.push(`${plural(other, "other destructive step")}`);
  if (parts.length === 0) return "No destructive steps.";
  return `Destructive: ${parts.join(", ")}. Read the steps below before merging.`;
}

// ---------------------------------------------------------------- Markdown

/** The hidden first line by which the workflow finds its comment for a stack. */
export function markdownMarker(stack: string): string {
  return `<!-- cert-manager-upgrade-preview:${stack} -->`;
}

/** GitHub's limit for a comment is 65,536 characters; stay well below it. */
const MARKDOWN_LIMIT = 60_000;
/** Lists longer than this fold into <details>. */
const FOLD_AFTER = 10;
/** Lists longer than this are cut, with the rest counted. */
const LIST_LIMIT = 200;

function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|#~]/g, (c) => `\\${c}`).replace(/\n/g, " ");
}

function mdCode(s: string, inTable = false): string {
  const text = (inTable ? s.replace(/\|/g, "\\|") : s).replace(/\n/g, " ");
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${fence}${pad}${text}${pad}${fence}`;
}

function mdFence(lines: string[]): string[] {
  const text = lines.join("\n");
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  const fence = "`".repeat(longest + 1);
  return [`${fence}text`, text, fence];
}

function mdTable(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}

/** A list, folded into <details> when long, cut at LIST_LIMIT with the rest counted. */
function mdList(items: string[], summary: string): string[] {
  const shownItems = items.slice(0, LIST_LIMIT).map((i) => `- ${i}`);
  if (items.length > LIST_LIMIT) shownItems.push(`- … and ${items.length - LIST_LIMIT} more`);
  if (items.length <= FOLD_AFTER) return shownItems;
  return ["<details>", `<summary>${summary}</summary>`, "", ...shownItems, "", "</details>"];
}

function mdFolded(lines: string[], count: number, summary: string): string[] {
  if (count <= FOLD_AFTER) return lines;
  return ["<details>", `<summary>${summary}</summary>`, "", ...lines, "", "</details>"];
}

/** The pull request comment: marker first, then error, destructive steps, counts, Secrets, restores, warnings. */
export function renderMarkdown(model: PreviewSummary, stack: string): string {
  const out: string[] = [markdownMarker(stack), `## cert-manager upgrade preview: ${mdCode(stack)}`, ""];
  const n = destructiveCount(model);
  out.push(`**${model.error ? "❌" : n > 0 ? "⚠️" : "✅"} ${mdText(headline(model))}**`, "");

  if (model.error) {
    out.push("### ❌ Error", "");
    if (model.error.resource) out.push(`On ${mdCode(model.error.resource)}:`, "");
    out.push(...mdFence([model.error.message, ...model.error.detail]));
    if (model.error.count > 1) out.push("", `(${plural(model.error.count - 1, "more error")} after this one: see the workflow log.)`);
    out.push("");
  }

  out.push(`### ⚠️ Destructive steps (${n})`, "");
  if (n === 0 && !model.legacyRemoval) out.push("None: nothing is deleted or replaced.", "");
  const removal = model.legacyRemoval;
  if (removal) {
    const op = removal.op === "create" ? "" : `, ${removal.op}`;
    out.push(`**Removal of the cert-manager 0.4 release** (${mdCode(removal.name)}${op})${removal.summary ? `: ${mdText(removal.summary)}` : ""}`, "");
    if (removal.willDelete.length) {
      out.push(...mdList(removal.willDelete.map((w) => mdCode(w)), `It deletes ${plural(removal.willDelete.length, "object")}`));
      if (removal.objectsDeletedWithCrds !== undefined && !removal.summary) {
        out.push("", `Deleting the old CRDs also deletes ${plural(removal.objectsDeletedWithCrds, "Issuer, ClusterIssuer or Certificate", "Issuers, ClusterIssuers and Certificates")}; they are restored below from the backup.`);
      }
      out.push("");
    }
  }
  const cleanup = model.legacySecretCleanup;
  if (cleanup) {
    const op = cleanup.op === "create" ? "" : `, ${cleanup.op}`;
    out.push(`**Cleanup of the copied Secrets in ${mdText(cleanup.namespace)}** (${mdCode(cleanup.name)}${op}): deletes ${cleanup.deletes.length}, keeps ${cleanup.keeps.length}`, "");
    const items = [
      ...cleanup.deletes.map((n) => `deletes ${mdCode(`${cleanup.namespace}/${n}`)}`),
      ...cleanup.keeps.map((k) => `keeps ${mdCode(`${cleanup.namespace}/${k.name}`)}: ${mdText(keptBecause(k))}`),
    ];
    if (items.length) out.push(...mdList(items, plural(items.length, "Secret")), "");
    if (cleanup.checked) out.push(`"Still used" covers ${mdText(cleanup.checked)}.`, "");
  }
  if (model.destructive.length) {
    const rows = model.destructive.slice(0, LIST_LIMIT).map((d) => [
      `**${d.op}**`,
      mdCode(d.what, true),
      mdCode(d.resource, true),
      d.reasons.length ? mdText(d.reasons.join(", ")) : "",
    ]);
    if (model.destructive.length > LIST_LIMIT) rows.push(["…", `and ${model.destructive.length - LIST_LIMIT} more`, "", ""]);
    out.push(...mdFolded(mdTable(["Operation", "What", "Pulumi resource", "Why"], rows), model.destructive.length, `${plural(model.destructive.length, "step")}`), "");
  }

  if (model.reissues) out.push(`**Re-issues by cert-manager ${mdText(model.reissuesBy ?? "0.6.2")}:** ${mdText(model.reissues)} (each is named under Warnings).`, "");
  if (model.conversion) {
    out.push(`### Conversion to ${mdCode(model.conversion.apiVersion)} (cert-manager ${mdText(model.conversion.version)})`, "");
    const issuers = model.conversion.lines.filter((l) => !/^\s/.test(l)).length;
    out.push(...mdFolded(mdFence(model.conversion.lines), issuers, `What each of the ${plural(issuers, "issuer")} was and becomes`), "");
  }
  if (model.metadataRenames) {
    out.push(`### Annotations renamed before ${model.conversion ? `cert-manager ${mdText(model.conversion.version)}` : "the new cert-manager"} starts (${model.metadataRenames.lines.length})`, "");
    out.push(...mdList(model.metadataRenames.lines.map(mdText), plural(model.metadataRenames.lines.length, "object")), "");
  }
  out.push("### Changes by type", "");
  if (model.counts.length === 0) {
    out.push(`No changes${model.unchanged ? ` (${plural(model.unchanged, "resource")} unchanged)` : ""}.`, "");
  } else {
    const cell = (v: number): string => (v ? String(v) : "");
    const rows = model.counts.map((c) => [mdCode(c.type, true), cell(c.create), cell(c.update), cell(c.delete), cell(c.replace)]);
    const t = model.totals;
    rows.push(["**Total**", `**${t.create}**`, `**${t.update}**`, `**${t.delete}**`, `**${t.replace}**`]);
    out.push(...mdTable(["Type", "Create", "Update", "Delete", "Replace"], rows));
    if (model.unchanged) out.push("", `${plural(model.unchanged, "resource")} unchanged.`);
    out.push("");
  }

  out.push(`### Secrets copied (${model.secretsCopied.length}, names only)`, "");
  if (model.secretsCopied.length === 0) {
    out.push(`None${model.secretsUnchanged ? ` (${plural(model.secretsUnchanged, "copy", "copies")} already in place)` : ""}.`, "");
  } else {
    const rows = model.secretsCopied.map((s) => [mdCode(s.from ?? "?", true), mdCode(`${s.namespace ? `${s.namespace}/` : ""}${s.name}`, true), s.op]);
    out.push(...mdFolded(mdTable(["From", "To", "Operation"], rows), rows.length, `${plural(rows.length, "Secret")}`));
    if (model.secretsUnchanged) out.push("", `${plural(model.secretsUnchanged, "copy", "copies")} already in place.`);
    out.push("");
  }

  out.push(`### Objects restored (${model.restored.length})`, "");
  if (model.restored.length === 0) {
    out.push(`None${model.restoredUnchanged ? ` (${plural(model.restoredUnchanged, "object")} already restored)` : ""}.`, "");
  } else {
    out.push(`${kindCounts(model)}${model.restoredUnchanged ? `; ${plural(model.restoredUnchanged, "object")} already restored` : ""}.`, "");
    const items = model.restored.slice(0, RESTORED_LISTED).map((r) => mdCode(restoredLabel(r)));
    if (model.restored.length > RESTORED_LISTED) items.push(`and ${model.restored.length - RESTORED_LISTED} more`);
    out.push(...mdList(items, `The first ${Math.min(RESTORED_LISTED, model.restored.length)} objects`), "");
  }
  const earlier = restoredEarlierSentence(model);
  if (earlier) out.push(`${earlier[0].toUpperCase()}${earlier.slice(1)}.`, "");
  const retained = retainedSentence(model);
  if (retained) {
    out.push(mdText(retained), "");
    const items = model.retainedRemovals.slice(0, RESTORED_LISTED).map((r) => mdCode(r.what));
    if (model.retainedRemovals.length > RESTORED_LISTED) items.push(`and ${model.retainedRemovals.length - RESTORED_LISTED} more`);
    out.push(...mdList(items, `The first ${Math.min(RESTORED_LISTED, model.retainedRemovals.length)} leaving the state`), "");
  }

  if (model.leftOut.length) {
    out.push(`### Left out on purpose (${model.leftOut.length})`, "", `${mdText(LEFT_OUT_SENTENCE)}`, "");
    out.push(...mdList(model.leftOut.map((l) => mdCode(l)), plural(model.leftOut.length, "object")), "");
  }

  out.push(`### Warnings (${model.warnings.length})`, "");
  if (model.warnings.length === 0) out.push("None.", "");
  else out.push(...mdList(model.warnings.map(mdText), plural(model.warnings.length, "warning")), "");

  let text = out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd() + "\n";
  if (text.length > MARKDOWN_LIMIT) {
    text = text.slice(0, text.lastIndexOf("\n", MARKDOWN_LIMIT));
    const open = (text.match(/<details>/g) ?? []).length - (text.match(/<\/details>/g) ?? []).length;
    text += "\n\n" + "</details>\n\n".repeat(Math.max(0, open)) + "**… cut here: the full summary is in the workflow log.**\n";
  }
  return text;
}

// ---------------------------------------------------------------- plain text

/** The terminal's version: the same sections in the same order. */
export function renderText(model: PreviewSummary, stack: string): string {
  const out: string[] = [`cert-manager upgrade preview of stack ${stack}: ${headline(model)}`, ""];
  if (model.error) {
    out.push(`ERROR${model.error.resource ? ` (${model.error.resource})` : ""}: ${model.error.message}`);
    for (const line of model.error.detail) out.push(`  ${line}`);
    if (model.error.count > 1) out.push(`  (${plural(model.error.count - 1, "more error")} after this one)`);
    out.push("");
  }

  const n = destructiveCount(model);
  out.push(`DESTRUCTIVE STEPS (${n}):`);
  if (n === 0 && !model.legacyRemoval) out.push("  none: nothing is deleted or replaced");
  const removal = model.legacyRemoval;
  if (removal) {
    out.push(`  REMOVAL of the cert-manager 0.4 release (${removal.name}${removal.op === "create" ? "" : `, ${removal.op}`}): ${removal.summary ?? `deletes ${plural(removal.willDelete.length, "object")}`}`);
    for (const w of removal.willDelete.slice(0, LIST_LIMIT)) out.push(`    - ${w}`);
    if (removal.willDelete.length > LIST_LIMIT) out.push(`    … and ${removal.willDelete.length - LIST_LIMIT} more`);
  }
  const cleanup = model.legacySecretCleanup;
  if (cleanup) {
    out.push(`  CLEANUP of the copied Secrets in ${cleanup.namespace} (${cleanup.name}${cleanup.op === "create" ? "" : `, ${cleanup.op}`}): deletes ${cleanup.deletes.length}, keeps ${cleanup.keeps.length}`);
    for (const n of cleanup.deletes.slice(0, LIST_LIMIT)) out.push(`    - deletes ${cleanup.namespace}/${n}`);
    if (cleanup.deletes.length > LIST_LIMIT) out.push(`    … and ${cleanup.deletes.length - LIST_LIMIT} more`);
    for (const k of cleanup.keeps) out.push(`    - keeps ${cleanup.namespace}/${k.name}: ${keptBecause(k)}`);
    if (cleanup.checked) out.push(`    "still used" covers ${cleanup.checked}`);
  }
  if (model.destructive.length) {
    const rows = model.destructive.map((d) => [d.op.toUpperCase(), d.what, d.resource, d.reasons.join(", ")]);
    out.push(...renderTable(["OP", "WHAT", "RESOURCE", "WHY"], rows).trimEnd().split("\n").map((l) => `  ${l}`));
  }
  out.push("");

  if (model.reissues) out.push(`RE-ISSUES BY CERT-MANAGER ${model.reissuesBy ?? "0.6.2"}: ${model.reissues} (each named under WARNINGS)`, "");
  if (model.conversion) {
    out.push(`CONVERSION TO ${model.conversion.apiVersion} (cert-manager ${model.conversion.version}), what each issuer was and becomes:`);
    for (const l of model.conversion.lines) out.push(`  ${l}`);
    out.push("");
  }
  if (model.metadataRenames) {
    out.push(`ANNOTATIONS RENAMED BEFORE ${model.conversion ? `CERT-MANAGER ${model.conversion.version}` : "THE NEW CERT-MANAGER"} STARTS (${model.metadataRenames.lines.length}, ${model.metadataRenames.op}):`);
    if (model.metadataRenames.lines.length === 0) out.push("  none");
    for (const l of model.metadataRenames.lines) out.push(`  ${l}`);
    out.push("");
  }
  out.push("CHANGES BY TYPE:");
  if (model.counts.length === 0) out.push("  none");
  else {
    const cell = (v: number): string => (v ? String(v) : "-");
    const rows = model.counts.map((c) => [c.type, cell(c.create), cell(c.update), cell(c.delete), cell(c.replace)]);
    const t = model.totals;
    rows.push(["TOTAL", String(t.create), String(t.update), String(t.delete), String(t.replace)]);
    out.push(...renderTable(["TYPE", "CREATE", "UPDATE", "DELETE", "REPLACE"], rows).trimEnd().split("\n").map((l) => `  ${l}`));
  }
  if (model.unchanged) out.push(`  (${plural(model.unchanged, "resource")} unchanged)`);
  out.push("");

  out.push(`SECRETS COPIED (${model.secretsCopied.length}, names only):`);
  if (model.secretsCopied.length === 0) out.push("  none");
  for (const s of model.secretsCopied) out.push(`  ${s.from ?? "?"} -> ${s.namespace ? `${s.namespace}/` : ""}${s.name} (${s.op})`);
  if (model.secretsUnchanged) out.push(`  (${plural(model.secretsUnchanged, "copy", "copies")} already in place)`);
  out.push("");

  out.push(`OBJECTS RESTORED (${model.restored.length}${model.restored.length ? `: ${kindCounts(model)}` : ""}):`);
  if (model.restored.length === 0) out.push("  none");
  for (const r of model.restored.slice(0, RESTORED_LISTED)) out.push(`  ${restoredLabel(r)}`);
  if (model.restored.length > RESTORED_LISTED) out.push(`  and ${model.restored.length - RESTORED_LISTED} more`);
  if (model.restoredUnchanged) out.push(`  (${plural(model.restoredUnchanged, "object")} already restored)`);
  const earlier = restoredEarlierSentence(model);
  if (earlier) out.push(`  ${earlier}`);
  const retained = retainedSentence(model);
  if (retained) {
    out.push(`  ${retained}`);
    for (const r of model.retainedRemovals.slice(0, RESTORED_LISTED)) out.push(`    - ${r.what}`);
    if (model.retainedRemovals.length > RESTORED_LISTED) out.push(`    and ${model.retainedRemovals.length - RESTORED_LISTED} more`);
  }
  out.push("");

  if (model.leftOut.length) {
    out.push(`LEFT OUT ON PURPOSE (${model.leftOut.length}): ${LEFT_OUT_SENTENCE}`);
    for (const l of model.leftOut) out.push(`  ${l}`);
    out.push("");
  }

  out.push(`WARNINGS (${model.warnings.length}):`);
  if (model.warnings.length === 0) out.push("  none");
  for (const w of model.warnings) out.push(`  - ${w.replace(/\n/g, " ")}`);
  return out.join("\n") + "\n";
}
