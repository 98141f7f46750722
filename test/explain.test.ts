// Issue 12, the seed's step 10: `npm run explain` shows why a Certificate is not Ready (conditions,
// issuer, Orders and Challenges as cert-manager 0.6.2 links them, Events), from the cluster itself.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EXPLAIN_APIS, ExplainInput, KubeEvent, apiOfTarget, challengesOf, chooseExplainApi, eventsFor, explainCertificate, ordersOf, ordersOfRequest, renderExplanation, requestsOf, selectCertificates } from "../lib/explain";
import { KubeObject } from "../lib/types";
import { FakeKubeApi, PLURALS_0_6 } from "./support/fake-kube-api";
import { cm, readyStatus } from "./support/fixtures";
import { runScript } from "./support/run-command";

const ivan = cm("Certificate", "ivan-test-cert", "test", { secretName: "ivan-test-cert", dnsNames: ["ivan-test.example.com"], issuerRef: { kind: "ClusterIssuer", name: "letsencrypt-prod" } }, {
  metadata: { name: "ivan-test-cert", namespace: "test", uid: "cert-uid" },
  status: readyStatus("False", "Failed", "Failed to create Order: order errored"),
});
const wonder = cm("Certificate", "wonder-app-cert", "default", { secretName: "wonder-app-cert", dnsNames: ["wonder-app.example.com"], issuerRef: { kind: "ClusterIssuer", name: "letsencrypt-prod" } }, { status: readyStatus("True", "Ready", "Certificate is up to date and has not expired") });
const prod = cm("ClusterIssuer", "letsencrypt-prod", undefined, { acme: {} }, { status: readyStatus("True", "ACMEAccountRegistered", "The ACME account was registered with the ACME server") });

