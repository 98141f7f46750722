// Which copied Secrets the cleanup may delete from the legacy namespace: only those nothing left there
// references (pure, over the restore plan or over live objects).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { ReferencingObject, decideLegacySecretCleanup, describeKeptSecret, legacyNamespaceSecretUsers, stillUsedCovers } from "../lib/secret-cleanup";
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

describe("decideLegacySecretCleanup: Pods, workloads and ServiceAccounts in the legacy namespace are users too", () => {
  const env = (secret: string) => ({ containers: [{ name: "app", env: [{ name: "TOKEN", valueFrom: { secretKeyRef: { name: secret, key: "t" } } }] }] });
  const ns = "kube-system";
  const objects: ReferencingObject[] = [
    { kind: "Deployment", namespace: ns, name: "external-dns", object: { spec: { template: { spec: {
      volumes: [{ name: "creds", secret: { secretName: "route53-credentials" } }], containers: [{ name: "external-dns" }] } } } } },
    { kind: "Pod", namespace: ns, name: "debug", object: { spec: { volumes: [{ name: "bundle", projected: { sources: [{ secret: { name: "acme-key" } }] } }], containers: [] } } },
    { kind: "StatefulSet", namespace: ns, name: "vault", object: { spec: { template: { spec: env("vault-token") } } } },
    { kind: "DaemonSet", namespace: ns, name: "agent", object: { spec: { template: { spec: { containers: [{ name: "a", envFrom: [{ secretRef: { name: "clouddns-sa" } }] }] } } } } },
    { kind: "ReplicaSet", namespace: ns, name: "old", object: { spec: { template: { spec: { imagePullSecrets: [{ name: "registry" }], containers: [] } } } } },
    { kind: "Job", namespace: ns, name: "once", object: { spec: { template: { spec: env("job-secret") } } } },
    { kind: "CronJob", namespace: ns, name: "nightly", object: { spec: { jobTemplate: { spec: { template: { spec: env("cron-secret") } } } } } },
    { kind: "ServiceAccount", namespace: ns, name: "builder", object: { secrets: [{ name: "sa-secret" }], imagePullSecrets: [{ name: "sa-pull" }] } },
    // Another namespace's Deployment names its own Secret of that name.
    { kind: "Deployment", namespace: "default", name: "web", object: { spec: { template: { spec: env("unused") } } } },
  ];
  const copied = ["acme-key", "clouddns-sa", "cron-secret", "job-secret", "registry", "route53-credentials", "sa-pull", "sa-secret", "unused", "vault-token"];

  test("every copied Secret a Pod, workload or ServiceAccount there references is kept, naming it and where", () => {
    const decision = decideLegacySecretCleanup(copied, objects, ns);
    assert.deepEqual(decision.delete, ["unused"]);
    assert.deepEqual(decision.keep, [
      { name: "acme-key", usedBy: ["Pod kube-system/debug (projected volume bundle)"] },
      { name: "clouddns-sa", usedBy: ["DaemonSet kube-system/agent (envFrom of container a)"] },
      { name: "cron-secret", usedBy: ["CronJob kube-system/nightly (env TOKEN of container app)"] },
      { name: "job-secret", usedBy: ["Job kube-system/once (env TOKEN of container app)"] },
      { name: "registry", usedBy: ["ReplicaSet kube-system/old (imagePullSecrets)"] },
      { name: "route53-credentials", usedBy: ["Deployment kube-system/external-dns (volume creds)"] },
      { name: "sa-pull", usedBy: ["ServiceAccount kube-system/builder (imagePullSecrets)"] },
      { name: "sa-secret", usedBy: ["ServiceAccount kube-system/builder (secrets)"] },
      { name: "vault-token", usedBy: ["StatefulSet kube-system/vault (env TOKEN of container app)"] },
    ]);
  });

  test("an object's several references to one Secret make one entry; an Issuer and a Pod both count", () => {
    const both: ReferencingObject[] = [
      { kind: "Issuer", namespace: ns, name: "ca", object: { spec: { ca: { secretName: "root-ca" } } } },
      { kind: "Pod", namespace: ns, name: "p", object: { spec: { volumes: [{ name: "v", secret: { secretName: "root-ca" } }], containers: [{ name: "c", envFrom: [{ secretRef: { name: "root-ca" } }] }] } } },
    ];
    assert.deepEqual(decideLegacySecretCleanup(["root-ca"], both, ns).keep, [
      { name: "root-ca", usedBy: ["Issuer/kube-system/ca spec.ca.secretName", "Pod kube-system/p (volume v, envFrom of container c)"] },
    ]);
  });

  test("a Pod or ReplicaSet is named through its owner when the owner references the same Secret", () => {
    const template = { spec: { volumes: [{ name: "creds", secret: { secretName: "route53-credentials" } }], containers: [] } };
    const owned = (kind: string, name: string) => ({ ownerReferences: [{ apiVersion: "apps/v1", kind, name, controller: true }] });
    const chain: ReferencingObject[] = [
      { kind: "Deployment", namespace: ns, name: "external-dns", object: { spec: { template } } },
      { kind: "ReplicaSet", namespace: ns, name: "external-dns-1", object: { metadata: owned("Deployment", "external-dns"), spec: { template } } },
      { kind: "Pod", namespace: ns, name: "external-dns-1-x", object: { metadata: owned("ReplicaSet", "external-dns-1"), spec: template.spec } },
      // An older ReplicaSet whose template still has the Secret, its Deployment's no longer: named itself.
      { kind: "Deployment", namespace: ns, name: "moved", object: { spec: { template: { spec: { containers: [] } } } } },
      { kind: "ReplicaSet", namespace: ns, name: "moved-0", object: { metadata: owned("Deployment", "moved"), spec: { template } } },
    ];
    assert.deepEqual(decideLegacySecretCleanup(["route53-credentials"], chain, ns).keep, [
      { name: "route53-credentials", usedBy: ["Deployment kube-system/external-dns (volume creds)", "ReplicaSet kube-system/moved-0 (volume creds)"] },
    ]);
  });

  test("when Pods, workloads or ServiceAccounts could not be read, every copied Secret is kept, and says why", () => {
    const decision = decideLegacySecretCleanup(["b", "a"], [], ns, { notChecked: "listing Pods in kube-system failed: HTTP 403: forbidden" });
    assert.deepEqual(decision.delete, []);
    assert.deepEqual(decision.keep, [
      { name: "a", usedBy: [], notChecked: "listing Pods in kube-system failed: HTTP 403: forbidden" },
      { name: "b", usedBy: [], notChecked: "listing Pods in kube-system failed: HTTP 403: forbidden" },
    ]);
    const line = describeKeptSecret(ns, decision.keep[0]);
    assert.match(line, /^Secret kube-system\/a is kept by cleanupLegacySecrets: /);
    assert.match(line, /could not be checked .*listing Pods in kube-system failed: HTTP 403: forbidden/);
  });

  test("the preview line says what \"still used\" covers", () => {
    const line = describeKeptSecret(ns, { name: "x", usedBy: ["Deployment kube-system/external-dns (volume creds)"] });
    assert.equal(line, "Secret kube-system/x is kept by cleanupLegacySecrets: still used by Deployment kube-system/external-dns (volume creds) " +
      `(checked: ${stillUsedCovers(ns)})`);
    assert.match(stillUsedCovers(ns), /Issuers and Certificates.*Pods.*Deployments.*StatefulSets.*DaemonSets.*ReplicaSets.*Jobs.*CronJobs.*ServiceAccounts in kube-system/);
  });
});
