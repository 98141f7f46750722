// What cert-manager 0.6.2's validating webhook rejects (pure), ported rule by rule from
// jetstack/cert-manager v0.6.2 pkg/apis/certmanager/validation (issuer.go, clusterissuer.go,
// certificate.go), which the webhook runs on every create and update (pkg/webhook/... via
// validation/webhooks/{issuer,clusterissuer,certificate}.go) with failurePolicy Fail.
// Messages are worded as k8s.io/apimachinery's field.Error prints them, so that they match what the
// API server answers. Objects are read as Go's encoding/json reads them into the v1alpha1 types: an
// absent or null field is the zero value, a pointer field (acme, ca, http01, …) is set when present.
import { X509Certificate } from "node:crypto";
import * as net from "node:net";
import { goDurationNanoseconds } from "./go-duration";

export type FieldErrorType = "Required" | "Invalid" | "NotSupported" | "Forbidden";

/** One k8s.io/apimachinery field.Error: Field, Type, BadValue (as Go prints it) and Detail. */
export interface FieldError {
  type: FieldErrorType;
  /** The Go field path, e.g. "spec.acme.dns01.providers[0].akamai.clientSecret.key". */
  field: string;
  /** The bad value as field.Error prints it (Invalid and NotSupported only). */
  badValue?: string;
  detail: string;
}

const TYPE_WORDS: Record<FieldErrorType, string> = {
  Required: "Required value",
  Invalid: "Invalid value",
  NotSupported: "Unsupported value",
  Forbidden: "Forbidden",
};

/** field.Error.Error() (apimachinery pkg/util/validation/field/errors.go): "<field>: <type>[: <value>][: <detail>]". */
export function fieldErrorText(e: FieldError): string {
  let body = TYPE_WORDS[e.type];
  if (e.type === "Invalid" || e.type === "NotSupported") body += `: ${e.badValue ?? "null"}`;
  if (e.detail !== "") body += `: ${e.detail}`;
  return `${e.field}: ${body}`;
}

type Dict = Record<string, unknown>;

function dict(v: unknown): Dict | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Dict) : undefined;
}

/** A Go string field: "" when absent, null or not a string. */
function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

/** A Go pointer (or slice) field: set when the JSON has a value for it. */
function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Go's %q of a string (strconv.Quote, for the printable ASCII the fields hold). */
function q(s: string): string {
  return JSON.stringify(s);
}

const required = (field: string, detail: string): FieldError => ({ type: "Required", field, detail });
const invalid = (field: string, badValue: string, detail: string): FieldError => ({ type: "Invalid", field, badValue, detail });
const notSupported = (field: string, badValue: string, values: string[]): FieldError =>
  ({ type: "NotSupported", field, badValue, detail: values.length > 0 ? `supported values: ${values.map(q).join(", ")}` : "" });
const forbidden = (field: string, detail: string): FieldError => ({ type: "Forbidden", field, detail });

// ---------------------------------------------------------------------------------------------
// Issuers and ClusterIssuers: validation/issuer.go ValidateIssuer, validation/clusterissuer.go
// ValidateClusterIssuer; both are ValidateIssuerSpec(&spec, "spec").

/** validation/issuer.go ValidateIssuerSpec → ValidateIssuerConfig (ClusterIssuers too: clusterissuer.go). */
export function validateIssuerSpec(spec: unknown, path = "spec"): FieldError[] {
  const iss = dict(spec) ?? {};
  const el: FieldError[] = [];
  let numConfigs = 0;
  // ValidateIssuerConfig: exactly one of acme, ca, selfSigned, vault, checked in this order.
  const types: Array<[string, (v: unknown, p: string) => FieldError[]]> = [
    ["acme", validateACMEIssuerConfig],
    ["ca", validateCAIssuerConfig],
    ["selfSigned", () => []], // ValidateSelfSignedIssuerConfig: nothing
    ["vault", validateVaultIssuerConfig],
  ];
  for (const [name, validate] of types) {
    if (!present(iss[name])) continue;
    if (numConfigs > 0) {
      el.push(forbidden(`${path}.${name}`, "may not specify more than one issuer type"));
    } else {
      numConfigs++;
      el.push(...validate(iss[name], `${path}.${name}`));
    }
  }
  if (numConfigs === 0) el.push(required(path, "at least one issuer must be configured"));
  return el;
}

