import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { parseBackup, sha256Hex } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { META_PREFIX } from "../lib/types";
import { TEST_CLUSTER, certificate, cm, docs, ownBackup, seedBytes, seedObjects } from "./support/fixtures";

const refs = (objects: Array<{ kind: string; namespace: string; name: string }>) => objects.map((o) => `${o.kind}/${o.namespace}/${o.name}`);

describe("parseBackup: accepted forms", () => {
  test("kubectl get -o yaml output (kind: List) of the seed", () => {
    const parsed = parseBackup(seedBytes(), "seed.yaml");
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.ignored, []);
    assert.equal(parsed.meta, undefined);
    assert.deepEqual(refs(parsed.objects), [
      "ClusterIssuer//letsencrypt-prod",
      "ClusterIssuer//letsencrypt-staging",
      "Certificate/default/wonder-app-cert",
      "Certificate/test/ivan-test-cert",
    ]);
    // The object itself is kept whole (status included) for verify to compare against.
    const ivan = parsed.objects[3].object;
    assert.equal((ivan.status?.conditions as Array<{ reason: string }>)[0].reason, "InvalidConfig");
    assert.equal(ivan.metadata?.ownerReferences?.[0].name, "test-ingress");
  });

  test("multi-document YAML with a leading comment and --- separators; lines are recorded", () => {
    const text = [
      "# exported by hand", // 1
      "---", // 2
      "apiVersion: certmanager.k8s.io/v1alpha1", // 3
      "kind: ClusterIssuer",
      "metadata:",
      "  name: letsencrypt-prod",
      "spec: {acme: {server: 'https://acme-v02.api.letsencrypt.org/directory'}}",
      "---", // 8
      "apiVersion: certmanager.k8s.io/v1alpha1", // 9
      "kind: Issuer",
      "metadata:",
      "  name: ca-issuer",
      "  namespace: apps",
      "spec: {ca: {secretName: ca-key-pair}}",
      "--- # the certificate", // 15
      "apiVersion: certmanager.k8s.io/v1alpha1", // 16
      "kind: Certificate",
      "metadata: {name: web, namespace: apps}",
      "spec: {secretName: web-tls, issuerRef: {name: ca-issuer}}",
      "...",
      "",
    ].join("\n");
    const parsed = parseBackup(text, "multi.yaml");
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(refs(parsed.objects), ["ClusterIssuer//letsencrypt-prod", "Issuer/apps/ca-issuer", "Certificate/apps/web"]);
    // A marker line carrying a comment is where its document starts.
    assert.deepEqual(parsed.objects.map((o) => o.line), [3, 9, 15]);
  });

  test("Orders and Challenges are recorded but never restored", () => {
    const text = docs(
      cm("ClusterIssuer", "letsencrypt-prod", undefined, { acme: { server: "https://acme-v02.api.letsencrypt.org/directory" } }),
      cm("Order", "ivan-test-cert-4093320200", "test", { csr: "AAAA" }, { status: { state: "pending" } }),
      certificate("test", "ivan-test-cert", { kind: "ClusterIssuer", name: "letsencrypt-prod" }),
      cm("Challenge", "ivan-test-cert-4093320200-0", "test", { type: "dns-01" }),
    );
    const parsed = parseBackup(text, "mixed.yaml");
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.objects.map((o) => o.kind), ["ClusterIssuer", "Order", "Certificate", "Challenge"]);
    const plan = buildRestorePlan(parsed);
    assert.equal(plan.valid, true);
    assert.deepEqual(plan.restore.map((r) => r.kind), ["ClusterIssuer", "Certificate"]);
    assert.ok(!plan.restore.some((r) => r.kind === ("Order" as string) || r.kind === ("Challenge" as string)));
    assert.equal(plan.recordedOnly, 2);
  });

  test("this project's own format: objects and the meta line are read back", () => {
    const objects = seedObjects();
    const { text, meta } = ownBackup(objects, {
      secrets: [{ namespace: "kube-system", name: "cert-manager-setup-production-private-key", exists: true, keys: ["tls.key"] }],
      missingTlsSecrets: ["test/ivan-test-cert"],
      recorded: [{ kind: "Order", namespace: "test", name: "ivan-test-cert-4093320200" }],
    });
    // The writer hashes every byte before the meta line.
    const metaAt = text.indexOf(META_PREFIX);
    assert.equal(meta.sha256, sha256Hex(text.slice(0, metaAt)));

    const parsed = parseBackup(Buffer.from(text), "own.yaml");
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.warnings, []);
    assert.deepEqual(parsed.meta, meta);
    assert.equal(parsed.meta?.cluster.kubeSystemUID, TEST_CLUSTER.kubeSystemUID);
    assert.deepEqual(parsed.meta?.counts, { ClusterIssuer: 2, Issuer: 0, Certificate: 2, Order: 0, Challenge: 0 });
    assert.deepEqual(refs(parsed.objects), refs(parseBackup(seedBytes()).objects));
    assert.deepEqual(parsed.objects.map((o) => o.object), objects);
    // Recorded orders from the meta count as record-only in the plan.
    assert.equal(buildRestorePlan(parsed).recordedOnly, 1);
  });
});

