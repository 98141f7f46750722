// After the upgrade: compare what the cluster holds with what the backup says it should.
import { isDeepStrictEqual } from "node:util";
import { readyCondition, RestorePlan } from "./plan";
import { BackupObject, KubeObject, Problem, objectLabel } from "./types";

export const WEBHOOK_OBJECTS = [
  { kind: "Issuer", name: "cert-manager-webhook-selfsign" },
  { kind: "Issuer", name: "cert-manager-webhook-ca" },
  { kind: "Certificate", name: "cert-manager-webhook-ca" },
  { kind: "Certificate", name: "cert-manager-webhook-webhook-tls" },
] as const;

export interface LiveState {
  /** Live cert-manager objects by label, e.g. "Certificate/default/wonder-app-cert". */
  objects: Map<string, KubeObject>;
  /** TLS Secrets that exist, by "namespace/name", with the certificate's expiry when readable. */
  tlsSecrets: Map<string, { notAfter?: string }>;
  /**
   * Copied issuer Secrets by name: present where 0.6 reads them, and equal to their source (for
   * Secrets that were already there and not copied: present, sameAsSource undefined).
   */
  copiedSecrets: Map<string, { present: boolean; sameAsSource: boolean | undefined }>;
  /** Whether the 0.6 webhook is installed (its APIService exists). */
  webhookEnabled: boolean;
}

export interface VerifyOptions {
  namespace: string;
  /** Accept "Ready not reported yet" when it was True before (no controller running yet). */
  allowPending: boolean;
}

export interface VerifyRow {
  namespace: string;
  kind: string;
  name: string;
  ready: string;
  secret: string;
  notAfter: string;
  check: string;
}

export interface VerifyReport {
  rows: VerifyRow[];
  differences: Problem[];
  notes: Problem[];
}

function subsetOf(expected: Record<string, string> | undefined, actual: Record<string, string> | undefined): boolean {
  return Object.entries(expected ?? {}).every(([k, v]) => actual?.[k] === v);
}

export function verifyAgainstBackup(plan: RestorePlan, backupObjects: BackupObject[], live: LiveState, options: VerifyOptions): VerifyReport {
  const rows: VerifyRow[] = [];
  const differences: Problem[] = [];
  const notes: Problem[] = [];
  const before = new Map(backupObjects.map((o) => [objectLabel(o), o.object]));

  for (const item of plan.restore) {
    const label = objectLabel(item);
    const actual = live.objects.get(label);
    const readyBefore = readyCondition(before.get(label) ?? {})?.status ?? "-";
    const secretName = item.kind === "Certificate" && typeof item.object.spec?.secretName === "string" ? item.object.spec.secretName : "";
    const row: VerifyRow = { namespace: item.namespace || "-", kind: item.kind, name: item.name, ready: `${readyBefore} → -`, secret: secretName || "-", notAfter: "-", check: "ok" };
    rows.push(row);
    if (!actual) {
      row.check = "MISSING";
      differences.push({ object: label, message: "not in the cluster" });
      continue;
    }
    const problems: string[] = [];
    if (!isDeepStrictEqual(actual.spec ?? {}, item.object.spec ?? {})) problems.push("spec differs");
    if (!subsetOf(item.object.metadata?.labels, actual.metadata?.labels)) problems.push("labels differ");
    if (!subsetOf(item.object.metadata?.annotations, actual.metadata?.annotations)) problems.push("annotations differ");
    if (!isDeepStrictEqual(actual.metadata?.ownerReferences ?? [], item.object.metadata?.ownerReferences ?? [])) problems.push("ownerReferences differ");

    const readyNow = readyCondition(actual)?.status;
    row.ready = `${readyBefore} → ${readyNow ?? "pending"}`;
    if (readyBefore === "True" && readyNow !== "True") {
      if (readyNow === undefined && options.allowPending) {
        notes.push({ object: label, message: "Ready was True before; the controller has not reported it yet" });
      } else {
        problems.push(readyNow === undefined ? "not Ready yet (was Ready before)" : `Ready ${readyNow} (was True before)`);
      }
    }

    if (secretName) {
      const tls = live.tlsSecrets.get(`${item.namespace}/${secretName}`);
      const statusNotAfter = typeof actual.status?.notAfter === "string" ? actual.status.notAfter : undefined;
      row.notAfter = statusNotAfter ?? tls?.notAfter ?? "-";
      if (!tls) {
        row.secret = `${secretName} (absent)`;
        if (readyBefore === "True") problems.push(`TLS Secret ${secretName} is gone`);
      }
    }
    if (problems.length) {
      row.check = problems.join("; ");
      differences.push({ object: label, message: problems.join("; ") });
    }
  }

  for (const copy of plan.secretsToCopy) {
    const state = live.copiedSecrets.get(copy.name);
    if (!state?.present) {
      differences.push({ object: `Secret/${copy.to}/${copy.name}`, message: `not copied from ${copy.from}` });
    } else if (state.sameAsSource === false) {
      differences.push({ object: `Secret/${copy.to}/${copy.name}`, message: `differs from ${copy.from}/${copy.name}` });
    }
  }

  for (const s of plan.secretsInPlace) {
    if (!live.copiedSecrets.get(s.name)?.present) {
      differences.push({ object: `Secret/${s.to}/${s.name}`, message: `missing from ${s.to}, where cert-manager 0.6 reads it (${s.usedBy.join(", ")})` });
    }
  }

  if (live.webhookEnabled) {
    for (const w of WEBHOOK_OBJECTS) {
      const label = objectLabel({ kind: w.kind, namespace: options.namespace, name: w.name });
      const actual = live.objects.get(label);
      rows.push({
        namespace: options.namespace,
        kind: w.kind,
        name: w.name,
        ready: `new → ${actual ? readyCondition(actual)?.status ?? "pending" : "-"}`,
        secret: w.kind === "Certificate" && typeof actual?.spec?.secretName === "string" ? actual.spec.secretName : "-",
        notAfter: typeof actual?.status?.notAfter === "string" ? actual.status.notAfter : "-",
        check: actual ? "ok" : "MISSING",
      });
      if (!actual) differences.push({ object: label, message: "the 0.6 webhook's own object is missing: is the release installed?" });
    }
  }
  return { rows, differences, notes };
}
