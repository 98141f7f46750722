// A local control plane with the seed's 0.4 release and objects, and its backup: what the e2e
// tests of the restore start from.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseBackup } from "../../lib/backup-format";
import { KubernetesVersion } from "../../harness/control-plane";
import { LocalCluster, ROOT, RunResult, run, startCluster } from "../../lib/local-run";
import { buildRestorePlan } from "../../lib/plan";
import { objectLabel } from "../../lib/types";

const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

export function runScript(env: NodeJS.ProcessEnv, name: string, args: string[]): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env });
}

/** Starts a cluster in `work`/cluster, seeds it (`namespaces` × `certificates` Certificates), backs it up to `backupFile`; the labels the restore plans, sorted. */
export async function seededCluster(work: string, env: NodeJS.ProcessEnv, kubernetesVersion: KubernetesVersion, backupFile: string, size: { namespaces: number; certificates: number }):
  Promise<{ cluster: LocalCluster; kc: k8s.KubeConfig; planned: string[] }> {
  const cluster = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion });
  const seeded = await runScript(env, "seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, "legacy-state"), "--namespaces", String(size.namespaces), "--certificates-per-namespace", String(size.certificates)]);
  assert.equal(seeded.code, 0, seeded.stderr);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const b = await runScript(env, "backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile]);
  assert.equal(b.code, 0, b.stderr);
  const planned = buildRestorePlan(parseBackup(fs.readFileSync(backupFile))).restore.map((r) => objectLabel(r)).sort();
  return { cluster, kc, planned };
}