/** validation/issuer.go ValidateACMEIssuerConfig. */
function validateACMEIssuerConfig(value: unknown, path: string): FieldError[] {
  const iss = dict(value) ?? {};
  const el: FieldError[] = [];
  if (str(iss.email) === "") el.push(required(`${path}.email`, "email address is a required field"));
  if (str(dict(iss.privateKeySecretRef)?.name) === "") el.push(required(`${path}.privateKeySecretRef.name`, "private key secret name is a required field"));
  if (str(iss.server) === "") el.push(required(`${path}.server`, "acme server URL is a required field"));
  if (present(iss.http01)) el.push(...validateACMEIssuerHTTP01Config(iss.http01, `${path}.http01`));
  if (present(iss.dns01)) el.push(...validateACMEIssuerDNS01Config(iss.dns01, `${path}.dns01`));
  return el;
}

/** validation/issuer.go ValidateCAIssuerConfig. */
function validateCAIssuerConfig(value: unknown, path: string): FieldError[] {
  return str(dict(value)?.secretName) === "" ? [required(`${path}.secretName`, "")] : [];
}

/** validation/issuer.go ValidateVaultIssuerConfig (auth is not validated there: a TODO upstream). */
function validateVaultIssuerConfig(value: unknown, path: string): FieldError[] {
  const iss = dict(value) ?? {};
  const el: FieldError[] = [];
  if (str(iss.server) === "") el.push(required(`${path}.server`, ""));
  if (str(iss.path) === "") el.push(required(`${path}.path`, ""));
  // caBundle is []byte (base64 in JSON); x509.CertPool.AppendCertsFromPEM must take a certificate from it.
  const bundle = str(iss.caBundle);
  if (bundle !== "" && !holdsPemCertificate(Buffer.from(bundle, "base64").toString("latin1"))) {
    el.push(invalid(`${path}.caBundle`, q(""), "Specified CA bundle is invalid"));
  }
  return el;
}

/** x509.CertPool.AppendCertsFromPEM's result: at least one CERTIFICATE block without headers parses. */
export function holdsPemCertificate(pem: string): boolean {
  const blocks = pem.matchAll(/-----BEGIN CERTIFICATE-----\r?\n([\s\S]*?)-----END CERTIFICATE-----/g);
  for (const block of blocks) {
    if (/^[\w-]+:/m.test(block[1])) continue; // a block with headers is skipped
    try {
      new X509Certificate(`-----BEGIN CERTIFICATE-----\n${block[1]}-----END CERTIFICATE-----\n`);
      return true;
    } catch {
      // not a certificate: AppendCertsFromPEM skips it too
    }
  }
  return false;
}

/** validation/issuer.go ValidateACMEIssuerHTTP01Config: serviceType, when set, ClusterIP or NodePort. */
function validateACMEIssuerHTTP01Config(value: unknown, path: string): FieldError[] {
  const serviceType = str(dict(value)?.serviceType);
  if (serviceType === "" || serviceType === "ClusterIP" || serviceType === "NodePort") return [];
  return [invalid(`${path}.serviceType`, q(serviceType), 'optional field serviceType must be one of ["ClusterIP" "NodePort"]')];
}

/** validation/issuer.go ValidateSecretKeySelector: name and key both set. */
function validateSecretKeySelector(value: unknown, path: string): FieldError[] {
  const sks = dict(value) ?? {};
  const el: FieldError[] = [];
  if (str(sks.name) === "") el.push(required(`${path}.name`, "secret name is required"));
  if (str(sks.key) === "") el.push(required(`${path}.key`, "secret key is required"));
  return el;
}

/** pkg/issuer/acme/dns/rfc2136/rfc2136.go GetSupportedAlgorithms (sorted). */
export const RFC2136_TSIG_ALGORITHMS = ["HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"];

