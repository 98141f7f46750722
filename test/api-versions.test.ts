import { test } from "node:test";
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { CHART_V041_API_USE, mapManifest, unservedApis, unservedChartApis } from "../lib/api-versions";
import { GROUP_VERSIONS_1_15, GROUP_VERSIONS_MODERN } from "./support/fake-kube-api";

const RENDERED = `
apiVersion: apps/v1beta1
kind: Deployment
metadata: {name: cert-manager, namespace: cert-manager}
spec:
  replicas: 1
  template:
    metadata: {labels: {app: cert-manager, release: cert-manager}}
    spec: {containers: [{name: cert-manager, image: quay.io/jetstack/cert-manager-controller:v0.6.2}]}
---
apiVersion: rbac.authorization.k8s.io/v1beta1
kind: ClusterRoleBinding
metadata: {name: cert-manager}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cert-manager}
subjects: [{kind: ServiceAccount, name: cert-manager, namespace: cert-manager}]
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: cert-manager-webhook-ca-sync}
spec: {schedule: "@weekly", jobTemplate: {spec: {template: {spec: {containers: []}}}}}
---
apiVersion: apiregistration.k8s.io/v1beta1
kind: APIService
metadata: {name: v1beta1.admission.certmanager.k8s.io}
spec: {group: admission.certmanager.k8s.io, version: v1beta1, groupPriorityMinimum: 1000, versionPriority: 15}
---
apiVersion: admissionregistration.k8s.io/v1beta1
kind: ValidatingWebhookConfiguration
metadata: {name: cert-manager-webhook}
webhooks:
- name: clusterissuers.admission.certmanager.k8s.io
  failurePolicy: Fail
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: cert-manager}
`;

test("retired API versions map to served ones, with what the new versions require", () => {
  const result = mapManifest(RENDERED);
  const docs = yaml.loadAll(result.yaml) as any[];
  const byKind = Object.fromEntries(docs.map((d) => [d.kind, d]));
  assert.equal(byKind.Deployment.apiVersion, "apps/v1");
  assert.deepEqual(byKind.Deployment.spec.selector, { matchLabels: { app: "cert-manager", release: "cert-manager" } });
  assert.equal(byKind.ClusterRoleBinding.apiVersion, "rbac.authorization.k8s.io/v1");
  assert.equal(byKind.CronJob.apiVersion, "batch/v1");
  assert.equal(byKind.APIService.apiVersion, "apiregistration.k8s.io/v1");
  assert.equal(byKind.ValidatingWebhookConfiguration.apiVersion, "admissionregistration.k8s.io/v1");
  assert.equal(byKind.ValidatingWebhookConfiguration.webhooks[0].sideEffects, "None");
  assert.deepEqual(byKind.ValidatingWebhookConfiguration.webhooks[0].admissionReviewVersions, ["v1beta1"]);
  assert.equal(byKind.ValidatingWebhookConfiguration.webhooks[0].failurePolicy, "Fail");
  assert.equal(byKind.ServiceAccount.apiVersion, "v1", "served versions are left alone");
  assert.equal(result.mapped.length, 5);
  assert.ok(result.mapped.includes("Deployment/cert-manager: apps/v1beta1 -> apps/v1"));
});

test("an existing selector is kept", () => {
  const docs = yaml.loadAll(mapManifest(`apiVersion: apps/v1beta1
kind: Deployment
metadata: {name: x}
spec:
  selector: {matchLabels: {app: x}}
  template: {metadata: {labels: {app: x, extra: y}}}
`).yaml) as any[];
  assert.deepEqual(docs[0].spec.selector, { matchLabels: { app: "x" } });
});

test("unserved chart APIs are named, webhook ones only with the webhook", () => {
  const modern = new Set(["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1"]);
  const withWebhook = unservedChartApis(modern, true);
  assert.ok(withWebhook.includes("apps/v1beta1 Deployment"));
  assert.ok(withWebhook.includes("batch/v1beta1 CronJob"));
  assert.ok(withWebhook.includes("admissionregistration.k8s.io/v1beta1 ValidatingWebhookConfiguration"));
  assert.ok(withWebhook.includes("apiregistration.k8s.io/v1beta1 APIService"));
  const without = unservedChartApis(modern, false);
  assert.ok(without.includes("apps/v1beta1 Deployment"));
  assert.ok(!without.some((u) => u.includes("CronJob") || u.includes("APIService") || u.includes("Webhook")));
  const old = new Set([...modern, "apps/v1beta1", "rbac.authorization.k8s.io/v1beta1", "batch/v1beta1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1"]);
  assert.deepEqual(unservedChartApis(old, true), []);
});

test("the seed's chart v0.4.1 as shipped: everything served by Kubernetes 1.15 (no mapping), four kinds to map on a newer cluster", () => {
  assert.deepEqual(unservedApis(CHART_V041_API_USE, new Set(["v1", ...GROUP_VERSIONS_1_15])), []);
  assert.deepEqual(unservedApis(CHART_V041_API_USE, new Set(["v1", ...GROUP_VERSIONS_MODERN])), [
    "apps/v1beta1 Deployment", "rbac.authorization.k8s.io/v1beta1 ClusterRole", "rbac.authorization.k8s.io/v1beta1 ClusterRoleBinding", "apiextensions.k8s.io/v1beta1 CustomResourceDefinition",
  ]);
  // The v0.6.6 chart as shipped is served by 1.15 too, webhook included.
  assert.deepEqual(unservedChartApis(new Set(["v1", ...GROUP_VERSIONS_1_15]), true), []);
});
