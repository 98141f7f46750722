// The cleanup's own run (lib/dynamic-runtime.ts deleteLegacySecrets) against the API stand-in: right
// before deleting it looks again at what uses each Secret in the legacy namespace, Pods, workloads
// and ServiceAccounts included, and deletes nothing when it cannot look.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { deleteLegacySecrets } from "../lib/dynamic-runtime";
import { FakeKubeApi } from "./support/fake-kube-api";
import { tempDir } from "./support/pulumi-harness";

const NS = "kube-system";
const LISTS: Array<[string, string, string]> = [
  ["/apis/certmanager.k8s.io/v1alpha1/namespaces/kube-system/issuers", "certmanager.k8s.io/v1alpha1", "IssuerList"],
  ["/apis/certmanager.k8s.io/v1alpha1/namespaces/kube-system/certificates", "certmanager.k8s.io/v1alpha1", "CertificateList"],
  ["/api/v1/namespaces/kube-system/pods", "v1", "PodList"],
  ["/api/v1/namespaces/kube-system/serviceaccounts", "v1", "ServiceAccountList"],
  ["/apis/apps/v1/namespaces/kube-system/deployments", "apps/v1", "DeploymentList"],
  ["/apis/apps/v1/namespaces/kube-system/statefulsets", "apps/v1", "StatefulSetList"],
  ["/apis/apps/v1/namespaces/kube-system/daemonsets", "apps/v1", "DaemonSetList"],
  ["/apis/apps/v1/namespaces/kube-system/replicasets", "apps/v1", "ReplicaSetList"],
  ["/apis/batch/v1/namespaces/kube-system/jobs", "batch/v1", "JobList"],
  ["/apis/batch/v1/namespaces/kube-system/cronjobs", "batch/v1", "CronJobList"],
];

describe("the cleanup's run looks again at Pods, workloads and ServiceAccounts before deleting", () => {
  let api: FakeKubeApi;
  let kubeconfig: string;
  before(async () => {
    api = new FakeKubeApi();
    await api.start();
    kubeconfig = api.writeKubeconfig(path.join(tempDir(), "kubeconfig"), "stand-in");
  });
  after(() => api.close());

  function cluster(): void {
    api.lists.clear();
    for (const [listPath, apiVersion, kind] of LISTS) api.lists.set(listPath, { apiVersion, kind, items: [] });
    // Created after the preview: external-dns now mounts one of the Secrets the preview would delete.
    api.lists.set("/apis/apps/v1/namespaces/kube-system/deployments", { apiVersion: "apps/v1", kind: "DeploymentList", items: [
      { metadata: { name: "external-dns", namespace: NS }, spec: { template: { spec: { volumes: [{ name: "creds", secret: { secretName: "route53-credentials" } }], containers: [] } } } },
    ] });
    for (const name of ["route53-credentials", "staging-key"]) api.addSecret(NS, name, { key: "not shown" });
  }

  test("a Secret a workload uses by now is kept, naming it; the others are deleted", async () => {
    cluster();
    const result = await deleteLegacySecrets({ kubeconfig, context: "stand-in", namespace: NS, names: ["route53-credentials", "staging-key"] });
    assert.deepEqual(result, {
      deleted: ["kube-system/staging-key"],
      keptAtRun: [{ name: "route53-credentials", usedBy: ["Deployment kube-system/external-dns (volume creds)"] }],
    });
    assert.equal(api.hasSecret(NS, "route53-credentials"), true);
    assert.equal(api.hasSecret(NS, "staging-key"), false);
  });

  test("when Pods cannot be read, nothing is deleted and each Secret says why", async () => {
    cluster();
    api.requests.length = 0;
    api.failNext("/api/v1/namespaces/kube-system/pods", { status: 403 });
    const result = await deleteLegacySecrets({ kubeconfig, context: "stand-in", namespace: NS, names: ["route53-credentials", "staging-key"] });
    assert.deepEqual(result.deleted, []);
    assert.deepEqual(result.keptAtRun.map((k) => k.name), ["route53-credentials", "staging-key"]);
    for (const k of result.keptAtRun) assert.match(k.notChecked ?? "", /^listing Pods \(v1\) in kube-system failed: HTTP 403/);
    assert.deepEqual(api.requests.filter((r) => r.method === "DELETE"), []);
    assert.equal(api.hasSecret(NS, "staging-key"), true);
  });
});
