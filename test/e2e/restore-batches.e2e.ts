// The restore in batches (issue 13) on the real control plane with the real engine: `pulumi up`
// killed while batches are being applied resumes with nothing lost, the release kept in the state,
// and no change left, on Kubernetes 1.34 (server-side apply) and on the seed's 1.15 (no server-side
// apply: the batch under way at the kill finds its first objects there, and adopts them: create,
// 409, read, replace); `pulumi refresh` shows a restored object edited in the cluster, and the next
// `pulumi up` leaves the edit (issue 19: restored once; test/e2e/restore-once.e2e.ts).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { KubernetesVersion } from "../../harness/control-plane";
import { LocalCluster, PulumiCli, ROOT, RunResult, pluginProcesses, stopPluginsStartedSince, toolchainEnv } from "../../lib/local-run";
import { certManagerObjectLabels, certManagerObjectUids, legacyCrdPresent } from "../support/cluster-objects";
import { runScript, seededCluster } from "../support/seeded-cluster";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
/** Small batches, one request at a time: the run is slow enough to be killed with batches done and one under way. */
const BATCH_SIZE = 25;

interface StateResource { type: string; urn: string; inputs?: Record<string, any>; outputs?: Record<string, any> }

const isBatch = (r: StateResource) => r.type === "pulumi-nodejs:dynamic:Resource" && typeof r.inputs?.batch === "string";

