// cert-manager 0.6.2's webhook validation, rule by rule (issue 19, item 1).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  goDurationString, validRfc2136Nameserver, validateForWebhook, validateIssuerSpec, validateCertificateSpec, webhookViolations, fieldErrorText,
} from "../lib/webhook-0.6.2-validation";

const SERVER = "https://acme-v02.api.letsencrypt.org/directory";
const acme = (over: Record<string, unknown> = {}) => ({ acme: { email: "ops@example.com", server: SERVER, privateKeySecretRef: { name: "k" }, ...over } });
const issuerErrors = (spec: unknown): string[] => validateIssuerSpec(spec).map(fieldErrorText);
const dns = (provider: Record<string, unknown>) => issuerErrors(acme({ dns01: { providers: [{ name: "p", ...provider }] } }));
const cert = (over: Record<string, unknown> = {}) => ({ secretName: "s", issuerRef: { name: "i", kind: "ClusterIssuer" }, dnsNames: ["a.example.com"], ...over });
const certErrors = (spec: unknown): string[] => validateCertificateSpec(spec).map(fieldErrorText);

test("a valid ACME issuer of each kind passes", () => {
  assert.deepEqual(issuerErrors(acme({ http01: {} })), []);
  assert.deepEqual(issuerErrors({ ca: { secretName: "ca" } }), []);
  assert.deepEqual(issuerErrors({ selfSigned: {} }), []);
  assert.deepEqual(issuerErrors({ vault: { server: "https://v", path: "pki/sign/x", auth: {} } }), []);
  assert.deepEqual(dns({ clouddns: { project: "p" } }), [], "clouddns may use ambient credentials");
  assert.deepEqual(dns({ route53: { region: "eu-west-1" } }), [], "route53 may use ambient credentials");
});

test("ValidateIssuerConfig: no issuer type, more than one", () => {
  assert.deepEqual(issuerErrors({}), ["spec: Required value: at least one issuer must be configured"]);
  assert.deepEqual(issuerErrors({ acme: null }), ["spec: Required value: at least one issuer must be configured"], "null is Go's nil pointer");
  assert.deepEqual(issuerErrors({ ...acme(), ca: { secretName: "x" }, selfSigned: {} }), [
    "spec.ca: Forbidden: may not specify more than one issuer type",
    "spec.selfSigned: Forbidden: may not specify more than one issuer type",
  ]);
});

test("ValidateACMEIssuerConfig: email, private key name and server are required (a ClusterIssuer without email is named)", () => {
  assert.deepEqual(issuerErrors({ acme: { server: SERVER, privateKeySecretRef: { name: "k" } } }), ["spec.acme.email: Required value: email address is a required field"]);
  assert.deepEqual(issuerErrors({ acme: {} }), [
    "spec.acme.email: Required value: email address is a required field",
    "spec.acme.privateKeySecretRef.name: Required value: private key secret name is a required field",
    "spec.acme.server: Required value: acme server URL is a required field",
  ]);
  const v = webhookViolations([{ kind: "ClusterIssuer", namespace: "", name: "le", spec: { acme: { server: SERVER, privateKeySecretRef: { name: "k" } } } }], ["cert-manager"]);
  assert.deepEqual(v.map((x) => [x.object, x.field, x.message]), [["ClusterIssuer/le", "spec.acme.email", "spec.acme.email: Required value: email address is a required field"]]);
});

test("ValidateACMEIssuerHTTP01Config: serviceType ClusterIP or NodePort", () => {
  assert.deepEqual(issuerErrors(acme({ http01: { serviceType: "NodePort" } })), []);
  assert.deepEqual(issuerErrors(acme({ http01: { serviceType: "LoadBalancer" } })), ['spec.acme.http01.serviceType: Invalid value: "LoadBalancer": optional field serviceType must be one of ["ClusterIP" "NodePort"]']);
});

test("ValidateCAIssuerConfig and ValidateVaultIssuerConfig", () => {
  assert.deepEqual(issuerErrors({ ca: {} }), ["spec.ca.secretName: Required value"]);
  assert.deepEqual(issuerErrors({ vault: {} }), ["spec.vault.server: Required value", "spec.vault.path: Required value"]);
  assert.deepEqual(issuerErrors({ vault: { server: "s", path: "p", caBundle: Buffer.from("not a certificate").toString("base64") } }), ['spec.vault.caBundle: Invalid value: "": Specified CA bundle is invalid']);
});

