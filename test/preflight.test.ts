import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { ClusterFacts } from "../lib/cluster";
import { buildRestorePlan } from "../lib/plan";
import { objectDigest } from "../lib/changes";
import { PreflightError, namespacesToInspect, planOptions, runPreflight, secretsToInspect } from "../lib/preflight";
import { parseSettings, Settings } from "../lib/settings";
import { objectLabel } from "../lib/types";
import { TEST_CLUSTER, cm, ownBackup, seedObjects } from "./support/fixtures";

const MODERN = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"];
const OLD = [...MODERN, "apps/v1beta1", "rbac.authorization.k8s.io/v1beta1", "batch/v1beta1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1", "extensions/v1beta1", "authorization.k8s.io/v1beta1"];

function settings(extra: Record<string, unknown> = {}): Settings {
  const raw: Record<string, string> = { "cert-manager-upgrade:backupFile": "backups/test/b.yaml" };
  for (const [k, v] of Object.entries(extra)) raw[`cert-manager-upgrade:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  return parseSettings(raw);
}

const SEED_LABELS = ["ClusterIssuer/letsencrypt-prod", "ClusterIssuer/letsencrypt-staging", "Certificate/default/wonder-app-cert", "Certificate/test/ivan-test-cert"];

function facts(over: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID,
    server: TEST_CLUSTER.server,
    serverVersion: "v1.12.10",
    servedApiVersions: OLD,
    legacy: { found: true, record: "helm2", chartVersion: "0.4.x", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] },
    liveObjects: SEED_LABELS,
    // The seed's objects as backed up: nothing changed since.
    liveObjectDigests: Object.fromEntries(seedObjects().map((o) => [objectLabel({ kind: o.kind!, namespace: o.kind === "ClusterIssuer" ? "" : o.metadata!.namespace!, name: o.metadata!.name! }), objectDigest(o.kind!, o)])),
    liveTlsSecrets: {},
    footprint: { crds: [], deployments: [] },
    secrets: {
      "kube-system/cert-manager-setup-production-private-key": true,
      "kube-system/cert-manager-setup-staging-private-key": true,
      "kube-system/clouddns-service-account": true,
    },
    ...over,
  };
}

function seedBackup() {
  const parsed = parseBackup(ownBackup(seedObjects()).text, "b.yaml");
  return { parsed, plan: buildRestorePlan(parsed) };
}

test("a good backup of this cluster passes, and says what to copy from where", () => {
  const { parsed, plan } = seedBackup();
  const result = runPreflight(settings(), parsed, plan, facts());
  assert.equal(result.crdApiVersion, "apiextensions.k8s.io/v1beta1");
  assert.deepEqual(result.secretCopies.map((s) => [s.name, s.readFrom, s.to]), [
    ["cert-manager-setup-production-private-key", "kube-system", "cert-manager"],
    ["cert-manager-setup-staging-private-key", "kube-system", "cert-manager"],
    ["clouddns-service-account", "kube-system", "cert-manager"],
  ]);
  assert.deepEqual(result.unservedApis, []);
});

test("each gate fails with its own name", () => {
  const { parsed, plan } = seedBackup();
  const fails = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: Error) => e instanceof PreflightError && pattern.test(e.message), String(pattern));

  fails(() => runPreflight(settings(), parsed, plan, facts({ kubeSystemUID: "someone-else" })), /^cluster identity check failed/);
  fails(() => runPreflight(settings(), parsed, plan, facts({ liveObjects: [...SEED_LABELS, "Certificate/new/made-after-backup"] })), /^backup coverage check failed: 1 object.*Certificate\/new\/made-after-backup/);
  // The second hop: the stack's own 0.6 release replaced (its CRDs go) gets the same coverage check; without either release there is nothing to lose.
  const noLegacy = { found: false, record: "none" as const, objects: [] };
  const previous = { found: true, releaseName: "cert-manager", namespace: "cert-manager", chartVersion: "v0.6.6", stopFirst: [], crds: [] };
  fails(() => runPreflight(settings(), parsed, plan, facts({ legacy: noLegacy, previous, liveObjects: [...SEED_LABELS, "Certificate/new/made-after-backup"] })),
    /^backup coverage check failed: 1 object.*Certificate\/new\/made-after-backup.*replacing release cert-manager \(chart v0\.6\.6\) would delete them/);
  assert.doesNotThrow(() => runPreflight(settings(), parsed, plan, facts({ legacy: noLegacy, liveObjects: [...SEED_LABELS, "Certificate/new/made-after-backup"] })));
  fails(() => runPreflight(settings(), parsed, plan, facts({ servedApiVersions: MODERN })), /^Kubernetes version check failed: cert-manager 0\.6\.2 cannot work on this cluster .*extensions\/v1beta1 Ingress.*authorization\.k8s\.io\/v1beta1 SubjectAccessReview.*acknowledgeUnsupportedKubernetes true/);
  fails(() => runPreflight(settings({ acknowledgeUnsupportedKubernetes: true }), parsed, plan, facts({ servedApiVersions: MODERN })), /^API version check failed: .*apps\/v1beta1 Deployment.*mapApiVersions/);
  fails(
    () => runPreflight(settings(), parsed, plan, facts({ secrets: { "kube-system/cert-manager-setup-staging-private-key": true, "kube-system/clouddns-service-account": true } })),
    /^secret check failed: Secret kube-system\/cert-manager-setup-production-private-key .*NEW ACME account/,
  );
  const empty = parseBackup(ownBackup([]).text, "b.yaml");
  fails(() => runPreflight(settings(), empty, buildRestorePlan(empty), facts()), /^backup check failed: .* is not valid/);
  const kubectlOutput = parseBackup(JSON.stringify({ apiVersion: "v1", kind: "List", items: seedObjects() }), "b.yaml");
  fails(() => runPreflight(settings(), kubectlOutput, buildRestorePlan(kubectlOutput), facts()), /^backup check failed: .*not written by `npm run backup`/);
});

test("opt-ins: mapped API versions, v1 CRDs, expected-missing Secrets, a source cleaned up earlier", () => {
  const { parsed, plan } = seedBackup();
  const result = runPreflight(
    settings({ mapApiVersions: true, acknowledgeUnsupportedKubernetes: true, expectedMissingSecrets: ["cert-manager-setup-staging-private-key"] }),
    parsed,
    plan,
    facts({
      servedApiVersions: MODERN,
      secrets: {
        "kube-system/cert-manager-setup-production-private-key": true,
        // cleaned up by an earlier run: the copy is the only one left
        "kube-system/clouddns-service-account": false,
        "cert-manager/clouddns-service-account": true,
      },
    }),
  );
  assert.equal(result.crdApiVersion, "apiextensions.k8s.io/v1");
  assert.ok(result.unservedApis.includes("apps/v1beta1 Deployment"));
  assert.deepEqual(result.skippedSecrets, ["cert-manager-setup-staging-private-key"]);
  assert.deepEqual(result.secretCopies.find((s) => s.name === "clouddns-service-account"), { name: "clouddns-service-account", readFrom: "cert-manager", to: "cert-manager" });
});

test("after the removal (no legacy release left) coverage is not checked again", () => {
  const { parsed, plan } = seedBackup();
  assert.doesNotThrow(() => runPreflight(settings(), parsed, plan, facts({ legacy: { found: false, record: "none", objects: [] }, liveObjects: [...SEED_LABELS, "Certificate/cert-manager/cert-manager-webhook-ca"] })));
});

test("clusterResourceNamespace: Secrets are looked for where 0.6 reads them; a missing namespace stops the preview", () => {
  const s = settings({ values: { clusterResourceNamespace: "cm-resources" } });
  const parsed = parseBackup(ownBackup(seedObjects()).text, "b.yaml");
  const plan = buildRestorePlan(parsed, planOptions(s));
  assert.deepEqual(plan.secretsToCopy.map((c) => c.to), ["cm-resources", "cm-resources", "cm-resources"]);
  assert.deepEqual(secretsToInspect(plan, s).filter((x) => x.name === "clouddns-service-account"), [
    { namespace: "kube-system", name: "clouddns-service-account" },
    { namespace: "cm-resources", name: "clouddns-service-account" },
  ]);
  assert.deepEqual(namespacesToInspect(plan, s), ["cm-resources"]);
  const result = runPreflight(s, parsed, plan, facts({ namespaces: { "cm-resources": true } }));
  assert.deepEqual(result.secretCopies.map((c) => c.to), ["cm-resources", "cm-resources", "cm-resources"]);
  assert.throws(() => runPreflight(s, parsed, plan, facts({ namespaces: { "cm-resources": false } })),
    (e: Error) => e instanceof PreflightError && /^config check failed: namespace cm-resources \(values\.clusterResourceNamespace.*\) does not exist/.test(e.message));
  assert.throws(() => planOptions(settings({ values: { clusterResourceNamespace: 7 } })), /values\.clusterResourceNamespace .*must be a namespace name/);
});

test("Secrets already where 0.6 reads them are not copied, but still checked", () => {
  const s = settings({ values: { clusterResourceNamespace: "kube-system" } });
  const parsed = parseBackup(ownBackup(seedObjects()).text, "b.yaml");
  const plan = buildRestorePlan(parsed, planOptions(s));
  const result = runPreflight(s, parsed, plan, facts());
  assert.deepEqual(result.secretCopies, []);
  assert.deepEqual(result.secretsInPlace, ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"]);
  assert.deepEqual(namespacesToInspect(plan, s), []);
  assert.throws(() => runPreflight(s, parsed, plan, facts({ secrets: { "kube-system/clouddns-service-account": true } })),
    (e: Error) => e instanceof PreflightError && /^secret check failed: Secret kube-system\/cert-manager-setup-production-private-key .*NEW ACME account/.test(e.message));
});

// Issue 10, item 6: a DNS-01 provider Secret reference without `key` is rejected by the 0.6 webhook,
// so its issuer could never be restored; the backup cannot be edited (checksum). With the webhook on,
// that is an error before anything is deleted; without it, a warning.
function backupWithKeylessDnsRef() {
  const objects = seedObjects();
  const extra = [
    { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "ClusterIssuer", metadata: { name: "le-cloudflare" },
      spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "ops@example.com", privateKeySecretRef: { name: "cf-acme-key" },
        dns01: { providers: [{ name: "cf", cloudflare: { email: "ops@example.com", apiKeySecretRef: { name: "cloudflare-api-key" } } }] } } } },
    { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Issuer", metadata: { name: "team-dns", namespace: "team-a" },
      spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "ops@example.com", privateKeySecretRef: { name: "team-acme-key" },
        dns01: { providers: [{ name: "akamai", akamai: { serviceConsumerDomain: "x", clientTokenSecretRef: { name: "akamai", key: "token" }, clientSecretSecretRef: { name: "akamai" }, accessTokenSecretRef: { name: "akamai", key: "access" } } }] } } } },
  ];
  const parsed = parseBackup(ownBackup([...objects, ...extra], { secrets: [{ namespace: "kube-system", name: "cloudflare-api-key", exists: true, keys: ["api-key"] }] }).text, "b.yaml");
  return { parsed, plan: buildRestorePlan(parsed) };
}

const KEYLESS_SECRETS = {
  "kube-system/cert-manager-setup-production-private-key": true,
  "kube-system/cert-manager-setup-staging-private-key": true,
  "kube-system/clouddns-service-account": true,
  "kube-system/cf-acme-key": true,
  "kube-system/cloudflare-api-key": true,
};

test("webhook on: a DNS-01 Secret reference without key stops the preflight, naming the object, the field and the fix", () => {
  const { parsed, plan } = backupWithKeylessDnsRef();
  const live = [...SEED_LABELS, "ClusterIssuer/le-cloudflare", "Issuer/team-a/team-dns"];
  assert.throws(() => runPreflight(settings({ webhook: true }), parsed, plan, facts({ liveObjects: live, secrets: KEYLESS_SECRETS })), (e: Error) => {
    assert.ok(e instanceof PreflightError, String(e));
    const [head, ...lines] = e.message.split("\n");
    assert.match(head, /^webhook check failed: cert-manager 0\.6\.2's webhook .* would reject 2 object\(s\)/);
    assert.match(head, /editing the backup breaks its checksum/);
    assert.match(head, /nothing was changed/);
    assert.match(head, /take the backup again/);
    assert.match(head, /or leave it out of the restore \(stack setting leaveOut/);
    assert.equal(lines.length, 2, "one line per object");
    assert.match(lines[0], /^ {2}ClusterIssuer le-cloudflare: spec\.acme\.dns01\.providers\[0\]\.cloudflare\.apiKeySecretRef\.key: Required value: secret key is required — fix: `kubectl edit clusterissuer le-cloudflare`, set spec\.acme\.dns01\.providers\[0\]\.cloudflare\.apiKeySecretRef\.key to a data key of Secret cloudflare-api-key \(its keys: api-key\); or leave it out: `pulumi config set --path 'leaveOut\[0\]' ClusterIssuer\/le-cloudflare`$/);
    assert.match(lines[1], /^ {2}Issuer team-a\/team-dns: spec\.acme\.dns01\.providers\[0\]\.akamai\.clientSecret\.key: Required value: .* set spec\.acme\.dns01\.providers\[0\]\.akamai\.clientSecretSecretRef\.key/, "every rejected object is named, with the field as the object spells it");
    return true;
  });
});

// Issue 19, item 1: every rule of the 0.6.2 webhook, not only DNS-01 keys.
test("webhook on: a ClusterIssuer without ACME email, an Issuer without clouddns project and a Certificate whose acme.config misses a name stop the preflight, each named", () => {
  const objects = [...seedObjects(),
    cm("ClusterIssuer", "le-no-email", undefined, { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "cert-manager-setup-production-private-key" }, http01: {} } }),
    cm("Issuer", "dns", "team-a", { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "o@example.com", privateKeySecretRef: { name: "k" }, dns01: { providers: [{ name: "gc", clouddns: {} }] } } }),
    cm("Certificate", "two-names", "team-a", { secretName: "two", issuerRef: { name: "dns" }, dnsNames: ["a.example.com", "b.example.com"], acme: { config: [{ domains: ["a.example.com"], dns01: { provider: "gc" } }] } }),
  ];
  const parsed = parseBackup(ownBackup(objects).text, "b.yaml");
  const live = [...SEED_LABELS, "ClusterIssuer/le-no-email", "Issuer/team-a/dns", "Certificate/team-a/two-names"];
  const digests = Object.fromEntries(objects.map((o) => [objectLabel({ kind: o.kind!, namespace: o.kind === "ClusterIssuer" ? "" : o.metadata!.namespace!, name: o.metadata!.name! }), objectDigest(o.kind!, o)]));
  assert.throws(() => runPreflight(settings(), parsed, buildRestorePlan(parsed), facts({ liveObjects: live, liveObjectDigests: digests })), (e: Error) => {
    assert.ok(e instanceof PreflightError, String(e));
    const lines = e.message.split("\n");
    assert.match(lines[0], /^webhook check failed: .* would reject 3 object\(s\)/);
    assert.deepEqual(lines.slice(1), [
      "  ClusterIssuer le-no-email: spec.acme.email: Required value: email address is a required field — fix: `kubectl edit clusterissuer le-no-email`, set spec.acme.email; or leave it out: `pulumi config set --path 'leaveOut[0]' ClusterIssuer/le-no-email`",
      "  Issuer team-a/dns: spec.acme.dns01.providers[0].clouddns.project: Required value — fix: `kubectl edit issuer -n team-a dns`, set spec.acme.dns01.providers[0].clouddns.project; or leave it out: `pulumi config set --path 'leaveOut[1]' Issuer/team-a/dns`",
      "  Certificate team-a/two-names: spec.acme.config: Required value: no ACME solver configuration specified for domain \"b.example.com\" — fix: `kubectl edit certificate -n team-a two-names`, set spec.acme.config; or leave it out: `pulumi config set --path 'leaveOut[2]' Certificate/team-a/two-names`",
    ]);
    return true;
  });
});

test("webhook on: a Certificate in the new namespace (labelled disable-validation) is not checked; webhook off: nothing is", () => {
  const broken = cm("Certificate", "own", "cert-manager", { secretName: "own", issuerRef: { name: "x" } });
  const parsed = parseBackup(ownBackup([...seedObjects(), broken]).text, "b.yaml");
  const live = [...SEED_LABELS, "Certificate/cert-manager/own"];
  const digests = { ...facts().liveObjectDigests, "Certificate/cert-manager/own": objectDigest("Certificate", broken) };
  assert.doesNotThrow(() => runPreflight(settings(), parsed, buildRestorePlan(parsed), facts({ liveObjects: live, liveObjectDigests: digests })));
  const elsewhere = cm("ClusterIssuer", "no-email", undefined, { acme: { server: "https://x", privateKeySecretRef: { name: "cert-manager-setup-production-private-key" } } });
  const parsed2 = parseBackup(ownBackup([...seedObjects(), elsewhere]).text, "b.yaml");
  const digests2 = { ...facts().liveObjectDigests, "ClusterIssuer/no-email": objectDigest("ClusterIssuer", elsewhere) };
  assert.doesNotThrow(() => runPreflight(settings({ webhook: false }), parsed2, buildRestorePlan(parsed2), facts({ liveObjects: [...SEED_LABELS, "ClusterIssuer/no-email"], liveObjectDigests: digests2 })));
  assert.throws(() => runPreflight(settings(), parsed2, buildRestorePlan(parsed2), facts({ liveObjects: [...SEED_LABELS, "ClusterIssuer/no-email"], liveObjectDigests: digests2 })), /ClusterIssuer no-email: spec\.acme\.email: Required value/);
});

test("webhook off: the same reference stays a warning, and the preflight passes", () => {
  const { parsed, plan } = backupWithKeylessDnsRef();
  const live = [...SEED_LABELS, "ClusterIssuer/le-cloudflare", "Issuer/team-a/team-dns"];
  const result = runPreflight(settings({ webhook: false }), parsed, plan, facts({ liveObjects: live, secrets: KEYLESS_SECRETS }));
  assert.ok(result.warnings.some((w) => /ClusterIssuer\/le-cloudflare: .*cloudflare\.apiKeySecretRef names Secret cloudflare-api-key without a key/.test(w)), result.warnings.join("\n"));
});

test("webhook on: an Issuer in the new namespace (labelled disable-validation) is not checked by the webhook", () => {
  const objects = [...seedObjects(), { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Issuer", metadata: { name: "own", namespace: "cert-manager" },
    spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "o@example.com", privateKeySecretRef: { name: "k" },
      dns01: { providers: [{ name: "cf", cloudflare: { email: "o@example.com", apiKeySecretRef: { name: "cf" } } }] } } } }];
  const parsed = parseBackup(ownBackup(objects).text, "b.yaml");
  assert.doesNotThrow(() => runPreflight(settings({ webhook: true }), parsed, buildRestorePlan(parsed), facts({ liveObjects: [...SEED_LABELS, "Issuer/cert-manager/own"] })));
});

// Issue 10, item 4: an old release the removal does not recognise stops the preflight.
const OLD_CRDS = ["certificates", "issuers", "clusterissuers"].map((p) => ({
  name: `${p}.certmanager.k8s.io`, labels: { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cm-old", heritage: "Tiller" }, annotations: {},
}));
const OLD_CONTROLLER = { namespace: "certs", name: "cm-old-cert-manager", labels: { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cm-old" }, annotations: {},
  images: ["quay.io/jetstack/cert-manager-controller:v0.4.1"] };

test("an old release under another name or namespace: one line naming its objects and the stack keys to set", () => {
  const { parsed, plan } = seedBackup();
  const unrecognised = facts({ legacy: { found: false, record: "none", objects: [] }, footprint: { crds: OLD_CRDS, deployments: [OLD_CONTROLLER] } });
  assert.throws(() => runPreflight(settings(), parsed, plan, unrecognised), (e: Error) => {
    assert.ok(e instanceof PreflightError, String(e));
    assert.doesNotMatch(e.message, /\n/, "one line");
    assert.match(e.message, /^legacy release check failed: /);
    assert.match(e.message, /release cert-manager in kube-system/, "what the stack looked for");
    for (const o of ["CustomResourceDefinition certificates.certmanager.k8s.io", "CustomResourceDefinition issuers.certmanager.k8s.io", "CustomResourceDefinition clusterissuers.certmanager.k8s.io", "Deployment certs/cm-old-cert-manager"]) {
      assert.ok(e.message.includes(o), `names ${o}: ${e.message}`);
    }
    assert.match(e.message, /legacyReleaseName/);
    assert.match(e.message, /legacyNamespace/);
    assert.match(e.message, /pulumi config set legacyReleaseName cm-old/, "suggests what the objects say");
    assert.match(e.message, /pulumi config set legacyNamespace certs/);
    assert.match(e.message, /nothing was changed/);
    return true;
  });
});

test("old CRDs without the release label: the line says how to label them", () => {
  const { parsed, plan } = seedBackup();
  const stripped = OLD_CRDS.map((c) => ({ ...c, labels: { app: "cert-manager", chart: "cert-manager-v0.4.1" } }));
  const legacy = { found: true, record: "helm3" as const, objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] };
  const controller = { ...OLD_CONTROLLER, namespace: "kube-system", name: "cert-manager", labels: { ...OLD_CONTROLLER.labels, release: "cert-manager" } };
  assert.throws(() => runPreflight(settings(), parsed, plan, facts({ legacy, footprint: { crds: stripped, deployments: [controller] } })), (e: Error) => {
    assert.match(e.message, /^legacy release check failed: .*CustomResourceDefinition certificates\.certmanager\.k8s\.io \(chart cert-manager-v0\.4\.1, no release label\)/);
    assert.doesNotMatch(e.message, /Deployment kube-system\/cert-manager/, "the controller is removed with the release");
    assert.match(e.message, /kubectl label crd certificates\.certmanager\.k8s\.io clusterissuers\.certmanager\.k8s\.io issuers\.certmanager\.k8s\.io release=cert-manager/);
    return true;
  });
});

test("a re-run after a finished upgrade passes the legacy check: only the 0.6 CRDs and this stack's release are left", () => {
  const { parsed, plan } = seedBackup();
  const crds = ["certificates", "issuers", "clusterissuers", "orders", "challenges"].map((p) => ({ name: `${p}.certmanager.k8s.io`, labels: { app: "cert-manager" }, annotations: { "pulumi.com/patchForce": "true" } }));
  const deployments = [{ namespace: "cert-manager", name: "cert-manager", labels: { app: "cert-manager", chart: "cert-manager-v0.6.6", release: "cert-manager" },
    annotations: { "meta.helm.sh/release-name": "cert-manager", "meta.helm.sh/release-namespace": "cert-manager" }, images: ["quay.io/jetstack/cert-manager-controller:v0.6.2"] }];
  assert.doesNotThrow(() => runPreflight(settings(), parsed, plan, facts({ legacy: { found: false, record: "none", objects: [] }, liveObjects: [...SEED_LABELS], footprint: { crds, deployments } })));
});

// Issue 10, item 5: an unreadable Helm release record stops the preflight; a record of another chart is left alone, with a warning.
test("an unreadable release record stops the preflight; another chart's record is named in a warning", () => {
  const { parsed, plan } = seedBackup();
  const legacy = { ...facts().legacy, unreadableRecords: ["Secret tiller/cert-manager.v3: gzip data cannot be inflated (unexpected end of file)"] };
  assert.throws(() => runPreflight(settings({ tillerNamespace: "tiller" }), parsed, plan, facts({ legacy })), (e: Error) => {
    assert.ok(e instanceof PreflightError);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, /^release record check failed: Secret tiller\/cert-manager\.v3: gzip data cannot be inflated .*neither removed nor trusted.*kubectl get secret -n tiller cert-manager\.v3 -o yaml.*nothing was changed/);
    return true;
  });
  const result = runPreflight(settings(), parsed, plan, facts({ legacy: { ...facts().legacy, otherRecords: ["ConfigMap kube-system/cert-manager.v4 (chart cert-manager-v0.6.6)"] } }));
  assert.ok(result.warnings.some((w) => /ConfigMap kube-system\/cert-manager\.v4 \(chart cert-manager-v0\.6\.6\).*left alone/.test(w)), result.warnings.join("\n"));
});

test("a cluster newer than cert-manager 0.6.2 (1.22+): acknowledged only for test clusters, and then said in a warning", () => {
  const { parsed, plan } = seedBackup();
  const webhookOff = settings({ webhook: false, mapApiVersions: true });
  // Without the webhook only the Ingress API matters.
  assert.throws(() => runPreflight(webhookOff, parsed, plan, facts({ servedApiVersions: [...MODERN, "authorization.k8s.io/v1beta1"] })),
    /Kubernetes version check failed: .*does not serve extensions\/v1beta1 Ingress \(ingress-shim, HTTP-01 solver\), which/);
  assert.doesNotThrow(() => runPreflight(webhookOff, parsed, plan, facts({ servedApiVersions: [...MODERN, "extensions/v1beta1"] })));
  const result = runPreflight(settings({ mapApiVersions: true, acknowledgeUnsupportedKubernetes: true }), parsed, plan, facts({ servedApiVersions: MODERN, serverVersion: "v1.34.4" }));
  assert.ok(result.warnings.some((w) => /^acknowledgeUnsupportedKubernetes: cert-manager 0\.6\.2 is installed on v1\.34\.4, .*cannot issue or validate certificates here \(test clusters only\)/.test(w)), result.warnings.join("\n"));
  assert.ok(!runPreflight(settings(), parsed, plan, facts()).warnings.some((w) => w.startsWith("acknowledgeUnsupportedKubernetes")), "no warning where the APIs are served");
});

// Issue 12: what cert-manager 0.6.2 would re-issue is said in the preview, before anything is deleted.
test("the preview's warnings carry the re-issue prediction: expectedMissingSecrets on an ACME key is a new account, counted", () => {
  const accountKeys = seedObjects().filter((o) => o.kind === "ClusterIssuer").map((o) => ({
    issuerKind: "ClusterIssuer" as const, issuerNamespace: "", issuer: o.metadata!.name!, secretNamespace: "kube-system",
    secretName: (o.spec!.acme as { privateKeySecretRef: { name: string } }).privateKeySecretRef.name, key: "tls.key",
    secretExists: true, keyPresent: true, keyType: "RSA PRIVATE KEY",
  }));
  const parsed = parseBackup(ownBackup(seedObjects(), { acmeAccountKeys: accountKeys }).text, "b.yaml");
  // The override that passes the missing-Secret stop (the negative control's way) ...
  const s = settings({ expectedMissingSecrets: ["cert-manager-setup-production-private-key"] });
  const plan = buildRestorePlan(parsed, planOptions(s));
  const result = runPreflight(s, parsed, plan, facts({ secrets: { "kube-system/cert-manager-setup-staging-private-key": true, "kube-system/clouddns-service-account": true } }));
  // ... is predicted and counted: a new ACME account for letsencrypt-prod.
  assert.deepEqual(plan.prediction.reissues.map((r) => [r.what, r.kind, r.name]), [["acme-account", "ClusterIssuer", "letsencrypt-prod"]]);
  // (The fixture records no TLS facts: the certificates are "cannot tell", said in the same line.)
  assert.ok(result.warnings.some((w) => w.startsWith("plan: 0 certificates will be issued anew and 1 new ACME account registered by cert-manager 0.6.2 (account of letsencrypt-prod); 2 cannot be told")), result.warnings.join("\n"));
  assert.ok(result.warnings.some((w) => /^ClusterIssuer\/letsencrypt-prod: its account key Secret kube-system\/cert-manager-setup-production-private-key .*not copied \(expectedMissingSecrets\).*NEW ACME account/.test(w)));
  // Without the override: no prediction of a new account (the key is copied).
  const copied = buildRestorePlan(parsed, planOptions(settings()));
  assert.deepEqual(copied.prediction.reissues, []);
  // The key already in place (clusterResourceNamespace = the legacy namespace) is never "not copied".
  const inPlace = buildRestorePlan(parsed, planOptions(settings({ expectedMissingSecrets: ["cert-manager-setup-production-private-key"], values: { clusterResourceNamespace: "kube-system" } })));
  assert.deepEqual(inPlace.prediction.reissues, []);
});

test("planOptions: the controller's --renew-before-expiry-duration from the chart's extraArgs", () => {
  assert.equal(planOptions(settings({ values: { extraArgs: ["--renew-before-expiry-duration=240h"] } })).renewBeforeDefaultMs, 10 * 24 * 3600 * 1000);
  assert.equal(planOptions(settings()).renewBeforeDefaultMs, undefined);
});

test("what the backup cannot tell is a preview warning, not silence", () => {
  // The fixture's backup has no acmeAccountKeys and no tlsCertificates for the seed: an earlier format-2 backup.
  const { parsed, plan } = seedBackup();
  const result = runPreflight(settings(), parsed, plan, facts());
  assert.ok(result.warnings.some((w) => /^ClusterIssuer\/letsencrypt-prod: cannot tell whether cert-manager 0\.6\.2 registers a new ACME account: .*does not record the type of its account key/.test(w)), result.warnings.join("\n"));
  assert.ok(result.warnings.some((w) => /^Certificate\/default\/wonder-app-cert: cannot tell whether cert-manager 0\.6\.2 issues it anew/.test(w)), result.warnings.join("\n"));
});

test("webhook check: the fix's leaveOut index follows the entries the stack has already", () => {
  const broken = cm("ClusterIssuer", "le-no-email", undefined, { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "cert-manager-setup-production-private-key" } } });
  const parsed = parseBackup(ownBackup([...seedObjects(), broken]).text, "b.yaml");
  const digests = { ...facts().liveObjectDigests, "ClusterIssuer/le-no-email": objectDigest("ClusterIssuer", broken) };
  const plan = buildRestorePlan({ ...parsed, objects: parsed.objects.filter((o) => o.name !== "ivan-test-cert") });
  assert.throws(() => runPreflight(settings({ leaveOut: ["Certificate/test/ivan-test-cert"] }), parsed, plan, facts({ liveObjects: [...SEED_LABELS, "ClusterIssuer/le-no-email"], liveObjectDigests: digests })),
    /ClusterIssuer le-no-email: .*`pulumi config set --path 'leaveOut\[1\]' ClusterIssuer\/le-no-email`$/);
});
