// The backup's certmanager.k8s.io/v1alpha1 objects (cert-manager 0.4.1 / 0.6.2) as cert-manager
// v1.1.1's cert-manager.io/v1 objects (pure).
//
// Sources: v0.6.2 pkg/apis/certmanager/v1alpha1 (types_issuer.go, types_certificate.go,
// types_order.go DomainSolverConfig; helpers.go ConfigForDomain: exact domain match, first config
// wins), v0.6.2 pkg/controller/acmeorders/sync.go challengeSpecForAuthorization (an http01 config
// needs the issuer's http01, a dns01 config the issuer's dns01 provider of that name), and v1.1.1
// pkg/apis/acme/v1/types_issuer.go, pkg/apis/certmanager/v1/types_{issuer,certificate}.go,
// pkg/controller/acmeorders/util.go challengeSpecForAuthorization (solver selection: a solver whose
// selector.dnsNames holds the domain beats one without; a solver without selector is taken only
// when none was taken before it, so the first one wins among those).
import { sanitizeForRestore } from "../../sanitize";
import { BackupObject, KubeObject, objectLabel } from "../../types";
import type { ConvertedObjects, IssuerConversionView, TargetFinding } from "../target";

export const CERTMANAGER_V1 = "cert-manager.io/v1";
export const CERTMANAGER_GROUP_V1 = "cert-manager.io";

type Dict = Record<string, unknown>;

function dict(v: unknown): Dict | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Dict) : undefined;
}
function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}
function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}
function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function finding(o: { kind: string; namespace: string; name: string }, field: string, rule: string, fix: string): TargetFinding {
  return { object: objectLabel(o), kind: o.kind, namespace: o.namespace, name: o.name, field, rule, fix };
}

/** A v1alpha1 SecretKeySelector as v1's: name, and key when set. */
function selector(v: unknown): Dict | undefined {
  const d = dict(v);
  if (!d) return undefined;
  const out: Dict = { name: str(d.name) };
  if (str(d.key) !== "") out.key = str(d.key);
  return out;
}
/** A non-pointer v1alpha1 selector that v1 made a pointer: set only when it names something. */
function optionalSelector(v: unknown): Dict | undefined {
  const d = dict(v);
  if (!d || (str(d.name) === "" && str(d.key) === "")) return undefined;
  return selector(d);
}

function unknownFields(value: Dict, known: readonly string[]): string[] {
  return Object.keys(value).filter((k) => !known.includes(k));
}

// ---------------------------------------------------------------------------------------------
// DNS-01 providers: v1alpha1 ACMEIssuerDNS01Provider → v1 ACMEChallengeSolverDNS01.

interface ProviderSpec {
  /** The v1 JSON name (clouddns → cloudDNS, azuredns → azureDNS, acmedns → acmeDNS). */
  v1Name: string;
  /** Copy one provider's fields; undefined values are left out. */
  fields: Record<string, (v: unknown) => unknown>;
}
const copyString = (v: unknown): unknown => (str(v) === "" ? undefined : str(v));
const DNS_PROVIDERS: Record<string, ProviderSpec> = {
  akamai: { v1Name: "akamai", fields: { serviceConsumerDomain: copyString, clientTokenSecretRef: selector, clientSecretSecretRef: selector, accessTokenSecretRef: selector } },
  clouddns: { v1Name: "cloudDNS", fields: { project: copyString, serviceAccountSecretRef: optionalSelector } },
  cloudflare: { v1Name: "cloudflare", fields: { email: copyString, apiKeySecretRef: optionalSelector } },
  route53: { v1Name: "route53", fields: { accessKeyID: copyString, secretAccessKeySecretRef: optionalSelector, hostedZoneID: copyString, region: copyString } },
  azuredns: { v1Name: "azureDNS", fields: { clientID: copyString, clientSecretSecretRef: optionalSelector, subscriptionID: copyString, tenantID: copyString, resourceGroupName: copyString, hostedZoneName: copyString } },
  digitalocean: { v1Name: "digitalocean", fields: { tokenSecretRef: selector } },
  acmedns: { v1Name: "acmeDNS", fields: { host: copyString, accountSecretRef: selector } },
  rfc2136: { v1Name: "rfc2136", fields: { nameserver: copyString, tsigSecretSecretRef: optionalSelector, tsigKeyName: copyString, tsigAlgorithm: copyString } },
};