for (const kubernetesVersion of ["1.34", "1.15"] as KubernetesVersion[]) {
  describe(`restore in batches (Kubernetes ${kubernetesVersion})`, { concurrency: false }, () => {
    let env: NodeJS.ProcessEnv;
    let cluster: LocalCluster;
    let kc: k8s.KubeConfig;
    let cli: PulumiCli;
    let planned: string[];
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-batches-"));
    const backupFile = path.join(work, "backups", "cert-manager-backup.yaml");

    const script = (name: string, args: string[]): Promise<RunResult> => runScript(env, name, args);

    async function stateResources(): Promise<StateResource[]> {
      const exported = await cli.runWithoutConfig(["stack", "export"]);
      assert.equal(exported.code, 0, exported.stderr);
      return (JSON.parse(exported.stdout).deployment.resources ?? []) as StateResource[];
    }

    before(async () => {
      env = await toolchainEnv({ build: true });
      ({ cluster, kc, planned } = await seededCluster(work, env, kubernetesVersion, backupFile, { namespaces: 3, certificates: 100 }));
      cli = new PulumiCli({ ...env, CMU_RESTORE_BATCH_SIZE: String(BATCH_SIZE), CMU_RESTORE_CONCURRENCY: "1" }, "batches", path.join(work, "pulumi"), path.join(work, "Pulumi.batches.yaml"));
      // 1.15 serves every API version chart v0.6.6 uses and what cert-manager 0.6.2 needs; 1.34 neither.
      const modern = kubernetesVersion !== "1.15";
      await cli.init({ backupFile, kubeconfig: cluster.kubeconfig, context: cluster.context, chart: CHART_066, mapApiVersions: String(modern),
        ...(modern ? { acknowledgeUnsupportedKubernetes: "true" } : {}), webhook: "false", skipAwait: "true" });
    });

    after(async () => {
      await cluster?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    test("`pulumi up` killed with batches done and one under way: the re-run restores every object once, the release stays in the state, a third run changes nothing", async () => {
      const pluginsBefore = pluginProcesses(cli.env.PULUMI_BACKEND_URL!);
      const { child, output, exited } = cli.startUp();
      let done = false;
      void exited.then(() => (done = true));
      // Kill once a third of the objects are back (some batches finished, others under way): after
      // the old CRDs (and the objects in them) are gone.
      const deadline = Date.now() + 900_000;
      while (!done && Date.now() < deadline && (await legacyCrdPresent(kc))) await new Promise((r) => setTimeout(r, 100));
      let atKill: string[] = [];
      while (!done && Date.now() < deadline) {
        atKill = await certManagerObjectLabels(kc, { exceptNamespace: "cert-manager" }).catch(() => []);
        if (atKill.length >= planned.length / 3) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.ok(!done, `pulumi up finished before it could be killed (${atKill.length} of ${planned.length} restored): ${output().slice(-2000)}`);
      child.kill("SIGKILL");
      await exited;
      stopPluginsStartedSince(pluginsBefore, cli.env.PULUMI_BACKEND_URL!);
      const uidsAtKill = await certManagerObjectUids(kc, { exceptNamespace: "cert-manager" });
      const restoredAtKill = [...uidsAtKill.keys()];
      assert.ok(restoredAtKill.length < planned.length, `the restore was under way when killed (${restoredAtKill.length} of ${planned.length})`);
      // The backend keeps no sidecar files a kill could leave empty (lib/automation.ts: metadata=skip).
      const backendFiles = fs.readdirSync(path.join(cli.stateDir, "backend"), { recursive: true }) as string[];
      assert.deepEqual(backendFiles.filter((f) => f.endsWith(".attrs")), [], "no .attrs sidecar in the state backend");
      const cancel = await cli.runWithoutConfig(["cancel", "--yes"]);
      assert.equal(cancel.code, 0, cancel.stderr);

      // What the state held at the kill: some batches done, not all; the release recorded.
      const killedState = await stateResources();
      const batchesDone = killedState.filter(isBatch);
      const objectsInDoneBatches = batchesDone.reduce((n, r) => n + Object.keys(r.outputs?.objects ?? {}).length, 0);
      assert.ok(batchesDone.length > 0, "some batches were done when killed");
      assert.ok(objectsInDoneBatches < planned.length, "not all of them");
      assert.ok(restoredAtKill.length > objectsInDoneBatches, `a batch was under way (${restoredAtKill.length} objects in the cluster, ${objectsInDoneBatches} in finished batches)`);
      assert.ok(killedState.some((r) => r.type === "kubernetes:helm.sh/v3:Release"), "the release is in the state");

      const rerun = await cli.run(["up", "--yes", "--skip-preview"]);
      assert.equal(rerun.code, 0, `re-run: ${rerun.stdout.slice(-3000)}${rerun.stderr}`);
      const after = await certManagerObjectLabels(kc, { exceptNamespace: "cert-manager" });
      assert.deepEqual(after, planned, "every object restored, once (labels are unique per object)");
      // Those restored before the kill were adopted by the re-run (server-side apply; on 1.15 create, 409, replace), not made anew.
      const uidsAfter = await certManagerObjectUids(kc, { exceptNamespace: "cert-manager" });
      assert.deepEqual([...uidsAtKill].filter(([label, uid]) => uidsAfter.get(label) !== uid), [], "same uids as at the kill");
      const state = await stateResources();
      // Issue 19: a batch whose objects were applied and recorded before the kill, but whose create
      // the engine had not saved, is created again writing none of them: it names them as restored earlier.
      const labelsInState = state.filter(isBatch).flatMap((r) => [...Object.keys(r.outputs?.objects ?? {}), ...(r.outputs?.leftAsTheyAre ?? [])]).sort();
      assert.deepEqual(labelsInState, planned, "each object in exactly one batch of the state, written by it or named as restored earlier");
      assert.equal(state.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").length, 1, "the Helm release still in the state, once");
      const verify = await script("verify", ["--kubeconfig", cluster.kubeconfig, "--backup", backupFile, "--allow-pending"]);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);

      const again = await cli.run(["preview", "--expect-no-changes"]);
      assert.equal(again.code, 0, `a further run would change something: ${again.stdout.slice(-3000)}${again.stderr}`);
    });

    // The read path is the same on both versions.
    // Until issue 19 the next `pulumi up` put the backup's value back; a restored object is now never overwritten unless the stack's reapply names it.
    if (kubernetesVersion === "1.34") test("`pulumi refresh` shows a restored Certificate edited in the cluster; the next `pulumi up` leaves the edit", async () => {
      const label = planned.find((l) => l.startsWith("Certificate/"))!;
      const [, namespace, name] = label.split("/");
      const custom = kc.makeApiClient(k8s.CustomObjectsApi);
      const target = { group: "certmanager.k8s.io", version: "v1alpha1", namespace, plural: "certificates", name };
      const before = await custom.getNamespacedCustomObject(target) as { spec: { dnsNames?: string[] } };
      await custom.patchNamespacedCustomObject({ ...target, body: [{ op: "replace", path: "/spec/dnsNames", value: ["drifted.example.com"] }] },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch));

      const refresh = await cli.run(["refresh", "--yes", "--diff"]);
      assert.equal(refresh.code, 0, refresh.stdout + refresh.stderr);
      assert.match(refresh.stdout, /drifted\.example\.com/, `refresh shows the new value: ${refresh.stdout.slice(-3000)}`);
      assert.ok(refresh.stdout.includes(label), `refresh names the object ${label}`);
      assert.match(refresh.stdout, /1 updated|~ 1 updated|updated/);

      const preview = await cli.run(["preview", "--expect-no-changes"]);
      assert.equal(preview.code, 0, `nothing to write after the refresh: ${preview.stdout.slice(-3000)}${preview.stderr}`);

      const up = await cli.run(["up", "--yes", "--skip-preview"]);
      assert.equal(up.code, 0, up.stdout + up.stderr);
      const now = await custom.getNamespacedCustomObject(target) as { spec: { dnsNames?: string[] } };
      assert.deepEqual(now.spec.dnsNames, ["drifted.example.com"], "the edit is kept");
      assert.notDeepEqual(before.spec.dnsNames, ["drifted.example.com"]);
      const again = await cli.run(["preview", "--expect-no-changes"]);
      assert.equal(again.code, 0, again.stdout.slice(-3000));
    });
  });
}
