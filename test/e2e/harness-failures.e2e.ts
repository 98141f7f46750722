// A pod the kubelet stand-in cannot run fails every wait on the harness at once, with the pod's own
// message, instead of the wait's timeout (a missing socat once cost a demo ten silent minutes).
// Kubernetes 1.15: its controller-manager fills the ServiceAccount token Secret the pod needs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { CertManagerHarness, leftovers } from "../../harness/cert-manager";
import { LocalCluster, startCluster, toolchainEnv } from "../../lib/local-run";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-e2e-harness-failures-"));
let env: NodeJS.ProcessEnv;
let cluster: LocalCluster | undefined;
let harness: CertManagerHarness | undefined;

before(async () => {
  env = await toolchainEnv({ build: true, extras: ["cert-manager", "pebble"] });
});

after(async () => {
  await harness?.stop();
  await cluster?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("a pod that cannot start", () => {
  test("its program missing: the wait ends at once with the pod's exit and log, not at its timeout", async () => {
    cluster = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion: "1.15", withoutEndpointsController: true });
    // A folder without the binaries: what a broken image would be.
    const emptyBin = path.join(work, "no-binaries");
    fs.mkdirSync(emptyBin);
    harness = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(work, "harness"), env: { ...env, CMU_CERT_MANAGER_BIN: emptyBin } });
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "broken" } } });
    await core.createNamespacedServiceAccount({ namespace: "broken", body: { metadata: { name: "cert-manager" } } });
    await kc.makeApiClient(k8s.AppsV1Api).createNamespacedDeployment({ namespace: "broken", body: {
      metadata: { name: "cert-manager" },
      spec: {
        selector: { matchLabels: { app: "cert-manager" } },
        template: {
          metadata: { labels: { app: "cert-manager" } },
          spec: { serviceAccountName: "cert-manager", containers: [{ name: "cert-manager", image: "quay.io/jetstack/cert-manager-controller:v0.6.2", args: ["--v=2"] }] },
        },
      },
    } });
    const timeoutMs = 10 * 60_000;
    const started = Date.now();
    await assert.rejects(
      harness.waitFor("something that needs the controller", async () => "waiting", timeoutMs, 500),
      (err: Error) => {
        assert.match(err.message, /^something that needs the controller: cannot happen: broken\/cert-manager exited with status 127, its program could not be run: .*cert-manager-controller.*not found/);
        return true;
      },
    );
    const took = Date.now() - started;
    assert.ok(took < timeoutMs / 2, `ended by the failure, not the timeout (${took} ms)`);
    process.stdout.write(`harness failure: reported ${(took / 1000).toFixed(1)} s after the wait began\n`);
    await harness.stop();
    harness = undefined;
    await cluster.stop();
    cluster = undefined;
    assert.deepEqual(leftovers(), [], "nothing left behind");
  });
});
