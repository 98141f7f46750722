// Issue 19, item 5: a proxy-url the restore's client cannot use (socks5, https) stops the program at
// the preflight, before any resource is declared (so before the old release is removed).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { ownBackup, seedObjects, TEST_CLUSTER } from "./support/fixtures";
import { runProgram, tempDir } from "./support/pulumi-harness";

test("a socks5 proxy-url is refused in one line before anything is declared", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const kubeconfig = path.join(dir, "kubeconfig");
  fs.writeFileSync(kubeconfig, [
    "apiVersion: v1", "kind: Config", "current-context: behind-socks",
    "clusters: [{name: prod, cluster: {server: 'https://127.0.0.1:1', proxy-url: 'socks5://jump:s3cret@127.0.0.1:1080'}}]",
    "users: [{name: prod, user: {token: dummy}}]",
    "contexts: [{name: behind-socks, context: {cluster: prod, user: prod}}]", "",
  ].join("\n"));
  const facts: ClusterFacts = {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.34.4",
    servedApiVersions: ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"],
    legacy: { found: true, record: "helm2", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] },
    liveObjects: [], liveObjectDigests: {}, liveTlsSecrets: {}, footprint: { crds: [], deployments: [] }, secrets: {},
  };
  await assert.rejects(
    runProgram({ "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": kubeconfig }, facts, false),
    (e: Error & { registrations?: unknown[] }) => {
      assert.match(e.message, /kubeconfig check failed: the proxy-url of cluster prod in the kubeconfig is a socks5 proxy \(socks5:\/\/127\.0\.0\.1:1080\), which the restore step cannot use: only http:\/\/ proxies .*; nothing was changed/);
      assert.doesNotMatch(e.message, /s3cret/, "the proxy's password is never printed");
      assert.equal(e.message.split("\n").length, 1, "one line");
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      return true;
    },
  );
});
