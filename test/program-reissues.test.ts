// Issue 12: the program's preview says what cert-manager 0.6.2 will issue anew and which ACME accounts
// it will register, with the count line, before anything is deleted (the same line as `npm run plan`).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SERVED_APIS_1_34, ownBackup, seedClusterFacts, seedObjects } from "./support/fixtures";
import { runProgram, tempDir, writeKubeconfig } from "./support/pulumi-harness";

test("the preview warns with the count: the ACME key not copied (expectedMissingSecrets) is a new account, a missing TLS Secret a new certificate", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  const accountKeys = seedObjects().filter((o) => o.kind === "ClusterIssuer").map((o) => ({
    issuerKind: "ClusterIssuer" as const, issuerNamespace: "", issuer: o.metadata!.name!, secretNamespace: "kube-system",
    secretName: (o.spec!.acme as { privateKeySecretRef: { name: string } }).privateKeySecretRef.name, key: "tls.key",
    secretExists: true, keyPresent: true, keyType: "RSA PRIVATE KEY",
  }));
  fs.writeFileSync(backupFile, ownBackup(seedObjects(), { acmeAccountKeys: accountKeys, missingTlsSecrets: ["default/wonder-app-cert", "test/ivan-test-cert"] }).text);
  const names = ["cert-manager-setup-staging-private-key", "clouddns-service-account"];
  const facts = seedClusterFacts({
    serverVersion: "v1.34.4", servedApiVersions: SERVED_APIS_1_34,
    secrets: Object.fromEntries(names.map((n) => [`kube-system/${n}`, true])),
  });
  const run = await runProgram({
    "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
    "cert-manager-upgrade:webhook": "false", "cert-manager-upgrade:mapApiVersions": "true", "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true",
    // The production account key is not copied: the preflight's missing-Secret stop is passed on purpose.
    "cert-manager-upgrade:expectedMissingSecrets": JSON.stringify(["cert-manager-setup-production-private-key"]),
  }, facts, true);
  const warnings = run.logs.filter((l) => l.severity === "warn").map((l) => l.message);
  // ivan-test-cert's issuer (letsencrypt-prod) is Ready: 0.6.2 makes an order for it too.
  assert.ok(warnings.some((w) => w.includes("plan: 2 certificates will be issued anew and 1 new ACME account registered by cert-manager 0.6.2 (default/wonder-app-cert, test/ivan-test-cert; account of letsencrypt-prod)")), warnings.join("\n"));
  assert.ok(warnings.some((w) => /ClusterIssuer\/letsencrypt-prod: .*not copied \(expectedMissingSecrets\): 0\.6\.2 generates a new key and registers a NEW ACME account/.test(w)), warnings.join("\n"));
  assert.ok(warnings.some((w) => /Certificate\/default\/wonder-app-cert: TLS Secret default\/wonder-app-cert did not exist at backup time: it will be issued anew/.test(w)), warnings.join("\n"));
  // Said once each (the old missing-TLS warning is folded into the prediction).
  assert.equal(warnings.filter((w) => w.includes("TLS Secret default/wonder-app-cert did not exist")).length, 1);
});