/** Go's net.SplitHostPort, for rfc2136.ValidNameserver. */
export function splitHostPort(hostport: string): { host: string; port: string } | { error: string } {
  const i = hostport.lastIndexOf(":");
  if (i < 0) return { error: "missing port in address" };
  let host: string;
  let j = 0;
  let k = 0;
  if (hostport.startsWith("[")) {
    const end = hostport.indexOf("]");
    if (end < 0) return { error: "missing ']' in address" };
    if (end + 1 === hostport.length) return { error: "missing port in address" };
    if (end + 1 !== i) return { error: hostport[end + 1] === ":" ? "too many colons in address" : "missing port in address" };
    host = hostport.slice(1, end);
    j = 1;
    k = end + 1;
  } else {
    host = hostport.slice(0, i);
    if (host.includes(":")) return { error: "too many colons in address" };
  }
  if (hostport.slice(j).includes("[")) return { error: "unexpected '[' in address" };
  if (hostport.slice(k).includes("]")) return { error: "unexpected ']' in address" };
  return { host, port: hostport.slice(i + 1) };
}

/** pkg/issuer/acme/dns/rfc2136/rfc2136.go ValidNameserver: an IP address, with or without a port. */
export function validRfc2136Nameserver(nameserver: string): boolean {
  if (nameserver === "") return false;
  const split = splitHostPort(nameserver.trim());
  let host = "";
  if ("error" in split) {
    if (split.error.includes("missing port")) host = nameserver;
  } else {
    host = split.host;
  }
  // net.ParseIP: no zone, no brackets.
  return host !== "" && !host.includes("%") && net.isIP(host) !== 0;
}

/** validation/issuer.go ValidateACMEIssuerDNS01Config, provider by provider. */
function validateACMEIssuerDNS01Config(value: unknown, path: string): FieldError[] {
  const el: FieldError[] = [];
  list(dict(value)?.providers).forEach((provider, i) => {
    const p = dict(provider) ?? {};
    const pp = `${path}.providers[${i}]`;
    if (str(p.name) === "") el.push(required(`${pp}.name`, "name must be specified"));
    const cname = str(p.cnameStrategy);
    if (cname !== "" && cname !== "None" && cname !== "Follow") {
      el.push(invalid(`${pp}.cnameStrategy`, q(cname), 'must be one of "None" or "Follow"'));
    }
    let numProviders = 0;
    // Upstream checks akamai without the "more than one" test, and counts acmedns without it too.
    const akamai = dict(p.akamai);
    if (present(p.akamai)) {
      numProviders++;
      el.push(...validateSecretKeySelector(akamai?.accessTokenSecretRef, `${pp}.akamai.accessToken`));
      el.push(...validateSecretKeySelector(akamai?.clientSecretSecretRef, `${pp}.akamai.clientSecret`));
      el.push(...validateSecretKeySelector(akamai?.clientTokenSecretRef, `${pp}.akamai.clientToken`));
      if (str(akamai?.serviceConsumerDomain) === "") el.push(required(`${pp}.akamai.serviceConsumerDomain`, ""));
    }
    const exclusive = (name: string, validate: (c: Dict, cp: string) => void): void => {
      if (!present(p[name])) return;
      if (numProviders > 0) {
        el.push(forbidden(`${pp}.${name}`, "may not specify more than one provider type"));
      } else {
        numProviders++;
        validate(dict(p[name]) ?? {}, `${pp}.${name}`);
      }
    };
    exclusive("azuredns", (c, cp) => {
      el.push(...validateSecretKeySelector(c.clientSecretSecretRef, `${cp}.clientSecretSecretRef`));
      for (const f of ["clientID", "subscriptionID", "tenantID", "resourceGroupName"]) if (str(c[f]) === "") el.push(required(`${cp}.${f}`, ""));
    });
    exclusive("clouddns", (c, cp) => {
      // The service account is optional (ambient credentials), but validated whole once half of it is set.
      const sa = dict(c.serviceAccountSecretRef);
      if (str(sa?.name) !== "" || str(sa?.key) !== "") el.push(...validateSecretKeySelector(sa, `${cp}.serviceAccountSecretRef`));
      if (str(c.project) === "") el.push(required(`${cp}.project`, ""));
    });
    exclusive("cloudflare", (c, cp) => {
      el.push(...validateSecretKeySelector(c.apiKeySecretRef, `${cp}.apiKeySecretRef`));
      if (str(c.email) === "") el.push(required(`${cp}.email`, ""));
    });
    exclusive("route53", (c, cp) => {
      // Only region: ambient credentials may stand in for the keys.
      if (str(c.region) === "") el.push(required(`${cp}.region`, ""));
    });
    if (present(p.acmedns)) {
      numProviders++;
      const c = dict(p.acmedns);
      el.push(...validateSecretKeySelector(c?.accountSecretRef, `${pp}.acmedns.accountSecretRef`));
      if (str(c?.host) === "") el.push(required(`${pp}.acmedns.host`, ""));
    }
    exclusive("digitalocean", (c, cp) => {
      el.push(...validateSecretKeySelector(c.tokenSecretRef, `${cp}.tokenSecretRef`));
    });
    exclusive("rfc2136", (c, cp) => {
      const nameserver = str(c.nameserver);
      if (nameserver === "") el.push(required(`${cp}.nameserver`, ""));
      else if (!validRfc2136Nameserver(nameserver)) el.push(invalid(`${cp}.nameserver`, q(""), "Nameserver invalid. Check the documentation for details."));
      const algorithm = str(c.tsigAlgorithm);
      if (algorithm !== "" && !RFC2136_TSIG_ALGORITHMS.includes(algorithm.toUpperCase())) {
        el.push(notSupported(`${cp}.tsigAlgorithm`, q(""), RFC2136_TSIG_ALGORITHMS));
      }
      const tsigSecret = validateSecretKeySelector(c.tsigSecretSecretRef, `${cp}.tsigSecretSecretRef`);
      if (str(c.tsigKeyName) !== "") el.push(...tsigSecret);
      if (tsigSecret.length === 0 && str(c.tsigKeyName) === "") el.push(required(`${cp}.tsigKeyName`, ""));
    });
    if (numProviders === 0) el.push(required(pp, "at least one provider must be configured"));
  });
  return el;
}

