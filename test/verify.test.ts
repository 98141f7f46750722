import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { KubeObject, objectLabel } from "../lib/types";
import { planForTarget, targetWiring } from "../lib/targets";
import { TlsCertificateRecord } from "../lib/tls-facts";
import { LiveState, VerifyOptions, WEBHOOK_OBJECTS, fieldsThatDiffer, verifyAgainstBackup } from "../lib/verify";
import { cm, ownBackup, readyStatus, seedBytes } from "./support/fixtures";

const parsed = parseBackup(seedBytes(), "seed.yaml");
const plan = buildRestorePlan(parsed);
const OPTIONS: VerifyOptions = { namespace: "cert-manager", allowPending: false };

/** The cluster as after a good upgrade: every object back (as restored, Ready as before), secrets copied, webhook up. */
function goodLive(): LiveState {
  const objects = new Map<string, KubeObject>();
  for (const item of plan.restore) {
    const before = parsed.objects.find((o) => objectLabel(o) === objectLabel(item))!.object;
    const live = structuredClone(item.object);
    live.metadata = { ...live.metadata, uid: "new-uid", resourceVersion: "1", labels: { ...live.metadata?.labels, "extra-label": "added-later" } };
    live.status = structuredClone(before.status);
    objects.set(objectLabel(item), live);
  }
  for (const w of WEBHOOK_OBJECTS) {
    objects.set(objectLabel({ kind: w.kind, namespace: "cert-manager", name: w.name }), cm(w.kind, w.name, "cert-manager", w.kind === "Certificate" ? { secretName: w.name } : { selfSigned: {} }, { status: readyStatus("True") }));
  }
  return {
    objects,
    tlsSecrets: new Map([["default/wonder-app-cert", { notAfter: "2019-05-29T04:53:40Z" }], ["test/ivan-test-cert", {}]]),
    copiedSecrets: new Map(plan.secretsToCopy.map((s) => [s.name, { present: true, sameAsSource: true }])),
    webhookEnabled: true,
  };
}

function differences(live: LiveState, options = OPTIONS): string[] {
  return verifyAgainstBackup(plan, parsed.objects, live, options).differences.map((d) => `${d.object}: ${d.message}`);
}

