import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { ownBackup, seedObjects, TEST_CLUSTER } from "./support/fixtures";
import { runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";

test("a backup from another cluster stops the program before any resource is declared", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const facts: ClusterFacts = {
    kubeSystemUID: "another-cluster-uid", server: "https://other:6443", serverVersion: "v1.12.10",
    servedApiVersions: ["v1", "apps/v1beta1", "rbac.authorization.k8s.io/v1beta1", "batch/v1beta1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1", "extensions/v1beta1", "authorization.k8s.io/v1beta1"],
    legacy: { found: true, record: "helm2", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] },
    liveObjects: [], liveObjectDigests: {}, liveTlsSecrets: {}, footprint: { crds: [], deployments: [] }, secrets: {},
  };
  await assert.rejects(
    runProgram({ "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir) }, facts, true),
    (e: Error & { registrations?: unknown[] }) => {
      assert.match(e.message, new RegExp(`cluster identity check failed: .*kube-system uid ${TEST_CLUSTER.kubeSystemUID}.*another-cluster-uid`));
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      return true;
    },
  );
});
