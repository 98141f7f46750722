// The upgrade on a real kube-apiserver 1.15 (what clusters still running cert-manager 0.4 run) with
// the real Pulumi engine and Kubernetes provider, the charts installed as shipped (no API mapping):
// preview's plan, gates, a webhook that is not ready, a killed `pulumi up`, verify, destroy.
// test/e2e/faults.e2e.ts runs the whole upgrade on 1.34 (mapped) too.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { gunzipSync } from "node:zlib";
import { backupDocument, backupHeader, metaLine, parseBackup, sha256Hex } from "../../lib/backup-format";
import { kubectlApplied } from "../../lib/legacy-seed";
import { LocalCluster, PulumiCli, ROOT, RunResult, pluginProcesses, run, startCluster, stopPluginsStartedSince, toolchainEnv } from "../../lib/local-run";
import { buildRestorePlan } from "../../lib/plan";
import { renderMarkdown, renderText, summarizePreview } from "../../lib/preview-summary";
import { BACKUP_FORMAT, BackupMeta, KubeObject, objectLabel } from "../../lib/types";
import { exists, isNotFound } from "../support/cluster-objects";
import { filesUnder } from "../support/leak-check";
import { markerLeaks } from "../support/secret-scan";
import { tillerReleaseData } from "../support/tiller-record";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const MARKER = `e2e-secret-${process.pid}-do-not-print`;
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

let env: NodeJS.ProcessEnv;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-e2e-"));
const clusters: LocalCluster[] = [];
const logs: string[] = [];

function script(name: string, args: string[]): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env }).then((r) => {
    logs.push(r.stdout, r.stderr);
    return r;
  });
}

async function newCluster(name: string, namespaces: number, perNamespace: number): Promise<{ cluster: LocalCluster; kc: k8s.KubeConfig }> {
  const cluster = await startCluster(path.join(work, name), env, { kubernetesVersion: "1.15" });
  clusters.push(cluster);
  const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, `${name}-legacy-state`),
    "--namespaces", String(namespaces), "--certificates-per-namespace", String(perNamespace), "--secret-marker", MARKER]);
  assert.equal(seeded.code, 0, seeded.stderr);
  // The seed's cluster natively: chart v0.4.1 as a real Helm release with no API mapping, Ingresses as the seed's.
  assert.match(seeded.stdout, /release cert-manager v0\.4\.1 deployed in kube-system on Kubernetes v1\.15\.12, the chart as shipped \(no API mapping\)/);
  assert.match(seeded.stdout, /ingresses extensions\/v1beta1/);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  return { cluster, kc };
}

/** Every stack's CLI: what each command printed goes into the leak search. */
const clis: PulumiCli[] = [];

function stackFor(cluster: LocalCluster, name: string, backupFile: string, extra: Record<string, string> = {}): Promise<PulumiCli> {
  const cli = new PulumiCli(env, name, path.join(work, `${name}-pulumi`), path.join(work, `Pulumi.${name}.yaml`));
  clis.push(cli);
  return cli.init({
    backupFile, kubeconfig: cluster.kubeconfig, context: cluster.context, chart: CHART_066,
    // Kubernetes 1.15 serves every API version the chart v0.6.6 uses (nothing to map) and what
    // cert-manager 0.6.2 needs to run (no acknowledgeUnsupportedKubernetes).
    mapApiVersions: "false", skipAwait: "true", webhook: "false", ...extra,
  }).then(() => cli);
}

/** A CustomResourceDefinition as Kubernetes 1.15 serves it: apiextensions.k8s.io/v1beta1 only. */
async function readCrd(kc: k8s.KubeConfig, name: string): Promise<KubeObject> {
  return await kc.makeApiClient(k8s.CustomObjectsApi).getClusterCustomObject({ group: "apiextensions.k8s.io", version: "v1beta1", plural: "customresourcedefinitions", name }) as KubeObject;
}

/** The manifest Helm installed, from a Helm 3 release record (base64 of gzip of the release's JSON). */
function releaseManifest(secret: k8s.V1Secret): string {
  const release = JSON.parse(gunzipSync(Buffer.from(Buffer.from(secret.data!.release!, "base64").toString("utf8"), "base64")).toString("utf8"));
  return release.manifest as string;
}

