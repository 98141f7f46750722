// Issue 18: relative paths in stack config mean what the user means, relative to the project folder
// (where Pulumi.yaml and the stack files are). Pulumi runs the program from the folder of Pulumi.yaml's
// `main` (scripts/), so each test runs it from there.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT, SERVED_APIS_1_34, ownBackup, seedClusterFacts, seedObjects } from "./support/fixtures";
import { ProgramRun, runProgram, tempDir, writeChart, writeKubeconfig } from "./support/pulumi-harness";

const SCRIPTS = path.join(ROOT, "scripts");

/** Runs the program with `cwd` as its working folder, as Pulumi does. */
async function runFrom(cwd: string, config: Record<string, string>): Promise<ProgramRun> {
  const before = process.cwd();
  process.chdir(cwd);
  try {
    return await runProgram({
      "cert-manager-upgrade:webhook": "false", "cert-manager-upgrade:mapApiVersions": "true", "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true",
      ...config,
    }, seedClusterFacts({ serverVersion: "v1.34.4", servedApiVersions: SERVED_APIS_1_34 }), true);
  } finally {
    process.chdir(before);
  }
}

test("relative backupFile, kubeconfig and chart are read from the project folder, not from the folder Pulumi runs the program in", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const kubeconfig = writeKubeconfig(dir);
  const chart = writeChart(dir);
  // Relative to the project ("../../tmp/cmu-program-…/backup.yaml"); from scripts/ they name nothing.
  const fromProject = (file: string): string => path.relative(ROOT, file);
  assert.ok(!fs.existsSync(path.resolve(SCRIPTS, fromProject(backupFile))), "the test's paths must differ when read from scripts/");

  const run = await runFrom(SCRIPTS, {
    "cert-manager-upgrade:backupFile": fromProject(backupFile),
    "cert-manager-upgrade:kubeconfig": fromProject(kubeconfig),
    "cert-manager-upgrade:chart": fromProject(chart),
  });

  assert.equal(run.byName("cert-manager").inputs.chart, chart, "the Helm release gets the chart's absolute path (the provider's folder is not the project either)");
  const provider = run.registrations.find((r) => r.type === "pulumi:providers:kubernetes");
  assert.equal(provider?.inputs.kubeconfig, kubeconfig);
  const removal = run.byName("legacy-release-delete-0.4-release");
  assert.equal(removal.inputs.backupFile, backupFile, "the removal re-reads the backup in the provider's process: an absolute path");
  assert.equal(removal.inputs.kubeconfig, kubeconfig);
});

for (const key of ["backupFile", "kubeconfig", "chart"]) {
  test(`a missing relative ${key} stops the program before anything is declared, named as written and as resolved, with its key`, async () => {
    const dir = tempDir();
    const backupFile = path.join(dir, "backup.yaml");
    fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
    const written = path.join("no-such-folder", `${key}-${process.pid}`);
    const config = { "cert-manager-upgrade:backupFile": backupFile, "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir), [`cert-manager-upgrade:${key}`]: written };
    await assert.rejects(runFrom(SCRIPTS, config), (e: Error & { registrations?: unknown[] }) => {
      const expected = `check failed: cannot read ${written} (${path.join(ROOT, written)}), config key cert-manager-upgrade:${key} in Pulumi.test.yaml: ENOENT; `;
      assert.ok(e.message.includes(expected), `${e.message}\nshould include: ${expected}`);
      assert.deepEqual(e.registrations, [], "nothing declared, so nothing can be deleted");
      return true;
    });
  });
}