describe("parseBackup: errors", () => {
  test("an empty file is not a valid backup", () => {
    for (const text of ["", "\n\n", "# just a comment\n", "---\n---\n"]) {
      const parsed = parseBackup(text, "empty.yaml");
      assert.deepEqual(parsed.objects, []);
      const plan = buildRestorePlan(parsed);
      assert.equal(plan.valid, false, JSON.stringify(text));
      assert.equal(plan.errors.length, 1);
      assert.match(plan.errors[0].message, /nothing to restore/);
    }
  });

  test("a file holding only a Namespace is not a valid backup", () => {
    const parsed = parseBackup("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cert-manager\n", "ns.yaml");
    assert.deepEqual(parsed.objects, []);
    assert.deepEqual(parsed.ignored, [{ kind: "Namespace", namespace: "", name: "cert-manager" }]);
    const plan = buildRestorePlan(parsed);
    assert.equal(plan.valid, false);
    assert.match(plan.errors[0].message, /no Issuer, ClusterIssuer or Certificate/);
    assert.deepEqual(plan.warnings, [{ object: "Namespace/cert-manager", message: "not a cert-manager object: never restored" }]);
  });

  test("unparseable YAML in the 3rd document names file:line of the bad line", () => {
    const text = [
      "# comment", // 1
      "---", // 2
      "apiVersion: certmanager.k8s.io/v1alpha1", // 3
      "kind: ClusterIssuer",
      "metadata: {name: a}",
      "---", // 6
      "apiVersion: certmanager.k8s.io/v1alpha1", // 7
      "kind: ClusterIssuer",
      "metadata: {name: b}",
      "---", // 10
      "apiVersion: certmanager.k8s.io/v1alpha1", // 11
      "kind: Certificate", // 12
      "metadata:", // 13
      "  name: c", // 14
      "  namespace: default", // 15
      "    bad: indentation", // 16 <- the error
      "spec: {}", // 17
      "",
    ].join("\n");
    const parsed = parseBackup(text, "broken.yaml");
    assert.equal(parsed.errors.length, 1, JSON.stringify(parsed.errors));
    assert.equal(parsed.errors[0].object, "broken.yaml:16");
    assert.match(parsed.errors[0].message, /line 16/);
    // The documents around it are still read, but the plan is invalid.
    assert.deepEqual(refs(parsed.objects), ["ClusterIssuer//a", "ClusterIssuer//b"]);
    assert.equal(buildRestorePlan(parsed).valid, false);
  });

  test("an unterminated flow mapping is reported in its own document, not elsewhere", () => {
    const text = "apiVersion: v1\nkind: List\nitems: []\n---\nkind: Certificate\nmetadata: {name: x\n";
    const parsed = parseBackup(text, "f.yaml");
    assert.equal(parsed.errors.length, 1);
    assert.match(parsed.errors[0].object, /^f\.yaml:(5|6|7)$/);
  });

  test("duplicate objects (same kind, namespace and name)", () => {
    const a = certificate("default", "web", { name: "ca" });
    const text = docs(cm("Issuer", "ca", "default", { ca: { secretName: "ca" } }), a, certificate("other", "web", { name: "ca" }), a);
    const parsed = parseBackup(text, "dup.yaml");
    assert.equal(parsed.errors.length, 1);
    assert.equal(parsed.errors[0].object, "Certificate/default/web");
    assert.match(parsed.errors[0].message, /duplicate/);
    assert.equal(buildRestorePlan(parsed).valid, false);
  });

  test("the same name in different namespaces or kinds is not a duplicate", () => {
    const text = docs(
      cm("Issuer", "web", "default", { selfSigned: {} }),
      cm("ClusterIssuer", "web", undefined, { selfSigned: {} }),
      certificate("default", "web", { name: "web" }),
      certificate("other", "web", { kind: "ClusterIssuer", name: "web" }),
    );
    assert.deepEqual(parseBackup(text).errors, []);
  });

  test("an unknown certmanager.k8s.io kind", () => {
    const parsed = parseBackup(docs(cm("ClusterIssuer", "a", undefined), { ...cm("Issuer", "x", "default"), kind: "Bogus" }), "b.yaml");
    assert.equal(parsed.errors.length, 1);
    assert.equal(parsed.errors[0].object, "Bogus/default/x");
    assert.match(parsed.errors[0].message, /unknown certmanager\.k8s\.io kind Bogus/);
    assert.equal(buildRestorePlan(parsed).valid, false);
  });

  test("a certmanager.k8s.io apiVersion other than v1alpha1", () => {
    const parsed = parseBackup(docs(cm("ClusterIssuer", "a", undefined), { ...certificate("default", "x", { name: "a" }), apiVersion: "certmanager.k8s.io/v1beta1" }), "v.yaml");
    assert.equal(parsed.errors.length, 1);
    assert.equal(parsed.errors[0].object, "Certificate/default/x");
    assert.match(parsed.errors[0].message, /unsupported apiVersion certmanager\.k8s\.io\/v1beta1/);
  });

  test("a namespaced kind without a namespace, and an object without apiVersion", () => {
    const parsed = parseBackup(docs(cm("Certificate", "nons", undefined), { kind: "Certificate", metadata: { name: "x", namespace: "y" } }), "n.yaml");
    assert.equal(parsed.errors.length, 2);
    assert.match(parsed.errors[0].message, /no metadata\.namespace/);
    assert.match(parsed.errors[1].message, /no apiVersion or kind/);
  });
});

