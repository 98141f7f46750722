// The README's Usage section, run as written: its commands, with their relative paths, in a copy of
// the project, against the seed's kind of cluster (Kubernetes 1.15, a real cert-manager 0.4.1
// release, the real 0.6.2 controller and webhook afterwards). A README that drifts from the code
// fails here. What the environment supplies, as a user's shell would: a kubeconfig whose context is
// `prod-eu`, a Pulumi state backend and passphrase, PULUMI_SKIP_CONFIRMATIONS for `pulumi up`'s
// prompt (no terminal here). Two stack settings are added after the Usage's own `pulumi config set`
// lines, each for a reason of this machine, not of the program:
//   - chart: the chart archive from ../shared/upstream (no chart repository can be reached here);
//   - skipAwait: Helm's wait reads Pod status, and no kubelet reports it (harness/kubelet.ts).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import * as yaml from "js-yaml";
import { CertManagerHarness, readyStates } from "../../harness/cert-manager";
import { offlinePulumiEnv } from "../../lib/automation";
import { LocalCluster, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const CONTEXT = "prod-eu";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-e2e-usage-"));
let env: NodeJS.ProcessEnv;
let cluster: LocalCluster | undefined;
let harness: CertManagerHarness | undefined;

/** The command lines of the README's Usage block, comments and blank lines left out. */
export function usageCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf("\n## Usage\n"));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  assert.ok(block, "README.md has a ```sh block under ## Usage");
  return block[1].split("\n").map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

/** A copy of the project as a clone has it (tracked files and new ones, not ignored ones), with node_modules hard-linked. */
function copyProject(to: string): void {
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" }).split("\0").filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(ROOT, f))) continue; // deleted in the work tree
    fs.mkdirSync(path.dirname(path.join(to, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(to, f));
  }
  execFileSync("cp", ["-al", path.join(ROOT, "node_modules"), path.join(to, "node_modules")]);
}

before(async () => {
  env = await toolchainEnv({ build: true, extras: ["cert-manager", "pebble"] });
});

after(async () => {
  await harness?.stop();
  await cluster?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the README's Usage, as written", () => {
  test("backup, plan, stack init, config set, preview, up, verify and explain, with the README's relative paths", async () => {
    cluster = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion: "1.15", withoutEndpointsController: true });
    harness = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(work, "harness"), env });
    const seeded = await run(NODE, [TSX, path.join(ROOT, "scripts", "seed-legacy.ts"), "--kubeconfig", cluster.kubeconfig, "--state", path.join(work, "legacy-state"),
      "--namespaces", "1", "--certificates-per-namespace", "2", "--acme-server", harness.pebble.directoryUrl], { env });
    assert.equal(seeded.code, 0, seeded.stderr);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    await harness.waitFor("the legacy issuers Ready", async () => {
      const waiting = [...(await readyStates(kc)).values()].filter((s) => s.kind !== "Certificate" && s.ready !== "True");
      return waiting.length === 0 ? true : `${waiting.length} issuers not Ready`;
    }, 6 * 60_000);

    // The user's kubeconfig: the cluster under the context name the README uses.
    const kubeconfig = yaml.load(fs.readFileSync(cluster.kubeconfig, "utf8")) as { contexts: Array<{ name: string }>; "current-context": string };
    kubeconfig.contexts[0].name = CONTEXT;
    kubeconfig["current-context"] = "elsewhere-not-used";
    const userKubeconfig = path.join(work, "user-kubeconfig");
    fs.writeFileSync(userKubeconfig, yaml.dump(kubeconfig), { mode: 0o600 });

    const project = path.join(work, "cert-manager-upgrade");
    copyProject(project);
    const shellEnv: NodeJS.ProcessEnv = {
      ...env, ...offlinePulumiEnv({ backendDir: path.join(work, "state") }),
      KUBECONFIG: userKubeconfig, PULUMI_SKIP_CONFIRMATIONS: "true", CMU_INSTALL_PACKAGES: "no",
    };
    const commands = usageCommands(fs.readFileSync(path.join(ROOT, "README.md"), "utf8"));
    assert.ok(commands.includes("pulumi up") && commands.some((c) => c.startsWith("npm run verify")), `the Usage block holds the upgrade: ${commands.join(" ; ")}`);
    const lastConfigSet = commands.map((c) => c.startsWith("pulumi config set")).lastIndexOf(true);
    const machineOnly = ["pulumi config set chart " + CHART_066, "pulumi config set skipAwait true"];
    const outputs = new Map<string, RunResult>();
    for (const [i, command] of commands.entries()) {
      if (command === "npm run verify" || command.startsWith("npm run verify ")) {
        // As a user would before verifying: the 0.6.2 controller has looked at every object.
        const expected = [...(await readyStates(kc)).keys()];
        await harness.waitFor("the 0.6.2 controller reports on every restored object", async () => {
          const now = await readyStates(kc);
          const waiting = expected.filter((k) => !now.get(k)?.ready);
          return waiting.length === 0 ? true : `${waiting.length} without a Ready condition yet`;
        }, 6 * 60_000);
      }
      const ran = await run("bash", ["-c", command], { cwd: project, env: shellEnv });
      outputs.set(command, ran);
      assert.equal(ran.code, 0, `\`${command}\` failed as written:\n${ran.stdout.slice(-3000)}\n${ran.stderr.slice(-3000)}`);
      if (i === lastConfigSet) {
        for (const extra of machineOnly) {
          const set = await run("bash", ["-c", extra], { cwd: project, env: shellEnv });
          assert.equal(set.code, 0, `${extra}: ${set.stderr}`);
        }
      }
    }

    // The relative paths meant the project's files, whatever folder Pulumi ran the program from.
    const stackFile = fs.readFileSync(path.join(project, `Pulumi.${CONTEXT}.yaml`), "utf8");
    assert.match(stackFile, /backupFile: backups\/prod-eu\/cert-manager-backup\.yaml/, "the stack holds the relative path as the user typed it");
    assert.ok(fs.existsSync(path.join(project, "backups", CONTEXT, "cert-manager-backup.yaml")), "npm run backup wrote where the README says");
    const up = [...outputs.entries()].find(([c]) => c === "pulumi up")![1];
    assert.match(up.stdout, /Resources:/, up.stdout.slice(-2000));
    const verify = [...outputs.entries()].find(([c]) => c.startsWith("npm run verify"))![1];
    assert.match(verify.stdout, /as in the backup/, verify.stdout.slice(-2000));
    const crds = await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "certificates" });
    assert.ok(crds.items.length >= 4, "the certificates are back");
  });
});
