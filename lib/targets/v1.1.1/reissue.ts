// What cert-manager v1.1.1 will issue anew, and which ACME accounts it will register, once the
// converted backup is restored (pure). The rules are those of v1.1.1's source:
// - pkg/controller/certificates/trigger/policies/policies.go NewTriggerPolicyChain, in its order:
//   SecretDoesNotExist; SecretHasData (tls.key and tls.crt non-empty); SecretPublicKeysMatch
//   (tls.X509KeyPair: the key is the leaf's; PKCS#1, PKCS#8 and SEC1 keys are read, and only the
//   first certificate is parsed, so a bad later PEM block does not matter, unlike 0.6.2);
//   SecretPrivateKeyMatchesSpec (pkg/controller/certificates/util.go PrivateKeyMatchesSpec: the key's
//   algorithm is spec.privateKey.algorithm, RSA by default, and its size spec.privateKey.size, 2048
//   or P-256 by default); SecretHasUpToDateIssuerAnnotations (the Secret's cert-manager.io/issuer-name,
//   -kind, -group against spec.issuerRef; empty kind = Issuer, empty group = cert-manager.io);
//   CurrentCertificateRequestValidForSpec (no CertificateRequest after a restore, so
//   SecretDataAltNamesMatchSpec: the certificate's DNS names plus its CN as a set against the spec's
//   dnsNames plus commonName, and its IP SANs against spec.ipAddresses); CurrentCertificateNearingExpiry
//   (status.renewalTime, set by the readiness controller to notAfter - renewBefore: spec.renewBefore,
//   else 30 days; a third of the lifetime when renewBefore exceeds it).
// - pkg/issuer/acme/setup.go Setup: an ACME v1 URL makes the issuer InvalidConfig; a missing account
//   key Secret makes it generate a key and register a NEW account; a Secret without the data key, or
//   with a key that does not parse, or a non-RSA key, leaves it not Ready and registers nothing;
//   otherwise it registers with the existing key, which the ACME server answers with the existing
//   account (no new account).
// What the backup does not record, and is taken as cert-manager 0.4/0.6 made it: the TLS key's size
// (generated per spec.keySize), and the certificate's IP, URI and email SANs (0.6.2 requests DNS
// names only) and notBefore (a lifetime longer than renewBefore).
import { readyCondition } from "../../conditions";
import { ACME_V1_URLS, DEFAULT_RENEWAL_MARGIN_MS, parseGoDuration } from "../../reissue-prediction";
import { isoSeconds, TlsCertificateRecord } from "../../tls-facts";
import { AccountKeyRecord, BackupMeta, BackupObject, KubeObject } from "../../types";
import type { TargetPrediction, TargetPredictionInput, TargetReissue } from "../target";
import { certificateIssuerKey, convertCertificate } from "./convert";

/** cert-manager v1.1.1's default renewBefore (30 days, as 0.6.2's; kept here as this version's fact). */
export const DEFAULT_RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

