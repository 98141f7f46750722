// The local control plane itself: it starts every time, works, and leaves nothing behind, even when
// its owner is killed.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { KUBERNETES_VERSIONS } from "../../harness/control-plane";
import { OWNER_VARIABLE } from "../../harness/processes";
import { LocalCluster, ROOT, startCluster, toolchainEnv } from "../../lib/local-run";

const STARTS = Number(process.env.CMU_CLUSTER_STARTS ?? 20);
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
let env: NodeJS.ProcessEnv;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-control-plane-"));
const leftover: LocalCluster[] = [];

/** Pids of processes whose harness owner token names `ownerPid`. */
function ownedBy(ownerPid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
      if (environ.split("\0").some((v) => v.startsWith(`${OWNER_VARIABLE}=${ownerPid}/`))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

async function until(what: string, check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms / 1000}s waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

before(async () => {
  env = await toolchainEnv({ build: true });
});

after(async () => {
  for (const c of leftover) await c.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("local control plane", { concurrency: false }, () => {
  test(`starts ${STARTS} times in a row (Kubernetes 1.15 and 1.34 in turn), answers each time, and each stop leaves no process and no port behind`, async () => {
    const seconds: number[] = [];
    for (let i = 1; i <= STARTS; i++) {
      const started = Date.now();
      const kubernetesVersion = KUBERNETES_VERSIONS[i % KUBERNETES_VERSIONS.length];
      const cluster = await startCluster(path.join(work, `start-${i}`), env, { kubernetesVersion });
      leftover.push(cluster);
      seconds.push((Date.now() - started) / 1000);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      const ns = await kc.makeApiClient(k8s.CoreV1Api).readNamespace({ name: "kube-system" });
      assert.ok(ns.metadata?.uid, `start ${i}: the API answers`);
      const pids = Object.values(cluster.pids());
      assert.equal(pids.length, 3, `start ${i}: etcd, kube-apiserver and kube-controller-manager run`);
      const ports = cluster.componentPorts();
      assert.equal(Number(new URL(kc.getCurrentCluster()!.server).port), ports["kube-apiserver"][0]);
      for (const [name, list] of Object.entries(ports)) {
        for (const port of list) assert.equal(await portFree(port), false, `start ${i}: ${name} listens on ${port}`);
      }
      await cluster.stop();
      leftover.pop();
      assert.deepEqual(pids.filter((p) => fs.existsSync(`/proc/${p}`)), [], `start ${i}: every component exited`);
      for (const [name, list] of Object.entries(ports)) {
        for (const port of list) assert.ok(await portFree(port), `start ${i}: ${name}'s port ${port} is free again`);
      }
    }
    assert.deepEqual(ownedBy(process.pid), [], "nothing this test started is still running");
    const sorted = [...seconds].sort((a, b) => a - b);
    process.stdout.write(`control plane: ${STARTS} starts, median ${sorted[Math.floor(STARTS / 2)].toFixed(1)}s, max ${sorted[STARTS - 1].toFixed(1)}s\n`);
  });

  for (const kubernetesVersion of KUBERNETES_VERSIONS) test(`Kubernetes ${kubernetesVersion} works: /version, a namespace finalized by the controller-manager, a CRD serving custom objects`, async () => {
    const cluster = await startCluster(path.join(work, `smoke-${kubernetesVersion}`), env, { kubernetesVersion });
    leftover.push(cluster);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const version = await kc.makeApiClient(k8s.VersionApi).getCode();
    assert.equal(`${version.major}.${version.minor}`, kubernetesVersion);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "cmu-smoke" } } });
    await core.createNamespacedConfigMap({ namespace: "cmu-smoke", body: { metadata: { name: "probe" }, data: { a: "b" } } });
    await core.deleteNamespace({ name: "cmu-smoke" });
    await until("namespace cmu-smoke to be gone", () => core.readNamespace({ name: "cmu-smoke" }).then(() => false, () => true), 90_000);
    // 1.15 serves CRDs as apiextensions.k8s.io/v1beta1 only.
    const crdApi = kubernetesVersion === "1.15" ? "apiextensions.k8s.io/v1beta1" : "apiextensions.k8s.io/v1";
    const spec = kubernetesVersion === "1.15"
      ? { group: "smoke.cmu.local", scope: "Namespaced", names: { plural: "widgets", singular: "widget", kind: "Widget" }, version: "v1", versions: [{ name: "v1", served: true, storage: true }] }
      : { group: "smoke.cmu.local", scope: "Namespaced", names: { plural: "widgets", singular: "widget", kind: "Widget" },
          versions: [{ name: "v1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { size: { type: "integer" } } } } } } }] };
    await k8s.KubernetesObjectApi.makeApiClient(kc).create({ apiVersion: crdApi, kind: "CustomResourceDefinition", metadata: { name: "widgets.smoke.cmu.local" }, spec } as k8s.KubernetesObject);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await until("the CRD to serve", () => custom.listNamespacedCustomObject({ group: "smoke.cmu.local", version: "v1", namespace: "default", plural: "widgets" }).then(() => true, () => false), 60_000);
    await custom.createNamespacedCustomObject({ group: "smoke.cmu.local", version: "v1", namespace: "default", plural: "widgets", body: { apiVersion: "smoke.cmu.local/v1", kind: "Widget", metadata: { name: "w1" }, spec: { size: 3 } } });
    const w = await custom.getNamespacedCustomObject({ group: "smoke.cmu.local", version: "v1", namespace: "default", plural: "widgets", name: "w1" }) as { spec: { size: number } };
    assert.equal(w.spec.size, 3);
    await cluster.stop();
    leftover.pop();
  });

  test("killing its owner with SIGKILL takes etcd, kube-apiserver and kube-controller-manager with it", async () => {
    const owner = spawn(NODE, ["--import", "tsx", path.join(ROOT, "scripts", "cluster.ts"), "--dir", path.join(work, "killed")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    owner.stderr.on("data", (d: Buffer) => (stderr += d));
    const exited = new Promise((r) => owner.on("exit", r));
    await new Promise<void>((resolve, reject) => {
      owner.stdout.on("data", (d: Buffer) => d.toString().includes("export KUBECONFIG=") && resolve());
      owner.on("exit", (code) => reject(new Error(`npm run cluster exited ${code} before the cluster was up: ${stderr}`)));
    });
    const pids = ownedBy(owner.pid!);
    assert.equal(pids.length, 3, `three components run for the owner: ${pids.join(", ")}`);
    owner.kill("SIGKILL");
    await exited;
    await until("every component to die with its owner", () => pids.every((p) => !fs.existsSync(`/proc/${p}`) || fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].startsWith("Z")), 30_000);
  });

  test("npm run cluster stops cleanly on Ctrl-C", async () => {
    const owner = spawn(NODE, ["--import", "tsx", path.join(ROOT, "scripts", "cluster.ts"), "--dir", path.join(work, "interrupted")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    owner.stderr.on("data", (d: Buffer) => (stderr += d));
    const exited = new Promise<number | null>((r) => owner.on("exit", r));
    await new Promise<void>((resolve) => owner.stdout.on("data", (d: Buffer) => d.toString().includes("export KUBECONFIG=") && resolve()));
    const pids = ownedBy(owner.pid!);
    assert.equal(pids.length, 3, `etcd, kube-apiserver and kube-controller-manager found for the owner: ${pids.join(", ")}`);
    owner.kill("SIGINT");
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /cluster: stopped/);
    assert.deepEqual(pids.filter((p) => fs.existsSync(`/proc/${p}`)), []);
  });
});
