// Issue 20: what cert-manager v1.1.1 will issue anew after the converted restore, and that it
// registers no ACME account when the account key Secret is copied (lib/targets/v1.1.1/reissue.ts),
// one test per trigger policy of v1.1.1's source (pkg/controller/certificates/trigger/policies) and
// per branch of pkg/issuer/acme/setup.go.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { predictReissues } from "../lib/reissue-prediction";
import { describePredictionV111, predictReissueV111 } from "../lib/targets/v1.1.1/reissue";
import { renameSecretMetadata } from "../lib/targets/v1.1.1/metadata";
import type { ObjectMetadataView, TargetPredictionInput } from "../lib/targets/target";
import type { TlsCertificateRecord } from "../lib/tls-facts";
import { AccountKeyRecord, BACKUP_FORMAT, BackupMeta, BackupObject, KubeObject } from "../lib/types";
import { cm, readyStatus, TEST_CLUSTER } from "./support/fixtures";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 24 * 3600 * 1000;
const ACME_V2 = "https://acme-v02.api.letsencrypt.org/directory";

function obj(o: KubeObject): BackupObject {
  const kind = o.kind as BackupObject["kind"];
  return { kind, namespace: kind === "ClusterIssuer" ? "" : String(o.metadata?.namespace), name: String(o.metadata?.name), object: o };
}
const readyIssuer = (name = "le"): KubeObject =>
  cm("ClusterIssuer", name, undefined, { acme: { server: ACME_V2, email: "a@example.com", privateKeySecretRef: { name: `${name}-key` }, http01: {} } }, { status: readyStatus("True") });
const cert = (name: string, spec: Record<string, unknown> = {}): KubeObject =>
  cm("Certificate", name, "apps", { secretName: `${name}-tls`, issuerRef: { kind: "ClusterIssuer", name: "le" }, dnsNames: [`${name}.example.com`], acme: { config: [{ http01: {}, domains: [`${name}.example.com`] }] }, ...spec });