test("ValidateACMEIssuerDNS01Config: provider name, cnameStrategy, one provider", () => {
  assert.deepEqual(issuerErrors(acme({ dns01: { providers: [{ clouddns: { project: "p" } }] } })), ["spec.acme.dns01.providers[0].name: Required value: name must be specified"]);
  assert.deepEqual(dns({ cnameStrategy: "Always", route53: { region: "r" } }), ['spec.acme.dns01.providers[0].cnameStrategy: Invalid value: "Always": must be one of "None" or "Follow"']);
  assert.deepEqual(dns({}), ["spec.acme.dns01.providers[0]: Required value: at least one provider must be configured"]);
  assert.deepEqual(dns({ route53: { region: "r" }, clouddns: { project: "p" } }), ["spec.acme.dns01.providers[0].route53: Forbidden: may not specify more than one provider type"], "clouddns is checked first");
});

test("DNS-01 providers: each one's required fields and Secret references (name and key)", () => {
  assert.deepEqual(dns({ akamai: { serviceConsumerDomain: "d", clientTokenSecretRef: { name: "a", key: "t" }, clientSecretSecretRef: { name: "a" }, accessTokenSecretRef: { name: "a", key: "x" } } }),
    ["spec.acme.dns01.providers[0].akamai.clientSecret.key: Required value: secret key is required"], "Go names akamai's selectors after its fields");
  assert.deepEqual(dns({ azuredns: { clientSecretSecretRef: { name: "a", key: "k" } } }), ["clientID", "subscriptionID", "tenantID", "resourceGroupName"].map((f) => `spec.acme.dns01.providers[0].azuredns.${f}: Required value`));
  assert.deepEqual(dns({ clouddns: {} }), ["spec.acme.dns01.providers[0].clouddns.project: Required value"], "clouddns project");
  assert.deepEqual(dns({ clouddns: { project: "p", serviceAccountSecretRef: { name: "sa" } } }), ["spec.acme.dns01.providers[0].clouddns.serviceAccountSecretRef.key: Required value: secret key is required"]);
  assert.deepEqual(dns({ cloudflare: { apiKeySecretRef: { name: "cf" } } }), [
    "spec.acme.dns01.providers[0].cloudflare.apiKeySecretRef.key: Required value: secret key is required",
    "spec.acme.dns01.providers[0].cloudflare.email: Required value",
  ]);
  assert.deepEqual(dns({ route53: { accessKeyID: "x" } }), ["spec.acme.dns01.providers[0].route53.region: Required value"], "route53 region");
  assert.deepEqual(dns({ acmedns: { accountSecretRef: { key: "k" } } }), [
    "spec.acme.dns01.providers[0].acmedns.accountSecretRef.name: Required value: secret name is required",
    "spec.acme.dns01.providers[0].acmedns.host: Required value",
  ]);
  assert.deepEqual(dns({ digitalocean: { tokenSecretRef: { name: "do", key: "t" } } }), []);
  assert.deepEqual(dns({ digitalocean: {} }), [
    "spec.acme.dns01.providers[0].digitalocean.tokenSecretRef.name: Required value: secret name is required",
    "spec.acme.dns01.providers[0].digitalocean.tokenSecretRef.key: Required value: secret key is required",
  ]);
});

