// Pulumi resource names of restored objects and Secret copies: one name per object (injective),
// the same on every run, and the old names kept wherever they were already unambiguous.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isSecretCopyResourceName, previousRestoredName, restoredResourceName, restoredResourceNames, secretCopyResourceName, secretSourceResourceName } from "../lib/resource-names";

const item = (kind: "ClusterIssuer" | "Issuer" | "Certificate", namespace: string, name: string) => ({ kind, namespace, name });

describe("restored objects", () => {
  test("namespace/name pairs that read alike get different names", () => {
    const pairs = [
      [item("Certificate", "team-a", "web"), item("Certificate", "team", "a-web")],
      [item("Certificate", "a-b-c", "d"), item("Certificate", "a-b", "c-d")],
      [item("Certificate", "a-b", "c-d"), item("Certificate", "a", "b-c-d")],
      [item("Issuer", "team-a", "ca"), item("Issuer", "team", "a-ca")],
      [item("Certificate", "x", "y-z"), item("Certificate", "x-y", "z")],
    ];
    for (const [a, b] of pairs) {
      assert.equal(previousRestoredName(a), previousRestoredName(b), "the old scheme collided");
      assert.notEqual(restoredResourceName(a), restoredResourceName(b), `${a.namespace}/${a.name} vs ${b.namespace}/${b.name}`);
    }
  });

  test("injective over many generated names, and stable (a pure function of the object)", () => {
    const parts = ["a", "b", "a-b", "b-a", "a-b-c", "c", "a.b", "ab", "a-a"];
    const items = parts.flatMap((ns) => (ns.includes(".") ? [] : parts.map((n) => item("Certificate", ns, n))));
    const names = items.map(restoredResourceName);
    assert.equal(new Set(names).size, items.length);
    assert.deepEqual(items.map(restoredResourceName), names, "same input, same name");
    assert.deepEqual([...restoredResourceNames(items).values()].map((n) => n.name), names);
  });

  test("objects in namespaces without '-' and ClusterIssuers keep the names they had", () => {
    for (const o of [item("Certificate", "default", "wonder-app-cert"), item("Certificate", "test", "ivan-test-cert"), item("ClusterIssuer", "", "letsencrypt-prod"), item("Issuer", "team", "a-ca")]) {
      assert.equal(restoredResourceName(o), previousRestoredName(o));
    }
    assert.equal(restoredResourceName(item("ClusterIssuer", "", "le-prod")), "clusterissuer-le-prod");
    assert.equal(restoredResourceName(item("Certificate", "default", "web")), "certificate-default-web");
  });

  test("a renamed object answers to its old name unless another object has or had that name", () => {
    const names = restoredResourceNames([
      item("Certificate", "team-a", "web"),
      item("Certificate", "team", "a-web"),
      item("Certificate", "team-b", "web"),
      item("Certificate", "x-y", "z"),
      item("Certificate", "x-y-z", "w"),
      item("Certificate", "x", "y-z-w"),
      item("Issuer", "team-a", "ca"),
    ]);
    const of = (ns: string, n: string, kind = "Certificate") => names.get(`${kind}/${ns}/${n}`)!;
    assert.equal(of("team-a", "web").name, "certificate-team-a/web");
    assert.deepEqual(of("team-a", "web").aliases, [], "certificate-team-a-web is team/a-web's name now");
    assert.equal(of("team", "a-web").name, "certificate-team-a-web");
    assert.deepEqual(of("team", "a-web").aliases, []);
    assert.deepEqual(of("team-b", "web").aliases, ["certificate-team-b-web"]);
    assert.deepEqual(of("x-y", "z").aliases, ["certificate-x-y-z"]);
    assert.deepEqual(of("x-y-z", "w").aliases, [], "certificate-x-y-z-w is x/y-z-w's name now");
    assert.deepEqual(of("team-a", "ca", "Issuer").aliases, ["issuer-team-a-ca"], "kinds are apart (their types differ)");
  });

  test("a duplicate object is refused, not named twice", () => {
    assert.throws(() => restoredResourceNames([item("Certificate", "a", "b"), item("Certificate", "a", "b")]), /Certificate\/a\/b.*twice/);
  });
});

describe("Secret copies and the reads of their sources", () => {
  test("a copy of source-x and the read of x differ; copies keep their names", () => {
    assert.equal(secretCopyResourceName("issuer-secrets", "source-x"), "issuer-secrets-source-x");
    assert.equal(secretCopyResourceName("issuer-secrets", "x"), "issuer-secrets-x");
    const names = ["x", "source-x", "source-source-x", "a.b", "source"].flatMap((s) => [secretCopyResourceName("issuer-secrets", s), secretSourceResourceName("issuer-secrets", s)]);
    assert.equal(new Set(names).size, names.length, names.join(", "));
  });

  test("the preview summary tells a copy from a read by name alone", () => {
    assert.ok(isSecretCopyResourceName("issuer-secrets-source-x", "issuer-secrets"), "a copy of the Secret source-x");
    assert.ok(isSecretCopyResourceName("issuer-secrets-acme-key", "issuer-secrets"));
    assert.ok(!isSecretCopyResourceName(secretSourceResourceName("issuer-secrets", "x"), "issuer-secrets"));
    assert.ok(!isSecretCopyResourceName("issuer-secrets", "issuer-secrets"));
    assert.ok(!isSecretCopyResourceName("restored-issuer-x", "issuer-secrets"));
  });
});