interface ConvertedProvider {
  dns01: Dict;
  /** e.g. "route53 region eu-west-1" */
  summary: string;
}

function convertProvider(provider: Dict, path: string, refuse: (field: string, rule: string, fix: string) => void): ConvertedProvider | undefined {
  const out: Dict = {};
  const cname = str(provider.cnameStrategy);
  if (cname !== "") out.cnameStrategy = cname;
  const extra = unknownFields(provider, ["name", "cnameStrategy", ...Object.keys(DNS_PROVIDERS)]);
  for (const f of extra) refuse(`${path}.${f}`, `DNS-01 provider field ${f} has no place in cert-manager.io/v1 (v1.1.1 ACMEChallengeSolverDNS01)`, `remove ${path}.${f} from the issuer before the upgrade`);
  const types = Object.keys(DNS_PROVIDERS).filter((t) => present(provider[t]));
  if (types.length !== 1) {
    refuse(path, types.length === 0 ? "the DNS-01 provider names no provider type" : `the DNS-01 provider has ${types.length} provider types (${types.join(", ")}); v1 solvers take one`, "give the provider exactly one provider type before the upgrade");
    return undefined;
  }
  const type = types[0];
  const spec = DNS_PROVIDERS[type];
  const config = dict(provider[type]) ?? {};
  for (const f of unknownFields(config, Object.keys(spec.fields))) {
    refuse(`${path}.${type}.${f}`, `${type} field ${f} has no place in v1's ${spec.v1Name}`, `remove ${path}.${type}.${f} before the upgrade`);
  }
  const converted: Dict = {};
  for (const [field, copy] of Object.entries(spec.fields)) {
    const value = copy(config[field]);
    if (value !== undefined) converted[field] = value;
  }
  out[spec.v1Name] = converted;
  const detail = type === "route53" ? str(config.region) : type === "clouddns" ? str(config.project) : type === "rfc2136" ? str(config.nameserver) : type === "acmedns" ? str(config.host) : "";
  return { dns01: out, summary: `${spec.v1Name}${detail ? ` ${detail}` : ""}` };
}

// ---------------------------------------------------------------------------------------------
// Solvers.

/** One solver a domain is solved with (old format), identified by what v1 needs to tell them apart. */
interface SolverChoice {
  key: string;
  type: "http01" | "dns01";
  /** http01: the Ingress to edit in place (0.6 `ingress`). */
  ingressName?: string;
  /** http01: the ingress class of the Ingress it creates (0.6 `ingressClass`, a pointer: "" is a class). */
  ingressClass?: string;
  /** dns01: the provider's name on the issuer. */
  provider?: string;
}

function describeChoice(c: SolverChoice): string {
  if (c.type === "dns01") return `dns01 provider '${c.provider}'`;
  if (c.ingressName !== undefined) return `http01 editing Ingress ${c.ingressName}`;
  if (c.ingressClass !== undefined) return `http01 ingress class ${c.ingressClass}`;
  return "http01 (new Ingress, no class)";
}

function http01Choice(ingressName: string, ingressClass: string | undefined): SolverChoice {
  const c: SolverChoice = { key: "", type: "http01" };
  if (ingressName !== "") c.ingressName = ingressName;
  if (ingressClass !== undefined) c.ingressClass = ingressClass;
  c.key = `http01|${c.ingressName ?? ""}|${c.ingressClass === undefined ? "-" : `=${c.ingressClass}`}`;
  return c;
}

/** pki.DNSNamesForCertificate's domains as the ACME order holds them: commonName (when set) and dnsNames. */
function certificateDomains(spec: Dict | undefined): string[] {
  const cn = str(spec?.commonName);
  return [...new Set([...(cn ? [cn] : []), ...strings(spec?.dnsNames)])];
}

interface DomainUse {
  domain: string;
  choice: SolverChoice;
  certificate: BackupObject;
}

function issuerKeyOf(kind: string, namespace: string, name: string): string {
  return kind === "ClusterIssuer" ? `ClusterIssuer//${name}` : `Issuer/${namespace}/${name}`;
}