test("rfc2136: nameserver an IP address, a supported TSIG algorithm, key name and secret together", () => {
  const ok = { nameserver: "10.0.0.53:53", tsigKeyName: "k", tsigAlgorithm: "hmacsha256", tsigSecretSecretRef: { name: "t", key: "s" } };
  assert.deepEqual(dns({ rfc2136: ok }), []);
  assert.deepEqual(dns({ rfc2136: { nameserver: "10.0.0.53" } }), [], "neither key name nor secret: unsigned updates");
  assert.deepEqual(dns({ rfc2136: { ...ok, nameserver: "" } }), ["spec.acme.dns01.providers[0].rfc2136.nameserver: Required value"]);
  assert.deepEqual(dns({ rfc2136: { ...ok, nameserver: "ns.example.com" } }), ['spec.acme.dns01.providers[0].rfc2136.nameserver: Invalid value: "": Nameserver invalid. Check the documentation for details.']);
  assert.deepEqual(dns({ rfc2136: { ...ok, tsigAlgorithm: "HMACSHA384" } }), ['spec.acme.dns01.providers[0].rfc2136.tsigAlgorithm: Unsupported value: "": supported values: "HMACMD5", "HMACSHA1", "HMACSHA256", "HMACSHA512"']);
  assert.deepEqual(dns({ rfc2136: { ...ok, tsigSecretSecretRef: { name: "t" } } }), ["spec.acme.dns01.providers[0].rfc2136.tsigSecretSecretRef.key: Required value: secret key is required"]);
  assert.deepEqual(dns({ rfc2136: { ...ok, tsigKeyName: "" } }), ["spec.acme.dns01.providers[0].rfc2136.tsigKeyName: Required value"]);
  for (const good of ["8.8.8.8", "8.8.8.8:53", "8.8.8.8:", "[::1]:53"]) assert.ok(validRfc2136Nameserver(good), good);
  for (const bad of ["ns.example.com:53", "::1", ":53", " 8.8.8.8"]) assert.ok(!validRfc2136Nameserver(bad), bad);
});

test("ValidateCertificateSpec: secretName, issuerRef, a name to certify", () => {
  assert.deepEqual(certErrors(cert()), []);
  assert.deepEqual(certErrors({}), [
    "spec.secretName: Required value: must be specified",
    "spec.issuerRef.name: Required value: must be specified",
    "spec.dnsNames: Required value: at least one dnsName is required if commonName is not set",
  ]);
  assert.deepEqual(certErrors(cert({ issuerRef: { name: "i", kind: "Vault" } })), ['spec.issuerRef.kind: Invalid value: "Vault": must be one of Issuer or ClusterIssuer']);
  assert.deepEqual(certErrors(cert({ dnsNames: [], commonName: "a.example.com" })), []);
});

test("validateACMEConfigForAllDNSNames: spec.acme must cover the common name and every DNS name, by exact name", () => {
  const config = [{ domains: ["a.example.com"], http01: { ingressClass: "nginx" } }];
  assert.deepEqual(certErrors(cert({ acme: { config } })), []);
  assert.deepEqual(certErrors(cert({ commonName: "c.example.com", dnsNames: ["a.example.com", "*.example.com"], acme: { config } })), [
    'spec.acme.config: Required value: no ACME solver configuration specified for domain "c.example.com"',
    'spec.acme.config: Required value: no ACME solver configuration specified for domain "*.example.com"',
  ]);
  assert.deepEqual(certErrors(cert({ acme: {} })), ['spec.acme.config: Required value: no ACME solver configuration specified for domain "a.example.com"']);
});

test("ValidateDomainSolverConfig: domains, exactly one solver, dns01 provider, http01 ingress or ingressClass", () => {
  const c = (entry: Record<string, unknown>) => certErrors(cert({ acme: { config: [{ domains: ["a.example.com"], ...entry }] } }));
  assert.deepEqual(c({}), ["spec.acme.config[0]: Required value: at least one solver must be configured"]);
  assert.deepEqual(c({ dns01: {} }), ["spec.acme.config[0].dns01.provider: Required value: provider name must be set"]);
  assert.deepEqual(c({ dns01: { provider: "p" }, http01: {} }), ["spec.acme.config[0].http01: Forbidden: may not specify more than one solver type"]);
  assert.deepEqual(c({ http01: { ingress: "web", ingressClass: "nginx" } }), ["spec.acme.config[0].http01: Forbidden: only one of 'ingress' and 'ingressClass' should be specified"]);
  assert.deepEqual(certErrors(cert({ acme: { config: [{ domains: [], http01: {} }] }, dnsNames: [], commonName: "x" })), [
    'spec.acme.config: Required value: no ACME solver configuration specified for domain "x"',
    "spec.acme.config[0].domains: Required value: at least one domain must be specified",
  ]);
});

