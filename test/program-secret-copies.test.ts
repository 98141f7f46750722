// The program's Secret copies and cleanup under Pulumi's mocks: which Secrets the cleanup deletes
// and which it keeps (and says so), where the copies go (clusterResourceNamespace, a legacy
// namespace that is the new one), and resource names that stay apart for objects whose
// namespace/name pairs read alike.
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { KubeObject } from "../lib/types";
import { FakeKubeApi, FakeObject } from "./support/fake-kube-api";
import { certificate, cm, ownBackup, TEST_CLUSTER } from "./support/fixtures";
import { ProgramRun, batchNameOf, restoredBatches, restoredObjects, runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";

const MODERN = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"];
const ACME = "https://acme-v02.api.letsencrypt.org/directory";

function factsWith(secrets: string[], namespaces: Record<string, boolean> = {}): ClusterFacts {
  return {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.34.4", servedApiVersions: MODERN,
    legacy: { found: false, record: "none", objects: [] },
    liveObjects: [],
    liveObjectDigests: {},
    liveTlsSecrets: {}, footprint: { crds: [], deployments: [] },
    secrets: Object.fromEntries(secrets.map((s) => [s, true])),
    namespaces,
  };
}

async function upgrade(objects: KubeObject[], facts: ClusterFacts, config: Record<string, string> = {}, api?: FakeKubeApi): Promise<ProgramRun> {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(objects).text);
  return runProgram({
    "cert-manager-upgrade:backupFile": backupFile,
    "cert-manager-upgrade:kubeconfig": api ? api.writeKubeconfig(path.join(dir, "kubeconfig"), "stand-in") : writeKubeconfig(dir),
    "cert-manager-upgrade:mapApiVersions": "true",
    "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true",
    "cert-manager-upgrade:webhook": "false",
    ...Object.fromEntries(Object.entries(config).map(([k, v]) => [`cert-manager-upgrade:${k}`, v])),
  }, facts, true, { secretUsersFromCluster: api !== undefined });
}

function copies(run: ProgramRun) {
  return run.registrations.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.custom && r.parent.includes("IssuerSecretCopies"));
}

describe("cleanupLegacySecrets keeps what the legacy namespace still uses", () => {
  // The ACME account key of letsencrypt-prod is also an Issuer's in kube-system; the CA ClusterIssuer's
  // key pair is the TLS Secret of a Certificate in kube-system.
  const objects = [
    cm("ClusterIssuer", "letsencrypt-prod", undefined, { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: "acme-key" },
      dns01: { providers: [{ name: "clouddns", clouddns: { project: "p", serviceAccountSecretRef: { name: "clouddns-sa", key: "sa.json" } } }] } } }),
    cm("ClusterIssuer", "letsencrypt-staging", undefined, { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: "staging-key" }, http01: {} } }),
    cm("ClusterIssuer", "internal-ca", undefined, { ca: { secretName: "internal-ca" } }),
    cm("ClusterIssuer", "selfsigned", undefined, { selfSigned: {} }),
    cm("Issuer", "legacy-acme", "kube-system", { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: "acme-key" }, http01: {} } }),
    certificate("kube-system", "internal-ca", { kind: "ClusterIssuer", name: "selfsigned" }, "internal-ca"),
    certificate("default", "web", { kind: "ClusterIssuer", name: "letsencrypt-prod" }),
  ];
  const secrets = ["acme-key", "clouddns-sa", "staging-key", "internal-ca"].map((s) => `kube-system/${s}`);

  test("deletes only the copies nothing in kube-system references, and says which it keeps and why", async () => {
    const run = await upgrade(objects, factsWith(secrets), { cleanupLegacySecrets: "true" });
    assert.deepEqual(copies(run).map((c) => c.inputs.metadata.name).sort(), ["acme-key", "clouddns-sa", "internal-ca", "staging-key"], "every ClusterIssuer Secret is still copied");

    const cleanup = run.byName("legacy-secret-cleanup-delete-copied-sources");
    assert.equal(cleanup.inputs.namespace, "kube-system");
    assert.deepEqual([...cleanup.inputs.names].sort(), ["clouddns-sa", "staging-key"], "only Secrets nothing in kube-system uses are deleted");
    assert.deepEqual(cleanup.inputs.kept, [
      { name: "acme-key", usedBy: ["Issuer/kube-system/legacy-acme spec.acme.privateKeySecretRef"] },
      { name: "internal-ca", usedBy: ["Certificate/kube-system/internal-ca spec.secretName"] },
    ]);
    const warnings = run.logs.filter((l) => l.severity === "warn").map((l) => l.message);
    assert.ok(warnings.some((w) => /kube-system\/acme-key.*kept.*Issuer\/kube-system\/legacy-acme spec\.acme\.privateKeySecretRef/.test(w)), warnings.join("\n"));
    assert.ok(warnings.some((w) => /kube-system\/internal-ca.*kept.*Certificate\/kube-system\/internal-ca spec\.secretName/.test(w)), warnings.join("\n"));
    const copyNames = copies(run).map((c) => c.name);
    const deps = run.dependencyNames("legacy-secret-cleanup-delete-copied-sources");
    for (const c of copyNames) assert.ok(deps.includes(c), `cleanup after the copy ${c}`);
  });
});

