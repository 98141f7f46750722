// Faults on the real control plane: a tampered backup, the API server stopped mid-backup and
// restarted during `pulumi up`, and secret values in every output a user or reviewer sees.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseBackup } from "../../lib/backup-format";
import { LocalCluster, PulumiCli, ROOT, RunResult, pluginProcesses, run, startCluster, stopPluginsStartedSince, toolchainEnv } from "../../lib/local-run";
import { buildRestorePlan } from "../../lib/plan";
import { renderMarkdown, renderText, summarizePreview } from "../../lib/preview-summary";
import { certManagerObjectLabels, isNotFound, legacyCrdPresent } from "../support/cluster-objects";
import { filesUnder } from "../support/leak-check";
import { markerLeaks } from "../support/secret-scan";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const MARKER = `faults-secret-${process.pid}-never-shown`;
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

let env: NodeJS.ProcessEnv;
let cluster: LocalCluster;
let kc: k8s.KubeConfig;
let cli: PulumiCli;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-faults-"));
const backupFile = path.join(work, "backups", "cert-manager-backup.yaml");
const seen: string[] = [];

function script(name: string, args: string[]): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env }).then((r) => {
    seen.push(r.stdout, r.stderr);
    return r;
  });
}

before(async () => {
  env = await toolchainEnv({ build: true });
  cluster = await startCluster(path.join(work, "cluster"), env);
  const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, "legacy-state"),
    "--namespaces", "2", "--certificates-per-namespace", "150", "--secret-marker", MARKER]);
  assert.equal(seeded.code, 0, seeded.stderr);
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const b = await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile]);
  assert.equal(b.code, 0, b.stderr);
  cli = new PulumiCli(env, "faults", path.join(work, "pulumi"), path.join(work, "Pulumi.faults.yaml"));
  await cli.init({ backupFile, kubeconfig: cluster.kubeconfig, context: cluster.context, chart: CHART_066, mapApiVersions: "true", acknowledgeUnsupportedKubernetes: "true", webhook: "false", skipAwait: "true" });
});

