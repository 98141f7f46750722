// The restore and ownerReferences on a real kube-apiserver and garbage collector (kube-controller-manager):
// an ingress-shim Certificate whose Ingress was re-created since the backup (another uid) keeps its
// live owner when the restore adopts it (1.15: create, 409, read, replace); a backup's
// ownerReference to an owner gone or re-created is left out when the object is created; one whose
// owner exists with that uid is kept. Otherwise the garbage collector deletes the object.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { KubernetesVersion } from "../../harness/control-plane";
import { crdManifest, CRD_FACTS } from "../../lib/crds";
import { LocalCluster, startCluster, toolchainEnv } from "../../lib/local-run";
import { applyBatch } from "../../lib/restore-batch-apply";
import { CERTMANAGER_API_VERSION, KubeObject } from "../../lib/types";
import { answered, isNotFound } from "../support/cluster-objects";

const NAMESPACE = "shop";
/** The uid the Ingress had when the backup was taken; it was deleted and created again since. */
const BACKUP_INGRESS_UID = "0b5c1d2e-0000-4000-8000-backup-uid00";

function certificate(name: string, ownerReferences?: Array<Record<string, unknown>>): KubeObject {
  return {
    apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate",
    metadata: { name, namespace: NAMESPACE, ...(ownerReferences ? { ownerReferences } : {}) },
    spec: { secretName: `${name}-secret`, dnsNames: [`${name}.example.com`], issuerRef: { name: "letsencrypt", kind: "ClusterIssuer" } },
  };
}

for (const kubernetesVersion of ["1.15", "1.34"] as KubernetesVersion[]) {
  describe(`restore and ownerReferences (Kubernetes ${kubernetesVersion})`, { concurrency: false }, () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-owners-"));
    const ingressApi = kubernetesVersion === "1.15" ? "extensions/v1beta1" : "networking.k8s.io/v1";
    let cluster: LocalCluster;
    let objects: k8s.KubernetesObjectApi;
    let ingressUid: string;

    const read = async (obj: KubeObject): Promise<KubeObject | undefined> => {
      try {
        return await answered(() => objects.read(obj as k8s.KubernetesObject & { metadata: { name: string } })) as KubeObject;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    };
    const ownerOf = (uid: string) => [{ apiVersion: ingressApi, kind: "Ingress", name: "web", uid, controller: true, blockOwnerDeletion: true }];

    before(async () => {
      const env = await toolchainEnv({ build: true });
      cluster = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion });
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      objects = k8s.KubernetesObjectApi.makeApiClient(kc);
      const crdApi = kubernetesVersion === "1.15" ? "apiextensions.k8s.io/v1beta1" : "apiextensions.k8s.io/v1";
      // Untyped: the typed client drops the v1 schema's x-kubernetes-preserve-unknown-fields.
      await kc.makeApiClient(k8s.CustomObjectsApi).createClusterCustomObject({ group: "apiextensions.k8s.io", version: crdApi.split("/")[1], plural: "customresourcedefinitions",
        body: crdManifest(CRD_FACTS.find((f) => f.kind === "Certificate")!, crdApi) });
      await objects.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } });
      const spec = kubernetesVersion === "1.15"
        ? { backend: { serviceName: "web", servicePort: 80 } }
        : { defaultBackend: { service: { name: "web", port: { number: 80 } } } };
      const ingress = await objects.create({ apiVersion: ingressApi, kind: "Ingress", metadata: { name: "web", namespace: NAMESPACE }, spec } as k8s.KubernetesObject);
      ingressUid = ingress.metadata!.uid!;
      // The CRD serves its objects a moment after it is created: until then a create answers 404.
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          // What 0.6's ingress-shim does for the re-created Ingress before the restore runs.
          await objects.create(certificate("web-tls", ownerOf(ingressUid)) as k8s.KubernetesObject);
          break;
        } catch (err) {
          if (!(isNotFound(err) || (err as { code?: number }).code === 429) || Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    });

    after(async () => {
      await cluster?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    test("no restored object is left with an owner gone: live owners kept, the backup's kept only where the owner exists with that uid", async () => {
      const backup = {
        "Certificate/shop/web-tls": certificate("web-tls", ownerOf(BACKUP_INGRESS_UID)),
        "Certificate/shop/recreated-owner-tls": certificate("recreated-owner-tls", ownerOf(BACKUP_INGRESS_UID)),
        "Certificate/shop/gone-owner-tls": certificate("gone-owner-tls", [{ ...ownerOf(BACKUP_INGRESS_UID)[0], name: "gone" }]),
        "Certificate/shop/same-owner-tls": certificate("same-owner-tls", ownerOf(ingressUid)),
      };
      await applyBatch({ batch: "owners", kubeconfig: cluster.kubeconfig, serverSideApply: kubernetesVersion !== "1.15", objects: backup });

      const uids = async (name: string) => ((await read(certificate(name)))?.metadata?.ownerReferences ?? []).map((r) => r.uid);
      assert.deepEqual(await uids("web-tls"), [ingressUid], "the live Certificate keeps its live owner");
      assert.deepEqual(await uids("same-owner-tls"), [ingressUid], "an owner that exists with the backup's uid is kept");
      assert.deepEqual(await uids("recreated-owner-tls"), [], "an owner re-created since is left out");
      assert.deepEqual(await uids("gone-owner-tls"), [], "an owner gone is left out");

      // The garbage collector acts on dangling owners: a ConfigMap created now whose owner does not
      // exist goes once it has looked; the restored objects must all be there after that.
      await objects.create({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "gc-probe", namespace: NAMESPACE, ownerReferences: ownerOf(BACKUP_INGRESS_UID) } } as k8s.KubernetesObject);
      const probe = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "gc-probe", namespace: NAMESPACE } };
      const deadline = Date.now() + 180_000;
      while (await read(probe)) {
        if (Date.now() > deadline) assert.fail("the garbage collector did not delete a ConfigMap whose owner is gone within 180 s (kube-controller-manager running?)");
        await new Promise((r) => setTimeout(r, 500));
      }
      for (const label of Object.keys(backup)) {
        assert.ok(await read(backup[label as keyof typeof backup]), `${label} is still there after the garbage collector ran`);
      }
    });
  });
}
