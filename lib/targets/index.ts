// The targets the program upgrades to, by the stack's `targetVersion`: what each knows (a
// CertManagerTarget, lib/targets/target.ts) and what the program needs of it besides (where its
// CRDs and chart come from, how to tell its webhook is ready, the label that exempts its
// namespace from validation, the Kubernetes versions it runs on). A later target is one more
// folder under lib/targets/ and one more entry here.
import * as os from "node:os";
import * as path from "node:path";
import { predictionWarnings, RestoreItem, RestorePlan } from "../plan";
import { Problem, objectLabel, BackupObject, BackupMeta } from "../types";
import type { TargetVersion } from "../settings";
import type { CertManagerTarget, IssuerConversionView, ObjectMetadataView, TargetFinding, TargetPrediction } from "./target";
import { renewalLines062, target062 } from "./v0.6.2";
import { describePredictionV111, targetV111 } from "./v1.1.1";

/** How the program knows the target's webhook accepts objects (lib/cluster.ts waitForWebhook). */
export type WebhookReadinessKind =
  /** 0.6: APIService v1beta1.admission.certmanager.k8s.io Available, then a probe certmanager.k8s.io/v1alpha1 ClusterIssuer accepted. */
  | "apiservice-v1alpha1"
  /** v1: a probe cert-manager.io/v1 ClusterIssuer accepted (the webhook's failurePolicy is Fail: accepted means it answered, with the CA the cainjector put in). */
  | "probe-v1";

export interface TargetWiring {
  version: TargetVersion;
  knowledge: CertManagerTarget;
  /** The CRDs: defined in code (lib/crds.ts), or a manifest file (stack setting crdManifest, else the toolchain cache's). */
  crds: { source: "code" } | { source: "manifest"; defaultFile: string };
  /** The chart: from the stack's chartRepository at chartVersion (or its `chart`), or a local file only. */
  chart: { name: string; fromRepository: true } | { name: string; version: string; fromRepository: false; defaultFile: string };
  webhookReadiness: WebhookReadinessKind;
  /** The namespace label the target's webhook skips (its own namespace carries it). */
  disableValidationLabel: string;
  /** Whether the restored objects differ from the backup's (converted), and TLS Secrets' and Ingresses' metadata is renamed. */
  converts: boolean;
  /** Kubernetes minor versions (1.x) the target runs on; undefined: not checked here (lib/api-versions.ts does). */
  kubernetesMinors?: { oldest: number; newest: number; why: string };
  /** The target's "cannot renew" lines, one per ACME issuer (none for a target that renews). */
  renewalLines(objects: BackupObject[]): Problem[];
}

/** Where scripts/toolchain.sh builds (CMU_CACHE, else ~/.cache/cert-manager-upgrade). */
export function toolchainDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  return path.join(env.CMU_CACHE || path.join(home, ".cache", "cert-manager-upgrade"), "toolchain");
}

export function targetWiring(version: TargetVersion, env: NodeJS.ProcessEnv = process.env): TargetWiring {
  if (version === "v1.1.1") {
    const dir = path.join(toolchainDir(env), "cert-manager-v1.1.1");
    return {
      version,
      knowledge: targetV111,
      crds: { source: "manifest", defaultFile: path.join(dir, "crds.legacy.yaml") },
      chart: { name: "cert-manager", version: "v1.1.1", fromRepository: false, defaultFile: path.join(dir, "chart", "cert-manager-v1.1.1.tgz") },
      webhookReadiness: "probe-v1",
      disableValidationLabel: "cert-manager.io/disable-validation",
      converts: true,
      kubernetesMinors: { oldest: 11, newest: 15, why: "cert-manager v1.1.1 supports Kubernetes 1.11 to 1.21, and this program installs its legacy CRDs, which are for 1.15 and older" },
      renewalLines: () => [],
    };
  }
  return {
    version,
    knowledge: target062,
    crds: { source: "code" },
    chart: { name: "cert-manager", fromRepository: true },
    webhookReadiness: "apiservice-v1alpha1",
    disableValidationLabel: "certmanager.k8s.io/disable-validation",
    converts: false,
    renewalLines: renewalLines062,
  };
}

/** The newest cert-manager per Kubernetes minor (../shared/reference/cert-manager-onward-facts.md). */
export const NEWEST_CERT_MANAGER: Record<number, string> = { 15: "v1.1.1", 16: "v1.5.5", 17: "v1.6.3", 18: "v1.7.3", 19: "v1.8.2", 20: "v1.10.2", 21: "v1.11.5" };

