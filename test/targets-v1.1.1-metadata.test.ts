// Issue 20: TLS Secrets' and Ingresses' certmanager.k8s.io/* annotations and labels renamed for
// cert-manager v1.1.1 (lib/targets/v1.1.1/metadata.ts).
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { renameIngressMetadata, renameSecretMetadata } from "../lib/targets/v1.1.1/metadata";
import { ingressApiVersion } from "../lib/target-metadata";

describe("TLS Secrets", () => {
  test("0.6.2's annotations and certificate-name label take their cert-manager.io names; others stay", () => {
    const { metadata, changes, refusals } = renameSecretMetadata({
      namespace: "default",
      name: "wonder-app-cert",
      annotations: {
        "certmanager.k8s.io/alt-names": "wonder-app.example.com",
        "certmanager.k8s.io/common-name": "wonder-app.example.com",
        "certmanager.k8s.io/ip-sans": "",
        "certmanager.k8s.io/issuer-kind": "ClusterIssuer",
        "certmanager.k8s.io/issuer-name": "letsencrypt-prod",
        "team": "web",
      },
      labels: { "certmanager.k8s.io/certificate-name": "wonder-app-cert", app: "wonder" },
    });
    assert.deepEqual(refusals, []);
    assert.deepEqual(metadata, {
      namespace: "default",
      name: "wonder-app-cert",
      annotations: {
        "cert-manager.io/alt-names": "wonder-app.example.com",
        "cert-manager.io/common-name": "wonder-app.example.com",
        "cert-manager.io/ip-sans": "",
        "cert-manager.io/issuer-kind": "ClusterIssuer",
        "cert-manager.io/issuer-name": "letsencrypt-prod",
        "team": "web",
      },
      labels: { "cert-manager.io/certificate-name": "wonder-app-cert", app: "wonder" },
    });
    assert.equal(changes.length, 6);
    // A missing issuer-group is the default group in v1.1.1 (issuerGroupsEqual): none is added.
    assert.equal("cert-manager.io/issuer-group" in (metadata.annotations ?? {}), false);
  });

  test("a Secret already renamed is left as it is", () => {
    const renamed = { namespace: "n", name: "s", annotations: { "cert-manager.io/issuer-name": "x" } };
    const { metadata, changes } = renameSecretMetadata(renamed);
    assert.deepEqual(metadata, renamed);
    assert.deepEqual(changes, []);
  });

  test("an old and a new annotation that disagree are refused, naming the Secret", () => {
    const { refusals, metadata } = renameSecretMetadata({ namespace: "n", name: "s", annotations: { "certmanager.k8s.io/issuer-name": "old", "cert-manager.io/issuer-name": "new" } });
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0].object, "Secret/n/s");
    assert.match(refusals[0].rule, /certmanager.k8s.io\/issuer-name is "old" but cert-manager.io\/issuer-name is already "new"/);
    assert.equal(metadata.annotations?.["cert-manager.io/issuer-name"], "new");
  });
});

describe("Ingresses", () => {
  test("ingress-shim's annotations are renamed; the challenge-type and dns01-provider ones are dropped", () => {
    const { metadata, changes } = renameIngressMetadata({
      namespace: "test",
      name: "test-ingress",
      annotations: {
        "certmanager.k8s.io/cluster-issuer": "letsencrypt-prod",
        "certmanager.k8s.io/acme-challenge-type": "dns01",
        "certmanager.k8s.io/acme-dns01-provider": "clouddns",
        "certmanager.k8s.io/acme-http01-edit-in-place": "true",
        "certmanager.k8s.io/acme-http01-ingress-class": "nginx",
        "kubernetes.io/tls-acme": "true",
        "kubernetes.io/ingress.class": "nginx",
      },
    });
    assert.deepEqual(metadata.annotations, {
      "cert-manager.io/cluster-issuer": "letsencrypt-prod",
      "acme.cert-manager.io/http01-edit-in-place": "true",
      "acme.cert-manager.io/http01-ingress-class": "nginx",
      "kubernetes.io/tls-acme": "true",
      "kubernetes.io/ingress.class": "nginx",
    });
    assert.equal(changes.filter((c) => c.includes("dropped")).length, 2);
  });

  test("certmanager.k8s.io/issuer becomes cert-manager.io/issuer", () => {
    assert.deepEqual(renameIngressMetadata({ namespace: "n", name: "i", annotations: { "certmanager.k8s.io/issuer": "ca" } }).metadata.annotations, { "cert-manager.io/issuer": "ca" });
  });
});

describe("the Ingress API whose metadata is renamed", () => {
  test("Kubernetes 1.15 serves networking.k8s.io/v1 with NetworkPolicy only: Ingresses are read as networking.k8s.io/v1beta1", () => {
    assert.equal(ingressApiVersion({ "networking.k8s.io/v1": ["NetworkPolicy"], "networking.k8s.io/v1beta1": ["Ingress"], "extensions/v1beta1": ["DaemonSet", "Ingress"] }), "networking.k8s.io/v1beta1");
  });
  test("networking.k8s.io/v1 where it serves Ingress; extensions/v1beta1 where nothing newer does; none when no Ingress is served", () => {
    assert.equal(ingressApiVersion({ "networking.k8s.io/v1": ["NetworkPolicy", "Ingress"], "networking.k8s.io/v1beta1": ["Ingress"] }), "networking.k8s.io/v1");
    assert.equal(ingressApiVersion({ "networking.k8s.io/v1": ["NetworkPolicy"], "extensions/v1beta1": ["Ingress"] }), "extensions/v1beta1");
    assert.equal(ingressApiVersion({ "networking.k8s.io/v1": ["NetworkPolicy"] }), undefined);
  });
});
