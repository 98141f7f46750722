// Issue 12: what cert-manager 0.6.2 would issue anew and which ACME accounts it would register,
// said before anything is deleted (lib/reissue-prediction.ts), one test per rule of its source
// (pkg/controller/certificates/sync.go, pkg/util/pki, pkg/issuer/acme/setup.go, pkg/acme/acme.go).
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { X509Certificate } from "node:crypto";
import { execFileSync } from "node:child_process";
import { buildRestorePlan, planToJson } from "../lib/plan";
import { parseBackup } from "../lib/backup-format";
import {
  DEFAULT_RENEW_BEFORE_MS,
  PredictionInput,
  describePrediction,
  expectedCommonName,
  expectedDnsNames,
  parseGoDuration,
  predictReissues,
  reissuesToJson,
  renewBeforeFromArgs,
} from "../lib/reissue-prediction";
import { TlsCertificateRecord, certificateFacts, keyFacts } from "../lib/tls-facts";
import { AccountKeyRecord, BACKUP_FORMAT, BackupMeta, BackupObject, KubeObject } from "../lib/types";
import { SEED_FIXTURE, cm, ownBackup, readyStatus, TEST_CLUSTER } from "./support/fixtures";
import { runScript } from "./support/run-command";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 24 * 3600 * 1000;
const ACME_V2 = "https://acme-v02.api.letsencrypt.org/directory";

function obj(o: KubeObject): BackupObject {
  return { kind: o.kind as BackupObject["kind"], namespace: o.metadata?.namespace ?? "", name: o.metadata?.name ?? "", object: o };
}

const readyIssuer = (name = "le", extra: Record<string, unknown> = {}): KubeObject =>
  cm("ClusterIssuer", name, undefined, { acme: { server: ACME_V2, email: "a@example.com", privateKeySecretRef: { name: `${name}-key` }, http01: {} }, ...extra }, { status: readyStatus("True") });

const cert = (name: string, spec: Record<string, unknown> = {}, issuer = "le"): KubeObject =>
  cm("Certificate", name, "apps", { secretName: `${name}-tls`, issuerRef: { kind: "ClusterIssuer", name: issuer }, dnsNames: [`${name}.example.com`], acme: { config: [{ http01: {}, domains: [`${name}.example.com`] }] }, ...spec });