type Dict = Record<string, unknown>;
const dict = (v: unknown): Dict | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Dict) : undefined);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** The key algorithm a PEM block type tells (PKCS#8 does not tell it). */
function keyAlgorithmOf(pemType: string | undefined): "RSA" | "ECDSA" | undefined {
  if (pemType === "RSA PRIVATE KEY") return "RSA";
  if (pemType === "EC PRIVATE KEY") return "ECDSA";
  return undefined;
}

interface IssuerOutlook {
  notReady?: string;
  notReadyInBackup?: string;
}

function accountOutlook(o: BackupObject, meta: BackupMeta | undefined, legacyNamespace: string, notCopied: Set<string>, out: TargetPrediction): string | undefined {
  const acme = dict(o.object.spec?.acme);
  const ref = { kind: o.kind, namespace: o.namespace, name: o.name };
  const secretName = str(dict(acme?.privateKeySecretRef)?.name);
  if (!secretName) return undefined;
  const dataKey = str(dict(acme?.privateKeySecretRef)?.key) || "tls.key";
  const secretNamespace = o.kind === "ClusterIssuer" ? legacyNamespace : o.namespace;
  const where = `Secret ${secretNamespace}/${secretName} (spec.acme.privateKeySecretRef)`;
  if (o.kind === "ClusterIssuer" && notCopied.has(secretName)) {
    out.reissues.push({ ...ref, what: "acme-account", reason: `its account key ${where} is not copied (expectedMissingSecrets): v1.1.1 generates a new key and registers a NEW ACME account` });
    return undefined;
  }
  const record: AccountKeyRecord | undefined = meta?.acmeAccountKeys?.find((r) => r.issuerKind === o.kind && r.issuerNamespace === o.namespace && r.issuer === o.name);
  const exists = record ? record.secretExists : meta?.secrets.find((s) => s.namespace === secretNamespace && s.name === secretName)?.exists;
  if (exists === false) {
    out.reissues.push({ ...ref, what: "acme-account", reason: `${where} did not exist at backup time: v1.1.1 generates a new key and registers a NEW ACME account` });
    return undefined;
  }
  if (!record) {
    const why = meta ? `the backup (format ${meta.format}) does not record the type of its account key ${where}` : `the backup was not written by \`npm run backup\`: nothing is known of its account key ${where}`;
    out.unknown.push({ ...ref, what: "acme-account", reason: `${why}; take the backup again with \`npm run backup\`` });
    return undefined;
  }
  if (!record.keyPresent) return `its account key ${where} has no data key ${dataKey}: v1.1.1 cannot read it (InvalidData), registers no account and issues nothing for this issuer`;
  if (record.keyType === "PRIVATE KEY") {
    out.unknown.push({ ...ref, what: "acme-account", reason: `its account key ${where} is PKCS#8, which v1.1.1 reads; the backup does not record whether it is an RSA key (v1.1.1 needs RSA, else the issuer is not Ready); no new account either way` });
    return undefined;
  }
  if (record.keyType !== "RSA PRIVATE KEY") {
    const type = record.keyType ? `a PEM ${record.keyType} block` : "no PEM block";
    return `its account key ${where} holds ${type}, and v1.1.1 needs an RSA key: the issuer is not Ready, it registers no account and issues nothing for this issuer`;
  }
  return undefined;
}

interface Outlook {
  reasons: string[];
  maybe: string[];
  unknowns: string[];
}

function formatDuration(ms: number): string {
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours / 24)) return `${hours / 24} days`;
  if (Number.isInteger(hours)) return `${hours}h`;
  return `${Math.round(ms / 1000)}s`;
}

