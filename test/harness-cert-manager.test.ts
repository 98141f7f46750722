// The cert-manager harness's pure parts (harness/pebble.ts, harness/kubelet.ts): no cluster, no Pebble.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { acmeRequestCounts, certManagerImage, expandArg } from "../harness/kubelet";
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