// ---------------------------------------------------------------------------------------------
// Certificates: validation/certificate.go ValidateCertificate → ValidateCertificateSpec(&spec, "spec").

/** pkg/apis/certmanager/v1alpha1/const.go. */
const HOUR = 3_600_000_000_000n;
const MINUTE = 60_000_000_000n;
export const CERTIFICATE_DURATIONS = {
  minimumDuration: HOUR,
  defaultDuration: HOUR * 24n * 90n,
  minimumRenewBefore: MINUTE * 5n,
  defaultRenewBefore: HOUR * 24n * 30n,
};

/** Go's time.Duration.String(), e.g. 3600s → "1h0m0s", 90s → "1m30s", 1.5ms → "1.5ms". */
export function goDurationString(ns: bigint): string {
  if (ns === 0n) return "0s";
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  const frac = (v: bigint, digits: number): string => {
    const text = v.toString().padStart(digits, "0").replace(/0+$/, "");
    return text === "" ? "" : `.${text}`;
  };
  let out: string;
  if (u < 1_000_000_000n) {
    if (u < 1_000n) out = `${u}ns`;
    else if (u < 1_000_000n) out = `${u / 1_000n}${frac(u % 1_000n, 3)}µs`;
    else out = `${u / 1_000_000n}${frac(u % 1_000_000n, 6)}ms`;
  } else {
    const seconds = `${(u / 1_000_000_000n) % 60n}${frac(u % 1_000_000_000n, 9)}s`;
    u /= 1_000_000_000n * 60n; // whole minutes
    if (u === 0n) out = seconds;
    else if (u < 60n) out = `${u}m${seconds}`;
    else out = `${u / 60n}h${u % 60n}m${seconds}`;
  }
  return neg ? `-${out}` : out;
}

