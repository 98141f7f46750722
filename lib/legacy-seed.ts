// A cluster as the seed's was before the upgrade: cert-manager 0.4.1 in kube-system, its issuers,
// their Secrets, certificates with TLS Secrets and Ingresses. Used by the demo and the tests.
import { execFile, execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { statusCode } from "./kube";
import { ingressApiVersionFor } from "./served-apis";
import { CERTMANAGER_API_VERSION, KubeObject } from "./types";

export interface SeedOptions {
  /** Extra namespaces with Issuers and Certificates beyond the seed's own objects. */
  extraNamespaces: number;
  certificatesPerNamespace: number;
  /** Secret values the seeding writes, so tests can look for leaks. */
  secretMarker: string;
  /**
   * An ACME directory URL (the harness's Pebble) for the legacy ClusterIssuers. With it the seed is
   * one a real cert-manager can read, as 0.4 left it: ACME account keys and TLS keys PKCS#1 (`RSA
   * PRIVATE KEY`), each certificate's CN and DNS SANs its spec's, 80 days to expiry (outside the
   * 30-day renewal window), team CAs real CAs, ACME certificates with a solver, and the Ingresses'
   * annotations saying what their Certificates say (0.6's ingress-shim would rewrite them otherwise).
   * ivan-test-cert has no TLS Secret (never issued): it fails, as in the seed. Without it, the seed as before.
   */
  acmeServer?: string;
  /**
   * With acmeServer: one more Certificate, RENEWAL_DUE, inside its renewal window (issued 70 days
   * ago, 10 days left), solved over HTTP-01 with SEED_HTTP01_INGRESS_CLASS, so that a controller
   * that renews (cert-manager v1.1.1) renews it after the upgrade.
   */
  renewalDue?: boolean;
}

export interface SeedSummary {
  clusterIssuers: number;
  issuers: number;
  certificates: number;
  secrets: string[];
  ingressUID: string;
  /** What the Ingresses were created as (and the ownerReference says): extensions/v1beta1 where served, as on the seed's cluster. */
  ingressApiVersion: string;
}

const INGRESS_CANDIDATES = ["extensions/v1beta1", "networking.k8s.io/v1", "networking.k8s.io/v1beta1"];

/** Which of the Ingress API versions the cluster serves (resource discovery: a group version may serve other kinds only). */
export async function servedIngressVersions(kc: k8s.KubeConfig): Promise<Record<string, string[]>> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const served: Record<string, string[]> = {};
  for (const gv of INGRESS_CANDIDATES) {
    const [group, version] = gv.split("/");
    try {
      served[gv] = (await custom.getAPIResources({ group, version })).resources.map((r) => r.kind);
    } catch (err) {
      if (statusCode(err) !== 404) throw err; // 404: the group version is not served at all
    }
  }
  return served;
}

/** The seed's Ingress in the given API version: extensions/v1beta1 and networking v1beta1 name the backend service differently from v1. */
export function ingressManifest(apiVersion: string, ns: string, name: string, host: string, secretName: string, extraAnnotations: Record<string, string> = {}): k8s.KubernetesObject & Record<string, unknown> {
  const backend = apiVersion === "networking.k8s.io/v1"
    ? { path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } }
    : { path: "/", backend: { serviceName: name, servicePort: 80 } };
  return {
    apiVersion, kind: "Ingress",
    metadata: { name, namespace: ns, annotations: { "kubernetes.io/tls-acme": "true", "certmanager.k8s.io/cluster-issuer": "letsencrypt-prod", ...extraAnnotations } },
    spec: { tls: [{ hosts: [host], secretName }], rules: [{ host, http: { paths: [backend] } }] },
  };
}

export interface TlsPair {
  crt: string;
  key: string;
}

/** The ingress class of the seed's HTTP-01 configs (wonder-app-cert's): the harness's ingress stand-in serves it. */
export const SEED_HTTP01_INGRESS_CLASS = "nginx";

/** The certificate `renewalDue` adds: inside its renewal window, solved over HTTP-01 like wonder-app-cert. */
export const RENEWAL_DUE = { namespace: "default", name: "renew-app", secret: "renew-app-tls", domain: "renew-app.example.com", issuedDaysAgo: 70, daysLeft: 10 } as const;

/**
 * The annotations cert-manager 0.4.1 wrote on every TLS Secret it issued into
 * (pkg/controller/certificates/sync.go: the issuer's name and kind, Issuer when the ref names none).
 */
