// The restore plan: what is restored in which order, which Secrets are copied, what to warn about.
import { ParsedBackup } from "./backup-format";
import { readyCondition } from "./conditions";
import { Prediction, describePrediction, predictReissues, reissuesToJson } from "./reissue-prediction";
import { cannotRenewWarning } from "./renewal-0.6.2";
import { sanitizeForRestore } from "./sanitize";
import { findSecretRefs } from "./secret-refs";
import {
  BackupObject,
  KubeObject,
  Problem,
  RESTORE_KINDS,
  RestoreKind,
  isClusterScoped,
  isRestoreKind,
  objectLabel,
} from "./types";

export interface PlanOptions {
  /** Where the old release kept ClusterIssuer Secrets (its --cluster-resource-namespace). */
  legacyNamespace: string;
  /** The new release's namespace. */
  namespace: string;
  /**
   * Where 0.6 reads ClusterIssuer Secrets: the chart's `clusterResourceNamespace` value when the
   * stack sets it, else the new release's namespace.
   */
  clusterResourceNamespace?: string;
  /** The time the predictions are made for (default: now). */
  now?: Date;
  /** The controller's --renew-before-expiry-duration in milliseconds (default 30 days). */
  renewBeforeDefaultMs?: number;
  /** How long after `now` the upgrade may run, in milliseconds (default 7 days: lib/reissue-prediction.ts). */
  renewalMarginMs?: number;
  /** ClusterIssuer Secrets that will not be copied (the stack's expectedMissingSecrets). */
  accountKeysNotCopied?: string[];
}

export const DEFAULT_PLAN_OPTIONS: PlanOptions = { legacyNamespace: "kube-system", namespace: "cert-manager" };

export interface RestoreItem {
  kind: RestoreKind;
  namespace: string;
  name: string;
  /** The object as it will be created: server fields removed. */
  object: KubeObject;
}

export interface SecretCopy {
  name: string;
  from: string;
  to: string;
  /** Which ClusterIssuers reference it and where. */
  usedBy: string[];
  /** From the backup's inventory: false when the Secret did not exist at backup time. */
  existedAtBackup?: boolean;
  keys?: string[];
}

export interface RestorePlan {
  valid: boolean;
  restore: RestoreItem[];
  secretsToCopy: SecretCopy[];
  /**
   * ClusterIssuer Secrets already where 0.6 reads them (from === to: the legacy namespace is the
   * new one, or clusterResourceNamespace is the legacy namespace): not copied, never cleaned up.
   */
  secretsInPlace: SecretCopy[];
  /** Orders and Challenges found: recorded, never restored. */
  recordedOnly: number;
  /** What cert-manager 0.6.2 will issue anew and which ACME accounts it will register (lib/reissue-prediction.ts). */
  prediction: Prediction;
  /** What the target cannot renew (lib/renewal-0.6.2.ts): one line per ACME issuer. Shown apart from the warnings, and in the preview's. */
  renewal: Problem[];
  warnings: Problem[];
  errors: Problem[];
}

const KIND_ORDER: Record<RestoreKind, number> = { ClusterIssuer: 0, Issuer: 1, Certificate: 2 };

export function compareRestoreOrder(a: { kind: RestoreKind; namespace: string; name: string }, b: typeof a): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

