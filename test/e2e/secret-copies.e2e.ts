// The issuers' Secret copies on a real kube-apiserver with the real Pulumi engine and provider:
// the cleanup keeps Secrets still used in the legacy namespace, copies go where 0.6 reads them
// (values.clusterResourceNamespace, or nowhere when they are already there), and objects or Secrets
// whose names read alike get their own resources. Small seeds: one cluster per case.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { selfSignedCertificate } from "../../lib/legacy-seed";
import { LocalCluster, PulumiCli, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";
import { renderText, summarizePreview } from "../../lib/preview-summary";
import { decodeObject } from "../../lib/restore-batch";
import { CERTMANAGER_API_VERSION, KubeObject } from "../../lib/types";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const MARKER = `copies-secret-${process.pid}-do-not-print`;
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const ACME = "https://acme-v02.api.letsencrypt.org/directory";
const PROD_KEY = "cert-manager-setup-production-private-key";
const STAGING_KEY = "cert-manager-setup-staging-private-key";
const CLOUDDNS = "clouddns-service-account";

let env: NodeJS.ProcessEnv;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-copies-"));

function script(name: string, args: string[]): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env });
}

interface Seeded {
  cluster: LocalCluster;
  kc: k8s.KubeConfig;
  core: k8s.CoreV1Api;
}

/** A control plane with the seed's 0.4 release (few objects), and `extra` created before the backup. */
async function seededCluster(name: string, namespaces: number, extra: (s: Seeded) => Promise<void> = async () => undefined): Promise<Seeded> {
  let cluster: LocalCluster | undefined;
  for (let attempt = 1; !cluster; attempt++) {
    // The harness's start is known to fail now and then ("kube-apiserver exited during startup").
    try {
      cluster = await startCluster(path.join(work, `${name}-${attempt}`), env);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, `${name}-legacy-state`),
    "--namespaces", String(namespaces), "--certificates-per-namespace", "1", "--secret-marker", MARKER]);
  if (seeded.code !== 0) {
    await cluster.stop();
    assert.fail(`seed-legacy failed: ${seeded.stderr}`);
  }
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const s = { cluster, kc, core: kc.makeApiClient(k8s.CoreV1Api) };
  await extra(s);
  return s;
}

async function create(kc: k8s.KubeConfig, obj: KubeObject): Promise<void> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const [group, version] = CERTMANAGER_API_VERSION.split("/");
  const plural = `${obj.kind!.toLowerCase()}s`;
  if (obj.metadata?.namespace) await custom.createNamespacedCustomObject({ group, version, namespace: obj.metadata.namespace, plural, body: obj });
  else await custom.createClusterCustomObject({ group, version, plural, body: obj });
}

async function secret(core: k8s.CoreV1Api, namespace: string, name: string, data: Record<string, string>, type = "Opaque"): Promise<void> {
  const b64 = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
  await core.createNamespacedSecret({ namespace, body: { metadata: { name, namespace }, type, data: b64 } });
}