describe("verifyAgainstBackup", () => {
  test("a good upgrade has no differences, and the rows say so", () => {
    const report = verifyAgainstBackup(plan, parsed.objects, goodLive(), OPTIONS);
    assert.deepEqual(report.differences, []);
    assert.equal(report.rows.length, plan.restore.length + WEBHOOK_OBJECTS.length);
    const wonder = report.rows.find((r) => r.name === "wonder-app-cert")!;
    assert.deepEqual(wonder, { namespace: "default", kind: "Certificate", name: "wonder-app-cert", ready: "True → True", secret: "wonder-app-cert", notAfter: "2019-05-29T04:53:40Z", check: "ok" });
    assert.equal(report.rows.find((r) => r.name === "ivan-test-cert")!.ready, "False → False");
    assert.equal(report.rows.find((r) => r.name === "letsencrypt-prod")!.namespace, "-");
  });

  test("renewals that do not work are differences (issue 20): the newest Order errored, or due with no valid Order since; with no Orders read, not checked", () => {
    const live = goodLive();
    live.tlsSecrets.set("default/wonder-app-cert", { notBefore: "2019-02-28T04:53:40Z", notAfter: "2019-05-29T04:53:40Z" });
    const at = { ...OPTIONS, now: new Date("2019-05-20T00:00:00Z") };
    assert.deepEqual(differences(live, at), [], "Orders not read (a cluster without them): nothing to say");
    live.orders = [];
    assert.deepEqual(differences(live, at), [
      "Certificate/default/wonder-app-cert: not renewed: inside its renewal window since 2019-04-29T04:53:40Z and no valid ACME Order since (no Order for it exists); the certificate expires at 2019-05-29T04:53:40Z",
    ]);
    live.orders = [{ apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Order", metadata: { name: "wonder-app-cert-1", namespace: "default", creationTimestamp: "2019-05-01T00:00:00Z", labels: { "acme.cert-manager.io/certificate-name": "wonder-app-cert" } }, status: { state: "errored", reason: "Method not allowed" } }];
    const report = verifyAgainstBackup(plan, parsed.objects, live, at);
    assert.equal(report.rows.find((r) => r.name === "wonder-app-cert")!.check, "not renewing: its newest ACME Order wonder-app-cert-1 ended errored: Method not allowed; the certificate expires at 2019-05-29T04:53:40Z");
    live.orders[0].status = { state: "valid" };
    assert.deepEqual(differences(live, at), []);
    // Before its window it is not due: no Order needed.
    live.orders = [];
    assert.deepEqual(differences(live, { ...OPTIONS, now: new Date("2019-04-01T00:00:00Z") }), []);
  });

  test("a missing object", () => {
    const live = goodLive();
    live.objects.delete("Certificate/default/wonder-app-cert");
    assert.deepEqual(differences(live), ["Certificate/default/wonder-app-cert: not in the cluster"]);
    const row = verifyAgainstBackup(plan, parsed.objects, live, OPTIONS).rows.find((r) => r.name === "wonder-app-cert")!;
    assert.equal(row.check, "MISSING");
  });

  test("a spec that differs", () => {
    const live = goodLive();
    (live.objects.get("ClusterIssuer/letsencrypt-prod")!.spec!.acme as { email: string }).email = "someone-else@example.com";
    assert.deepEqual(differences(live), ["ClusterIssuer/letsencrypt-prod: spec differs (spec.acme.email)"]);
  });

  test("ownerReferences that differ, or are gone", () => {
    const live = goodLive();
    live.objects.get("Certificate/test/ivan-test-cert")!.metadata!.ownerReferences![0].uid = "another-ingress-uid";
    assert.deepEqual(differences(live), ["Certificate/test/ivan-test-cert: ownerReferences differ"]);
    delete live.objects.get("Certificate/test/ivan-test-cert")!.metadata!.ownerReferences;
    assert.deepEqual(differences(live), ["Certificate/test/ivan-test-cert: ownerReferences differ"]);
  });

  test("a label of the backup that is gone", () => {
    const live = goodLive();
    delete live.objects.get("ClusterIssuer/letsencrypt-staging")!.metadata!.labels!.app;
    assert.deepEqual(differences(live), ["ClusterIssuer/letsencrypt-staging: labels differ"]);
  });

  test("Ready True before and False now is a difference", () => {
    const live = goodLive();
    live.objects.get("Certificate/default/wonder-app-cert")!.status = readyStatus("False", "Failed", "order failed");
    assert.deepEqual(differences(live), ["Certificate/default/wonder-app-cert: Ready False (was True before)"]);
    // --allow-pending does not excuse an actual False.
    assert.deepEqual(differences(live, { ...OPTIONS, allowPending: true }), ["Certificate/default/wonder-app-cert: Ready False (was True before)"]);
  });

  test("Ready True before and not reported now is a difference unless pending is allowed", () => {
    const live = goodLive();
    delete live.objects.get("Certificate/default/wonder-app-cert")!.status;
    assert.deepEqual(differences(live), ["Certificate/default/wonder-app-cert: not Ready yet (was Ready before)"]);
    const report = verifyAgainstBackup(plan, parsed.objects, live, { ...OPTIONS, allowPending: true });
    assert.deepEqual(report.differences, []);
    assert.deepEqual(report.notes.map((n) => n.object), ["Certificate/default/wonder-app-cert"]);
    assert.equal(report.rows.find((r) => r.name === "wonder-app-cert")!.ready, "True → pending");
  });

  test("a certificate that was not Ready before may stay not Ready", () => {
    const live = goodLive();
    delete live.objects.get("Certificate/test/ivan-test-cert")!.status;
    live.tlsSecrets.delete("test/ivan-test-cert");
    assert.deepEqual(differences(live), []);
  });

  test("the TLS Secret of a certificate that was Ready is gone", () => {
    const live = goodLive();
    live.tlsSecrets.delete("default/wonder-app-cert");
    assert.deepEqual(differences(live), ["Certificate/default/wonder-app-cert: TLS Secret wonder-app-cert is gone"]);
  });

  test("a copied Secret that is missing, or differs from its source", () => {
    const live = goodLive();
    live.copiedSecrets.set("clouddns-service-account", { present: false, sameAsSource: undefined });
    live.copiedSecrets.set("cert-manager-setup-production-private-key", { present: true, sameAsSource: false });
    assert.deepEqual(differences(live), [
      "Secret/cert-manager/cert-manager-setup-production-private-key: differs from kube-system/cert-manager-setup-production-private-key",
      "Secret/cert-manager/clouddns-service-account: not copied from kube-system",
    ]);
    // The source already cleaned up (step 11): nothing to compare with, not a difference.
    live.copiedSecrets.set("cert-manager-setup-production-private-key", { present: true, sameAsSource: undefined });
    live.copiedSecrets.set("clouddns-service-account", { present: true, sameAsSource: undefined });
    assert.deepEqual(differences(live), []);
  });

  test("the webhook's own objects are required only when the webhook is enabled", () => {
    const live = goodLive();
    live.objects.delete("Certificate/cert-manager/cert-manager-webhook-webhook-tls");
    live.objects.delete("Issuer/cert-manager/cert-manager-webhook-ca");
    assert.deepEqual(differences(live).map((d) => d.split(":")[0]), ["Issuer/cert-manager/cert-manager-webhook-ca", "Certificate/cert-manager/cert-manager-webhook-webhook-tls"]);
    live.webhookEnabled = false;
    assert.deepEqual(differences(live), []);
    const rows = verifyAgainstBackup(plan, parsed.objects, live, OPTIONS).rows;
    assert.ok(!rows.some((r) => r.name.startsWith("cert-manager-webhook")));
  });

  test("the webhook objects are looked up in the configured namespace", () => {
    const live = goodLive();
    assert.equal(differences(live, { ...OPTIONS, namespace: "certs" }).length, WEBHOOK_OBJECTS.length);
  });

  test("Secrets already where 0.6 reads them (clusterResourceNamespace = legacy namespace): present there, not compared with themselves", () => {
    const inPlace = buildRestorePlan(parsed, { legacyNamespace: "kube-system", namespace: "cert-manager", clusterResourceNamespace: "kube-system" });
    const live = goodLive();
    live.copiedSecrets = new Map(inPlace.secretsInPlace.map((s) => [s.name, { present: true, sameAsSource: undefined }]));
    assert.deepEqual(verifyAgainstBackup(inPlace, parsed.objects, live, OPTIONS).differences, []);
    live.copiedSecrets.set("clouddns-service-account", { present: false, sameAsSource: undefined });
    assert.deepEqual(verifyAgainstBackup(inPlace, parsed.objects, live, OPTIONS).differences.map((d) => `${d.object}: ${d.message}`), [
      "Secret/kube-system/clouddns-service-account: missing from kube-system, where cert-manager 0.6 reads it (ClusterIssuer/letsencrypt-prod spec.acme.dns01.providers[0].clouddns.serviceAccountSecretRef)",
    ]);
  });

  test("copies made to clusterResourceNamespace are looked for there", () => {
    const elsewhere = buildRestorePlan(parsed, { legacyNamespace: "kube-system", namespace: "cert-manager", clusterResourceNamespace: "cm-resources" });
    const live = goodLive();
    live.copiedSecrets.set("clouddns-service-account", { present: false, sameAsSource: undefined });
    assert.deepEqual(verifyAgainstBackup(elsewhere, parsed.objects, live, OPTIONS).differences.map((d) => d.object), ["Secret/cm-resources/clouddns-service-account"]);
  });

  // Issue 12: verify without --allow-pending against the real controller.
  test("the webhook's own issuers and certificates must be Ready (pending allowed only with --allow-pending)", () => {
    const live = goodLive();
    const ca = "Certificate/cert-manager/cert-manager-webhook-ca";
    live.objects.get(ca)!.status = readyStatus("False", "NotFound", "Certificate does not exist");
    assert.deepEqual(differences(live), [`${ca}: Ready False (the 0.6 webhook's own object)`]);
    delete live.objects.get(ca)!.status;
    assert.deepEqual(differences(live), [`${ca}: not Ready yet (the 0.6 webhook's own object)`]);
    const pending = verifyAgainstBackup(plan, parsed.objects, live, { ...OPTIONS, allowPending: true });
    assert.deepEqual(pending.differences, []);
    assert.ok(pending.notes.some((n) => n.object === ca && /not reported Ready yet/.test(n.message)));
  });

  test("certificates not Ready now are listed for `npm run explain`: the seed's ivan-test-cert, not wonder-app-cert", () => {
    const live = goodLive();
    assert.deepEqual(verifyAgainstBackup(plan, parsed.objects, live, OPTIONS).notReady, ["test/ivan-test-cert"]);
    live.objects.get("Certificate/default/wonder-app-cert")!.status = readyStatus("False", "Failed", "order failed");
    assert.deepEqual(verifyAgainstBackup(plan, parsed.objects, live, OPTIONS).notReady, ["default/wonder-app-cert", "test/ivan-test-cert"]);
  });
});

// Issue 19, item 8: the controller writes the whole object back through its Go types (no status
// subresource): zero values of fields declared without omitempty appear, durations come back in Go's
// canonical form. Verify must not call that a difference, and must still name a real one.
describe("verify compares specs as the controller means them", () => {
  const vault = cm("Issuer", "vault-issuer", "team-a", {
    vault: { server: "https://vault.example.com:8200", path: "pki/sign/team-a", auth: { tokenSecretRef: { name: "vault-token", key: "token" } } },
  }, { status: readyStatus("True") });
  const web = cm("Certificate", "web", "team-a", { secretName: "web-tls", dnsNames: ["web.example.com"], issuerRef: { name: "vault-issuer" }, renewBefore: "2000h" }, { status: readyStatus("True") });
  const backup = parseBackup(ownBackup([vault, web]).text, "b.yaml");
  const restorePlan = buildRestorePlan(backup);

  type VaultSpec = { server: string; auth: Record<string, unknown> };
  type CertificateSpec = { dnsNames: string[]; renewBefore: string };

  /** verify's differences once the restored objects, Ready, are changed by `edit`. */
  function check(edit: (vault: VaultSpec, web: CertificateSpec) => void): string[] {
    const objects = new Map(restorePlan.restore.map((item) => [objectLabel(item), { ...structuredClone(item.object), status: readyStatus("True") }]));
    edit(objects.get("Issuer/team-a/vault-issuer")!.spec!.vault as VaultSpec, objects.get("Certificate/team-a/web")!.spec as CertificateSpec);
    const live: LiveState = { objects, tlsSecrets: new Map([["team-a/web-tls", {}]]), copiedSecrets: new Map(), webhookEnabled: false };
    return verifyAgainstBackup(restorePlan, backup.objects, live, OPTIONS).differences.map((d) => `${d.object}: ${d.message}`);
  }

  test("renewBefore read back as 2000h0m0s (Go's canonical form of 2000h) is no difference", () => {
    assert.deepEqual(check((_v, w) => (w.renewBefore = "2000h0m0s")), []);
  });

  test("a Vault issuer written back with `auth.appRole` of empty strings is no difference", () => {
    assert.deepEqual(check((v) => (v.auth.appRole = { path: "", roleId: "", secretRef: { key: "", name: "" } })), []);
  });

  test("real differences are still reported, naming the field: dnsNames, a non-zero value, another duration, appRole set where the backup had none", () => {
    assert.deepEqual(check((_v, w) => (w.dnsNames = ["web.example.org"])), ["Certificate/team-a/web: spec differs (spec.dnsNames)"]);
    assert.deepEqual(check((v) => (v.server = "https://vault-2.example.com:8200")), ["Issuer/team-a/vault-issuer: spec differs (spec.vault.server)"]);
    assert.deepEqual(check((_v, w) => (w.renewBefore = "2h")), ["Certificate/team-a/web: spec differs (spec.renewBefore)"]);
    assert.deepEqual(check((v) => (v.auth.appRole = { path: "approle", roleId: "web", secretRef: { name: "vault-approle", key: "secretId" } })), ["Issuer/team-a/vault-issuer: spec differs (spec.vault.auth.appRole)"]);
  });
});

describe("verifyAgainstBackup for target v1.1.1 (cert-manager.io/v1 objects)", () => {
  const converted = planForTarget(targetWiring("v1.1.1"), plan, parsed.objects, { legacyNamespace: "kube-system" });
  const planV1 = converted.plan;
  const V1: VerifyOptions = { namespace: "cert-manager", allowPending: false, target: "v1.1.1" };
  const WONDER = "Certificate/default/wonder-app-cert";
  /** The backup's record of wonder-app-cert's certificate (backup format 2). */
  const RECORDED: TlsCertificateRecord[] = [{ namespace: "default", certificate: "wonder-app-cert", secretName: "wonder-app-cert", serial: "0A", sha256: "a".repeat(64), notAfter: "2019-05-29T04:53:40Z", dnsNames: ["wonder-app.example.com"] }];

  /** After a good upgrade to v1.1.1: every object back as converted, Ready as before, no webhook issuers. */
  function goodLiveV1(): LiveState {
    const objects = new Map<string, KubeObject>();
    for (const item of planV1.restore) {
      const before = parsed.objects.find((o) => objectLabel(o) === objectLabel(item))!.object;
      const live = structuredClone(item.object);
      live.metadata = { ...live.metadata, uid: "new-uid", resourceVersion: "1" };
      live.status = structuredClone(before.status);
      objects.set(objectLabel(item), live);
    }
    return {
      objects,
      tlsSecrets: new Map([["default/wonder-app-cert", { serial: "0A", sha256: "a".repeat(64), notBefore: "2019-02-28T04:53:40Z", notAfter: "2019-05-29T04:53:40Z" }], ["test/ivan-test-cert", {}]]),
      copiedSecrets: new Map(planV1.secretsToCopy.map((s) => [s.name, { present: true, sameAsSource: true }])),
      webhookEnabled: true,
      orders: [],
      certificateRequests: [],
    };
  }
  const diffs = (live: LiveState, options: VerifyOptions): string[] => verifyAgainstBackup(planV1, parsed.objects, live, options).differences.map((d) => `${d.object}: ${d.message}`);
  const beforeWindow = { ...V1, certificates: RECORDED, now: new Date("2019-04-01T00:00:00Z") };
  const inWindow = { ...V1, certificates: RECORDED, now: new Date("2019-05-20T00:00:00Z") };

  test("the plan compared is the backup converted (cert-manager.io/v1, no spec.acme on Certificates)", () => {
    assert.deepEqual(converted.refusals, []);
    const wonder = planV1.restore.find((r) => objectLabel(r) === WONDER)!.object;
    assert.equal(wonder.apiVersion, "cert-manager.io/v1");
    assert.equal(wonder.spec?.acme, undefined);
  });

  test("a good upgrade has no differences, and no row for the 0.6 webhook's issuers (v1.1.1's webhook has none)", () => {
    const report = verifyAgainstBackup(planV1, parsed.objects, goodLiveV1(), beforeWindow);
    assert.deepEqual(report.differences, []);
    assert.equal(report.rows.length, planV1.restore.length);
    assert.equal(report.rows.find((r) => r.name === "wonder-app-cert")!.ready, "True → True");
    // The same live state against the unconverted (0.6.2) plan is full of differences: the comparison is with the converted objects.
    assert.notDeepEqual(differences(goodLiveV1(), { ...OPTIONS, certificates: RECORDED, now: beforeWindow.now }), []);
  });

  test("a spec that differs from the converted one is named by field, compared as it is (no 0.6 write-back equivalence)", () => {
    const live = goodLiveV1();
    live.objects.get(WONDER)!.spec!.acme = { config: [] };
    (live.objects.get("ClusterIssuer/letsencrypt-prod")!.spec!.acme as { email: string }).email = "someone-else@example.com";
    assert.deepEqual(diffs(live, beforeWindow), [
      "ClusterIssuer/letsencrypt-prod: spec differs from the backup converted to cert-manager.io/v1 (spec.acme.email)",
      `${WONDER}: spec differs from the backup converted to cert-manager.io/v1 (spec.acme)`,
    ]);
    // The zero value v1.1.1 writes back for an absent preferredChain is no difference; another value is.
    const written = goodLiveV1();
    (written.objects.get("ClusterIssuer/letsencrypt-prod")!.spec!.acme as Record<string, unknown>).preferredChain = "";
    assert.deepEqual(diffs(written, beforeWindow), []);
    (written.objects.get("ClusterIssuer/letsencrypt-prod")!.spec!.acme as Record<string, unknown>).preferredChain = "ISRG Root X1";
    assert.deepEqual(diffs(written, beforeWindow), ["ClusterIssuer/letsencrypt-prod: spec differs from the backup converted to cert-manager.io/v1 (spec.acme.preferredChain)"]);
    assert.deepEqual(fieldsThatDiffer({ a: [{ b: 1 }, { c: [1] }], d: "x" }, { a: [{ b: 1 }, { c: [1, 2] }], e: "y" }), ["a[1].c", "d", "e"]);
  });

  test("Ready True before and False as v1.1.1 reports it is a difference; a label gone too", () => {
    const live = goodLiveV1();
    live.objects.get(WONDER)!.status = readyStatus("False", "Failed", "order failed");
    delete live.objects.get("ClusterIssuer/letsencrypt-staging")!.metadata!.labels!.app;
    assert.deepEqual(diffs(live, beforeWindow), [`ClusterIssuer/letsencrypt-staging: labels differ`, `${WONDER}: Ready False (was True before)`]);
  });

  test("a certificate replaced outside its renewal window was re-issued (a difference); inside it, renewed (said, not a difference)", () => {
    const live = goodLiveV1();
    live.tlsSecrets.set("default/wonder-app-cert", { serial: "0B", sha256: "b".repeat(64), notBefore: "2019-05-20T00:00:00Z", notAfter: "2019-08-18T00:00:00Z" });
    const outside = verifyAgainstBackup(planV1, parsed.objects, live, beforeWindow);
    assert.deepEqual(outside.differences.map((d) => d.object), [WONDER]);
    assert.match(outside.differences[0].message, /^TLS certificate in Secret wonder-app-cert replaced since the backup \(was serial 0A, .*; now serial 0B, .*\): it was re-issued$/);
    const inside = verifyAgainstBackup(planV1, parsed.objects, live, inWindow);
    assert.deepEqual(inside.differences, []);
    assert.equal(inside.rows.find((r) => r.name === "wonder-app-cert")!.secret, "wonder-app-cert (renewed)");
    assert.ok(inside.notes.some((n) => n.object === WONDER && /was serial 0A.*now serial 0B.*: renewed, the backed-up certificate being inside its renewal window/.test(n.message)), JSON.stringify(inside.notes));
    // 0.6.2 (the default) keeps calling any replaced certificate re-issued.
    const live062 = goodLive();
    live062.tlsSecrets.set("default/wonder-app-cert", { serial: "0B", sha256: "b".repeat(64), notAfter: "2019-08-18T00:00:00Z" });
    assert.match(differences(live062, { ...OPTIONS, certificates: RECORDED, now: inWindow.now }).join("\n"), /wonder-app-cert replaced since the backup .*: it was re-issued/);
  });

  test("renewal: v1.1.1's Orders found through their CertificateRequests (annotation cert-manager.io/certificate-name)", () => {
    const live = goodLiveV1();
    assert.deepEqual(diffs(live, inWindow), [`${WONDER}: not renewed: inside its renewal window since 2019-04-29T04:53:40Z and no valid ACME Order since (no Order for it exists); the certificate expires at 2019-05-29T04:53:40Z`]);
    live.certificateRequests = [{ apiVersion: "cert-manager.io/v1", kind: "CertificateRequest", metadata: { name: "wonder-app-cert-x7k2p", namespace: "default", annotations: { "cert-manager.io/certificate-name": "wonder-app-cert" } } }];
    const order = (state: string, created: string): KubeObject => ({ apiVersion: "acme.cert-manager.io/v1", kind: "Order", metadata: { name: "wonder-app-cert-x7k2p-1", namespace: "default", creationTimestamp: created,
      ownerReferences: [{ apiVersion: "cert-manager.io/v1", kind: "CertificateRequest", name: "wonder-app-cert-x7k2p", uid: "u" }] }, status: { state, reason: state === "errored" ? "boom" : "" } });
    live.orders = [order("valid", "2019-05-01T00:00:00Z")];
    assert.deepEqual(diffs(live, inWindow), [], "its renewal Order is valid");
    live.orders = [order("errored", "2019-05-01T00:00:00Z")];
    assert.deepEqual(diffs(live, inWindow), [`${WONDER}: not renewing: its newest ACME Order wonder-app-cert-x7k2p-1 ended errored: boom; the certificate expires at 2019-05-29T04:53:40Z`]);
    // 0.6.2's label alone does not name a v1 Order's Certificate.
    live.certificateRequests = [];
    live.orders = [{ ...order("valid", "2019-05-01T00:00:00Z"), metadata: { name: "o", namespace: "default", creationTimestamp: "2019-05-01T00:00:00Z", labels: { "acme.cert-manager.io/certificate-name": "wonder-app-cert" } } }];
    assert.match(diffs(live, inWindow).join("\n"), /not renewed: .*no Order for it exists/);
    // Renewed: the Secret holds a certificate outside its window, whatever the Orders say.
    live.orders = [];
    live.tlsSecrets.set("default/wonder-app-cert", { serial: "0B", sha256: "b".repeat(64), notBefore: "2019-05-20T00:00:00Z", notAfter: "2019-08-18T00:00:00Z" });
    assert.deepEqual(diffs(live, inWindow), []);
  });
});
