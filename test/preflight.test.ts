import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { ClusterFacts } from "../lib/cluster";
import { buildRestorePlan } from "../lib/plan";
import { objectDigest } from "../lib/changes";
import { PreflightError, namespacesToInspect, planOptions, runPreflight, secretsToInspect } from "../lib/preflight";
import { parseSettings, Settings } from "../lib/settings";
import { objectLabel } from "../lib/types";
import { TEST_CLUSTER, ownBackup, seedObjects } from "./support/fixtures";

const MODERN = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"];
const OLD = [...MODERN, "apps/v1beta1", "rbac.authorization.k8s.io/v1beta1", "batch/v1beta1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1"];

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
  fails(() => runPreflight(settings(), parsed, plan, facts({ servedApiVersions: MODERN })), /^API version check failed: .*apps\/v1beta1 Deployment.*mapApiVersions/);
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
    settings({ mapApiVersions: true, expectedMissingSecrets: ["cert-manager-setup-staging-private-key"] }),
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
