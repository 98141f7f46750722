// What cert-manager 0.6.2 will issue anew, and which ACME accounts it will register, once the
// backup is restored (pure: the backup's objects and facts, the time and the controller's default in;
// predictions out). Said before anything is deleted: plan and preview warn with the count.
//
// The rules are those of cert-manager v0.6.2's source:
// - pkg/controller/certificates/sync.go Sync: nothing is issued unless the Certificate's issuer
//   exists and is Ready (and, for an ACME issuer, the Certificate has spec.acme). Then it issues when
//   the TLS Secret, its tls.key or its tls.crt is missing or unreadable (kube.SecretTLSKeyPair; only
//   PEM "RSA PRIVATE KEY" and "EC PRIVATE KEY" keys are read: pkg/util/pki/parse.go; tls.crt through
//   pki.DecodeX509CertificateChainBytes, pkg/util/kube/pki.go:95, which parses every PEM block and
//   fails the whole of tls.crt on one that is not a certificate: parse.go:87-97), when the key is
//   not the certificate's, when the certificate's common name is not the spec's (commonName, else the
//   first of dnsNames: pki.CommonNameForCertificate), when its DNS names differ from the spec's, the
//   common name included (pki.DNSNamesForCertificate, compared unordered: util.EqualUnsorted), or
//   when it is within renewBefore of its expiry (spec.renewBefore, else the controller's
//   --renew-before-expiry-duration, default 30 days: IssuerOptions.CertificateNeedsRenew).
// - What the backup cannot settle is "may be issued" (mayReissue), counted apart: an issuer not Ready
//   in it (the restore strips status and 0.6.2 checks the issuer again), and a renewal window that
//   opens between the prediction's `now` and the run (a margin, 7 days by default).
// - pkg/issuer/acme/setup.go Setup: an issuer with an ACME v1 URL is marked InvalidConfig (no key is
//   read, no account); a missing account key Secret makes it generate a new key and register a NEW
//   account; a Secret whose key is missing or not an RSA PKCS#1 key (pkg/acme ReadPrivateKey) leaves
//   the issuer not Ready (ErrVerifyACMEAccount) and registers nothing; otherwise the account is looked up.
import { readyCondition } from "./conditions";
import { goDurationNanoseconds } from "./go-duration";
import { ACCOUNT_KEY_TYPES_READ, TLS_KEY_TYPES_READ, TlsCertificateRecord, isoSeconds } from "./tls-facts";
import { AccountKeyRecord, BackupMeta, BackupObject, objectLabel } from "./types";

export type ReissueWhat = "certificate" | "acme-account";

/** One prediction; the `plan --json` `reissues` entries have exactly these fields. */
export interface Reissue {
  kind: string;
  /** "" for a ClusterIssuer. */
  namespace: string;
  name: string;
  what: ReissueWhat;
  reason: string;
}

export interface Prediction {
  /** What 0.6.2 will do: issue these certificates anew, register these accounts. */
  reissues: Reissue[];
  /**
   * Certificates 0.6.2 may issue, depending on what the backup cannot fix in advance (an issuer not
   * Ready in it, which 0.6.2 checks again after the restore): counted apart from reissues, never left out.
   */
  mayReissue: Reissue[];
  /** What the backup cannot tell (it lacks the facts): maybe issued, maybe not. Never taken for "fine". */
  unknown: Reissue[];
  /** Certificates 0.6.2 would issue, but their issuer will not be Ready: nothing happens until it is. */
  held: Reissue[];
  /**
   * ACME issuers whose account key 0.6.2 cannot read (a PKCS#8 or EC key, no data under the key):
   * not Ready after the upgrade, no account registered, nothing issued or renewed for them.
   */
  accountKeyProblems: Array<{ kind: string; namespace: string; name: string; reason: string }>;
}

export interface PredictionInput {
  objects: BackupObject[];
  /** The backup's facts; absent for a backup not written by `npm run backup` (kubectl output). */
  meta?: BackupMeta;
  now: Date;
  /** The controller's --renew-before-expiry-duration in milliseconds (default 30 days). */
  renewBeforeDefaultMs?: number;
  /**
   * How long after `now` the upgrade may run (default 7 days): a certificate whose renewal window
   * opens within it may be renewed by 0.6.2 as soon as it starts, so it is "may be issued".
   */
  renewalMarginMs?: number;
  /** ClusterIssuer Secrets that will not be where 0.6 reads them (not copied: the stack's expectedMissingSecrets). */
  accountKeysNotCopied?: string[];
  /** Where the old release kept ClusterIssuer Secrets (default: the backup's, else kube-system). */
  legacyNamespace?: string;
}