/** The issuer a Certificate names, as its key (the issuerRef kind defaults to Issuer, in the Certificate's namespace). */
export function certificateIssuerKey(cert: BackupObject): string {
  const ref = dict(cert.object.spec?.issuerRef);
  const kind = str(ref?.kind) || "Issuer";
  return issuerKeyOf(kind, cert.namespace, str(ref?.name));
}

/**
 * The domains of the Certificates using an ACME issuer with the solver each one's spec.acme.config
 * chooses (ConfigForDomain: the first config naming the domain exactly).
 */
function domainUses(cert: BackupObject, refuse: (c: BackupObject, field: string, rule: string, fix: string) => void): { uses: DomainUse[]; uncovered: string[] } {
  const configs = Array.isArray(dict(cert.object.spec?.acme)?.config) ? (dict(cert.object.spec?.acme)?.config as unknown[]) : [];
  const uses: DomainUse[] = [];
  const uncovered: string[] = [];
  const choices: Array<SolverChoice | undefined> = configs.map((raw, i) => {
    const cfg = dict(raw) ?? {};
    const path = `spec.acme.config[${i}]`;
    for (const f of unknownFields(cfg, ["domains", "http01", "dns01"])) refuse(cert, `${path}.${f}`, `solver config field ${f} has no place in v1's solvers`, `remove ${path}.${f} from the Certificate before the upgrade`);
    const http01 = present(cfg.http01);
    const dns01 = present(cfg.dns01);
    if (http01 && dns01) {
      refuse(cert, path, "the config names both http01 and dns01 (0.6 validation: may not specify more than one solver type)", `keep one of ${path}.http01 and ${path}.dns01`);
      return undefined;
    }
    if (dns01) {
      const provider = str(dict(cfg.dns01)?.provider);
      if (provider === "") {
        refuse(cert, `${path}.dns01.provider`, "the dns01 config names no provider", `set ${path}.dns01.provider to one of the issuer's dns01 providers`);
        return undefined;
      }
      return { key: `dns01|${provider}`, type: "dns01", provider };
    }
    if (http01) {
      const h = dict(cfg.http01) ?? {};
      const ingressClass = present(h.ingressClass) ? str(h.ingressClass) : undefined;
      if (str(h.ingress) !== "" && ingressClass !== undefined) {
        refuse(cert, `${path}.http01`, "the http01 config names both ingress and ingressClass (v1.1.1: only one of 'name' or 'class' should be specified)", `keep one of ${path}.http01.ingress and ${path}.http01.ingressClass`);
        return undefined;
      }
      return http01Choice(str(h.ingress), ingressClass);
    }
    refuse(cert, path, "the config names no solver (neither http01 nor dns01)", `add http01 or dns01 to ${path}, or remove it`);
    return undefined;
  });
  for (const domain of certificateDomains(cert.object.spec)) {
    const index = configs.findIndex((raw) => strings(dict(raw)?.domains).includes(domain));
    if (index < 0) {
      uncovered.push(domain);
      continue;
    }
    const choice = choices[index];
    if (choice) uses.push({ domain, choice, certificate: cert });
  }
  return { uses, uncovered };
}

interface SolverGroup {
  choice: SolverChoice;
  domains: string[];
  certificates: string[];
}

function buildSolver(choice: SolverChoice, serviceType: string, providers: Map<string, ConvertedProvider>, selectorDomains: string[] | undefined): Dict {
  const solver: Dict = {};
  if (selectorDomains) solver.selector = { dnsNames: selectorDomains };
  if (choice.type === "http01") {
    const ingress: Dict = {};
    if (choice.ingressName !== undefined) ingress.name = choice.ingressName;
    if (choice.ingressClass !== undefined) ingress.class = choice.ingressClass;
    if (serviceType !== "") ingress.serviceType = serviceType;
    solver.http01 = { ingress };
  } else {
    solver.dns01 = structuredClone(providers.get(choice.provider ?? "")?.dns01 ?? {});
  }
  return solver;
}