export function kubernetesMinor(serverVersion: string): number | undefined {
  const m = /^v?1\.(\d+)/.exec(serverVersion);
  return m ? Number(m[1]) : undefined;
}

/** Why the target does not run on this cluster, in one line; undefined when it does. */
export function kubernetesVersionRefusal(wiring: TargetWiring, serverVersion: string): string | undefined {
  const range = wiring.kubernetesMinors;
  if (!range) return undefined;
  const minor = kubernetesMinor(serverVersion);
  if (minor === undefined) return `cannot tell the Kubernetes version of this cluster (${JSON.stringify(serverVersion)}); ${range.why}`;
  if (minor >= range.oldest && minor <= range.newest) return undefined;
  const newest = NEWEST_CERT_MANAGER[minor];
  const instead = minor < range.oldest
    ? "use targetVersion v0.6.2 there (`pulumi config set targetVersion v0.6.2`)"
    : `the newest cert-manager for Kubernetes 1.${minor} is ${newest ?? "not in this program's facts"}, not a target of this program yet`;
  return `targetVersion ${wiring.version} does not run on this cluster (${serverVersion}): ${range.why}; ${instead}`;
}

/** One reviewer line per finding: what, where, the rule, the fix. */
export function describeFinding(f: TargetFinding): string {
  return `${f.object} ${f.field}: ${f.rule} — fix: ${f.fix}`;
}

export interface TargetPlan {
  plan: RestorePlan;
  /** Per converted issuer, what it was and what it becomes (empty when nothing is converted). */
  views: IssuerConversionView[];
  /** What the target cannot take faithfully (conversion refusals, then its webhook's rules): the preview stops on any. */
  refusals: TargetFinding[];
  /** The lines the preview shows so that a reviewer can check each conversion. */
  conversionLines: string[];
  prediction?: TargetPrediction;
}

/**
 * The plan for the target: for 0.6.2 the plan as it is (lib/plan.ts already is 0.6.2's); for a
 * converting target, the restore items become the converted objects (same labels, the target's
 * apiVersion), validated by the target's rules, and the 0.6.2 prediction and renewal lines give way
 * to the target's prediction.
 */
export function planForTarget(wiring: TargetWiring, plan: RestorePlan, backupObjects: BackupObject[], facts: {
  meta?: BackupMeta; now?: Date; legacyNamespace: string; accountKeysNotCopied?: string[];
  /** How long after `now` the upgrade may run (the target's default margin when absent). */
  renewalMarginMs?: number;
  /** The TLS Secrets' metadata as the target's controller will first see it (renamed), `namespace/name`; absent: not known. */
  tlsSecretMetadata?: Map<string, ObjectMetadataView>;
}): TargetPlan {
  if (!wiring.converts) return { plan, views: [], refusals: [], conversionLines: [] };
  const target = wiring.knowledge;
  const planned = new Set(plan.restore.map((r) => objectLabel(r)));
  const objects = backupObjects.filter((o) => planned.has(objectLabel(o)));
  const converted = target.convert(objects);
  const byLabel = new Map(converted.objects.map((o) => [objectLabel({ kind: o.kind ?? "", namespace: o.metadata?.namespace ?? "", name: o.metadata?.name ?? "" }), o]));
  const refusals = [...converted.refusals];
  const restore: RestoreItem[] = [];
  for (const item of plan.restore) {
    const object = byLabel.get(objectLabel(item));
    if (!object) {
      refusals.push({ object: objectLabel(item), kind: item.kind, namespace: item.namespace, name: item.name, field: "", rule: `the conversion to ${target.version} gave no object for it`, fix: "leave it out (stack setting leaveOut) or report this" });
      continue;
    }
    restore.push({ ...item, object });
  }
  // Only objects that converted are validated: a refused one has no faithful form to check.
  const refused = new Set(refusals.map((r) => r.object));
  for (const item of restore) if (!refused.has(objectLabel(item))) refusals.push(...target.validate(item.object));
  const prediction = target.predictReissue({ objects, meta: facts.meta, now: facts.now ?? new Date(), legacyNamespace: facts.legacyNamespace, accountKeysNotCopied: facts.accountKeysNotCopied, tlsSecretMetadata: facts.tlsSecretMetadata, renewalMarginMs: facts.renewalMarginMs });
  // The plan's own warnings minus 0.6.2's prediction; the target's prediction instead.
  const of062 = new Set(predictionWarnings(plan.prediction).map((w) => `${w.object}\u0000${w.message}`));
  const warnings = plan.warnings.filter((w) => !of062.has(`${w.object}\u0000${w.message}`));
  warnings.push(...predictionLines(target.version, prediction));
  const empty = { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] };
  return {
    plan: { ...plan, restore, prediction: empty, renewal: wiring.renewalLines(objects), warnings },
    views: converted.views,
    refusals,
    conversionLines: target.renderConversion(converted.views),
    prediction,
  };
}