/** cert-manager v0.6.2 v1alpha1.DefaultRenewBefore. */
export const DEFAULT_RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
/** A plan reviewed up to a week before the run still holds. */
export const DEFAULT_RENEWAL_MARGIN_MS = 7 * 24 * 3600 * 1000;

/** pkg/issuer/acme/setup.go acmev1ToV2Mappings: exactly these URLs make an issuer InvalidConfig. */
export const ACME_V1_URLS: ReadonlySet<string> = new Set([
  "https://acme-v01.api.letsencrypt.org/directory",
  "https://acme-staging.api.letsencrypt.org/directory",
  "https://acme-v01.api.letsencrypt.org/directory/",
  "https://acme-staging.api.letsencrypt.org/directory/",
]);

/** A Go time.Duration string (metav1.Duration's JSON form, e.g. "720h", "1h30m0s") in milliseconds; undefined when it is not one. */
export function parseGoDuration(text: string): number | undefined {
  const ns = goDurationNanoseconds(text.trim());
  return ns === undefined ? undefined : Number(ns) / 1e6;
}

/** The controller flag --renew-before-expiry-duration among a release's extraArgs (chart value), in milliseconds. */
export function renewBeforeFromArgs(args: unknown): number | undefined {
  if (!Array.isArray(args)) return undefined;
  let found: number | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = String(args[i]);
    const m = /^--?renew-before-expiry-duration(?:=(.*))?$/.exec(arg);
    if (!m) continue;
    const value = m[1] ?? (i + 1 < args.length ? String(args[i + 1]) : "");
    const ms = parseGoDuration(value);
    if (ms !== undefined) found = ms; // the last one wins, as with Go's flag package
  }
  return found;
}

function str(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** pki.CommonNameForCertificate. */
export function expectedCommonName(spec: Record<string, unknown> | undefined): string {
  const cn = str(spec?.commonName);
  if (cn) return cn;
  return strings(spec?.dnsNames)[0] ?? "";
}

/** pki.DNSNamesForCertificate: the common name first when set, without duplicates. */
export function expectedDnsNames(spec: Record<string, unknown> | undefined): string[] {
  const cn = str(spec?.commonName);
  const dnsNames = strings(spec?.dnsNames);
  if (dnsNames.length === 0) return cn ? [cn] : [];
  if (!cn) return dnsNames;
  return [...new Set([cn, ...dnsNames])];
}

/** util.EqualUnsorted: the same length and the same strings once sorted. */
export function equalUnsorted(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}

function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours / 24)) return `${hours / 24} days`;
  if (Number.isInteger(hours)) return `${hours}h`;
  return `${Math.round(ms / 1000)}s`;
}

interface IssuerOutlook {
  /** Why it will not be Ready after the upgrade; undefined when it will be (as far as the backup tells). */
  notReady?: string;
  /** The same, short, for the certificates that wait for it. */
  notReadyShort?: string;
  /**
   * Why it may or may not be Ready after the upgrade: it was not Ready in the backup, but the restore
   * strips status and 0.6.2 runs the issuer's Setup again (pkg/controller/issuers/sync.go), and on
   * each issuer change syncs its certificates again (pkg/controller/certificates/controller.go:76,83).
   */
  notReadyInBackup?: string;
  acme: boolean;
}

function issuerKey(kind: string, namespace: string, name: string): string {
  return kind === "ClusterIssuer" ? `ClusterIssuer//${name}` : `Issuer/${namespace}/${name}`;
}

