import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RestoreItem } from "../lib/plan";
import { decodeObject, eachLimited, encodeObject, encodeObjects, managedView, objectChanges, ownerReferencesToKeep, parseLabel, planBatches, replacementFor } from "../lib/restore-batch";
import { KubeObject, RestoreKind, objectLabel } from "../lib/types";

const API = "certmanager.k8s.io/v1alpha1";
function item(kind: RestoreKind, namespace: string, name: string, spec: Record<string, unknown> = {}): RestoreItem {
  return { kind, namespace, name, object: { apiVersion: API, kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec } };
}
const cert = (ns: string, name: string, issuer: { kind?: string; name: string }) => item("Certificate", ns, name, { secretName: `${name}-tls`, issuerRef: issuer });

describe("planBatches", () => {
  const items = [
    item("ClusterIssuer", "", "acme"),
    item("Issuer", "team-a", "ca"),
    item("Issuer", "team", "a-ca"),
    ...Array.from({ length: 5 }, (_, i) => cert("team-a", `web-${i}`, { name: "ca" })),
    cert("team", "a-web", { kind: "ClusterIssuer", name: "acme" }),
    cert("team", "orphan", { name: "not-in-backup" }),
  ];

  // Before issue 19 batches were packed by position (a namespace kept together, numbered in
  // order), so a different batch size or backup order moved objects between batches; this test
  // pinned those positions. Membership is now a hash of the object's label.
  test("batches of one kind, ceil(count / size) of them per kind, every object exactly once, the same every run", () => {
    const batches = planBatches(items, 2);
    assert.deepEqual(batches.map((b) => b.kind), ["ClusterIssuer", "Issuer", ...batches.filter((b) => b.kind === "Certificate").map(() => "Certificate")]);
    assert.ok(batches.filter((b) => b.kind === "Certificate").length <= 4, "7 Certificates, 2 a batch: at most 4 batches");
    for (const b of batches) {
      assert.ok(Object.keys(b.objects).length > 0, `${b.name} not empty`);
      assert.deepEqual(b.namespaces, [...new Set(Object.values(b.objects).map((o) => o.metadata?.namespace).filter((n): n is string => !!n))]);
    }
    const labels = batches.flatMap((b) => Object.keys(b.objects));
    assert.deepEqual(labels.sort(), items.map((i) => objectLabel(i)).sort());
    assert.deepEqual(planBatches(items, 2), batches, "the same every run");
    assert.equal(planBatches(items).length, 3, "default size: one batch per kind here");
  });

  test("an object's batch is keyed by the object: not by its position in the backup, nor by objects of other namespaces", () => {
    const holder = (list: RestoreItem[], size: number) => new Map(planBatches(list, size).flatMap((b) => Object.keys(b.objects).map((l) => [l, b.name] as const)));
    const before = holder(items, 2);
    const reversed = holder([...items.slice(0, 3), ...items.slice(3).reverse()], 2);
    assert.deepEqual([...reversed].sort(), [...before].sort(), "the backup's order does not move an object");
    const many = Array.from({ length: 40 }, (_, i) => cert(`ns-${i % 5}`, `c-${i}`, { name: "ca" }));
    const base = holder(many, 10);
    // One Certificate fewer in ns-0 and one more in ns-9: 40 either way, so 4 batches.
    const changed = holder([...many.slice(1), cert("ns-9", "new", { name: "ca" })], 10);
    for (const [label, name] of base) if (label !== "Certificate/ns-0/c-0") assert.equal(changed.get(label), name, `${label} stays in ${name}`);
  });

  test("no Certificate batch before the batches of its issuers; issuers before certificates; an issuer missing from the backup is not waited for", () => {
    const batches = planBatches(items, 2);
    const position = new Map(batches.map((b, i) => [b.name, i]));
    const holder = new Map(batches.flatMap((b) => Object.keys(b.objects).map((l) => [l, b.name] as const)));
    for (const b of batches) for (const dep of b.after) assert.ok(position.get(dep)! < position.get(b.name)!, `${dep} before ${b.name}`);
    for (const i of items.filter((x) => x.kind === "Certificate")) {
      const ref = i.object.spec!.issuerRef as { kind?: string; name: string };
      const issuer = ref.kind === "ClusterIssuer" ? `ClusterIssuer/${ref.name}` : `Issuer/${i.namespace}/${ref.name}`;
      const batch = batches.find((b) => b.name === holder.get(objectLabel(i)))!;
      if (holder.has(issuer)) assert.ok(batch.after.includes(holder.get(issuer)!), `${objectLabel(i)} waits for ${issuer}`);
    }
    const alone = planBatches([items[0], cert("team", "orphan", { name: "not-in-backup" }), cert("team", "a-web", { kind: "ClusterIssuer", name: "acme" })], 250);
    assert.deepEqual(alone.find((b) => b.kind === "Certificate")!.after, ["clusterissuers/1"], "team/a-web's issuer; team/orphan's is not in the backup");
    assert.deepEqual(batches.find((b) => b.kind === "Issuer")!.after, []);
  });

  test("a size that is not a positive whole number is refused", () => {
    assert.throws(() => planBatches(items, 0), /positive whole number/);
  });
});