function describeSolver(solver: Dict): string {
  const parts: string[] = [];
  const ingress = dict(dict(solver.http01)?.ingress);
  if (ingress) {
    parts.push(`http01 ingress${str(ingress.name) ? ` name ${str(ingress.name)}` : ""}${present(ingress.class) ? ` class ${str(ingress.class)}` : ""}${str(ingress.serviceType) ? ` serviceType ${str(ingress.serviceType)}` : ""}`);
  }
  const dns01 = dict(solver.dns01);
  if (dns01) {
    const type = Object.keys(dns01).find((k) => k !== "cnameStrategy") ?? "?";
    const c = dict(dns01[type]) ?? {};
    const detail = str(c.region) || str(c.project) || str(c.nameserver) || str(c.host);
    parts.push(`dns01 ${type}${detail ? ` ${detail}` : ""}${str(dns01.cnameStrategy) ? ` cnameStrategy ${str(dns01.cnameStrategy)}` : ""}`);
  }
  const names = strings(dict(solver.selector)?.dnsNames);
  parts.push(dict(solver.selector) ? `selector dnsNames [${names.join(", ")}]` : "no selector (any domain)");
  return parts.join(", ");
}

// ---------------------------------------------------------------------------------------------
// Issuers.

const OLD_ISSUER_TYPES = ["acme", "ca", "vault", "selfSigned", "venafi"] as const;
const OLD_ACME_FIELDS = ["email", "server", "skipTLSVerify", "privateKeySecretRef", "http01", "dns01"];

function convertVault(vault: Dict, refuse: (field: string, rule: string, fix: string) => void): Dict {
  for (const f of unknownFields(vault, ["server", "path", "caBundle", "auth"])) refuse(`spec.vault.${f}`, `vault field ${f} has no place in v1's vault issuer`, `remove spec.vault.${f} before the upgrade`);
  const out: Dict = {};
  if (str(vault.server) !== "") out.server = str(vault.server);
  if (str(vault.path) !== "") out.path = str(vault.path);
  if (str(vault.caBundle) !== "") out.caBundle = str(vault.caBundle);
  const auth = dict(vault.auth) ?? {};
  for (const f of unknownFields(auth, ["tokenSecretRef", "appRole"])) refuse(`spec.vault.auth.${f}`, `vault auth field ${f} has no place in v1's vault auth`, `remove spec.vault.auth.${f} before the upgrade`);
  const v1Auth: Dict = {};
  const token = optionalSelector(auth.tokenSecretRef);
  if (token) v1Auth.tokenSecretRef = token;
  const appRole = dict(auth.appRole);
  if (appRole && (str(appRole.path) !== "" || str(appRole.roleId) !== "" || optionalSelector(appRole.secretRef))) {
    v1Auth.appRole = { path: str(appRole.path), roleId: str(appRole.roleId), secretRef: selector(appRole.secretRef) ?? { name: "" } };
  }
  out.auth = v1Auth;
  return out;
}

interface IssuerConversion {
  object: KubeObject;
  view: IssuerConversionView;
}

/**
 * One Issuer or ClusterIssuer as v1.1.1's, with the solvers its Certificates' spec.acme.config
 * chose. `certificatesUsingIt` are the backup's Certificates whose issuerRef names it.
 */
