// Whether cert-manager 0.6.2 renews what the upgrade kept (issue 20: it cannot complete an ACME
// order against an RFC 8555 server; plan, preview and verify must say so).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cannotRenewWarning, renewalProblems, renewalStart } from "../lib/renewal-0.6.2";
import { KubeObject } from "../lib/types";

const acmeIssuer: KubeObject = { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "ClusterIssuer", metadata: { name: "le" }, spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "a@b.c", privateKeySecretRef: { name: "le-key" }, http01: {} } } };
const caIssuer: KubeObject = { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Issuer", metadata: { name: "ca", namespace: "team" }, spec: { ca: { secretName: "ca-pair" } } };

function certificate(name: string, issuerRef: { name: string; kind?: string }, renewBefore?: string): KubeObject {
  return { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Certificate", metadata: { name, namespace: "team" }, spec: { secretName: `${name}-tls`, issuerRef, dnsNames: [`${name}.example`], ...(renewBefore ? { renewBefore } : {}) } };
}

function order(name: string, certificateName: string, state: string, created: string, reason?: string): KubeObject {
  return { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Order", metadata: { name, namespace: "team", creationTimestamp: created, labels: { "acme.cert-manager.io/certificate-name": certificateName } }, status: { state, ...(reason ? { reason } : {}) } };
}

const NOW = new Date("2026-12-03T12:00:00Z");
// 90 days of validity ending in 10 days: inside the default 30-day window since 2026-11-13T12:00:00Z.
const DUE = { notBefore: "2026-09-14T12:00:00Z", notAfter: "2026-12-13T12:00:00Z" };
// Ending in 60 days: outside it.
const FRESH = { notBefore: "2026-11-02T12:00:00Z", notAfter: "2027-01-31T12:00:00Z" };

function objects(...items: KubeObject[]): Map<string, KubeObject> {
  return new Map(items.map((o) => [`${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`, o]));
}

test("the plan's line for an ACME issuer says 0.6.2 cannot renew and which releases can; none for other issuers", () => {
  const line = cannotRenewWarning(acmeIssuer)!;
  assert.match(line, /^cert-manager 0\.6\.2 cannot renew this issuer's certificates against https:\/\/acme-v02\.api\.letsencrypt\.org\/directory /);
  assert.match(line, /every Order ends errored \("Method not allowed"\)/);
  assert.match(line, /cert-manager v0\.9\.0 or later \(v1\.1\.1 is the newest that runs on Kubernetes 1\.15\)$/);
  assert.equal(cannotRenewWarning(caIssuer), undefined);
});

test("the renewal window as 0.6.2 computes it: renewBefore (default 720h), a third of the validity when renewBefore exceeds it", () => {
  assert.equal(renewalStart(DUE.notBefore, DUE.notAfter, undefined).toISOString(), "2026-11-13T12:00:00.000Z");
  assert.equal(renewalStart(DUE.notBefore, DUE.notAfter, "240h").toISOString(), "2026-12-03T12:00:00.000Z");
  // 2000h > 90 days (2160h)? no: kept. 3000h > 2160h: a third of 90 days = 30 days.
  assert.equal(renewalStart(DUE.notBefore, DUE.notAfter, "3000h").toISOString(), "2026-11-13T12:00:00.000Z");
  assert.equal(renewalStart(undefined, DUE.notAfter, "3000h").toISOString(), new Date(Date.parse(DUE.notAfter) - 3000 * 3600e3).toISOString());
});

test("a certificate of an ACME issuer whose newest Order errored is not renewing, with the Order's reason", () => {
  const problems = renewalProblems({
    objects: objects(acmeIssuer, certificate("web", { name: "le", kind: "ClusterIssuer" })),
    orders: [
      order("web-1", "web", "valid", "2026-09-14T11:59:00Z"),
      order("web-2", "web", "errored", "2026-11-13T12:01:00Z", "Failed to create order: acme: urn:ietf:params:acme:error:malformed: Method not allowed"),
    ],
    validity: new Map([["team/web-tls", DUE]]),
    now: NOW,
  });
  assert.deepEqual(problems, [{
    object: "Certificate/team/web",
    message: "not renewing: its newest ACME Order web-2 ended errored: Failed to create order: acme: urn:ietf:params:acme:error:malformed: Method not allowed; the certificate expires at 2026-12-13T12:00:00Z",
  }]);
});

test("a first issuance that fails is not a renewal: a certificate without a readable certificate is left to verify's Ready check", () => {
  const input = { objects: objects(acmeIssuer, certificate("new", { name: "le", kind: "ClusterIssuer" })), orders: [order("new-1", "new", "errored", "2026-12-01T00:00:00Z", "Method not allowed")], now: NOW };
  assert.deepEqual(renewalProblems({ ...input, validity: new Map() }), []);
  assert.deepEqual(renewalProblems({ ...input, validity: new Map([["team/new-tls", {}]]) }), []);
  assert.equal(renewalProblems({ ...input, validity: new Map([["team/new-tls", FRESH]]) }).length, 1, "with a certificate, an errored Order is a failed renewal");
});

test("inside its renewal window: red without a valid Order made since it entered the window (the one that issued it does not count), green with one", () => {
  const input = (orders: KubeObject[]) => ({ objects: objects(acmeIssuer, certificate("web", { name: "le", kind: "ClusterIssuer" })), orders, validity: new Map([["team/web-tls", DUE]]), now: NOW });
  assert.deepEqual(renewalProblems(input([])).map((p) => p.message),
    ["not renewed: inside its renewal window since 2026-11-13T12:00:00Z and no valid ACME Order since (no Order for it exists); the certificate expires at 2026-12-13T12:00:00Z"]);
  assert.match(renewalProblems(input([order("web-1", "web", "valid", "2026-09-14T11:59:00Z")]))[0].message, /its newest Order web-1 is valid\)/);
  assert.match(renewalProblems(input([order("web-2", "web", "pending", "2026-11-20T00:00:00Z")]))[0].message, /its newest Order web-2 is pending\)/);
  assert.deepEqual(renewalProblems(input([order("web-2", "web", "valid", "2026-11-20T00:00:00Z")])), []);
  // Another certificate's Order, or one in another namespace, is not this one's.
  const other = order("other-1", "other", "valid", "2026-11-20T00:00:00Z");
  assert.equal(renewalProblems(input([other])).length, 1);
});

test("outside the renewal window, and certificates of issuers that are not ACME, are not flagged", () => {
  assert.deepEqual(renewalProblems({ objects: objects(acmeIssuer, certificate("web", { name: "le", kind: "ClusterIssuer" })), orders: [], validity: new Map([["team/web-tls", FRESH]]), now: NOW }), []);
  assert.deepEqual(renewalProblems({ objects: objects(caIssuer, certificate("internal", { name: "ca" })), orders: [], validity: new Map([["team/internal-tls", DUE]]), now: NOW }), []);
  // The Issuer is looked up in the certificate's namespace: an ACME Issuer there counts.
  const nsIssuer: KubeObject = { ...acmeIssuer, kind: "Issuer", metadata: { name: "le", namespace: "team" } };
  assert.equal(renewalProblems({ objects: objects(nsIssuer, certificate("web", { name: "le" })), orders: [], validity: new Map([["team/web-tls", DUE]]), now: NOW }).length, 1);
});