after(async () => {
  await cluster?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("faults", { concurrency: false }, () => {
  test("a truncated backup and a backup with one byte changed are refused by `pulumi up`, each with its own message; nothing deleted", async () => {
    const good = fs.readFileSync(backupFile);
    const objectsBefore = await certManagerObjectLabels(kc);
    for (const [what, bytes, message] of [
      ["truncated", good.subarray(0, Math.floor(good.length * 0.6)), /backup check failed: .*meta line is missing: the file was truncated/],
      ["one byte changed", Buffer.concat([good.subarray(0, 400), Buffer.from(good[400] === 0x61 ? "b" : "a"), good.subarray(401)]), /backup check failed: .*checksum mismatch: the backup was changed after it was taken/],
    ] as const) {
      fs.writeFileSync(backupFile, bytes);
      const up = await cli.run(["up", "--yes", "--skip-preview"]);
      seen.push(up.stdout, up.stderr);
      assert.notEqual(up.code, 0, what);
      assert.match(up.stdout + up.stderr, message, what);
      const plan = await script("plan", ["--backup", backupFile]);
      assert.equal(plan.code, 1, `plan refuses the ${what} backup`);
      assert.match(plan.stdout + plan.stderr, message.source.includes("truncated") ? /truncated/ : /checksum mismatch/, `plan names the ${what} backup's fault`);
      assert.ok(await legacyCrdPresent(kc), `${what}: the old release's CRDs are untouched`);
      assert.deepEqual(await certManagerObjectLabels(kc), objectsBefore, `${what}: every Issuer, ClusterIssuer and Certificate is still there`);
    }
    fs.writeFileSync(backupFile, good);
  });

  test("the API server stopped mid-backup: the backup fails clearly and the previous file is untouched", async () => {
    const previous = fs.readFileSync(backupFile);
    const child = spawn(NODE, [TSX, path.join(ROOT, "scripts", "backup.ts"), "--kubeconfig", cluster.kubeconfig, "--out", backupFile, "--page-size", "2"], { env: { ...env, CMU_REQUEST_TIMEOUT_MS: "5000" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const exited = new Promise<number>((r) => child.on("close", (code) => r(code ?? 1)));
    // Stop the API server once the backup has started writing its temporary file.
    const dir = path.dirname(backupFile);
    for (let i = 0; i < 1500 && !fs.readdirSync(dir).some((f) => f.endsWith(".tmp")); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(fs.readdirSync(dir).some((f) => f.endsWith(".tmp")), "the backup was under way");
    await cluster.stopApiServer();
    const code = await exited;
    seen.push(stderr);
    assert.equal(code, 1, stderr);
    const lines = stderr.trim().split("\n").filter((l) => !/^backup: (read|checked) /.test(l));
    assert.equal(lines.length, 1, `one line of error: ${stderr}`);
    assert.match(lines[0], /^backup: listing .* failed: .*(ECONNREFUSED|ETIMEDOUT|socket hang up|ECONNRESET)/);
    assert.ok(fs.readFileSync(backupFile).equals(previous), "the previous backup is byte for byte the same");
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")), [], "no temporary file left");
    await cluster.startApiServer();
  });

  test("the API server restarted during `pulumi up`: a re-run completes and nothing is lost", async () => {
    const pluginsBefore = pluginProcesses(cli.env.PULUMI_BACKEND_URL!);
    const { child, output, exited } = cli.startUp();
    const deadline = Date.now() + 600_000; // a busy machine may take minutes to reach the removal
    while (Date.now() < deadline && (await legacyCrdPresent(kc))) await new Promise((r) => setTimeout(r, 100));
    // The intended point: the old CRDs (and every object in them) are gone, the restore not finished.
    assert.ok(!(await legacyCrdPresent(kc)), "the API server is stopped after the old CRDs were deleted");
    const planned = buildRestorePlan(parseBackup(fs.readFileSync(backupFile))).restore.length;
    // Before the new CRDs exist the list is a 404: nothing restored yet. Any other failure is no answer.
    const restoredAtStop = (await certManagerObjectLabels(kc).catch((err: unknown) => {
      if (isNotFound(err)) return [];
      throw err;
    })).length;
    assert.ok(restoredAtStop < planned, `the restore was not finished when the API server went away (${restoredAtStop} of ${planned})`);
    assert.ok(child.exitCode === null && child.signalCode === null, `pulumi up was still running when the API server was stopped: ${output().slice(-2000)}`);
    await cluster.stopApiServer();
    await new Promise((r) => setTimeout(r, 3000));
    await cluster.startApiServer();
    // The interrupted run either fails or rides out the outage (requests are retried); one that hangs
    // is killed, as a user would. Either way a re-run must complete with nothing lost.
    const first = await Promise.race([exited, new Promise<number>((r) => setTimeout(() => r(-1), 300_000))]);
    if (first === -1) {
      child.kill("SIGKILL");
      await exited;
      stopPluginsStartedSince(pluginsBefore, cli.env.PULUMI_BACKEND_URL!);
      await cli.runWithoutConfig(["cancel", "--yes"]);
    }
    seen.push(output());

    const rerun = await cli.run(["up", "--yes", "--skip-preview"]);
    seen.push(rerun.stdout, rerun.stderr);
    assert.equal(rerun.code, 0, `first run exited ${first}; re-run: ${rerun.stdout.slice(-3000)}${rerun.stderr}`);
    const verify = await script("verify", ["--kubeconfig", cluster.kubeconfig, "--backup", backupFile, "--allow-pending"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const plan = buildRestorePlan(parseBackup(fs.readFileSync(backupFile)));
    assert.match(verify.stdout, new RegExp(`verify: all ${plan.restore.length} objects`));
  });

  test("no seeded secret value in any log, backup, plan, verify output, preview summary or state file", async () => {
    const preview = await cli.run(["preview", "--json"]);
    assert.equal(preview.code, 0, preview.stderr);
    const model = summarizePreview(JSON.parse(preview.stdout), []);
    const planText = await script("plan", ["--backup", backupFile]);
    const planJson = await script("plan", ["--backup", backupFile, "--json"]);
    assert.equal(planJson.code, 0);
    const outputs = [...seen, ...cli.transcript, renderMarkdown(model, "faults"), renderText(model, "faults"), planText.stdout, fs.readFileSync(backupFile, "utf8")];
    const state = filesUnder(path.join(work, "pulumi", "backend"));
    assert.ok(state.some(([, text]) => text.includes("issuer-secrets-clouddns-service-account")), "the state holds the copied Secret");
    // Plaintext, base64 at every alignment, and inside nested base64 (test/support/secret-scan.ts).
    assert.deepEqual(markerLeaks([...outputs.map((text, i): [string, string] => [`output ${i}`, text]), ...state], MARKER), []);
  });
});