function goodFacts(name: string, over: Partial<TlsCertificateRecord> = {}): TlsCertificateRecord {
  return {
    namespace: "apps", certificate: name, secretName: `${name}-tls`, serial: "01", sha256: "ab".repeat(32),
    notAfter: new Date(NOW.getTime() + 60 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z"),
    commonName: `${name}.example.com`, dnsNames: [`${name}.example.com`], keyType: "RSA PRIVATE KEY", keyMatchesCertificate: true, chainLength: 1, ...over,
  };
}
function accountKey(over: Partial<AccountKeyRecord> = {}): AccountKeyRecord {
  return { issuerKind: "ClusterIssuer", issuerNamespace: "", issuer: "le", secretNamespace: "kube-system", secretName: "le-key", key: "tls.key", secretExists: true, keyPresent: true, keyType: "RSA PRIVATE KEY", ...over };
}
function meta(over: Partial<BackupMeta> = {}): BackupMeta {
  return {
    format: BACKUP_FORMAT, takenAt: "2025-12-31T00:00:00Z", tool: "cert-manager-upgrade", cluster: TEST_CLUSTER, legacyNamespace: "kube-system",
    counts: { ClusterIssuer: 0, Issuer: 0, Certificate: 0, Order: 0, Challenge: 0 }, recorded: [], secrets: [], missingTlsSecrets: [],
    tlsCertificates: [], acmeAccountKeys: [accountKey()], sha256: "0".repeat(64), ...over,
  };
}
/** The Secret's annotations as 0.6.2 wrote them for `web`. */
function oldSecret(name = "web", issuer = "le"): ObjectMetadataView {
  return { namespace: "apps", name: `${name}-tls`, annotations: { "certmanager.k8s.io/issuer-name": issuer, "certmanager.k8s.io/issuer-kind": "ClusterIssuer", "certmanager.k8s.io/alt-names": `${name}.example.com` }, labels: { "certmanager.k8s.io/certificate-name": name } };
}
const renamed = (m: ObjectMetadataView): Map<string, ObjectMetadataView> => new Map([[`${m.namespace}/${m.name}`, renameSecretMetadata(m).metadata]]);

function predictWeb(facts: TlsCertificateRecord | undefined, spec: Record<string, unknown> = {}, over: Partial<TargetPredictionInput> = {}) {
  return predictReissueV111({
    objects: [obj(readyIssuer()), obj(cert("web", spec))],
    meta: meta({ tlsCertificates: facts ? [facts] : [], missingTlsSecrets: facts ? [] : ["apps/web-tls"] }),
    now: NOW,
    tlsSecretMetadata: renamed(oldSecret()),
    ...over,
  });
}
const names = (items: Array<{ what: string; name: string }>): string[] => items.map((r) => `${r.what} ${r.name}`);

describe("certificates (trigger policy chain)", () => {
  test("a good certificate whose Secret's annotations were renamed: nothing is issued, no account registered", () => {
    const p = predictWeb(goodFacts("web"));
    assert.deepEqual([p.reissues, p.mayReissue, p.unknown, p.held, p.accountKeyProblems], [[], [], [], [], []]);
    assert.equal(describePredictionV111(p), "no certificate will be issued anew and no new ACME account registered by cert-manager v1.1.1");
  });

  test("the Secret's annotations NOT renamed: v1.1.1 finds no cert-manager.io/issuer-name and issues anew (IncorrectIssuer)", () => {
    const p = predictWeb(goodFacts("web"), {}, { tlsSecretMetadata: new Map([["apps/web-tls", oldSecret()]]) });
    assert.deepEqual(names(p.reissues), ["certificate web"]);
    assert.match(p.reissues[0].reason, /IncorrectIssuer/);
    assert.match(p.reissues[0].reason, /not renamed/);
  });

  test("a Secret issued by another issuer than the Certificate now names: issued anew (0.6.2 would not)", () => {
    const facts = goodFacts("web");
    const p = predictWeb(facts, {}, { tlsSecretMetadata: renamed(oldSecret("web", "le-staging")) });
    assert.match(p.reissues[0].reason, /issued by ClusterIssuer.cert-manager.io\/le-staging by its annotations, not ClusterIssuer.cert-manager.io\/le/);
    // 0.6.2 does not compare issuers: the same facts predict nothing there.
    const old = predictReissues({ objects: [obj(readyIssuer()), obj(cert("web"))], meta: meta({ tlsCertificates: [facts] }), now: NOW });
    assert.deepEqual(old.reissues, []);
  });

  test("the Secrets' metadata not given: unknown, never taken for fine", () => {
    const p = predictWeb(goodFacts("web"), {}, { tlsSecretMetadata: undefined });
    assert.deepEqual(names(p.unknown), ["certificate web"]);
    assert.match(p.unknown[0].reason, /issuer annotations were not given/);
  });

  test("Secret missing (DoesNotExist), no tls.key (MissingData), key not the certificate's (InvalidKeyPair)", () => {
    assert.match(predictWeb(undefined).reissues[0].reason, /did not exist at backup time \(DoesNotExist\)/);
    assert.match(predictWeb(goodFacts("web", { keyProblem: "no tls.key", keyType: undefined, keyMatchesCertificate: undefined })).reissues[0].reason, /MissingData/);
    assert.match(predictWeb(goodFacts("web", { keyMatchesCertificate: false })).reissues[0].reason, /InvalidKeyPair/);
  });

  test("an EC key with no keyAlgorithm (RSA by default), or an RSA key where ecdsa is asked: issued anew (spec.keyAlgorithm)", () => {
    assert.match(predictWeb(goodFacts("web", { keyType: "EC PRIVATE KEY" })).reissues[0].reason, /ECDSA key but spec.privateKey.algorithm is RSA/);
    assert.match(predictWeb(goodFacts("web"), { keyAlgorithm: "ecdsa" }).reissues[0].reason, /RSA key but spec.privateKey.algorithm is ECDSA/);
    assert.deepEqual(predictWeb(goodFacts("web", { keyType: "EC PRIVATE KEY" }), { keyAlgorithm: "ecdsa" }).reissues, []);
  });

  test("a PKCS#8 tls.key, which 0.6.2 could not read, is readable by v1.1.1: unknown, not issued", () => {
    const facts = goodFacts("web", { keyType: "PRIVATE KEY", keyMatchesCertificate: undefined, keyProblem: "tls.key is a PEM PRIVATE KEY block (PKCS#8), which cert-manager 0.6.2 cannot read" });
    const p = predictWeb(facts);
    assert.deepEqual(p.reissues, []);
    assert.deepEqual(names(p.unknown), ["certificate web"]);
  });

  test("a bad PEM block after the leaf in tls.crt: v1.1.1 reads only the first (no reissue; 0.6.2 reissues)", () => {
    assert.deepEqual(predictWeb(goodFacts("web", { chainLength: undefined, chainProblem: "PEM block 2 of tls.crt is not a certificate" })).reissues, []);
  });

  test("names compared as sets with the CN on both sides (SecretDataAltNamesMatchSpec)", () => {
    // CN is the second DNS name: 0.6.2 wants the first as CN and issues anew; v1.1.1 does not.
    const facts = goodFacts("web", { commonName: "b.example.com", dnsNames: ["a.example.com", "b.example.com"] });
    const spec = { dnsNames: ["a.example.com", "b.example.com"], acme: { config: [{ http01: {}, domains: ["a.example.com", "b.example.com"] }] } };
    assert.deepEqual(predictWeb(facts, spec).reissues, []);
    const old = predictReissues({ objects: [obj(readyIssuer()), obj(cert("web", spec))], meta: meta({ tlsCertificates: [facts] }), now: NOW });
    assert.match(old.reissues[0].reason, /common name "b.example.com" is not the spec's "a.example.com"/);
    assert.match(predictWeb(goodFacts("web"), { dnsNames: ["web.example.com", "new.example.com"] }).reissues[0].reason, /SecretMismatch: spec.dnsNames/);
    assert.match(predictWeb(goodFacts("web"), { ipAddresses: ["10.0.0.1"] }).reissues[0].reason, /spec.ipAddresses/);
  });

  test("renewal window: expired or within renewBefore is issued; about to open is 'may'", () => {
    assert.match(predictWeb(goodFacts("web", { notAfter: new Date(NOW.getTime() + 10 * DAY).toISOString() })).reissues[0].reason, /within its renewal window \(renewBefore 30 days\)/);
    assert.deepEqual(predictWeb(goodFacts("web", { notAfter: new Date(NOW.getTime() + 10 * DAY).toISOString() }), { renewBefore: "24h" }).reissues, []);
    assert.deepEqual(names(predictWeb(goodFacts("web", { notAfter: new Date(NOW.getTime() + 33 * DAY).toISOString() })).mayReissue), ["certificate web"]);
  });
});

describe("ACME accounts (pkg/issuer/acme/setup.go)", () => {
  test("the account key Secret copied (an RSA key): no new account", () => {
    const p = predictWeb(goodFacts("web"));
    assert.deepEqual(p.reissues.filter((r) => r.what === "acme-account"), []);
  });

  test("not copied, or missing at backup time: a NEW account", () => {
    assert.deepEqual(names(predictWeb(goodFacts("web"), {}, { accountKeysNotCopied: ["le-key"] }).reissues), ["acme-account le"]);
    const missing = predictReissueV111({ objects: [obj(readyIssuer())], meta: meta({ acmeAccountKeys: [accountKey({ secretExists: false, keyPresent: false, keyType: undefined })] }), now: NOW });
    assert.match(missing.reissues[0].reason, /registers a NEW ACME account/);
  });

  test("an EC account key, or none under the data key: the issuer is not Ready; its certificates are held", () => {
    const p = predictReissueV111({
      objects: [obj(readyIssuer()), obj(cert("web"))],
      meta: meta({ acmeAccountKeys: [accountKey({ keyType: "EC PRIVATE KEY" })], missingTlsSecrets: ["apps/web-tls"] }),
      now: NOW,
      tlsSecretMetadata: new Map(),
    });
    assert.match(p.accountKeyProblems[0].reason, /needs an RSA key/);
    assert.deepEqual(names(p.held), ["certificate web"]);
    assert.deepEqual(p.reissues, []);
  });

  test("an ACME v1 server URL: InvalidConfig", () => {
    const v1 = cm("ClusterIssuer", "le", undefined, { acme: { server: "https://acme-v01.api.letsencrypt.org/directory", privateKeySecretRef: { name: "le-key" } } });
    const p = predictReissueV111({ objects: [obj(v1), obj(cert("web"))], meta: meta({ missingTlsSecrets: ["apps/web-tls"] }), now: NOW, tlsSecretMetadata: new Map() });
    assert.match(p.held[0].reason, /InvalidConfig/);
  });
});
