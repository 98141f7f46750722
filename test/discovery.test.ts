// Issue 11, step 4: discovery decides every API version the program uses. A cluster that still runs
// cert-manager 0.4 runs Kubernetes 1.11–1.15, which serves CustomResourceDefinitions only as
// apiextensions.k8s.io/v1beta1; any API failure is one line (status code, what was asked, what to do).
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { crdVersionFor } from "../lib/crd-api";
import { inspectCluster, removeLegacyObjects } from "../lib/cluster";
import { loadKubeConfig } from "../lib/kube";
import { apiRegistrationVersionFor, ingressApiVersionFor, serverSideApplyFor } from "../lib/served-apis";
import { FakeKubeApi, GROUP_VERSIONS_1_15, GROUP_VERSIONS_MODERN } from "./support/fake-kube-api";
import { TEST_CLUSTER, seedObjects } from "./support/fixtures";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-discovery-"));
const servers: FakeKubeApi[] = [];

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("which version of an API the program uses, from discovery", () => {
  test("CustomResourceDefinitions: v1 where served, v1beta1 on Kubernetes up to 1.15", () => {
    assert.equal(crdVersionFor(GROUP_VERSIONS_MODERN), "v1");
    assert.equal(crdVersionFor(GROUP_VERSIONS_1_15), "v1beta1");
    // 1.16 to 1.21 serve both: the newer one.
    assert.equal(crdVersionFor(["apiextensions.k8s.io/v1beta1", "apiextensions.k8s.io/v1"]), "v1");
    assert.throws(() => crdVersionFor(["v1", "apps/v1"]), /^Error: the cluster serves neither apiextensions\.k8s\.io\/v1 nor apiextensions\.k8s\.io\/v1beta1/);
  });

  test("APIServices: v1 where served (1.10 on), else v1beta1", () => {
    assert.equal(apiRegistrationVersionFor(GROUP_VERSIONS_1_15), "v1");
    assert.equal(apiRegistrationVersionFor(["apiregistration.k8s.io/v1beta1"]), "v1beta1");
    assert.throws(() => apiRegistrationVersionFor(["v1"]), /serves neither apiregistration\.k8s\.io\/v1 nor apiregistration\.k8s\.io\/v1beta1/);
  });

  test("Ingress: the seed's extensions/v1beta1 where served; networking.k8s.io/v1 only where it serves Ingress (1.19 on)", () => {
    // 1.15 serves networking.k8s.io/v1, but only NetworkPolicy in it: the group version alone says nothing about Ingress.
    assert.equal(ingressApiVersionFor({ "extensions/v1beta1": ["Ingress", "Deployment"], "networking.k8s.io/v1": ["NetworkPolicy"], "networking.k8s.io/v1beta1": ["Ingress"] }), "extensions/v1beta1");
    assert.equal(ingressApiVersionFor({ "networking.k8s.io/v1": ["NetworkPolicy", "Ingress", "IngressClass"] }), "networking.k8s.io/v1");
    assert.equal(ingressApiVersionFor({ "networking.k8s.io/v1": ["NetworkPolicy"], "networking.k8s.io/v1beta1": ["Ingress"] }), "networking.k8s.io/v1beta1");
    assert.throws(() => ingressApiVersionFor({ "networking.k8s.io/v1": ["NetworkPolicy"] }), /serves no Ingress/);
  });

  test("server-side apply: only from Kubernetes 1.16 (beta, on by default); 1.15 has it as an alpha feature that is off", () => {
    for (const v of ["v1.15.12", "v1.11.10", "v1.15.12-gke.20", "v1.14.0+k3s.1"]) assert.equal(serverSideApplyFor(v).serverSideApply, false, v);
    for (const v of ["v1.16.0", "v1.22.17", "v1.34.4", "v1.18.20-eks-1-18-1"]) assert.equal(serverSideApplyFor(v).serverSideApply, true, v);
    // A version that cannot be read: client-side apply works on every server.
    const unknown = serverSideApplyFor("v0.0.0-master");
    assert.equal(unknown.serverSideApply, false);
    assert.match(unknown.reason, /cannot tell .*v0\.0\.0-master/);
    assert.match(serverSideApplyFor("v1.15.12").reason, /Kubernetes v1\.15\.12 .*client-side apply/);
  });
});

