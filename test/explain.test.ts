// Issue 12, the seed's step 10: `npm run explain` shows why a Certificate is not Ready (conditions,
// issuer, Orders and Challenges as cert-manager 0.6.2 links them, Events), from the cluster itself.
import { after, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ExplainInput, KubeEvent, challengesOf, eventsFor, explainCertificate, ordersOf, renderExplanation, selectCertificates } from "../lib/explain";
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