/** The trigger policy chain over the backup's facts, for one converted Certificate. */
function certificateOutlook(o: BackupObject, v1: KubeObject, input: TargetPredictionInput, marginMs: number): Outlook {
  const spec = dict(v1.spec) ?? {};
  const meta = input.meta;
  const secretName = str(spec.secretName);
  const secret = `${o.namespace}/${secretName}`;
  const out: Outlook = { reasons: [], maybe: [], unknowns: [] };
  if (meta?.missingTlsSecrets.includes(secret)) {
    out.reasons.push(`TLS Secret ${secret} did not exist at backup time (DoesNotExist)`);
    return out;
  }
  if (!meta) return { ...out, unknowns: ["the backup was not written by `npm run backup`: it records nothing of the TLS Secret"] };
  if (!meta.tlsCertificates) return { ...out, unknowns: [`the backup (format ${meta.format}) records no certificate facts`] };
  const record: TlsCertificateRecord | undefined = meta.tlsCertificates.find((c) => c.namespace === o.namespace && c.certificate === o.name);
  if (!record) return { ...out, unknowns: [`the backup records no facts of TLS Secret ${secret}`] };
  if (record.problem) {
    out.reasons.push(`TLS Secret ${secret}: ${record.problem} (MissingData or InvalidKeyPair)`);
    return out;
  }
  // SecretHasData, SecretPublicKeysMatch
  if (record.keyProblem === "no tls.key") out.reasons.push(`TLS Secret ${secret} has no tls.key (MissingData)`);
  else if (record.keyType === "PRIVATE KEY") out.unknowns.push(`tls.key of ${secret} is PKCS#8: v1.1.1 reads it, but the backup did not check whether it is the certificate's key, nor its algorithm`);
  else if (record.keyProblem) out.reasons.push(`TLS Secret ${secret}: ${record.keyProblem} (InvalidKeyPair)`);
  else if (record.keyMatchesCertificate === false) out.reasons.push(`TLS Secret ${secret}: tls.key is not the key of the certificate in tls.crt (InvalidKeyPair)`);
  else if (record.keyMatchesCertificate === undefined) out.unknowns.push(`the backup does not say whether tls.key of ${secret} is the certificate's`);
  // SecretPrivateKeyMatchesSpec
  const wanted = str(dict(spec.privateKey)?.algorithm) || "RSA";
  const actual = keyAlgorithmOf(record.keyType);
  if (actual && actual !== wanted) out.reasons.push(`tls.key of ${secret} is an ${actual} key but spec.privateKey.algorithm is ${wanted} (SecretMismatch: spec.keyAlgorithm)`);
  // SecretHasUpToDateIssuerAnnotations
  const secretMeta = input.tlsSecretMetadata?.get(secret);
  const ref = dict(spec.issuerRef) ?? {};
  if (!input.tlsSecretMetadata) {
    out.unknowns.push(`the TLS Secret's issuer annotations were not given: whether ${secret}'s cert-manager.io/issuer-name and issuer-kind match is not known`);
  } else if (!secretMeta) {
    out.unknowns.push(`no metadata was given for TLS Secret ${secret}`);
  } else {
    const a = secretMeta.annotations ?? {};
    const name = a["cert-manager.io/issuer-name"] ?? "";
    const kind = a["cert-manager.io/issuer-kind"] || "Issuer";
    const group = a["cert-manager.io/issuer-group"] || "cert-manager.io";
    const wantKind = str(ref.kind) || "Issuer";
    const wantGroup = str(ref.group) || "cert-manager.io";
    if (name !== str(ref.name) || kind !== wantKind || group !== wantGroup) {
      const old = a["certmanager.k8s.io/issuer-name"] !== undefined && a["cert-manager.io/issuer-name"] === undefined ? " (it still carries only the old certmanager.k8s.io/issuer-name annotation: not renamed)" : "";
      out.reasons.push(`TLS Secret ${secret} was issued by ${kind}.${group}/${name || "?"} by its annotations, not ${wantKind}.${wantGroup}/${str(ref.name)} (IncorrectIssuer)${old}`);
    }
  }
  // SecretDataAltNamesMatchSpec
  const cn = str(spec.commonName);
  const expected = new Set([...strings(spec.dnsNames), ...(cn ? [cn] : [])]);
  const present = new Set([...(record.dnsNames ?? []), ...(record.commonName ? [record.commonName] : [])]);
  const sameNames = expected.size === present.size && [...expected].every((d) => present.has(d));
  if (!sameNames) out.reasons.push(`the certificate's names [${[...present].join(", ")}] are not the spec's [${[...expected].join(", ")}] (SecretMismatch: spec.dnsNames/commonName)`);
  if (strings(spec.ipAddresses).length > 0) out.reasons.push(`spec.ipAddresses [${strings(spec.ipAddresses).join(", ")}] are not in a certificate cert-manager 0.4/0.6 issued (SecretMismatch: spec.ipAddresses)`);
  // CurrentCertificateNearingExpiry
  if (record.notAfter) {
    const specRenew = str(spec.renewBefore);
    const parsed = specRenew ? parseGoDuration(specRenew) : undefined;
    const renewBefore = parsed ?? DEFAULT_RENEW_BEFORE_MS;
    const source = parsed !== undefined ? `spec.renewBefore ${specRenew}` : `renewBefore ${formatDuration(DEFAULT_RENEW_BEFORE_MS)}`;
    const notAfter = new Date(record.notAfter).getTime();
    const renewAt = notAfter - renewBefore;
    const now = input.now.getTime();
    if (renewAt <= now) out.reasons.push(notAfter <= now ? `the certificate expired at ${record.notAfter} (Renewing)` : `the certificate expires at ${record.notAfter}, within its renewal window (${source}) (Renewing)`);
    else if (renewAt <= now + marginMs) out.maybe.push(`the certificate enters its renewal window (${source}) at ${isoSeconds(new Date(renewAt))}, within ${formatDuration(marginMs)} of this plan: if the upgrade runs after that, v1.1.1 renews it at once; an ordinary renewal`);
  } else {
    out.unknowns.push(`the backup records no expiry of TLS Secret ${secret}`);
  }
  return out;
}