describe("cleanupLegacySecrets keeps what Pods, workloads and ServiceAccounts in kube-system use (stand-in API server)", () => {
  // Copied ClusterIssuer Secrets that other software in kube-system also uses, read by the program
  // from the API server before the preview; the cert-manager objects come from recorded facts.
  const secretNames = ["acme-key", "route53-credentials", "vault-token", "registry", "agent-env", "job-env", "cron-env", "sa-secret", "unused"];
  const objects = [
    cm("ClusterIssuer", "letsencrypt-prod", undefined, { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: "acme-key" },
      dns01: { providers: [{ name: "r53", route53: { region: "eu-west-1", accessKeyID: "AK", secretAccessKeySecretRef: { name: "route53-credentials", key: "secret" } } }] } } }),
    ...secretNames.filter((n) => n !== "acme-key" && n !== "route53-credentials").map((n) =>
      cm("ClusterIssuer", `vault-${n}`, undefined, { vault: { server: "https://v", path: "p", auth: { tokenSecretRef: { name: n, key: "t" } } } })),
    certificate("default", "web", { kind: "ClusterIssuer", name: "letsencrypt-prod" }),
  ];
  const secrets = secretNames.map((n) => `kube-system/${n}`);
  const envFrom = (secret: string) => ({ containers: [{ name: "app", envFrom: [{ secretRef: { name: secret } }] }] });
  const PATHS = {
    Pod: "/api/v1/namespaces/kube-system/pods",
    ServiceAccount: "/api/v1/namespaces/kube-system/serviceaccounts",
    Deployment: "/apis/apps/v1/namespaces/kube-system/deployments",
    StatefulSet: "/apis/apps/v1/namespaces/kube-system/statefulsets",
    DaemonSet: "/apis/apps/v1/namespaces/kube-system/daemonsets",
    ReplicaSet: "/apis/apps/v1/namespaces/kube-system/replicasets",
    Job: "/apis/batch/v1/namespaces/kube-system/jobs",
    CronJob: "/apis/batch/v1/namespaces/kube-system/cronjobs",
  };
  const API_VERSIONS: Record<string, string> = { Pod: "v1", ServiceAccount: "v1", Deployment: "apps/v1", StatefulSet: "apps/v1", DaemonSet: "apps/v1", ReplicaSet: "apps/v1", Job: "batch/v1", CronJob: "batch/v1" };
  const meta = (name: string) => ({ name, namespace: "kube-system" });
  const users: Record<keyof typeof PATHS, FakeObject[]> = {
    // Two Pods, so that a page size of 1 needs a continue token.
    Pod: [
      { metadata: meta("debug"), spec: { volumes: [{ name: "bundle", projected: { sources: [{ secret: { name: "acme-key" } }] } }], containers: [{ name: "sh" }] } },
      { metadata: meta("coredns-1"), spec: { containers: [{ name: "coredns" }] } },
    ],
    ServiceAccount: [{ metadata: meta("builder"), secrets: [{ name: "sa-secret" }] }],
    Deployment: [{ metadata: meta("external-dns"), spec: { template: { spec: { volumes: [{ name: "creds", secret: { secretName: "route53-credentials" } }], containers: [{ name: "external-dns" }] } } } }],
    StatefulSet: [{ metadata: meta("vault"), spec: { template: { spec: { containers: [{ name: "vault", env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: "vault-token", key: "t" } } }] }] } } } }],
    DaemonSet: [{ metadata: meta("agent"), spec: { template: { spec: envFrom("agent-env") } } }],
    ReplicaSet: [{ metadata: meta("old"), spec: { template: { spec: { imagePullSecrets: [{ name: "registry" }], containers: [] } } } }],
    Job: [{ metadata: meta("once"), spec: { template: { spec: envFrom("job-env") } } }],
    CronJob: [{ metadata: meta("nightly"), spec: { jobTemplate: { spec: { template: { spec: envFrom("cron-env") } } } } }],
  };
  let api: FakeKubeApi;
  before(async () => {
    api = new FakeKubeApi({ kubeSystemUID: TEST_CLUSTER.kubeSystemUID });
    await api.start();
  });
  after(() => api.close());
  beforeEach(() => {
    api.lists.clear();
    api.requests.length = 0;
    api.maxPageSize = undefined;
    for (const [kind, listPath] of Object.entries(PATHS)) api.lists.set(listPath, { apiVersion: API_VERSIONS[kind], kind: `${kind}List`, items: users[kind as keyof typeof PATHS] });
  });
  const warningsOf = (run: ProgramRun) => run.logs.filter((l) => l.severity === "warn").map((l) => l.message);

  test("a Secret a Pod, workload or ServiceAccount there names is kept, naming it; every list is read page by page", async () => {
    api.maxPageSize = 1;
    const run = await upgrade(objects, factsWith(secrets), { cleanupLegacySecrets: "true" }, api);
    const cleanup = run.byName("legacy-secret-cleanup-delete-copied-sources");
    assert.deepEqual(cleanup.inputs.names, ["unused"], "only the Secret nothing in kube-system uses is deleted");
    assert.deepEqual(cleanup.inputs.kept, [
      { name: "acme-key", usedBy: ["Pod kube-system/debug (projected volume bundle)"] },
      { name: "agent-env", usedBy: ["DaemonSet kube-system/agent (envFrom of container app)"] },
      { name: "cron-env", usedBy: ["CronJob kube-system/nightly (envFrom of container app)"] },
      { name: "job-env", usedBy: ["Job kube-system/once (envFrom of container app)"] },
      { name: "registry", usedBy: ["ReplicaSet kube-system/old (imagePullSecrets)"] },
      { name: "route53-credentials", usedBy: ["Deployment kube-system/external-dns (volume creds)"] },
      { name: "sa-secret", usedBy: ["ServiceAccount kube-system/builder (secrets)"] },
      { name: "vault-token", usedBy: ["StatefulSet kube-system/vault (env TOKEN of container vault)"] },
    ]);
    assert.match(cleanup.inputs.checked, /^Issuers and Certificates, and Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and ServiceAccounts in kube-system/);
    const warnings = warningsOf(run);
    assert.ok(warnings.some((w) => w.startsWith("Secret kube-system/route53-credentials is kept by cleanupLegacySecrets: still used by Deployment kube-system/external-dns (volume creds) (checked: Issuers and Certificates, and Pods,")), warnings.join("\n"));
    assert.equal(api.requestsTo(PATHS.Pod).length, 2, "two pages of Pods");
    assert.ok(api.requestsTo(PATHS.Pod)[1].query.get("continue"), "the second page asked with the continue token");
    for (const listPath of Object.values(PATHS)) assert.ok(api.requestsTo(listPath).every((r) => r.method === "GET"), `${listPath}: read only`);
    assert.deepEqual(api.requests.filter((r) => r.method !== "GET"), [], "nothing but reads before the preview");
  });

  test("a list that is forbidden keeps every copied Secret, and the preview says why", async () => {
    api.failNext(PATHS.Deployment, { status: 403 });
    const run = await upgrade(objects, factsWith(secrets), { cleanupLegacySecrets: "true" }, api);
    const cleanup = run.byName("legacy-secret-cleanup-delete-copied-sources");
    assert.deepEqual(cleanup.inputs.names, [], "nothing is deleted on doubt");
    assert.deepEqual(cleanup.inputs.kept.map((k: { name: string }) => k.name), [...secretNames].sort());
    for (const k of cleanup.inputs.kept) assert.match(k.notChecked, /^listing Deployments \(apps\/v1\) in kube-system failed: HTTP 403: .*lack the right/);
    const warnings = warningsOf(run);
    assert.ok(warnings.some((w) => /^Secret kube-system\/unused is kept by cleanupLegacySecrets: whether Pods, workloads or ServiceAccounts in kube-system use it could not be checked \(listing Deployments \(apps\/v1\) in kube-system failed: HTTP 403/.test(w)), warnings.join("\n"));
  });

  test("CronJobs are read as batch/v1beta1 where the cluster serves it (Kubernetes up to 1.24)", async () => {
    const v1beta1 = "/apis/batch/v1beta1/namespaces/kube-system/cronjobs";
    api.lists.delete(PATHS.CronJob);
    api.lists.set(v1beta1, { apiVersion: "batch/v1beta1", kind: "CronJobList", items: users.CronJob });
    const facts = { ...factsWith(secrets), servedApiVersions: [...MODERN, "batch/v1beta1"] };
    const run = await upgrade(objects, facts, { cleanupLegacySecrets: "true" }, api);
    assert.ok(run.byName("legacy-secret-cleanup-delete-copied-sources").inputs.kept.some((k: { name: string; usedBy: string[] }) => k.name === "cron-env" && k.usedBy[0].startsWith("CronJob kube-system/nightly")));
    assert.equal(api.requestsTo(v1beta1).length, 1);
  });

  test("without cleanupLegacySecrets nothing of it is read", async () => {
    const run = await upgrade(objects, factsWith(secrets), {}, api);
    assert.throws(() => run.byName("legacy-secret-cleanup-delete-copied-sources"));
    for (const listPath of Object.values(PATHS)) assert.deepEqual(api.requestsTo(listPath), [], listPath);
  });
});