/** Facts of a good certificate for `name`: its CN and SAN as the spec asks, the key matching, 60 days left. */
function goodFacts(name: string, over: Partial<TlsCertificateRecord> = {}): TlsCertificateRecord {
  return {
    namespace: "apps", certificate: name, secretName: `${name}-tls`,
    serial: "01", sha256: "ab".repeat(32), notAfter: new Date(NOW.getTime() + 60 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z"),
    commonName: `${name}.example.com`, dnsNames: [`${name}.example.com`], keyType: "RSA PRIVATE KEY", keyMatchesCertificate: true, chainLength: 1,
    ...over,
  };
}

function accountKey(issuer = "le", over: Partial<AccountKeyRecord> = {}): AccountKeyRecord {
  return { issuerKind: "ClusterIssuer", issuerNamespace: "", issuer, secretNamespace: "kube-system", secretName: `${issuer}-key`, key: "tls.key", secretExists: true, keyPresent: true, keyType: "RSA PRIVATE KEY", ...over };
}

function meta(over: Partial<BackupMeta> = {}): BackupMeta {
  return {
    format: BACKUP_FORMAT, takenAt: "2025-12-31T00:00:00Z", tool: "cert-manager-upgrade", cluster: TEST_CLUSTER, legacyNamespace: "kube-system",
    counts: { ClusterIssuer: 0, Issuer: 0, Certificate: 0, Order: 0, Challenge: 0 }, recorded: [], secrets: [], missingTlsSecrets: [],
    tlsCertificates: [], acmeAccountKeys: [accountKey()], sha256: "0".repeat(64), ...over,
  };
}

/** The prediction for one Certificate `web` of a Ready ClusterIssuer `le`, with the given facts. */
function predictWeb(facts: TlsCertificateRecord | undefined, spec: Record<string, unknown> = {}, input: Partial<PredictionInput> = {}) {
  return predictReissues({
    objects: [obj(readyIssuer()), obj(cert("web", spec))],
    meta: meta({ tlsCertificates: facts ? [facts] : [], missingTlsSecrets: facts ? [] : ["apps/web-tls"] }),
    now: NOW,
    ...input,
  });
}

const whats = (items: Array<{ kind: string; namespace: string; name: string; what: string }>): string[] => items.map((r) => `${r.what} ${r.kind}/${r.namespace ? r.namespace + "/" : ""}${r.name}`);

describe("certificates: when 0.6.2 issues (sync.go)", () => {
  test("a good certificate (key matches, names as the spec, outside the window): nothing", () => {
    const p = predictWeb(goodFacts("web"));
    assert.deepEqual(p, { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] });
  });

  test("a TLS Secret missing at backup time: issued", () => {
    const p = predictWeb(undefined);
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
    assert.match(p.reissues[0].reason, /^TLS Secret apps\/web-tls did not exist at backup time$/);
  });

  test("tls.crt missing or unparsable: issued", () => {
    const p = predictWeb({ namespace: "apps", certificate: "web", secretName: "web-tls", problem: "tls.crt does not parse as a certificate" });
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
    assert.match(p.reissues[0].reason, /tls\.crt does not parse/);
  });

  test("a PKCS#8 key (recorded as a keyProblem, or only as keyType by an earlier backup): issued", () => {
    const recorded = predictWeb(goodFacts("web", { keyType: "PRIVATE KEY", keyMatchesCertificate: undefined, keyProblem: "tls.key is a PEM PRIVATE KEY block (PKCS#8), which cert-manager 0.6.2 cannot read" }));
    assert.deepEqual(whats(recorded.reissues), ["certificate Certificate/apps/web"]);
    assert.match(recorded.reissues[0].reason, /PKCS#8/);
    const older = predictReissues({
      objects: [obj(readyIssuer()), obj(cert("web"))],
      meta: meta({ tlsCertificates: [goodFacts("web", { keyType: "PRIVATE KEY", keyMatchesCertificate: undefined })], acmeAccountKeys: undefined, secrets: [{ namespace: "kube-system", name: "le-key", exists: true, keys: ["tls.key"] }] }),
      now: NOW,
    });
    assert.deepEqual(whats(older.reissues), ["certificate Certificate/apps/web"]);
    assert.match(older.reissues[0].reason, /PEM PRIVATE KEY block \(PKCS#8\), which 0\.6\.2 cannot read/);
    // An EC key is read: no re-issue for it.
    assert.deepEqual(predictWeb(goodFacts("web", { keyType: "EC PRIVATE KEY" })).reissues, []);
  });

  test("a key that is not the certificate's: issued", () => {
    const p = predictWeb(goodFacts("web", { keyMatchesCertificate: false }));
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
    assert.match(p.reissues[0].reason, /tls\.key is not the key of the certificate/);
  });

  test("common name: spec.commonName, else the first DNS name; another CN is issued anew", () => {
    assert.equal(expectedCommonName({ commonName: "a.example.com", dnsNames: ["b.example.com"] }), "a.example.com");
    assert.equal(expectedCommonName({ dnsNames: ["b.example.com", "c.example.com"] }), "b.example.com");
    assert.equal(expectedCommonName({}), "");
    const other = predictWeb(goodFacts("web", { commonName: "old.example.com" }));
    assert.deepEqual(whats(other.reissues), ["certificate Certificate/apps/web"]);
    assert.match(other.reissues[0].reason, /common name "old\.example\.com" is not the spec's "web\.example\.com"/);
    // No CN in the certificate at all, while the spec expects the first DNS name.
    assert.equal(predictWeb(goodFacts("web", { commonName: undefined })).reissues.length, 1);
  });

  test("DNS names: the common name counts as one, the order does not", () => {
    assert.deepEqual(expectedDnsNames({ commonName: "a", dnsNames: ["b", "a"] }), ["a", "b"]);
    assert.deepEqual(expectedDnsNames({ commonName: "a" }), ["a"]);
    assert.deepEqual(expectedDnsNames({ dnsNames: ["b", "b"] }), ["b", "b"]); // no common name: taken as is
    const spec = { commonName: "web.example.com", dnsNames: ["www.example.com"] };
    // The CN is not among the certificate's SANs: 0.6.2 expects [web, www].
    const missingCn = predictWeb(goodFacts("web", { dnsNames: ["www.example.com"] }), spec);
    assert.deepEqual(whats(missingCn.reissues), ["certificate Certificate/apps/web"]);
    assert.match(missingCn.reissues[0].reason, /DNS names \[www\.example\.com\] are not the spec's \[web\.example\.com, www\.example\.com\]/);
    // The same names in another order: nothing.
    assert.deepEqual(predictWeb(goodFacts("web", { dnsNames: ["www.example.com", "web.example.com"] }), spec).reissues, []);
    // One name more in the certificate than asked for is a difference too.
    assert.equal(predictWeb(goodFacts("web", { dnsNames: ["web.example.com", "extra.example.com"] })).reissues.length, 1);
  });

  test("renewal window: 30 days by default, spec.renewBefore first, the controller's flag otherwise; the boundary counts", () => {
    const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(31) })).reissues.length, 0);
    const inside = predictWeb(goodFacts("web", { notAfter: at(29) }));
    assert.deepEqual(whats(inside.reissues), ["certificate Certificate/apps/web"]);
    assert.match(inside.reissues[0].reason, /within its renewal window \(renewBefore 30 days\)/);
    // renewIn <= 0 renews: exactly 30 days left is inside.
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(30) })).reissues.length, 1);
    // spec.renewBefore (a Go duration) wins over the default.
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(25) }), { renewBefore: "480h" }).reissues.length, 0);
    assert.match(predictWeb(goodFacts("web", { notAfter: at(25) }), { renewBefore: "720h0m0s" }).reissues[0].reason, /spec\.renewBefore 720h0m0s/);
    // The controller's --renew-before-expiry-duration replaces the default.
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(20) }), {}, { renewBeforeDefaultMs: 10 * DAY }).reissues.length, 0);
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(20) }), {}, { renewBeforeDefaultMs: 21 * DAY }).reissues.length, 1);
    assert.match(predictWeb(goodFacts("web", { notAfter: at(-1) })).reissues[0].reason, /expired at/);
  });

  test("entering the renewal window within the margin (7 days by default): may be issued, an ordinary renewal (issue 19)", () => {
    const at = (days: number) => new Date(NOW.getTime() + days * DAY).toISOString();
    // 33 days left: the 30-day window opens in 3 days, before a run a few days after this plan.
    const soon = predictWeb(goodFacts("web", { notAfter: at(33) }));
    assert.deepEqual(soon.reissues, []);
    assert.deepEqual(whats(soon.mayReissue), ["certificate Certificate/apps/web"]);
    assert.match(soon.mayReissue[0].reason, /^the certificate enters its renewal window \(renewBefore 30 days\) at 2026-01-04T00:00:00Z, within 7 days of this plan \(2026-01-01T00:00:00Z\): if the upgrade runs after that, 0\.6\.2 renews it at once; an ordinary renewal it would make then anyway, not a loss$/);
    // The margin's end counts; past it, nothing.
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(37) })).mayReissue.length, 1);
    assert.deepEqual(predictWeb(goodFacts("web", { notAfter: at(38) })), { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] });
    // The margin is an option; spec.renewBefore and the controller's flag move the window as before.
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(33) }), {}, { renewalMarginMs: 0 }).mayReissue.length, 0);
    assert.match(predictWeb(goodFacts("web", { notAfter: at(39) }), {}, { renewalMarginMs: 10 * DAY }).mayReissue[0].reason, /within 10 days of this plan/);
    assert.match(predictWeb(goodFacts("web", { notAfter: at(22) }), { renewBefore: "480h" }).mayReissue[0].reason, /renewal window \(spec\.renewBefore 480h\) at 2026-01-03T00:00:00Z/);
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(13) }), {}, { renewBeforeDefaultMs: 10 * DAY }).mayReissue.length, 1);
    // Already inside the window: will be issued, as before.
    assert.equal(predictWeb(goodFacts("web", { notAfter: at(30) })).reissues.length, 1);
    // An issuer that will surely not be Ready holds it, named, not counted.
    const v1 = cm("ClusterIssuer", "le", undefined, { acme: { server: "https://acme-v01.api.letsencrypt.org/directory", privateKeySecretRef: { name: "le-key" } } }, { status: readyStatus("True") });
    const held = predictReissues({ objects: [obj(v1), obj(cert("web"))], meta: meta({ tlsCertificates: [goodFacts("web", { notAfter: at(33) })] }), now: NOW });
    assert.deepEqual([held.reissues, held.mayReissue], [[], []]);
    assert.match(held.held[0].reason, /enters its renewal window .*; but its ClusterIssuer\/le will not be Ready .*then it renews it$/);
  });

  test("several reasons are all named", () => {
    const p = predictWeb(goodFacts("web", { keyMatchesCertificate: false, commonName: "x.example.com", dnsNames: ["x.example.com"] }));
    assert.equal(p.reissues.length, 1);
    assert.match(p.reissues[0].reason, /not the key.*; .*common name.*; .*DNS names/);
  });
});