/** The ACME issuers' account keys: a new account, an issuer left not Ready, or unknown. */
function accountOutlook(
  o: BackupObject,
  meta: BackupMeta | undefined,
  legacyNamespace: string,
  notCopied: Set<string>,
  out: Prediction,
): string | undefined {
  const acme = o.object.spec?.acme as { server?: unknown; privateKeySecretRef?: { name?: unknown; key?: unknown } } | undefined;
  const ref = { kind: o.kind, namespace: o.namespace, name: o.name };
  const secretName = str(acme?.privateKeySecretRef?.name);
  if (!secretName) return undefined; // the webhook and validation reject it; nothing to predict
  const dataKey = str(acme?.privateKeySecretRef?.key) || "tls.key";
  const secretNamespace = o.kind === "ClusterIssuer" ? legacyNamespace : o.namespace;
  const where = `Secret ${secretNamespace}/${secretName} (spec.acme.privateKeySecretRef)`;

  if (o.kind === "ClusterIssuer" && notCopied.has(secretName)) {
    out.reissues.push({ ...ref, what: "acme-account", reason: `its account key ${where} is not copied (expectedMissingSecrets): 0.6.2 generates a new key and registers a NEW ACME account` });
    return undefined;
  }
  const record: AccountKeyRecord | undefined = meta?.acmeAccountKeys?.find(
    (r) => r.issuerKind === o.kind && r.issuerNamespace === o.namespace && r.issuer === o.name,
  );
  const inventory = meta?.secrets.find((s) => s.namespace === secretNamespace && s.name === secretName);
  const exists = record ? record.secretExists : inventory?.exists;
  if (exists === false) {
    out.reissues.push({ ...ref, what: "acme-account", reason: `${where} did not exist at backup time: 0.6.2 generates a new key and registers a NEW ACME account` });
    return undefined;
  }
  if (!record) {
    const why = meta ? `the backup (format ${meta.format}, taken before account keys were checked) does not record the type of its account key ${where}` : `the backup was not written by \`npm run backup\`: nothing is known of its account key ${where}`;
    out.unknown.push({ ...ref, what: "acme-account", reason: `${why}; take the backup again with \`npm run backup\`` });
    return undefined;
  }
  if (!record.keyPresent) {
    return `its account key ${where} has no data key ${dataKey}: 0.6.2 cannot read it (ErrVerifyACMEAccount); it registers no account and issues nothing for this issuer`;
  }
  if (!record.keyType || !ACCOUNT_KEY_TYPES_READ.includes(record.keyType)) {
    const type = record.keyType ? `a PEM ${record.keyType} block${record.keyType === "PRIVATE KEY" ? " (PKCS#8)" : ""}` : "no PEM block";
    return `its account key ${where} holds ${type}, and 0.6.2 reads only an RSA PRIVATE KEY (PKCS#1): the issuer is not Ready (ErrVerifyACMEAccount), it registers no account and issues nothing for this issuer`;
  }
  return undefined;
}

interface CertificateOutlook {
  /** Why 0.6.2 will issue it (as far as the backup tells). */
  reasons: string[];
  /** Why it may: what happens between this prediction and the run (none when there are reasons). */
  maybe: string[];
  /** What the backup does not tell (none when there are reasons). */
  unknown?: string;
}