async function listAll(kc: k8s.KubeConfig, plural: string): Promise<KubeObject[]> {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const list = await api.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural });
  return list.items as KubeObject[];
}

/** What the cluster holds before the upgrade, to compare with after a refused attempt. */
interface LegacySnapshot {
  objects: string[];
  releaseRecords: string[];
}

async function legacySnapshot(kc: k8s.KubeConfig): Promise<LegacySnapshot> {
  const objects: string[] = [];
  for (const plural of ["clusterissuers", "issuers", "certificates"]) {
    for (const o of await listAll(kc, plural)) objects.push(`${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`);
  }
  const records = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: "kube-system", labelSelector: "owner=helm,name=cert-manager" });
  return { objects: objects.sort(), releaseRecords: records.items.map((s) => s.metadata!.name!).sort() };
}

/** Nothing of the old release was deleted: its Deployment, its 0.4 CRDs, its release record and every object. */
async function legacyStillThere(kc: k8s.KubeConfig, before: LegacySnapshot): Promise<void> {
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  assert.ok(await exists(() => apps.readNamespacedDeployment({ namespace: "kube-system", name: "cert-manager" })), "the old Deployment is still there");
  for (const plural of ["certificates", "issuers", "clusterissuers"]) {
    const crd = await readCrd(kc, `${plural}.certmanager.k8s.io`);
    assert.equal(crd.metadata?.labels?.chart, "cert-manager-v0.4.1", `the 0.4 CRD ${plural} is still there`);
  }
  const now = await legacySnapshot(kc);
  assert.ok(before.objects.length > 0 && before.releaseRecords.length > 0);
  assert.deepEqual(now.objects, before.objects, "every Issuer, ClusterIssuer and Certificate is still there");
  assert.deepEqual(now.releaseRecords, before.releaseRecords, "the Helm release record is still there");
}

function writeOwnBackup(file: string, objects: KubeObject[], cluster: BackupMeta["cluster"]): void {
  const body = backupHeader({ takenAt: new Date().toISOString(), cluster, legacyNamespace: "kube-system" }) + objects.map((o) => backupDocument(o)).join("");
  const counts = { ClusterIssuer: 0, Issuer: 0, Certificate: 0, Order: 0, Challenge: 0 };
  for (const o of objects) counts[o.kind as keyof typeof counts]++;
  const meta: BackupMeta = { format: BACKUP_FORMAT, takenAt: new Date().toISOString(), tool: "test", cluster, legacyNamespace: "kube-system", counts, recorded: [], secrets: [], missingTlsSecrets: [], tlsCertificates: [], sha256: sha256Hex(body) };
  fs.writeFileSync(file, body + metaLine(meta));
}

before(async () => {
  env = await toolchainEnv({ build: true, echo: true });
});