export function convertIssuer(old: BackupObject, certificatesUsingIt: BackupObject[], refusals: TargetFinding[] = []): IssuerConversion {
  const refuse = (field: string, rule: string, fix: string): void => void refusals.push(finding(old, field, rule, fix));
  const refuseCert = (c: BackupObject, field: string, rule: string, fix: string): void => void refusals.push(finding(c, field, rule, fix));
  const base = sanitizeForRestore(old.object, old.kind === "ClusterIssuer");
  const spec = dict(old.object.spec) ?? {};
  const newSpec: Dict = {};
  const view: IssuerConversionView = { object: objectLabel(old), before: [], after: [], notes: [] };
  for (const f of unknownFields(spec, OLD_ISSUER_TYPES)) refuse(`spec.${f}`, `issuer field ${f} has no place in cert-manager.io/v1`, `remove spec.${f} before the upgrade`);

  const acme = dict(spec.acme);
  if (acme) {
    for (const f of unknownFields(acme, OLD_ACME_FIELDS)) refuse(`spec.acme.${f}`, `ACME field ${f} has no place in v1's ACME issuer`, `remove spec.acme.${f} before the upgrade`);
    const v1Acme: Dict = {};
    if (str(acme.email) !== "") v1Acme.email = str(acme.email);
    v1Acme.server = str(acme.server);
    if (acme.skipTLSVerify === true) v1Acme.skipTLSVerify = true;
    v1Acme.privateKeySecretRef = selector(acme.privateKeySecretRef) ?? { name: "" };
    view.before.push(`acme ${str(acme.server)}${str(acme.email) ? ` (${str(acme.email)})` : ""}, account key Secret ${str(dict(acme.privateKeySecretRef)?.name)}`);

    const http01 = dict(acme.http01);
    const serviceType = str(http01?.serviceType);
    for (const f of unknownFields(http01 ?? {}, ["serviceType"])) refuse(`spec.acme.http01.${f}`, `http01 field ${f} has no place in v1's http01 solver`, `remove spec.acme.http01.${f} before the upgrade`);
    if (http01) view.before.push(`http01 enabled${serviceType ? ` (serviceType ${serviceType})` : ""}`);
    const providers = new Map<string, ConvertedProvider>();
    const providerOrder: string[] = [];
    const rawProviders = dict(acme.dns01)?.providers;
    (Array.isArray(rawProviders) ? rawProviders : []).forEach((raw, i) => {
      const p = dict(raw) ?? {};
      const name = str(p.name);
      const path = `spec.acme.dns01.providers[${i}]`;
      if (name === "") return void refuse(`${path}.name`, "the DNS-01 provider has no name", `set ${path}.name`);
      if (providers.has(name)) return void refuse(`${path}.name`, `a second DNS-01 provider named ${name} (0.6 uses the first)`, `rename or remove ${path}`);
      const converted = convertProvider(p, path, refuse);
      if (converted) {
        providers.set(name, converted);
        providerOrder.push(name);
        view.before.push(`dns01 provider '${name}': ${converted.summary}`);
      }
    });

    // Each domain of each Certificate: which solver it uses.
    const byDomain = new Map<string, DomainUse>();
    const groups: SolverGroup[] = [];
    const sortedCerts = [...certificatesUsingIt].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
    for (const cert of sortedCerts) {
      const certLabel = `${cert.namespace}/${cert.name}`;
      if (!present(cert.object.spec?.acme)) {
        view.notes.push(`Certificate ${certLabel} has no spec.acme (0.6.2 issues nothing for it: BadConfig); v1.1.1 solves its domains with the solvers below`);
        continue;
      }
      const { uses, uncovered } = domainUses(cert, refuseCert);
      if (uncovered.length) view.notes.push(`Certificate ${certLabel}: no spec.acme.config for ${uncovered.join(", ")} (0.6.2 cannot solve them); v1.1.1 uses a solver without selector for them, if there is one`);
      const certUses: string[] = [];
      for (const use of uses) {
        const { choice, domain } = use;
        if (choice.type === "dns01" && !providers.has(choice.provider ?? "")) {
          refuseCert(cert, "spec.acme.config", `its dns01 config for ${domain} names provider '${choice.provider}', which ${objectLabel(old)} does not have (spec.acme.dns01.providers): there is no DNS-01 configuration to convert`, `add provider '${choice.provider}' to ${objectLabel(old)}, or change the Certificate's spec.acme.config to a provider it has, before the upgrade`);
          continue;
        }
        const earlier = byDomain.get(domain);
        if (earlier && earlier.choice.key !== choice.key) {
          refuseCert(cert, "spec.acme.config", `${domain} is solved with ${describeChoice(choice)} here but with ${describeChoice(earlier.choice)} by Certificate ${earlier.certificate.namespace}/${earlier.certificate.name}; v1.1.1 selects one solver per domain of ${objectLabel(old)}`, "make both Certificates use the same solver for the domain (edit spec.acme.config of one) before the upgrade");
          continue;
        }
        certUses.push(`${domain} → ${describeChoice(choice)}`);
        if (earlier) continue;
        byDomain.set(domain, use);
        let group = groups.find((g) => g.choice.key === choice.key);
        if (!group) groups.push((group = { choice, domains: [], certificates: [] }));
        group.domains.push(domain);
        if (!group.certificates.includes(certLabel)) group.certificates.push(certLabel);
      }
      if (certUses.length) view.before.push(`Certificate ${certLabel}: ${certUses.join("; ")}`);
    }
    for (const g of groups) {
      if (g.choice.type === "http01" && !http01) {
        view.notes.push(`${describeChoice(g.choice)} for ${g.domains.join(", ")}: the old issuer has no spec.acme.http01, so 0.6.2 could not solve these; v1.1.1 will`);
      }
    }

    // Solvers: the used ones (with dnsNames selectors when they differ), then the unused issuer-level ones.
    const solvers: Dict[] = groups.map((g) => buildSolver(g.choice, serviceType, providers, groups.length > 1 ? [...g.domains] : undefined));
    const unused: SolverChoice[] = [];
    if (http01 && !groups.some((g) => g.choice.type === "http01")) unused.push(http01Choice("", undefined));
    for (const name of providerOrder) if (!groups.some((g) => g.choice.provider === name)) unused.push({ key: `dns01|${name}`, type: "dns01", provider: name });
    for (const c of unused) solvers.push(buildSolver(c, serviceType, providers, undefined));
    if (unused.length) {
      const what = unused.map(describeChoice).join(", ");
      view.notes.push(groups.length
        ? `not used by any Certificate, kept without selector after the used ones: ${what}; v1.1.1 takes the first solver without selector whose challenge type the ACME server offers, for a domain no selector names`
        : `no Certificate uses this issuer's ${what}: kept without selector${unused.length > 1 ? "; v1.1.1 takes the first whose challenge type the ACME server offers (0.6 let each Certificate choose)" : ""}`);
    }
    if (solvers.length) v1Acme.solvers = solvers;
    else view.notes.push("no solvers: v1.1.1 can issue nothing with this issuer until solvers are added");
    newSpec.acme = v1Acme;
    view.after.push(`acme ${str(v1Acme.server)}, account key Secret ${str(dict(v1Acme.privateKeySecretRef)?.name)} (kept: with the Secret copied, v1.1.1 registers with the existing key and gets the existing account back; no new account)`);
    solvers.forEach((s, i) => view.after.push(`solvers[${i}]: ${describeSolver(s)}`));
  }
  const ca = dict(spec.ca);
  if (ca) {
    for (const f of unknownFields(ca, ["secretName"])) refuse(`spec.ca.${f}`, `ca field ${f} has no place in v1's ca issuer`, `remove spec.ca.${f} before the upgrade`);
    newSpec.ca = { secretName: str(ca.secretName) };
    view.before.push(`ca secretName ${str(ca.secretName)}`);
    view.after.push(`ca secretName ${str(ca.secretName)}`);
  }
  if (present(spec.selfSigned)) {
    newSpec.selfSigned = {};
    view.before.push("selfSigned");
    view.after.push("selfSigned");
  }
  const vault = dict(spec.vault);
  if (vault) {
    newSpec.vault = convertVault(vault, refuse);
    view.before.push(`vault ${str(vault.server)} path ${str(vault.path)}`);
    view.after.push(`vault ${str(vault.server)} path ${str(vault.path)}`);
  }
  if (present(spec.venafi)) {
    newSpec.venafi = structuredClone(spec.venafi);
    view.before.push("venafi");
    view.after.push("venafi (unchanged)");
  }
  const object: KubeObject = { apiVersion: CERTMANAGER_V1, kind: old.kind, metadata: base.metadata, spec: newSpec };
  return { object, view };
}