describe("certificates: when 0.6.2 issues nothing", () => {
  test("an issuer not Ready in the backup: may be issued, counted apart, never left out (issue 19)", () => {
    // The restore strips status; 0.6.2's issuer controller runs Setup again (issuers/sync.go) and the
    // certificates controller re-queues an issuer's certificates when it changes (controller.go:76,83).
    const notReady = obj(cm("ClusterIssuer", "le", undefined, readyIssuer().spec, { status: readyStatus("False", "ErrRegisterACMEAccount", "nope") }));
    const p = predictReissues({ objects: [notReady, obj(cert("web"))], meta: meta({ missingTlsSecrets: ["apps/web-tls"] }), now: NOW });
    assert.deepEqual(p.reissues, []);
    assert.deepEqual(p.held, []);
    assert.deepEqual(whats(p.mayReissue), ["certificate Certificate/apps/web"]);
    assert.match(p.mayReissue[0].reason, /^TLS Secret apps\/web-tls did not exist at backup time; its ClusterIssuer\/le was not Ready in the backup \(ErrRegisterACMEAccount: nope\): 0\.6\.2 checks the issuer again after the restore and issues it at once if the issuer becomes Ready$/);
    assert.match(describePrediction(p), /; 1 certificate may be issued \(apps\/web\)/);
    // A good certificate of that issuer: nothing; one the backup cannot tell: cannot tell, not dropped.
    const good = predictReissues({ objects: [notReady, obj(cert("web"))], meta: meta({ tlsCertificates: [goodFacts("web")] }), now: NOW });
    assert.deepEqual([good.reissues, good.mayReissue, good.unknown, good.held], [[], [], [], []]);
    const unknown = predictReissues({ objects: [notReady, obj(cert("web"))], meta: meta({ tlsCertificates: [goodFacts("web", { keyMatchesCertificate: undefined })] }), now: NOW });
    assert.deepEqual(whats(unknown.unknown), ["certificate Certificate/apps/web"]);
  });

  test("an issuer with an ACME v1 URL (InvalidConfig): held", () => {
    const v1 = cm("ClusterIssuer", "le", undefined, { acme: { server: "https://acme-v01.api.letsencrypt.org/directory", privateKeySecretRef: { name: "le-key" } } }, { status: readyStatus("True") });
    const p = predictReissues({ objects: [obj(v1), obj(cert("web"))], meta: meta({ missingTlsSecrets: ["apps/web-tls"] }), now: NOW });
    assert.deepEqual(p.reissues, []);
    assert.match(p.held[0].reason, /InvalidConfig/);
  });

  test("an issuer not in the backup: nothing (IssuerNotFound); a Certificate of an ACME issuer without spec.acme: held (BadConfig)", () => {
    const orphan = predictReissues({ objects: [obj(cert("web", {}, "absent"))], meta: meta({ missingTlsSecrets: ["apps/web-tls"] }), now: NOW });
    assert.deepEqual(orphan, { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] });
    const noAcme = predictWeb(undefined, { acme: undefined });
    assert.deepEqual(noAcme.reissues, []);
    assert.match(noAcme.held[0].reason, /no spec\.acme/);
  });

  test("an Issuer is looked up in the Certificate's namespace; the default kind is Issuer", () => {
    const issuer = cm("Issuer", "ca", "apps", { ca: { secretName: "ca" } }, { status: readyStatus("True") });
    const mine = cm("Certificate", "web", "apps", { secretName: "web-tls", issuerRef: { name: "ca" }, dnsNames: ["web.example.com"] });
    const elsewhere = cm("Certificate", "web", "other", { secretName: "web-tls", issuerRef: { name: "ca" }, dnsNames: ["web.example.com"] });
    const p = predictReissues({ objects: [obj(issuer), obj(mine), obj(elsewhere)], meta: meta({ acmeAccountKeys: [], missingTlsSecrets: ["apps/web-tls", "other/web-tls"] }), now: NOW });
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
  });
});