/** Why this certificate would be issued, from the backup's facts; "unknown: …" when they do not tell. */
function certificateReasons(o: BackupObject, meta: BackupMeta | undefined, now: Date, renewBeforeDefaultMs: number, marginMs: number): CertificateOutlook {
  const spec = o.object.spec;
  const secretName = str(spec?.secretName);
  if (meta?.missingTlsSecrets.includes(`${o.namespace}/${secretName}`)) {
    return { reasons: [`TLS Secret ${o.namespace}/${secretName} did not exist at backup time`], maybe: [] };
  }
  if (!meta) return { reasons: [], maybe: [], unknown: "the backup was not written by `npm run backup`: it records nothing of the TLS Secret" };
  if (!meta.tlsCertificates) return { reasons: [], maybe: [], unknown: `the backup (format ${meta.format}) records no certificate facts` };
  const record: TlsCertificateRecord | undefined = meta.tlsCertificates.find((c) => c.namespace === o.namespace && c.certificate === o.name);
  if (!record) return { reasons: [], maybe: [], unknown: `the backup records no facts of TLS Secret ${o.namespace}/${secretName}` };
  if (record.problem) return { reasons: [`TLS Secret ${o.namespace}/${secretName}: ${record.problem}, which 0.6.2 takes for a missing certificate`], maybe: [] };

  const reasons: string[] = [];
  const maybe: string[] = [];
  const unknowns: string[] = [];
  if (record.chainProblem) {
    reasons.push(`TLS Secret ${o.namespace}/${secretName}: ${record.chainProblem}; 0.6.2 reads every PEM block of tls.crt and takes the certificate for missing when one does not parse`);
  } else if (record.chainLength === undefined) {
    unknowns.push(`the backup was taken before every PEM block of tls.crt was checked: whether 0.6.2 reads all of ${o.namespace}/${secretName}'s tls.crt is not known`);
  }
  if (record.keyProblem) {
    reasons.push(`TLS Secret ${o.namespace}/${secretName}: ${record.keyProblem}, so 0.6.2 takes the certificate for missing`);
  } else if (record.keyType && !TLS_KEY_TYPES_READ.includes(record.keyType)) {
    reasons.push(`TLS Secret ${o.namespace}/${secretName}: tls.key is a PEM ${record.keyType} block${record.keyType === "PRIVATE KEY" ? " (PKCS#8)" : ""}, which 0.6.2 cannot read, so it takes the certificate for missing`);
  } else if (record.keyMatchesCertificate === false) {
    reasons.push(`TLS Secret ${o.namespace}/${secretName}: tls.key is not the key of the certificate in tls.crt`);
  } else if (record.keyMatchesCertificate === undefined) {
    unknowns.push(meta.acmeAccountKeys === undefined
      ? `the backup was taken before keys were checked: whether tls.key of ${o.namespace}/${secretName} is present, readable by 0.6.2 and the certificate's is not known`
      : `the backup does not say whether tls.key of ${o.namespace}/${secretName} is the certificate's`);
  }

  const expectedCn = expectedCommonName(spec);
  const actualCn = record.commonName ?? "";
  if (expectedCn !== actualCn) {
    reasons.push(`the certificate's common name ${JSON.stringify(actualCn)} is not the spec's ${JSON.stringify(expectedCn)}`);
  }
  const expectedNames = expectedDnsNames(spec);
  const actualNames = record.dnsNames ?? [];
  if (!equalUnsorted(actualNames, expectedNames)) {
    reasons.push(`the certificate's DNS names [${actualNames.join(", ")}] are not the spec's [${expectedNames.join(", ")}] (the common name counts as one)`);
  }

  if (record.notAfter) {
    const specRenew = str(spec?.renewBefore);
    const parsed = specRenew ? parseGoDuration(specRenew) : undefined;
    const renewBefore = parsed ?? renewBeforeDefaultMs;
    const source = parsed !== undefined ? `spec.renewBefore ${specRenew}` : `renewBefore ${formatDuration(renewBeforeDefaultMs)}`;
    const renewAt = new Date(record.notAfter).getTime() - renewBefore;
    if (renewAt <= now.getTime()) {
      reasons.push(new Date(record.notAfter).getTime() <= now.getTime()
        ? `the certificate expired at ${record.notAfter}`
        : `the certificate expires at ${record.notAfter}, within its renewal window (${source})`);
    } else if (renewAt <= now.getTime() + marginMs) {
      // Not now, but maybe at the run: "now" is the plan's time, not the upgrade's.
      maybe.push(`the certificate enters its renewal window (${source}) at ${isoSeconds(new Date(renewAt))}, within ${formatDuration(marginMs)} of this plan (${isoSeconds(now)}): if the upgrade runs after that, 0.6.2 renews it at once; an ordinary renewal it would make then anyway, not a loss`);
    }
  } else {
    unknowns.push(`the backup records no expiry of TLS Secret ${o.namespace}/${secretName}`);
  }
  if (reasons.length) return { reasons, maybe: [] };
  return { reasons, maybe, unknown: unknowns.length ? unknowns.join("; ") : undefined };
}