describe("objectChanges", () => {
  const a = item("Certificate", "n", "a").object;
  const b = item("Certificate", "n", "b").object;
  test("add, update, remove, by label; key order does not matter", () => {
    const b2: KubeObject = { ...b, spec: { secretName: "other" } };
    const reordered: KubeObject = { spec: a.spec, metadata: { namespace: "n", name: "a" }, kind: a.kind, apiVersion: a.apiVersion };
    const changes = objectChanges({ "Certificate/n/a": a, "Certificate/n/b": b, "Certificate/n/gone": a }, { "Certificate/n/a": reordered, "Certificate/n/b": b2, "Certificate/n/new": a });
    assert.deepEqual([...changes], [["Certificate/n/b", "update"], ["Certificate/n/new", "add"], ["Certificate/n/gone", "remove"]]);
    assert.equal(objectChanges(undefined, { x: a }).get("x"), "add");
  });
});

describe("encodeObject: a batch's objects as JSON text", () => {
  const a = cert("n", "a", { kind: "ClusterIssuer", name: "acme" }).object;
  const reordered: KubeObject = { spec: { issuerRef: { name: "acme", kind: "ClusterIssuer" }, secretName: "a-tls" }, metadata: { namespace: "n", name: "a" }, kind: a.kind, apiVersion: a.apiVersion };

  test("the same object gives the same text whatever its key order; an undefined field is left out; it decodes to the object", () => {
    assert.equal(encodeObject(reordered), encodeObject(a));
    assert.equal(encodeObject({ ...a, extra: undefined } as KubeObject), encodeObject(a));
    assert.deepEqual(decodeObject(encodeObject(a)), a);
    assert.equal(typeof encodeObjects({ l: a }).l, "string");
  });

  test("a differing value gives a differing text, array order counts", () => {
    assert.notEqual(encodeObject({ ...a, spec: { ...a.spec, secretName: "b-tls" } }), encodeObject(a));
    assert.notEqual(encodeObject({ ...a, spec: { dnsNames: ["x", "y"] } }), encodeObject({ ...a, spec: { dnsNames: ["y", "x"] } }));
  });

  test("objectChanges reads text and objects alike: state written as objects by an earlier version needs no update", () => {
    assert.equal(objectChanges({ l: a }, { l: encodeObject(reordered) }).size, 0);
    assert.equal(objectChanges({ l: encodeObject(a) }, { l: encodeObject(a) }).size, 0);
    assert.equal(objectChanges({ l: a }, { l: encodeObject({ ...a, spec: { secretName: "other" } }) }).get("l"), "update");
    assert.equal(objectChanges({ l: encodeObject(managedView(a, a)) }, { l: encodeObject(a) }).size, 0);
  });
});

