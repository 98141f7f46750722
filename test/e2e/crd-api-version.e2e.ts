// Changing the CRDs' apiextensions version (crdApiVersion, or `auto` after the cluster was upgraded
// past 1.21) with allowCrdDeletion on, with the real engine and provider: the CRDs are the same
// objects under another API version, so the preview must show an update of each, never a delete
// or replace (deleting a CRD deletes every object of its kind), and after `pulumi up` the CRDs and
// a Certificate are the same objects (same uid). The program's CertManagerCrds component runs
// alone (test/fixtures/crds-program): the first run on Kubernetes 1.15 (v1beta1 only), then the
// control plane is upgraded in place to 1.34 (v1 only, same etcd), as a cluster upgrade does.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { offlinePulumiEnv } from "../../lib/automation";
import { CRD_FACTS, crdName } from "../../lib/crds";
import { LocalCluster, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";
import { headline, renderText, summarizePreview } from "../../lib/preview-summary";
import { CERTMANAGER_API_VERSION, KubeObject } from "../../lib/types";
import { answered, isNotFound } from "../support/cluster-objects";

const PROGRAM = path.join(ROOT, "test", "fixtures", "crds-program");
const STACK = "crd-version";
const CRD_TYPES = ["kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition", "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"];

interface Step { op: string; urn: string; oldState?: { type: string }; newState?: { type: string } }

describe("crdApiVersion v1beta1 -> v1 with allowCrdDeletion: the live CRDs are updated, never deleted", { concurrency: false }, () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-crd-version-"));
  const configFile = path.join(work, `Pulumi.${STACK}.yaml`);
  let env: NodeJS.ProcessEnv;
  let cluster: LocalCluster;
  let custom: () => k8s.CustomObjectsApi;

  const pulumi = (args: string[]): Promise<RunResult> =>
    run("pulumi", [...args, "--stack", STACK, "--config-file", configFile, "--non-interactive"], { cwd: PROGRAM, env });
  const config = async (values: Record<string, string>): Promise<void> => {
    for (const [key, value] of Object.entries(values)) {
      const set = await pulumi(["config", "set", key, value]);
      assert.equal(set.code, 0, set.stderr);
    }
  };
  const crdUids = async (version: string): Promise<Record<string, string>> => {
    const out: Record<string, string> = {};
    for (const f of CRD_FACTS) {
      const crd = await answered(() => custom().getClusterCustomObject({ group: "apiextensions.k8s.io", version, plural: "customresourcedefinitions", name: crdName(f.plural) })) as KubeObject;
      out[crdName(f.plural)] = String(crd.metadata?.uid);
    }
    return out;
  };
  const certificateUid = async (): Promise<string | undefined> => {
    try {
      const cert = await answered(() => custom().getNamespacedCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", namespace: "default", plural: "certificates", name: "web" })) as KubeObject;
      return String(cert.metadata?.uid);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };

  before(async () => {
    env = { ...await toolchainEnv({ build: true }), ...offlinePulumiEnv({ backendDir: path.join(work, "backend") }) };
    cluster = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion: "1.15" });
    const kc = new k8s.KubeConfig();
    custom = () => {
      kc.loadFromFile(cluster.kubeconfig);
      return kc.makeApiClient(k8s.CustomObjectsApi);
    };
    const init = await run("pulumi", ["stack", "init", STACK, "--non-interactive"], { cwd: PROGRAM, env });
    assert.equal(init.code, 0, init.stderr);
    // `stack init` writes the passphrase salt beside Pulumi.yaml: keep it with the stack's config, outside the repository.
    const written = path.join(PROGRAM, `Pulumi.${STACK}.yaml`);
    if (fs.existsSync(written)) fs.renameSync(written, configFile);
    if (!fs.existsSync(configFile)) fs.writeFileSync(configFile, "config: {}\n");
  });

  after(async () => {
    await cluster?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("the preview shows the five CRDs updated, nothing deleted; after `pulumi up` the CRDs and a Certificate are the same objects", async () => {
    // As the program runs on 1.15: client-side apply, v1beta1 (auto).
    await config({ kubeconfig: cluster.kubeconfig, serverSideApply: "false", crdApiVersion: "apiextensions.k8s.io/v1beta1", allowCrdDeletion: "true" });
    const first = await pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(first.code, 0, first.stdout.slice(-3000) + first.stderr);
    const before = await crdUids("v1beta1");
    // CRDs serve their objects a moment after they are created: until then a create answers 404.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await custom().createNamespacedCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", namespace: "default", plural: "certificates",
          body: { apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate", metadata: { name: "web" }, spec: { secretName: "web-tls", dnsNames: ["web.example.com"], issuerRef: { kind: "ClusterIssuer", name: "letsencrypt" } } } });
        break;
      } catch (err) {
        if (!isNotFound(err) || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    const certUid = await certificateUid();
    assert.ok(certUid);

    // The cluster is upgraded: v1beta1 is no longer served; `auto` now picks v1, and 1.34 has server-side apply.
    await cluster.upgradeTo("1.34");
    assert.deepEqual(await crdUids("v1"), before, "the upgrade kept the CRDs");
    await config({ serverSideApply: "true", crdApiVersion: "apiextensions.k8s.io/v1" });

    const preview = await pulumi(["preview", "--json"]);
    assert.equal(preview.code, 0, preview.stdout.slice(-3000) + preview.stderr);
    const steps = (JSON.parse(preview.stdout) as { steps: Step[] }).steps;
    const crdSteps = steps.filter((s) => CRD_TYPES.includes(s.newState?.type ?? s.oldState?.type ?? ""));
    assert.deepEqual(crdSteps.map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort(),
      CRD_FACTS.map((f) => `update crds-${f.plural}`).sort(), "each CRD is updated in place: no create, delete or replace");
    assert.deepEqual(steps.filter((s) => /delete|replace|discard/.test(s.op)).map((s) => `${s.op} ${s.urn}`), [], "nothing deleted or replaced");
    // The summary lists any change of a CRD among the destructive steps: here updates, and only those.
    const summary = summarizePreview(preview.stdout);
    assert.deepEqual(summary.destructive.map((d) => `${d.op} ${d.what}`).sort(),
      CRD_FACTS.map((f) => `update CustomResourceDefinition ${crdName(f.plural)}`).sort(), renderText(summary, STACK));
    assert.equal(headline(summary), "Destructive: changes 5 CRDs. Read the steps below before merging.");

    const up = await pulumi(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    assert.deepEqual(await crdUids("v1"), before, "the same CRDs (same uid)");
    assert.equal(await certificateUid(), certUid, "the Certificate is the same object");
    const again = await pulumi(["preview", "--expect-no-changes"]);
    assert.equal(again.code, 0, again.stdout.slice(-2000));
  });
});