describe("parseBackup: own format integrity", () => {
  const { text } = ownBackup(seedObjects());

  test("changing one byte of a document is a checksum error", () => {
    const at = text.indexOf("wonder-app.example.com");
    assert.ok(at > 0);
    const tampered = text.slice(0, at) + "W" + text.slice(at + 1); // same length, one byte differs
    assert.equal(tampered.length, text.length);
    const parsed = parseBackup(Buffer.from(tampered), "t.yaml");
    assert.equal(parsed.errors.length, 1);
    assert.equal(parsed.errors[0].object, "t.yaml");
    assert.match(parsed.errors[0].message, /checksum mismatch/);
    assert.equal(buildRestorePlan(parsed).valid, false);
  });

  test("changing a byte of the header comment is a checksum error too", () => {
    const tampered = text.replace("# taken at", "# Taken at");
    assert.match(parseBackup(tampered).errors[0]?.message ?? "", /checksum mismatch/);
  });

  test("a truncated file is an error wherever it was cut", () => {
    const metaAt = text.indexOf(META_PREFIX);
    const cuts = [
      text.length - 10, // inside the meta JSON
      metaAt + 5, // inside the meta prefix
      metaAt, // the meta line lost entirely
      Math.floor(metaAt / 2), // in the middle of the documents
      text.indexOf("---\n", text.indexOf("---\n") + 1), // exactly at a document boundary
    ];
    for (const cut of cuts) {
      const parsed = parseBackup(Buffer.from(text.slice(0, cut)), "cut.yaml");
      assert.ok(parsed.errors.length > 0, `cut at ${cut} of ${text.length} was accepted`);
      assert.equal(buildRestorePlan(parsed).valid, false);
    }
    // Only the final newline missing: every covered byte and the whole meta are intact.
    assert.deepEqual(parseBackup(text.slice(0, -1)).errors, []);
  });

  test("content appended after the meta line is an error, not silently ignored", () => {
    const appended = text + docs(certificate("default", "extra", { name: "x" }));
    const parsed = parseBackup(appended, "a.yaml");
    assert.ok(parsed.errors.some((e) => /after its meta line/.test(e.message)), JSON.stringify(parsed.errors));
  });

  test("a meta line that is not valid JSON, or lacks its fields", () => {
    const metaAt = text.indexOf(META_PREFIX);
    const body = text.slice(0, metaAt);
    assert.match(parseBackup(body + META_PREFIX + "{not json\n").errors[0].message, /not valid JSON/);
    const noSecrets = JSON.stringify({ format: "cert-manager-upgrade/backup@1", cluster: TEST_CLUSTER, sha256: sha256Hex(body) });
    assert.match(parseBackup(body + META_PREFIX + noSecrets + "\n").errors[0].message, /secret inventory/);
    const otherFormat = JSON.stringify({ format: "something/else@9" });
    assert.match(parseBackup(body + META_PREFIX + otherFormat + "\n").errors[0].message, /meta format/);
  });
});

