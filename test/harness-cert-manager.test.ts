// The cert-manager harness's pure parts (harness/pebble.ts, harness/kubelet.ts): no cluster, no Pebble.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { matchIngress } from "../harness/ingress";
import { acmeRequestCounts, certManagerBinary, certManagerImage, expandArg, hostsFile } from "../harness/kubelet";
import { pebbleCounts } from "../harness/pebble";

describe("cert-manager harness", () => {
  test("Pebble's counts are the last 'There are now N …' of its log; none yet is 0", () => {
    assert.deepEqual(pebbleCounts(""), { accounts: 0, orders: 0 });
    const log = [
      "Pebble 2026/11/29 07:29:21 There are now 1 accounts in memory",
      "Pebble 2026/11/29 07:29:22 There are now 2 accounts in memory",
      "Pebble 2026/11/29 07:30:01 Added order \"abc\" to the db",
      "Pebble 2026/11/29 07:30:01 There are now 1 orders in the db",
      "Pebble 2026/11/29 07:30:02 There are now 3 authorizations in the db",
    ].join("\n");
    assert.deepEqual(pebbleCounts(log), { accounts: 2, orders: 1 });
  });

  test("images map to the controller or webhook binary; anything else is not cert-manager", () => {
    assert.deepEqual(certManagerImage("quay.io/jetstack/cert-manager-controller:v0.4.1"), { kind: "controller", version: "v0.4.1" });
    assert.deepEqual(certManagerImage("quay.io/jetstack/cert-manager-webhook:v0.6.2"), { kind: "webhook", version: "v0.6.2" });
    assert.equal(certManagerImage("quay.io/munnerz/apiextensions-ca-helper:v0.1.0"), undefined);
    assert.equal(certManagerImage("quay.io/jetstack/cert-manager-controller"), undefined, "no tag");
    assert.equal(certManagerImage(undefined), undefined);
  });

  test("v1.1.1's four images map to its own binaries; 0.4.1's controller to the v0.6.2 stand-in", () => {
    assert.deepEqual(certManagerImage("quay.io/jetstack/cert-manager-cainjector:v1.1.1"), { kind: "cainjector", version: "v1.1.1" });
    assert.deepEqual(certManagerImage("quay.io/jetstack/cert-manager-acmesolver:v1.1.1"), { kind: "acmesolver", version: "v1.1.1" });
    const env = { CMU_CERT_MANAGER_BIN: "/tc/cm062/bin", CMU_CERT_MANAGER_V111_DIR: "/tc/cm111" };
    assert.deepEqual(certManagerBinary(env, "acmesolver", "v1.1.1"), { binary: "/tc/cm111/bin/cert-manager-acmesolver", standIn: false });
    assert.deepEqual(certManagerBinary(env, "webhook", "v0.6.2"), { binary: "/tc/cm062/bin/cert-manager-webhook", standIn: false });
    assert.deepEqual(certManagerBinary(env, "controller", "v0.4.1"), { binary: "/tc/cm062/bin/cert-manager-controller", standIn: true });
    assert.throws(() => certManagerBinary({ CMU_CERT_MANAGER_BIN: "/x" }, "controller", "v1.1.1"), /CMU_CERT_MANAGER_V111_DIR is not set/);
    assert.throws(() => certManagerBinary(env, "cainjector", "v0.6.2"), /only v1.1.1 has one/);
  });

  test("the pods' hosts file maps each Ingress host (once, sorted) to 127.0.0.1 and keeps localhost", () => {
    assert.equal(hostsFile(["b.test", "a.test", "b.test"]), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\ta.test\n127.0.0.1\tb.test\n");
  });

  test("the ingress stand-in routes by class, exact host and longest path prefix", () => {
    const ingresses = [
      { namespace: "app", ingressClass: "other", rules: [{ host: "a.test", paths: [{ path: "/", serviceName: "wrong-class", servicePort: 80 }] }] },
      { namespace: "app", ingressClass: "cmu", rules: [{ host: "a.test", paths: [{ path: "/", serviceName: "site", servicePort: 80 }] }] },
      { namespace: "app", ingressClass: "cmu", rules: [{ host: "a.test", paths: [{ path: "/.well-known/acme-challenge/tok", serviceName: "solver", servicePort: 8089 }] }] },
    ];
    assert.deepEqual(matchIngress(ingresses, "cmu", "a.test", "/.well-known/acme-challenge/tok"), { namespace: "app", serviceName: "solver", servicePort: 8089 });
    assert.deepEqual(matchIngress(ingresses, "cmu", "a.test", "/index.html"), { namespace: "app", serviceName: "site", servicePort: 80 });
    assert.equal(matchIngress(ingresses, "cmu", "b.test", "/"), undefined, "no rule for the host");
    assert.equal(matchIngress(ingresses, "nginx", "a.test", "/"), undefined, "no Ingress of the class");
  });

  test("$(VAR) in args expands as the kubelet does; unknown names stay", () => {
    const env = { POD_NAMESPACE: "cert-manager" };
    assert.equal(expandArg("--cluster-resource-namespace=$(POD_NAMESPACE)", env), "--cluster-resource-namespace=cert-manager");
    assert.equal(expandArg("--x=$(UNKNOWN)/$(POD_NAMESPACE)", env), "--x=$(UNKNOWN)/cert-manager");
  });

  test("certmanager_http_acme_client_request_count samples by path and status", () => {
    const text = [
      "# TYPE certmanager_http_acme_client_request_count counter",
      'certmanager_http_acme_client_request_count{host="127.0.0.1:1",method="POST",path="/sign-me-up",scheme="https",status="200"} 2',
      'certmanager_http_acme_client_request_count{host="127.0.0.1:1",method="POST",path="/sign-me-up",scheme="https",status="201"} 1',
      'certmanager_http_acme_client_request_duration_seconds{host="127.0.0.1:1",method="POST",path="/sign-me-up",scheme="https",status="200",quantile="0.5"} 0.01',
    ].join("\n");
    assert.deepEqual(acmeRequestCounts(text), [
      { path: "/sign-me-up", status: "200", method: "POST", count: 2 },
      { path: "/sign-me-up", status: "201", method: "POST", count: 1 },
    ]);
  });
});