async function readSecret(core: k8s.CoreV1Api, namespace: string, name: string): Promise<k8s.V1Secret | undefined> {
  try {
    return await core.readNamespacedSecret({ namespace, name });
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

async function backupAndStack(s: Seeded, stack: string, config: Record<string, string>, pathConfig: Record<string, string> = {}): Promise<{ cli: PulumiCli; backupFile: string }> {
  const backupFile = path.join(work, "backups", stack, "cert-manager-backup.yaml");
  const b = await script("backup", ["--kubeconfig", s.cluster.kubeconfig, "--out", backupFile]);
  assert.equal(b.code, 0, b.stderr);
  const cli = new PulumiCli(env, stack, path.join(work, `${stack}-pulumi`), path.join(work, `Pulumi.${stack}.yaml`));
  await cli.init({
    backupFile, kubeconfig: s.cluster.kubeconfig, context: s.cluster.context, chart: CHART_066,
    mapApiVersions: "true", acknowledgeUnsupportedKubernetes: "true", skipAwait: "true", webhook: "false", ...config,
  });
  for (const [key, value] of Object.entries(pathConfig)) {
    // Object keys such as values.clusterResourceNamespace, as a user sets them.
    const set = await cli.run(["config", "set", "--path", key, value]);
    assert.equal(set.code, 0, set.stderr);
  }
  return { cli, backupFile };
}

function diagnostics(previewJson: string, severity: string): string[] {
  const doc = JSON.parse(previewJson) as { diagnostics?: Array<{ severity?: string; message?: string }> };
  return (doc.diagnostics ?? []).filter((d) => d.severity === severity).map((d) => d.message ?? "");
}

before(async () => {
  env = await toolchainEnv({ build: true, echo: true });
});

after(() => {
  // Each case stops its cluster; what is left is their folders (state, backups, stack files).
  fs.rmSync(work, { recursive: true, force: true });
});

describe("cleanupLegacySecrets keeps Secrets still used in kube-system; copies go to clusterResourceNamespace", { concurrency: false }, () => {
  let s: Seeded;
  let cli: PulumiCli;
  let backupFile: string;
  const uids = new Map<string, string>();

  before(async () => {
    s = await seededCluster("cleanup", 0, async ({ kc, core }) => {
      // An Issuer in kube-system sharing letsencrypt-prod's ACME account key.
      await create(kc, { apiVersion: CERTMANAGER_API_VERSION, kind: "Issuer", metadata: { name: "legacy-acme", namespace: "kube-system" },
        spec: { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: PROD_KEY }, http01: {} } } });
      // A CA ClusterIssuer whose key pair is a Certificate's TLS Secret in kube-system.
      const ca = selfSignedCertificate("internal-ca.example.com");
      await secret(core, "kube-system", "internal-ca", { "tls.crt": ca.crt, "tls.key": `${ca.key}\n# ${MARKER}` }, "kubernetes.io/tls");
      await create(kc, { apiVersion: CERTMANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: "selfsigned" }, spec: { selfSigned: {} } });
      await create(kc, { apiVersion: CERTMANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: "internal-ca" }, spec: { ca: { secretName: "internal-ca" } } });
      await create(kc, { apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: "internal-ca", namespace: "kube-system" },
        spec: { secretName: "internal-ca", isCA: true, commonName: "internal-ca.example.com", issuerRef: { kind: "ClusterIssuer", name: "selfsigned" } } });
      // Where the stack's chart values tell 0.6 to read ClusterIssuer Secrets.
      await core.createNamespace({ body: { metadata: { name: "cm-resources" } } });
    });
    for (const name of [PROD_KEY, STAGING_KEY, CLOUDDNS, "internal-ca"]) uids.set(name, (await readSecret(s.core, "kube-system", name))!.metadata!.uid!);
    ({ cli, backupFile } = await backupAndStack(s, "cleanup", { cleanupLegacySecrets: "true" }, { "values.clusterResourceNamespace": "cm-resources" }));
  });

  after(async () => {
    await s?.cluster.stop();
  });

  test("preview says which copied Secrets the cleanup deletes and which it keeps, and why", async () => {
    const preview = await cli.run(["preview", "--json"]);
    assert.equal(preview.code, 0, preview.stdout.slice(-3000) + preview.stderr);
    const warnings = diagnostics(preview.stdout, "warning");
    assert.ok(warnings.some((w) => w.includes(`Secret kube-system/${PROD_KEY} is kept by cleanupLegacySecrets: still used by Issuer/kube-system/legacy-acme spec.acme.privateKeySecretRef`)), warnings.join("\n"));
    assert.ok(warnings.some((w) => w.includes("Secret kube-system/internal-ca is kept by cleanupLegacySecrets: still used by Certificate/kube-system/internal-ca spec.secretName")), warnings.join("\n"));
    const summary = summarizePreview(preview.stdout);
    assert.equal(summary.error, undefined);
    assert.deepEqual(summary.legacySecretCleanup?.namespace, "kube-system");
    assert.deepEqual(summary.legacySecretCleanup?.deletes, [STAGING_KEY, CLOUDDNS]);
    assert.deepEqual(summary.legacySecretCleanup?.keeps.map((k) => k.name), [PROD_KEY, "internal-ca"]);
    assert.deepEqual(summary.secretsCopied.map((c) => `${c.from} -> ${c.namespace}/${c.name}`).sort(),
      [PROD_KEY, STAGING_KEY, CLOUDDNS, "internal-ca"].sort().map((n) => `kube-system/${n} -> cm-resources/${n}`));
    assert.ok(!preview.stdout.includes(MARKER), "no secret value in the preview");
  });

  test("up: Secrets in use stay in kube-system, the others go; every copy is in cm-resources, none in cert-manager", async () => {
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    for (const name of [PROD_KEY, "internal-ca"]) {
      const kept = await readSecret(s.core, "kube-system", name);
      assert.equal(kept?.metadata?.uid, uids.get(name), `kube-system/${name} is still there, the same object`);
    }
    for (const name of [STAGING_KEY, CLOUDDNS]) assert.equal(await readSecret(s.core, "kube-system", name), undefined, `kube-system/${name} was cleaned up`);
    for (const name of [PROD_KEY, STAGING_KEY, CLOUDDNS, "internal-ca"]) {
      const copy = await readSecret(s.core, "cm-resources", name);
      assert.ok(copy?.data && Object.keys(copy.data).length > 0, `cm-resources/${name} holds the copy`);
      assert.equal(await readSecret(s.core, "cert-manager", name), undefined, `no copy of ${name} in cert-manager, where 0.6 does not read it`);
    }
    const prodCopy = await readSecret(s.core, "cm-resources", PROD_KEY);
    assert.deepEqual(prodCopy?.data, (await readSecret(s.core, "kube-system", PROD_KEY))?.data, "the copy is equal to the kept source");

    const verify = await script("verify", ["--kubeconfig", s.cluster.kubeconfig, "--backup", backupFile, "--allow-pending", "--cluster-resource-namespace", "cm-resources"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const again = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(again.code, 0, again.stdout.slice(-2000));
  });
});