test("keySize and keyAlgorithm", () => {
  assert.deepEqual(certErrors(cert({ keySize: -1 })), ["spec.keySize: Invalid value: -1: cannot be less than zero"]);
  assert.deepEqual(certErrors(cert({ keyAlgorithm: "rsa", keySize: 1024 })), ["spec.keySize: Invalid value: 1024: must be between 2048 & 8192 for rsa keyAlgorithm"]);
  assert.deepEqual(certErrors(cert({ keyAlgorithm: "rsa", keySize: 4096 })), []);
  assert.deepEqual(certErrors(cert({ keyAlgorithm: "ecdsa", keySize: 2048 })), ['spec.keySize: Unsupported value: 2048: supported values: "256", "384", "521"']);
  assert.deepEqual(certErrors(cert({ keyAlgorithm: "dsa" })), ['spec.keyAlgorithm: Invalid value: "dsa": must be either empty or one of rsa or ecdsa']);
  assert.deepEqual(certErrors(cert({ keySize: 1024 })), [], "no algorithm: the size is not checked");
});

test("ValidateDuration: minimums, and duration greater than renewBefore (defaults 2160h and 720h)", () => {
  assert.deepEqual(certErrors(cert({ duration: "30m", renewBefore: "10m" })), ["spec.duration: Invalid value: 30m0s: certificate duration must be greater than 1h0m0s"]);
  assert.deepEqual(certErrors(cert({ duration: "30m" })), [
    "spec.duration: Invalid value: 30m0s: certificate duration must be greater than 1h0m0s",
    "spec.renewBefore: Invalid value: 720h0m0s: certificate duration 30m0s must be greater than renewBefore 720h0m0s",
  ], "renewBefore defaults to 720h");
  assert.deepEqual(certErrors(cert({ renewBefore: "1m" })), ["spec.renewBefore: Invalid value: 1m0s: certificate renewBefore must be greater than 5m0s"]);
  assert.deepEqual(certErrors(cert({ duration: "720h" })), ["spec.renewBefore: Invalid value: 720h0m0s: certificate duration 720h0m0s must be greater than renewBefore 720h0m0s"]);
  assert.deepEqual(certErrors(cert({ duration: "2h", renewBefore: "1h" })), []);
  assert.deepEqual(validateForWebhook({ kind: "Certificate", namespace: "n", name: "c", spec: cert({ duration: "90d" }) }).map(fieldErrorText), ['spec.duration: Invalid value: "90d": time: invalid duration 90d'], "the webhook cannot decode it");
  assert.deepEqual([3_600_000_000_000n, 90_000_000_000n, 1_500_000n, 0n, 500n].map(goDurationString), ["1h0m0s", "1m30s", "1.5ms", "0s", "500ns"]);
});

test("the webhook skips namespaces labelled disable-validation, never ClusterIssuers", () => {
  const broken = { kind: "Issuer" as const, namespace: "cert-manager", name: "own", spec: { ca: {} } };
  assert.deepEqual(webhookViolations([broken], ["cert-manager"]), []);
  assert.deepEqual(webhookViolations([{ ...broken, kind: "Certificate", spec: {} }], ["cert-manager"]), []);
  assert.equal(webhookViolations([{ ...broken, namespace: "team-a" }], ["cert-manager"])[0].object, "Issuer/team-a/own");
  assert.equal(webhookViolations([{ kind: "ClusterIssuer", namespace: "", name: "c", spec: { ca: {} } }], ["cert-manager"]).length, 1);
});

test("every recorded case gives the messages cert-manager 0.6.2's own validation gives, in its order", () => {
  const file = path.join(__dirname, "fixtures", "webhook-0.6.2-cases.json");
  const { cases } = JSON.parse(fs.readFileSync(file, "utf8")) as { cases: Array<{ kind: "ClusterIssuer" | "Issuer" | "Certificate"; spec: unknown; webhook: string[] }> };
  assert.ok(cases.length > 80);
  for (const c of cases) {
    const ours = validateForWebhook({ kind: c.kind, namespace: c.kind === "ClusterIssuer" ? "" : "team-a", name: "x", spec: c.spec }).map(fieldErrorText);
    // A decoding error's wording depends on the Go version the webhook was built with: rejected is what counts.
    if (c.webhook.some((m) => m.startsWith("DECODE: "))) assert.ok(ours.length > 0, JSON.stringify(c.spec));
    else assert.deepEqual(ours, c.webhook, JSON.stringify(c.spec));
  }
});
