// Which copied Secrets the cleanup may delete from the legacy namespace: only those nothing left there
// references (pure, over the restore plan or over live objects).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { decideLegacySecretCleanup, legacyNamespaceSecretUsers } from "../lib/secret-cleanup";
import { KubeObject } from "../lib/types";
import { certificate, cm, docs } from "./support/fixtures";

const ACME = "https://acme-v02.api.letsencrypt.org/directory";

function restoreOf(...objects: KubeObject[]) {
  const plan = buildRestorePlan(parseBackup(docs(...objects), "test.yaml"));
  assert.deepEqual(plan.errors, []);
  return plan.restore;
}

describe("decideLegacySecretCleanup", () => {
  const objects = restoreOf(
    cm("ClusterIssuer", "prod", undefined, { acme: { server: ACME, email: "a@example.com", privateKeySecretRef: { name: "acme-key" },
      dns01: { providers: [{ name: "cf", cloudflare: { email: "a@example.com", apiKeySecretRef: { name: "cloudflare", key: "api-key" } } }] } } }),
    cm("ClusterIssuer", "ca", undefined, { ca: { secretName: "root-ca" } }),
    cm("ClusterIssuer", "vault", undefined, { vault: { server: "https://v", path: "p", auth: { tokenSecretRef: { name: "vault-token", key: "t" } } } }),
    // In the legacy namespace: an Issuer sharing the ACME key and the DNS credentials, a Certificate whose TLS Secret is the CA.
    cm("Issuer", "legacy-acme", "kube-system", { acme: { server: ACME, email: "a@example.com", privateKeySecretRef: { name: "acme-key" },
      dns01: { providers: [{ name: "cf", cloudflare: { email: "a@example.com", apiKeySecretRef: { name: "cloudflare", key: "api-key" } } }] } } }),
    certificate("kube-system", "root-ca", { kind: "ClusterIssuer", name: "ca" }, "root-ca"),
    // Elsewhere: the same names mean other Secrets, in their own namespaces.
    cm("Issuer", "vault", "team-a", { vault: { server: "https://v", path: "p", auth: { tokenSecretRef: { name: "vault-token", key: "t" } } } }),
    certificate("default", "web", { kind: "ClusterIssuer", name: "prod" }, "vault-token"),
  );

  test("keeps every copied Secret still referenced in the legacy namespace, with who uses it; deletes the rest", () => {
    const decision = decideLegacySecretCleanup(["acme-key", "cloudflare", "root-ca", "vault-token"], objects, "kube-system");
    assert.deepEqual(decision, {
      namespace: "kube-system",
      delete: ["vault-token"],
      keep: [
        { name: "acme-key", usedBy: ["Issuer/kube-system/legacy-acme spec.acme.privateKeySecretRef"] },
        { name: "cloudflare", usedBy: ["Issuer/kube-system/legacy-acme spec.acme.dns01.providers[0].cloudflare.apiKeySecretRef"] },
        { name: "root-ca", usedBy: ["Certificate/kube-system/root-ca spec.secretName"] },
      ],
    });
  });

  test("ClusterIssuers do not keep a Secret (they read the new namespace); nor do objects of other namespaces", () => {
    const users = legacyNamespaceSecretUsers(objects, "kube-system");
    assert.deepEqual([...users.keys()].sort(), ["acme-key", "cloudflare", "root-ca"]);
    assert.deepEqual(legacyNamespaceSecretUsers(objects, "team-a").get("vault-token"), ["Issuer/team-a/vault spec.vault.auth.tokenSecretRef"]);
  });

  test("nothing copied: nothing deleted; nothing referenced: everything copied is deleted", () => {
    assert.deepEqual(decideLegacySecretCleanup([], objects, "kube-system"), { namespace: "kube-system", delete: [], keep: [] });
    assert.deepEqual(decideLegacySecretCleanup(["b", "a"], [], "kube-system"), { namespace: "kube-system", delete: ["a", "b"], keep: [] });
  });

  test("works on live objects as read from the cluster (kind, namespace, name, object)", () => {
    const live = [{ kind: "Issuer", namespace: "kube-system", name: "late", object: { spec: { ca: { secretName: "root-ca" } } } as KubeObject }];
    assert.deepEqual(decideLegacySecretCleanup(["root-ca"], live, "kube-system").keep, [{ name: "root-ca", usedBy: ["Issuer/kube-system/late spec.ca.secretName"] }]);
  });
});