describe("the legacy namespace is the new namespace: the copy would be the source", { concurrency: false }, () => {
  let s: Seeded;
  const uids = new Map<string, string>();

  before(async () => {
    s = await seededCluster("in-place", 0);
    for (const name of [PROD_KEY, STAGING_KEY, CLOUDDNS]) uids.set(name, (await readSecret(s.core, "kube-system", name))!.metadata!.uid!);
  });

  after(async () => {
    await s?.cluster.stop();
  });

  test("no copy, no cleanup of the only copy: the issuers' Secrets stay as they were, and preview says why", async () => {
    // 0.6 in the namespace 0.4 was in (here kube-system, under another release name).
    const { cli, backupFile } = await backupAndStack(s, "in-place", { namespace: "kube-system", releaseName: "cert-manager-v06", cleanupLegacySecrets: "true" });
    const preview = await cli.run(["preview", "--json"]);
    assert.equal(preview.code, 0, preview.stdout.slice(-3000) + preview.stderr);
    const warnings = diagnostics(preview.stdout, "warning");
    for (const name of [PROD_KEY, STAGING_KEY, CLOUDDNS]) {
      assert.ok(warnings.some((w) => w.includes(`Secret kube-system/${name} is already where cert-manager 0.6 reads ClusterIssuer Secrets: not copied, and never deleted by cleanupLegacySecrets`)), warnings.join("\n"));
    }
    const summary = summarizePreview(preview.stdout);
    assert.deepEqual(summary.secretsCopied, []);
    assert.deepEqual(summary.legacySecretCleanup?.deletes, []);

    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    for (const name of [PROD_KEY, STAGING_KEY, CLOUDDNS]) {
      const now = await readSecret(s.core, "kube-system", name);
      assert.equal(now?.metadata?.uid, uids.get(name), `kube-system/${name} is still there, the same object`);
      assert.equal(now?.metadata?.labels?.["app.kubernetes.io/managed-by"], undefined, `kube-system/${name} was not taken over as a copy of itself`);
    }
    const verify = await script("verify", ["--kubeconfig", s.cluster.kubeconfig, "--backup", backupFile, "--allow-pending", "--namespace", "kube-system"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });
});

describe("names that read alike: team-a/web and team/a-web, Secrets x and source-x", { concurrency: false }, () => {
  let s: Seeded;

  before(async () => {
    s = await seededCluster("names", 1, async ({ kc, core }) => {
      for (const ns of ["team-a", "team"]) await core.createNamespace({ body: { metadata: { name: ns } } });
      await secret(core, "kube-system", "x", { secret: `route53-${MARKER}` });
      await secret(core, "kube-system", "source-x", { "tls.key": `acme-${MARKER}` });
      await create(kc, { apiVersion: CERTMANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: "collide" },
        spec: { acme: { server: ACME, email: "ops@example.com", privateKeySecretRef: { name: "source-x" },
          dns01: { providers: [{ name: "r53", route53: { region: "eu-west-1", accessKeyID: "AK", secretAccessKeySecretRef: { name: "x", key: "secret" } } }] } } } });
      await create(kc, { apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: "web", namespace: "team-a" },
        spec: { secretName: "web-tls", dnsNames: ["web.team-a.example.com"], issuerRef: { kind: "ClusterIssuer", name: "collide" } } });
      await create(kc, { apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: "a-web", namespace: "team" },
        spec: { secretName: "a-web-tls", dnsNames: ["a-web.team.example.com"], issuerRef: { kind: "ClusterIssuer", name: "collide" } } });
    });
  });

  after(async () => {
    await s?.cluster.stop();
  });

  test("each object restored under its own label, each Secret copy its own resource; a stack that restored one resource per object upgrades without deleting any", async () => {
    const { cli, backupFile } = await backupAndStack(s, "names", {});
    const preview = await cli.run(["preview", "--json"]);
    assert.equal(preview.code, 0, preview.stdout.slice(-3000) + preview.stderr);
    const steps = (JSON.parse(preview.stdout) as { steps: Array<{ op: string; urn: string; newState?: { type: string; inputs: Record<string, any> } }> }).steps;
    const names = new Map(steps.map((st) => [st.urn.split("::").pop()!, st.op]));
    // Design change (issue 13): objects are restored by batches; each is named by its label in a batch's inputs.
    const labels = steps.filter((st) => st.newState?.type === "pulumi-nodejs:dynamic:Resource" && typeof st.newState.inputs.batch === "string")
      .flatMap((st) => Object.keys(st.newState!.inputs.objects));
    assert.ok(labels.includes("Certificate/team-a/web") && labels.includes("Certificate/team/a-web"), labels.join(", "));
    assert.equal(new Set(labels).size, labels.length, "each object once");
    assert.equal(names.get("issuer-secrets-x"), "create");
    assert.equal(names.get("issuer-secrets-source-x"), "create", "the copy of source-x");
    // The sources are read by the program, not through the engine: no read step can collide with a copy.
    assert.deepEqual(steps.filter((st) => st.op === "read").map((st) => st.urn), [], "no Secret is read through the engine");

    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    const custom = s.kc.makeApiClient(k8s.CustomObjectsApi);
    const uids = new Map<string, string>();
    for (const [namespace, name] of [["team-a", "web"], ["team", "a-web"]]) {
      const cert = await custom.getNamespacedCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", namespace, plural: "certificates", name }) as KubeObject;
      const managers = ((cert.metadata?.managedFields ?? []) as Array<{ manager?: string }>).map((m) => m.manager);
      assert.ok(managers.includes("cert-manager-upgrade"), `${namespace}/${name} restored by the program (${managers.join(", ")})`);
      uids.set(`${namespace}/${name}`, String(cert.metadata?.uid));
    }
    for (const name of ["x", "source-x"]) {
      assert.deepEqual((await readSecret(s.core, "cert-manager", name))?.data, (await readSecret(s.core, "kube-system", name))?.data, `cert-manager/${name} is a copy of kube-system/${name}`);
    }
    const verify = await script("verify", ["--kubeconfig", s.cluster.kubeconfig, "--backup", backupFile, "--allow-pending"]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const again = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(again.code, 0, `the names are the same on the next run: ${again.stdout.slice(-2000)}`);

    // A stack restored by an earlier version holds one resource per object. Put two such entries
    // into the state as that version wrote them: with retainOnDelete, which every version that made
    // them set (components/restored-resources.ts from its first commit on) and which the engine
    // reads from the state when the program no longer declares them. The preview must show them
    // leaving the state without deleting anything, and `pulumi up` must leave both objects in place.
    // A third entry, for a Certificate created since, is written without retainOnDelete, as no
    // version wrote one: the control that this test sees a delete (in the preview and as a gone
    // uid), which is what a migration deleting the objects would look like.
    const canary: KubeObject = { apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: "canary", namespace: "team-a" },
      spec: { secretName: "canary-tls", dnsNames: ["canary.team-a.example.com"], issuerRef: { kind: "ClusterIssuer", name: "collide" } } };
    await create(s.kc, canary);
    const canaryUid = String((await custom.getNamespacedCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", namespace: "team-a", plural: "certificates", name: "canary" }) as KubeObject).metadata?.uid);
    const exported = await cli.runWithoutConfig(["stack", "export"]);
    assert.equal(exported.code, 0, exported.stderr);
    const deployment = JSON.parse(exported.stdout) as { deployment: { resources: Array<Record<string, any>> } };
    const resources = deployment.deployment.resources;
    const provider = resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    const batchIndex = resources.findIndex((r) => r.type === "pulumi-nodejs:dynamic:Resource" && r.inputs?.objects?.["Certificate/team-a/web"]);
    const batch = resources[batchIndex];
    const oldEntries = [["team-a", "web", "restored-certificate-team-a/web"], ["team", "a-web", "restored-certificate-team-a-web"]].map(([namespace, name, resourceName]) => {
      const object = decodeObject(batch.inputs.objects[`Certificate/${namespace}/${name}`] ?? resources.flatMap((r) => Object.entries(r.inputs?.objects ?? {})).find(([l]) => l === `Certificate/${namespace}/${name}`)![1]);
      const type = "kubernetes:certmanager.k8s.io/v1alpha1:Certificate";
      return {
        urn: batch.urn.replace(/\$pulumi-nodejs:dynamic:Resource::.*$/, `$${type}::${resourceName}`),
        custom: true, id: `${namespace}/${name}`, type, inputs: object, outputs: object, parent: batch.parent,
        provider: `${provider.urn}::${provider.id}`, retainOnDelete: true,
      };
    });
    const { retainOnDelete, ...canaryEntry } = { ...oldEntries[0], urn: oldEntries[0].urn.replace(/::[^:]*$/, "::restored-certificate-team-a/canary"), id: "team-a/canary", inputs: canary, outputs: canary };
    assert.equal(retainOnDelete, true);
    resources.splice(batchIndex + 1, 0, ...oldEntries, canaryEntry);
    const stateFile = path.join(work, "names-per-object-state.json");
    fs.writeFileSync(stateFile, JSON.stringify(deployment));
    const imported = await cli.runWithoutConfig(["stack", "import", "--file", stateFile]);
    assert.equal(imported.code, 0, imported.stderr);
    const upgradePreview = await cli.run(["preview", "--json"]);
    assert.equal(upgradePreview.code, 0, upgradePreview.stdout.slice(-3000) + upgradePreview.stderr);
    const summary = summarizePreview(JSON.parse(upgradePreview.stdout));
    assert.deepEqual(summary.retainedRemovals.map((r) => r.what).sort(), ["Certificate team-a/web", "Certificate team/a-web"]);
    assert.deepEqual(summary.destructive.map((d) => `${d.op} ${d.what}`), ["delete Certificate team-a/canary"], "leaving the state is not destructive; the control's delete is");
    assert.match(renderText(summary, "names"), /2 resources of restored objects leave the Pulumi state .*nothing is deleted in the cluster/);
    const upgraded = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(upgraded.code, 0, upgraded.stdout.slice(-3000) + upgraded.stderr);
    const uidNow = (namespace: string, name: string): Promise<string | undefined> =>
      custom.getNamespacedCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", namespace, plural: "certificates", name })
        .then((c) => String((c as KubeObject).metadata?.uid), (err: { code?: number }) => (err.code === 404 ? undefined : Promise.reject(err)));
    for (const [key, uid] of uids) {
      const [namespace, name] = key.split("/");
      assert.equal(await uidNow(namespace, name), uid, `${key} is the same object: not deleted`);
    }
    assert.notEqual(canaryUid, "undefined");
    assert.equal(await uidNow("team-a", "canary"), undefined, "the control entry without retainOnDelete was deleted: the uid checks above would see such a delete");
    const done = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(done.code, 0, done.stdout.slice(-2000));
  });
});