describe("managedView and replacementFor", () => {
  const wanted: KubeObject = { apiVersion: API, kind: "Certificate", metadata: { name: "x", namespace: "n", labels: { app: "web" }, annotations: { team: "a" }, ownerReferences: [{ kind: "Ingress", name: "i", uid: "u1" }] },
    spec: { secretName: "x-tls", dnsNames: ["x.example.com"] } };
  const live: KubeObject = { ...structuredClone(wanted), metadata: { ...structuredClone(wanted.metadata!), uid: "live-uid", resourceVersion: "7", labels: { app: "web", other: "kept" }, annotations: { team: "a", "cert-manager.io/x": "y" } },
    status: { conditions: [{ type: "Ready", status: "True" }] } };

  test("an unchanged object reads as what was applied: other managers' keys, status and server fields left out", () => {
    assert.deepEqual(objectChanges({ l: wanted }, { l: managedView(live, wanted) }).size, 0);
  });

  test("an edited spec, a removed label or an owner dropped show as drift", () => {
    const edited = structuredClone(live);
    (edited.spec as { dnsNames: string[] }).dnsNames = ["evil.example.com"];
    assert.deepEqual(managedView(edited, wanted).spec, { secretName: "x-tls", dnsNames: ["evil.example.com"] });
    assert.equal(objectChanges({ l: managedView(edited, wanted) }, { l: wanted }).get("l"), "update");
    const unlabelled = structuredClone(live);
    delete unlabelled.metadata!.labels!.app;
    assert.equal(objectChanges({ l: managedView(unlabelled, wanted) }, { l: wanted }).get("l"), "update");
    const orphaned = structuredClone(live);
    delete orphaned.metadata!.ownerReferences;
    assert.equal(objectChanges({ l: managedView(orphaned, wanted) }, { l: wanted }).get("l"), "update");
  });

  test("a client-side replacement keeps the live object's resourceVersion, status and other keys, and writes the backup's values", () => {
    const edited = structuredClone(live);
    edited.spec = { secretName: "x-tls", dnsNames: ["evil.example.com"], extra: true };
    const out = replacementFor(edited, wanted);
    assert.equal(out.metadata!.resourceVersion, "7");
    assert.deepEqual(out.status, live.status);
    assert.deepEqual(out.spec, wanted.spec);
    assert.deepEqual(out.metadata!.labels, { app: "web", other: "kept" });
  });

  test("a client-side replacement keeps the live object's ownerReferences: an owner re-created since (new uid) stays its owner", () => {
    const adopted = structuredClone(live);
    adopted.metadata!.ownerReferences = [{ kind: "Ingress", name: "i", uid: "u2-recreated" }];
    assert.deepEqual(replacementFor(adopted, wanted).metadata!.ownerReferences, [{ kind: "Ingress", name: "i", uid: "u2-recreated" }]);
    const ownerless = structuredClone(live);
    delete ownerless.metadata!.ownerReferences;
    assert.equal(replacementFor(ownerless, wanted).metadata!.ownerReferences, undefined);
  });

  test("ownerReferences to write: only those whose owner exists with that uid; the others named with the reason", () => {
    const refs = [{ kind: "Ingress", name: "same", uid: "u1" }, { kind: "Ingress", name: "recreated", uid: "u2" }, { kind: "Ingress", name: "gone", uid: "u3" }];
    const { kept, leftOut } = ownerReferencesToKeep(refs, [{ found: true, uid: "u1" }, { found: true, uid: "u9" }, { found: false, reason: "absent" }]);
    assert.deepEqual(kept, [refs[0]]);
    assert.deepEqual(leftOut, ["Ingress/recreated (uid u2): re-created since, uid now u9", "Ingress/gone (uid u3): absent"]);
  });

  test("labels parse back, cluster-scoped ones included", () => {
    assert.deepEqual(parseLabel("ClusterIssuer/acme"), { kind: "ClusterIssuer", namespace: "", name: "acme" });
    assert.deepEqual(parseLabel("Certificate/team-a/web"), { kind: "Certificate", namespace: "team-a", name: "web" });
  });
});

describe("eachLimited", () => {
  test("never more than the limit at once; every item done; failures collected, the others finished", async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    const failures = await eachLimited(Array.from({ length: 40 }, (_, i) => i), 6, async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      if (i % 10 === 3) throw new Error(`no ${i}`);
      done.push(i);
    });
    assert.equal(peak, 6);
    assert.equal(done.length, 36);
    assert.deepEqual(failures.map((f) => f.item), [3, 13, 23, 33]);
  });
});
