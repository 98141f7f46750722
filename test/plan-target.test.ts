// Issue 20: `npm run plan -- --backup FILE --target v1.1.1` (lib/target-plan-report.ts,
// scripts/plan.ts): the backup's objects as v1.1.1 restores them, each issuer's conversion, what
// the conversion or v1.1.1's webhook refuses, and v1.1.1's re-issue prediction with the TLS
// Secrets' annotations as the backup records them (renamed), or "cannot be told" without them.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseBackup } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { buildTargetPlanReport, renderTargetPlan, targetPlanToJson, tlsSecretAnnotationsFromBackup } from "../lib/target-plan-report";
import { targetWiring } from "../lib/targets";
import type { TlsCertificateRecord } from "../lib/tls-facts";
import { AccountKeyRecord, BackupMeta, KubeObject } from "../lib/types";
import { cm, ownBackup, readyStatus } from "./support/fixtures";
import { runScript } from "./support/run-command";

const NOW = new Date("2026-01-01T00:00:00Z");
const DAY = 24 * 3600 * 1000;
const ACME_V2 = "https://acme-v02.api.letsencrypt.org/directory";
const wiring = targetWiring("v1.1.1");

const issuer = cm("ClusterIssuer", "le", undefined, { acme: { server: ACME_V2, email: "a@example.com", privateKeySecretRef: { name: "le-key" }, http01: {} } }, { status: readyStatus("True") });
const caIssuer = cm("Issuer", "team-ca", "apps", { ca: { secretName: "team-ca" } }, { status: readyStatus("True") });
function cert(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return cm("Certificate", name, "apps", { secretName: `${name}-tls`, issuerRef: { kind: "ClusterIssuer", name: "le" }, dnsNames: [`${name}.example.com`], acme: { config: [{ http01: {}, domains: [`${name}.example.com`] }] }, ...extra }, { status: readyStatus("True") });
}
const caCert = cm("Certificate", "internal", "apps", { secretName: "internal-tls", issuerRef: { name: "team-ca" }, dnsNames: ["internal.example.com"] }, { status: readyStatus("True") });