// ---------------------------------------------------------------------------------------------
// Certificates.

const OLD_CERTIFICATE_FIELDS = ["commonName", "organization", "duration", "renewBefore", "dnsNames", "ipAddresses", "secretName", "issuerRef", "isCA", "acme", "keySize", "keyAlgorithm", "keyEncoding", "usages"];
const KEY_ALGORITHMS: Record<string, string> = { rsa: "RSA", ecdsa: "ECDSA" };
const KEY_ENCODINGS: Record<string, string> = { pkcs1: "PKCS1", pkcs8: "PKCS8" };

/** One Certificate as v1.1.1's: spec.acme goes (its configs become the issuer's solvers), status is not restored. */
export function convertCertificate(old: BackupObject, refusals: TargetFinding[] = []): KubeObject {
  const refuse = (field: string, rule: string, fix: string): void => void refusals.push(finding(old, field, rule, fix));
  const base = sanitizeForRestore(old.object, false);
  const spec = dict(old.object.spec) ?? {};
  for (const f of unknownFields(spec, OLD_CERTIFICATE_FIELDS)) refuse(`spec.${f}`, `Certificate field ${f} has no place in cert-manager.io/v1`, `remove spec.${f} before the upgrade`);
  const out: Dict = {};
  const organizations = strings(spec.organization);
  if (organizations.length) out.subject = { organizations };
  if (str(spec.commonName) !== "") out.commonName = str(spec.commonName);
  if (present(spec.duration)) out.duration = spec.duration;
  if (present(spec.renewBefore)) out.renewBefore = spec.renewBefore;
  const dnsNames = strings(spec.dnsNames);
  if (dnsNames.length) out.dnsNames = dnsNames;
  const ips = strings(spec.ipAddresses);
  if (ips.length) out.ipAddresses = ips;
  out.secretName = str(spec.secretName);
  const ref = dict(spec.issuerRef) ?? {};
  for (const f of unknownFields(ref, ["name", "kind", "group"])) refuse(`spec.issuerRef.${f}`, `issuerRef field ${f} has no place in v1`, `remove spec.issuerRef.${f}`);
  const issuerRef: Dict = { name: str(ref.name) };
  if (str(ref.kind) !== "") issuerRef.kind = str(ref.kind);
  issuerRef.group = CERTMANAGER_GROUP_V1;
  out.issuerRef = issuerRef;
  if (spec.isCA === true) out.isCA = true;
  const usages = strings(spec.usages);
  if (usages.length) out.usages = usages;
  const privateKey: Dict = {};
  const algorithm = str(spec.keyAlgorithm);
  if (algorithm !== "") {
    if (KEY_ALGORITHMS[algorithm]) privateKey.algorithm = KEY_ALGORITHMS[algorithm];
    else refuse("spec.keyAlgorithm", `keyAlgorithm ${JSON.stringify(algorithm)} is neither rsa nor ecdsa: v1 has no spelling for it`, "set spec.keyAlgorithm to rsa or ecdsa, or remove it");
  }
  if (typeof spec.keySize === "number" && spec.keySize > 0) privateKey.size = spec.keySize;
  const encoding = str(spec.keyEncoding);
  if (encoding !== "") {
    if (KEY_ENCODINGS[encoding]) privateKey.encoding = KEY_ENCODINGS[encoding];
    else refuse("spec.keyEncoding", `keyEncoding ${JSON.stringify(encoding)} is neither pkcs1 nor pkcs8`, "set spec.keyEncoding to pkcs1 or pkcs8, or remove it");
  }
  if (Object.keys(privateKey).length) out.privateKey = privateKey;
  return { apiVersion: CERTMANAGER_V1, kind: "Certificate", metadata: base.metadata, spec: out };
}

