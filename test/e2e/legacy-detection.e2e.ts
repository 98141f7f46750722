// Issue 10, items 4 and 5 on a real API server with the real Pulumi engine and provider: an old
// release the stack does not recognise (another release name, CRDs without their release label) or
// a Helm release record it cannot read stops `pulumi up` with one line, and nothing is deleted;
// Tiller records kept as Secrets in a configured namespace are matched on their content, the 0.4
// one removed with the release, another chart's left alone; a re-run after the finished upgrade passes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { LocalCluster, PulumiCli, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";
import { tillerRecordObject } from "../support/tiller-record";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const OLD_CRDS = ["certificates", "issuers", "clusterissuers"].map((p) => `${p}.certmanager.k8s.io`);
const TILLER_NS = "helm2-tiller";

let env: NodeJS.ProcessEnv;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-e2e-legacy-"));
const clusters: LocalCluster[] = [];

function script(name: string, args: string[]): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env });
}

before(async () => {
  env = await toolchainEnv({ build: true, echo: true });
});

after(async () => {
  for (const c of clusters) await c.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** What must survive a refused `pulumi up`: the old CRDs, every object, the release records, the old controller. */
interface Snapshot {
  crds: Record<string, string | undefined>;
  objects: string[];
  records: string[];
  deploymentUID: string;
}

async function snapshot(kc: k8s.KubeConfig): Promise<Snapshot> {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const crds: Snapshot["crds"] = {};
  for (const name of OLD_CRDS) crds[name] = (await ext.readCustomResourceDefinition({ name })).metadata?.labels?.chart;
  const objects: string[] = [];
  for (const plural of ["clusterissuers", "issuers", "certificates"]) {
    const list = await custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural });
    for (const o of list.items as Array<{ kind: string; metadata: { namespace?: string; name: string; uid: string } }>) objects.push(`${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}/${o.metadata.uid}`);
  }
  const records: string[] = [];
  for (const s of (await core.listNamespacedSecret({ namespace: "kube-system", labelSelector: "owner=helm,name=cert-manager" })).items) records.push(`Secret kube-system/${s.metadata!.name}`);
  const tiller = await core.listNamespacedSecret({ namespace: TILLER_NS, labelSelector: "OWNER=TILLER" }).catch(() => ({ items: [] as k8s.V1Secret[] }));
  for (const s of tiller.items) records.push(`Secret ${TILLER_NS}/${s.metadata!.name}`);
  const tillerMaps = await core.listNamespacedConfigMap({ namespace: TILLER_NS, labelSelector: "OWNER=TILLER" }).catch(() => ({ items: [] as k8s.V1ConfigMap[] }));
  for (const c of tillerMaps.items) records.push(`ConfigMap ${TILLER_NS}/${c.metadata!.name}`);
  const deployment = await kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ namespace: "kube-system", name: "cert-manager" });
  return { crds, objects: objects.sort(), records: records.sort(), deploymentUID: deployment.metadata!.uid! };
}

/** Asserted after the refused `up` (not after a preview, which cannot delete). */
async function assertNothingDeleted(kc: k8s.KubeConfig, before: Snapshot): Promise<void> {
  const now = await snapshot(kc);
  assert.deepEqual(now.crds, before.crds, "the old CRDs are still there, still the 0.4 chart's");
  assert.ok(Object.values(now.crds).every((c) => c === "cert-manager-v0.4.1"));
  assert.equal(now.objects.length, before.objects.length);
  assert.deepEqual(now.objects, before.objects, "every Issuer, ClusterIssuer and Certificate is still there (same uid)");
  assert.deepEqual(now.records, before.records, "every release record is still there");
  assert.ok(now.records.includes("Secret kube-system/sh.helm.release.v1.cert-manager.v1"), "the 0.4 release's Helm record");
  assert.equal(now.deploymentUID, before.deploymentUID, "the old controller's Deployment is still there");
}