/** A 0.4 cluster on a stand-in serving what kube-apiserver 1.15 serves: the release's CRD (labelled), nothing else of it. */
async function cluster115(): Promise<{ api: FakeKubeApi; kubeconfig: string }> {
  const api = new FakeKubeApi({ kubeSystemUID: TEST_CLUSTER.kubeSystemUID, gitVersion: "v1.15.12" });
  await api.start();
  servers.push(api);
  api.groupVersions = [...GROUP_VERSIONS_1_15];
  for (const o of seedObjects()) api.addObject(o);
  api.serveEmptyLegacyLists();
  api.addCrd("certificates.certmanager.k8s.io", { chart: "cert-manager-v0.4.1", release: "cert-manager" });
  api.addCrd("widgets.example.com", {}, "example.com");
  const kubeconfig = api.writeKubeconfig(path.join(fs.mkdtempSync(path.join(tmp, "k115-")), "kubeconfig"), "legacy");
  return { api, kubeconfig };
}

const inspectArgs = { legacyReleaseName: "cert-manager", legacyNamespace: "kube-system", tillerNamespace: "kube-system", secrets: [] };

describe("on a cluster that serves apiextensions.k8s.io/v1beta1 only (Kubernetes 1.15)", () => {
  test("the preview's look finds the old release's CRD and every certmanager.k8s.io CRD through v1beta1", async () => {
    const { api, kubeconfig } = await cluster115();
    const facts = await inspectCluster(loadKubeConfig({ kubeconfig }), inspectArgs);
    assert.equal(facts.legacy.found, true);
    assert.deepEqual(facts.legacy.objects, [{ apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", namespace: "", name: "certificates.certmanager.k8s.io" }]);
    assert.deepEqual(facts.footprint.crds.map((c) => c.name), ["certificates.certmanager.k8s.io"]);
    assert.equal(facts.serverVersion, "v1.15.12");
    assert.deepEqual(api.requests.filter((r) => r.path.startsWith("/apis/apiextensions.k8s.io/v1/")).map((r) => r.path), [], "nothing asked of apiextensions.k8s.io/v1");
  });

  test("an API failure while looking is one line: what was asked, the status code, what to do", async () => {
    const { api, kubeconfig } = await cluster115();
    api.failNext("/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions", { status: 403 });
    await assert.rejects(inspectCluster(loadKubeConfig({ kubeconfig }), inspectArgs), (err: Error) => {
      assert.equal(err.message.split("\n").length, 1, err.message);
      assert.match(err.message, /^listing CustomResourceDefinitions \(apiextensions\.k8s\.io\/v1beta1\) labelled release=cert-manager failed: HTTP 403: .*; the credentials of context legacy lack the right/);
      assert.doesNotMatch(err.message, /Headers|Body:/);
      return true;
    });
  });

  test("the removal deletes the old CRDs through v1beta1 and waits until they are gone", async () => {
    const { api, kubeconfig } = await cluster115();
    const kc = loadKubeConfig({ kubeconfig });
    const facts = await inspectCluster(kc, inspectArgs);
    const lines: string[] = [];
    const removed = await removeLegacyObjects(kc, facts.legacy.objects, 5, (l) => lines.push(l));
    assert.deepEqual(removed, ["CustomResourceDefinition certificates.certmanager.k8s.io"]);
    assert.equal(api.hasCrd("certificates.certmanager.k8s.io"), false);
    assert.ok(api.hasCrd("widgets.example.com"), "another group's CRD untouched");
    assert.deepEqual(api.requests.filter((r) => r.method === "DELETE").map((r) => r.path), ["/apis/apiextensions.k8s.io/v1beta1/customresourcedefinitions/certificates.certmanager.k8s.io"]);
  });

  test("a CRD named in an API version the cluster does not serve is never taken for already gone", async () => {
    // Before: the 404 of the unserved apiextensions.k8s.io/v1 read as "not found", so the removal
    // reported success while the old CRD, and every object in it, stayed.
    const { api, kubeconfig } = await cluster115();
    const stale = { apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", namespace: "", name: "certificates.certmanager.k8s.io" };
    await assert.rejects(removeLegacyObjects(loadKubeConfig({ kubeconfig }), [stale], 5, () => undefined), (err: Error) => {
      assert.equal(err.message.split("\n").length, 1, err.message);
      assert.match(err.message, /^deleting CustomResourceDefinition certificates\.certmanager\.k8s\.io \(apiextensions\.k8s\.io\/v1\) failed: HTTP 404: .*the cluster does not serve apiextensions\.k8s\.io\/v1/);
      return true;
    });
    assert.ok(api.hasCrd("certificates.certmanager.k8s.io"), "still there, and reported so");
  });
});