export function predictReissues(input: PredictionInput): Prediction {
  const out: Prediction = { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] };
  const legacyNamespace = input.legacyNamespace ?? input.meta?.legacyNamespace ?? "kube-system";
  const notCopied = new Set(input.accountKeysNotCopied ?? []);
  const renewBeforeDefaultMs = input.renewBeforeDefaultMs ?? DEFAULT_RENEW_BEFORE_MS;
  const marginMs = input.renewalMarginMs ?? DEFAULT_RENEWAL_MARGIN_MS;
  const issuers = new Map<string, IssuerOutlook>();

  const sorted = [...input.objects].sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const o of sorted) {
    if (o.kind !== "ClusterIssuer" && o.kind !== "Issuer") continue;
    const acme = o.object.spec?.acme as { server?: unknown } | undefined;
    const outlook: IssuerOutlook = { acme: acme !== undefined && acme !== null };
    const ready = readyCondition(o.object);
    if (outlook.acme && ACME_V1_URLS.has(str(acme?.server))) {
      outlook.notReady = `its ACME v1 server ${str(acme?.server)} makes 0.6.2 mark it InvalidConfig`;
      outlook.notReadyShort = "its ACME v1 server makes 0.6.2 mark it InvalidConfig";
    } else {
      if (outlook.acme) {
        outlook.notReady = accountOutlook(o, input.meta, legacyNamespace, notCopied, out);
        if (outlook.notReady) {
          out.accountKeyProblems.push({ kind: o.kind, namespace: o.namespace, name: o.name, reason: outlook.notReady });
          outlook.notReadyShort = "0.6.2 cannot read its ACME account key";
        }
      }
      if (!outlook.notReady && ready && ready.status !== "True") {
        outlook.notReadyInBackup = `was not Ready in the backup (${[ready.reason, ready.message].filter(Boolean).join(": ") || ready.status})`;
      }
    }
    issuers.set(issuerKey(o.kind, o.namespace, o.name), outlook);
  }

  for (const o of sorted) {
    if (o.kind !== "Certificate") continue;
    const spec = o.object.spec;
    if (!str(spec?.secretName)) continue; // validation fails: 0.6.2 issues nothing
    const issuerRef = spec?.issuerRef as { name?: unknown; kind?: unknown } | undefined;
    const issuerKind = str(issuerRef?.kind) || "Issuer";
    const issuerName = str(issuerRef?.name);
    const issuer = issuers.get(issuerKey(issuerKind, o.namespace, issuerName));
    if (!issuer) continue; // IssuerNotFound: nothing is issued (plan warns about the missing issuer)
    const ref = { kind: o.kind, namespace: o.namespace, name: o.name, what: "certificate" as const };
    const { reasons, maybe, unknown } = certificateReasons(o, input.meta, input.now, renewBeforeDefaultMs, marginMs);
    const issuerLabel = objectLabel({ kind: issuerKind, namespace: issuerKind === "ClusterIssuer" ? "" : o.namespace, name: issuerName });
    let blocked = issuer.notReady ? `its ${issuerLabel} will not be Ready (${issuer.notReadyShort})` : undefined;
    if (!blocked && issuer.acme && (spec?.acme === undefined || spec?.acme === null)) blocked = "it has no spec.acme (0.6.2 reports BadConfig)";
    if (reasons.length) {
      const reason = reasons.join("; ");
      if (blocked) out.held.push({ ...ref, reason: `${reason}; but ${blocked}: 0.6.2 issues nothing for it until that is fixed, then it issues it anew` });
      else if (issuer.notReadyInBackup) out.mayReissue.push({ ...ref, reason: `${reason}; its ${issuerLabel} ${issuer.notReadyInBackup}: 0.6.2 checks the issuer again after the restore and issues it at once if the issuer becomes Ready` });
      else out.reissues.push({ ...ref, reason });
    } else if (maybe.length) {
      const reason = [...maybe, ...(unknown ? [unknown] : [])].join("; ");
      if (blocked) out.held.push({ ...ref, reason: `${reason}; but ${blocked}: 0.6.2 issues nothing for it until that is fixed, then it renews it` });
      else if (issuer.notReadyInBackup) out.mayReissue.push({ ...ref, reason: `${reason}; its ${issuerLabel} ${issuer.notReadyInBackup}: 0.6.2 checks the issuer again after the restore` });
      else out.mayReissue.push({ ...ref, reason });
    } else if (unknown && !blocked) {
      out.unknown.push({ ...ref, reason: unknown });
    }
  }
  return out;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function shortList(items: Reissue[], max = 3): string {
  const names = items.map((r) => (r.namespace ? `${r.namespace}/${r.name}` : r.name));
  return names.length > max ? `${names.slice(0, max).join(", ")} and ${names.length - max} more` : names.join(", ");
}

/** The count line: `2 certificates will be issued anew and 1 new ACME account registered by cert-manager 0.6.2 (…)`. */
export function describePrediction(p: Prediction): string {
  const certs = p.reissues.filter((r) => r.what === "certificate");
  const accounts = p.reissues.filter((r) => r.what === "acme-account");
  const named = [certs.length ? shortList(certs) : "", accounts.length ? `account${accounts.length === 1 ? "" : "s"} of ${shortList(accounts)}` : ""].filter(Boolean).join("; ");
  let line = certs.length === 0 && accounts.length === 0
    ? "no certificate will be issued anew and no new ACME account registered by cert-manager 0.6.2"
    : `${plural(certs.length, "certificate", "certificates")} will be issued anew and ${plural(accounts.length, "new ACME account", "new ACME accounts")} registered by cert-manager 0.6.2 (${named})`;
  if (p.mayReissue.length) line += `; ${plural(p.mayReissue.length, "certificate", "certificates")} may be issued (${shortList(p.mayReissue)})`;
  if (p.unknown.length) line += `; ${p.unknown.length} cannot be told from this backup (${shortList(p.unknown)})`;
  if (p.held.length) line += `; ${plural(p.held.length, "more certificate waits", "more certificates wait")} for an issuer that will not be Ready (${shortList(p.held)})`;
  return line;
}

/** The `plan --json` `reissues` entries: exactly kind, namespace, name, what, reason. */
export function reissuesToJson(items: Reissue[]): Reissue[] {
  return items.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name, what: r.what, reason: r.reason }));
}