/** An Order as 0.6.2 makes it: owned by the Certificate (controller reference) and labelled with its name. */
const order = cm("Order", "ivan-test-cert-3459216430", "test", { dnsNames: ["ivan-test.example.com"] }, {
  metadata: { name: "ivan-test-cert-3459216430", namespace: "test", uid: "order-uid", labels: { "acme.cert-manager.io/certificate-name": "ivan-test-cert" }, ownerReferences: [{ apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Certificate", name: "ivan-test-cert", uid: "cert-uid", controller: true }] },
  status: { state: "errored", reason: "Failed to retrieve authorization: 405 Method Not Allowed" },
});
/** An Order found only by its label (no owner reference), and one of another Certificate. */
const labelled = cm("Order", "ivan-test-cert-1", "test", {}, { metadata: { name: "ivan-test-cert-1", namespace: "test", labels: { "acme.cert-manager.io/certificate-name": "ivan-test-cert" } }, status: { state: "pending" } });
const others = cm("Order", "other-1", "test", {}, { metadata: { name: "other-1", namespace: "test", labels: { "acme.cert-manager.io/certificate-name": "other" }, ownerReferences: [{ kind: "Certificate", name: "other" }] } });
const challenge = cm("Challenge", "ivan-test-cert-3459216430-0", "test", { type: "dns-01", dnsName: "ivan-test.example.com", key: "KEY-AUTHORIZATION-NOT-PRINTED" }, {
  metadata: { name: "ivan-test-cert-3459216430-0", namespace: "test", labels: { "acme.cert-manager.io/order-name": "ivan-test-cert-3459216430" }, ownerReferences: [{ kind: "Order", name: "ivan-test-cert-3459216430", uid: "order-uid", controller: true }] },
  status: { state: "pending", reason: "no DNS01 provider configured", presented: false, processing: true },
});

function event(kind: string, namespace: string, name: string, reason: string, message: string, last: string, type = "Warning", count = 1): KubeEvent {
  return { metadata: { namespace: namespace || "default", name: `${name}.${reason}` }, involvedObject: { kind, namespace, name }, type, reason, message, count, lastTimestamp: last };
}

const events: KubeEvent[] = [
  event("Certificate", "test", "ivan-test-cert", "IssueCert", "Issuing certificate...", "2026-01-01T00:00:02Z", "Normal"),
  event("Certificate", "test", "ivan-test-cert", "CreateOrder", "Created new ACME order, attempting validation...", "2026-01-01T00:00:01Z", "Normal"),
  event("Order", "test", "ivan-test-cert-3459216430", "Failed", "Order errored", "2026-01-01T00:00:03Z", "Warning", 3),
  event("Challenge", "test", "ivan-test-cert-3459216430-0", "PresentError", "Error presenting challenge: no provider clouddns", "2026-01-01T00:00:04Z"),
  event("ClusterIssuer", "", "letsencrypt-prod", "ACMEAccountRegistered", "The ACME account was registered", "2026-01-01T00:00:00Z", "Normal"),
  // Same name, other namespace or kind: not about ivan-test-cert.
  event("Certificate", "default", "ivan-test-cert", "Other", "another namespace", "2026-01-01T00:00:05Z"),
  event("Order", "test", "ivan-test-cert", "Other", "another kind", "2026-01-01T00:00:05Z"),
];

const input: ExplainInput = { certificates: [ivan, wonder], issuers: [], clusterIssuers: [prod], orders: [others, labelled, order], challenges: [challenge], events };

describe("explain (lib/explain.ts)", () => {
  test("orders by owner reference or label, in the Certificate's namespace; challenges of each order", () => {
    assert.deepEqual(ordersOf(ivan, input.orders).map((o) => o.metadata?.name).sort(), ["ivan-test-cert-1", "ivan-test-cert-3459216430"]);
    const elsewhere: KubeObject = { ...ivan, metadata: { ...ivan.metadata, namespace: "default" } };
    assert.deepEqual(ordersOf(elsewhere, input.orders), []);
    assert.deepEqual(challengesOf(order, input.challenges).map((c) => c.metadata?.name), ["ivan-test-cert-3459216430-0"]);
    assert.deepEqual(challengesOf(labelled, input.challenges), []);
  });

  test("events: kind, name and namespace must all match (a ClusterIssuer's by kind and name), oldest first", () => {
    assert.deepEqual(eventsFor(events, "Certificate", "test", "ivan-test-cert").map((e) => e.reason), ["CreateOrder", "IssueCert"]);
    assert.deepEqual(eventsFor(events, "ClusterIssuer", "", "letsencrypt-prod").map((e) => e.reason), ["ACMEAccountRegistered"]);
  });

  test("the explanation and its text: conditions, issuer, order state and reason, challenge state, events", () => {
    const e = explainCertificate(ivan, input);
    assert.equal(e.ready, "False (Failed: Failed to create Order: order errored)");
    assert.equal(e.issuer.label, "ClusterIssuer/letsencrypt-prod");
    assert.equal(e.issuer.ready, "True (ACMEAccountRegistered: The ACME account was registered with the ACME server)");
    const o = e.orders.find((x) => x.name === "ivan-test-cert-3459216430")!;
    assert.equal(o.state, "errored");
    assert.deepEqual(o.challenges.map((c) => [c.type, c.dnsName, c.state, c.presented, c.processing, c.reason]), [["dns-01", "ivan-test.example.com", "pending", false, true, "no DNS01 provider configured"]]);
    const text = renderExplanation(e);
    assert.match(text, /^Certificate test\/ivan-test-cert: Ready False \(Failed: Failed to create Order: order errored\)$/m);
    assert.match(text, /^ {2}issuer ClusterIssuer\/letsencrypt-prod: Ready True/m);
    assert.match(text, /^ {2}order ivan-test-cert-3459216430: state errored \(Failed to retrieve authorization: 405 Method Not Allowed\)$/m);
    assert.match(text, /^ {4}challenge ivan-test-cert-3459216430-0: dns-01 for ivan-test\.example\.com, state pending, presented false, processing true: no DNS01 provider configured$/m);
    assert.match(text, /2026-01-01T00:00:03Z Warning Failed \(x3\): Order errored/);
    assert.match(text, /Warning PresentError: Error presenting challenge: no provider clouddns/);
    assert.doesNotMatch(text, /another namespace|another kind/);
    assert.doesNotMatch(text, /KEY-AUTHORIZATION-NOT-PRINTED/);
  });

  test("an issuer that is not there, and no order yet", () => {
    const orphan = cm("Certificate", "orphan", "apps", { secretName: "x", issuerRef: { name: "gone" } }, { status: readyStatus("False", "NotFound", "Certificate does not exist") });
    const text = renderExplanation(explainCertificate(orphan, input));
    assert.match(text, /issuer Issuer\/apps\/gone: not found/);
    assert.match(text, /orders: none/);
  });

  test("selection: the named one, else every one not Ready (in a namespace when given)", () => {
    assert.deepEqual(selectCertificates([ivan, wonder], {}).selected.map((c) => c.metadata?.name), ["ivan-test-cert"]);
    assert.deepEqual(selectCertificates([ivan, wonder], { namespace: "default" }).selected, []);
    assert.deepEqual(selectCertificates([ivan, wonder], { certificate: "default/wonder-app-cert" }).selected.map((c) => c.metadata?.name), ["wonder-app-cert"]);
    assert.match(selectCertificates([ivan, wonder], { certificate: "test/nope" }).error!, /Certificate test\/nope does not exist/);
  });
});

describe("npm run explain against the API stand-in", () => {
  const servers: FakeKubeApi[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-explain-"));
  after(async () => {
    for (const s of servers) await s.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  async function cluster(): Promise<string> {
    const api = new FakeKubeApi();
    await api.start();
    servers.push(api);
    api.served = new Set(PLURALS_0_6);
    for (const o of [ivan, wonder, prod, order, labelled, others, challenge]) api.addObject(o);
    const byNamespace = new Map<string, KubeEvent[]>();
    for (const e of events) byNamespace.set(e.metadata!.namespace!, [...(byNamespace.get(e.metadata!.namespace!) ?? []), e]);
    for (const ns of ["default", "test"]) api.lists.set(`/api/v1/namespaces/${ns}/events`, { apiVersion: "v1", kind: "EventList", items: (byNamespace.get(ns) ?? []) as never });
    return api.writeKubeconfig(path.join(fs.mkdtempSync(path.join(tmp, "k-")), "kubeconfig"), "upgraded");
  }

  test("every Certificate not Ready, or the one named; exit codes 0, 1, 2", async () => {
    const kubeconfig = await cluster();
    const all = await runScript("explain", ["--kubeconfig", kubeconfig]);
    assert.equal(all.code, 0, all.output);
    assert.match(all.stdout, /^Certificate test\/ivan-test-cert: Ready False/m);
    assert.doesNotMatch(all.stdout, /^Certificate default\/wonder-app-cert/m);
    assert.match(all.stdout, /order ivan-test-cert-3459216430: state errored/);
    assert.match(all.stdout, /challenge ivan-test-cert-3459216430-0: dns-01 for ivan-test\.example\.com, state pending/);
    assert.match(all.stdout, /ACMEAccountRegistered: The ACME account was registered/); // the ClusterIssuer's event, from "default"

    const named = await runScript("explain", ["--kubeconfig", kubeconfig, "--certificate", "default/wonder-app-cert"]);
    assert.equal(named.code, 0, named.output);
    assert.match(named.stdout, /^Certificate default\/wonder-app-cert: Ready True/m);

    const ready = await runScript("explain", ["--kubeconfig", kubeconfig, "--namespace", "default"]);
    assert.equal(ready.code, 0, ready.output);
    assert.match(ready.stdout, /^explain: every Certificate in default is Ready \(2 checked\)$/m);

    const missing = await runScript("explain", ["--kubeconfig", kubeconfig, "--certificate", "test/nope"]);
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.stderr, /^explain: Certificate test\/nope does not exist in the cluster/);
    assert.equal(missing.stderr.trim().split("\n").length, 1);

    const usage = await runScript("explain", ["--certificate", "no-slash"]);
    assert.equal(usage.code, 2, usage.output);
    assert.match(usage.stderr, /^explain: --certificate "no-slash" must be NAMESPACE\/NAME/);
    const help = await runScript("explain", ["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: npm run explain/);
  });
});

// cert-manager v1.1.1 (cert-manager.io/v1): Certificate → CertificateRequests (owned by it, annotated
// with its name and revision) → Orders (acme.cert-manager.io/v1, owned by the CertificateRequest,
// with its annotations) → Challenges (owned by the Order, no label).
function v1(kind: string, name: string, namespace: string | undefined, spec: Record<string, unknown>, extra: Partial<KubeObject> = {}): KubeObject {
  const group = kind === "Order" || kind === "Challenge" ? "acme.cert-manager.io/v1" : "cert-manager.io/v1";
  return { apiVersion: group, kind, spec, ...extra, metadata: { name, ...(namespace ? { namespace } : {}), ...extra.metadata } };
}
const v1Cert = v1("Certificate", "web", "apps", { secretName: "web-tls", dnsNames: ["web.example.com"], issuerRef: { kind: "ClusterIssuer", name: "le", group: "cert-manager.io" } }, {
  metadata: { name: "web", namespace: "apps", uid: "web-uid" },
  status: { conditions: [
    { type: "Ready", status: "False", reason: "Expired", message: "Certificate expired on Sun, 31 Dec 2025 00:00:00 UTC" },
    { type: "Issuing", status: "True", reason: "Renewing", message: "Renewing certificate as renewal was scheduled at 2025-12-01 00:00:00 +0000 UTC" },
  ] },
});
const v1Issuer = v1("ClusterIssuer", "le", undefined, { acme: {} }, { status: readyStatus("True", "ACMEAccountRegistered", "The ACME account was registered with the ACME server") });
const owner = (kind: string, name: string, uid: string, apiVersion = "cert-manager.io/v1") => [{ apiVersion, kind, name, uid, controller: true, blockOwnerDeletion: true }];
const certAnnotations = (revision: string) => ({ "cert-manager.io/certificate-name": "web", "cert-manager.io/certificate-revision": revision, "cert-manager.io/private-key-secret-name": "web-x7k2p" });
const oldRequest = v1("CertificateRequest", "web-abcde", "apps", { issuerRef: { kind: "ClusterIssuer", name: "le" }, request: "CSR-NOT-PRINTED" }, {
  metadata: { name: "web-abcde", namespace: "apps", uid: "cr1-uid", creationTimestamp: "2026-01-01T00:00:00Z", annotations: certAnnotations("1"), ownerReferences: owner("Certificate", "web", "web-uid") },
  status: { conditions: [{ type: "Ready", status: "True", reason: "Issued", message: "Certificate fetched from issuer successfully" }] },
});
const request = v1("CertificateRequest", "web-fghij", "apps", { issuerRef: { kind: "ClusterIssuer", name: "le" }, request: "CSR-NOT-PRINTED" }, {
  metadata: { name: "web-fghij", namespace: "apps", uid: "cr2-uid", creationTimestamp: "2026-01-02T00:00:00Z", annotations: certAnnotations("2"), ownerReferences: owner("Certificate", "web", "web-uid") },
  status: { conditions: [{ type: "Ready", status: "False", reason: "Pending", message: "Waiting on certificate issuance from order apps/web-fghij-1736530124: \"pending\"" }] },
});
/** A CertificateRequest of another Certificate, and one of a Certificate of the same name elsewhere. */
const otherRequest = v1("CertificateRequest", "db-aaaaa", "apps", {}, { metadata: { name: "db-aaaaa", namespace: "apps", annotations: { "cert-manager.io/certificate-name": "db" }, ownerReferences: owner("Certificate", "db", "db-uid") } });
const elsewhereRequest = v1("CertificateRequest", "web-zzzzz", "other", {}, { metadata: { name: "web-zzzzz", namespace: "other", annotations: { "cert-manager.io/certificate-name": "web" } } });
const v1Order = v1("Order", "web-fghij-1736530124", "apps", { dnsNames: ["web.example.com"], request: "CSR-NOT-PRINTED" }, {
  metadata: { name: "web-fghij-1736530124", namespace: "apps", uid: "order2-uid", annotations: certAnnotations("2"), ownerReferences: owner("CertificateRequest", "web-fghij", "cr2-uid") },
  status: { state: "pending", url: "https://acme.example/order/1" },
});
/** The first request's Order: the certificate's name among its annotations, owned by that request. */
const firstOrder = v1("Order", "web-abcde-111", "apps", {}, { metadata: { name: "web-abcde-111", namespace: "apps", annotations: certAnnotations("1"), ownerReferences: owner("CertificateRequest", "web-abcde", "cr1-uid") }, status: { state: "valid" } });
/** An Order whose CertificateRequest is gone. */
const strayOrder = v1("Order", "web-gone-222", "apps", {}, { metadata: { name: "web-gone-222", namespace: "apps", annotations: certAnnotations("0"), ownerReferences: owner("CertificateRequest", "web-gone", "gone-uid") }, status: { state: "errored", reason: "order expired" } });
const v1Challenge = v1("Challenge", "web-fghij-1736530124-2915129542", "apps", { type: "HTTP-01", dnsName: "web.example.com", token: "TOKEN-NOT-PRINTED", key: "KEY-NOT-PRINTED" }, {
  metadata: { name: "web-fghij-1736530124-2915129542", namespace: "apps", ownerReferences: owner("Order", "web-fghij-1736530124", "order2-uid", "acme.cert-manager.io/v1") },
  status: { state: "pending", reason: "Waiting for HTTP-01 challenge propagation: wrong status code '404', expected '200'", presented: true, processing: true },
});
const v1Events: KubeEvent[] = [
  event("Certificate", "apps", "web", "Issuing", "Renewing certificate as renewal was scheduled at 2025-12-01", "2026-01-02T00:00:00Z", "Normal"),
  event("CertificateRequest", "apps", "web-fghij", "OrderCreated", "Created Order resource apps/web-fghij-1736530124", "2026-01-02T00:00:01Z", "Normal"),
  event("Order", "apps", "web-fghij-1736530124", "Created", "Created Challenge resource \"web-fghij-1736530124-2915129542\" for domain \"web.example.com\"", "2026-01-02T00:00:02Z", "Normal"),
  event("Challenge", "apps", "web-fghij-1736530124-2915129542", "Presented", "Presented challenge using HTTP-01 challenge mechanism", "2026-01-02T00:00:03Z", "Normal"),
];
const v1Input: ExplainInput = {
  api: EXPLAIN_APIS["cert-manager.io/v1"],
  certificates: [v1Cert], issuers: [], clusterIssuers: [v1Issuer],
  certificateRequests: [request, otherRequest, elsewhereRequest, oldRequest],
  orders: [strayOrder, v1Order, firstOrder], challenges: [v1Challenge], events: v1Events,
};

describe("explain for cert-manager.io/v1 (cert-manager v1.1.1)", () => {
  test("CertificateRequests by owner reference or annotation, oldest revision first; Orders by their CertificateRequest owner", () => {
    assert.deepEqual(requestsOf(v1Cert, v1Input.certificateRequests!).map((r) => r.metadata?.name), ["web-abcde", "web-fghij"]);
    assert.deepEqual(ordersOfRequest(request, v1Input.orders).map((o) => o.metadata?.name), ["web-fghij-1736530124"]);
    assert.deepEqual(ordersOfRequest(oldRequest, v1Input.orders).map((o) => o.metadata?.name), ["web-abcde-111"]);
    // The 0.6 links find nothing in v1 objects: no Order is owned by the Certificate.
    assert.deepEqual(ordersOf(v1Cert, v1Input.orders), []);
  });

  test("the explanation: Ready, the requests' Ready, each request's Orders and Challenges, Orders whose request is gone, events", () => {
    const e = explainCertificate(v1Cert, v1Input);
    assert.equal(e.api, "cert-manager.io/v1");
    assert.equal(e.ready, "False (Expired: Certificate expired on Sun, 31 Dec 2025 00:00:00 UTC)");
    assert.deepEqual(e.requests.map((r) => [r.name, r.revision, r.ready, r.orders.map((o) => o.name)]), [
      ["web-abcde", "1", "True (Issued: Certificate fetched from issuer successfully)", ["web-abcde-111"]],
      ["web-fghij", "2", "False (Pending: Waiting on certificate issuance from order apps/web-fghij-1736530124: \"pending\")", ["web-fghij-1736530124"]],
    ]);
    assert.deepEqual(e.orders.map((o) => o.name), ["web-gone-222"]);
    const text = renderExplanation(e);
    assert.match(text, /^Certificate apps\/web: Ready False \(Expired: /m);
    assert.match(text, /^ {4}Issuing True Renewing: Renewing certificate/m);
    assert.match(text, /^ {2}issuer ClusterIssuer\/le: Ready True \(ACMEAccountRegistered/m);
    assert.match(text, /^ {2}certificate request web-fghij \(revision 2\): Ready False \(Pending: Waiting on certificate issuance/m);
    assert.match(text, /^ {4}order web-fghij-1736530124: state pending$/m);
    assert.match(text, /^ {6}challenge web-fghij-1736530124-2915129542: HTTP-01 for web\.example\.com, state pending, presented true, processing true: Waiting for HTTP-01 challenge propagation/m);
    assert.match(text, /^ {10}2026-01-02T00:00:03Z Normal Presented: Presented challenge using HTTP-01/m);
    assert.match(text, /^ {6}2026-01-02T00:00:01Z Normal OrderCreated: Created Order resource apps\/web-fghij-1736530124$/m);
    assert.match(text, /^ {2}orders whose certificate request is gone:\n {4}order web-gone-222: state errored \(order expired\)$/m);
    assert.doesNotMatch(text, /NOT-PRINTED|web-zzzzz|db-aaaaa/);
  });

  test("no CertificateRequest yet", () => {
    const e = explainCertificate(v1Cert, { ...v1Input, certificateRequests: [], orders: [] });
    assert.match(renderExplanation(e), /^ {2}certificate requests: none/m);
  });

  test("which API: the one served; both served: the one holding Certificates (v1 when both do); neither: an error line", () => {
    const api = (r: ReturnType<typeof chooseExplainApi>): string => ("error" in r ? `error: ${r.error}` : `${r.api.name}${r.note ? " (note)" : ""}`);
    assert.equal(api(chooseExplainApi({ "cert-manager.io/v1": 3, "certmanager.k8s.io/v1alpha1": "not served" })), "cert-manager.io/v1");
    assert.equal(api(chooseExplainApi({ "cert-manager.io/v1": "not served", "certmanager.k8s.io/v1alpha1": 0 })), "certmanager.k8s.io/v1alpha1");
    assert.equal(api(chooseExplainApi({ "cert-manager.io/v1": 0, "certmanager.k8s.io/v1alpha1": 4 })), "certmanager.k8s.io/v1alpha1 (note)");
    assert.equal(api(chooseExplainApi({ "cert-manager.io/v1": 2, "certmanager.k8s.io/v1alpha1": 4 })), "cert-manager.io/v1 (note)");
    assert.match(api(chooseExplainApi({ "cert-manager.io/v1": "not served", "certmanager.k8s.io/v1alpha1": "not served" })), /^error: the cluster serves neither/);
    assert.equal(apiOfTarget("v1.1.1")?.acmeGroup, "acme.cert-manager.io");
    assert.equal(apiOfTarget("v0.6.2")?.group, "certmanager.k8s.io");
    assert.equal(apiOfTarget("v2"), undefined);
  });
});

describe("npm run explain against a cert-manager.io/v1 API stand-in", () => {
  const servers: FakeKubeApi[] = [];
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-explain-v1-"));
  after(async () => {
    for (const s of servers) await s.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("detects cert-manager.io/v1 (no flag), or takes --target; a target the cluster does not serve is one line, exit 1", async () => {
    const api = new FakeKubeApi();
    await api.start();
    servers.push(api);
    api.served = new Set(); // no certmanager.k8s.io: the old CRDs are gone
    const list = (path: string, kind: string, items: KubeObject[]): void => void api.lists.set(path, { apiVersion: path.split("/").slice(2, 4).join("/"), kind, items: items as never });
    list("/apis/cert-manager.io/v1/certificates", "CertificateList", [v1Cert]);
    list("/apis/cert-manager.io/v1/issuers", "IssuerList", []);
    list("/apis/cert-manager.io/v1/clusterissuers", "ClusterIssuerList", [v1Issuer]);
    list("/apis/cert-manager.io/v1/certificaterequests", "CertificateRequestList", [request, oldRequest, otherRequest]);
    list("/apis/acme.cert-manager.io/v1/orders", "OrderList", [v1Order, firstOrder]);
    list("/apis/acme.cert-manager.io/v1/challenges", "ChallengeList", [v1Challenge]);
    api.lists.set("/api/v1/namespaces/apps/events", { apiVersion: "v1", kind: "EventList", items: v1Events as never });
    api.lists.set("/api/v1/namespaces/default/events", { apiVersion: "v1", kind: "EventList", items: [] });
    const kubeconfig = api.writeKubeconfig(path.join(tmp, "kubeconfig"), "upgraded");
    const [detected, targeted, old, bad] = await Promise.all([
      runScript("explain", ["--kubeconfig", kubeconfig]),
      runScript("explain", ["--kubeconfig", kubeconfig, "--certificate", "apps/web", "--target", "v1.1.1"]),
      runScript("explain", ["--kubeconfig", kubeconfig, "--target", "v0.6.2"]),
      runScript("explain", ["--kubeconfig", kubeconfig, "--target", "1.1"]),
    ]);
    for (const r of [detected, targeted]) {
      assert.equal(r.code, 0, r.output);
      assert.match(r.stdout, /^explain: 1 Certificate as cert-manager\.io\/v1 \(cert-manager v1\)$/m);
      assert.match(r.stdout, /^ {2}certificate request web-fghij \(revision 2\): Ready False \(Pending/m);
      assert.match(r.stdout, /^ {6}challenge web-fghij-1736530124-2915129542: HTTP-01 for web\.example\.com, state pending/m);
      assert.match(r.stdout, /Normal OrderCreated: Created Order resource/);
      assert.doesNotMatch(r.stdout, /NOT-PRINTED/);
    }
    assert.equal(old.code, 1, old.output);
    assert.match(old.stderr, /^explain: the cluster does not serve certificates\.certmanager\.k8s\.io \(certmanager\.k8s\.io\/v1alpha1, what cert-manager v0\.6\.2 reads\)/);
    assert.equal(old.stderr.trim().split("\n").length, 1, old.stderr);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--target "1\.1" is not a target: use v0\.6\.2 or v1\.1\.1/);
  });
});