after(async () => {
  for (const c of clusters) await c.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the upgrade on a real API server", { concurrency: false }, () => {
  let cluster: LocalCluster;
  let kc: k8s.KubeConfig;
  let backupFile: string;
  let cli: PulumiCli;
  let seeded: LegacySnapshot;
  const tlsBefore = new Map<string, { uid: string; data: Record<string, string> }>();

  before(async () => {
    ({ cluster, kc } = await newCluster("main", 4, 15));
    seeded = await legacySnapshot(kc);
    // A cluster of the kind that still runs cert-manager 0.4: Kubernetes 1.15, CRDs in apiextensions.k8s.io/v1beta1 only.
    assert.equal((await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion, "v1.15.12");
    const groups = (await kc.makeApiClient(k8s.ApisApi).getAPIVersions()).groups.flatMap((g) => g.versions.map((v) => v.groupVersion));
    assert.ok(groups.includes("apiextensions.k8s.io/v1beta1") && !groups.includes("apiextensions.k8s.io/v1"), groups.join(" "));
    // The seed's release as Helm recorded it: the chart's own API versions, nothing mapped.
    const record = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: "kube-system", labelSelector: "owner=helm,name=cert-manager" })).items[0];
    assert.match(releaseManifest(record), /apiVersion: apps\/v1beta1\nkind: Deployment/);
    assert.match(releaseManifest(record), /apiVersion: apiextensions\.k8s\.io\/v1beta1\nkind: CustomResourceDefinition/);
    const ivan = (await listAll(kc, "certificates")).find((c) => c.metadata?.name === "ivan-test-cert")!;
    assert.equal(ivan.metadata?.ownerReferences?.[0].apiVersion, "extensions/v1beta1", "owned by the seed's extensions/v1beta1 Ingress");
  });

  test("`pulumi up` fails before anything is deleted: no backup, an empty one, another cluster's", async () => {
    const missing = await stackFor(cluster, "gate-missing", path.join(work, "no-such-backup.yaml"));
    const r1 = await missing.run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(r1.code, 0);
    assert.match(r1.stdout + r1.stderr, /backup check failed: cannot read .*no-such-backup\.yaml.*ENOENT/);
    await legacyStillThere(kc, seeded);

    const core = kc.makeApiClient(k8s.CoreV1Api);
    const uid = (await core.readNamespace({ name: "kube-system" })).metadata!.uid!;
    const server = kc.getCurrentCluster()!.server;
    const emptyFile = path.join(work, "empty-backup.yaml");
    writeOwnBackup(emptyFile, [], { context: "local", server, kubeSystemUID: uid, serverVersion: "v1.15.12" });
    const r2 = await (await stackFor(cluster, "gate-empty", emptyFile)).run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(r2.code, 0);
    assert.match(r2.stdout + r2.stderr, /backup check failed: .*holds no Issuer, ClusterIssuer or Certificate/);
    await legacyStillThere(kc, seeded);

    const otherFile = path.join(work, "other-cluster-backup.yaml");
    const objects = [...await listAll(kc, "clusterissuers"), ...await listAll(kc, "certificates")];
    writeOwnBackup(otherFile, objects, { context: "other", server: "https://10.9.9.9:6443", kubeSystemUID: "0000-other", serverVersion: "v1.15.12" });
    const r3 = await (await stackFor(cluster, "gate-other", otherFile)).run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(r3.code, 0);
    assert.match(r3.stdout + r3.stderr, /cluster identity check failed/);
    await legacyStillThere(kc, seeded);
  });

  test("backup, then preview shows the plan in the procedure's order", async () => {
    // A cluster upgraded from Helm 2 may still hold Tiller's records of the release: the removal
    // must find and delete them too, with no Helm client.
    // The record is what Tiller writes (base64 of gzipped protobuf, chart cert-manager v0.4.1): it is
    // matched on its content, not its labels.
    await kc.makeApiClient(k8s.CoreV1Api).createNamespacedConfigMap({ namespace: "kube-system", body: {
      metadata: { name: "cert-manager.v1", labels: { OWNER: "TILLER", NAME: "cert-manager", STATUS: "SUPERSEDED", VERSION: "1" } },
      data: { release: tillerReleaseData({ name: "cert-manager", chartName: "cert-manager", chartVersion: "v0.4.1", namespace: "kube-system", revision: 1 }) },
    } });
    backupFile = path.join(work, "backups", "main", "cert-manager-backup.yaml");
    const b = await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile]);
    assert.equal(b.code, 0, b.stderr);
    for (const s of (await kc.makeApiClient(k8s.CoreV1Api).listSecretForAllNamespaces()).items) {
      if (s.type === "kubernetes.io/tls") tlsBefore.set(`${s.metadata!.namespace}/${s.metadata!.name}`, { uid: s.metadata!.uid!, data: s.data ?? {} });
    }
    cli = await stackFor(cluster, "main", backupFile, { webhook: "true", webhookTimeoutSeconds: "15" });
    const preview = await cli.run(["preview", "--json"]);
    assert.equal(preview.code, 0, preview.stderr);
    const steps = JSON.parse(preview.stdout).steps as Array<{ op: string; urn: string; newState?: { type: string; inputs: any } }>;
    const first = (pred: (s: (typeof steps)[number]) => boolean): number => steps.findIndex(pred);
    const name = (s: (typeof steps)[number]) => s.urn.split("::").pop()!;
    const removal = first((s) => name(s) === "legacy-release-delete-0.4-release");
    const ns = first((s) => s.newState?.type === "kubernetes:core/v1:Namespace");
    // The CRDs in the version 1.15 serves, as the 0.6 manifest ships them.
    const crd = first((s) => s.newState?.type === "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition");
    assert.equal(first((s) => s.newState?.type === "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"), -1, "no apiextensions.k8s.io/v1 CRD on 1.15");
    const release = first((s) => s.newState?.type === "kubernetes:helm.sh/v3:Release");
    const copy = first((s) => s.newState?.type === "kubernetes:core/v1:Secret" && name(s).startsWith("issuer-secrets-") && !name(s).includes("-source-") && s.op === "create");
    // The restore's batches (issue 13): dynamic resources whose inputs carry the objects by label.
    const isBatch = (s: (typeof steps)[number]) => s.newState?.type === "pulumi-nodejs:dynamic:Resource" && typeof s.newState.inputs?.batch === "string";
    const restore = first(isBatch);
    for (const [what, at] of Object.entries({ removal, ns, crd, release, copy, restore })) assert.ok(at >= 0, `${what} in the preview`);
    assert.ok(removal < ns && removal < crd && removal < copy, "the removal comes first");
    assert.ok(ns < release && crd < release, "namespace and CRDs before the release");
    assert.ok(ns < copy, "the namespace before the copies");
    assert.ok(release < restore && copy < restore, "restores last");
    // Nothing mapped: the release has no post-render, the provider applies client-side (no server-side apply on 1.15).
    assert.ok(!steps[release].newState!.inputs.postrender, `no post-render: ${steps[release].newState!.inputs.postrender}`);
    const provider = steps.find((s) => s.newState?.type === "pulumi:providers:kubernetes")!;
    assert.equal(String(provider.newState!.inputs.enableServerSideApply), "false");
    assert.doesNotMatch(preview.stdout, /mapping retired API versions/);
    const willDelete: string[] = steps[removal].newState!.inputs.willDelete;
    assert.ok(willDelete.includes("CustomResourceDefinition certificates.certmanager.k8s.io"));
    assert.ok(willDelete.includes("Deployment kube-system/cert-manager"));
    assert.ok(willDelete.some((w) => w.startsWith("Secret kube-system/sh.helm.release.v1.cert-manager.")), "the Helm 3 release record");
    assert.ok(willDelete.includes("ConfigMap kube-system/cert-manager.v1"), "the Helm 2 (Tiller) release record");
    assert.match(steps[removal].newState!.inputs.summary, /deleting its CRDs deletes every Issuer, ClusterIssuer and Certificate/);
    const restores = steps.filter((s) => isBatch(s) && s.op === "create");
    const plan = buildRestorePlan(parseBackup(fs.readFileSync(backupFile)));
    const named = restores.flatMap((s) => Object.keys(s.newState!.inputs.objects)).sort();
    assert.deepEqual(named, plan.restore.map((r) => objectLabel(r)).sort(), "every object named in the preview, once");
    assert.ok(restores.every((s) => s.newState!.inputs.serverSideApply === false), "client-side on 1.15");

    // The reviewer's summary of this real preview (npm run preview renders the same model).
    const summary = summarizePreview(JSON.parse(preview.stdout), plan.warnings.map((w) => `${w.object}: ${w.message}`));
    assert.equal(summary.error, undefined);
    assert.deepEqual(summary.legacyRemoval?.willDelete, willDelete);
    assert.deepEqual(summary.secretsCopied.map((c) => `${c.namespace}/${c.name}`).sort(),
      ["cert-manager/cert-manager-setup-production-private-key", "cert-manager/cert-manager-setup-staging-private-key", "cert-manager/clouddns-service-account"]);
    for (const kind of ["ClusterIssuer", "Issuer", "Certificate"] as const) {
      assert.equal(summary.restoredByKind[kind], plan.restore.filter((r) => r.kind === kind).length, kind);
    }
    const markdown = renderMarkdown(summary, "main");
    const text = renderText(summary, "main");
    assert.ok(markdown.indexOf("Deployment kube-system/cert-manager") < markdown.indexOf("cert-manager-setup-production-private-key"), "destructive steps first");
    assert.match(text, /ivan-test-cert/, "the plan's warning about the certificate that was not Ready");
    logs.push(markdown, text);
    await legacyStillThere(kc, seeded);
  });

  test("a webhook that never becomes available fails the readiness step clearly; nothing is lost", async () => {
    const sha = sha256Hex(fs.readFileSync(backupFile));
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    logs.push(up.stdout, up.stderr);
    assert.notEqual(up.code, 0);
    assert.match(up.stdout + up.stderr, /did not accept objects within 15s.*failed calling admission webhook.*run `pulumi up` again/s);
    assert.equal(sha256Hex(fs.readFileSync(backupFile)), sha, "the backup is untouched");
    assert.equal((await listAll(kc, "certificates")).filter((c) => c.metadata?.namespace !== "cert-manager").length, 0, "nothing restored before the webhook is ready");
    const crd = await readCrd(kc, "certificates.certmanager.k8s.io");
    assert.equal(crd.metadata?.labels?.chart, undefined, "the 0.6 CRDs are in place");
    // The chart v0.6.6 as shipped: Helm's record of the new release holds the chart's own API versions.
    const record = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: "cert-manager", labelSelector: "owner=helm,name=cert-manager" })).items[0];
    const manifest = releaseManifest(record);
    for (const used of ["apps/v1beta1\nkind: Deployment", "rbac.authorization.k8s.io/v1beta1\nkind: ClusterRole", "apiregistration.k8s.io/v1beta1\nkind: APIService",
      "admissionregistration.k8s.io/v1beta1\nkind: ValidatingWebhookConfiguration", "batch/v1beta1\nkind: CronJob"]) {
      assert.ok(manifest.includes(`apiVersion: ${used}`), `installed as shipped: ${used.replace("\n", " ")}`);
    }
    assert.doesNotMatch(manifest, /apiVersion: apps\/v1\nkind: Deployment/, "no Deployment mapped to apps/v1");
  });

  test("once the webhook answers, a re-run completes the upgrade; verify finds everything", async () => {
    // No pods run here: make the webhook "available" as kube-apiserver sees it (a local APIService,
    // no validating configuration), which is what the readiness step waits for.
    const reg = kc.makeApiClient(k8s.ApiregistrationV1Api);
    const svc = await reg.readAPIService({ name: "v1beta1.admission.certmanager.k8s.io" });
    await reg.replaceAPIService({ name: svc.metadata!.name!, body: { ...svc, spec: { ...svc.spec!, service: undefined, caBundle: undefined, insecureSkipTLSVerify: undefined } } });
    // On 1.15 the chart's ValidatingWebhookConfiguration is admissionregistration.k8s.io/v1beta1 (no v1 there).
    await kc.makeApiClient(k8s.CustomObjectsApi).deleteClusterCustomObject({ group: "admissionregistration.k8s.io", version: "v1beta1", plural: "validatingwebhookconfigurations", name: "cert-manager-webhook" });

    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    logs.push(up.stdout, up.stderr);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    assert.deepEqual(markerLeaks(filesUnder(path.join(work, "main-pulumi", "backend")), MARKER), [], "no secret value in the state after up");

    const tiller = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedConfigMap({ namespace: "kube-system", labelSelector: "OWNER=TILLER" });
    assert.deepEqual(tiller.items.map((c) => c.metadata?.name), [], "the Tiller record is gone with the old release");

    const verify = await script("verify", ["--kubeconfig", cluster.kubeconfig, "--backup", backupFile, "--allow-pending"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^default\s+Certificate\s+wonder-app-cert\s+True → pending\s+wonder-app-cert\s+20\d\d-/m);
    assert.match(verify.stdout, /^cert-manager\s+Certificate\s+cert-manager-webhook-webhook-tls\s/m);

    // Every object back with its spec, labels and ownerReferences.
    const plan = buildRestorePlan(parseBackup(fs.readFileSync(backupFile)));
    const live = new Map<string, KubeObject>();
    for (const plural of ["clusterissuers", "issuers", "certificates"]) for (const o of await listAll(kc, plural)) live.set(`${o.kind}/${o.metadata?.namespace ?? ""}/${o.metadata?.name}`, o);
    for (const item of plan.restore) {
      const o = live.get(`${item.kind}/${item.namespace}/${item.name}`);
      assert.ok(o, `${item.kind} ${item.namespace}/${item.name} is back`);
      assert.deepEqual(o.spec, item.object.spec);
      for (const [k, v] of Object.entries(item.object.metadata?.labels ?? {})) assert.equal(o.metadata?.labels?.[k], v);
      assert.deepEqual(o.metadata?.ownerReferences ?? [], item.object.metadata?.ownerReferences ?? []);
    }
    const ivan = live.get("Certificate/test/ivan-test-cert")!;
    const ingress = await k8s.KubernetesObjectApi.makeApiClient(kc).read({ apiVersion: "extensions/v1beta1", kind: "Ingress", metadata: { namespace: "test", name: "test-ingress" } });
    assert.equal(ivan.metadata?.ownerReferences?.[0].uid, ingress.metadata?.uid, "still owned by its Ingress");
    assert.equal(ivan.metadata?.ownerReferences?.[0].apiVersion, "extensions/v1beta1");

    // TLS Secrets untouched; copied Secrets equal their sources.
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const [key, before] of tlsBefore) {
      const [namespace, name] = key.split("/");
      const now = await core.readNamespacedSecret({ namespace, name });
      assert.equal(now.metadata?.uid, before.uid, `${key} same object`);
      assert.deepEqual(now.data, before.data, `${key} same data`);
    }
    for (const name of ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"]) {
      const source = await core.readNamespacedSecret({ namespace: "kube-system", name });
      const copy = await core.readNamespacedSecret({ namespace: "cert-manager", name });
      assert.deepEqual(copy.data, source.data, name);
    }
  });

  test("a second run changes nothing; destroy leaves the CRDs and every certificate object", async () => {
    const again = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(again.code, 0, again.stdout.slice(-2000));
    // The release's own objects (the webhook's issuers and certificates) go with the release;
    // every restored one stays.
    const restoredCount = buildRestorePlan(parseBackup(fs.readFileSync(backupFile))).restore.filter((r) => r.kind === "Certificate").length;
    const restoredNow = async () => (await listAll(kc, "certificates")).filter((c) => c.metadata?.namespace !== "cert-manager").length;
    assert.equal(await restoredNow(), restoredCount);
    const restoredBefore = await legacySnapshot(kc);
    const destroy = await cli.run(["destroy", "--yes", "--skip-preview"]);
    assert.equal(destroy.code, 0, destroy.stderr);
    // README: "the release goes; the CRDs, the namespace, the copied Secrets and every restored object stay".
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const releaseRecords = await core.listNamespacedSecret({ namespace: "cert-manager", labelSelector: "owner=helm,name=cert-manager" });
    assert.deepEqual(releaseRecords.items.map((r) => r.metadata?.name), [], "the Helm release is gone");
    assert.ok(!(await exists(() => kc.makeApiClient(k8s.AppsV1Api).readNamespacedDeployment({ namespace: "cert-manager", name: "cert-manager" }))), "the release's Deployment is gone");
    for (const plural of ["certificates", "issuers", "clusterissuers", "orders", "challenges"]) {
      assert.ok(await exists(() => readCrd(kc, `${plural}.certmanager.k8s.io`)), `${plural} CRD kept`);
    }
    const ns = await core.readNamespace({ name: "cert-manager" });
    assert.equal(ns.metadata?.labels?.["certmanager.k8s.io/disable-validation"], "true", "the labelled namespace kept");
    for (const name of ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"]) {
      assert.ok(await exists(() => core.readNamespacedSecret({ namespace: "cert-manager", name })), `copied Secret ${name} kept`);
    }
    const plan = buildRestorePlan(parseBackup(fs.readFileSync(backupFile)));
    const after = new Set((await legacySnapshot(kc)).objects);
    for (const item of plan.restore) {
      assert.ok(after.has(`${item.kind}/${item.namespace}/${item.name}`), `${item.kind} ${item.namespace}/${item.name} kept`);
    }
    assert.ok(restoredBefore.objects.length >= plan.restore.length);
    assert.equal(await restoredNow(), restoredCount, "every restored Certificate kept");
  });

  test("no seeded secret value in the backup, the outputs, or the Pulumi state", () => {
    const state = filesUnder(path.join(work, "main-pulumi", "backend"));
    assert.ok(state.some(([f]) => f.endsWith(".json")), "a state file was written");
    // Plaintext, base64 at every alignment, and inside nested base64 (test/support/secret-scan.ts).
    assert.deepEqual(markerLeaks([...state, ["backup", fs.readFileSync(backupFile, "utf8")], ["command output", logs.join("\n")], ...clis.map((c): [string, string] => [`pulumi ${c.stack}`, c.transcript.join("\n")])], MARKER), []);
  });
});

