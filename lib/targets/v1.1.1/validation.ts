// What cert-manager v1.1.1's validating webhook rejects (pure), ported rule by rule from v1.1.1
// pkg/internal/apis/certmanager/validation (issuer.go ValidateIssuerConfig and the ACME solver and
// DNS-01 provider rules, certificate.go ValidateCertificateSpec, util/nameserver.go), for the
// converted cert-manager.io/v1 objects. Messages as k8s.io/apimachinery v0.19 field.Error prints them.
import { certificateDecodeErrors, CERTIFICATE_DURATIONS, goDurationString, holdsPemCertificate, RFC2136_TSIG_ALGORITHMS, splitHostPort } from "../../webhook-0.6.2-validation";
import { goDurationNanoseconds } from "../../go-duration";
import * as net from "node:net";
import { KubeObject, objectLabel } from "../../types";
import type { TargetFinding } from "../target";

export type V111FieldErrorType = "Required" | "Invalid" | "NotSupported" | "Forbidden" | "TooLong";

export interface V111FieldError {
  type: V111FieldErrorType;
  field: string;
  /** As field.Error prints it (Invalid and NotSupported only). */
  badValue?: string;
  detail: string;
}

const TYPE_WORDS: Record<V111FieldErrorType, string> = {
  Required: "Required value",
  Invalid: "Invalid value",
  NotSupported: "Unsupported value",
  Forbidden: "Forbidden",
  TooLong: "Too long",
};

/** field.Error.Error() (apimachinery v0.19 pkg/util/validation/field/errors.go). */
export function v111FieldErrorText(e: V111FieldError): string {
  let body = TYPE_WORDS[e.type];
  if (e.type === "Invalid" || e.type === "NotSupported") body += `: ${e.badValue ?? "null"}`;
  if (e.detail !== "") body += `: ${e.detail}`;
  return `${e.field}: ${body}`;
}

type Dict = Record<string, unknown>;
const dict = (v: unknown): Dict | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Dict) : undefined);
const str = (v: unknown): string => (typeof v === "string" ? v : "");
const present = (v: unknown): boolean => v !== undefined && v !== null;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const q = (s: string): string => JSON.stringify(s);

const required = (field: string, detail: string): V111FieldError => ({ type: "Required", field, detail });
const invalid = (field: string, badValue: string, detail: string): V111FieldError => ({ type: "Invalid", field, badValue, detail });
const forbidden = (field: string, detail: string): V111FieldError => ({ type: "Forbidden", field, detail });
const notSupported = (field: string, badValue: string, values: string[]): V111FieldError =>
  ({ type: "NotSupported", field, badValue, detail: values.length > 0 ? `supported values: ${values.map(q).join(", ")}` : "" });

