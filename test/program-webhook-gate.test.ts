// The program under Pulumi's mocks (one program run per file: index.ts is loaded once per process).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ownBackup, seedClusterFacts, seedObjects } from "./support/fixtures";
import { runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";

// Issue 10, item 6.
test("webhook on and a DNS-01 Secret reference without key: the program stops before any resource is declared", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  const objects = seedObjects();
  const prod = objects.find((o) => o.metadata?.name === "letsencrypt-prod")!;
  delete (prod.spec as any).acme.dns01.providers[0].clouddns.serviceAccountSecretRef.key;
  fs.writeFileSync(backupFile, ownBackup(objects).text);
  await assert.rejects(
    runProgram({ "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir), "cert-manager-upgrade:webhook": "true" }, seedClusterFacts({}), true),
    (e: Error & { registrations?: unknown[] }) => {
      assert.match(e.message, /webhook check failed: .*take the backup again/);
      assert.match(e.message, /\n {2}ClusterIssuer letsencrypt-prod: spec\.acme\.dns01\.providers\[0\]\.clouddns\.serviceAccountSecretRef\.key: Required value: secret key is required — fix: .*Secret clouddns-service-account/);
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      return true;
    },
  );
});

// Issue 19, item 1: a ClusterIssuer without ACME email went through the preview unnamed, and its batch failed after the old release was gone.
test("webhook on and a ClusterIssuer without ACME email: the program stops before any resource is declared, naming it", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  const objects = seedObjects();
  const staging = objects.find((o) => o.metadata?.name === "letsencrypt-staging")!;
  delete (staging.spec as any).acme.email;
  fs.writeFileSync(backupFile, ownBackup(objects).text);
  await assert.rejects(
    runProgram({ "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir) }, seedClusterFacts({}), true),
    (e: Error & { registrations?: unknown[] }) => {
      assert.match(e.message, /webhook check failed: .* would reject 1 object\(s\)/);
      assert.match(e.message, /\n {2}ClusterIssuer letsencrypt-staging: spec\.acme\.email: Required value: email address is a required field — fix: `kubectl edit clusterissuer letsencrypt-staging`, set spec\.acme\.email/);
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      return true;
    },
  );
});