describe("where the copies go", () => {
  const objects = [
    cm("ClusterIssuer", "letsencrypt-prod", undefined, { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: "acme-key" }, http01: {} } }),
    certificate("default", "web", { kind: "ClusterIssuer", name: "letsencrypt-prod" }),
  ];

  test("values.clusterResourceNamespace: the copies go there, where 0.6 reads ClusterIssuer Secrets", async () => {
    const run = await upgrade(objects, factsWith(["kube-system/acme-key"], { "cm-resources": true }), {
      values: JSON.stringify({ clusterResourceNamespace: "cm-resources" }),
      cleanupLegacySecrets: "true",
    });
    const [copy, ...more] = copies(run);
    assert.equal(more.length, 0);
    assert.equal(copy.inputs.metadata.namespace, "cm-resources");
    assert.equal(copy.inputs.metadata.annotations["cert-manager-upgrade/copied-from"], "kube-system/acme-key");
    assert.ok(run.dependencyNames(copy.name).includes("namespace"), "still after the namespace step (and so after the removal)");
    assert.equal(run.byName("cert-manager").inputs.values.clusterResourceNamespace, "cm-resources", "the chart is told the same namespace");
    assert.deepEqual(run.byName("legacy-secret-cleanup-delete-copied-sources").inputs.names, ["acme-key"]);
    assert.deepEqual(run.outputs.secretsCopied, ["acme-key"]);
  });

  test("values.clusterResourceNamespace that does not exist: preview stops with one line before anything is declared", async () => {
    await assert.rejects(
      upgrade(objects, factsWith(["kube-system/acme-key"], { "cm-resources": false }), { values: JSON.stringify({ clusterResourceNamespace: "cm-resources" }) }),
      (e: Error & { registrations?: unknown[] }) => {
        assert.match(e.message, /namespace cm-resources .*clusterResourceNamespace.* does not exist/);
        assert.deepEqual(e.registrations, []);
        return true;
      },
    );
  });

  test("values.clusterResourceNamespace equal to the legacy namespace: no copy, no cleanup of the only copy", async () => {
    const run = await upgrade(objects, factsWith(["kube-system/acme-key"]), {
      values: JSON.stringify({ clusterResourceNamespace: "kube-system" }),
      cleanupLegacySecrets: "true",
    });
    assert.deepEqual(copies(run), [], "a Secret is not copied onto itself");
    assert.deepEqual(run.reads, [], "nor read for a copy");
    assert.deepEqual(run.byName("legacy-secret-cleanup-delete-copied-sources").inputs.names, [], "the cleanup deletes nothing");
    const lines = run.logs.map((l) => l.message);
    assert.ok(lines.some((l) => /kube-system\/acme-key .*already where cert-manager 0\.6 reads.*not copied.*never deleted/.test(l)), lines.join("\n"));
    assert.deepEqual(run.outputs.secretsCopied, []);
  });

  test("legacyNamespace equal to the new namespace (0.4 installed in cert-manager): no copy, no cleanup", async () => {
    const run = await upgrade(objects, factsWith(["cert-manager/acme-key"]), {
      legacyNamespace: "cert-manager",
      legacyReleaseName: "cert-manager-old",
      cleanupLegacySecrets: "true",
    });
    assert.deepEqual(copies(run), []);
    assert.deepEqual(run.byName("legacy-secret-cleanup-delete-copied-sources").inputs.names, []);
    assert.ok(run.logs.some((l) => /cert-manager\/acme-key .*already where cert-manager 0\.6 reads/.test(l.message)));
  });

  test("a Secret that is not copied because it is in place is still checked: missing means preview stops", async () => {
    await assert.rejects(
      upgrade(objects, factsWith([]), { values: JSON.stringify({ clusterResourceNamespace: "kube-system" }) }),
      /secret check failed: Secret kube-system\/acme-key .*does not exist/,
    );
  });
});

