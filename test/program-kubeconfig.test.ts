// Issue 10, item 10: with a KUBECONFIG list and no kubeconfig/context keys, the program reads the
// merged config (as kubectl and the provider do) and hands the provider and every dynamic step
// the same, explicitly named context.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { ownBackup, seedObjects, TEST_CLUSTER } from "./support/fixtures";
import { runProgram, tempDir, writeChart } from "./support/pulumi-harness";

const dir = tempDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a KUBECONFIG list: the context set by its second file reaches the provider and the dynamic steps", async () => {
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  // The first file defines another cluster and sets no current context; the second sets it.
  const first = path.join(dir, "first");
  fs.writeFileSync(first, [
    "apiVersion: v1", "kind: Config",
    "clusters: [{name: laptop, cluster: {server: 'https://127.0.0.1:2'}}]",
    "users: [{name: laptop, user: {token: a}}]",
    "contexts: [{name: laptop, context: {cluster: laptop, user: laptop}}]", "",
  ].join("\n"));
  const second = path.join(dir, "second");
  fs.writeFileSync(second, [
    "apiVersion: v1", "kind: Config", "current-context: prod-eu",
    "clusters: [{name: prod, cluster: {server: 'https://127.0.0.1:1'}}]",
    "users: [{name: prod, user: {token: b}}]",
    "contexts: [{name: prod-eu, context: {cluster: prod, user: prod}}]", "",
  ].join("\n"));
  process.env.KUBECONFIG = [path.join(dir, "missing"), first, second].join(path.delimiter);

  const facts: ClusterFacts = {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.34.4",
    servedApiVersions: ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"],
    legacy: { found: false, record: "none", objects: [] },
    liveObjects: [], liveObjectDigests: {}, liveTlsSecrets: {}, footprint: { crds: [], deployments: [] },
    secrets: Object.fromEntries(["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"].map((s) => [`kube-system/${s}`, true])),
  };
  const run = await runProgram({
    "cert-manager-upgrade:backupFile": backupFile,
    "cert-manager-upgrade:chart": writeChart(dir),
    "cert-manager-upgrade:mapApiVersions": "true",
    "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true",
  }, facts, true);

  const provider = run.registrations.find((r) => r.type === "pulumi:providers:kubernetes")!;
  assert.ok(provider, "a Kubernetes provider");
  assert.equal(provider.inputs.context, "prod-eu", "the provider is told the context the program resolved");
  // Not the raw list (the provider would read it as one path or as inline YAML): an empty value
  // makes the provider load $KUBECONFIG itself, merged by client-go as kubectl does.
  assert.equal(provider.inputs.kubeconfig, "", "no kubeconfig key: the provider loads $KUBECONFIG itself");
  for (const name of ["legacy-release-delete-0.4-release", "webhook-ready"]) {
    const step = run.registrations.find((r) => r.name === name && r.custom);
    if (!step) continue;
    assert.equal(step.inputs.context, "prod-eu", `${name} runs against the same context`);
    assert.equal(step.inputs.kubeconfig, undefined);
  }
  assert.equal(run.byName("legacy-release-delete-0.4-release").inputs.context, "prod-eu");
});
