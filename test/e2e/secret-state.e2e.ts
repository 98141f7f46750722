// Secret values and the Pulumi state, on a real API server with the real engine and provider.
// Secrets created with `kubectl apply` (the usual way) carry kubectl's last-applied-configuration
// annotation, which holds their data. Reading a source Secret with `Secret.get` stored that whole
// object, annotation included, in the state in the clear. Here: every seeded Secret holds a marker
// (TLS Secrets too; some created as `kubectl apply` creates them, one by the real kubectl, and one
// ClusterIssuer Secret already copied by hand as the seed's procedure does); after `pulumi up`, a
// second run and `pulumi destroy`, the marker must be in no state file and no command output, in
// any encoding; the copies equal their sources and carry no annotation holding data.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { LAST_APPLIED, kubectlApplied } from "../../lib/legacy-seed";
import { LocalCluster, PulumiCli, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";
import { filesUnder } from "../support/leak-check";
import { findMarker, markerLeaks } from "../support/secret-scan";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const MARKER = `state-secret-${process.pid}-never-stored`;
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const COPIED = ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account", "kubectl-applied-account-key"];
const HAND_COPY = "clouddns-service-account";

let env: NodeJS.ProcessEnv;
let cluster: LocalCluster;
let kc: k8s.KubeConfig;
let cli: PulumiCli;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-secret-state-"));
const backupFile = path.join(work, "backups", "cert-manager-backup.yaml");
const outputs: Array<[string, string]> = [];

function record(what: string, r: RunResult): RunResult {
  outputs.push([`${what} stdout`, r.stdout], [`${what} stderr`, r.stderr]);
  return r;
}

function script(name: string, args: string[]): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env }).then((r) => record(name, r));
}

function kubectl(args: string[], input?: string): Promise<RunResult> {
  return run("kubectl", ["--kubeconfig", cluster.kubeconfig, ...args], { env, input }).then((r) => record(`kubectl ${args[0]}`, r));
}

async function pulumi(args: string[]): Promise<RunResult> {
  return record(`pulumi ${args[0]}`, await cli.run(args));
}

/** Every leak of the marker in the stack's state files, in every command output so far, and in Pulumi's own (decrypted) log files of the stack. */
async function leaks(): Promise<string[]> {
  const state = filesUnder(path.join(work, "pulumi", "backend"));
  assert.ok(state.some(([f]) => f.endsWith(".json")), "a state file was written");
  // Pulumi's own log files: a plain one (a command without a stack) unzipped, the stack's encrypted ones as on disk.
  const pulumiLogs = await cli.ownLogFiles();
  assert.ok(pulumiLogs.encrypted > 0, "the stack's own Pulumi log files were found and decrypt with its secrets manager");
  return markerLeaks([...state, ...outputs, ...pulumiLogs.files, ["backup", fs.readFileSync(backupFile, "latin1")]], MARKER);
}

before(async () => {
  env = await toolchainEnv({ build: true });
  cluster = await startCluster(path.join(work, "cluster"), env);
  const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, "legacy-state"),
    "--namespaces", "1", "--certificates-per-namespace", "3", "--secret-marker", MARKER]);
  assert.equal(seeded.code, 0, seeded.stderr);
  kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
});