export function predictReissueV111(input: TargetPredictionInput): TargetPrediction {
  const out: TargetPrediction = { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] };
  const legacyNamespace = input.legacyNamespace ?? input.meta?.legacyNamespace ?? "kube-system";
  const notCopied = new Set(input.accountKeysNotCopied ?? []);
  const marginMs = input.renewalMarginMs ?? DEFAULT_RENEWAL_MARGIN_MS;
  const issuers = new Map<string, IssuerOutlook>();
  const sorted = [...input.objects].sort((a, b) => a.kind.localeCompare(b.kind) || a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const o of sorted) {
    if (o.kind !== "ClusterIssuer" && o.kind !== "Issuer") continue;
    const acme = dict(o.object.spec?.acme);
    const outlook: IssuerOutlook = {};
    if (acme && ACME_V1_URLS.has(str(acme.server))) {
      outlook.notReady = `its ACME v1 server ${str(acme.server)} makes v1.1.1 mark it InvalidConfig`;
    } else {
      if (acme) {
        outlook.notReady = accountOutlook(o, input.meta, legacyNamespace, notCopied, out);
        if (outlook.notReady) out.accountKeyProblems.push({ kind: o.kind, namespace: o.namespace, name: o.name, reason: outlook.notReady });
      }
      const ready = readyCondition(o.object);
      if (!outlook.notReady && ready && ready.status !== "True") outlook.notReadyInBackup = `was not Ready in the backup (${[ready.reason, ready.message].filter(Boolean).join(": ") || ready.status})`;
    }
    issuers.set(o.kind === "ClusterIssuer" ? `ClusterIssuer//${o.name}` : `Issuer/${o.namespace}/${o.name}`, outlook);
  }
  for (const o of sorted) {
    if (o.kind !== "Certificate") continue;
    const v1 = convertCertificate(o);
    if (!str(v1.spec?.secretName)) continue;
    const key = certificateIssuerKey(o);
    const issuer = issuers.get(key);
    if (!issuer) continue; // the CertificateRequest waits for an issuer that does not exist: nothing is issued
    const issuerLabel = key.replace("//", "/");
    const ref: Omit<TargetReissue, "reason"> = { kind: o.kind, namespace: o.namespace, name: o.name, what: "certificate" };
    const { reasons, maybe, unknowns } = certificateOutlook(o, v1, input, marginMs);
    const blocked = issuer.notReady ? `its ${issuerLabel} will not be Ready (${issuer.notReady})` : undefined;
    if (reasons.length) {
      const reason = reasons.join("; ");
      if (blocked) out.held.push({ ...ref, reason: `${reason}; but ${blocked}: v1.1.1 issues nothing for it until that is fixed, then it issues it anew` });
      else if (issuer.notReadyInBackup) out.mayReissue.push({ ...ref, reason: `${reason}; its ${issuerLabel} ${issuer.notReadyInBackup}: v1.1.1 issues it as soon as the issuer becomes Ready` });
      else out.reissues.push({ ...ref, reason });
    } else if (maybe.length) {
      const reason = [...maybe, ...unknowns].join("; ");
      if (blocked) out.held.push({ ...ref, reason: `${reason}; but ${blocked}` });
      else out.mayReissue.push({ ...ref, reason });
    } else if (unknowns.length && !blocked) {
      out.unknown.push({ ...ref, reason: unknowns.join("; ") });
    }
  }
  return out;
}

/** The count line of the v1.1.1 prediction. */
export function describePredictionV111(p: TargetPrediction): string {
  const certs = p.reissues.filter((r) => r.what === "certificate");
  const accounts = p.reissues.filter((r) => r.what === "acme-account");
  const names = (items: TargetReissue[]): string => items.map((r) => (r.namespace ? `${r.namespace}/${r.name}` : r.name)).join(", ");
  let line = certs.length === 0 && accounts.length === 0
    ? "no certificate will be issued anew and no new ACME account registered by cert-manager v1.1.1"
    : `${certs.length} certificate${certs.length === 1 ? "" : "s"} will be issued anew and ${accounts.length} new ACME account${accounts.length === 1 ? "" : "s"} registered by cert-manager v1.1.1 (${[names(certs), accounts.length ? `accounts of ${names(accounts)}` : ""].filter(Boolean).join("; ")})`;
  if (p.mayReissue.length) line += `; ${p.mayReissue.length} may be issued (${names(p.mayReissue)})`;
  if (p.unknown.length) line += `; ${p.unknown.length} cannot be told (${names(p.unknown)})`;
  if (p.held.length) line += `; ${p.held.length} wait for an issuer that will not be Ready (${names(p.held)})`;
  return line;
}
