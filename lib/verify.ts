// After the upgrade: compare what the cluster holds with what the backup says it should.
import { isDeepStrictEqual } from "node:util";
import { readyCondition, RestorePlan } from "./plan";
import { certificateOfOrderV1, renewalProblems, renewalStart } from "./renewal-0.6.2";
import type { TargetVersion } from "./settings";
import { withoutWrittenBackZeroValues } from "./targets/v1.1.1/written-back";
import { describeSpecDifferences, specDifferences } from "./spec-equivalence";
import { LiveTlsCertificate, TlsCertificateRecord, shortSha } from "./tls-facts";
import { BackupObject, KubeObject, Problem, objectLabel } from "./types";

export const DEFAULT_RELEASE_NAME = "cert-manager";

/**
 * The webhook subchart's full name, as chart v0.6.6's webhook.fullname helper makes it: the release
 * name when it contains "webhook", else "<release>-webhook"; cut to 63 characters, without a
 * trailing "-".
 */
export function webhookFullname(releaseName: string): string {
  const full = releaseName.includes("webhook") ? releaseName : `${releaseName}-webhook`;
  return full.slice(0, 63).replace(/-+$/, "");
}

/** The Issuers and Certificates the 0.6 webhook creates for itself (chart v0.6.6, charts/webhook/templates/pki.yaml). */
export function webhookObjects(releaseName: string): Array<{ kind: "Issuer" | "Certificate"; name: string }> {
  const full = webhookFullname(releaseName);
  return [
    { kind: "Issuer", name: `${full}-selfsign` },
    { kind: "Issuer", name: `${full}-ca` },
    { kind: "Certificate", name: `${full}-ca` },
    { kind: "Certificate", name: `${full}-webhook-tls` },
  ];
}

/** The webhook's objects for the default release name, cert-manager. */
export const WEBHOOK_OBJECTS = webhookObjects(DEFAULT_RELEASE_NAME);

export interface LiveState {
  /** Live cert-manager objects by label, e.g. "Certificate/default/wonder-app-cert". */
  objects: Map<string, KubeObject>;
  /** TLS Secrets that exist, by "namespace/name", with their certificate's public facts when readable. */
  tlsSecrets: Map<string, LiveTlsCertificate>;
  /**
   * Copied issuer Secrets by name: present where 0.6 reads them, and equal to their source (for
   * Secrets that were already there and not copied: present, sameAsSource undefined).
   */
  copiedSecrets: Map<string, { present: boolean; sameAsSource: boolean | undefined }>;
  /** Whether the 0.6 webhook is installed (its APIService exists). */
  webhookEnabled: boolean;
  /** The ACME Orders in the cluster (certmanager.k8s.io, or acme.cert-manager.io/v1 for v1.1.1), to tell whether renewals work; absent: not checked. */
  orders?: KubeObject[];
  /** v1.1.1: the CertificateRequests (cert-manager.io/v1), which name the Certificate of each Order. */
  certificateRequests?: KubeObject[];
}

export interface VerifyOptions {
  namespace: string;
  /** Accept "Ready not reported yet" when it was True before (no controller running yet). */
  allowPending: boolean;
  /** The new release's name (stack key releaseName): the webhook's own objects are named after it. Default cert-manager. */
  releaseName?: string;
  /** ClusterIssuer Secrets deliberately not copied (stack key expectedMissingSecrets). */
  expectMissing?: string[];
  /** The backup's certificate facts (format 2): a certificate whose fingerprint changed was replaced. */
  certificates?: TlsCertificateRecord[];
  /** Labels the stack leaves out on purpose (stack key leaveOut): absent is a note, not a difference. */
  leaveOut?: string[];
  /** The time renewal windows are judged at (default: now). */
  now?: Date;
  /**
   * The cert-manager the cluster was upgraded to (default v0.6.2). With v1.1.1 the plan's objects are
   * the backup converted to cert-manager.io/v1 (lib/targets planForTarget), compared as they are
   * but for the Go zero values v1.1.1 writes back (lib/targets/v1.1.1/written-back.ts); a certificate due for renewal at the backup may have been
   * renewed (said, not a difference); v1.1.1's webhook has no issuers or certificates of its own;
   * Orders are matched to Certificates through their CertificateRequests.
   */
  target?: TargetVersion;
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
  /** Certificates ("namespace/name") whose Ready condition is not True now: `npm run explain` tells why. */
  notReady: string[];
}

