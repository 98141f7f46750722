// A source Secret that exists when the cluster is inspected but is gone when the program reads its
// data (deleted meanwhile): the program stops before declaring anything, with one line.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SERVED_APIS_1_34, ownBackup, seedClusterFacts, seedObjects } from "./support/fixtures";
import { kubectlAppliedSecret, runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";
import { findMarker } from "./support/secret-scan";

test("a source Secret gone between the inspection and the read stops the program, naming it, printing no data", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const names = ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"];
  const facts = seedClusterFacts({
    serverVersion: "v1.34.4", servedApiVersions: SERVED_APIS_1_34,
    secrets: Object.fromEntries(names.map((n) => [`kube-system/${n}`, true])),
  });
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