/** The target's prediction as the preview's warnings: the count line, then one per entry. */
export function predictionLines(version: string, p: TargetPrediction): Problem[] {
  const out: Problem[] = [];
  if (p.reissues.length || p.mayReissue.length || p.held.length || p.unknown.length) {
    out.push({ object: "plan", message: version === "v1.1.1" ? describePredictionV111(p) : `${p.reissues.length} re-issue(s) predicted for cert-manager ${version}` });
  }
  const label = (r: { kind: string; namespace: string; name: string }): string => objectLabel(r);
  for (const r of p.reissues) out.push({ object: label(r), message: r.what === "certificate" ? `${r.reason}: it will be issued anew by cert-manager ${version}` : r.reason });
  for (const m of p.mayReissue) out.push({ object: label(m), message: `may be issued anew by cert-manager ${version}: ${m.reason}` });
  for (const u of p.unknown) out.push({ object: label(u), message: `cannot tell whether cert-manager ${version} issues it anew: ${u.reason}` });
  for (const a of p.accountKeyProblems) out.push({ object: label(a), message: `will not be Ready after the upgrade: ${a.reason}` });
  for (const h of p.held) out.push({ object: label(h), message: h.reason });
  return out;
}

/** The metadata renames the target needs before its controller starts, and what it cannot rename. */
export interface MetadataRenamePlan {
  renames: MetadataPatch[];
  refusals: TargetFinding[];
}

export interface MetadataPatch {
  kind: "Secret" | "Ingress";
  apiVersion: string;
  namespace: string;
  name: string;
  /** A JSON merge patch of metadata only: old keys null, new keys their values. */
  patch: { metadata: { annotations?: Record<string, string | null>; labels?: Record<string, string | null> } };
  /** For the reviewer: "annotation a → b". */
  changes: string[];
}

function mergePatchOf(before: Record<string, string> | undefined, after: Record<string, string> | undefined): Record<string, string | null> | undefined {
  const patch: Record<string, string | null> = {};
  for (const key of Object.keys(before ?? {})) if (!after || !(key in after)) patch[key] = null;
  for (const [key, value] of Object.entries(after ?? {})) if (before?.[key] !== value) patch[key] = value;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

/**
 * The renames of the TLS Secrets' and Ingresses' metadata (the views hold annotations and labels
 * only, never data): one merge patch per object that changes, holding only the keys that change.
 */
export function planMetadataRenames(target: CertManagerTarget, secrets: ObjectMetadataView[], ingresses: Array<ObjectMetadataView & { apiVersion: string }>): MetadataRenamePlan {
  const renames: MetadataPatch[] = [];
  const refusals: TargetFinding[] = [];
  const add = (kind: "Secret" | "Ingress", apiVersion: string, view: ObjectMetadataView, renamed: ReturnType<CertManagerTarget["renameSecretMetadata"]>): void => {
    refusals.push(...renamed.refusals);
    if (renamed.changes.length === 0) return;
    const annotations = mergePatchOf(view.annotations, renamed.metadata.annotations);
    const labels = mergePatchOf(view.labels, renamed.metadata.labels);
    const metadata: MetadataPatch["patch"]["metadata"] = {};
    if (annotations) metadata.annotations = annotations;
    if (labels) metadata.labels = labels;
    renames.push({ kind, apiVersion, namespace: view.namespace, name: view.name, patch: { metadata }, changes: renamed.changes });
  };
  for (const s of secrets) add("Secret", "v1", s, target.renameSecretMetadata(s));
  for (const i of ingresses) add("Ingress", i.apiVersion, i, target.renameIngressMetadata(i));
  return { renames, refusals };
}
