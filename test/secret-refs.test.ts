import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { buildRestorePlan, planToJson } from "../lib/plan";
import { findSecretRefs } from "../lib/secret-refs";
import { cm, docs, seedBytes } from "./support/fixtures";

/** An issuer spec that names a Secret at every path cert-manager v0.6.2 reads one from. */
const everyPath = {
  acme: {
    server: "https://acme-v02.api.letsencrypt.org/directory",
    privateKeySecretRef: { name: "acme-account-key" },
    dns01: {
      providers: [
        {
          name: "akamai-dns",
          akamai: {
            serviceConsumerDomain: "akab.example.net",
            clientTokenSecretRef: { name: "akamai-client-token", key: "token" },
            clientSecretSecretRef: { name: "akamai-client-secret", key: "secret" },
            accessTokenSecretRef: { name: "akamai-access-token", key: "token" },
          },
        },
        { name: "gcp", clouddns: { project: "p", serviceAccountSecretRef: { name: "clouddns-sa", key: "sa.json" } } },
        { name: "cf", cloudflare: { email: "a@example.com", apiKeySecretRef: { name: "cloudflare-key", key: "api-key" } } },
        { name: "aws", route53: { region: "eu-west-1", accessKeyID: "AKIA", secretAccessKeySecretRef: { name: "route53-secret", key: "secret-access-key" } } },
        { name: "azure", azuredns: { clientID: "c", subscriptionID: "s", tenantID: "t", resourceGroupName: "r", clientSecretSecretRef: { name: "azure-secret", key: "client-secret" } } },
        { name: "do", digitalocean: { tokenSecretRef: { name: "do-token", key: "access-token" } } },
        { name: "acme-dns", acmedns: { host: "https://auth.example.com", accountSecretRef: { name: "acmedns-account", key: "acmedns.json" } } },
        { name: "rfc", rfc2136: { nameserver: "10.0.0.53", tsigKeyName: "k", tsigSecretSecretRef: { name: "tsig-secret", key: "tsig" } } },
      ],
    },
  },
  ca: { secretName: "ca-key-pair" },
  vault: {
    server: "https://vault.example.com",
    path: "pki/sign/example",
    auth: {
      tokenSecretRef: { name: "vault-token", key: "token" },
      appRole: { path: "approle", roleId: "role", secretRef: { name: "vault-approle", key: "secretId" } },
    },
  },
};

describe("findSecretRefs", () => {
  test("finds every path of the facts file, with purpose and key", () => {
    const found = findSecretRefs(everyPath).map((r) => [r.path, r.name, r.key ?? null, r.purpose]);
    assert.deepEqual(found, [
      ["spec.acme.privateKeySecretRef", "acme-account-key", null, "acme-account-key"],
      ["spec.acme.dns01.providers[0].akamai.clientTokenSecretRef", "akamai-client-token", "token", "dns01-credentials"],
      ["spec.acme.dns01.providers[0].akamai.clientSecretSecretRef", "akamai-client-secret", "secret", "dns01-credentials"],
      ["spec.acme.dns01.providers[0].akamai.accessTokenSecretRef", "akamai-access-token", "token", "dns01-credentials"],
      ["spec.acme.dns01.providers[1].clouddns.serviceAccountSecretRef", "clouddns-sa", "sa.json", "dns01-credentials"],
      ["spec.acme.dns01.providers[2].cloudflare.apiKeySecretRef", "cloudflare-key", "api-key", "dns01-credentials"],
      ["spec.acme.dns01.providers[3].route53.secretAccessKeySecretRef", "route53-secret", "secret-access-key", "dns01-credentials"],
      ["spec.acme.dns01.providers[4].azuredns.clientSecretSecretRef", "azure-secret", "client-secret", "dns01-credentials"],
      ["spec.acme.dns01.providers[5].digitalocean.tokenSecretRef", "do-token", "access-token", "dns01-credentials"],
      ["spec.acme.dns01.providers[6].acmedns.accountSecretRef", "acmedns-account", "acmedns.json", "dns01-credentials"],
      ["spec.acme.dns01.providers[7].rfc2136.tsigSecretSecretRef", "tsig-secret", "tsig", "dns01-credentials"],
      ["spec.ca.secretName", "ca-key-pair", null, "ca-key-pair"],
      ["spec.vault.auth.tokenSecretRef", "vault-token", "token", "vault-token"],
      ["spec.vault.auth.appRole.secretRef", "vault-approle", "secretId", "vault-approle"],
    ]);
  });

  test("DNS provider refs carry the provider's name", () => {
    const refs = findSecretRefs(everyPath).filter((r) => r.purpose === "dns01-credentials");
    assert.deepEqual([...new Set(refs.map((r) => r.dnsProvider))], ["akamai-dns", "gcp", "cf", "aws", "azure", "do", "acme-dns", "rfc"]);
    assert.equal(findSecretRefs(everyPath).find((r) => r.path === "spec.acme.privateKeySecretRef")?.dnsProvider, undefined);
  });

  test("unset references are not references: empty names, ambient credentials, absent sections", () => {
    assert.deepEqual(findSecretRefs(undefined), []);
    assert.deepEqual(findSecretRefs({ selfSigned: {} }), []);
    assert.deepEqual(
      findSecretRefs({
        acme: { privateKeySecretRef: { name: "" }, dns01: { providers: [{ name: "aws", route53: { region: "eu-west-1" } }, { name: "gcp", clouddns: { project: "p" } }, "junk"] } },
        ca: { secretName: "" },
        vault: { auth: { tokenSecretRef: { name: "", key: "" }, appRole: { secretRef: { name: "" } } } },
      }),
      [],
    );
  });

  test("the seed's letsencrypt-prod names its account key and the clouddns credentials", () => {
    const prod = parseBackup(seedBytes()).objects[0];
    assert.deepEqual(findSecretRefs(prod.object.spec).map((r) => `${r.name}:${r.key ?? ""}`), [
      "cert-manager-setup-production-private-key:",
      "clouddns-service-account:service-account.json",
    ]);
  });
});

