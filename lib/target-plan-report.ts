// `npm run plan -- --target VERSION` for a converting target (pure): the backup's objects as the
// target restores them (lib/targets/index.ts planForTarget), the TLS Secrets' annotations as the
// target's controller will see them when the backup records them, and the report in text and JSON.
// The default target (0.6.2) keeps scripts/plan.ts's own output and lib/plan.ts planToJson.
import { renderTable } from "./cli";
import { RestorePlan } from "./plan";
import { TargetPlan, TargetWiring, describeFinding, planForTarget } from "./targets";
import type { ObjectMetadataView, TargetFinding, TargetPrediction, TargetReissue } from "./targets/target";
import { describePredictionV111 } from "./targets/v1.1.1";
import { BackupMeta, BackupObject, Problem, RESTORE_KINDS } from "./types";

export interface TlsSecretAnnotations {
  /** Whether the backup records the TLS Secrets' annotations (backups taken before it did: not). */
  recorded: boolean;
  /** The TLS Secrets' metadata after the target's renames, keyed "namespace/name"; undefined when not recorded. */
  renamed?: Map<string, ObjectMetadataView>;
  /** Per Secret that the renames change: "Secret ns/name: annotation a → b, ...". */
  changes: string[];
  /** Old and new annotation that disagree: the program's preview stops on them. */
  refusals: TargetFinding[];
}

/** The TLS Secrets' annotations as the backup records them, renamed as the target renames them before its controller starts. */
export function tlsSecretAnnotationsFromBackup(wiring: TargetWiring, meta: BackupMeta | undefined): TlsSecretAnnotations {
  const records = (meta?.tlsCertificates ?? []).filter((r) => r.annotations !== undefined);
  if (records.length === 0) return { recorded: false, changes: [], refusals: [] };
  const renamed = new Map<string, ObjectMetadataView>();
  const changes: string[] = [];
  const refusals: TargetFinding[] = [];
  for (const r of records) {
    const key = `${r.namespace}/${r.secretName}`;
    if (renamed.has(key)) continue; // a Secret several Certificates name: renamed once
    const result = wiring.knowledge.renameSecretMetadata({ namespace: r.namespace, name: r.secretName, annotations: r.annotations });
    renamed.set(key, result.metadata);
    if (result.changes.length) changes.push(`Secret ${key}: ${result.changes.join(", ")}`);
    refusals.push(...result.refusals);
  }
  return { recorded: true, renamed, changes, refusals };
}

export interface TargetPlanReport {
  version: string;
  /** group/version of the restored kinds, e.g. cert-manager.io/v1. */
  apiVersion: string;
  targetPlan: TargetPlan;
  annotations: TlsSecretAnnotations;
  /** Conversion refusals, the target's validation findings, and annotation conflicts: each stops the upgrade. */
  findings: TargetFinding[];
  /** How many objects of each kind are restored in the target's form. */
  counts: Record<string, number>;
  prediction: TargetPrediction;
  /** The prediction's count line. */
  predictionLine: string;
  valid: boolean;
}

export function buildTargetPlanReport(wiring: TargetWiring, plan: RestorePlan, objects: BackupObject[], facts: {
  meta?: BackupMeta; now?: Date; legacyNamespace: string; accountKeysNotCopied?: string[]; renewalMarginMs?: number;
}): TargetPlanReport {
  const annotations = tlsSecretAnnotationsFromBackup(wiring, facts.meta);
  const targetPlan = planForTarget(wiring, plan, objects, { ...facts, tlsSecretMetadata: annotations.renamed });
  const prediction = targetPlan.prediction ?? { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] };
  const counts: Record<string, number> = {};
  for (const item of targetPlan.plan.restore) {
    const key = item.kind;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  const findings = [...targetPlan.refusals, ...annotations.refusals];
  return {
    version: wiring.version,
    apiVersion: wiring.knowledge.crdGroups.certmanager,
    targetPlan,
    annotations,
    findings,
    counts,
    prediction,
    predictionLine: wiring.version === "v1.1.1" ? describePredictionV111(prediction) : `${prediction.reissues.length} re-issue(s) predicted for cert-manager ${wiring.version}`,
    valid: targetPlan.plan.valid && findings.length === 0,
  };
}

function countsLine(counts: Record<string, number>): string {
  const parts = RESTORE_KINDS.filter((k) => counts[k]).map((k) => `${counts[k]} ${k}${counts[k] === 1 ? "" : "s"}`);
  return parts.length ? parts.join(", ") : "none";
}

const ANNOTATIONS_NOT_RECORDED = "the backup does not record the TLS Secrets' annotations (taken before `npm run backup` recorded them): whether v1.1.1 takes a Secret for another issuer's cannot be told from it; take the backup again, or read the preview, which reads them from the cluster";

function problemLines(problems: Problem[]): string[] {
  return problems.map((p) => `  ${p.object}: ${p.message}`);
}