describe("pulumi up killed between the legacy removal and the restore", { concurrency: false }, () => {
  test("a re-run finishes the upgrade with nothing lost; what was made by hand before is taken over or left, never read into the state", async () => {
    const { cluster, kc } = await newCluster("killed", 2, 10);
    const backupFile = path.join(work, "backups", "killed", "cert-manager-backup.yaml");
    assert.equal((await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile])).code, 0);
    // The seed's steps 2 and 3 begun by hand, as a user may have: the namespace created, one ACME
    // key copied with `kubectl apply` (its annotation holds the key). 1.15 has no server-side apply:
    // the namespace is imported, the copy (same data as its source) left as it is.
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "cert-manager" } } });
    const source = await core.readNamespacedSecret({ namespace: "kube-system", name: "cert-manager-setup-staging-private-key" });
    const handCopy = await core.createNamespacedSecret({ namespace: "cert-manager", body: kubectlApplied({ apiVersion: "v1", kind: "Secret", metadata: { name: "cert-manager-setup-staging-private-key", namespace: "cert-manager" }, type: source.type, data: source.data }) });
    const cli = await stackFor(cluster, "killed", backupFile);

    const pluginsBefore = pluginProcesses(cli.env.PULUMI_BACKEND_URL!);
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", "killed", "--config-file", cli.configFile, "--non-interactive"], { cwd: ROOT, env: cli.env, stdio: "ignore", detached: true });
    let killed = false;
    for (let i = 0; i < 600 && !killed; i++) {
      // The old CRD gone (or replaced by the new one) and no certificate restored yet: kill now.
      // Only a 404 means gone; an API server that does not answer is no reason to kill.
      const crd = await readCrd(kc, "certificates.certmanager.k8s.io").catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if (!crd || crd.metadata?.labels?.chart === undefined) {
        process.kill(-child.pid!, "SIGKILL");
        killed = true;
      } else {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.ok(killed, "the removal started");
    await new Promise((r) => child.on("exit", r));
    // What a killed CLI leaves behind (its plugins) is stopped, as an operator would.
    stopPluginsStartedSince(pluginsBefore, cli.env.PULUMI_BACKEND_URL!);
    const certificatesAfterKill = (await listAll(kc, "certificates").catch(() => [])).length;
    const crdAfterKill = await readCrd(kc, "certificates.certmanager.k8s.io").catch(() => undefined);
    assert.notEqual(crdAfterKill?.metadata?.labels?.chart, "cert-manager-v0.4.1", "killed after the old CRDs were deleted");
    const planned = buildRestorePlan(parseBackup(fs.readFileSync(backupFile))).restore.filter((r) => r.kind === "Certificate").length;
    assert.ok(certificatesAfterKill < planned, `killed before the restore finished (${certificatesAfterKill} of ${planned} certificates back)`);

    // As the README says: release the killed run's lock, then run `pulumi up` again.
    const cancel = await cli.runWithoutConfig(["cancel", "--yes"]);
    assert.equal(cancel.code, 0, cancel.stderr);
    const rerun = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(rerun.code, 0, `re-run after a kill (${certificatesAfterKill} certificates at the kill): ${rerun.stdout.slice(-3000)}${rerun.stderr}`);
    const verify = await script("verify", ["--kubeconfig", cluster.kubeconfig, "--backup", backupFile, "--allow-pending"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(rerun.stdout + rerun.stderr, /Secret cert-manager\/cert-manager-setup-staging-private-key exists already \(not made by this program\) and holds what cert-manager 0\.6 needs: left as it is/);
    const copyNow = await core.readNamespacedSecret({ namespace: "cert-manager", name: "cert-manager-setup-staging-private-key" });
    assert.equal(copyNow.metadata?.uid, handCopy.metadata?.uid, "the hand-made copy is the same object");
    assert.deepEqual(copyNow.data, source.data);
    assert.equal(copyNow.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"], handCopy.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"], "left as it is");
    assert.equal((await core.readNamespace({ name: "cert-manager" })).metadata?.labels?.["certmanager.k8s.io/disable-validation"], "true", "the hand-made namespace taken over and labelled");
    assert.deepEqual(markerLeaks(filesUnder(path.join(work, "killed-pulumi", "backend")), MARKER), [], "nothing of the hand-made copy (nor any Secret) in the state");
    // A normal run stops every plugin it started (give them a moment to exit).
    const left = () => [...pluginProcesses(cli.env.PULUMI_BACKEND_URL!)].filter((p) => !pluginsBefore.has(p));
    for (let i = 0; i < 50 && left().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(left(), [], "no plugin process left running");
  });
});

