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
      assert.match(e.message, /webhook check failed: .*ClusterIssuer letsencrypt-prod: spec\.acme\.dns01\.providers\[0\]\.clouddns\.serviceAccountSecretRef names Secret clouddns-service-account without `key`.*take the backup again/);
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      return true;
    },
  );
});
