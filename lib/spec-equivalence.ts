// Whether two specs of an Issuer, ClusterIssuer or Certificate are the same object to cert-manager,
// and which fields differ (pure). The controllers of 0.4.1 and 0.6.2 have no status subresource: to
// update status they write the whole object back through their Go types, which changes its JSON but
// not its meaning. A field declared without omitempty is written with its Go zero value ("", false,
// 0, null), a non-pointer struct as an object of its zero fields (a Vault issuer gains
// `auth.appRole: {path: "", roleId: "", secretRef: {key: "", name: ""}}`), a zero field declared
// with omitempty is dropped, and a metav1.Duration is written in Go's canonical form ("2000h" →
// "2000h0m0s"). Each decodes to the same Go value as before, so none of them is a difference.
//
// What the Go types keep apart stays apart: a pointer set to its zero value (`selfSigned: {}`,
// `http01: {}`, `ingressClass: ""`, `renewBefore: "0s"`) is not an absent one, lists keep their
// order, a value of the wrong JSON type is compared as written (the controller cannot decode it),
// and so is a field the types do not declare.
//
// The field types below are those of cert-manager v0.6.2, pkg/apis/certmanager/v1alpha1
// (types_issuer.go, types_certificate.go, types_order.go, types.go). The older v1alpha1 types (0.4,
// 0.5) declare each field they share with 0.6.2 with the same kind (pointer or not, string, bool,
// slice, struct): they differ in omitempty, which decides what is written back, not what it means.
import { isDeepStrictEqual } from "node:util";
import { goDurationNanoseconds } from "./go-duration";

/**
 * A field's Go type, as far as its meaning goes. "string", "bool", "int", "bytes" ([]byte, base64 in
 * JSON) and "strings" ([]string) read absent, null and their zero value alike; a struct too (a
 * non-pointer struct field); a pointer reads absent and null alike, and keeps any value it points to.
 */
type GoType = "string" | "bool" | "int" | "bytes" | "strings" | { struct: GoStruct } | { structs: GoStruct } | { pointer: GoStruct | "string" | "duration" };
type GoStruct = { readonly [field: string]: GoType };

const SECRET_KEY_SELECTOR: GoType = { struct: { name: "string", key: "string" } };

const DNS01_PROVIDER: GoStruct = {
  name: "string",
  cnameStrategy: "string",
  akamai: { pointer: { serviceConsumerDomain: "string", clientTokenSecretRef: SECRET_KEY_SELECTOR, clientSecretSecretRef: SECRET_KEY_SELECTOR, accessTokenSecretRef: SECRET_KEY_SELECTOR } },
  clouddns: { pointer: { serviceAccountSecretRef: SECRET_KEY_SELECTOR, project: "string" } },
  cloudflare: { pointer: { email: "string", apiKeySecretRef: SECRET_KEY_SELECTOR } },
  route53: { pointer: { accessKeyID: "string", secretAccessKeySecretRef: SECRET_KEY_SELECTOR, hostedZoneID: "string", region: "string" } },
  azuredns: {
    pointer: { clientID: "string", clientSecretSecretRef: SECRET_KEY_SELECTOR, subscriptionID: "string", tenantID: "string", resourceGroupName: "string", hostedZoneName: "string" },
  },
  digitalocean: { pointer: { tokenSecretRef: SECRET_KEY_SELECTOR } },
  acmedns: { pointer: { host: "string", accountSecretRef: SECRET_KEY_SELECTOR } },
  rfc2136: { pointer: { nameserver: "string", tsigSecretSecretRef: SECRET_KEY_SELECTOR, tsigKeyName: "string", tsigAlgorithm: "string" } },
};

/** IssuerSpec (IssuerConfig inline), for Issuers and ClusterIssuers. */
const ISSUER_SPEC: GoStruct = {
  acme: {
    pointer: {
      email: "string",
      server: "string",
      skipTLSVerify: "bool",
      privateKeySecretRef: SECRET_KEY_SELECTOR,
      http01: { pointer: { serviceType: "string" } },
      dns01: { pointer: { providers: { structs: DNS01_PROVIDER } } },
    },
  },
  ca: { pointer: { secretName: "string" } },
  vault: {
    pointer: {
      auth: { struct: { tokenSecretRef: SECRET_KEY_SELECTOR, appRole: { struct: { path: "string", roleId: "string", secretRef: SECRET_KEY_SELECTOR } } } },
      server: "string",
      path: "string",
      caBundle: "bytes",
    },
  },
  selfSigned: { pointer: {} },
};

