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

async function preview(f: ClusterFacts, options: { liveSecrets?: Record<string, LiveSecret>; config?: Record<string, string>; objects?: KubeObject[]; restoreRecord?: Record<string, string> } = {}): Promise<ProgramRun> {
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
  }, f, true, { liveSecrets: options.liveSecrets, restoreRecord: options.restoreRecord });
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

  test("a resumed run (old release gone, a record that does not hold them yet): the namespace and the 0.6 CRDs by the provider's ids; the restored objects that exist adopted by their batch, and named", async () => {
    const live = ["ClusterIssuer/letsencrypt-prod", "Certificate/default/wonder-app-cert", "Certificate/elsewhere/not-in-backup"];
    // Issue 19: without a record, the objects in the cluster would count as restored and be left as
    // they are (next test); a record that exists but lacks them means they are still to be written.
    const run = await preview(facts("v1.15.12", { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: live }), { liveSecrets: secretsWith(), restoreRecord: {} });
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

  test("old release gone and no record (upgraded by a version without one): the objects in the cluster are left as they are, not adopted, and recorded", async () => {
    const live = ["ClusterIssuer/letsencrypt-prod", "Certificate/default/wonder-app-cert"];
    const run = await preview(facts("v1.15.12", { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: live }), { liveSecrets: secretsWith() });
    const batches = restoredBatches(run);
    assert.deepEqual(batches.flatMap((b) => b.inputs.adopted as string[]), []);
    const written = batches.flatMap((b) => Object.keys(b.inputs.objects));
    assert.ok(!written.some((l) => live.includes(l)), `not written: ${written.join(", ")}`);
    assert.deepEqual(batches.flatMap((b) => b.inputs.leftAsTheyAre as string[]).sort(), [...live].sort());
    assert.deepEqual(batches.flatMap((b) => b.inputs.record as string[]).filter((l) => live.includes(l)).sort(), [...live].sort(), "recorded by this run");
    assert.ok(run.logs.some((l) => /^2 object\(s\) restored earlier: left as they are/.test(l.message)), JSON.stringify(run.logs));
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

// Issue 19: the restore is one-shot. What the record in the cluster (lib/restore-record.ts) holds
// is never written again, whatever the apply mode, unless the stack's reapply names it.
describe("one-shot restore: objects the record holds are left as they are", () => {
  const held = ["Certificate/default/wonder-app-cert", "ClusterIssuer/letsencrypt-prod"];
  const record = { restored: held.join("\n"), backupSha256: "abc" };
  const written = (run: ProgramRun) => restoredBatches(run).flatMap((b) => Object.keys(b.inputs.objects)).sort();

  for (const version of ["v1.15.12", "v1.34.4"] as const) {
    test(`${version}: not in any batch's objects, named as left as they are in the batches' inputs and the preview; the others written and recorded`, async () => {
      const run = await preview(facts(version, { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: held }), { liveSecrets: secretsWith(), restoreRecord: record });
      const all = restoredBatches(run).flatMap((b) => [...Object.keys(b.inputs.objects), ...(b.inputs.leftAsTheyAre as string[])]).sort();
      assert.ok(all.length > held.length);
      assert.deepEqual(written(run), all.filter((l) => !held.includes(l)));
      assert.deepEqual(restoredBatches(run).flatMap((b) => b.inputs.leftAsTheyAre as string[]).sort(), [...held].sort());
      assert.deepEqual(restoredBatches(run).flatMap((b) => b.inputs.record as string[]).sort(), written(run), "what is written is recorded");
      assert.deepEqual(restoredBatches(run).flatMap((b) => b.inputs.reapply as string[]), []);
      assert.ok(run.logs.some((l) => /^2 object\(s\) restored earlier: left as they are, not written, not re-created if deleted \(ClusterIssuer\/letsencrypt-prod, Certificate\/default\/wonder-app-cert\)/.test(l.message)), JSON.stringify(run.logs));
    });
  }

  test("the same batches (names and members) with or without a record: the record only decides what each writes", async () => {
    const f = facts("v1.34.4", { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: held });
    const members = (run: ProgramRun) => restoredBatches(run).map((b) => `${b.name}: ${[...Object.keys(b.inputs.objects), ...(b.inputs.leftAsTheyAre as string[])].sort().join(",")}`);
    assert.deepEqual(members(await preview(f, { liveSecrets: secretsWith(), restoreRecord: record })), members(await preview(f, { liveSecrets: secretsWith(), restoreRecord: {} })));
  });

  test("reapply names one: it is written again (and listed as such); [\"*\"]: all", async () => {
    const f = facts("v1.34.4", { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: held });
    const one = await preview(f, { liveSecrets: secretsWith(), restoreRecord: record, config: { reapply: JSON.stringify(["Certificate/default/wonder-app-cert"]) } });
    assert.ok(written(one).includes("Certificate/default/wonder-app-cert"));
    assert.ok(!written(one).includes("ClusterIssuer/letsencrypt-prod"));
    assert.deepEqual(restoredBatches(one).flatMap((b) => b.inputs.reapply as string[]), ["Certificate/default/wonder-app-cert"]);
    assert.ok(one.logs.some((l) => /^1 object\(s\) restored earlier written again from the backup, as reapply asks \(Certificate\/default\/wonder-app-cert\)/.test(l.message)), JSON.stringify(one.logs));
    const all = await preview(f, { liveSecrets: secretsWith(), restoreRecord: record, config: { reapply: JSON.stringify(["*"]) } });
    assert.deepEqual(restoredBatches(all).flatMap((b) => b.inputs.leftAsTheyAre as string[]), []);
  });

  test("reapply naming an object the backup lacks: a config error naming the key, before anything is declared", async () => {
    const f = facts("v1.34.4", { legacyFound: false, namespaceExists: true, ourCrds: true, liveObjects: held });
    await assert.rejects(preview(f, { liveSecrets: secretsWith(), restoreRecord: record, config: { reapply: JSON.stringify(["Certificate/default/gone"]) } }),
      /config key cert-manager-upgrade:reapply: Certificate\/default\/gone not in the backup/);
  });

  test("while the old release is there, a record (from an earlier upgrade) is ignored: its removal deletes every object, so every one is written", async () => {
    const run = await preview(facts("v1.34.4", { legacyFound: true }), { liveSecrets: secretsWith(), restoreRecord: record });
    assert.ok(held.every((l) => written(run).includes(l)));
    assert.deepEqual(restoredBatches(run).flatMap((b) => b.inputs.leftAsTheyAre as string[]), []);
  });
});