after(async () => {
  await cluster?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("secret values and the Pulumi state", { concurrency: false }, () => {
  test("the seed: every Secret holds the marker; kubectl's annotation is written as the real kubectl writes it", async () => {
    // One more ClusterIssuer whose account key is created by the real `kubectl apply`.
    const manifest = { apiVersion: "v1", kind: "Secret", metadata: { name: "kubectl-applied-account-key", namespace: "kube-system" }, type: "Opaque",
      stringData: { "tls.key": `kubectl-key-${MARKER}` } };
    const applied = await kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
    assert.equal(applied.code, 0, applied.stderr);
    const issuer = await kubectl(["apply", "-f", "-"], JSON.stringify({ apiVersion: "certmanager.k8s.io/v1alpha1", kind: "ClusterIssuer", metadata: { name: "letsencrypt-kubectl" },
      spec: { acme: { server: "https://acme-staging-v02.api.letsencrypt.org/directory", email: "ops@example.com", privateKeySecretRef: { name: "kubectl-applied-account-key" }, http01: {} } } }));
    assert.equal(issuer.code, 0, issuer.stderr);

    const core = kc.makeApiClient(k8s.CoreV1Api);
    const live = await core.readNamespacedSecret({ namespace: "kube-system", name: "kubectl-applied-account-key" });
    assert.equal(live.metadata?.annotations?.[LAST_APPLIED], kubectlApplied(manifest).metadata.annotations[LAST_APPLIED], "the seed's annotation is kubectl's, byte for byte");

    const all = (await core.listSecretForAllNamespaces()).items.filter((s) => s.type !== "kubernetes.io/service-account-token" && !s.metadata?.name?.startsWith("sh.helm.release."));
    assert.ok(all.length >= 10, `seeded Secrets: ${all.length}`);
    for (const s of all) {
      const id = `${s.metadata?.namespace}/${s.metadata?.name}`;
      assert.ok(findMarker(JSON.stringify(s.data), MARKER), `${id} holds the marker`);
    }
    assert.ok(all.some((s) => s.type === "kubernetes.io/tls" && s.metadata?.annotations?.[LAST_APPLIED]), "a TLS Secret created by kubectl apply");
    for (const name of ["cert-manager-setup-production-private-key", "clouddns-service-account", "kubectl-applied-account-key"]) {
      const s = all.find((x) => x.metadata?.namespace === "kube-system" && x.metadata?.name === name)!;
      assert.ok(findMarker(s.metadata?.annotations?.[LAST_APPLIED] ?? "", MARKER), `${name}: its annotation holds the marker`);
    }

    // A copy made by hand before the upgrade, as the seed's procedure makes it (all metadata copied).
    assert.equal((await kubectl(["create", "namespace", "cert-manager"])).code, 0);
    const source = await core.readNamespacedSecret({ namespace: "kube-system", name: HAND_COPY });
    const { uid, resourceVersion, creationTimestamp, managedFields, namespace, ...metadata } = source.metadata!;
    void [uid, resourceVersion, creationTimestamp, managedFields, namespace];
    const created = await kubectl(["create", "-n", "cert-manager", "-f", "-"], JSON.stringify({ ...source, metadata }));
    assert.equal(created.code, 0, created.stderr);
    const hand = await core.readNamespacedSecret({ namespace: "cert-manager", name: HAND_COPY });
    assert.ok(findMarker(hand.metadata?.annotations?.[LAST_APPLIED] ?? "", MARKER), "the hand-made copy carries the source's annotation");

    const b = await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile]);
    assert.equal(b.code, 0, b.stderr);
  });

  test("after `pulumi up`: no marker in the state or any output; copies equal their sources; no copy keeps an annotation with data", async () => {
    cli = new PulumiCli(env, "secrets", path.join(work, "pulumi"), path.join(work, "Pulumi.secrets.yaml"));
    await cli.init({ backupFile, kubeconfig: cluster.kubeconfig, context: cluster.context, chart: CHART_066, mapApiVersions: "true", acknowledgeUnsupportedKubernetes: "true", webhook: "false", skipAwait: "true" });
    const preview = await pulumi(["preview", "--diff"]);
    assert.equal(preview.code, 0, preview.stdout.slice(-3000) + preview.stderr);
    const up = await pulumi(["up", "--yes", "--skip-preview", "--diff"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    record("stack output", await cli.run(["stack", "output", "--json"]));
    record("stack export", await cli.run(["stack", "export"]));
    assert.deepEqual(await leaks(), [], "after up");

    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const name of COPIED) {
      const source = await core.readNamespacedSecret({ namespace: "kube-system", name });
      const copy = await core.readNamespacedSecret({ namespace: "cert-manager", name });
      assert.deepEqual(copy.data, source.data, `${name}: same data`);
      assert.equal(copy.type, source.type, `${name}: same type`);
      assert.equal(copy.metadata?.annotations?.["cert-manager-upgrade/copied-from"], `kube-system/${name}`);
      const annotation = copy.metadata?.annotations?.[LAST_APPLIED];
      if (name === HAND_COPY) assert.equal(annotation, "", "the hand-made copy's kubectl annotation is emptied");
      else assert.equal(annotation, undefined, `${name}: no kubectl annotation`);
    }
  });

  test("a second run changes nothing; after `pulumi destroy` the state holds no marker either", async () => {
    const again = await pulumi(["preview", "--expect-no-changes", "--diff"]);
    assert.equal(again.code, 0, again.stdout.slice(-3000) + again.stderr);
    const destroy = await pulumi(["destroy", "--yes", "--skip-preview"]);
    assert.equal(destroy.code, 0, destroy.stdout.slice(-3000) + destroy.stderr);
    record("stack export", await cli.run(["stack", "export"]));
    assert.deepEqual(await leaks(), [], "after destroy");
    const copy = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace: "cert-manager", name: "cert-manager-setup-production-private-key" });
    assert.ok(copy.data?.["tls.key"], "the copies are kept on destroy");
  });
});
