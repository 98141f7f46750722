import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { ParsedBackup, parseBackup } from "../lib/backup-format";
import { buildRestorePlan, planToJson, RestorePlan } from "../lib/plan";
import { cannotRenewWarning } from "../lib/renewal-0.6.2";
import { BackupMeta, KubeObject } from "../lib/types";
import { certificate, cm, docs, ownBackup, readyStatus, seedBytes } from "./support/fixtures";

const ACME_V2 = "https://acme-v02.api.letsencrypt.org/directory";

function planOf(...objects: KubeObject[]): RestorePlan {
  return buildRestorePlan(parseBackup(docs(...objects), "test.yaml"));
}

function warningsFor(plan: RestorePlan, object: string): string[] {
  return plan.warnings.filter((w) => w.object === object).map((w) => w.message);
}

function withMeta(objects: KubeObject[], meta: Partial<BackupMeta>): ParsedBackup {
  const parsed = parseBackup(ownBackup(objects, meta).text, "own.yaml");
  assert.deepEqual(parsed.errors, []);
  return parsed;
}

describe("restore order", () => {
  test("ClusterIssuers, then Issuers, then Certificates, whatever the file order", () => {
    const plan = planOf(
      certificate("b", "cert-2", { name: "iss" }),
      cm("Issuer", "iss", "b", { selfSigned: {} }),
      certificate("a", "cert-1", { kind: "ClusterIssuer", name: "ci-z" }),
      cm("ClusterIssuer", "ci-z", undefined, { selfSigned: {} }),
      cm("Issuer", "iss", "a", { selfSigned: {} }),
      cm("ClusterIssuer", "ci-a", undefined, { selfSigned: {} }),
    );
    assert.equal(plan.valid, true);
    assert.deepEqual(plan.restore.map((r) => `${r.kind}/${r.namespace}/${r.name}`), [
      "ClusterIssuer//ci-a",
      "ClusterIssuer//ci-z",
      "Issuer/a/iss",
      "Issuer/b/iss",
      "Certificate/a/cert-1",
      "Certificate/b/cert-2",
    ]);
  });

  test("the seed in reverse file order restores ClusterIssuers first", () => {
    const items = parseBackup(seedBytes()).objects.map((o) => o.object).reverse();
    const plan = planOf(...items);
    assert.deepEqual(plan.restore.map((r) => r.kind), ["ClusterIssuer", "ClusterIssuer", "Certificate", "Certificate"]);
  });

  test("restored objects are sanitized: no status, no server fields", () => {
    const plan = buildRestorePlan(parseBackup(seedBytes()));
    for (const item of plan.restore) {
      assert.ok(!("status" in item.object), `${item.name} keeps status`);
      assert.equal(item.object.metadata?.uid, undefined);
      assert.equal(item.object.metadata?.resourceVersion, undefined);
    }
    const ivan = plan.restore.find((r) => r.name === "ivan-test-cert")!;
    assert.equal(ivan.object.metadata?.ownerReferences?.[0].uid, "202bc781-3b1d-11e9-9fb0-02096e167e86");
  });
});