describe("ACME accounts (setup.go)", () => {
  const withKey = (record: AccountKeyRecord | undefined, input: Partial<PredictionInput> = {}) =>
    predictReissues({ objects: [obj(readyIssuer()), obj(cert("web"))], meta: meta({ tlsCertificates: [goodFacts("web")], acmeAccountKeys: record ? [record] : [] }), now: NOW, ...input });

  test("an RSA PKCS#1 key: the account is looked up, nothing new", () => {
    assert.deepEqual(withKey(accountKey()), { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] });
  });

  test("the Secret missing at backup time: a new account", () => {
    const p = withKey(accountKey("le", { secretExists: false, keyPresent: false, keyType: undefined }));
    assert.deepEqual(whats(p.reissues), ["acme-account ClusterIssuer/le"]);
    assert.match(p.reissues[0].reason, /Secret kube-system\/le-key \(spec\.acme\.privateKeySecretRef\) did not exist at backup time: 0\.6\.2 generates a new key and registers a NEW ACME account/);
  });

  test("the Secret not copied (expectedMissingSecrets): a new account", () => {
    const p = withKey(accountKey(), { accountKeysNotCopied: ["le-key"] });
    assert.deepEqual(whats(p.reissues), ["acme-account ClusterIssuer/le"]);
    assert.match(p.reissues[0].reason, /not copied \(expectedMissingSecrets\)/);
    // Only ClusterIssuers' Secrets are copied: an Issuer's key of the same name is not affected.
    const issuer = cm("Issuer", "le", "apps", readyIssuer().spec, { status: readyStatus("True") });
    const own = predictReissues({ objects: [obj(issuer)], meta: meta({ acmeAccountKeys: [accountKey("le", { issuerKind: "Issuer", issuerNamespace: "apps", secretNamespace: "apps" })] }), now: NOW, accountKeysNotCopied: ["le-key"] });
    assert.deepEqual(own.reissues, []);
  });

  test("a PKCS#8 or EC key, or no data under the key: no new account, the issuer not Ready, its certificates held", () => {
    for (const [record, pattern] of [
      [accountKey("le", { keyType: "PRIVATE KEY" }), /PEM PRIVATE KEY block \(PKCS#8\).*reads only an RSA PRIVATE KEY/],
      [accountKey("le", { keyType: "EC PRIVATE KEY" }), /PEM EC PRIVATE KEY block/],
      [accountKey("le", { keyPresent: false, keyType: undefined }), /has no data key tls\.key/],
    ] as const) {
      const p = withKey(record, { meta: meta({ missingTlsSecrets: ["apps/web-tls"], acmeAccountKeys: [record] }) });
      assert.deepEqual(p.reissues, [], "no account and no certificate");
      assert.equal(p.accountKeyProblems.length, 1);
      assert.match(p.accountKeyProblems[0].reason, pattern);
      assert.deepEqual(whats(p.held), ["certificate Certificate/apps/web"]);
      assert.match(p.held[0].reason, /cannot read its ACME account key/);
    }
  });

  test("an ACME v1 issuer reads no key: a missing one registers nothing", () => {
    const v1 = cm("ClusterIssuer", "le", undefined, { acme: { server: "https://acme-staging.api.letsencrypt.org/directory", privateKeySecretRef: { name: "le-key" } } });
    const p = predictReissues({ objects: [obj(v1)], meta: meta({ acmeAccountKeys: [accountKey("le", { secretExists: false, keyPresent: false })] }), now: NOW });
    assert.deepEqual(p.reissues, []);
  });

  test("an earlier backup: the inventory tells a missing Secret; an existing one's key is unknown, never fine", () => {
    const older = (exists: boolean) => predictReissues({
      objects: [obj(readyIssuer())],
      meta: meta({ acmeAccountKeys: undefined, secrets: [{ namespace: "kube-system", name: "le-key", exists, keys: exists ? ["tls.key"] : [] }] }),
      now: NOW,
    });
    assert.deepEqual(whats(older(false).reissues), ["acme-account ClusterIssuer/le"]);
    assert.deepEqual(older(true).reissues, []);
    assert.deepEqual(whats(older(true).unknown), ["acme-account ClusterIssuer/le"]);
    assert.match(older(true).unknown[0].reason, /does not record the type of its account key/);
    // The legacy namespace is where ClusterIssuer Secrets were.
    const elsewhere = predictReissues({ objects: [obj(readyIssuer())], meta: meta({ acmeAccountKeys: undefined, secrets: [{ namespace: "legacy", name: "le-key", exists: false, keys: [] }] }), now: NOW, legacyNamespace: "legacy" });
    assert.deepEqual(whats(elsewhere.reissues), ["acme-account ClusterIssuer/le"]);
  });
});

describe("unknown: missing facts are not fine", () => {
  test("no meta (kubectl output): every certificate and account unknown", () => {
    const p = predictReissues({ objects: [obj(readyIssuer()), obj(cert("web"))], now: NOW });
    assert.deepEqual(p.reissues, []);
    assert.deepEqual(whats(p.unknown), ["acme-account ClusterIssuer/le", "certificate Certificate/apps/web"]);
  });

  test("format 1: no certificate facts; format 2 before key checks: whether the key matches is unknown", () => {
    const f1 = predictReissues({ objects: [obj(readyIssuer()), obj(cert("web"))], meta: meta({ format: "cert-manager-upgrade/backup@1", tlsCertificates: undefined }), now: NOW });
    assert.match(f1.unknown.find((u) => u.what === "certificate")!.reason, /records no certificate facts/);
    const early2 = predictReissues({ objects: [obj(readyIssuer()), obj(cert("web"))], meta: meta({ acmeAccountKeys: undefined, tlsCertificates: [goodFacts("web", { keyMatchesCertificate: undefined })] }), now: NOW });
    assert.match(early2.unknown.find((u) => u.what === "certificate")!.reason, /taken before keys were checked/);
    // A known reason is said even when the key is unknown.
    const both = predictReissues({ objects: [obj(readyIssuer()), obj(cert("web"))], meta: meta({ acmeAccountKeys: undefined, tlsCertificates: [goodFacts("web", { keyMatchesCertificate: undefined, commonName: "old" })] }), now: NOW });
    assert.equal(both.reissues.length, 1);
    assert.equal(both.unknown.filter((u) => u.what === "certificate").length, 0);
  });
});

describe("the count line and the JSON", () => {
  test("counts and names; nothing predicted says so", () => {
    const p = predictReissues({
      objects: [obj(readyIssuer()), obj(readyIssuer("other")), obj(cert("a")), obj(cert("b"))],
      meta: meta({ missingTlsSecrets: ["apps/a-tls", "apps/b-tls"], acmeAccountKeys: [accountKey(), accountKey("other", { secretExists: false, keyPresent: false })] }),
      now: NOW,
    });
    assert.equal(describePrediction(p), "2 certificates will be issued anew and 1 new ACME account registered by cert-manager 0.6.2 (apps/a, apps/b; account of other)");
    assert.equal(describePrediction({ reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] }), "no certificate will be issued anew and no new ACME account registered by cert-manager 0.6.2");
  });

  test("reissues entries have exactly kind, namespace, name, what, reason", () => {
    const json = reissuesToJson([{ kind: "Certificate", namespace: "apps", name: "a", what: "certificate", reason: "r", extra: 1 } as never]);
    assert.deepEqual(json, [{ kind: "Certificate", namespace: "apps", name: "a", what: "certificate", reason: "r" }]);
    assert.deepEqual(Object.keys(json[0]), ["kind", "namespace", "name", "what", "reason"]);
  });

  test("the plan folds the old missing-TLS warning into the prediction: one warning per certificate, and the count line", () => {
    const { text } = ownBackup([readyIssuer(), cert("a"), cert("b")], { missingTlsSecrets: ["apps/a-tls"], tlsCertificates: [goodFacts("b")], acmeAccountKeys: [accountKey()] });
    const plan = buildRestorePlan(parseBackup(text), { legacyNamespace: "kube-system", namespace: "cert-manager", now: NOW });
    const forA = plan.warnings.filter((w) => w.object === "Certificate/apps/a");
    assert.equal(forA.length, 1);
    assert.match(forA[0].message, /^TLS Secret apps\/a-tls did not exist at backup time: it will be issued anew by cert-manager 0\.6\.2/);
    assert.deepEqual(plan.warnings.filter((w) => w.object === "plan").map((w) => w.message), ["1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager 0.6.2 (apps/a)"]);
    const json = planToJson(plan) as { reissues: unknown[] };
    assert.deepEqual(json.reissues, [{ kind: "Certificate", namespace: "apps", name: "a", what: "certificate", reason: "TLS Secret apps/a-tls did not exist at backup time" }]);
  });
});

