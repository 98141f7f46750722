// A source Secret that exists when the cluster is inspected but is gone when the program reads its
// data (deleted meanwhile): the program stops before declaring anything, with one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { ownBackup, seedObjects, TEST_CLUSTER } from "./support/fixtures";
import { kubectlAppliedSecret, runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";
import { findMarker } from "./support/secret-scan";

test("a source Secret gone between the inspection and the read stops the program, naming it, printing no data", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const names = ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"];
  const facts: ClusterFacts = {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.34.4",
    servedApiVersions: ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"],
    legacy: { found: true, record: "helm3", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] },
    liveObjects: ["ClusterIssuer/letsencrypt-prod", "ClusterIssuer/letsencrypt-staging", "Certificate/default/wonder-app-cert", "Certificate/test/ivan-test-cert"],
    liveObjectDigests: {},
    liveTlsSecrets: {}, footprint: { crds: [], deployments: [] },
    secrets: Object.fromEntries(names.map((n) => [`kube-system/${n}`, true])),
  };
  const marker = "gone-secret-value-never-shown";
  const liveSecrets = { [`kube-system/${names[0]}`]: kubectlAppliedSecret("kube-system", names[0], { "tls.key": Buffer.from(marker).toString("base64") }) };
  await assert.rejects(
    runProgram({
      "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
      "cert-manager-upgrade:webhook": "false", "cert-manager-upgrade:mapApiVersions": "true", "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true",
    }, facts, true, { liveSecrets }),
    (e: Error & { registrations?: unknown[] }) => {
      assert.match(e.message, /^secret check failed: Secret kube-system\/cert-manager-setup-staging-private-key disappeared while the program ran; run it again; nothing was changed$/);
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      assert.equal(findMarker(`${e.message}\n${e.stack ?? ""}`, marker), undefined);
      return true;
    },
  );
});
