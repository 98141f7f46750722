// The program under Pulumi's mocks (one program run per file: index.ts is loaded once per process).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ownBackup, seedClusterFacts, seedObjects } from "./support/fixtures";
import { runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";

// Issue 10, item 4.
test("an old release the stack does not recognise stops the program before any resource is declared", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const facts = seedClusterFacts({
    legacy: { found: false, record: "none", objects: [] },
    footprint: {
      crds: [{ name: "certificates.certmanager.k8s.io", labels: { chart: "cert-manager-v0.4.1", release: "certs" }, annotations: {} }],
      deployments: [{ namespace: "ops", name: "certs-cert-manager", labels: { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "certs" }, annotations: {}, images: ["quay.io/jetstack/cert-manager-controller:v0.4.1"] }],
    },
  });
  await assert.rejects(
    runProgram({ "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir), "cert-manager-upgrade:legacyReleaseName": "cert-manager" }, facts, true),
    (e: Error & { registrations?: unknown[] }) => {
      assert.match(e.message, /legacy release check failed: .*Deployment ops\/certs-cert-manager.*pulumi config set legacyReleaseName certs.*legacyNamespace ops/);
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      return true;
    },
  );
});