function facts(name: string, secretName: string, annotations?: Record<string, string>): TlsCertificateRecord {
  return {
    namespace: "apps", certificate: name, secretName, serial: "01", sha256: "ab".repeat(32),
    notAfter: new Date(NOW.getTime() + 60 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z"),
    commonName: `${name}.example.com`, dnsNames: [`${name}.example.com`], keyType: "RSA PRIVATE KEY", keyMatchesCertificate: true, chainLength: 1,
    ...(annotations ? { annotations } : {}),
  };
}
const accountKey: AccountKeyRecord = { issuerKind: "ClusterIssuer", issuerNamespace: "", issuer: "le", secretNamespace: "kube-system", secretName: "le-key", key: "tls.key", secretExists: true, keyPresent: true, keyType: "RSA PRIVATE KEY" };
/** As cert-manager 0.4/0.6 annotates the TLS Secrets it writes. */
const OLD_WEB = { "certmanager.k8s.io/issuer-name": "le", "certmanager.k8s.io/issuer-kind": "ClusterIssuer", "certmanager.k8s.io/alt-names": "web.example.com" };
const OLD_INTERNAL = { "certmanager.k8s.io/issuer-name": "team-ca", "certmanager.k8s.io/issuer-kind": "Issuer" };

function backup(objects: KubeObject[], tls: TlsCertificateRecord[]): { text: string; meta: BackupMeta } {
  return ownBackup(objects, {
    secrets: [{ namespace: "kube-system", name: "le-key", exists: true, keys: ["tls.key"] }],
    tlsCertificates: tls,
    acmeAccountKeys: [accountKey],
  });
}

function report(objects: KubeObject[], tls: TlsCertificateRecord[]) {
  const parsed = parseBackup(backup(objects, tls).text);
  assert.deepEqual(parsed.errors, []);
  const plan = buildRestorePlan(parsed);
  return buildTargetPlanReport(wiring, plan, parsed.objects, { meta: parsed.meta, now: NOW, legacyNamespace: "kube-system" });
}

describe("plan --target v1.1.1 (lib/target-plan-report.ts)", () => {
  test("the TLS Secrets' annotations the backup records are renamed as v1.1.1 will see them; none recorded: not known", () => {
    const recorded = tlsSecretAnnotationsFromBackup(wiring, backup([issuer, cert("web")], [facts("web", "web-tls", OLD_WEB)]).meta);
    assert.equal(recorded.recorded, true);
    assert.deepEqual(recorded.renamed?.get("apps/web-tls")?.annotations, { "cert-manager.io/issuer-name": "le", "cert-manager.io/issuer-kind": "ClusterIssuer", "cert-manager.io/alt-names": "web.example.com" });
    assert.match(recorded.changes[0], /^Secret apps\/web-tls: annotation certmanager\.k8s\.io\/issuer-name → cert-manager\.io\/issuer-name/);
    const older = tlsSecretAnnotationsFromBackup(wiring, backup([issuer, cert("web")], [facts("web", "web-tls")]).meta);
    assert.equal(older.recorded, false);
    assert.equal(older.renamed, undefined);
  });

  test("objects in v1 form counted per kind; annotations renamed: no certificate issued anew, no new account", () => {
    const r = report([issuer, caIssuer, cert("web"), caCert], [facts("web", "web-tls", OLD_WEB), facts("internal", "internal-tls", OLD_INTERNAL)]);
    assert.equal(r.valid, true);
    assert.deepEqual(r.counts, { ClusterIssuer: 1, Issuer: 1, Certificate: 2 });
    assert.deepEqual(r.targetPlan.plan.restore.map((i) => i.object.apiVersion), ["cert-manager.io/v1", "cert-manager.io/v1", "cert-manager.io/v1", "cert-manager.io/v1"]);
    assert.deepEqual(r.prediction.reissues, []);
    assert.deepEqual(r.prediction.unknown, []);
    assert.equal(r.predictionLine, "no certificate will be issued anew and no new ACME account registered by cert-manager v1.1.1");
    const text = renderTargetPlan(r);
    assert.match(text, /^Restore order \(4 objects as cert-manager\.io\/v1: 1 ClusterIssuer, 1 Issuer, 2 Certificates\):$/m);
    assert.match(text, /^2 +Issuer +apps +team-ca +cert-manager\.io\/v1$/m);
    // The conversion lines as the preview logs them.
    assert.match(text, /^ {2}ClusterIssuer\/le:\n {4}was: acme /m);
    assert.match(text, /^ {4}now: solvers\[0\]: http01 ingress/m);
    assert.match(text, /^ {2}Secret apps\/internal-tls: annotation certmanager\.k8s\.io\/issuer-name → cert-manager\.io\/issuer-name/m);
    assert.match(text, /^plan: no certificate will be issued anew and no new ACME account registered by cert-manager v1\.1\.1$/m);
    assert.match(text, /^The backup is valid for cert-manager v1\.1\.1\.$/m);
    // 0.6.2's words are not v1.1.1's: no "cannot renew" section, no 0.6.2 prediction.
    assert.doesNotMatch(text, /0\.6\.2|cannot renew|Renewal after the upgrade/);
  });

  test("a Secret whose annotations name another issuer, or none (not renamed): issued anew (IncorrectIssuer)", () => {
    const r = report([issuer, cert("web")], [facts("web", "web-tls", { "certmanager.k8s.io/issuer-name": "other", "certmanager.k8s.io/issuer-kind": "ClusterIssuer" })]);
    assert.deepEqual(r.prediction.reissues.map((x) => x.name), ["web"]);
    assert.match(r.prediction.reissues[0].reason, /IncorrectIssuer/);
    assert.match(r.predictionLine, /^1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager v1\.1\.1 \(apps\/web\)$/);
    const bare = report([issuer, cert("web")], [facts("web", "web-tls", {})]);
    assert.deepEqual(bare.prediction.reissues.map((x) => x.name), ["web"]);
  });

  test("a backup that does not record the annotations: each certificate's re-issue cannot be told, and the text says why", () => {
    const r = report([issuer, cert("web")], [facts("web", "web-tls")]);
    assert.deepEqual(r.prediction.reissues, []);
    assert.deepEqual(r.prediction.unknown.map((x) => x.name), ["web"]);
    assert.match(r.predictionLine, /1 cannot be told \(apps\/web\)/);
    assert.match(renderTargetPlan(r), /^TLS Secrets' annotations: the backup does not record the TLS Secrets' annotations .*cannot be told/m);
    const json = targetPlanToJson(r) as { tlsSecretAnnotations: { recorded: boolean } };
    assert.equal(json.tlsSecretAnnotations.recorded, false);
  });

  test("a conversion refusal makes the plan invalid, naming object, field, rule and fix", () => {
    const bad = cert("web", { acme: { config: [{ dns01: { provider: "gone" }, domains: ["web.example.com"] }] } });
    const r = report([issuer, bad], [facts("web", "web-tls", OLD_WEB)]);
    assert.equal(r.targetPlan.plan.valid, true, "0.6.2 takes it: only v1.1.1's conversion refuses it");
    assert.equal(r.valid, false);
    assert.equal(r.findings.length, 1);
    const text = renderTargetPlan(r);
    assert.match(text, /^Refused by the conversion or by v1\.1\.1's rules \(1\):\n {2}Certificate\/apps\/web spec\.acme\.config: .*names provider 'gone'.* — fix: .*add provider 'gone'/m);
    assert.match(text, /^The backup is NOT valid for cert-manager v1\.1\.1: fix the refusals above before upgrading\.$/m);
    const json = targetPlanToJson(r) as { valid: boolean; findings: Array<{ object: string; field: string; rule: string; fix: string }> };
    assert.equal(json.valid, false);
    assert.equal(json.findings[0].object, "Certificate/apps/web");
    assert.ok(json.findings[0].field && json.findings[0].rule && json.findings[0].fix);
  });

  test("a converted object v1.1.1's webhook rejects is a finding too", () => {
    // 0.6.2 takes an ECDSA key size of 256 as `keySize`; v1.1.1 wants spec.privateKey.size 256, 384 or 521 only.
    const r = report([issuer, cert("web", { keyAlgorithm: "ecdsa", keySize: 512 })], [facts("web", "web-tls", OLD_WEB)]);
    assert.ok(r.findings.some((f) => f.object === "Certificate/apps/web" && f.field === "spec.privateKey.size" && /webhook rejects/.test(f.rule)), JSON.stringify(r.findings));
    assert.equal(r.valid, false);
  });

  test("--json has its own keys for v1.1.1", () => {
    const r = report([issuer, cert("web")], [facts("web", "web-tls", OLD_WEB)]);
    const json = targetPlanToJson(r) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), ["target", "apiVersion", "valid", "restore", "objects", "counts", "conversion", "findings", "secretsToCopy", "secretsInPlace", "tlsSecretAnnotations", "prediction", "warnings", "errors"]);
    assert.equal(json.target, "v1.1.1");
    assert.deepEqual((json.restore as object[])[1], { kind: "Certificate", namespace: "apps", name: "web", apiVersion: "cert-manager.io/v1" });
    assert.equal(((json.objects as KubeObject[])[1].spec as { acme?: unknown }).acme, undefined);
    assert.deepEqual((json.prediction as { reissues: unknown[] }).reissues, []);
  });
});

