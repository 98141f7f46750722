// Issue 19, item 8: specs compared as the controller means them. A write-back through cert-manager's
// Go types (zero values of fields without omitempty, non-pointer structs of zero fields, durations
// in Go's canonical form) is no difference; whatever the Go types tell apart still is, by field.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { goDurationNanoseconds } from "../lib/go-duration";
import { describeSpecDifferences, specDifferences } from "../lib/spec-equivalence";

const vaultIssuer = { vault: { server: "https://vault.example.com:8200", path: "pki/sign/team-a", auth: { tokenSecretRef: { name: "vault-token", key: "token" } } } };
const certificate = {
  secretName: "web-tls",
  dnsNames: ["web.example.com", "www.example.com"],
  issuerRef: { name: "letsencrypt-prod", kind: "ClusterIssuer" },
  renewBefore: "2000h",
  acme: { config: [{ domains: ["web.example.com", "www.example.com"], http01: { ingressClass: "nginx" } }] },
};

describe("specDifferences: a write-back through the Go types is the same spec", () => {
  test("Vault issuer: `auth.appRole` of empty strings (0.4.1's write-back of a non-pointer struct)", () => {
    const written = { vault: { ...vaultIssuer.vault, auth: { ...vaultIssuer.vault.auth, appRole: { path: "", roleId: "", secretRef: { key: "", name: "" } } } } };
    assert.deepEqual(specDifferences("Issuer", vaultIssuer, written), []);
    assert.deepEqual(specDifferences("ClusterIssuer", written, vaultIssuer), []);
  });

  test("durations by value, as Go's time.ParseDuration reads them: 2000h = 2000h0m0s = 120000m", () => {
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, renewBefore: "2000h0m0s" }), []);
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, renewBefore: "120000m" }), []);
    assert.deepEqual(specDifferences("Certificate", { ...certificate, duration: "2160h" }, { ...certificate, duration: "2160h0m0s" }), []);
  });

  test("zero values of fields without omitempty added, zero ones with omitempty dropped, null for nil", () => {
    const written = {
      ...certificate,
      commonName: "",
      organization: null,
      isCA: false,
      keySize: 0,
      keyAlgorithm: "",
      acme: { config: [{ domains: ["web.example.com", "www.example.com"], http01: { ingress: "", ingressClass: "nginx" }, dns01: null }] },
    };
    assert.deepEqual(specDifferences("Certificate", certificate, written), []);
    const acme = { acme: { email: "ops@example.com", server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "account-key" }, dns01: { providers: [{ name: "dns", clouddns: { project: "p", serviceAccountSecretRef: { name: "sa", key: "key.json" } } }] } } };
    const acmeWritten = {
      acme: {
        ...acme.acme,
        skipTLSVerify: false,
        privateKeySecretRef: { name: "account-key", key: "" },
        dns01: { providers: [{ name: "dns", cnameStrategy: "", clouddns: { project: "p", serviceAccountSecretRef: { name: "sa", key: "key.json" } } }] },
      },
    };
    assert.deepEqual(specDifferences("ClusterIssuer", acme, acmeWritten), []);
  });

  test("an empty list is nil; a spec absent is an empty one; caBundle's base64 by its bytes", () => {
    assert.deepEqual(specDifferences("Certificate", { ...certificate, organization: [] }, certificate), []);
    assert.deepEqual(specDifferences("Certificate", undefined, {}), []);
    const bundle = (caBundle: string) => ({ vault: { ...vaultIssuer.vault, caBundle } });
    assert.deepEqual(specDifferences("Issuer", bundle("LS0tLS1CRUdJTiBDRVJU\nSUZJQ0FURS0tLS0t"), bundle("LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t")), []);
    assert.deepEqual(specDifferences("Issuer", bundle(""), vaultIssuer), []);
  });
});

