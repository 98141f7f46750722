// Issue 11: on Kubernetes 1.15 (the clusters that still run cert-manager 0.4) server-side apply is an
// alpha feature that is off, and the Kubernetes provider does not check: with it on, every create
// answers 415 Unsupported Media Type. The program decides from the server version, and without
// server-side apply takes existing objects over with Pulumi's `import`, never a Secret.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { KubeObject } from "../lib/types";
import { ownBackup, seedObjects, TEST_CLUSTER } from "./support/fixtures";
import { GROUP_VERSIONS_1_15, GROUP_VERSIONS_MODERN } from "./support/fake-kube-api";
import { LiveSecret, ProgramRun, SOURCE_SECRET_VALUE, runProgram, tempDir, writeChart, writeKubeconfig, restoredBatches } from "./support/pulumi-harness";

const SEED_SECRETS = ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"];
const OUR_CRDS = ["certificates", "challenges", "clusterissuers", "issuers", "orders"].map((p) => `${p}.certmanager.k8s.io`);

function facts(version: "v1.15.12" | "v1.34.4", state: { legacyFound: boolean; namespaceExists?: boolean; ourCrds?: boolean; liveObjects?: string[]; copies?: string[] }): ClusterFacts {
  const legacyCrd = { name: "certificates.certmanager.k8s.io", labels: { app: "cert-manager", chart: "cert-manager-v0.4.1", release: "cert-manager" }, annotations: {} };
  return {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: version,
    servedApiVersions: ["v1", ...(version === "v1.15.12" ? GROUP_VERSIONS_1_15 : GROUP_VERSIONS_MODERN)],
    legacy: state.legacyFound
      ? { found: true, record: "helm3", objects: [{ apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", namespace: "", name: legacyCrd.name }] }
      : { found: false, record: "none", objects: [] },
    liveObjects: state.liveObjects ?? [],
    liveObjectDigests: {},
    liveTlsSecrets: {},
    footprint: {
      crds: state.legacyFound ? [legacyCrd] : state.ourCrds ? OUR_CRDS.map((name) => ({ name, labels: { app: "cert-manager" }, annotations: {} })) : [],
      deployments: [],
    },
    secrets: Object.fromEntries([...SEED_SECRETS.map((s) => `kube-system/${s}`), ...(state.copies ?? [])].map((k) => [k, true])),
    namespaces: { "cert-manager": state.namespaceExists ?? false },
  };
}

async function preview(f: ClusterFacts, options: { liveSecrets?: Record<string, LiveSecret>; config?: Record<string, string>; objects?: KubeObject[] } = {}): Promise<ProgramRun> {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(options.objects ?? seedObjects()).text);
  return runProgram({
    "cert-manager-upgrade:backupFile": backupFile,
    "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
    "cert-manager-upgrade:chart": writeChart(dir),
    "cert-manager-upgrade:webhook": "false",
    // 1.34 lacks what cert-manager 0.6.2 runs on (a test cluster): mapped, and acknowledged; 1.15 needs neither.
    "cert-manager-upgrade:mapApiVersions": f.serverVersion === "v1.34.4" ? "true" : "false",
    ...(f.serverVersion === "v1.34.4" ? { "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true" } : {}),
    ...Object.fromEntries(Object.entries(options.config ?? {}).map(([k, v]) => [`cert-manager-upgrade:${k}`, v])),
  }, f, true, { liveSecrets: options.liveSecrets });
}

function providerOf(run: ProgramRun) {
  return run.registrations.find((r) => r.type === "pulumi:providers:kubernetes")!;
}

const imports = (run: ProgramRun) => run.registrations.filter((r) => r.importId !== "").map((r) => `${r.type} ${r.importId}`).sort();

/** The Secrets as the cluster holds them: sources made with `kubectl apply`-like metadata, and the given copies. */
function secretsWith(copies: Record<string, LiveSecret> = {}): Record<string, LiveSecret> {
  const live: Record<string, LiveSecret> = {};
  for (const s of SEED_SECRETS) live[`kube-system/${s}`] = { metadata: { name: s, namespace: "kube-system" }, type: "Opaque", data: { "tls.key": SOURCE_SECRET_VALUE } };
  return { ...live, ...copies };
}

describe("server-side apply only where the cluster serves it", () => {
  test("Kubernetes 1.15: the provider applies client-side, and the preview says why", async () => {
    const run = await preview(facts("v1.15.12", { legacyFound: true }), { liveSecrets: secretsWith() });
    assert.equal(String(providerOf(run).inputs.enableServerSideApply), "false");
    assert.ok(run.logs.some((l) => /Kubernetes v1\.15\.12 has no server-side apply .*client-side apply; objects that exist already are taken over with `import` \(restored objects: replaced with the backup's values\), Secrets excepted/.test(l.message)), JSON.stringify(run.logs));
    // The CRDs it applies are v1beta1 (all 1.15 serves), and the chart is installed as shipped.
    assert.equal(run.registrations.filter((r) => r.type === "kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition").length, 5);
    assert.equal(run.byName("cert-manager").inputs.postrender, undefined, "no post-render mapping on 1.15");
  });

  test("Kubernetes 1.34: server-side apply, as before; nothing imported", async () => {
    const run = await preview(facts("v1.34.4", { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: ["ClusterIssuer/letsencrypt-prod"] }), { liveSecrets: secretsWith() });
    assert.equal(String(providerOf(run).inputs.enableServerSideApply), "true");
    assert.deepEqual(imports(run), [], "server-side apply takes existing objects over itself");
    assert.ok(!run.logs.some((l) => /client-side apply/.test(l.message)));
  });
});

describe("without server-side apply, objects that exist are taken over with `import`", () => {
  test("first run (old release still there): only the namespace, made by hand as the seed's step 2 did; the CRDs of the same names are the old ones", async () => {
    const run = await preview(facts("v1.15.12", { legacyFound: true, namespaceExists: true, liveObjects: ["ClusterIssuer/letsencrypt-prod", "Certificate/default/wonder-app-cert"] }), { liveSecrets: secretsWith() });
    assert.deepEqual(imports(run), ["kubernetes:core/v1:Namespace cert-manager"]);
  });

  test("a resumed run (old release gone): the namespace and the 0.6 CRDs by the provider's ids; the restored objects that exist adopted by their batch, and named", async () => {
    const live = ["ClusterIssuer/letsencrypt-prod", "Certificate/default/wonder-app-cert", "Certificate/elsewhere/not-in-backup"];
    const run = await preview(facts("v1.15.12", { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: live }), { liveSecrets: secretsWith() });
    assert.deepEqual(imports(run), [
      ...OUR_CRDS.map((n) => `kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition ${n}`),
      "kubernetes:core/v1:Namespace cert-manager",
    ].sort());
    assert.deepEqual(run.engineReads.filter((r) => r.type === "kubernetes:core/v1:Secret"), [], "no Secret imported");
    // Design change (issue 13): restored objects are applied by batches, which adopt an existing
    // object themselves (replaced with the backup's values) and list it as adopted for the preview.
    const adopted = restoredBatches(run).flatMap((b) => b.inputs.adopted as string[]).sort();
    assert.deepEqual(adopted, ["Certificate/default/wonder-app-cert", "ClusterIssuer/letsencrypt-prod"]);
    assert.ok(restoredBatches(run).every((b) => b.inputs.serverSideApply === false));
  });

  test("nothing exists yet: nothing imported", async () => {
    const run = await preview(facts("v1.15.12", { legacyFound: true }), { liveSecrets: secretsWith() });
    assert.deepEqual(imports(run), []);
    assert.deepEqual(restoredBatches(run).flatMap((b) => b.inputs.adopted as string[]), []);
  });
});

describe("without server-side apply, a copy someone else made is never imported", () => {
  const handCopy = (data: Record<string, string>): LiveSecret => ({
    metadata: { name: "cert-manager-setup-production-private-key", namespace: "cert-manager", annotations: { "kubectl.kubernetes.io/last-applied-configuration": `{"data":${JSON.stringify(data)}}` } },
    type: "Opaque", data,
  });
  const copyKey = "cert-manager/cert-manager-setup-production-private-key";

  test("with the source's data: left as it is (a warning), not declared, its source kept by the cleanup", async () => {
    const run = await preview(facts("v1.15.12", { legacyFound: true, namespaceExists: true, copies: [copyKey] }), {
      liveSecrets: secretsWith({ [copyKey]: handCopy({ "tls.key": SOURCE_SECRET_VALUE }) }),
      config: { cleanupLegacySecrets: "true" },
    });
    const copies = run.registrations.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.parent.includes("IssuerSecretCopies")).map((r) => r.inputs.metadata.name).sort();
    assert.deepEqual(copies, ["cert-manager-setup-staging-private-key", "clouddns-service-account"]);
    assert.ok(run.logs.some((l) => l.severity === "warn" && /^Secret cert-manager\/cert-manager-setup-production-private-key exists already \(not made by this program\) and holds what cert-manager 0\.6 needs: left as it is/.test(l.message)), JSON.stringify(run.logs));
    const cleanup = run.byName("legacy-secret-cleanup-delete-copied-sources");
    assert.ok(!cleanup.inputs.names.includes("cert-manager-setup-production-private-key"), "its source stays in kube-system");
    assert.ok(cleanup.inputs.names.includes("cert-manager-setup-staging-private-key"), "the sources of the program's own copies are cleaned up");
    assert.deepEqual(run.engineReads.filter((r) => r.type === "kubernetes:core/v1:Secret"), [], "nothing of it read through the engine");
  });

  test("with other data: the preview stops in one line, nothing declared", async () => {
    await assert.rejects(
      preview(facts("v1.15.12", { legacyFound: true, namespaceExists: true, copies: [copyKey] }), { liveSecrets: secretsWith({ [copyKey]: handCopy({ "tls.key": "b3RoZXI=" }) }) }),
      (err: Error & { registrations?: unknown[] }) => {
        assert.equal(err.message.split("\n").length, 1);
        assert.match(err.message, /secret check failed: Secret cert-manager\/cert-manager-setup-production-private-key exists already, was not made by this program, and holds other data than kube-system\/cert-manager-setup-production-private-key; the program overwrites neither\. .*kubectl annotate secret -n cert-manager cert-manager-setup-production-private-key cert-manager-upgrade\/copied-from=kube-system\/cert-manager-setup-production-private-key.*nothing was changed/);
        assert.doesNotMatch(err.message, /kubectl delete/, "never advises deleting a Secret that may be the one in use");
        assert.deepEqual(err.registrations?.filter((r) => (r as { custom: boolean }).custom) ?? [], [], "nothing declared");
        return true;
      },
    );
  });

  test("this program's own copy is declared with its own data, never the source's, and imported: adopted if an interrupted run left it outside the state", async () => {
    // Rotated in the copy after the upgrade: the source's older data must not be written over it.
    const rotated = Buffer.from("rotated-after-the-upgrade").toString("base64");
    const ours: LiveSecret = { metadata: { name: "cert-manager-setup-production-private-key", namespace: "cert-manager", annotations: { "cert-manager-upgrade/copied-from": "kube-system/cert-manager-setup-production-private-key" } }, type: "Opaque", data: { "tls.key": rotated } };
    const run = await preview(facts("v1.15.12", { legacyFound: false, namespaceExists: true, ourCrds: true, copies: [copyKey] }), { liveSecrets: secretsWith({ [copyKey]: ours }) });
    const copies = run.registrations.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.parent.includes("IssuerSecretCopies"));
    assert.equal(copies.length, 3);
    assert.deepEqual(copies.map((c) => c.importId).sort(), ["", "", "cert-manager/cert-manager-setup-production-private-key"]);
    const copy = copies.find((c) => c.inputs.metadata?.name === "cert-manager-setup-production-private-key")!;
    assert.deepEqual(copy.inputs.data, { "tls.key": rotated }, "the copy's own data");
    assert.ok(run.logs.some((l) => l.severity === "warn" && /^Secret cert-manager\/cert-manager-setup-production-private-key holds other data than its source in kube-system .*kept as it is; the source is never copied over it/.test(l.message)), JSON.stringify(run.logs));
    assert.equal(String(run.byName("cluster").inputs.enableSecretMutable), "true", "a data change is an update in place, never a delete and create under the same name");
  });

  test("with server-side apply a hand copy with the source's data is taken over and emptied; one with other data stops the preview as well (it used to be overwritten)", async () => {
    const same = await preview(facts("v1.34.4", { legacyFound: true, namespaceExists: true, copies: [copyKey] }), { liveSecrets: secretsWith({ [copyKey]: handCopy({ "tls.key": SOURCE_SECRET_VALUE }) }) });
    const copy = same.registrations.find((r) => r.type === "kubernetes:core/v1:Secret" && r.inputs.metadata?.name === "cert-manager-setup-production-private-key" && r.parent.includes("IssuerSecretCopies"))!;
    assert.equal(copy.inputs.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"], "", "taken over and emptied");
    await assert.rejects(
      preview(facts("v1.34.4", { legacyFound: true, namespaceExists: true, copies: [copyKey] }), { liveSecrets: secretsWith({ [copyKey]: handCopy({ "tls.key": "b3RoZXI=" }) }) }),
      /secret check failed: Secret cert-manager\/cert-manager-setup-production-private-key exists already, was not made by this program, and holds other data/,
    );
  });
});