const CERTIFICATE_SPEC: GoStruct = {
  commonName: "string",
  organization: "strings",
  duration: { pointer: "duration" },
  renewBefore: { pointer: "duration" },
  dnsNames: "strings",
  secretName: "string",
  issuerRef: { struct: { name: "string", kind: "string" } },
  isCA: "bool",
  acme: {
    pointer: {
      // DomainSolverConfig, SolverConfig inline.
      config: { structs: { domains: "strings", http01: { pointer: { ingress: "string", ingressClass: { pointer: "string" } } }, dns01: { pointer: { provider: "string" } } } },
    },
  },
  keySize: "int",
  keyAlgorithm: "string",
};

const SPECS: Record<string, GoStruct> = { Issuer: ISSUER_SPEC, ClusterIssuer: ISSUER_SPEC, Certificate: CERTIFICATE_SPEC };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** base64 as Go's encoding/json reads []byte (standard alphabet, padded; line breaks skipped). */
function canonicalBytes(value: string): string | undefined {
  const text = value.replace(/[\r\n]/g, "");
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, "base64").toString("base64");
}

/** The value in one form per meaning; undefined for a value that reads as the field's zero (absent). */
function canonical(type: GoType, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  if (type === "string") return value === "" ? undefined : value;
  if (type === "bool") return value === false ? undefined : value;
  if (type === "int") return value === 0 ? undefined : value;
  if (type === "bytes") {
    if (typeof value !== "string") return value;
    const bytes = canonicalBytes(value);
    return bytes === "" ? undefined : bytes ?? value;
  }
  if (type === "strings") {
    if (!Array.isArray(value)) return value;
    // null in a []string decodes to "".
    return value.length === 0 ? undefined : value.map((v) => v ?? "");
  }
  if ("struct" in type) {
    const fields = canonicalStruct(type.struct, value);
    return isObject(fields) && Object.keys(fields).length === 0 ? undefined : fields;
  }
  if ("structs" in type) {
    if (!Array.isArray(value)) return value;
    return value.length === 0 ? undefined : value.map((v) => canonicalStruct(type.structs, v ?? {}));
  }
  if (type.pointer === "string") return value;
  if (type.pointer === "duration") return typeof value === "string" ? goDurationNanoseconds(value) ?? value : value;
  return canonicalStruct(type.pointer, value);
}

function canonicalStruct(fields: GoStruct, value: unknown): unknown {
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const c = Object.hasOwn(fields, key) ? canonical(fields[key], v) : v;
    if (c !== undefined) out[key] = c;
  }
  return out;
}

function differingPaths(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!Object.hasOwn(a, key) || !Object.hasOwn(b, key)) out.push(`${path}.${key}`);
      else differingPaths(a[key], b[key], `${path}.${key}`, out);
    }
  } else if (Array.isArray(a) && Array.isArray(b) && a.length === b.length && [...a, ...b].every(isObject)) {
    a.forEach((item, i) => differingPaths(item, b[i], `${path}[${i}]`, out));
  } else if (!isDeepStrictEqual(a, b)) {
    out.push(path);
  }
}

/**
 * The fields ("spec.vault.server", "spec.acme.config[0].http01.ingressClass") in which two specs
 * of an object of `kind` differ as cert-manager reads them; empty when they are the same to it.
 * A list of strings differs as a whole; a field set on one side only is named, not its contents.
 * Kinds other than Issuer, ClusterIssuer and Certificate are compared as written.
 */
export function specDifferences(kind: string, a: unknown, b: unknown): string[] {
  const fields = Object.hasOwn(SPECS, kind) ? SPECS[kind] : {};
  const out: string[] = [];
  differingPaths(canonicalStruct(fields, a ?? {}), canonicalStruct(fields, b ?? {}), "spec", out);
  return out;
}

/** The differing fields for a message: the first three, and how many more. */
export function describeSpecDifferences(paths: string[]): string {
  return paths.length > 3 ? `${paths.slice(0, 3).join(", ")} and ${paths.length - 3} more` : paths.join(", ");
}