describe("a copy is made once (Kubernetes 1.15)", { concurrency: false }, () => {
  test("this program's copy outside the state is adopted; a credential rotated in a copy survives refresh and up with cleanupLegacySecrets", async () => {
    const { cluster, kc } = await newCluster("rotated", 1, 2);
    const backupFile = path.join(work, "backups", "rotated", "cert-manager-backup.yaml");
    assert.equal((await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile])).code, 0);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    // What a run killed while creating a copy leaves: the copy as this program makes it, not in the
    // state (the engine drops an interrupted create). The re-run used to stop with "already exists".
    await core.createNamespace({ body: { metadata: { name: "cert-manager" } } });
    const staging = "cert-manager-setup-staging-private-key";
    const source = await core.readNamespacedSecret({ namespace: "kube-system", name: staging });
    const interrupted = await core.createNamespacedSecret({ namespace: "cert-manager", body: {
      metadata: { name: staging, namespace: "cert-manager", labels: { "app.kubernetes.io/managed-by": "cert-manager-upgrade" },
        annotations: { "cert-manager-upgrade/copied-from": `kube-system/${staging}`, "pulumi.com/patchForce": "true" } },
      type: source.type, data: source.data,
    } });
    const cli = await stackFor(cluster, "rotated", backupFile);
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    assert.equal((await core.readNamespacedSecret({ namespace: "cert-manager", name: staging })).metadata?.uid, interrupted.metadata?.uid, "adopted: the same object");
    assert.deepEqual(markerLeaks(filesUnder(path.join(work, "rotated-pulumi", "backend")), MARKER), [], "adopting read no Secret value into the state in the clear");

    // The user rotates the DNS-01 credential in the copy, the one cert-manager 0.6 reads.
    const dns = "clouddns-service-account";
    const copy = await core.readNamespacedSecret({ namespace: "cert-manager", name: dns });
    const rotated = Object.fromEntries(Object.keys(copy.data ?? {}).map((k) => [k, Buffer.from(`rotated-${k}`).toString("base64")]));
    await core.replaceNamespacedSecret({ namespace: "cert-manager", name: dns, body: { ...copy, data: rotated } });
    const refresh = await cli.run(["refresh", "--yes", "--skip-preview"]);
    assert.equal(refresh.code, 0, refresh.stdout.slice(-2000) + refresh.stderr);
    const set = await cli.run(["config", "set", "cleanupLegacySecrets", "true"]);
    assert.equal(set.code, 0, set.stderr);
    const preview = await cli.run(["preview", "--diff"]);
    assert.equal(preview.code, 0, preview.stdout.slice(-3000) + preview.stderr);
    assert.match(preview.stdout + preview.stderr, /Secret cert-manager\/clouddns-service-account holds other data than its source in kube-system .*kept as it is/);
    assert.doesNotMatch(preview.stdout, /replace.*issuer-secrets-clouddns|issuer-secrets-clouddns.*replace/, "no replacement of the copy");
    const cleanup = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(cleanup.code, 0, cleanup.stdout.slice(-3000) + cleanup.stderr);
    const now = await core.readNamespacedSecret({ namespace: "cert-manager", name: dns });
    assert.equal(now.metadata?.uid, copy.metadata?.uid, "the same copy");
    assert.deepEqual(now.data, rotated, "the rotated credential is still there");
    assert.ok(!(await exists(() => core.readNamespacedSecret({ namespace: "kube-system", name: dns }))), "its source cleaned up, as asked");
    const again = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(again.code, 0, again.stdout.slice(-2000));
  });
});
