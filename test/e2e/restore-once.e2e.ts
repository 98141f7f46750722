// The restore is one-shot (issue 19) on the real control plane with the real engine (Kubernetes
// 1.34): after the upgrade, a Certificate deleted and another edited stay so through `pulumi
// refresh` and `pulumi up`; a different batch size writes nothing; the stack's reapply brings the
// deleted one back. The record of what was restored is a ConfigMap in the new namespace.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { LocalCluster, PulumiCli, ROOT, toolchainEnv } from "../../lib/local-run";
import { RESTORE_RECORD_NAME, decodeRecord } from "../../lib/restore-record";
import { objectLabel } from "../../lib/types";
import { seededCluster } from "../support/seeded-cluster";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");

interface Live { uid: string; resourceVersion: string; dnsNames?: string[] }

describe("one-shot restore (Kubernetes 1.34)", { concurrency: false }, () => {
  let env: NodeJS.ProcessEnv;
  let cluster: LocalCluster;
  let kc: k8s.KubeConfig;
  let planned: string[];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-once-"));
  const backupFile = path.join(work, "backups", "cert-manager-backup.yaml");
  const cliWith = (batchSize: number) => new PulumiCli({ ...env, CMU_RESTORE_BATCH_SIZE: String(batchSize) }, "once", path.join(work, "pulumi"), path.join(work, "Pulumi.once.yaml"));

  /** Every restored object outside the new namespace: uid, resourceVersion, dnsNames. */
  async function liveObjects(): Promise<Map<string, Live>> {
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const out = new Map<string, Live>();
    for (const plural of ["clusterissuers", "issuers", "certificates"]) {
      const list = await custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural }) as { items: Array<{ kind: string; metadata: { namespace?: string; name: string; uid: string; resourceVersion: string }; spec?: { dnsNames?: string[] } }> };
      for (const o of list.items) {
        if (o.metadata.namespace === "cert-manager") continue;
        out.set(objectLabel({ kind: o.kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name }), { uid: o.metadata.uid, resourceVersion: o.metadata.resourceVersion, dnsNames: o.spec?.dnsNames });
      }
    }
    return out;
  }

  before(async () => {
    env = await toolchainEnv({ build: true });
    ({ cluster, kc, planned } = await seededCluster(work, env, "1.34", backupFile, { namespaces: 2, certificates: 6 }));
    await cliWith(4).init({ backupFile, kubeconfig: cluster.kubeconfig, context: cluster.context, chart: CHART_066, mapApiVersions: "true",
      acknowledgeUnsupportedKubernetes: "true", webhook: "false", skipAwait: "true" });
  });

  after(async () => {
    await cluster?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("deleted and edited after the upgrade: refresh then up leaves both as the user has them; a new batch size writes nothing; reapply brings the deleted one back", async () => {
    const cli = cliWith(4);
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);
    assert.deepEqual([...(await liveObjects()).keys()].sort(), planned, "every object restored");
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const record = decodeRecord((await core.readNamespacedConfigMap({ namespace: "cert-manager", name: RESTORE_RECORD_NAME })).data);
    assert.deepEqual(record.labels, planned, "the record holds every restored object");

    const certs = planned.filter((l) => l.startsWith("Certificate/"));
    const [deleted, edited] = [certs[0], certs[1]];
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const ref = (label: string) => {
      const [, namespace, name] = label.split("/");
      return { group: "certmanager.k8s.io", version: "v1alpha1", namespace, plural: "certificates", name };
    };
    await custom.deleteNamespacedCustomObject(ref(deleted));
    await custom.patchNamespacedCustomObject({ ...ref(edited), body: [{ op: "replace", path: "/spec/dnsNames", value: ["edited.example.com"] }] },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.JsonPatch));
    const userState = await liveObjects();
    assert.ok(!userState.has(deleted));
    assert.deepEqual(userState.get(edited)!.dnsNames, ["edited.example.com"]);

    const refresh = await cli.run(["refresh", "--yes"]);
    assert.equal(refresh.code, 0, refresh.stdout.slice(-3000) + refresh.stderr);
    const preview = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(preview.code, 0, `after refresh, nothing to write: ${preview.stdout.slice(-3000)}${preview.stderr}`);
    assert.match(preview.stdout + preview.stderr, /object\(s\) restored earlier: left as they are/);
    const up2 = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up2.code, 0, up2.stdout.slice(-3000) + up2.stderr);
    assert.deepEqual(await liveObjects(), userState, "the deleted one stays deleted; the edited one keeps its edit; no object written (same uid and resourceVersion)");

    const resized = cliWith(5);
    const up3 = await resized.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up3.code, 0, up3.stdout.slice(-3000) + up3.stderr);
    assert.deepEqual(await liveObjects(), userState, "another batch size: no object written");

    const set = await resized.run(["config", "set", "--path", "cert-manager-upgrade:reapply[0]", deleted]);
    assert.equal(set.code, 0, set.stderr);
    const asked = await resized.run(["preview"]);
    assert.equal(asked.code, 0, asked.stderr);
    assert.match(asked.stdout + asked.stderr, /1 object\(s\) restored earlier written again from the backup, as reapply asks/);
    const up4 = await resized.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up4.code, 0, up4.stdout.slice(-3000) + up4.stderr);
    const back = await liveObjects();
    assert.ok(back.has(deleted), "reapply brought it back");
    const others = new Map([...back].filter(([l]) => l !== deleted));
    assert.deepEqual(others, userState, "nothing else written: the edit kept");
  });
});