describe("secrets to copy", () => {
  test("ClusterIssuer secrets are copied from kube-system to cert-manager by default, each once", () => {
    const plan = buildRestorePlan(parseBackup(seedBytes()));
    assert.deepEqual((planToJson(plan) as { secretsToCopy: unknown }).secretsToCopy, [
      { name: "cert-manager-setup-production-private-key", from: "kube-system", to: "cert-manager" },
      { name: "cert-manager-setup-staging-private-key", from: "kube-system", to: "cert-manager" },
      { name: "clouddns-service-account", from: "kube-system", to: "cert-manager" },
    ]);
  });

  test("every path of a ClusterIssuer is copied", () => {
    const plan = buildRestorePlan(parseBackup(docs(cm("ClusterIssuer", "everything", undefined, everyPath))));
    assert.deepEqual(plan.secretsToCopy.map((s) => s.name), [
      "acme-account-key",
      "acmedns-account",
      "akamai-access-token",
      "akamai-client-secret",
      "akamai-client-token",
      "azure-secret",
      "ca-key-pair",
      "clouddns-sa",
      "cloudflare-key",
      "do-token",
      "route53-secret",
      "tsig-secret",
      "vault-approle",
      "vault-token",
    ]);
  });

  test("custom legacy and new namespaces are honoured", () => {
    const plan = buildRestorePlan(parseBackup(seedBytes()), { legacyNamespace: "old-cm", namespace: "certs" });
    assert.ok(plan.secretsToCopy.length > 0);
    for (const s of plan.secretsToCopy) {
      assert.equal(s.from, "old-cm");
      assert.equal(s.to, "certs");
    }
  });

  test("a Secret shared by two ClusterIssuers is copied once and remembers both users", () => {
    const shared = { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "shared-key" }, http01: {} } };
    const plan = buildRestorePlan(parseBackup(docs(
      cm("ClusterIssuer", "one", undefined, shared),
      cm("ClusterIssuer", "two", undefined, { ...shared, ca: { secretName: "shared-key" } }),
    )));
    assert.equal(plan.secretsToCopy.length, 1);
    assert.equal(plan.secretsToCopy[0].name, "shared-key");
    assert.deepEqual(plan.secretsToCopy[0].usedBy, [
      "ClusterIssuer/one spec.acme.privateKeySecretRef",
      "ClusterIssuer/two spec.acme.privateKeySecretRef",
      "ClusterIssuer/two spec.ca.secretName",
    ]);
  });

  test("Issuer secrets stay in the Issuer's namespace and are not copied", () => {
    const plan = buildRestorePlan(parseBackup(docs(cm("Issuer", "everything", "apps", everyPath))));
    assert.equal(plan.valid, true);
    assert.deepEqual(plan.secretsToCopy, []);
  });

  test("the inventory of the backup is attached to each copy", () => {
    const text = docs(cm("ClusterIssuer", "ca", undefined, { ca: { secretName: "ca-key-pair" } }));
    const parsed = parseBackup(text);
    parsed.meta = {
      format: "cert-manager-upgrade/backup@1",
      takenAt: "",
      tool: "",
      cluster: { context: "", server: "", kubeSystemUID: "", serverVersion: "" },
      legacyNamespace: "kube-system",
      counts: { ClusterIssuer: 1, Issuer: 0, Certificate: 0, Order: 0, Challenge: 0 },
      recorded: [],
      secrets: [{ namespace: "kube-system", name: "ca-key-pair", exists: true, keys: ["tls.crt", "tls.key"] }],
      missingTlsSecrets: [],
      sha256: "",
    };
    const [copy] = buildRestorePlan(parsed).secretsToCopy;
    assert.equal(copy.existedAtBackup, true);
    assert.deepEqual(copy.keys, ["tls.crt", "tls.key"]);
  });
});
