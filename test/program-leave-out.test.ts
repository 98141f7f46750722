// The stack setting leaveOut under Pulumi's mocks (issue 19, item 1, step 3).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ownBackup, seedClusterFacts, seedObjects } from "./support/fixtures";
import { restoredBatches, restoredObjects, runProgram, tempDir, writeChart, writeKubeconfig } from "./support/pulumi-harness";

function backupWithoutStagingEmail(dir: string): string {
  const backupFile = path.join(dir, "backup.yaml");
  const objects = seedObjects();
  delete (objects.find((o) => o.metadata?.name === "letsencrypt-staging")!.spec as any).acme.email;
  fs.writeFileSync(backupFile, ownBackup(objects).text);
  return backupFile;
}

test("leaveOut names a ClusterIssuer the webhook rejects: the preview goes on, it is not restored, its Secret not copied, and the preview says so", async () => {
  const dir = tempDir();
  const run = await runProgram({
    "cert-manager-upgrade:backupFile": backupWithoutStagingEmail(dir),
    "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
    "cert-manager-upgrade:chart": writeChart(dir),
    "cert-manager-upgrade:mapApiVersions": "true",
    "cert-manager-upgrade:leaveOut": JSON.stringify(["ClusterIssuer/letsencrypt-staging"]),
  }, seedClusterFacts({}), true);
  const labels = restoredObjects(run).map((o) => o.label).sort();
  assert.deepEqual(labels, ["Certificate/default/wonder-app-cert", "Certificate/test/ivan-test-cert", "ClusterIssuer/letsencrypt-prod"]);
  const copied = run.registrations.filter((r) => r.type === "kubernetes:core/v1:Secret").map((r) => r.inputs.metadata?.name);
  assert.ok(!copied.includes("cert-manager-setup-staging-private-key"), `only the Secrets of restored issuers are copied: ${copied.join(", ")}`);
  const line = run.logs.find((l) => l.severity === "warn" && l.message.startsWith("leaveOut: "));
  assert.ok(line, run.logs.map((l) => l.message).join("\n"));
  assert.match(line.message, /^leaveOut: 1 object\(s\) of the backup are left out on purpose and not restored: ClusterIssuer\/letsencrypt-staging; they go with the old CRDs/);
  assert.deepEqual(run.outputs.leftOut, ["ClusterIssuer/letsencrypt-staging"]);
  // Step 4: the restore's last step waits for every batch and fails the run if the API rejected objects; its fix's index follows the stack's entries.
  const outcome = run.byName("restored-outcome");
  assert.deepEqual(run.dependencyNames("restored-outcome").sort(), restoredBatches(run).map((b) => b.name).sort());
  assert.equal(outcome.inputs.leaveOutCount, 1);
  assert.ok("rejected" in outcome.inputs, "the batches' rejections (known once they ran)");
});

test("leaveOut naming an object the backup does not hold: one line naming the key and the entry, nothing declared", async () => {
  const dir = tempDir();
  await assert.rejects(
    runProgram({
      "cert-manager-upgrade:backupFile": backupWithoutStagingEmail(dir),
      "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
      "cert-manager-upgrade:leaveOut": JSON.stringify(["Certificate/default/wonder-app"]),
    }, seedClusterFacts({}), true),
    (e: Error & { registrations?: unknown[] }) => {
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, /config key cert-manager-upgrade:leaveOut in Pulumi\.\S+\.yaml names "Certificate\/default\/wonder-app", which .*backup\.yaml does not hold .* e\.g\. Certificate\/default\/wonder-app-cert: fix or remove it/);
      assert.deepEqual(e.registrations, []);
      return true;
    },
  );
});