describe("resource names stay apart", () => {
  test("team-a/web and team/a-web, a Secret x and a Secret source-x: every resource has its own name", async () => {
    const objects = [
      cm("ClusterIssuer", "collide", undefined, { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: "source-x" },
        dns01: { providers: [{ name: "r53", route53: { region: "eu-west-1", accessKeyID: "AK", secretAccessKeySecretRef: { name: "x", key: "secret" } } }] } } }),
      certificate("team-a", "web", { kind: "ClusterIssuer", name: "collide" }),
      certificate("team", "a-web", { kind: "ClusterIssuer", name: "collide" }),
      certificate("default", "wonder-app-cert", { kind: "ClusterIssuer", name: "collide" }),
      cm("Issuer", "ca", "team-a", { ca: { secretName: "ca" } }),
    ];
    const run = await upgrade(objects, factsWith(["kube-system/x", "kube-system/source-x"]));
    // Each object in exactly one batch, under its own label: team-a/web and team/a-web stay apart.
    const restored = restoredObjects(run);
    assert.equal(restored.length, objects.length, "every object restored once");
    assert.equal(new Set(restored.map((r) => r.label)).size, objects.length);
    const urns = restoredBatches(run).map((r) => `${r.type}::${r.name}`);
    assert.equal(new Set(urns).size, urns.length, `distinct names: ${urns.join(", ")}`);
    assert.ok(restored.some((r) => r.label === "Certificate/team/a-web" && r.object.metadata.namespace === "team" && r.object.metadata.name === "a-web"));
    assert.ok(restored.some((r) => r.label === "Certificate/team-a/web" && r.object.metadata.namespace === "team-a" && r.object.metadata.name === "web"));
    assert.ok(run.dependencyNames(batchNameOf(run, "Certificate/team-a/web")).includes("restored-clusterissuers/1"));

    const secretNames = [...copies(run).map((c) => c.name), ...run.reads.map((r) => r.name)];
    assert.equal(secretNames.length, 4, "two copies, two reads");
    assert.equal(new Set(secretNames).size, 4, `distinct names: ${secretNames.join(", ")}`);
    assert.deepEqual(copies(run).map((c) => c.name).sort(), ["issuer-secrets-source-x", "issuer-secrets-x"], "copies keep their names");
  });
});