export function buildRestorePlan(parsed: ParsedBackup, options: PlanOptions = DEFAULT_PLAN_OPTIONS): RestorePlan {
  const errors: Problem[] = [...parsed.errors];
  const warnings: Problem[] = [...parsed.warnings];
  const renewal: Problem[] = [];

  for (const other of parsed.ignored) {
    warnings.push({
      object: objectLabel({ kind: other.kind, namespace: other.namespace, name: other.name || "?" }),
      message: "not a cert-manager object: never restored",
    });
  }

  const restorable = parsed.objects.filter((o): o is BackupObject & { kind: RestoreKind } => isRestoreKind(o.kind));
  const recordedOnly = parsed.objects.length - restorable.length + (parsed.meta?.recorded.length ?? 0);

  if (restorable.length === 0 && errors.length === 0) {
    errors.push({ object: "backup", message: "the backup holds no Issuer, ClusterIssuer or Certificate: nothing to restore (was it taken after the old release was deleted?)" });
  }

  const issuers = new Set<string>();
  for (const o of restorable) {
    if (o.kind === "ClusterIssuer") issuers.add(`ClusterIssuer//${o.name}`);
    if (o.kind === "Issuer") issuers.add(`Issuer/${o.namespace}/${o.name}`);
  }

  const inventory = new Map<string, { exists: boolean; keys: string[] }>();
  for (const s of parsed.meta?.secrets ?? []) inventory.set(`${s.namespace}/${s.name}`, s);

  const copies = new Map<string, SecretCopy>();
  const restore: RestoreItem[] = [];

  for (const o of restorable) {
    const label = objectLabel(o);
    const spec = o.object.spec;
    const ready = readyCondition(o.object);
    if (ready && ready.status !== "True") {
      const why = [ready.reason, ready.message].filter(Boolean).join(": ");
      const after = o.kind === "Certificate"
        ? "it will not be Ready after it either"
        : "cert-manager 0.6.2 checks it again after the restore, and issues what its certificates need at once if it becomes Ready";
      warnings.push({ object: label, message: `not Ready before the upgrade (${why || ready.status}); ${after}` });
    }

    if (o.kind === "ClusterIssuer" || o.kind === "Issuer") {
      const acme = spec?.acme as { server?: unknown } | undefined;
      // cert-manager 0.6 (acmev1ToV2Mappings) rejects both Let's Encrypt v1 endpoints: production and staging.
      if (typeof acme?.server === "string" && /\/\/acme-(?:v01|staging)\.api\.letsencrypt\.org(?:[/:]|$)/.test(acme.server)) {
        warnings.push({ object: label, message: `ACME v1 server ${acme.server}: cert-manager 0.6 marks this issuer InvalidConfig; switch to the ACME v2 endpoint` });
      }
      const cannotRenew = cannotRenewWarning(o.object);
      if (cannotRenew) renewal.push({ object: label, message: cannotRenew });
      const secretNamespace = o.kind === "ClusterIssuer" ? options.legacyNamespace : o.namespace;
      for (const ref of findSecretRefs(spec)) {
        if (ref.dnsProvider && !ref.key) {
          warnings.push({ object: label, message: `${ref.path} names Secret ${ref.name} without a key: the 0.6 webhook rejects this issuer until a key is set` });
        }
        const known = inventory.get(`${secretNamespace}/${ref.name}`);
        // A missing ACME account key is one of the predictions (a new account), warned about below.
        if (known && !known.exists && ref.purpose !== "acme-account-key") {
          warnings.push({ object: label, message: `Secret ${secretNamespace}/${ref.name} (${ref.path}) did not exist at backup time: the issuer cannot work until it exists` });
        }
        if (o.kind === "ClusterIssuer") {
          const existing = copies.get(ref.name);
          const usedBy = `${label} ${ref.path}`;
          if (existing) {
            existing.usedBy.push(usedBy);
          } else {
            copies.set(ref.name, {
              name: ref.name,
              from: options.legacyNamespace,
              to: options.clusterResourceNamespace || options.namespace,
              usedBy: [usedBy],
              existedAtBackup: known?.exists,
              keys: known?.keys,
            });
          }
        }
      }
    }

    if (o.kind === "Certificate") {
      const issuerRef = spec?.issuerRef as { name?: unknown; kind?: unknown } | undefined;
      const issuerKind = typeof issuerRef?.kind === "string" && issuerRef.kind ? issuerRef.kind : "Issuer";
      const issuerName = typeof issuerRef?.name === "string" ? issuerRef.name : "";
      const key = issuerKind === "ClusterIssuer" ? `ClusterIssuer//${issuerName}` : `Issuer/${o.namespace}/${issuerName}`;
      if (!issuerName) {
        warnings.push({ object: label, message: "spec.issuerRef has no name" });
      } else if (!issuers.has(key)) {
        warnings.push({ object: label, message: `its ${issuerKind} ${issuerName} is not in the backup: the certificate stays unissued until that issuer exists` });
      }
    }

    restore.push({ kind: o.kind, namespace: o.namespace, name: o.name, object: sanitizeForRestore(o.object, isClusterScoped(o.kind)) });
  }

  const prediction = predictReissues({
    objects: restorable,
    meta: parsed.meta,
    now: options.now ?? new Date(),
    renewBeforeDefaultMs: options.renewBeforeDefaultMs,
    renewalMarginMs: options.renewalMarginMs,
    // Only a copy can be left out: a Secret already where 0.6 reads it is not copied at all.
    accountKeysNotCopied: (options.clusterResourceNamespace || options.namespace) === options.legacyNamespace ? [] : options.accountKeysNotCopied,
    legacyNamespace: options.legacyNamespace,
  });
  warnings.push(...predictionWarnings(prediction));

  restore.sort(compareRestoreOrder);
  const secrets = [...copies.values()].sort((a, b) => a.name.localeCompare(b.name));
  const secretsToCopy = secrets.filter((s) => s.from !== s.to);
  const secretsInPlace = secrets.filter((s) => s.from === s.to);
  return { valid: errors.length === 0, restore, secretsToCopy, secretsInPlace, recordedOnly, prediction, renewal, warnings, errors };
}