describe("npm run plan -- --target (scripts/plan.ts)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-plan-target-"));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const file = path.join(tmp, "backup.yaml");
  fs.writeFileSync(file, backup([issuer, cert("web", { acme: { config: [{ dns01: { provider: "gone" }, domains: ["web.example.com"] }] } })], [facts("web", "web-tls", OLD_WEB)]).text);

  test("v1.1.1: text, JSON and exit 1 on a refusal; the default stays 0.6.2's; a bad target is a usage error", async () => {
    const [text, json, v062, bad, flag] = await Promise.all([
      runScript("plan", ["--backup", file, "--target", "v1.1.1"]),
      runScript("plan", ["--backup", file, "--target-version", "v1.1.1", "--json"]),
      runScript("plan", ["--backup", file, "--json"]),
      runScript("plan", ["--backup", file, "--target", "v2"]),
      runScript("plan", ["--backup", file, "--target", "v1.1.1", "--renew-before-expiry-duration", "720h"]),
    ]);
    assert.equal(text.code, 1, text.output);
    assert.match(text.stdout, /^Target cert-manager v1\.1\.1: the backup's objects converted to cert-manager\.io\/v1$/m);
    assert.match(text.stdout, /Certificate\/apps\/web spec\.acme\.config: its dns01 config for web\.example\.com names provider 'gone'/);
    assert.equal(json.code, 1, json.output);
    assert.equal(JSON.parse(json.stdout).target, "v1.1.1");
    assert.equal(v062.code, 0, v062.output);
    assert.deepEqual(Object.keys(JSON.parse(v062.stdout)), ["valid", "restore", "secretsToCopy", "reissues", "mayReissue", "reissuesUnknown", "renewal", "warnings", "errors"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--target "v2" is not a target: use v0\.6\.2 or v1\.1\.1/);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /0\.6\.2 controller's flag/);
  });
});
