// The restore plan: what is restored in which order, which Secrets are copied, what to warn about.
import { ParsedBackup } from "./backup-format";
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
  warnings: Problem[];
  errors: Problem[];
}

const KIND_ORDER: Record<RestoreKind, number> = { ClusterIssuer: 0, Issuer: 1, Certificate: 2 };

export function readyCondition(obj: KubeObject): { status: string; reason?: string; message?: string } | undefined {
  const conditions = obj.status?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  const ready = conditions.find((c) => typeof c === "object" && c !== null && (c as { type?: unknown }).type === "Ready") as
    | { status?: unknown; reason?: unknown; message?: unknown }
    | undefined;
  if (!ready) return undefined;
  return {
    status: String(ready.status ?? "Unknown"),
    reason: typeof ready.reason === "string" ? ready.reason : undefined,
    message: typeof ready.message === "string" ? ready.message : undefined,
  };
}

export function compareRestoreOrder(a: { kind: RestoreKind; namespace: string; name: string }, b: typeof a): number {
  return KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
}

export function buildRestorePlan(parsed: ParsedBackup, options: PlanOptions = DEFAULT_PLAN_OPTIONS): RestorePlan {
  const errors: Problem[] = [...parsed.errors];
  const warnings: Problem[] = [...parsed.warnings];

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
  const missingTls = new Set(parsed.meta?.missingTlsSecrets ?? []);

  const copies = new Map<string, SecretCopy>();
  const restore: RestoreItem[] = [];

  for (const o of restorable) {
    const label = objectLabel(o);
    const spec = o.object.spec;
    const ready = readyCondition(o.object);
    if (ready && ready.status !== "True") {
      const why = [ready.reason, ready.message].filter(Boolean).join(": ");
      warnings.push({ object: label, message: `not Ready before the upgrade (${why || ready.status}); it will not be Ready after it either` });
    }

    if (o.kind === "ClusterIssuer" || o.kind === "Issuer") {
      const acme = spec?.acme as { server?: unknown } | undefined;
      // cert-manager 0.6 (acmev1ToV2Mappings) rejects both Let's Encrypt v1 endpoints: production and staging.
      if (typeof acme?.server === "string" && /\/\/acme-(?:v01|staging)\.api\.letsencrypt\.org(?:[/:]|$)/.test(acme.server)) {
        warnings.push({ object: label, message: `ACME v1 server ${acme.server}: cert-manager 0.6 marks this issuer InvalidConfig; switch to the ACME v2 endpoint` });
      }
      const secretNamespace = o.kind === "ClusterIssuer" ? options.legacyNamespace : o.namespace;
      for (const ref of findSecretRefs(spec)) {
        if (ref.dnsProvider && !ref.key) {
          warnings.push({ object: label, message: `${ref.path} names Secret ${ref.name} without a key: the 0.6 webhook rejects this issuer until a key is set` });
        }
        const known = inventory.get(`${secretNamespace}/${ref.name}`);
        if (known && !known.exists) {
          const consequence = ref.purpose === "acme-account-key"
            ? "0.6 would register a NEW ACME account"
            : "the issuer cannot work until it exists";
          warnings.push({ object: label, message: `Secret ${secretNamespace}/${ref.name} (${ref.path}) did not exist at backup time: ${consequence}` });
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
      const secretName = typeof spec?.secretName === "string" ? spec.secretName : "";
      if (secretName && missingTls.has(`${o.namespace}/${secretName}`)) {
        warnings.push({ object: label, message: `TLS Secret ${o.namespace}/${secretName} did not exist at backup time: it will be issued anew (counts against Let's Encrypt's 50 certificates per domain per week)` });
      }
    }

    restore.push({ kind: o.kind, namespace: o.namespace, name: o.name, object: sanitizeForRestore(o.object, isClusterScoped(o.kind)) });
  }

  restore.sort(compareRestoreOrder);
  const secrets = [...copies.values()].sort((a, b) => a.name.localeCompare(b.name));
  const secretsToCopy = secrets.filter((s) => s.from !== s.to);
  const secretsInPlace = secrets.filter((s) => s.from === s.to);
  return { valid: errors.length === 0, restore, secretsToCopy, secretsInPlace, recordedOnly, warnings, errors };
}

/** The `plan --json` shape (`secretsInPlace` only when there are such Secrets). */
export function planToJson(plan: RestorePlan): object {
  return {
    valid: plan.valid,
    restore: plan.restore.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name })),
    secretsToCopy: plan.secretsToCopy.map((s) => ({ name: s.name, from: s.from, to: s.to })),
    ...(plan.secretsInPlace.length ? { secretsInPlace: plan.secretsInPlace.map((s) => ({ name: s.name, namespace: s.to })) } : {}),
    warnings: plan.warnings,
    errors: plan.errors,
  };
}

export { RESTORE_KINDS };