describe("specDifferences: what the controller tells apart is a difference, named by field", () => {
  test("changed dnsNames, in content or order (a list of strings differs as a whole)", () => {
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, dnsNames: ["web.example.com", "api.example.com"] }), ["spec.dnsNames"]);
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, dnsNames: ["www.example.com", "web.example.com"] }), ["spec.dnsNames"]);
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, dnsNames: [] }), ["spec.dnsNames"]);
  });

  test("a changed non-zero field, and a zero field set to a value", () => {
    assert.deepEqual(specDifferences("Issuer", vaultIssuer, { vault: { ...vaultIssuer.vault, server: "https://vault-2.example.com:8200" } }), ["spec.vault.server"]);
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, isCA: true, keySize: 4096 }), ["spec.isCA", "spec.keySize"]);
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, issuerRef: { name: "letsencrypt-prod" } }), ["spec.issuerRef.kind"]);
  });

  test("another duration: 1h is not 2h; a value Go cannot parse is compared as written", () => {
    assert.deepEqual(specDifferences("Certificate", { ...certificate, renewBefore: "1h" }, { ...certificate, renewBefore: "2h" }), ["spec.renewBefore"]);
    assert.deepEqual(specDifferences("Certificate", { ...certificate, renewBefore: "30d" }, { ...certificate, renewBefore: "720h" }), ["spec.renewBefore"]);
    assert.deepEqual(specDifferences("Certificate", { ...certificate, renewBefore: "30d" }, { ...certificate, renewBefore: "30d" }), []);
  });

  test("a field set to a non-zero value where the backup had it absent is named, not its contents", () => {
    const appRole = { vault: { ...vaultIssuer.vault, auth: { ...vaultIssuer.vault.auth, appRole: { path: "approle", roleId: "web", secretRef: { name: "vault-approle", key: "secretId" } } } } };
    assert.deepEqual(specDifferences("Issuer", vaultIssuer, appRole), ["spec.vault.auth.appRole"]);
    const roleOnly = { vault: { ...vaultIssuer.vault, auth: { ...vaultIssuer.vault.auth, appRole: { path: "", roleId: "web", secretRef: { key: "", name: "" } } } } };
    assert.deepEqual(specDifferences("Issuer", vaultIssuer, roleOnly), ["spec.vault.auth.appRole"]);
    const { renewBefore: _, ...withoutRenewBefore } = certificate;
    assert.deepEqual(specDifferences("Certificate", withoutRenewBefore, certificate), ["spec.renewBefore"]);
  });

  test("a pointer set to its zero value is not an absent one: selfSigned: {}, http01: {}, ingressClass: \"\", renewBefore: 0s", () => {
    assert.deepEqual(specDifferences("Issuer", {}, { selfSigned: {} }), ["spec.selfSigned"]);
    const acme = { acme: { email: "ops@example.com", server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "k" } } };
    assert.deepEqual(specDifferences("Issuer", acme, { acme: { ...acme.acme, http01: {} } }), ["spec.acme.http01"]);
    const config = (http01: Record<string, unknown>) => ({ ...certificate, acme: { config: [{ domains: ["web.example.com"], http01 }] } });
    assert.deepEqual(specDifferences("Certificate", config({}), config({ ingressClass: "" })), ["spec.acme.config[0].http01.ingressClass"]);
    const { renewBefore: _, ...withoutRenewBefore } = certificate;
    assert.deepEqual(specDifferences("Certificate", withoutRenewBefore, { ...certificate, renewBefore: "0s" }), ["spec.renewBefore"]);
  });

  test("a value of another JSON type, and a field the Go types do not declare, are compared as written", () => {
    assert.deepEqual(specDifferences("Certificate", { ...certificate, isCA: false }, { ...certificate, isCA: "false" }), ["spec.isCA"]);
    assert.deepEqual(specDifferences("Certificate", certificate, { ...certificate, dnsName: "" }), ["spec.dnsName"]);
    assert.deepEqual(specDifferences("Order", { csr: "" }, {}), ["spec.csr"]);
  });

  test("several fields: each named; the message lists three and counts the rest", () => {
    const paths = specDifferences("Certificate", certificate, { ...certificate, secretName: "other", commonName: "web.example.com", keySize: 4096, isCA: true, renewBefore: "1h" });
    assert.deepEqual(paths, ["spec.commonName", "spec.isCA", "spec.keySize", "spec.renewBefore", "spec.secretName"]);
    assert.equal(describeSpecDifferences(paths), "spec.commonName, spec.isCA, spec.keySize and 2 more");
    assert.equal(describeSpecDifferences(["spec.dnsNames"]), "spec.dnsNames");
  });
});

describe("goDurationNanoseconds: Go's time.ParseDuration", () => {
  // Expected values as Go 1.26's time.ParseDuration returns them.
  const cases: Array<[string, bigint | undefined]> = [
    ["2000h", 7_200_000_000_000_000n],
    ["2000h0m0s", 7_200_000_000_000_000n],
    ["120000m", 7_200_000_000_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["-1.5h", -5_400_000_000_000n],
    ["+2h", 7_200_000_000_000n],
    [".5h", 1_800_000_000_000n],
    ["5.h", 18_000_000_000_000n],
    ["1.005s", 1_005_000_000n],
    ["1005ms", 1_005_000_000n],
    ["1.0000000001s", 1_000_000_000n],
    ["1\u00b5s", 1000n],
    ["1\u03bcs", 1000n],
    ["1m1m1m", 180_000_000_000n],
    ["0", 0n],
    ["-0", 0n],
    ["0s", 0n],
    ["9223372036854775807ns", 9_223_372_036_854_775_807n],
    ["-9223372036854775808ns", -9_223_372_036_854_775_808n],
    ["9223372036854775808ns", undefined],
    ["2562048h", undefined],
    ["", undefined],
    ["5", undefined],
    [".", undefined],
    [".h", undefined],
    ["1hour", undefined],
    ["1d", undefined],
    [" 1h", undefined],
    ["1h ", undefined],
    ["1e3s", undefined],
    ["constructor", undefined],
  ];
  for (const [text, expected] of cases) {
    test(`${JSON.stringify(text)} → ${expected ?? "error"}`, () => assert.equal(goDurationNanoseconds(text), expected));
  }
});