// ---------------------------------------------------------------------------------------------
// The whole backup.

/** Converts the backup's ClusterIssuers, Issuers and Certificates (Orders and Challenges are not restored). */
export function convertBackup(objects: BackupObject[]): ConvertedObjects {
  const refusals: TargetFinding[] = [];
  const certificates = objects.filter((o) => o.kind === "Certificate");
  const issuers = objects.filter((o) => o.kind === "ClusterIssuer" || o.kind === "Issuer");
  const issuerKeys = new Set(issuers.map((o) => issuerKeyOf(o.kind, o.namespace, o.name)));
  const converted: KubeObject[] = [];
  const views: IssuerConversionView[] = [];
  for (const kind of ["ClusterIssuer", "Issuer"] as const) {
    for (const issuer of issuers.filter((o) => o.kind === kind)) {
      const key = issuerKeyOf(issuer.kind, issuer.namespace, issuer.name);
      const { object, view } = convertIssuer(issuer, certificates.filter((c) => certificateIssuerKey(c) === key), refusals);
      converted.push(object);
      views.push(view);
    }
  }
  for (const cert of certificates) {
    if (present(cert.object.spec?.acme) && !issuerKeys.has(certificateIssuerKey(cert))) {
      refusals.push(finding(cert, "spec.acme", `its issuer ${certificateIssuerKey(cert).replace("//", "/")} is not in the backup: its spec.acme.config cannot be moved to that issuer's solvers`, "restore the issuer into the backup (take it again), or remove spec.acme from the Certificate, before the upgrade"));
    }
    converted.push(convertCertificate(cert, refusals));
  }
  return { objects: converted, views, refusals };
}