/** How many unknowns are named one by one before they are summed up in one line. */
const UNKNOWN_LISTED = 5;

/**
 * What the backup cannot tell (it lacks the facts: a kubectl backup, or one taken by an earlier
 * version), as warnings: a few one by one, many in one line. Not part of the plan's warnings (the
 * plan prints them in their own section); the preview adds them to its warnings.
 */
export function unknownWarnings(p: Prediction): Problem[] {
  const out: Problem[] = [];
  const unknownCerts = p.unknown.filter((u) => u.what === "certificate");
  for (const u of p.unknown.filter((x) => x.what === "acme-account")) out.push({ object: objectLabel(u), message: `cannot tell whether cert-manager 0.6.2 registers a new ACME account: ${u.reason}` });
  if (unknownCerts.length > UNKNOWN_LISTED) {
    const names = unknownCerts.slice(0, 3).map((u) => `${u.namespace}/${u.name}`).join(", ");
    out.push({ object: "backup", message: `cannot tell whether cert-manager 0.6.2 issues ${unknownCerts.length} certificates anew (${names} and ${unknownCerts.length - 3} more): ${unknownCerts[0].reason}; take the backup again with \`npm run backup\`` });
  } else {
    for (const u of unknownCerts) out.push({ object: objectLabel(u), message: `cannot tell whether cert-manager 0.6.2 issues it anew: ${u.reason}` });
  }
  return out;
}

/** The predictions as warnings: the count line first, then one per certificate or account. */
export function predictionWarnings(p: Prediction): Problem[] {
  const out: Problem[] = [];
  if (p.reissues.length || p.mayReissue.length || p.held.length) out.push({ object: "plan", message: describePrediction(p) });
  for (const r of p.reissues) {
    const label = objectLabel(r);
    out.push({
      object: label,
      message: r.what === "certificate"
        ? `${r.reason}: it will be issued anew by cert-manager 0.6.2 (counts against Let's Encrypt's 50 certificates per registered domain per week)`
        : r.reason,
    });
  }
  for (const m of p.mayReissue) out.push({ object: objectLabel(m), message: `may be issued anew by cert-manager 0.6.2: ${m.reason}` });
  for (const a of p.accountKeyProblems) out.push({ object: objectLabel(a), message: `will not be Ready after the upgrade: ${a.reason}` });
  for (const h of p.held) out.push({ object: objectLabel(h), message: h.reason });
  return out;
}

/**
 * The `plan --json` shape (`secretsInPlace` only when there are such Secrets). `reissues`: what
 * cert-manager 0.6.2 will issue anew or register, `[{kind, namespace, name, what: "certificate" |
 * "acme-account", reason}]`; `mayReissue`: the same shape, certificates 0.6.2 may issue (each reason
 * says on what it depends), kept apart so that `reissues` stays what 0.6.2 surely orders;
 * `reissuesUnknown`: the same shape, for what the backup cannot tell.
 */
export function planToJson(plan: RestorePlan): object {
  return {
    valid: plan.valid,
    restore: plan.restore.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name })),
    secretsToCopy: plan.secretsToCopy.map((s) => ({ name: s.name, from: s.from, to: s.to })),
    ...(plan.secretsInPlace.length ? { secretsInPlace: plan.secretsInPlace.map((s) => ({ name: s.name, namespace: s.to })) } : {}),
    reissues: reissuesToJson(plan.prediction.reissues),
    mayReissue: reissuesToJson(plan.prediction.mayReissue),
    reissuesUnknown: reissuesToJson(plan.prediction.unknown),
    renewal: plan.renewal,
    warnings: plan.warnings,
    errors: plan.errors,
  };
}

export { RESTORE_KINDS, readyCondition };