/**
 * The paths of the fields of two specs that differ (as JSON values), sorted and relative to spec:
 * the deepest path where both sides are objects (or arrays of one length), e.g. `acme.solvers[0].selector`.
 */
export function fieldsThatDiffer(expected: unknown, actual: unknown, at = ""): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isDeepStrictEqual(expected, actual)) return [];
  if (isObject(expected) && isObject(actual)) {
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    return keys.flatMap((k) => fieldsThatDiffer(expected[k], actual[k], at ? `${at}.${k}` : k));
  }
  if (Array.isArray(expected) && Array.isArray(actual) && expected.length === actual.length) {
    return expected.flatMap((e, i) => fieldsThatDiffer(e, actual[i], `${at}[${i}]`));
  }
  return [at];
}

function subsetOf(expected: Record<string, string> | undefined, actual: Record<string, string> | undefined): boolean {
  return Object.entries(expected ?? {}).every(([k, v]) => actual?.[k] === v);
}

export function verifyAgainstBackup(plan: RestorePlan, backupObjects: BackupObject[], live: LiveState, options: VerifyOptions): VerifyReport {
  const rows: VerifyRow[] = [];
  const differences: Problem[] = [];
  const notes: Problem[] = [];
  const notReady: string[] = [];
  const before = new Map(backupObjects.map((o) => [objectLabel(o), o.object]));
  const recorded = new Map((options.certificates ?? []).map((c) => [`${c.namespace}/${c.certificate}`, c]));
  const expectMissing = new Set(options.expectMissing ?? []);
  const leftOut = new Set(options.leaveOut ?? []);
  // Green only when it will renew: a certificate whose renewal failed, or is due and not done, is a difference.
  const validity = new Map([...live.tlsSecrets].map(([key, tls]) => [key, { notBefore: tls.notBefore, notAfter: tls.notAfter }]));
  const v1 = options.target === "v1.1.1";
  const now = options.now ?? new Date();
  const renewal = new Map(live.orders === undefined ? [] :
    renewalProblems({ objects: live.objects, orders: live.orders, validity, now, certificateOf: v1 ? certificateOfOrderV1(live.certificateRequests ?? []) : undefined }).map((p) => [p.object, p.message]));

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
    // As cert-manager reads it: the 0.6 controller writes objects back through its Go types (zero values added, durations rewritten).
    if (v1) {
      // v1.1.1 writes specs back with a few Go zero values (lib/targets/v1.1.1/written-back.ts): the same object to it.
      const fields = fieldsThatDiffer(withoutWrittenBackZeroValues(item.kind, item.object.spec), withoutWrittenBackZeroValues(item.kind, actual.spec));
      if (fields.length > 0) problems.push(`spec differs from the backup converted to cert-manager.io/v1 (${fields.map((f) => `spec.${f}`).join(", ")})`);
    } else {
      const fields = specDifferences(item.kind, item.object.spec, actual.spec);
      if (fields.length > 0) problems.push(`spec differs (${describeSpecDifferences(fields)})`);
    }
    if (!subsetOf(item.object.metadata?.labels, actual.metadata?.labels)) problems.push("labels differ");
    if (!subsetOf(item.object.metadata?.annotations, actual.metadata?.annotations)) problems.push("annotations differ");
    if (!isDeepStrictEqual(actual.metadata?.ownerReferences ?? [], item.object.metadata?.ownerReferences ?? [])) problems.push("ownerReferences differ");

    const readyNow = readyCondition(actual)?.status;
    row.ready = `${readyBefore} → ${readyNow ?? "pending"}`;
    // Not Ready now (a condition not reported yet counts only where pending is not allowed).
    if (item.kind === "Certificate" && readyNow !== "True" && !(readyNow === undefined && options.allowPending)) notReady.push(`${item.namespace}/${item.name}`);
    if (readyBefore === "True" && readyNow !== "True") {
      if (readyNow === undefined && options.allowPending) {
        notes.push({ object: label, message: "Ready was True before; the controller has not reported it yet" });
      } else {
        problems.push(readyNow === undefined ? "not Ready yet (was Ready before)" : `Ready ${readyNow} (was True before)`);
      }
    }

    if (secretName) {
      const tls = live.tlsSecrets.get(`${item.namespace}/${secretName}`);
      const backedUp = recorded.get(`${item.namespace}/${item.name}`);
      const statusNotAfter = typeof actual.status?.notAfter === "string" ? actual.status.notAfter : undefined;
      row.notAfter = statusNotAfter ?? tls?.notAfter ?? "-";
      if (!tls) {
        row.secret = `${secretName} (absent)`;
        if (readyBefore === "True" || backedUp) problems.push(`TLS Secret ${secretName} is gone`);
      } else if (backedUp?.sha256 && tls.sha256 !== backedUp.sha256) {
        const nowHolds = tls.sha256 ? `serial ${tls.serial}, SHA-256 ${shortSha(tls.sha256)}, not after ${tls.notAfter}` : tls.problem ?? "no certificate";
        const replaced = `TLS certificate in Secret ${secretName} replaced since the backup (was serial ${backedUp.serial}, SHA-256 ${shortSha(backedUp.sha256)}, not after ${backedUp.notAfter}; now ${nowHolds})`;
        const renewBefore = typeof actual.spec?.renewBefore === "string" ? actual.spec.renewBefore : undefined;
        // v1.1.1 renews what is inside its renewal window: a new certificate there is the renewal, said as such.
        if (v1 && tls.sha256 && backedUp.notAfter && renewalStart(undefined, backedUp.notAfter, renewBefore).getTime() <= now.getTime()) {
          row.secret = `${secretName} (renewed)`;
          notes.push({ object: label, message: `${replaced}: renewed, the backed-up certificate being inside its renewal window` });
        } else {
          // The re-issue the seed's procedure fears: another certificate (another serial and key) for the same names.
          problems.push(`${replaced}: it was re-issued`);
        }
      }
    }
    if (renewal.has(label)) problems.push(renewal.get(label)!);
    if (problems.length) {
      row.check = problems.join("; ");
      differences.push({ object: label, message: problems.join("; ") });
    }
  }

  // Left out on purpose (the plan was built without them): named, never a difference.
  for (const o of backupObjects) {
    const label = objectLabel(o);
    if (!leftOut.has(label)) continue;
    const present = live.objects.has(label);
    rows.push({ namespace: o.namespace || "-", kind: o.kind, name: o.name, ready: `${readyCondition(o.object)?.status ?? "-"} → -`, secret: "-", notAfter: "-", check: "left out on purpose" });
    notes.push({ object: label, message: `not restored: left out on purpose (leaveOut)${present ? "; an object of that name is in the cluster (not compared)" : ""}` });
  }

  for (const copy of plan.secretsToCopy) {
    const state = live.copiedSecrets.get(copy.name);
    const label = `Secret/${copy.to}/${copy.name}`;
    if (!state?.present && expectMissing.has(copy.name)) {
      notes.push({ object: label, message: "not copied: listed as expected missing (expectedMissingSecrets)" });
    } else if (!state?.present && copy.existedAtBackup === false) {
      // Preflight copies every Secret that exists and stops on a missing one unless it is expected
      // missing: one the backup already found missing was never there to copy.
      notes.push({ object: label, message: `not copied: ${copy.from}/${copy.name} did not exist at backup time either` });
    } else if (!state?.present) {
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

  // v1.1.1's webhook makes its own serving CA (a Secret): no Issuer or Certificate of its own.
  if (live.webhookEnabled && !v1) {
    const releaseName = options.releaseName ?? DEFAULT_RELEASE_NAME;
    for (const w of webhookObjects(releaseName)) {
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
      if (!actual) {
        differences.push({ object: label, message: `the 0.6 webhook's own object (release ${releaseName}) is missing: is the release installed, under that name (--release-name)?` });
        continue;
      }
      // The webhook's issuers and certificates are made by the chart and issued by the controller: Ready, as in the seed's check.
      const readyNow = readyCondition(actual)?.status;
      if (readyNow !== "True") {
        if (readyNow === undefined && options.allowPending) {
          notes.push({ object: label, message: "the 0.6 webhook's own object: the controller has not reported Ready yet" });
        } else {
          const problem = readyNow === undefined ? "not Ready yet (the 0.6 webhook's own object)" : `Ready ${readyNow} (the 0.6 webhook's own object)`;
          rows[rows.length - 1].check = problem;
          differences.push({ object: label, message: problem });
        }
        if (w.kind === "Certificate" && !(readyNow === undefined && options.allowPending)) notReady.push(`${options.namespace}/${w.name}`);
      }
    }
  }
  return { rows, differences, notes, notReady };
}