describe("may be issued: in the plan's warnings, its JSON and the count line (issue 19)", () => {
  const notReady = cm("ClusterIssuer", "le", undefined, readyIssuer().spec, { status: readyStatus("False", "ErrRegisterACMEAccount", "nope") });

  test("a certificate that may be issued is named with its reason, counted apart, and in `mayReissue`, not in `reissues`", () => {
    const { text } = ownBackup([notReady, cert("a")], { missingTlsSecrets: ["apps/a-tls"], acmeAccountKeys: [accountKey()] });
    const plan = buildRestorePlan(parseBackup(text), { legacyNamespace: "kube-system", namespace: "cert-manager", now: NOW });
    assert.deepEqual(plan.warnings.filter((w) => w.object === "plan").map((w) => w.message), [
      "no certificate will be issued anew and no new ACME account registered by cert-manager 0.6.2; 1 certificate may be issued (apps/a)",
    ]);
    const forA = plan.warnings.filter((w) => w.object === "Certificate/apps/a").map((w) => w.message);
    assert.equal(forA.length, 1);
    assert.match(forA[0], /^may be issued anew by cert-manager 0\.6\.2: TLS Secret apps\/a-tls did not exist at backup time; its ClusterIssuer\/le was not Ready in the backup/);
    // The issuer's own warning no longer says it stays not Ready.
    assert.match(plan.warnings.find((w) => w.object === "ClusterIssuer/le")!.message, /not Ready before the upgrade \(ErrRegisterACMEAccount: nope\); cert-manager 0\.6\.2 checks it again after the restore/);
    const json = planToJson(plan) as { reissues: unknown[]; mayReissue: Array<Record<string, string>> };
    assert.deepEqual(json.reissues, []);
    assert.deepEqual(json.mayReissue.map((m) => Object.keys(m)), [["kind", "namespace", "name", "what", "reason"]]);
    assert.deepEqual(json.mayReissue.map((m) => [m.kind, m.namespace, m.name, m.what]), [["Certificate", "apps", "a", "certificate"]]);
  });

  test("the definite part of the count line is unchanged by what may be issued", () => {
    const p = predictReissues({
      objects: [obj(notReady), obj(cert("a")), obj(cert("b"))],
      meta: meta({ missingTlsSecrets: ["apps/a-tls", "apps/b-tls"] }),
      now: NOW,
    });
    const withDefinite = { ...p, reissues: [{ kind: "Certificate", namespace: "apps", name: "c", what: "certificate" as const, reason: "r" }] };
    assert.equal(describePrediction(withDefinite), "1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager 0.6.2 (apps/c); 2 certificates may be issued (apps/a, apps/b)");
  });
});

