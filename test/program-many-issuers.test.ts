import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { certificate, cm, ownBackup, TEST_CLUSTER } from "./support/fixtures";
import { batchNameOf, restoredBatches, restoredObjects, runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";

const MODERN = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"];

test("many issuers and DNS providers on a current cluster: v1 CRDs, mapped APIs, each Secret copied once", async () => {
  const shared = { name: "shared-acme-key" };
  const objects = [
    cm("ClusterIssuer", "le-akamai", undefined, { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "a@example.com", privateKeySecretRef: shared,
      dns01: { providers: [{ name: "akamai", akamai: { serviceConsumerDomain: "x", clientTokenSecretRef: { name: "akamai", key: "token" }, clientSecretSecretRef: { name: "akamai", key: "secret" }, accessTokenSecretRef: { name: "akamai", key: "access" } } }] } } }),
    cm("ClusterIssuer", "le-cloud", undefined, { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "a@example.com", privateKeySecretRef: shared,
      dns01: { providers: [
        { name: "cf", cloudflare: { email: "a@example.com", apiKeySecretRef: { name: "cloudflare", key: "api-key" } } },
        { name: "r53", route53: { region: "eu-west-1", accessKeyID: "AK", secretAccessKeySecretRef: { name: "route53", key: "secret" } } },
        { name: "az", azuredns: { clientID: "c", clientSecretSecretRef: { name: "azure", key: "secret" }, subscriptionID: "s", tenantID: "t", resourceGroupName: "r", hostedZoneName: "z" } },
      ] } } }),
    cm("ClusterIssuer", "vault", undefined, { vault: { server: "https://vault:8200", path: "pki/sign/x", auth: { appRole: { path: "approle", roleId: "r", secretRef: { name: "vault-approle", key: "secretId" } } } } }),
    cm("Issuer", "team-ca", "team-a", { ca: { secretName: "team-a-ca" } }),
    cm("Issuer", "team-vault", "team-b", { vault: { server: "https://vault:8200", path: "p", auth: { tokenSecretRef: { name: "vault-token", key: "token" } } } }),
    ...Array.from({ length: 30 }, (_, i) => certificate(`ns-${i % 5}`, `cert-${i}`, { kind: "ClusterIssuer", name: ["le-akamai", "le-cloud", "vault"][i % 3] })),
    certificate("team-a", "internal", { name: "team-ca" }),
  ];
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(objects).text);
  const clusterSecrets = ["shared-acme-key", "akamai", "cloudflare", "route53", "azure", "vault-approle"];
  const facts: ClusterFacts = {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.34.4", servedApiVersions: MODERN,
    legacy: { found: false, record: "none", objects: [] },
    liveObjects: [],
    liveObjectDigests: {},
    liveTlsSecrets: {},
    footprint: { crds: [], deployments: [] },
    secrets: Object.fromEntries(clusterSecrets.map((s) => [`kube-system/${s}`, true])),
  };
  const run = await runProgram({
    "cert-manager-upgrade:backupFile": backupFile,
    "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
    "cert-manager-upgrade:mapApiVersions": "true",
    "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true",
    "cert-manager-upgrade:webhook": "false",
    "cert-manager-upgrade:cleanupLegacySecrets": "true",
  }, facts, true);

  const copies = run.registrations.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.name.startsWith("issuer-secrets-") && !r.name.includes("-source-"));
  assert.deepEqual(copies.map((c) => c.inputs.metadata.name).sort(), [...clusterSecrets].sort(), "each ClusterIssuer Secret once; Issuer Secrets stay in their namespace");

  const crds = run.registrations.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition");
  assert.equal(crds.length, 5);
  assert.equal(crds.find((c) => c.inputs.metadata.name === "certificates.certmanager.k8s.io")!.inputs.spec.versions[0].schema.openAPIV3Schema["x-kubernetes-preserve-unknown-fields"], true);

  const release = run.byName("cert-manager");
  assert.match(release.inputs.postrender, /scripts\/postrender-map-apis$/);
  assert.equal(release.inputs.values.webhook.enabled, false);
  assert.equal(release.inputs.chart, "cert-manager");
  assert.equal(release.inputs.version, "v0.6.6");
  assert.equal(release.inputs.repositoryOpts.repo, "https://charts.helm.sh/stable");

  assert.ok(!run.registrations.some((r) => r.type === "cert-manager-upgrade:index:WebhookReadiness"), "no readiness step without the webhook");
  const restored = restoredObjects(run);
  assert.equal(restored.length, objects.length);
  assert.deepEqual(run.outputs.restored, { ClusterIssuer: 3, Issuer: 2, Certificate: 31 });
  // Batches per kind; a Certificate's batch after its Issuer's and its ClusterIssuers'.
  assert.equal(batchNameOf(run, "Certificate/team-a/internal"), "restored-certificates/1");
  assert.equal(batchNameOf(run, "Issuer/team-a/team-ca"), "restored-issuers/1");
  assert.deepEqual(restoredBatches(run).map((b) => b.name).sort(), ["restored-certificates/1", "restored-clusterissuers/1", "restored-issuers/1"]);
  assert.ok(run.dependencyNames("restored-certificates/1").includes("restored-issuers/1"));

  const removal = run.byName("legacy-release-delete-0.4-release");
  assert.deepEqual(removal.inputs.willDelete, []);
  assert.match(removal.inputs.summary, /nothing to delete/);

  const cleanup = run.byName("legacy-secret-cleanup-delete-copied-sources");
  assert.equal(cleanup.inputs.namespace, "kube-system");
  const cleanupDeps = run.dependencyNames("legacy-secret-cleanup-delete-copied-sources");
  assert.ok(restoredBatches(run).every((r) => cleanupDeps.includes(r.name)), "cleanup only after every object is restored");
});