/** validation/certificate.go ValidateCertificateSpec. */
export function validateCertificateSpec(spec: unknown, path = "spec"): FieldError[] {
  const crt = dict(spec) ?? {};
  const el: FieldError[] = [];
  if (str(crt.secretName) === "") el.push(required(`${path}.secretName`, "must be specified"));
  const issuerRef = dict(crt.issuerRef) ?? {};
  if (str(issuerRef.name) === "") el.push(required(`${path}.issuerRef.name`, "must be specified"));
  const kind = str(issuerRef.kind);
  if (kind !== "" && kind !== "Issuer" && kind !== "ClusterIssuer") el.push(invalid(`${path}.issuerRef.kind`, q(kind), "must be one of Issuer or ClusterIssuer"));
  const commonName = str(crt.commonName);
  const dnsNames = list(crt.dnsNames).map(str);
  if (commonName === "" && dnsNames.length === 0) el.push(required(`${path}.dnsNames`, "at least one dnsName is required if commonName is not set"));
  if (present(crt.acme)) {
    const configs = list(dict(crt.acme)?.config).map((c) => dict(c) ?? {});
    el.push(...validateACMEConfigForAllDNSNames(commonName, dnsNames, configs, path));
    // ValidateACMECertificateConfig: each config entry.
    configs.forEach((cfg, i) => el.push(...validateDomainSolverConfig(cfg, `${path}.acme.config[${i}]`)));
  }
  const keySize = typeof crt.keySize === "number" ? crt.keySize : 0;
  if (keySize < 0) el.push(invalid(`${path}.keySize`, String(keySize), "cannot be less than zero"));
  const algorithm = str(crt.keyAlgorithm);
  if (algorithm === "rsa") {
    if (keySize > 0 && (keySize < 2048 || keySize > 8192)) el.push(invalid(`${path}.keySize`, String(keySize), "must be between 2048 & 8192 for rsa keyAlgorithm"));
  } else if (algorithm === "ecdsa") {
    if (keySize > 0 && keySize !== 256 && keySize !== 384 && keySize !== 521) el.push(notSupported(`${path}.keySize`, String(keySize), ["256", "384", "521"]));
  } else if (algorithm !== "") {
    el.push(invalid(`${path}.keyAlgorithm`, q(algorithm), "must be either empty or one of rsa or ecdsa"));
  }
  if (present(crt.duration) || present(crt.renewBefore)) el.push(...validateDuration(crt, path));
  return el;
}

/**
 * validation/certificate.go validateACMEConfigForAllDNSNames: with spec.acme, the common name and
 * every DNS name need a config entry naming that exact domain (v1alpha1/helpers.go ConfigForDomain:
 * no wildcard matching).
 */
function validateACMEConfigForAllDNSNames(commonName: string, dnsNames: string[], configs: Dict[], path: string): FieldError[] {
  const covered = (domain: string): boolean => configs.some((c) => list(c.domains).some((d) => d === domain));
  const domains = [...(commonName !== "" ? [commonName] : []), ...dnsNames];
  return domains.filter((d) => !covered(d)).map((d) => required(`${path}.acme.config`, `no ACME solver configuration specified for domain ${q(d)}`));
}

/** validation/certificate.go ValidateDomainSolverConfig (with ValidateDNS01SolverConfig, ValidateHTTP01SolverConfig). */
function validateDomainSolverConfig(cfg: Dict, path: string): FieldError[] {
  const el: FieldError[] = [];
  if (list(cfg.domains).length === 0) el.push(required(`${path}.domains`, "at least one domain must be specified"));
  let numTypes = 0;
  if (present(cfg.dns01)) {
    numTypes++;
    if (str(dict(cfg.dns01)?.provider) === "") el.push(required(`${path}.dns01.provider`, "provider name must be set"));
  }
  if (present(cfg.http01)) {
    if (numTypes > 0) {
      el.push(forbidden(`${path}.http01`, "may not specify more than one solver type"));
    } else {
      numTypes++;
      const http01 = dict(cfg.http01);
      if (str(http01?.ingress) !== "" && present(http01?.ingressClass)) el.push(forbidden(`${path}.http01`, "only one of 'ingress' and 'ingressClass' should be specified"));
    }
  }
  if (numTypes === 0) el.push(required(path, "at least one solver must be configured"));
  return el;
}