export function legacyIssuerAnnotations(issuerRef: { name: string; kind?: string }): Record<string, string> {
  return { "certmanager.k8s.io/issuer-name": issuerRef.name, "certmanager.k8s.io/issuer-kind": issuerRef.kind || "Issuer" };
}

/**
 * A PKCS#1 key and a certificate for `domain` (CN and DNS SAN) valid from `notBefore` to
 * `notAfter`: `openssl ca -selfsign`, since `req -x509` cannot backdate.
 */
export function backdatedCertificate(domain: string, notBefore: Date, notAfter: Date): TlsPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-tls-"));
  try {
    const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
    fs.writeFileSync(path.join(dir, "index.txt"), "");
    fs.writeFileSync(path.join(dir, "serial"), `${crypto.randomBytes(8).toString("hex")}\n`);
    fs.writeFileSync(path.join(dir, "ca.cnf"), ["[ ca ]", "default_ca = CA_default", "[ CA_default ]", `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`, `serial = ${dir}/serial`,
      "default_md = sha256", "policy = policy_any", "copy_extensions = copy", "unique_subject = no", "[ policy_any ]", "commonName = supplied", ""].join("\n"));
    const key = path.join(dir, "tls.key");
    execFileSync("openssl", ["genrsa", "-traditional", "-out", key, "2048"], { stdio: "ignore" });
    execFileSync("openssl", ["req", "-new", "-key", key, "-subj", `/CN=${domain}`, "-addext", `subjectAltName=DNS:${domain}`, "-out", path.join(dir, "req.csr")], { stdio: "ignore" });
    execFileSync("openssl", ["ca", "-batch", "-config", path.join(dir, "ca.cnf"), "-selfsign", "-keyfile", key, "-in", path.join(dir, "req.csr"),
      "-startdate", stamp(notBefore), "-enddate", stamp(notAfter), "-notext", "-out", path.join(dir, "tls.crt")], { stdio: "ignore" });
    return { crt: fs.readFileSync(path.join(dir, "tls.crt"), "utf8"), key: fs.readFileSync(key, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed certificate for the TLS Secrets, made by openssl (real PEM, real expiry). */
export function selfSignedCertificate(commonName: string, days = 90): TlsPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-tls-"));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", String(days), "-subj", `/CN=${commonName}`,
      "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt")], { stdio: "ignore" });
    return { crt: fs.readFileSync(path.join(dir, "tls.crt"), "utf8"), key: fs.readFileSync(path.join(dir, "tls.key"), "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A PKCS#1 RSA key (`RSA PRIVATE KEY`, what cert-manager 0.4 wrote) and a certificate for it whose CN and DNS SANs are the given names. */
export function pkcs1Certificate(dnsNames: string[], options: { days?: number; ca?: boolean; commonName?: string; key?: string } = {}): TlsPair {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-tls-"));
  try {
    const key = path.join(dir, "tls.key");
    // A given key (PKCS#1 PEM) is reused: many certificates, one key generation (2048-bit RSA is slow on a busy machine).
    if (options.key) fs.writeFileSync(key, options.key, { mode: 0o600 });
    else execFileSync("openssl", ["genrsa", "-traditional", "-out", key, "2048"], { stdio: "ignore" });
    const ext = options.ca ? ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"] : ["-addext", `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(",")}`];
    execFileSync("openssl", ["req", "-x509", "-new", "-key", key, "-days", String(options.days ?? 80), "-subj", `/CN=${options.commonName ?? dnsNames[0]}`, ...ext,
      "-out", path.join(dir, "tls.crt")], { stdio: "ignore" });
    return { crt: fs.readFileSync(path.join(dir, "tls.crt"), "utf8"), key: fs.readFileSync(key, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One certificate per DNS name, all for the one given key (PKCS#1 or SEC1 PEM), CN and SAN the name,
 * made by openssl, `concurrency` at a time: thousands of real certificates in seconds.
 */
export async function certificatesForKey(key: string, dnsNames: string[], options: { days?: number; concurrency?: number } = {}): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-tls-"));
  try {
    const keyFile = path.join(dir, "tls.key");
    fs.writeFileSync(keyFile, key, { mode: 0o600 });
    const out: string[] = new Array(dnsNames.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < dnsNames.length; i = next++) {
        out[i] = await new Promise<string>((resolve, reject) =>
          execFile("openssl", ["req", "-x509", "-new", "-key", keyFile, "-days", String(options.days ?? 80), "-subj", `/CN=${dnsNames[i]}`, "-addext", `subjectAltName=DNS:${dnsNames[i]}`],
            { encoding: "utf8" }, (err, stdout, stderr) => (err ? reject(new Error(`openssl req for ${dnsNames[i]} failed: ${stderr.trim().split("\n").pop() ?? err.message}`)) : resolve(stdout))));
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? Math.max(2, os.cpus().length * 2) }, worker));
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
const DAY_MS = 24 * 3600 * 1000;

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortedKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/**
 * The object `kubectl apply -f` creates from `manifest`: the manifest with the annotation
 * kubectl.kubernetes.io/last-applied-configuration holding the manifest itself, serialized as
 * kubectl does (Go's encoding/json: keys sorted, HTML characters escaped, `metadata.annotations`
 * present even when empty, a trailing newline). For a Secret it holds the data (or stringData) as
 * written, which is why such Secrets must never reach anything in the clear.
 */
export function kubectlApplied<T extends { metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> } }>(manifest: T): T & { metadata: { annotations: Record<string, string> } } {
  const annotations = { ...(manifest.metadata?.annotations ?? {}) };
  delete annotations[LAST_APPLIED];
  const recorded = { ...manifest, metadata: { ...manifest.metadata, annotations } };
  const json = JSON.stringify(sortedKeys(recorded))
    .replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
  return { ...manifest, metadata: { ...manifest.metadata, annotations: { ...annotations, [LAST_APPLIED]: `${json}\n` } } };
}

async function createOrIgnore(fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
}

function ready(status: "True" | "False", reason: string, message: string): Record<string, unknown> {
  return { conditions: [{ type: "Ready", status, reason, message, lastTransitionTime: "2019-02-28T05:53:12Z" }] };
}

export async function seedLegacyObjects(kc: k8s.KubeConfig, options: SeedOptions): Promise<SeedSummary> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const ingressApiVersion = ingressApiVersionFor(await servedIngressVersions(kc));
  const secrets: string[] = [];

  const namespace = (name: string) => createOrIgnore(() => core.createNamespace({ body: { metadata: { name } } }));
  // Every Secret carries the marker in a value. Some are created as `kubectl apply -f` creates them
  // (the manifest, data or stringData, recorded in kubectl's last-applied-configuration annotation).
  // `issuedBy`: the issuerRef of the Certificate 0.4.1 issued into it; its annotations are 0.4.1's
  // (written by the controller, so not in kubectl's record).
  const secret = async (ns: string, name: string, data: Record<string, string>, type = "Opaque", how: "create" | "kubectl-apply" | "kubectl-apply-stringData" = "create", issuedBy?: { name: string; kind?: string }) => {
    const manifest: k8s.V1Secret = how === "kubectl-apply-stringData"
      ? { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type, stringData: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")])) }
      : { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: ns }, type, data };
    const applied = how === "create" ? manifest : kubectlApplied(manifest);
    const body = issuedBy ? { ...applied, metadata: { ...applied.metadata, annotations: { ...applied.metadata?.annotations, ...legacyIssuerAnnotations(issuedBy) } } } : applied;
    await createOrIgnore(() => core.createNamespacedSecret({ namespace: ns, body }));
    secrets.push(`${ns}/${name}`);
  };
  // A PEM private key may be preceded by explanatory text (RFC 7468); the marker goes there, so TLS
  // Secrets hold it too while their key stays usable.
  const keyWithMarker = (pem: string) => `${options.secretMarker}\n${pem}`;
  const create = async (obj: KubeObject) => {
    const plural = `${obj.kind!.toLowerCase()}s`;
    const [group, version] = CERTMANAGER_API_VERSION.split("/");
    await createOrIgnore(() => obj.metadata?.namespace
      ? custom.createNamespacedCustomObject({ group, version, namespace: obj.metadata.namespace, plural, body: obj })
      : custom.createClusterCustomObject({ group, version, plural, body: obj }));
  };
  const acme = options.acmeServer;
  // With an ACME server a real controller (the harness's) reports the issuers' status; else the seed writes what 0.4 had.
  const issuerStatus = (status: Record<string, unknown>): { status?: Record<string, unknown> } => (acme ? {} : { status });
  const ingress = async (ns: string, name: string, host: string, secretName: string, annotations: Record<string, string> = {}): Promise<k8s.KubernetesObject> => {
    const body = ingressManifest(ingressApiVersion, ns, name, host, secretName, acme ? annotations : {});
    try {
      return await objects.create(body);
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      return objects.read({ apiVersion: ingressApiVersion, kind: "Ingress", metadata: { name, namespace: ns } });
    }
  };

  await namespace("test");
  // The issuers' Secrets live in kube-system, as the 0.4 release read them there.
  // With an ACME server: real PKCS#1 account keys (the marker as PEM explanatory text before them).
  const accountKey = (fallback: string) => b64(acme ? keyWithMarker(pkcs1Certificate(["acme-account.invalid"]).key) : fallback);
  await secret("kube-system", "cert-manager-setup-production-private-key", { "tls.key": accountKey(`acme-prod-key-${options.secretMarker}`) }, "Opaque", "kubectl-apply");
  await secret("kube-system", "cert-manager-setup-staging-private-key", { "tls.key": accountKey(`acme-staging-key-${options.secretMarker}`) });
  await secret("kube-system", "clouddns-service-account", { "service-account.json": b64(`{"private_key":"${options.secretMarker}"}`) }, "Opaque", "kubectl-apply-stringData");

  await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: "letsencrypt-prod", labels: { app: "cert-manager-setup" } },
    spec: { acme: { server: acme ?? "https://acme-v02.api.letsencrypt.org/directory", email: "ops@example.com", privateKeySecretRef: { name: "cert-manager-setup-production-private-key" },
      dns01: { providers: [{ name: "clouddns", clouddns: { project: "example-project", serviceAccountSecretRef: { name: "clouddns-service-account", key: "service-account.json" } } }] } } },
    ...issuerStatus({ acme: { uri: "https://acme-v02.api.letsencrypt.org/acme/acct/12345678" }, ...ready("True", "ACMEAccountRegistered", "The ACME account was registered with the ACME server") }) });
  await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: "letsencrypt-staging", labels: { app: "cert-manager-setup" } },
    spec: { acme: { server: acme ?? "https://acme-staging-v02.api.letsencrypt.org/directory", email: "ops@example.com", privateKeySecretRef: { name: "cert-manager-setup-staging-private-key" }, http01: {} } },
    ...issuerStatus(ready("True", "ACMEAccountRegistered", "The ACME account was registered with the ACME server")) });

  const wonder = acme ? pkcs1Certificate(["wonder-app.example.com"]) : selfSignedCertificate("wonder-app.example.com");
  const prod = { kind: "ClusterIssuer", name: "letsencrypt-prod" };
  await ingress("default", "wonder-app", "wonder-app.example.com", "wonder-app-cert", { "kubernetes.io/ingress.class": SEED_HTTP01_INGRESS_CLASS });
  await secret("default", "wonder-app-cert", { "tls.crt": b64(wonder.crt), "tls.key": b64(keyWithMarker(wonder.key)) }, "kubernetes.io/tls", "kubectl-apply", prod);
  await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: "wonder-app-cert", namespace: "default" },
    spec: { secretName: "wonder-app-cert", dnsNames: ["wonder-app.example.com"], issuerRef: prod,
      acme: { config: [{ http01: { ingressClass: SEED_HTTP01_INGRESS_CLASS }, domains: ["wonder-app.example.com"] }] } },
    status: ready("True", "CertIssued", "Certificate issued successfully") });

  if (acme && options.renewalDue) {
    const now = Date.now();
    const issued = new Date(now - RENEWAL_DUE.issuedDaysAgo * DAY_MS);
    const pair = backdatedCertificate(RENEWAL_DUE.domain, issued, new Date(now + RENEWAL_DUE.daysLeft * DAY_MS));
    await secret(RENEWAL_DUE.namespace, RENEWAL_DUE.secret, { "tls.crt": b64(pair.crt), "tls.key": b64(keyWithMarker(pair.key)) }, "kubernetes.io/tls", "create", prod);
    await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: RENEWAL_DUE.name, namespace: RENEWAL_DUE.namespace },
      spec: { secretName: RENEWAL_DUE.secret, dnsNames: [RENEWAL_DUE.domain], issuerRef: prod,
        acme: { config: [{ http01: { ingressClass: SEED_HTTP01_INGRESS_CLASS }, domains: [RENEWAL_DUE.domain] }] } },
      status: { conditions: [{ type: "Ready", status: "True", reason: "CertIssued", message: "Certificate issued successfully", lastTransitionTime: issued.toISOString().replace(/\.\d+Z$/, "Z") }] } });
  }

  const testIngress = await ingress("test", "test-ingress", "ivan-test.example.com", "ivan-test-cert",
    { "certmanager.k8s.io/acme-challenge-type": "dns01", "certmanager.k8s.io/acme-dns01-provider": "clouddns" });
  const ingressUID = testIngress.metadata?.uid ?? "";
  // With an ACME server the failing certificate was never issued: no TLS Secret (0.6.2 reports a
  // certificate that is still valid Ready, however close to expiry, so a 1-day one would not fail).
  if (!acme) {
    const ivan = selfSignedCertificate("ivan-test.example.com", 1);
    await secret("test", "ivan-test-cert", { "tls.crt": b64(ivan.crt), "tls.key": b64(keyWithMarker(ivan.key)) }, "kubernetes.io/tls", "create", prod);
  }
  await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: "ivan-test-cert", namespace: "test",
    ownerReferences: [{ apiVersion: ingressApiVersion, kind: "Ingress", name: "test-ingress", uid: ingressUID, controller: true, blockOwnerDeletion: true }] },
    spec: { secretName: "ivan-test-cert", dnsNames: ["ivan-test.example.com"], commonName: "", issuerRef: { kind: "ClusterIssuer", name: "letsencrypt-prod" },
      acme: { config: [{ dns01: { provider: "clouddns" }, domains: ["ivan-test.example.com"] }] } },
    status: ready("False", "InvalidConfig", 'ACME server does not allow selected challenge type or no provider is configured for domain "ivan-test.example.com"') });

  // More teams: a CA Issuer and a self-signed Issuer per namespace, and their certificates.
  const bulk = selfSignedCertificate("bulk.example.com");
  const leafKey = acme ? pkcs1Certificate(["leaf-key.invalid"]).key : undefined;
  let issuers = 0;
  let certificates = acme && options.renewalDue ? 3 : 2;
  for (let n = 0; n < options.extraNamespaces; n++) {
    const ns = `team-${String(n).padStart(2, "0")}`;
    await namespace(ns);
    const teamCa = acme ? pkcs1Certificate([`ca.${ns}.example.com`], { ca: true, days: 3650 }) : undefined;
    await secret(ns, "team-ca", { "tls.crt": b64(teamCa?.crt ?? bulk.crt), "tls.key": b64(teamCa ? keyWithMarker(teamCa.key) : `team-ca-key-${options.secretMarker}`) }, "kubernetes.io/tls");
    await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "Issuer", metadata: { name: "team-ca", namespace: ns }, spec: { ca: { secretName: "team-ca" } }, ...issuerStatus(ready("True", "KeyPairVerified", "Signing CA verified")) });
    await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "Issuer", metadata: { name: "selfsigned", namespace: ns }, spec: { selfSigned: {} }, ...issuerStatus(ready("True", "IsReady", "")) });
    issuers += 2;
    const pending: Array<Promise<void>> = [];
    const certificateName = (c: number) => `svc-${String(c).padStart(3, "0")}`;
    // The namespace's certificates made at once, several openssl at a time (one each took 12 ms of a blocked event loop).
    const leafCertificates = leafKey ? await certificatesForKey(leafKey, Array.from({ length: options.certificatesPerNamespace }, (_, c) => `${certificateName(c)}.${ns}.example.com`)) : [];
    for (let c = 0; c < options.certificatesPerNamespace; c++) {
      const name = certificateName(c);
      const issuerRef = c % 3 === 0 ? { kind: "ClusterIssuer", name: "letsencrypt-prod" } : { kind: "Issuer", name: c % 3 === 1 ? "team-ca" : "selfsigned" };
      const dnsName = `${name}.${ns}.example.com`;
      pending.push((async () => {
        const pair = leafKey ? { crt: leafCertificates[c], key: leafKey } : bulk;
        await secret(ns, `${name}-tls`, { "tls.crt": b64(pair.crt), "tls.key": b64(keyWithMarker(pair.key)) }, "kubernetes.io/tls", "create", issuerRef);
        await create({ apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name, namespace: ns, labels: { team: ns } },
          spec: { secretName: `${name}-tls`, dnsNames: [dnsName], issuerRef,
            ...(acme && issuerRef.kind === "ClusterIssuer" ? { acme: { config: [{ http01: {}, domains: [dnsName] }] } } : {}) },
          status: ready("True", "CertIssued", "Certificate issued successfully") });
      })());
      if (pending.length >= 16) await Promise.all(pending.splice(0));
    }
    await Promise.all(pending);
    certificates += options.certificatesPerNamespace;
  }
  return { clusterIssuers: 2, issuers, certificates, secrets, ingressUID, ingressApiVersion };
}
