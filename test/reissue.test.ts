// Issue 10, item 8: the backup records each certificate's public facts, and verify tells a
// re-issued certificate (the same names, another certificate and key) from the one backed up.
// Also: expected-missing Secrets and the webhook's own names in verify.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { metaLine, parseBackup } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { certificateFacts, pemBlockType } from "../lib/tls-facts";
import { BackupMeta, KubeObject, META_PREFIX, objectLabel } from "../lib/types";
import { LiveState, VerifyOptions, verifyAgainstBackup, webhookFullname, webhookObjects } from "../lib/verify";
import { FakeKubeApi, PLURALS_0_6, WEBHOOK_APISERVICE } from "./support/fake-kube-api";
import { certificate, cm, ownBackup, readyStatus, seedObjects } from "./support/fixtures";
import { RunResult, runScript } from "./support/run-command";

interface Pem {
  crt: string;
  key: string;
}

let tmp: string;
/** wonder-app-cert as issued (EC key, SEC1: "EC PRIVATE KEY"). */
let issued: Pem;
/** The same names issued again: another key (PKCS#8: "PRIVATE KEY") and another certificate. */
let reissued: Pem;
/** ivan-test-cert (RSA key, PKCS#1: "RSA PRIVATE KEY"). */
let ivan: Pem;
const servers: FakeKubeApi[] = [];