/** validation/certificate.go ValidateDuration (defaults and minimums: v1alpha1/const.go). */
function validateDuration(crt: Dict, path: string): FieldError[] {
  const el: FieldError[] = [];
  const read = (v: unknown, fallback: bigint): bigint => (present(v) ? goDurationNanoseconds(str(v)) ?? fallback : fallback);
  const duration = read(crt.duration, CERTIFICATE_DURATIONS.defaultDuration);
  const renewBefore = read(crt.renewBefore, CERTIFICATE_DURATIONS.defaultRenewBefore);
  const d = goDurationString(duration);
  const r = goDurationString(renewBefore);
  if (duration < CERTIFICATE_DURATIONS.minimumDuration) {
    el.push(invalid(`${path}.duration`, d, `certificate duration must be greater than ${goDurationString(CERTIFICATE_DURATIONS.minimumDuration)}`));
  }
  if (renewBefore < CERTIFICATE_DURATIONS.minimumRenewBefore) {
    el.push(invalid(`${path}.renewBefore`, r, `certificate renewBefore must be greater than ${goDurationString(CERTIFICATE_DURATIONS.minimumRenewBefore)}`));
  }
  if (duration <= renewBefore) el.push(invalid(`${path}.renewBefore`, r, `certificate duration ${d} must be greater than renewBefore ${r}`));
  return el;
}

/**
 * metav1.Duration.UnmarshalJSON (time.ParseDuration): the webhook cannot even decode a Certificate
 * whose duration or renewBefore does not parse, and answers 400 with the decoding error.
 */
export function certificateDecodeErrors(spec: unknown, path = "spec"): FieldError[] {
  const crt = dict(spec) ?? {};
  const el: FieldError[] = [];
  for (const f of ["duration", "renewBefore"]) {
    const v = crt[f];
    if (present(v) && (typeof v !== "string" || goDurationNanoseconds(v) === undefined)) {
      el.push(invalid(`${path}.${f}`, typeof v === "string" ? q(v) : String(v), `time: invalid duration ${typeof v === "string" ? v : String(v)}`));
    }
  }
  return el;
}

// ---------------------------------------------------------------------------------------------
// Which objects the webhook sees, and what to do about a rejection.

export interface ValidatedObject {
  kind: "ClusterIssuer" | "Issuer" | "Certificate";
  /** "" for ClusterIssuers. */
  namespace: string;
  name: string;
  spec: unknown;
}

export interface WebhookViolation {
  /** "Kind/namespace/name" (lib/types.ts objectLabel). */
  object: string;
  kind: ValidatedObject["kind"];
  namespace: string;
  name: string;
  /** The Go field path the webhook names. */
  field: string;
  /** The rule's message as the webhook words it (field.Error.Error()). */
  message: string;
  type: FieldErrorType;
  /** The field to set or change in the object (JSON names, as `kubectl edit` shows them). */
  jsonField: string;
}

/**
 * The chart's ValidatingWebhookConfiguration skips namespaces labelled
 * certmanager.k8s.io/disable-validation=true; ClusterIssuers have no namespace and are always seen.
 */
export function webhookSees(object: { kind: string; namespace: string }, unvalidatedNamespaces: readonly string[]): boolean {
  return object.kind === "ClusterIssuer" || !unvalidatedNamespaces.includes(object.namespace);
}

/** Go's path names the akamai selectors after their Go fields; the object's JSON names them *SecretRef. */
function jsonFieldOf(goField: string): string {
  return goField.replace(/\.akamai\.(accessToken|clientSecret|clientToken)\b/, ".akamai.$1SecretRef");
}

/** Every rule the 0.6.2 webhook would apply to the object, broken (decoding first, as the webhook decodes first). */
export function validateForWebhook(object: ValidatedObject): FieldError[] {
  if (object.kind === "Certificate") {
    const decode = certificateDecodeErrors(object.spec);
    return decode.length > 0 ? decode : validateCertificateSpec(object.spec);
  }
  return validateIssuerSpec(object.spec);
}

/** The violations of the objects the webhook sees, one per broken rule, in the objects' order. */
export function webhookViolations(objects: ValidatedObject[], unvalidatedNamespaces: readonly string[]): WebhookViolation[] {
  const out: WebhookViolation[] = [];
  for (const o of objects) {
    if (!webhookSees(o, unvalidatedNamespaces)) continue;
    const label = o.namespace ? `${o.kind}/${o.namespace}/${o.name}` : `${o.kind}/${o.name}`;
    for (const e of validateForWebhook(o)) {
      out.push({ object: label, kind: o.kind, namespace: o.namespace, name: o.name, field: e.field, message: fieldErrorText(e), type: e.type, jsonField: jsonFieldOf(e.field) });
    }
  }
  return out;
}