/** validation/issuer.go ValidateIssuerConfig (Issuers and ClusterIssuers). */
export function validateIssuerSpecV111(spec: unknown, path = "spec"): V111FieldError[] {
  const iss = dict(spec) ?? {};
  const el: V111FieldError[] = [];
  let numConfigs = 0;
  const types: Array<[string, (v: unknown, p: string) => V111FieldError[]]> = [
    ["acme", validateACMEIssuerConfig],
    ["ca", (v, p) => (str(dict(v)?.secretName) === "" ? [required(`${p}.secretName`, "")] : [])],
    ["selfSigned", () => []],
    ["vault", validateVaultIssuerConfig],
    ["venafi", validateVenafiIssuerConfig],
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

function validateACMEIssuerConfig(value: unknown, path: string): V111FieldError[] {
  const iss = dict(value) ?? {};
  const el: V111FieldError[] = [];
  // v1.1.1 no longer requires an email.
  if (str(dict(iss.privateKeySecretRef)?.name) === "") el.push(required(`${path}.privateKeySecretRef.name`, "private key secret name is a required field"));
  if (str(iss.server) === "") el.push(required(`${path}.server`, "acme server URL is a required field"));
  const eab = dict(iss.externalAccountBinding);
  if (eab) {
    const p = `${path}.externalAccountBinding`;
    if (str(eab.keyID) === "") el.push(required(`${p}.keyID`, "the keyID field is required when using externalAccountBinding"));
    el.push(...validateSecretKeySelector(eab.keySecretRef, `${p}.keySecretRef`));
    if (str(eab.keyAlgorithm) === "") el.push(required(`${p}.keyAlgorithm`, "the keyAlgorithm field is required when using externalAccountBinding"));
  }
  list(iss.solvers).forEach((sol, i) => el.push(...validateSolver(dict(sol) ?? {}, `${path}.solvers[${i}]`)));
  return el;
}

/** validation/issuer.go ValidateACMEIssuerChallengeSolverConfig. */
function validateSolver(sol: Dict, path: string): V111FieldError[] {
  const el: V111FieldError[] = [];
  let numProviders = 0;
  if (present(sol.http01)) {
    numProviders++;
    const http01 = dict(sol.http01) ?? {};
    const hp = `${path}.http01`;
    if (present(http01.ingress)) {
      const ingress = dict(http01.ingress) ?? {};
      if (present(ingress.class) && str(ingress.name) !== "") el.push(forbidden(`${hp}.ingress`, "only one of 'name' or 'class' should be specified"));
      const serviceType = str(ingress.serviceType);
      if (serviceType !== "" && serviceType !== "ClusterIP" && serviceType !== "NodePort") {
        el.push(invalid(`${hp}.ingress.serviceType`, q(serviceType), 'must be empty, "ClusterIP" or "NodePort"'));
      }
    } else {
      el.push(required(hp, "no HTTP01 solver type configured"));
    }
  }
  if (present(sol.dns01)) {
    if (numProviders > 0) {
      el.push(forbidden(path, "may not specify more than one solver type in a single solver"));
    } else {
      numProviders++;
      el.push(...validateDNS01(dict(sol.dns01) ?? {}, `${path}.dns01`));
    }
  }
  if (numProviders === 0) el.push(required(path, "no solver type configured"));
  return el;
}

function validateSecretKeySelector(value: unknown, path: string): V111FieldError[] {
  const sks = dict(value) ?? {};
  const el: V111FieldError[] = [];
  if (str(sks.name) === "") el.push(required(`${path}.name`, "secret name is required"));
  if (str(sks.key) === "") el.push(required(`${path}.key`, "secret key is required"));
  return el;
}

const AZURE_ENVIRONMENTS = ["AzurePublicCloud", "AzureChinaCloud", "AzureGermanCloud", "AzureUSGovernmentCloud"];

/** validation/util/nameserver.go ValidNameserver: host[:port], host an IP or a hostname. */
export function validNameserverV111(nameserver: string): boolean {
  const trimmed = nameserver.trim();
  if (trimmed === "") return false;
  const split = splitHostPort(trimmed);
  let host: string;
  if ("error" in split) {
    if (!split.error.includes("missing port")) return false;
    host = trimmed.replace(/^\[+|\]+$/g, "");
  } else {
    host = split.host;
  }
  return host !== "";
}

/** validation/issuer.go ValidateACMEChallengeSolverDNS01. */
function validateDNS01(p: Dict, path: string): V111FieldError[] {
  const el: V111FieldError[] = [];
  const cname = str(p.cnameStrategy);
  if (cname !== "" && cname !== "None" && cname !== "Follow") el.push(invalid(`${path}.cnameStrategy`, q(cname), 'must be one of "None" or "Follow"'));
  let numProviders = 0;
  const exclusive = (jsonName: string, goName: string, validate: (c: Dict, cp: string) => void): void => {
    if (!present(p[jsonName])) return;
    if (numProviders > 0) {
      el.push(forbidden(`${path}.${goName}`, "may not specify more than one provider type"));
    } else {
      numProviders++;
      validate(dict(p[jsonName]) ?? {}, `${path}.${goName}`);
    }
  };
  if (present(p.akamai)) {
    numProviders++;
    const a = dict(p.akamai) ?? {};
    el.push(...validateSecretKeySelector(a.accessTokenSecretRef, `${path}.akamai.accessToken`));
    el.push(...validateSecretKeySelector(a.clientSecretSecretRef, `${path}.akamai.clientSecret`));
    el.push(...validateSecretKeySelector(a.clientTokenSecretRef, `${path}.akamai.clientToken`));
    if (str(a.serviceConsumerDomain) === "") el.push(required(`${path}.akamai.serviceConsumerDomain`, ""));
  }
  exclusive("azureDNS", "azureDNS", (c, cp) => {
    if (str(c.clientID) !== "" || str(c.tenantID) !== "" || present(c.clientSecretSecretRef)) {
      if (str(c.clientID) === "") el.push(required(`${cp}.clientID`, ""));
      if (!present(c.clientSecretSecretRef)) el.push(required(`${cp}.clientSecretSecretRef`, ""));
      else el.push(...validateSecretKeySelector(c.clientSecretSecretRef, `${cp}.clientSecretSecretRef`));
      if (str(c.tenantID) === "") el.push(required(`${cp}.tenantID`, ""));
    }
    if (str(c.subscriptionID) === "") el.push(required(`${cp}.subscriptionID`, ""));
    if (str(c.resourceGroupName) === "") el.push(required(`${cp}.resourceGroupName`, ""));
    const env = str(c.environment);
    if (env !== "" && !AZURE_ENVIRONMENTS.includes(env)) el.push(invalid(`${cp}.environment`, q(env), `must be either empty or one of ${AZURE_ENVIRONMENTS.slice(0, 3).join(", ")} or ${AZURE_ENVIRONMENTS[3]}`));
  });
  exclusive("cloudDNS", "cloudDNS", (c, cp) => {
    if (present(c.serviceAccountSecretRef)) el.push(...validateSecretKeySelector(c.serviceAccountSecretRef, `${cp}.serviceAccountSecretRef`));
    if (str(c.project) === "") el.push(required(`${cp}.project`, ""));
  });
  exclusive("cloudflare", "cloudflare", (c, cp) => {
    if (present(c.apiKeySecretRef)) el.push(...validateSecretKeySelector(c.apiKeySecretRef, `${cp}.apiKeySecretRef`));
    if (present(c.apiTokenSecretRef)) el.push(...validateSecretKeySelector(c.apiTokenSecretRef, `${cp}.apiTokenSecretRef`));
    if (present(c.apiKeySecretRef) && present(c.apiTokenSecretRef)) el.push(forbidden(cp, "apiKeySecretRef and apiTokenSecretRef cannot both be specified"));
    if (!present(c.apiKeySecretRef) && !present(c.apiTokenSecretRef)) el.push(required(cp, "apiKeySecretRef or apiTokenSecretRef is required"));
    if (str(c.email) === "" && present(c.apiKeySecretRef)) el.push(required(`${cp}.email`, ""));
  });
  exclusive("route53", "route53", (c, cp) => {
    if (str(c.region) === "") el.push(required(`${cp}.region`, ""));
  });
  if (present(p.acmeDNS)) {
    numProviders++;
    const c = dict(p.acmeDNS) ?? {};
    el.push(...validateSecretKeySelector(c.accountSecretRef, `${path}.acmeDNS.accountSecretRef`));
    if (str(c.host) === "") el.push(required(`${path}.acmeDNS.host`, ""));
  }
  exclusive("digitalocean", "digitalocean", (c, cp) => {
    el.push(...validateSecretKeySelector(c.tokenSecretRef, `${cp}.tokenSecretRef`));
  });
  exclusive("rfc2136", "rfc2136", (c, cp) => {
    const nameserver = str(c.nameserver);
    if (nameserver === "") el.push(required(`${cp}.nameserver`, ""));
    else if (!validNameserverV111(nameserver)) {
      el.push(invalid(`${cp}.nameserver`, q(nameserver), "nameserver must be set in the form host:port where host is an IPv4 address, an enclosed IPv6 address or a hostname and port is an optional port number."));
    }
    const algorithm = str(c.tsigAlgorithm);
    if (algorithm !== "" && !RFC2136_TSIG_ALGORITHMS.includes(algorithm.toUpperCase())) el.push(notSupported(`${cp}.tsigAlgorithm`, q(""), RFC2136_TSIG_ALGORITHMS));
    const tsigSecret = validateSecretKeySelector(c.tsigSecretSecretRef, `${cp}.tsigSecretSecretRef`);
    if (str(c.tsigKeyName) !== "") el.push(...tsigSecret);
    if (tsigSecret.length === 0 && str(c.tsigKeyName) === "") el.push(required(`${cp}.tsigKeyName`, ""));
  });
  exclusive("webhook", "webhook", (c, cp) => {
    if (str(c.solverName) === "") el.push(required(`${cp}.solverName`, "solver name must be specified"));
  });
  if (numProviders === 0) el.push(required(path, "no DNS01 provider configured"));
  return el;
}

function validateVaultIssuerConfig(value: unknown, path: string): V111FieldError[] {
  const iss = dict(value) ?? {};
  const el: V111FieldError[] = [];
  if (str(iss.server) === "") el.push(required(`${path}.server`, ""));
  if (str(iss.path) === "") el.push(required(`${path}.path`, ""));
  const bundle = str(iss.caBundle);
  if (bundle !== "" && !holdsPemCertificate(Buffer.from(bundle, "base64").toString("latin1"))) el.push(invalid(`${path}.caBundle`, q(""), "Specified CA bundle is invalid"));
  return el;
}

function validateVenafiIssuerConfig(value: unknown, path: string): V111FieldError[] {
  const iss = dict(value) ?? {};
  const el: V111FieldError[] = [];
  if (str(iss.zone) === "") el.push(required(`${path}.zone`, ""));
  let unionCount = 0;
  if (present(iss.tpp)) {
    unionCount++;
    if (str(dict(iss.tpp)?.url) === "") el.push(required(`${path}.tpp.url`, ""));
  }
  if (present(iss.cloud)) unionCount++;
  if (unionCount === 0) el.push(required(path, "please supply one of: tpp, cloud"));
  if (unionCount > 1) el.push(forbidden(path, "please supply one of: tpp, cloud"));
  return el;
}

/** pkg/api/util/usages.go: the key usages and extended key usages v1.1.1 knows. */
export const KNOWN_USAGES = [
  "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only",
  "any", "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc",
];

/** validation/certificate.go ValidateCertificateSpec. */
export function validateCertificateSpecV111(spec: unknown, path = "spec"): V111FieldError[] {
  const crt = dict(spec) ?? {};
  const el: V111FieldError[] = [];
  if (str(crt.secretName) === "") el.push(required(`${path}.secretName`, "must be specified"));
  const ref = dict(crt.issuerRef) ?? {};
  if (str(ref.name) === "") el.push(required(`${path}.issuerRef.name`, "must be specified"));
  const group = str(ref.group);
  const kind = str(ref.kind);
  if ((group === "" || group === "cert-manager.io") && kind !== "" && kind !== "Issuer" && kind !== "ClusterIssuer") {
    el.push(invalid(`${path}.issuerRef.kind`, q(kind), "must be one of Issuer or ClusterIssuer"));
  }
  const cn = str(crt.commonName);
  const ips = list(crt.ipAddresses).map(str);
  const emails = list(crt.emailAddresses).map(str);
  if (cn === "" && list(crt.dnsNames).length === 0 && list(crt.uris).length === 0 && emails.length === 0 && ips.length === 0) {
    el.push(invalid(path, q(""), "at least one of commonName, dnsNames, uris ipAddresses, or emailAddresses must be set"));
  }
  if (Buffer.byteLength(cn, "utf8") > 64) el.push({ type: "TooLong", field: `${path}.commonName`, detail: "must have at most 64 bytes" });
  ips.forEach((ip, i) => {
    if (net.isIP(ip) === 0) el.push(invalid(`${path}.ipAddresses[${i}]`, q(ip), "invalid IP address"));
  });
  const pk = dict(crt.privateKey);
  if (pk) {
    const algorithm = str(pk.algorithm);
    const size = typeof pk.size === "number" ? pk.size : 0;
    if (algorithm === "" || algorithm === "RSA") {
      if (size > 0 && (size < 2048 || size > 8192)) el.push(invalid(`${path}.privateKey.size`, String(size), "must be between 2048 & 8192 for rsa keyAlgorithm"));
    } else if (algorithm === "ECDSA") {
      if (size > 0 && size !== 256 && size !== 384 && size !== 521) el.push(notSupported(`${path}.privateKey.size`, String(size), ["256", "384", "521"]));
    } else {
      el.push(invalid(`${path}.privateKey.algorithm`, q(algorithm), "must be either empty or one of rsa or ecdsa"));
    }
  }
  if (present(crt.duration) || present(crt.renewBefore)) {
    const read = (v: unknown, fallback: bigint): bigint => (present(v) ? goDurationNanoseconds(str(v)) ?? fallback : fallback);
    const duration = read(crt.duration, CERTIFICATE_DURATIONS.defaultDuration);
    const renewBefore = read(crt.renewBefore, CERTIFICATE_DURATIONS.defaultRenewBefore);
    const d = goDurationString(duration);
    const r = goDurationString(renewBefore);
    if (duration < CERTIFICATE_DURATIONS.minimumDuration) el.push(invalid(`${path}.duration`, d, `certificate duration must be greater than ${goDurationString(CERTIFICATE_DURATIONS.minimumDuration)}`));
    if (renewBefore < CERTIFICATE_DURATIONS.minimumRenewBefore) el.push(invalid(`${path}.renewBefore`, r, `certificate renewBefore must be greater than ${goDurationString(CERTIFICATE_DURATIONS.minimumRenewBefore)}`));
    if (duration <= renewBefore) el.push(invalid(`${path}.renewBefore`, r, `certificate duration ${d} must be greater than renewBefore ${r}`));
  }
  list(crt.usages).map(str).forEach((u, i) => {
    if (!KNOWN_USAGES.includes(u)) el.push(invalid(`${path}.usages[${i}]`, q(u), "unknown keyusage"));
  });
  return el;
}

/** Every rule v1.1.1's webhook applies to a converted object, broken (decoding first). */
export function validateV111Errors(object: KubeObject): V111FieldError[] {
  if (object.kind === "Certificate") {
    const decode = certificateDecodeErrors(object.spec);
    return decode.length > 0 ? decode : validateCertificateSpecV111(object.spec);
  }
  return validateIssuerSpecV111(object.spec);
}

/** The same as findings, with the field to change in the old object when it has a place there. */
export function validateV111(object: KubeObject): TargetFinding[] {
  const kind = object.kind ?? "";
  const namespace = kind === "ClusterIssuer" ? "" : str(object.metadata?.namespace);
  const name = str(object.metadata?.name);
  const label = objectLabel({ kind, namespace, name });
  return validateV111Errors(object).map((e) => ({
    object: label,
    kind,
    namespace,
    name,
    field: e.field,
    rule: `cert-manager v1.1.1's webhook rejects the converted object: ${v111FieldErrorText(e)}`,
    fix: `change the ${kind} in the cluster (its old field that becomes ${e.field}) so that the converted object passes, or leave it out, before the upgrade`,
  }));
}