/** The preview's lines: per issuer, what it was and what it becomes. */
export function renderConversion(views: IssuerConversionView[]): string[] {
  const lines: string[] = [];
  for (const v of views) {
    lines.push(`${v.object}:`);
    for (const b of v.before) lines.push(`  was: ${b}`);
    for (const a of v.after) lines.push(`  now: ${a}`);
    for (const n of v.notes) lines.push(`  note: ${n}`);
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------
// v1.1.1's solver selection, to check each conversion against it.

/** miekg/dns CompareDomainName: how many labels, from the right, two names share (case-insensitive). */
function sharedLabels(a: string, b: string): number {
  const x = a.toLowerCase().replace(/\.$/, "").split(".").filter(Boolean).reverse();
  const y = b.toLowerCase().replace(/\.$/, "").split(".").filter(Boolean).reverse();
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  return n;
}

function selectorMatches(sel: Dict, labels: Record<string, string>, domain: string): { ok: boolean; labels: number; names: number; zones: number } {
  const matchLabels = dict(sel.matchLabels) ?? {};
  let labelCount = 0;
  for (const [k, v] of Object.entries(matchLabels)) {
    if (labels[k] !== v) return { ok: false, labels: 0, names: 0, zones: 0 };
    labelCount++;
  }
  const names = strings(sel.dnsNames);
  const nameCount = names.length === 0 ? 0 : names.includes(domain) ? 1 : -1;
  if (nameCount < 0) return { ok: false, labels: 0, names: 0, zones: 0 };
  const zones = strings(sel.dnsZones);
  let zoneCount = 0;
  if (zones.length) {
    for (const zone of zones) {
      const shared = sharedLabels(zone, domain);
      const zoneLabels = zone.replace(/\.$/, "").split(".").filter(Boolean).length;
      if (shared === zoneLabels && shared > zoneCount) zoneCount = shared;
    }
    if (zoneCount === 0) return { ok: false, labels: 0, names: 0, zones: 0 };
  }
  return { ok: true, labels: labelCount, names: nameCount, zones: zoneCount };
}

/**
 * The index of the solver v1.1.1 picks for a domain ("*.x" for a wildcard authorization), the
 * Order's labels and the challenge types the ACME server offers (pkg/controller/acmeorders/util.go
 * challengeSpecForAuthorization); -1 when none can be used.
 */
export function selectSolverV111(solvers: unknown[], domain: string, labels: Record<string, string> = {}, offered: Array<"http-01" | "dns-01"> = ["http-01", "dns-01"]): number {
  let selected = -1;
  let sel = { labels: 0, names: 0, zones: 0 };
  solvers.forEach((raw, i) => {
    const solver = dict(raw) ?? {};
    const usable = (present(solver.http01) && offered.includes("http-01")) || (present(solver.dns01) && offered.includes("dns-01"));
    if (!usable) return;
    const selector = dict(solver.selector);
    if (!selector) {
      if (selected < 0) selected = i; // a match-all solver only when none was selected before
      return;
    }
    const m = selectorMatches(selector, labels, domain);
    if (!m.ok) return;
    const take = (): void => {
      selected = i;
      sel = { labels: m.labels, names: m.names, zones: m.zones };
    };
    if (selected < 0) return take();
    const selNames = sel.names > 0;
    const hasNames = m.names > 0;
    if (!selNames && hasNames) return take();
    if (selNames && !hasNames) return;
    if (selNames && hasNames) {
      if (m.zones > sel.zones) return take();
      if (sel.zones > m.zones) return;
      if (m.labels > sel.labels) return take();
      return;
    }
    const selZones = sel.zones > 0;
    const hasZones = m.zones > 0;
    if (!selZones && hasZones) return take();
    if (selZones && !hasZones) return;
    if (selZones && hasZones) {
      if (m.zones > sel.zones) return take();
      if (sel.zones > m.zones) return;
      if (m.labels > sel.labels) return take();
      return;
    }
    if (m.labels > sel.labels) take();
  });
  return selected;
}
