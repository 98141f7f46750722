import { test } from "node:test";
import * as assert from "node:assert/strict";
import { LAST_APPLIED_ANNOTATION, sanitizeForRestore } from "../lib/sanitize";
import { KubeObject } from "../lib/types";
import { seedObjects } from "./support/fixtures";

function liveCertificate(): KubeObject {
  return {
    apiVersion: "certmanager.k8s.io/v1alpha1",
    kind: "Certificate",
    metadata: {
      name: "ivan-test-cert",
      namespace: "test",
      uid: "203105f3-3b1d-11e9-9fb0-02096e167e86",
      resourceVersion: "17919",
      selfLink: "/apis/certmanager.k8s.io/v1alpha1/namespaces/test/certificates/ivan-test-cert",
      creationTimestamp: "2019-02-28T05:53:09Z",
      generation: 3,
      managedFields: [{ manager: "kubectl", operation: "Update", apiVersion: "certmanager.k8s.io/v1alpha1" }],
      deletionTimestamp: "2019-03-01T00:00:00Z",
      deletionGracePeriodSeconds: 0,
      finalizers: ["example.com/keep"],
      labels: { app: "test", "certmanager.k8s.io/certificate-name": "ivan-test-cert" },
      annotations: {
        [LAST_APPLIED_ANNOTATION]: '{"apiVersion":"certmanager.k8s.io/v1alpha1"}',
        "example.com/owner": "team-a",
      },
      ownerReferences: [
        { apiVersion: "extensions/v1beta1", kind: "Ingress", name: "test-ingress", uid: "202bc781-3b1d-11e9-9fb0-02096e167e86", controller: true, blockOwnerDeletion: true },
      ],
    },
    spec: { secretName: "ivan-test-cert", dnsNames: ["ivan-test.example.com"], issuerRef: { kind: "ClusterIssuer", name: "letsencrypt-prod" } },
    status: { conditions: [{ type: "Ready", status: "False", reason: "InvalidConfig" }] },
  };
}

const SERVER_FIELDS = [
  "uid",
  "resourceVersion",
  "selfLink",
  "creationTimestamp",
  "generation",
  "managedFields",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "finalizers",
];

test("drops every server-owned metadata field, status and the last-applied annotation", () => {
  const out = sanitizeForRestore(liveCertificate(), false);
  for (const field of SERVER_FIELDS) assert.ok(!(field in (out.metadata ?? {})), `${field} kept`);
  assert.ok(!("status" in out), "status kept");
  assert.ok(!(LAST_APPLIED_ANNOTATION in (out.metadata?.annotations ?? {})), "last-applied annotation kept");
});

test("keeps identity, spec, labels, other annotations and ownerReferences", () => {
  const input = liveCertificate();
  const out = sanitizeForRestore(input, false);
  assert.deepEqual(out, {
    apiVersion: "certmanager.k8s.io/v1alpha1",
    kind: "Certificate",
    metadata: {
      name: "ivan-test-cert",
      namespace: "test",
      labels: input.metadata?.labels,
      annotations: { "example.com/owner": "team-a" },
      ownerReferences: input.metadata?.ownerReferences,
    },
    spec: input.spec,
  });
});

test("does not mutate its input", () => {
  const input = liveCertificate();
  const before = structuredClone(input);
  const out = sanitizeForRestore(input, false);
  assert.deepEqual(input, before);
  // Nor does it share nested objects with it.
  (out.spec as { dnsNames: string[] }).dnsNames.push("changed.example.com");
  out.metadata!.labels!.app = "changed";
  out.metadata!.ownerReferences![0].name = "changed";
  assert.deepEqual(input, before);
});

test("an annotation map holding only last-applied is dropped; empty labels too", () => {
  const input = liveCertificate();
  input.metadata!.annotations = { [LAST_APPLIED_ANNOTATION]: "{}" };
  input.metadata!.labels = {};
  const out = sanitizeForRestore(input, false);
  assert.ok(!("annotations" in out.metadata!));
  assert.ok(!("labels" in out.metadata!));
});

test("cluster-scoped objects lose a stray namespace; the seed's ClusterIssuer keeps its labels", () => {
  const [prod] = seedObjects();
  const out = sanitizeForRestore({ ...prod, metadata: { ...prod.metadata, namespace: "kube-system" } }, true);
  assert.deepEqual(out.metadata, { name: "letsencrypt-prod", labels: { app: "cert-manager-setup" } });
  assert.deepEqual(out.spec, prod.spec);
});