function openssl(args: string[]): string {
  return execFileSync("openssl", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
}

function selfSigned(name: string, keyArgs: string[], cn: string, dnsNames: string[]): Pem {
  const key = path.join(tmp, `${name}.key`);
  const crt = path.join(tmp, `${name}.crt`);
  openssl([keyArgs[0], "-out", key, ...keyArgs.slice(1)]);
  openssl(["req", "-x509", "-key", key, "-out", crt, "-days", "90", "-subj", `/O=Example/CN=${cn}`, "-addext", `subjectAltName=${dnsNames.map((d) => `DNS:${d}`).join(",")}`]);
  return { crt: fs.readFileSync(crt, "utf8"), key: fs.readFileSync(key, "utf8") };
}

const b64 = (text: string): string => Buffer.from(text).toString("base64");

/** The PEM body lines (base64 of the DER) of a certificate or key: none may appear in any output. */
function bodyLines(pem: string): string[] {
  return pem.split("\n").filter((l) => l && !l.startsWith("-----"));
}

async function fakeApi(options: { kubeSystemUID?: string } = {}): Promise<FakeKubeApi> {
  const api = new FakeKubeApi(options);
  await api.start();
  servers.push(api);
  return api;
}

function secrets(api: FakeKubeApi, namespace: string, wonder: Pem | undefined): void {
  // A real PKCS#1 RSA key (what 0.6.2 reads an ACME account key from); staging's is no PEM at all.
  api.addSecret(namespace, "cert-manager-setup-production-private-key", { "tls.key": ivan.key });
  api.addSecret(namespace, "cert-manager-setup-staging-private-key", { "tls.key": "staging-account-key" });
  api.addSecret(namespace, "clouddns-service-account", { "service-account.json": "{}" });
  if (wonder) api.addSecret("default", "wonder-app-cert", { "tls.crt": wonder.crt, "tls.key": wonder.key }, "kubernetes.io/tls");
}

/** The seed's cluster before the upgrade, with real certificates in its TLS Secrets. */
async function seedCluster(): Promise<FakeKubeApi> {
  const api = await fakeApi();
  for (const o of seedObjects()) api.addObject(o);
  secrets(api, "kube-system", issued);
  api.addSecret("test", "ivan-test-cert", { "tls.crt": ivan.crt, "tls.key": ivan.key }, "kubernetes.io/tls");
  return api;
}

/** The same cluster after the upgrade: objects restored, Secrets copied, the webhook's objects named after `releaseName`. */
async function upgraded(backupFile: string, options: { wonder?: Pem; releaseName?: string; skipCopy?: string[] } = {}): Promise<{ api: FakeKubeApi; kubeconfig: string }> {
  const meta = parseBackup(fs.readFileSync(backupFile)).meta!;
  const api = await fakeApi({ kubeSystemUID: meta.cluster.kubeSystemUID });
  api.served = new Set(PLURALS_0_6);
  for (const item of buildRestorePlan(parseBackup(fs.readFileSync(backupFile))).restore) api.addObject(item.object);
  secrets(api, "kube-system", options.wonder ?? issued);
  secrets(api, "cert-manager", undefined);
  for (const name of options.skipCopy ?? []) api.removeSecret("cert-manager", name);
  api.addSecret("test", "ivan-test-cert", { "tls.crt": ivan.crt, "tls.key": ivan.key }, "kubernetes.io/tls");
  api.apiServices.add(WEBHOOK_APISERVICE);
  for (const w of webhookObjects(options.releaseName ?? "cert-manager")) {
    api.addObject(w.kind === "Certificate" ? certificate("cert-manager", w.name, { name: "x" }) : cm("Issuer", w.name, "cert-manager", { selfSigned: {} }));
  }
  const kubeconfig = api.writeKubeconfig(path.join(fs.mkdtempSync(path.join(tmp, "upgraded-")), "kubeconfig"), "seed-cluster");
  return { api, kubeconfig };
}

let backupRun: Promise<{ file: string; result: RunResult }> | undefined;
function seedBackup(): Promise<{ file: string; result: RunResult }> {
  backupRun ??= (async () => {
    const api = await seedCluster();
    const dir = fs.mkdtempSync(path.join(tmp, "seed-"));
    const file = path.join(dir, "cert-manager-backup.yaml");
    const result = await runScript("backup", ["--kubeconfig", api.writeKubeconfig(path.join(dir, "kubeconfig"), "seed-cluster"), "--out", file]);
    return { file, result };
  })();
  return backupRun;
}

function differenceLines(result: RunResult): string[] {
  return result.stdout.split("\n").filter((l) => l.startsWith("DIFFERENCE "));
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-reissue-"));
  const names = ["wonder-app.example.com", "www.wonder-app.example.com"];
  issued = selfSigned("issued", ["ecparam", "-name", "prime256v1", "-genkey", "-noout"], "wonder-app.example.com", names);
  reissued = selfSigned("reissued", ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1"], "wonder-app.example.com", names);
  ivan = selfSigned("ivan", ["genrsa", "-traditional", "2048"], "ivan-test.example.com", ["ivan-test.example.com"]);
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("certificate facts (lib/tls-facts.ts)", () => {
  test("serial, SHA-256 of the DER, NotAfter, CN and DNS SANs agree with openssl; the key's PEM type", () => {
    const facts = certificateFacts(b64(issued.crt), b64(issued.key));
    assert.ok(!("problem" in facts));
    const file = path.join(tmp, "issued.crt");
    const serial = /^serial=([0-9A-F]+)$/m.exec(openssl(["x509", "-in", file, "-noout", "-serial"]))![1];
    const fingerprint = /Fingerprint=([0-9A-F:]+)$/m.exec(openssl(["x509", "-in", file, "-noout", "-fingerprint", "-sha256"]))![1];
    const notAfter = /^notAfter=(.*)$/m.exec(openssl(["x509", "-in", file, "-noout", "-enddate"]))![1];
    assert.equal(facts.serial.replace(/^0+/, ""), serial.replace(/^0+/, ""));
    assert.equal(facts.sha256, fingerprint.replace(/:/g, "").toLowerCase());
    assert.equal(facts.notAfter, new Date(notAfter).toISOString().replace(/\.000Z$/, "Z"));
    assert.equal(facts.commonName, "wonder-app.example.com");
    assert.deepEqual(facts.dnsNames, ["wonder-app.example.com", "www.wonder-app.example.com"]);
    assert.equal(facts.keyType, "EC PRIVATE KEY");
    assert.equal((certificateFacts(b64(reissued.crt), b64(reissued.key)) as { keyType: string }).keyType, "PRIVATE KEY");
    assert.equal((certificateFacts(b64(ivan.crt), b64(ivan.key)) as { keyType: string }).keyType, "RSA PRIVATE KEY");
    // A re-issue: same names, another certificate.
    const again = certificateFacts(b64(reissued.crt)) as typeof facts;
    assert.deepEqual(again.dnsNames, facts.dnsNames);
    assert.notEqual(again.sha256, facts.sha256);
    assert.notEqual(again.serial, facts.serial);
    assert.equal(again.keyType, undefined, "no tls.key, no key type");
  });

  test("a chain: the facts are the leaf's", () => {
    const chain = certificateFacts(b64(issued.crt + ivan.crt)) as { commonName: string };
    assert.equal(chain.commonName, "wonder-app.example.com");
  });

  test("no certificate: a problem instead of facts", () => {
    assert.deepEqual(certificateFacts(undefined), { problem: "no tls.crt" });
    assert.deepEqual(certificateFacts(b64("not a certificate")), { problem: "tls.crt does not parse as a certificate: it holds no PEM block" });
    assert.deepEqual(certificateFacts(b64("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")), { problem: "tls.crt does not parse as a certificate" });
  });

  test("the key's type comes from its header line; what follows does not matter", () => {
    // Whatever follows the header (here not even base64) does not matter.
    assert.equal(pemBlockType(b64("-----BEGIN EC PRIVATE KEY-----\n%%% not base64 %%%\n")), "EC PRIVATE KEY");
    assert.equal(pemBlockType(b64("-----BEGIN ENCRYPTED PRIVATE KEY-----\r\nAAAA\r\n")), "ENCRYPTED PRIVATE KEY");
    assert.equal(pemBlockType(b64("no header here")), undefined);
    assert.equal(pemBlockType(undefined), undefined);
    // Explanatory text before the block (RFC 7468), as Go's pem.Decode and so cert-manager 0.6.2 read it.
    assert.equal(pemBlockType(b64("x".repeat(40) + "\n-----BEGIN RSA PRIVATE KEY-----\n")), "RSA PRIVATE KEY");
  });
});

describe("the webhook's own objects follow the release name (chart v0.6.6 webhook.fullname)", () => {
  test("names", () => {
    assert.equal(webhookFullname("cert-manager"), "cert-manager-webhook");
    assert.equal(webhookFullname("cm06"), "cm06-webhook");
    assert.equal(webhookFullname("my-webhook"), "my-webhook", "a release name that contains the chart name is used as is");
    assert.equal(webhookFullname("a".repeat(62) + "-x"), "a".repeat(62), "63 characters at most, no trailing -");
    assert.deepEqual(webhookObjects("cm06").map((w) => `${w.kind}/${w.name}`), [
      "Issuer/cm06-webhook-selfsign", "Issuer/cm06-webhook-ca", "Certificate/cm06-webhook-ca", "Certificate/cm06-webhook-webhook-tls",
    ]);
  });
});

describe("verifyAgainstBackup with certificate facts", () => {
  const objects = seedObjects();
  const issuedFacts = () => certificateFacts(b64(issued.crt), b64(issued.key));
  function setup(): { parsed: ReturnType<typeof parseBackup>; plan: ReturnType<typeof buildRestorePlan>; live: LiveState; options: VerifyOptions } {
    const { text } = ownBackup(objects, {
      tlsCertificates: [
        { namespace: "default", certificate: "wonder-app-cert", secretName: "wonder-app-cert", ...issuedFacts() },
        { namespace: "test", certificate: "ivan-test-cert", secretName: "ivan-test-cert", ...certificateFacts(b64(ivan.crt), b64(ivan.key)) },
      ],
      secrets: [
        { namespace: "kube-system", name: "cert-manager-setup-production-private-key", exists: true, keys: ["tls.key"] },
        { namespace: "kube-system", name: "cert-manager-setup-staging-private-key", exists: false, keys: [] },
        { namespace: "kube-system", name: "clouddns-service-account", exists: true, keys: ["service-account.json"] },
      ],
    });
    const parsed = parseBackup(text, "b.yaml");
    assert.deepEqual(parsed.errors, []);
    const plan = buildRestorePlan(parsed);
    const live: LiveState = { objects: new Map(), tlsSecrets: new Map(), copiedSecrets: new Map(), webhookEnabled: false };
    for (const item of plan.restore) {
      const o: KubeObject = structuredClone(item.object);
      o.status = structuredClone(parsed.objects.find((p) => objectLabel(p) === objectLabel(item))!.object.status);
      live.objects.set(objectLabel(item), o);
    }
    live.tlsSecrets.set("default/wonder-app-cert", certificateFacts(b64(issued.crt)));
    live.tlsSecrets.set("test/ivan-test-cert", certificateFacts(b64(ivan.crt)));
    for (const s of plan.secretsToCopy) live.copiedSecrets.set(s.name, { present: s.name !== "cert-manager-setup-staging-private-key", sameAsSource: true });
    return { parsed, plan, live, options: { namespace: "cert-manager", allowPending: false, certificates: parsed.meta!.tlsCertificates } };
  }
  const run = (s: ReturnType<typeof setup>) => verifyAgainstBackup(s.plan, s.parsed.objects, s.live, s.options);

  test("the same certificates: no difference (a Secret missing at backup time is not required)", () => {
    const s = setup();
    const report = run(s);
    assert.deepEqual(report.differences, []);
    assert.deepEqual(report.notes.map((n) => `${n.object}: ${n.message}`), [
      "Secret/cert-manager/cert-manager-setup-staging-private-key: not copied: kube-system/cert-manager-setup-staging-private-key did not exist at backup time either",
    ]);
  });

  test("a re-issued certificate is a difference naming the Certificate, the old and the new serial", () => {
    const s = setup();
    s.live.tlsSecrets.set("default/wonder-app-cert", certificateFacts(b64(reissued.crt)));
    const report = run(s);
    assert.equal(report.differences.length, 1);
    const [d] = report.differences;
    assert.equal(d.object, "Certificate/default/wonder-app-cert");
    const before = issuedFacts() as { serial: string };
    const now = certificateFacts(b64(reissued.crt)) as { serial: string };
    assert.match(d.message, new RegExp(`^TLS certificate in Secret wonder-app-cert replaced since the backup \\(was serial ${before.serial},.*now serial ${now.serial},.*it was re-issued$`));
    assert.match(report.rows.find((r) => r.name === "wonder-app-cert")!.check, /replaced since the backup/);
    // The same with --allow-pending: a replaced certificate is never "pending".
    assert.equal(verifyAgainstBackup(s.plan, s.parsed.objects, s.live, { ...s.options, allowPending: true }).differences.length, 1);
  });

  test("a TLS Secret that held a certificate at backup time and is gone is a difference, Ready or not", () => {
    const s = setup();
    s.live.tlsSecrets.delete("test/ivan-test-cert"); // ivan-test-cert was not Ready, but its Secret existed
    assert.deepEqual(run(s).differences.map((d) => `${d.object}: ${d.message}`), ["Certificate/test/ivan-test-cert: TLS Secret ivan-test-cert is gone"]);
  });

  test("a TLS Secret whose tls.crt no longer parses is a replacement too", () => {
    const s = setup();
    s.live.tlsSecrets.set("default/wonder-app-cert", certificateFacts(b64("garbage")));
    assert.match(run(s).differences[0].message, /replaced since the backup .*now tls\.crt does not parse/);
  });

  test("without facts (a format-1 or kubectl backup) nothing is compared", () => {
    const s = setup();
    s.live.tlsSecrets.set("default/wonder-app-cert", certificateFacts(b64(reissued.crt)));
    assert.deepEqual(verifyAgainstBackup(s.plan, s.parsed.objects, s.live, { ...s.options, certificates: undefined }).differences, []);
  });

  test("an expected-missing Secret that existed is a note, not a difference; unlisted it is a difference", () => {
    const s = setup();
    s.live.copiedSecrets.set("clouddns-service-account", { present: false, sameAsSource: undefined });
    assert.deepEqual(run(s).differences.map((d) => d.object), ["Secret/cert-manager/clouddns-service-account"]);
    const report = verifyAgainstBackup(s.plan, s.parsed.objects, s.live, { ...s.options, expectMissing: ["clouddns-service-account"] });
    assert.deepEqual(report.differences, []);
    assert.ok(report.notes.some((n) => n.object === "Secret/cert-manager/clouddns-service-account" && /expected missing/.test(n.message)));
  });

  test("the webhook's objects are looked up under the release's name", () => {
    const s = setup();
    s.live.webhookEnabled = true;
    for (const w of webhookObjects("cm06")) s.live.objects.set(objectLabel({ kind: w.kind, namespace: "cert-manager", name: w.name }), cm(w.kind, w.name, "cert-manager", {}, { status: readyStatus("True") }));
    assert.deepEqual(verifyAgainstBackup(s.plan, s.parsed.objects, s.live, { ...s.options, releaseName: "cm06" }).differences, []);
    const wrong = run(s).differences;
    assert.deepEqual(wrong.map((d) => d.object), webhookObjects("cert-manager").map((w) => objectLabel({ kind: w.kind, namespace: "cert-manager", name: w.name })));
    assert.match(wrong[0].message, /release cert-manager.*--release-name/);
  });
});

describe("backup format 2 and its predecessor", () => {
  test("format 1 stays readable (no facts); format 2 must carry them; format 1 cannot", () => {
    const old = ownBackup(seedObjects(), { format: "cert-manager-upgrade/backup@1" });
    const parsed = parseBackup(old.text, "old.yaml");
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.meta?.format, "cert-manager-upgrade/backup@1");
    assert.equal(parsed.meta?.tlsCertificates, undefined);
    assert.equal(buildRestorePlan(parsed).valid, true);

    const body = old.text.slice(0, old.text.indexOf(META_PREFIX));
    const current = { ...old.meta, format: "cert-manager-upgrade/backup@2" } as BackupMeta;
    assert.match(parseBackup(body + metaLine(current), "x.yaml").errors[0]?.message ?? "", /lacks its TLS certificate facts/);
    const mixed = { ...old.meta, tlsCertificates: [] } as BackupMeta;
    assert.match(parseBackup(body + metaLine(mixed), "x.yaml").errors[0]?.message ?? "", /cannot hold TLS certificate facts/);
  });
});

describe("backup and verify against the API stand-in", { concurrency: 2 }, () => {
  test("backup records each certificate's public facts, never a key or a certificate body", async () => {
    const { file, result } = await seedBackup();
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^backup: 2 TLS certificates recorded \(serial, SHA-256 fingerprint, expiry; never a key\)$/m);
    const parsed = parseBackup(fs.readFileSync(file), file);
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.meta?.format, "cert-manager-upgrade/backup@2");
    // Since issue 12 the backup also checks each key against its certificate (keyMatchesCertificate).
    const wonder = certificateFacts(b64(issued.crt), b64(issued.key), true);
    const ivanFacts = certificateFacts(b64(ivan.crt), b64(ivan.key), true);
    assert.equal((wonder as { keyMatchesCertificate?: boolean }).keyMatchesCertificate, true);
    assert.equal((ivanFacts as { keyMatchesCertificate?: boolean }).keyMatchesCertificate, true);
    assert.deepEqual(parsed.meta?.tlsCertificates, [
      // No cert-manager annotation on these Secrets: recorded as none (issue 20: v1.1.1 compares them).
      { namespace: "default", certificate: "wonder-app-cert", secretName: "wonder-app-cert", ...wonder, annotations: {} },
      { namespace: "test", certificate: "ivan-test-cert", secretName: "ivan-test-cert", ...ivanFacts, annotations: {} },
    ]);
    // Since issue 12: each ACME issuer's account key, its PEM block type only.
    assert.deepEqual(parsed.meta?.acmeAccountKeys, [
      { issuerKind: "ClusterIssuer", issuerNamespace: "", issuer: "letsencrypt-prod", secretNamespace: "kube-system", secretName: "cert-manager-setup-production-private-key", key: "tls.key", secretExists: true, keyPresent: true, keyType: "RSA PRIVATE KEY" },
      { issuerKind: "ClusterIssuer", issuerNamespace: "", issuer: "letsencrypt-staging", secretNamespace: "kube-system", secretName: "cert-manager-setup-staging-private-key", key: "tls.key", secretExists: true, keyPresent: true },
    ]);
    // And plan --json says what 0.6.2 will do with them: wonder-app-cert's certificate carries one DNS
    // name more (www.) than its spec asks for, so 0.6.2 issues it anew; ivan-test-cert's matches; the
    // staging account key (no PEM) leaves that issuer not Ready, registering nothing.
    const plan = await runScript("plan", ["--backup", file, "--json"]);
    assert.equal(plan.code, 0, plan.output);
    const json = JSON.parse(plan.stdout) as { reissues: unknown[]; reissuesUnknown: unknown[]; warnings: Array<{ object: string; message: string }> };
    assert.deepEqual(json.reissues, [{
      kind: "Certificate", namespace: "default", name: "wonder-app-cert", what: "certificate",
      reason: "the certificate's DNS names [wonder-app.example.com, www.wonder-app.example.com] are not the spec's [wonder-app.example.com] (the common name counts as one)",
    }]);
    assert.deepEqual(json.reissuesUnknown, []);
    assert.ok(json.warnings.some((w) => w.object === "plan" && w.message === "1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager 0.6.2 (default/wonder-app-cert)"));
    assert.ok(json.warnings.some((w) => w.object === "ClusterIssuer/letsencrypt-staging" && /will not be Ready after the upgrade: .*holds no PEM block/.test(w.message)));
    const planText = await runScript("plan", ["--backup", file]);
    assert.match(planText.stdout, /^plan: 1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager 0\.6\.2 \(default\/wonder-app-cert\)$/m);
    // The expiry window: the controller's flag, as the stack's extraArgs would set it (both certificates have 90 days).
    const window = await runScript("plan", ["--backup", file, "--json", "--renew-before-expiry-duration", "2200h"]);
    assert.deepEqual((JSON.parse(window.stdout) as { reissues: Array<{ name: string }> }).reissues.map((r) => r.name), ["wonder-app-cert", "ivan-test-cert"]);
    const usage = await runScript("plan", ["--backup", file, "--renew-before-expiry-duration", "30d"]);
    assert.equal(usage.code, 2, usage.output);
    const text = fs.readFileSync(file, "utf8") + result.output;
    for (const pem of [issued.key, issued.crt, ivan.key, ivan.crt]) {
      for (const line of bodyLines(pem)) assert.ok(!text.includes(line), "a certificate or key body line in the backup or its output");
      assert.ok(!text.includes(b64(pem).slice(8, 40)), "a certificate or key (base64) in the backup or its output");
    }
  });

  test("verify passes with the backed-up certificate and fails, naming it, once it is replaced", async () => {
    const { file } = await seedBackup();
    const [same, replaced] = await Promise.all([upgraded(file), upgraded(file, { wonder: reissued })]);
    const [ok, bad] = await Promise.all([
      runScript("verify", ["--kubeconfig", same.kubeconfig, "--backup", file, "--allow-pending"]),
      runScript("verify", ["--kubeconfig", replaced.kubeconfig, "--backup", file, "--allow-pending"]),
    ]);
    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.stdout, /^verify: all 4 objects and 3 copied secrets are as in the backup$/m);
    assert.equal(bad.code, 1, bad.output);
    const lines = differenceLines(bad);
    assert.equal(lines.length, 1, bad.stdout);
    assert.match(lines[0], /^DIFFERENCE Certificate\/default\/wonder-app-cert: TLS certificate in Secret wonder-app-cert replaced since the backup .*it was re-issued$/);
    assert.match(bad.stdout, /^default\s+Certificate\s+wonder-app-cert\s.*replaced since the backup/m);
    for (const pem of [issued.key, reissued.key, issued.crt, reissued.crt]) {
      for (const line of bodyLines(pem)) assert.ok(!bad.output.includes(line), "verify printed a certificate or key");
    }
  });

  test("verify finds the webhook's objects under --release-name", async () => {
    const { file } = await seedBackup();
    const { kubeconfig } = await upgraded(file, { releaseName: "cm06" });
    const [named, unnamed] = await Promise.all([
      runScript("verify", ["--kubeconfig", kubeconfig, "--backup", file, "--allow-pending", "--release-name", "cm06"]),
      runScript("verify", ["--kubeconfig", kubeconfig, "--backup", file, "--allow-pending"]),
    ]);
    assert.equal(named.code, 0, named.output);
    assert.match(named.stdout, /^cert-manager\s+Certificate\s+cm06-webhook-webhook-tls\s/m);
    assert.equal(unnamed.code, 1, unnamed.output);
    assert.deepEqual(differenceLines(unnamed).map((l) => l.split(":")[0]), [
      "DIFFERENCE Issuer/cert-manager/cert-manager-webhook-selfsign",
      "DIFFERENCE Issuer/cert-manager/cert-manager-webhook-ca",
      "DIFFERENCE Certificate/cert-manager/cert-manager-webhook-ca",
      "DIFFERENCE Certificate/cert-manager/cert-manager-webhook-webhook-tls",
    ]);
  });

  test("verify accepts a Secret listed with --expect-missing (expectedMissingSecrets), and only a known one", async () => {
    const { file } = await seedBackup();
    const { kubeconfig } = await upgraded(file, { skipCopy: ["cert-manager-setup-staging-private-key"] });
    const [listed, unlisted, unknown] = await Promise.all([
      runScript("verify", ["--kubeconfig", kubeconfig, "--backup", file, "--allow-pending", "--expect-missing", "cert-manager-setup-staging-private-key"]),
      runScript("verify", ["--kubeconfig", kubeconfig, "--backup", file, "--allow-pending"]),
      runScript("verify", ["--kubeconfig", kubeconfig, "--backup", file, "--allow-pending", "--expect-missing", "no-such-secret"]),
    ]);
    assert.equal(listed.code, 0, listed.output);
    assert.match(listed.stdout, /^note: Secret\/cert-manager\/cert-manager-setup-staging-private-key: not copied: listed as expected missing/m);
    assert.equal(unlisted.code, 1, unlisted.output);
    assert.deepEqual(differenceLines(unlisted), ["DIFFERENCE Secret/cert-manager/cert-manager-setup-staging-private-key: not copied from kube-system"]);
    assert.equal(unknown.code, 2, unknown.output);
    assert.match(unknown.stderr, /^verify: --expect-missing names no-such-secret, which no ClusterIssuer of the backup references/m);
  });

  // Issue 12: with a controller that reports Ready, verify runs without --allow-pending.
  test("verify without --allow-pending: Ready as before passes, ivan-test-cert may stay not Ready and is pointed at explain", async () => {
    const { file } = await seedBackup();
    const { api, kubeconfig } = await upgraded(file);
    const parsed = parseBackup(fs.readFileSync(file));
    // What the controller reports after the upgrade: each object's Ready as before, the webhook's objects Ready.
    for (const item of buildRestorePlan(parsed).restore) {
      const before = parsed.objects.find((o) => objectLabel(o) === objectLabel(item))!.object;
      api.addObject({ ...item.object, status: before.status });
    }
    for (const w of webhookObjects("cert-manager")) {
      api.addObject(w.kind === "Certificate" ? certificate("cert-manager", w.name, { name: "x" }, w.name, { status: readyStatus("True") }) : cm("Issuer", w.name, "cert-manager", { selfSigned: {} }, { status: readyStatus("True") }));
    }
    const good = await runScript("verify", ["--kubeconfig", kubeconfig, "--backup", file]);
    assert.equal(good.code, 0, good.output);
    assert.match(good.stdout, /^explain: Certificate test\/ivan-test-cert is not Ready: `npm run explain -- --certificate test\/ivan-test-cert --kubeconfig .*` shows why$/m);
    assert.doesNotMatch(good.stdout, /explain: Certificate default\/wonder-app-cert/);

    api.addObject({ ...buildRestorePlan(parsed).restore.find((r) => r.name === "wonder-app-cert")!.object, status: readyStatus("False", "Failed", "order failed") });
    const bad = await runScript("verify", ["--kubeconfig", kubeconfig, "--backup", file]);
    assert.equal(bad.code, 1, bad.output);
    assert.match(bad.stdout, /^DIFFERENCE Certificate\/default\/wonder-app-cert: Ready False \(was True before\)$/m);
    assert.match(bad.stdout, /^explain: Certificate default\/wonder-app-cert is not Ready/m);
  });

  test("a format-1 backup still verifies, and verify says it cannot see a re-issue", async () => {
    const { file } = await seedBackup();
    const text = fs.readFileSync(file, "utf8");
    const at = text.indexOf(META_PREFIX);
    const meta = JSON.parse(text.slice(at + META_PREFIX.length)) as BackupMeta;
    delete meta.tlsCertificates;
    delete meta.acmeAccountKeys; // a real format-1 backup has neither
    const oldFile = path.join(path.dirname(file), "format-1.yaml");
    fs.writeFileSync(oldFile, text.slice(0, at) + metaLine({ ...meta, format: "cert-manager-upgrade/backup@1" }));
    const { kubeconfig } = await upgraded(oldFile, { wonder: reissued });
    const result = await runScript("verify", ["--kubeconfig", kubeconfig, "--backup", oldFile, "--allow-pending"]);
    assert.equal(result.code, 0, result.output);
    assert.match(result.stdout, /^note: .*format-1\.yaml records no certificate fingerprints .*a re-issued certificate cannot be detected/m);
  });
});