/** The plan in text, for a converting target. */
export function renderTargetPlan(report: TargetPlanReport): string {
  const { targetPlan, annotations } = report;
  const plan = targetPlan.plan;
  const out: string[] = [];
  out.push(`Target cert-manager ${report.version}: the backup's objects converted to ${report.apiVersion}`);
  out.push("");
  out.push(`Restore order (${plan.restore.length} objects as ${report.apiVersion}: ${countsLine(report.counts)}${plan.recordedOnly ? `; ${plan.recordedOnly} orders/challenges recorded, not restored` : ""}):`);
  out.push(renderTable(["#", "KIND", "NAMESPACE", "NAME", "API VERSION"], plan.restore.map((r, i) => [String(i + 1), r.kind, r.namespace || "-", r.name, String(r.object.apiVersion ?? "?")])).trimEnd());
  out.push("");
  out.push(`Conversion of each issuer (${targetPlan.views.length}):`);
  out.push(...(targetPlan.conversionLines.length ? targetPlan.conversionLines.map((l) => `  ${l}`) : ["  none"]));
  out.push("");
  out.push(`Secrets to copy before any ClusterIssuer is restored (${plan.secretsToCopy.length}):`);
  if (plan.secretsToCopy.length) out.push(renderTable(["NAME", "FROM", "TO", "USED BY"], plan.secretsToCopy.map((s) => [s.name, s.from, s.to, s.usedBy.join(", ")])).trimEnd());
  else out.push("  none");
  if (plan.secretsInPlace.length) {
    out.push(`Secrets already where ${report.version} reads them (not copied, never cleaned up) (${plan.secretsInPlace.length}):`);
    out.push(renderTable(["NAME", "NAMESPACE", "USED BY"], plan.secretsInPlace.map((s) => [s.name, s.to, s.usedBy.join(", ")])).trimEnd());
  }
  out.push("");
  if (annotations.recorded) {
    out.push(`TLS Secrets' annotations renamed before ${report.version} starts (${annotations.changes.length}, as the backup records them):`);
    out.push(...(annotations.changes.length ? annotations.changes.map((c) => `  ${c}`) : ["  none: no certmanager.k8s.io/* annotation recorded"]));
  } else {
    out.push(`TLS Secrets' annotations: ${ANNOTATIONS_NOT_RECORDED}`);
  }
  out.push("");
  out.push(`Warnings (${plan.warnings.length}):`);
  out.push(...problemLines(plan.warnings));
  out.push(`Refused by the conversion or by ${report.version}'s rules (${report.findings.length}):`);
  for (const f of report.findings) out.push(`  ${describeFinding(f)}`);
  out.push(`Errors (${plan.errors.length}):`);
  out.push(...problemLines(plan.errors));
  out.push("");
  out.push(`plan: ${report.predictionLine}`);
  out.push(report.valid
    ? `The backup is valid for cert-manager ${report.version}.`
    : `The backup is NOT valid for cert-manager ${report.version}: fix the ${[report.findings.length ? "refusals" : "", plan.errors.length ? "errors" : ""].filter(Boolean).join(" and ")} above before upgrading.`);
  return out.join("\n") + "\n";
}

function reissuesToJson(items: TargetReissue[]): object[] {
  return items.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name, what: r.what, reason: r.reason }));
}

/**
 * The plan as one JSON object, for a converting target: `target`, `apiVersion`, `valid`, `restore`
 * (kind, namespace, name, apiVersion), `objects` (the converted objects, in restore order),
 * `counts` per kind, `conversion` per issuer (object, before, after, notes), `findings` (object,
 * field, rule, fix), `secretsToCopy`, `secretsInPlace`, `tlsSecretAnnotations` (recorded, changes),
 * `prediction` (line, reissues, mayReissue, unknown, held, accountKeyProblems), `warnings`, `errors`.
 */
export function targetPlanToJson(report: TargetPlanReport): object {
  const plan = report.targetPlan.plan;
  const p = report.prediction;
  return {
    target: report.version,
    apiVersion: report.apiVersion,
    valid: report.valid,
    restore: plan.restore.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name, apiVersion: r.object.apiVersion })),
    objects: plan.restore.map((r) => r.object),
    counts: report.counts,
    conversion: report.targetPlan.views,
    findings: report.findings.map((f) => ({ object: f.object, field: f.field, rule: f.rule, fix: f.fix })),
    secretsToCopy: plan.secretsToCopy.map((s) => ({ name: s.name, from: s.from, to: s.to })),
    secretsInPlace: plan.secretsInPlace.map((s) => ({ name: s.name, namespace: s.to })),
    tlsSecretAnnotations: report.annotations.recorded ? { recorded: true, changes: report.annotations.changes } : { recorded: false, why: ANNOTATIONS_NOT_RECORDED },
    prediction: {
      line: report.predictionLine,
      reissues: reissuesToJson(p.reissues),
      mayReissue: reissuesToJson(p.mayReissue),
      unknown: reissuesToJson(p.unknown),
      held: reissuesToJson(p.held),
      accountKeyProblems: p.accountKeyProblems,
    },
    warnings: plan.warnings,
    errors: plan.errors,
  };
}