describe("parseBackup: objects of other groups", () => {
  // "secret" (c2VjcmV0) as in a typical export, and a value distinctive enough to search for.
  const distinctive = "tok-9f8e7d6c5b4a-do-not-print";
  const distinctiveB64 = Buffer.from(distinctive).toString("base64");
  const text = [
    docs(cm("ClusterIssuer", "letsencrypt-prod", undefined, { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "key" } } })),
    `---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db-password\n  namespace: default\ntype: Opaque\ndata:\n  password: c2VjcmV0\n  token: ${distinctiveB64}\n`,
    "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicas: 1\n",
    docs(certificate("default", "web", { kind: "ClusterIssuer", name: "letsencrypt-prod" })),
  ].join("");

  test("are ignored with a warning, never restored", () => {
    const parsed = parseBackup(text, "mixed.yaml");
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.ignored, [
      { kind: "Secret", namespace: "default", name: "db-password" },
      { kind: "Deployment", namespace: "default", name: "web" },
    ]);
    const plan = buildRestorePlan(parsed);
    assert.equal(plan.valid, true);
    assert.deepEqual(plan.restore.map((r) => `${r.kind}/${r.name}`), ["ClusterIssuer/letsencrypt-prod", "Certificate/web"]);
    const warned = plan.warnings.map((w) => w.object);
    assert.ok(warned.includes("Secret/default/db-password"));
    assert.ok(warned.includes("Deployment/default/web"));
  });

  test("the Secret's value appears nowhere in the parse result or the plan", () => {
    const parsed = parseBackup(text, "mixed.yaml");
    const plan = buildRestorePlan(parsed);
    for (const serialized of [JSON.stringify(plan), JSON.stringify(parsed.ignored), JSON.stringify(parsed.warnings), JSON.stringify(parsed.objects)]) {
      assert.ok(!serialized.includes("c2VjcmV0"), "base64 value leaked");
      assert.ok(!serialized.includes('"secret"'), "decoded value leaked");
      assert.ok(!serialized.includes(distinctiveB64), "base64 value leaked");
      assert.ok(!serialized.includes(distinctive), "decoded value leaked");
    }
  });
});