describe("warnings", () => {
  test("a Certificate not Ready before the upgrade (the seed's ivan-test-cert)", () => {
    const plan = buildRestorePlan(parseBackup(seedBytes()));
    assert.equal(plan.valid, true);
    const ivan = warningsFor(plan, "Certificate/test/ivan-test-cert");
    assert.equal(ivan.length, 1);
    assert.match(ivan[0], /not Ready before the upgrade \(InvalidConfig: ACME server does not allow selected challenge type/);
    assert.deepEqual(warningsFor(plan, "Certificate/default/wonder-app-cert"), []);
    // The seed has no other reason to warn.
    assert.deepEqual(plan.warnings.map((w) => w.object), ["Certificate/test/ivan-test-cert"]);
  });

  test("a DNS provider secret ref without a key", () => {
    const plan = planOf(cm("ClusterIssuer", "dns", undefined, {
      acme: {
        server: ACME_V2,
        privateKeySecretRef: { name: "acct" }, // no key needed here
        dns01: { providers: [
          { name: "cf", cloudflare: { email: "a@example.com", apiKeySecretRef: { name: "cf-key" } } },
          { name: "gcp", clouddns: { project: "p", serviceAccountSecretRef: { name: "sa", key: "sa.json" } } },
        ] },
      },
    }));
    const warnings = warningsFor(plan, "ClusterIssuer/dns");
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /spec\.acme\.dns01\.providers\[0\]\.cloudflare\.apiKeySecretRef names Secret cf-key without a key/);
    assert.equal(plan.valid, true);
  });

  test("ACME v1 server URLs, production and staging; v2 URLs are fine", () => {
    const plan = planOf(
      cm("ClusterIssuer", "v1-prod", undefined, { acme: { server: "https://acme-v01.api.letsencrypt.org/directory", privateKeySecretRef: { name: "k1" } } }),
      cm("Issuer", "v1-staging", "apps", { acme: { server: "https://acme-staging.api.letsencrypt.org/directory", privateKeySecretRef: { name: "k2" } } }),
      cm("ClusterIssuer", "v2-prod", undefined, { acme: { server: ACME_V2, privateKeySecretRef: { name: "k3" } } }),
      cm("ClusterIssuer", "v2-staging", undefined, { acme: { server: "https://acme-staging-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "k4" } } }),
    );
    assert.match(warningsFor(plan, "ClusterIssuer/v1-prod").join(), /ACME v1 server https:\/\/acme-v01\.api\.letsencrypt\.org\/directory/);
    assert.match(warningsFor(plan, "Issuer/apps/v1-staging").join(), /ACME v1 server https:\/\/acme-staging\.api\.letsencrypt\.org\/directory/);
    assert.deepEqual(warningsFor(plan, "ClusterIssuer/v2-prod"), []);
    assert.deepEqual(warningsFor(plan, "ClusterIssuer/v2-staging"), []);
  });

  test("a Certificate whose Issuer (default kind) or ClusterIssuer is not in the backup", () => {
    const plan = planOf(
      cm("Issuer", "present", "apps", { selfSigned: {} }),
      cm("ClusterIssuer", "present-ci", undefined, { selfSigned: {} }),
      certificate("apps", "ok-issuer", { name: "present" }),
      certificate("apps", "ok-cluster", { kind: "ClusterIssuer", name: "present-ci" }),
      certificate("apps", "no-issuer", { name: "absent" }),
      certificate("other", "wrong-ns", { name: "present" }), // Issuers are looked up in the Certificate's namespace
      certificate("apps", "no-cluster", { kind: "ClusterIssuer", name: "present" }), // an Issuer of that name does not count
    );
    assert.deepEqual(warningsFor(plan, "Certificate/apps/ok-issuer"), []);
    assert.deepEqual(warningsFor(plan, "Certificate/apps/ok-cluster"), []);
    assert.match(warningsFor(plan, "Certificate/apps/no-issuer").join(), /its Issuer absent is not in the backup/);
    assert.match(warningsFor(plan, "Certificate/other/wrong-ns").join(), /its Issuer present is not in the backup/);
    assert.match(warningsFor(plan, "Certificate/apps/no-cluster").join(), /its ClusterIssuer present is not in the backup/);
    assert.equal(plan.valid, true);
  });

  test("a Certificate whose TLS Secret was missing at backup time", () => {
    const parsed = withMeta(
      [cm("ClusterIssuer", "ci", undefined, { selfSigned: {} }), certificate("apps", "gone", { kind: "ClusterIssuer", name: "ci" }, "gone-tls"), certificate("apps", "kept", { kind: "ClusterIssuer", name: "ci" }, "kept-tls")],
      { missingTlsSecrets: ["apps/gone-tls"] },
    );
    const plan = buildRestorePlan(parsed);
    assert.match(warningsFor(plan, "Certificate/apps/gone").join(), /TLS Secret apps\/gone-tls did not exist at backup time: it will be issued anew/);
    assert.deepEqual(warningsFor(plan, "Certificate/apps/kept"), []);
  });

  test("a referenced Secret that did not exist at backup time", () => {
    const parsed = withMeta(
      [
        cm("ClusterIssuer", "le", undefined, { acme: { server: ACME_V2, privateKeySecretRef: { name: "acct-key" }, dns01: { providers: [{ name: "gcp", clouddns: { project: "p", serviceAccountSecretRef: { name: "sa", key: "k" } } }] } } }),
        cm("Issuer", "ca", "apps", { ca: { secretName: "ca-pair" } }),
      ],
      {
        secrets: [
          { namespace: "kube-system", name: "acct-key", exists: false, keys: [] },
          { namespace: "kube-system", name: "sa", exists: true, keys: ["k"] },
          { namespace: "apps", name: "ca-pair", exists: false, keys: [] },
        ],
      },
    );
    const plan = buildRestorePlan(parsed);
    const le = warningsFor(plan, "ClusterIssuer/le");
    assert.equal(le.length, 1);
    // Since issue 12 this is one of the predictions (lib/reissue-prediction.ts), worded as 0.6.2 acts.
    assert.match(le[0], /Secret kube-system\/acct-key \(spec\.acme\.privateKeySecretRef\) did not exist at backup time: 0\.6\.2 generates a new key and registers a NEW ACME account/);
    assert.match(warningsFor(plan, "Issuer/apps/ca").join(), /Secret apps\/ca-pair \(spec\.ca\.secretName\) did not exist at backup time/);
    const copies = Object.fromEntries(plan.secretsToCopy.map((s) => [s.name, s.existedAtBackup]));
    assert.deepEqual(copies, { "acct-key": false, sa: true });
  });

  test("Ready Unknown and issuers not ready also warn; Ready True does not", () => {
    const plan = planOf(
      cm("ClusterIssuer", "bad", undefined, { selfSigned: {} }, { status: readyStatus("False", "ErrRegisterACMEAccount", "boom") }),
      cm("ClusterIssuer", "good", undefined, { selfSigned: {} }, { status: readyStatus("True") }),
      certificate("a", "unknown", { kind: "ClusterIssuer", name: "good" }, "unknown", { status: readyStatus("Unknown", "Pending", "waiting") }),
    );
    assert.match(warningsFor(plan, "ClusterIssuer/bad").join(), /not Ready before the upgrade \(ErrRegisterACMEAccount: boom\)/);
    assert.deepEqual(warningsFor(plan, "ClusterIssuer/good"), []);
    assert.match(warningsFor(plan, "Certificate/a/unknown").join(), /not Ready before the upgrade/);
  });
});

describe("renewal after the upgrade (issue 20)", () => {
  test("every ACME issuer, and only those, is named: cert-manager 0.6.2 cannot renew against RFC 8555 servers", () => {
    const plan = buildRestorePlan(parseBackup(seedBytes()));
    const acmeIssuers = plan.restore.filter((r) => r.kind !== "Certificate" && r.object.spec?.acme).map((r) => `${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}`);
    assert.ok(acmeIssuers.length > 0);
    assert.deepEqual(plan.renewal.map((r) => r.object), acmeIssuers);
    for (const r of plan.renewal) assert.match(r.message, /cannot renew .*\(v1\.1\.1 is the newest that runs on Kubernetes 1\.15\)$/);
    assert.deepEqual(planOf(cm("ClusterIssuer", "ca", undefined, { ca: { secretName: "pair" } })).renewal, []);
  });
});

describe("planToJson", () => {
  test("has exactly the documented shape", () => {
    const parsed = parseBackup(docs(
      cm("ClusterIssuer", "le", undefined, { acme: { server: ACME_V2, privateKeySecretRef: { name: "acct" } } }),
      certificate("apps", "web", { kind: "ClusterIssuer", name: "le" }, "web-tls", { status: readyStatus("False", "Failed", "nope") }),
      { ...cm("Issuer", "x", "apps"), kind: "Bogus" },
    ), "p.yaml");
    const json = planToJson(buildRestorePlan(parsed));
    assert.deepEqual(json, {
      valid: false,
      restore: [
        { kind: "ClusterIssuer", namespace: "", name: "le" },
        { kind: "Certificate", namespace: "apps", name: "web" },
      ],
      secretsToCopy: [{ name: "acct", from: "kube-system", to: "cert-manager" }],
      // Since issue 12: a kubectl-style backup tells nothing of account keys (nor of TLS Secrets; apps/web
      // has no spec.acme, so 0.6.2 would issue nothing for it anyway).
      reissues: [],
      mayReissue: [],
      reissuesUnknown: [
        { kind: "ClusterIssuer", namespace: "", name: "le", what: "acme-account", reason: "the backup was not written by `npm run backup`: nothing is known of its account key Secret kube-system/acct (spec.acme.privateKeySecretRef); take the backup again with `npm run backup`" },
      ],
      renewal: [{ object: "ClusterIssuer/le", message: cannotRenewWarning(parsed.objects[0].object)! }],
      warnings: [{ object: "Certificate/apps/web", message: "not Ready before the upgrade (Failed: nope); it will not be Ready after it either" }],
      errors: [{ object: "Bogus/apps/x", message: "unknown certmanager.k8s.io kind Bogus: expected ClusterIssuer, Issuer, Certificate, Order or Challenge" }],
    });
    assert.deepEqual(Object.keys(json), ["valid", "restore", "secretsToCopy", "reissues", "mayReissue", "reissuesUnknown", "renewal", "warnings", "errors"]);
    // Survives a JSON round trip unchanged (no undefined, no class instances).
    assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  });

  test("the seed's plan", () => {
    const json = planToJson(buildRestorePlan(parseBackup(seedBytes()))) as { valid: boolean; restore: unknown[] };
    assert.equal(json.valid, true);
    assert.deepEqual(json.restore, [
      { kind: "ClusterIssuer", namespace: "", name: "letsencrypt-prod" },
      { kind: "ClusterIssuer", namespace: "", name: "letsencrypt-staging" },
      { kind: "Certificate", namespace: "default", name: "wonder-app-cert" },
      { kind: "Certificate", namespace: "test", name: "ivan-test-cert" },
    ]);
  });
});

describe("where ClusterIssuer Secrets go", () => {
  const parsed = () => parseBackup(docs(
    cm("ClusterIssuer", "le", undefined, { acme: { server: ACME_V2, privateKeySecretRef: { name: "acct" } } }),
    cm("Issuer", "ca", "kube-system", { ca: { secretName: "ca-pair" } }),
  ), "p.yaml");

  test("to clusterResourceNamespace when the chart values set it, else to the new namespace", () => {
    assert.deepEqual(buildRestorePlan(parsed(), { legacyNamespace: "kube-system", namespace: "cert-manager" }).secretsToCopy.map((s) => [s.name, s.from, s.to]), [["acct", "kube-system", "cert-manager"]]);
    const plan = buildRestorePlan(parsed(), { legacyNamespace: "kube-system", namespace: "cert-manager", clusterResourceNamespace: "cm-resources" });
    assert.deepEqual(plan.secretsToCopy.map((s) => [s.name, s.from, s.to]), [["acct", "kube-system", "cm-resources"]]);
    assert.deepEqual(plan.secretsInPlace, []);
    assert.deepEqual(planToJson(plan), { ...planToJson(plan), secretsToCopy: [{ name: "acct", from: "kube-system", to: "cm-resources" }] });
  });

  test("a Secret already where 0.6 reads it is not a copy: listed apart, with who uses it", () => {
    for (const options of [
      { legacyNamespace: "kube-system", namespace: "cert-manager", clusterResourceNamespace: "kube-system" },
      { legacyNamespace: "kube-system", namespace: "kube-system" },
    ]) {
      const plan = buildRestorePlan(parsed(), options);
      assert.deepEqual(plan.secretsToCopy, [], JSON.stringify(options));
      assert.deepEqual(plan.secretsInPlace.map((s) => [s.name, s.from, s.to, s.usedBy]), [["acct", "kube-system", "kube-system", ["ClusterIssuer/le spec.acme.privateKeySecretRef"]]]);
      assert.deepEqual((planToJson(plan) as { secretsInPlace: unknown }).secretsInPlace, [{ name: "acct", namespace: "kube-system" }]);
    }
  });
});