describe("npm run plan --renewal-margin (issue 19)", () => {
  test("the text names what may be issued with its reason and counts it; the margin is a flag", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-margin-"));
    try {
      const now = new Date();
      const facts = goodFacts("web", { notAfter: new Date(now.getTime() + 35 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z") });
      const file = path.join(dir, "backup.yaml");
      fs.writeFileSync(file, ownBackup([readyIssuer(), cert("web")], { tlsCertificates: [facts], acmeAccountKeys: [accountKey()] }).text);
      const byDefault = await runScript("plan", ["--backup", file]);
      assert.equal(byDefault.code, 0, byDefault.output);
      assert.match(byDefault.stdout, /^ {2}Certificate\/apps\/web: may be issued anew by cert-manager 0\.6\.2: the certificate enters its renewal window \(renewBefore 30 days\) at .*, within 7 days of this plan .*not a loss$/m);
      assert.match(byDefault.stdout, /^plan: no certificate will be issued anew and no new ACME account registered by cert-manager 0\.6\.2; 1 certificate may be issued \(apps\/web\)$/m);
      const json = JSON.parse((await runScript("plan", ["--backup", file, "--json", "--renewal-margin", "24h"])).stdout) as { reissues: unknown[]; mayReissue: unknown[] };
      assert.deepEqual([json.reissues, json.mayReissue], [[], []]);
      const wide = JSON.parse((await runScript("plan", ["--backup", file, "--json", "--renewal-margin", "240h"])).stdout) as { mayReissue: Array<{ name: string }> };
      assert.deepEqual(wide.mayReissue.map((m) => m.name), ["web"]);
      const bad = await runScript("plan", ["--backup", file, "--renewal-margin", "7d"]);
      assert.equal(bad.code, 2);
      assert.match(bad.output, /--renewal-margin "7d" is not a Go duration/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("npm run plan (text)", () => {
  test("a kubectl backup: the count line says what cannot be told, and a section names each with its reason", async () => {
    const result = await runScript("plan", ["--backup", SEED_FIXTURE]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^Cannot tell what cert-manager 0\.6\.2 does \(4; the backup lacks the facts\):$/m);
    assert.match(result.stdout, /^ {2}Certificate\/default\/wonder-app-cert: cannot tell whether cert-manager 0\.6\.2 issues it anew: the backup was not written by `npm run backup`/m);
    assert.match(result.stdout, /^plan: no certificate will be issued anew and no new ACME account registered by cert-manager 0\.6\.2; 4 cannot be told from this backup/m);
  });
});

describe("Go durations and the controller flag", () => {
  test("parseGoDuration", () => {
    assert.equal(parseGoDuration("720h"), 30 * DAY);
    assert.equal(parseGoDuration("720h0m0s"), 30 * DAY);
    assert.equal(parseGoDuration("1h30m"), 90 * 60_000);
    assert.equal(parseGoDuration("1.5h"), 90 * 60_000);
    assert.equal(parseGoDuration("300ms"), 300);
    assert.equal(parseGoDuration("0"), 0);
    assert.equal(parseGoDuration("30d"), undefined); // Go has no days
    assert.equal(parseGoDuration("h"), undefined);
    assert.equal(parseGoDuration(""), undefined);
  });

  test("renewBeforeFromArgs: --flag=value or --flag value, the last one wins", () => {
    assert.equal(renewBeforeFromArgs(["--renew-before-expiry-duration=240h"]), 10 * DAY);
    assert.equal(renewBeforeFromArgs(["--v=2", "--renew-before-expiry-duration", "48h", "--renew-before-expiry-duration=24h"]), DAY);
    assert.equal(renewBeforeFromArgs(["--v=2"]), undefined);
    assert.equal(renewBeforeFromArgs(undefined), undefined);
    assert.equal(DEFAULT_RENEW_BEFORE_MS, 30 * DAY);
  });
});

describe("keyFacts: tls.key against tls.crt, in memory (openssl keys)", () => {
  let tmp: string;
  const openssl = (args: string[]): void => {
    execFileSync("openssl", args, { stdio: "ignore" });
  };
  const read = (f: string): string => fs.readFileSync(path.join(tmp, f), "utf8");
  const b64 = (t: string): string => Buffer.from(t).toString("base64");
  let rsaCert: X509Certificate;
  let ecCert: X509Certificate;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-keyfacts-"));
    openssl(["genrsa", "-traditional", "-out", path.join(tmp, "rsa1.key"), "2048"]);
    openssl(["genrsa", "-traditional", "-out", path.join(tmp, "rsa2.key"), "2048"]);
    openssl(["pkcs8", "-topk8", "-nocrypt", "-in", path.join(tmp, "rsa1.key"), "-out", path.join(tmp, "rsa1.p8")]);
    openssl(["ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", path.join(tmp, "ec.key")]);
    openssl(["req", "-x509", "-key", path.join(tmp, "rsa1.key"), "-out", path.join(tmp, "rsa1.crt"), "-days", "2", "-subj", "/CN=a.example.com"]);
    openssl(["req", "-x509", "-key", path.join(tmp, "ec.key"), "-out", path.join(tmp, "ec.crt"), "-days", "2", "-subj", "/CN=b.example.com"]);
    rsaCert = new X509Certificate(read("rsa1.crt"));
    ecCert = new X509Certificate(read("ec.crt"));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("the certificate's own PKCS#1 RSA and SEC1 EC keys match; another key does not", () => {
    assert.match(read("rsa1.key"), /^-----BEGIN RSA PRIVATE KEY-----/);
    assert.match(read("ec.key"), /^-----BEGIN EC PRIVATE KEY-----/);
    assert.deepEqual(keyFacts(b64(read("rsa1.key")), rsaCert), { keyMatchesCertificate: true });
    assert.deepEqual(keyFacts(b64(read("ec.key")), ecCert), { keyMatchesCertificate: true });
    assert.deepEqual(keyFacts(b64(read("rsa2.key")), rsaCert), { keyMatchesCertificate: false });
    assert.deepEqual(keyFacts(b64(read("ec.key")), rsaCert), { keyMatchesCertificate: false });
  });

  test("problems: missing, no PEM, PKCS#8 (even of the right key), a body that does not parse", () => {
    assert.deepEqual(keyFacts(undefined, rsaCert), { keyProblem: "no tls.key" });
    assert.deepEqual(keyFacts(b64("not a key"), rsaCert), { keyProblem: "tls.key holds no PEM block" });
    const p8 = keyFacts(b64(read("rsa1.p8")), rsaCert) as { keyProblem: string };
    assert.match(p8.keyProblem, /PEM PRIVATE KEY block \(PKCS#8\), which cert-manager 0\.6\.2 cannot read/);
    assert.deepEqual(keyFacts(b64("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n"), rsaCert), { keyProblem: "tls.key does not parse as an RSA PRIVATE KEY" });
    // Nothing of the key is in what is returned.
    const body = read("rsa1.key").split("\n")[1];
    assert.ok(!JSON.stringify(keyFacts(b64(read("rsa1.key")), rsaCert)).includes(body.slice(0, 20)));
  });
});

describe("tls.crt: every PEM block, as 0.6.2 reads it (issue 19)", () => {
  // cert-manager v0.6.2 pkg/util/kube/pki.go SecretTLSKeyPair decodes tls.crt with
  // pki.DecodeX509CertificateChainBytes (pkg/util/pki/parse.go): pem.Decode block after block, each
  // parsed with x509.ParseCertificate; one that does not parse fails the whole tls.crt, and
  // certificates/sync.go then takes the certificate for missing and issues it.
  let tmp: string;
  let leaf: { crt: string; key: string };
  let other: string;
  const b64 = (t: string | Buffer): string => Buffer.from(t).toString("base64");
  const now = new Date();

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-chain-"));
    const make = (name: string, cn: string): void => {
      execFileSync("openssl", ["genrsa", "-traditional", "-out", path.join(tmp, `${name}.key`), "2048"], { stdio: "ignore" });
      execFileSync("openssl", ["req", "-x509", "-key", path.join(tmp, `${name}.key`), "-out", path.join(tmp, `${name}.crt`), "-days", "90", "-subj", `/CN=${cn}`, "-addext", `subjectAltName=DNS:${cn}`], { stdio: "ignore" });
    };
    make("web", "web.example.com");
    make("ca", "ca.example.com");
    leaf = { crt: fs.readFileSync(path.join(tmp, "web.crt"), "utf8"), key: fs.readFileSync(path.join(tmp, "web.key"), "utf8") };
    other = fs.readFileSync(path.join(tmp, "ca.crt"), "utf8");
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** The prediction for `web` whose TLS Secret holds this tls.crt and the leaf's key, as `npm run backup` records it. */
  const predictFor = (tlsCrt: string | Buffer) => {
    const facts = certificateFacts(b64(tlsCrt), b64(leaf.key), true);
    return { facts, p: predictWeb({ namespace: "apps", certificate: "web", secretName: "web-tls", ...facts }, {}, { now }) };
  };
  const block = (type: string, body: Buffer): string => `-----BEGIN ${type}-----\n${body.toString("base64").replace(/.{64}/g, "$&\n")}\n-----END ${type}-----\n`;

  test("the leaf alone, or with a certificate after it: nothing; the backup says every block was read", () => {
    const alone = predictFor(leaf.crt);
    assert.deepEqual(alone.p, { reissues: [], mayReissue: [], unknown: [], held: [], accountKeyProblems: [] });
    assert.equal((alone.facts as { chainLength?: number }).chainLength, 1);
    const chain = predictFor(leaf.crt + other);
    assert.deepEqual(chain.p.reissues, []);
    assert.equal((chain.facts as { chainLength?: number }).chainLength, 2);
  });

  test("a second block that does not parse as a certificate: issued anew (the leaf parses)", () => {
    const { facts, p } = predictFor(leaf.crt + block("CERTIFICATE", Buffer.from("not a certificate at all, but valid base64")));
    assert.equal((facts as { commonName?: string }).commonName, "web.example.com", "the leaf's facts are kept");
    assert.match((facts as { chainProblem?: string }).chainProblem ?? "", /^PEM block 2 of 2 in tls\.crt \(CERTIFICATE\) does not parse as a certificate$/);
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
    assert.match(p.reissues[0].reason, /TLS Secret apps\/web-tls: PEM block 2 of 2 in tls\.crt \(CERTIFICATE\) does not parse as a certificate; 0\.6\.2 reads every PEM block of tls\.crt and takes the certificate for missing/);
  });

  test("the key pasted after the certificate in tls.crt: issued anew (0.6.2 parses every block as a certificate, whatever its type)", () => {
    const { p } = predictFor(leaf.crt + leaf.key);
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
    assert.match(p.reissues[0].reason, /PEM block 2 of 2 in tls\.crt \(RSA PRIVATE KEY\)/);
    // Nothing of the key is in the reason.
    assert.ok(!p.reissues[0].reason.includes(leaf.key.split("\n")[1].slice(0, 20)));
  });

  test("a key or anything else first: tls.crt does not parse (a problem, no facts)", () => {
    const { facts, p } = predictFor(leaf.key + leaf.crt);
    assert.match((facts as { problem?: string }).problem ?? "", /first PEM block .*RSA PRIVATE KEY/);
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
  });

  test("DER instead of PEM: pem.Decode finds no block, issued anew", () => {
    const der = new X509Certificate(leaf.crt).raw;
    const { facts, p } = predictFor(der);
    assert.deepEqual(facts, { problem: "tls.crt does not parse as a certificate: it holds no PEM block" });
    assert.deepEqual(whats(p.reissues), ["certificate Certificate/apps/web"]);
  });

  test("what Go's pem.Decode skips is skipped: text around blocks, a block without its END line, a body that is not base64", () => {
    const skipped = "explanatory text\n" + leaf.crt + "trailing text\n-----BEGIN CERTIFICATE-----\nAAAA\n" ;
    assert.deepEqual(predictFor(skipped).p.reissues, []);
    assert.equal((predictFor(skipped).facts as { chainLength?: number }).chainLength, 1);
    const badBase64 = leaf.crt + "-----BEGIN CERTIFICATE-----\n%%%% not base64 %%%%\n-----END CERTIFICATE-----\n";
    assert.deepEqual(predictFor(badBase64).p.reissues, []);
  });

  test("a backup that did not check every block (taken before issue 19): cannot tell, never fine", () => {
    const p = predictWeb(goodFacts("web", { chainLength: undefined }));
    assert.deepEqual(p.reissues, []);
    assert.deepEqual(whats(p.unknown), ["certificate Certificate/apps/web"]);
    assert.match(p.unknown[0].reason, /taken before every PEM block of tls\.crt was checked/);
  });
});