/** The one line Pulumi printed for the refused run (the message may be repeated; it is one line each time). */
function errorLine(r: RunResult, pattern: RegExp): string {
  const lines = (r.stdout + "\n" + r.stderr).split("\n").filter((l) => pattern.test(l));
  assert.ok(lines.length > 0, `no line matches ${pattern}:\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  return lines[0];
}

describe("an old release the stack does not recognise", { concurrency: false }, () => {
  let cluster: LocalCluster;
  let kc: k8s.KubeConfig;
  let backupFile: string;
  let stackCount = 0;

  const stack = async (extra: Record<string, string> = {}): Promise<PulumiCli> => {
    const name = `legacy-${++stackCount}`;
    const cli = new PulumiCli(env, name, path.join(work, `${name}-pulumi`), path.join(work, `Pulumi.${name}.yaml`));
    await cli.init({
      backupFile, kubeconfig: cluster.kubeconfig, context: cluster.context, chart: CHART_066,
      mapApiVersions: "true", acknowledgeUnsupportedKubernetes: "true", skipAwait: "true", webhook: "false", ...extra,
    });
    return cli;
  };

  before(async () => {
    cluster = await startCluster(path.join(work, "cluster"), env);
    clusters.push(cluster);
    const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, "legacy-state"), "--namespaces", "1", "--certificates-per-namespace", "3"]);
    assert.equal(seeded.code, 0, seeded.stderr);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    backupFile = path.join(work, "backups", "legacy", "cert-manager-backup.yaml");
    const b = await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile]);
    assert.equal(b.code, 0, b.stderr);
  });

  test("a wrong legacyReleaseName: `pulumi up` stops with one line naming the old objects and the stack keys; nothing deleted", async () => {
    const before = await snapshot(kc);
    const up = await (await stack({ legacyReleaseName: "cert-manager-old" })).run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(up.code, 0);
    const line = errorLine(up, /legacy release check failed/);
    for (const o of [...OLD_CRDS.map((c) => `CustomResourceDefinition ${c}`), "Deployment kube-system/cert-manager"]) assert.ok(line.includes(o), `names ${o}: ${line}`);
    assert.match(line, /release cert-manager-old in kube-system/);
    assert.match(line, /legacyReleaseName and legacyNamespace/);
    assert.match(line, /pulumi config set legacyReleaseName cert-manager`/, "suggests the name the objects carry");
    assert.match(line, /nothing was changed/);
    await assertNothingDeleted(kc, before);
  });

  test("0.4 CRDs without their release label: `pulumi up` stops naming them and how to label them; nothing deleted", async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    const unlabel = (name: string, value: string | null) => ext.patchCustomResourceDefinition({ name, body: { metadata: { labels: { release: value } } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
    for (const name of OLD_CRDS) await unlabel(name, null);
    try {
      const before = await snapshot(kc);
      const up = await (await stack()).run(["up", "--yes", "--skip-preview"]);
      assert.notEqual(up.code, 0);
      const line = errorLine(up, /legacy release check failed/);
      for (const name of OLD_CRDS) assert.ok(line.includes(`CustomResourceDefinition ${name} (chart cert-manager-v0.4.1, no release label, Helm release cert-manager in kube-system)`), line);
      assert.ok(!line.includes("Deployment kube-system/cert-manager"), "the controller is found by its release label");
      assert.match(line, /kubectl label crd certificates\.certmanager\.k8s\.io clusterissuers\.certmanager\.k8s\.io issuers\.certmanager\.k8s\.io release=cert-manager/);
      await assertNothingDeleted(kc, before);
    } finally {
      for (const name of OLD_CRDS) await unlabel(name, "cert-manager");
    }
  });

  test("Helm 2 records as Secrets in a configured tiller namespace: an unreadable one stops `up`; the 0.4 one goes with the release; a re-run passes", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: TILLER_NS } } });
    const spec = { name: "cert-manager", chartName: "cert-manager", namespace: "kube-system" };
    await core.createNamespacedSecret({ namespace: TILLER_NS, body: tillerRecordObject("Secret", TILLER_NS, { ...spec, chartVersion: "v0.4.1", revision: 1 }) });
    const corrupt = tillerRecordObject("Secret", TILLER_NS, { ...spec, chartVersion: "v0.4.1", revision: 2 }, "H4sIAAAAAAACAwAAAP//");
    await core.createNamespacedSecret({ namespace: TILLER_NS, body: corrupt });
    // A record of the same name but another chart version is not this release's 0.4 record.
    await core.createNamespacedConfigMap({ namespace: TILLER_NS, body: tillerRecordObject("ConfigMap", TILLER_NS, { ...spec, chartVersion: "v0.6.6", revision: 3 }) });

    const cli = await stack({ tillerNamespace: TILLER_NS });
    const before = await snapshot(kc);
    const refused = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(refused.code, 0);
    const line = errorLine(refused, /release record check failed/);
    assert.match(line, new RegExp(`Secret ${TILLER_NS}/cert-manager\\.v2: .*neither removed nor trusted.*kubectl get secret -n ${TILLER_NS} cert-manager\\.v2 -o yaml.*nothing was changed`));
    await assertNothingDeleted(kc, before);

    // The operator looks at it, finds it broken, and deletes it by hand.
    await core.deleteNamespacedSecret({ namespace: TILLER_NS, name: "cert-manager.v2" });
    const preview = await cli.run(["preview", "--json"]);
    assert.equal(preview.code, 0, preview.stderr);
    const steps = JSON.parse(preview.stdout).steps as Array<{ urn: string; newState?: { inputs: { willDelete?: string[] } } }>;
    const willDelete = steps.find((s) => s.urn.endsWith("::legacy-release-delete-0.4-release"))!.newState!.inputs.willDelete!;
    assert.ok(willDelete.includes(`Secret ${TILLER_NS}/cert-manager.v1`), willDelete.join(", "));
    assert.ok(!willDelete.includes(`ConfigMap ${TILLER_NS}/cert-manager.v3`), "another chart's record is left alone");
    assert.match(JSON.stringify(JSON.parse(preview.stdout).diagnostics ?? []), new RegExp(`ConfigMap ${TILLER_NS}/cert-manager\\.v3 \\(chart cert-manager-v0\\.6\\.6\\).*left alone`));

    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    const secrets = await core.listNamespacedSecret({ namespace: TILLER_NS, labelSelector: "OWNER=TILLER" });
    assert.deepEqual(secrets.items.map((s) => s.metadata?.name), [], "the 0.4 Tiller record went with the release");
    const maps = await core.listNamespacedConfigMap({ namespace: TILLER_NS, labelSelector: "OWNER=TILLER" });
    assert.deepEqual(maps.items.map((c) => c.metadata?.name), ["cert-manager.v3"], "another chart's record is still there");

    // A re-run after the finished upgrade: the 0.6 CRDs and this stack's release are not an old release.
    const again = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(again.code, 0, again.stdout.slice(-3000) + again.stderr);
    assert.doesNotMatch(again.stdout + again.stderr, /legacy release check failed/);
  });
});
