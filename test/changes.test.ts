// Issue 10, item 9: coverage compared names only. An object edited or a certificate re-issued after
// the backup must stop the preview and the removal, naming what changed.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execFileSync } from "node:child_process";
import { parseBackup } from "../lib/backup-format";
import { LiveForComparison, changesSinceBackup, describeChanges, objectDigest, recordedTlsSecrets } from "../lib/changes";
import { ClusterFacts, inspectCluster } from "../lib/cluster";
import { removeLegacyRelease } from "../lib/dynamic-runtime";
import { loadKubeConfig } from "../lib/kube";
import { buildRestorePlan } from "../lib/plan";
import { PreflightError, runPreflight } from "../lib/preflight";
import { parseSettings } from "../lib/settings";
import { certificateFacts } from "../lib/tls-facts";
import { KubeObject, objectLabel } from "../lib/types";
import { FakeKubeApi } from "./support/fake-kube-api";
import { TEST_CLUSTER, certificate, cm, ownBackup, seedObjects } from "./support/fixtures";

let tmp: string;
let crt: { a: string; b: string };
const servers: FakeKubeApi[] = [];

const labelOf = (o: KubeObject): string => objectLabel({ kind: o.kind!, namespace: o.kind === "ClusterIssuer" ? "" : o.metadata!.namespace!, name: o.metadata!.name! });
const b64 = (text: string): string => Buffer.from(text).toString("base64");

function selfSigned(name: string): string {
  const key = path.join(tmp, `${name}.key`);
  const out = path.join(tmp, `${name}.crt`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", out, "-days", "90", "-subj", "/CN=wonder-app.example.com"], { stdio: "ignore" });
  return fs.readFileSync(out, "utf8");
}

/** The seed's backup (format 2) with wonder-app-cert's certificate recorded; ivan-test-cert had no TLS Secret. */
function seedBackup(objects = seedObjects()) {
  const { text } = ownBackup(objects, {
    tlsCertificates: [{ namespace: "default", certificate: "wonder-app-cert", secretName: "wonder-app-cert", ...certificateFacts(b64(crt.a)) }],
    missingTlsSecrets: ["test/ivan-test-cert"],
  });
  return parseBackup(text, "backups/test/b.yaml");
}

/** The cluster as backed up: the same objects (as the server returns them), the same certificate. */
function liveAsBackedUp(objects = seedObjects()): LiveForComparison {
  return {
    objects: Object.fromEntries(objects.map((o) => [labelOf(o), objectDigest(o.kind!, o)])),
    tlsSecrets: { "default/wonder-app-cert": certificateFacts(b64(crt.a)), "test/ivan-test-cert": null },
  };
}

function edit(label: string, change: (o: KubeObject) => void): LiveForComparison {
  const objects = seedObjects();
  const o = objects.find((x) => labelOf(x) === label)!;
  change(o);
  return { ...liveAsBackedUp(), objects: Object.fromEntries(objects.map((x) => [labelOf(x), objectDigest(x.kind!, x)])) };
}

before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-changes-"));
  crt = { a: selfSigned("a"), b: selfSigned("b") };
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("changesSinceBackup", () => {
  test("nothing changed: nothing listed", () => {
    assert.deepEqual(changesSinceBackup(seedBackup(), liveAsBackedUp()), []);
    assert.deepEqual(recordedTlsSecrets(seedBackup()), ["default/wonder-app-cert", "test/ivan-test-cert"]);
  });

  test("a spec edited since the backup", () => {
    const live = edit("ClusterIssuer/letsencrypt-prod", (o) => ((o.spec!.acme as { email: string }).email = "new@example.com"));
    assert.deepEqual(changesSinceBackup(seedBackup(), live), ["ClusterIssuer/letsencrypt-prod (spec.acme.email)"]);
  });

  test("labels, annotations or ownerReferences changed since the backup", () => {
    const live = edit("Certificate/test/ivan-test-cert", (o) => (o.metadata!.ownerReferences![0].uid = "another-ingress"));
    assert.deepEqual(changesSinceBackup(seedBackup(), live), ["Certificate/test/ivan-test-cert (labels, annotations or ownerReferences)"]);
    const labelled = edit("Certificate/default/wonder-app-cert", (o) => (o.metadata!.labels = { team: "web" }));
    assert.deepEqual(changesSinceBackup(seedBackup(), labelled), ["Certificate/default/wonder-app-cert (labels, annotations or ownerReferences)"]);
  });

  test("what the restore does not write is not a change: status, resourceVersion, managedFields, kubectl's last-applied", () => {
    const live = edit("Certificate/default/wonder-app-cert", (o) => {
      o.status = { conditions: [{ type: "Ready", status: "False", reason: "Renewing" }] };
      o.metadata!.resourceVersion = "99999";
      o.metadata!.managedFields = [{ manager: "kubectl" }];
      o.metadata!.annotations = { "kubectl.kubernetes.io/last-applied-configuration": "{}" };
    });
    assert.deepEqual(changesSinceBackup(seedBackup(), live), []);
  });

  test("a re-issued certificate, a deleted TLS Secret, a TLS Secret created since", () => {
    const reissued = { ...liveAsBackedUp(), tlsSecrets: { "default/wonder-app-cert": certificateFacts(b64(crt.b)), "test/ivan-test-cert": null } };
    const [change] = changesSinceBackup(seedBackup(), reissued);
    assert.match(change, /^Secret\/default\/wonder-app-cert \(another certificate: serial [0-9A-F]+ → [0-9A-F]+, SHA-256 [0-9a-f]{12}… → [0-9a-f]{12}…: re-issued\)$/);
    const gone = { ...liveAsBackedUp(), tlsSecrets: { "default/wonder-app-cert": null, "test/ivan-test-cert": null } };
    assert.deepEqual(changesSinceBackup(seedBackup(), gone), ["Secret/default/wonder-app-cert (deleted; it held a TLS certificate)"]);
    const created = { ...liveAsBackedUp(), tlsSecrets: { "default/wonder-app-cert": certificateFacts(b64(crt.a)), "test/ivan-test-cert": certificateFacts(b64(crt.b)) } };
    assert.deepEqual(changesSinceBackup(seedBackup(), created), ["Secret/test/ivan-test-cert (created since the backup)"]);
  });

  test("objects gone from the cluster are not changes (the removal deletes them; a resumed run must go on)", () => {
    assert.deepEqual(changesSinceBackup(seedBackup(), { objects: {}, tlsSecrets: {} }), []);
  });

  test("one line: count, the first three, what to do", () => {
    const line = describeChanges(["a", "b", "c", "d", "e"], "b.yaml");
    assert.equal(line, "5 object(s) changed in the cluster since b.yaml was taken (a, b, c, and 2 more); the restore would bring back the backed-up version and verify could not tell a re-issue: take the backup again");
  });
});

describe("runPreflight: coverage compares what changed, not only names", () => {
  const settings = parseSettings({ "cert-manager-upgrade:backupFile": "backups/test/b.yaml" });
  const MODERN = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"];
  function facts(live: LiveForComparison, found = true): ClusterFacts {
    return {
      kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.34.4", servedApiVersions: MODERN,
      legacy: found ? { found: true, record: "helm3", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] } : { found: false, record: "none", objects: [] },
      liveObjects: Object.keys(live.objects), liveObjectDigests: live.objects, liveTlsSecrets: live.tlsSecrets, footprint: { crds: [], deployments: [] },
      secrets: { "kube-system/cert-manager-setup-production-private-key": true, "kube-system/cert-manager-setup-staging-private-key": true, "kube-system/clouddns-service-account": true },
    };
  }

  test("an edited spec stops the preview with the object named and what to do", () => {
    const backup = seedBackup();
    const live = edit("Certificate/default/wonder-app-cert", (o) => (o.spec!.dnsNames = ["other.example.com"]));
    assert.throws(() => runPreflight({ ...settings, mapApiVersions: true, acknowledgeUnsupportedKubernetes: true }, backup, buildRestorePlan(backup), facts(live)), (e: Error) => {
      assert.ok(e instanceof PreflightError);
      assert.equal(e.message.split("\n").length, 1);
      assert.equal(e.message, "backup coverage check failed: 1 object(s) changed in the cluster since backups/test/b.yaml was taken (Certificate/default/wonder-app-cert (spec.dnsNames)); the restore would bring back the backed-up version and verify could not tell a re-issue: take the backup again");
      return true;
    });
  });

  test("a re-issued certificate stops the preview", () => {
    const backup = seedBackup();
    const live = { ...liveAsBackedUp(), tlsSecrets: { "default/wonder-app-cert": certificateFacts(b64(crt.b)), "test/ivan-test-cert": null } };
    assert.throws(() => runPreflight({ ...settings, mapApiVersions: true, acknowledgeUnsupportedKubernetes: true }, backup, buildRestorePlan(backup), facts(live)), /^Error: backup coverage check failed: 1 object\(s\) changed .*Secret\/default\/wonder-app-cert \(another certificate: .*re-issued\).*take the backup again$/);
  });

  test("unchanged passes; after the removal (no old release) nothing is compared", () => {
    const backup = seedBackup();
    assert.doesNotThrow(() => runPreflight({ ...settings, mapApiVersions: true, acknowledgeUnsupportedKubernetes: true }, backup, buildRestorePlan(backup), facts(liveAsBackedUp())));
    const live = edit("Certificate/default/wonder-app-cert", (o) => (o.spec!.dnsNames = ["other.example.com"]));
    assert.doesNotThrow(() => runPreflight({ ...settings, mapApiVersions: true, acknowledgeUnsupportedKubernetes: true }, backup, buildRestorePlan(backup), facts(live, false)));
  });
});

describe("against the API stand-in: the preview's look and the removal's re-check", () => {
  /** A 0.4 cluster: the seed's objects, the release's CRD (found by its labels), wonder-app-cert's TLS Secret. */
  async function legacyCluster(): Promise<{ api: FakeKubeApi; kubeconfig: string; backupFile: string }> {
    const api = new FakeKubeApi({ kubeSystemUID: TEST_CLUSTER.kubeSystemUID });
    await api.start();
    servers.push(api);
    for (const o of seedObjects()) api.addObject(o);
    api.addSecret("default", "wonder-app-cert", { "tls.crt": crt.a, "tls.key": "k" }, "kubernetes.io/tls");
    api.serveEmptyLegacyLists();
    api.lists.set("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinitionList",
      items: [{ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "certificates.certmanager.k8s.io", labels: { chart: "cert-manager-v0.4.1", release: "cert-manager" } }, spec: { group: "certmanager.k8s.io" } }],
    });
    const kubeconfig = api.writeKubeconfig(path.join(fs.mkdtempSync(path.join(tmp, "legacy-")), "kubeconfig"), "legacy");
    const backupFile = path.join(path.dirname(kubeconfig), "backup.yaml");
    // The backup as `npm run backup` writes it of this cluster: objects as the server returns them.
    const { text } = ownBackup(seedObjects().map((o) => ({ ...o, metadata: { ...o.metadata } })), {
      tlsCertificates: [{ namespace: "default", certificate: "wonder-app-cert", secretName: "wonder-app-cert", ...certificateFacts(b64(crt.a)) }],
      missingTlsSecrets: ["test/ivan-test-cert"],
    });
    fs.writeFileSync(backupFile, text);
    return { api, kubeconfig, backupFile };
  }

  /** Not even the deletion's first step (resolving the CRD's API for the delete, then waiting for it to go). */
  function assertNothingDeleted(api: FakeKubeApi): void {
    assert.deepEqual(api.requests.filter((r) => r.method !== "GET"), [], "no request but reads");
    assert.deepEqual(api.requests.filter((r) => r.path === "/apis/apiextensions.k8s.io/v1" || r.path.startsWith("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/")).map((r) => r.path), []);
  }

  test("inspectCluster reports each object's digest and the recorded TLS Secrets' certificates", async () => {
    const { api, kubeconfig, backupFile } = await legacyCluster();
    const backup = parseBackup(fs.readFileSync(backupFile), backupFile);
    const inspect = () => inspectCluster(loadKubeConfig({ kubeconfig }), { legacyReleaseName: "cert-manager", legacyNamespace: "kube-system", tillerNamespace: "kube-system", secrets: [], tlsSecrets: recordedTlsSecrets(backup) });
    const before = await inspect();
    assert.equal(before.legacy.found, true);
    assert.deepEqual(changesSinceBackup(backup, { objects: before.liveObjectDigests, tlsSecrets: before.liveTlsSecrets }), []);
    assert.deepEqual(Object.keys(before.liveTlsSecrets).sort(), ["default/wonder-app-cert", "test/ivan-test-cert"]);
    assert.equal(before.liveTlsSecrets["test/ivan-test-cert"], null);

    const wonder = seedObjects().find((o) => o.metadata?.name === "wonder-app-cert")!;
    api.addObject({ ...wonder, spec: { ...wonder.spec, dnsNames: ["changed.example.com"] } });
    api.addSecret("default", "wonder-app-cert", { "tls.crt": crt.b, "tls.key": "k" }, "kubernetes.io/tls");
    const now = await inspect();
    assert.deepEqual(changesSinceBackup(backup, { objects: now.liveObjectDigests, tlsSecrets: now.liveTlsSecrets }).map((c) => c.split(" (")[0]), [
      "Certificate/default/wonder-app-cert",
      "Secret/default/wonder-app-cert",
    ]);
  });

  test("the removal re-checks right before deleting: an object edited since the preview stops it, nothing deleted", async () => {
    const { api, kubeconfig, backupFile } = await legacyCluster();
    const sha = parseBackup(fs.readFileSync(backupFile)).meta!.sha256;
    api.addObject(certificate("default", "wonder-app-cert", { kind: "ClusterIssuer", name: "letsencrypt-prod" }, "wonder-app-cert", { metadata: { name: "wonder-app-cert", namespace: "default", labels: { edited: "yes" } } }));
    await assert.rejects(
      removeLegacyRelease({ kubeconfig, releaseName: "cert-manager", legacyNamespace: "kube-system", tillerNamespace: "kube-system", newReleaseName: "cert-manager", newNamespace: "cert-manager", backupFile, backupSha256: sha, timeoutSeconds: 5 }),
      /^Error: 1 object\(s\) changed in the cluster since .*backup\.yaml was taken \(Certificate\/default\/wonder-app-cert \(spec\.acme, spec\.dnsNames; labels, annotations or ownerReferences\)\); .*take the backup again; nothing was deleted$/,
    );
    assertNothingDeleted(api);
  });

  test("the removal re-checks the certificates too: a re-issue since the preview stops it", async () => {
    const { api, kubeconfig, backupFile } = await legacyCluster();
    const sha = parseBackup(fs.readFileSync(backupFile)).meta!.sha256;
    api.addSecret("default", "wonder-app-cert", { "tls.crt": crt.b, "tls.key": "k" }, "kubernetes.io/tls");
    await assert.rejects(
      removeLegacyRelease({ kubeconfig, releaseName: "cert-manager", legacyNamespace: "kube-system", tillerNamespace: "kube-system", newReleaseName: "cert-manager", newNamespace: "cert-manager", backupFile, backupSha256: sha, timeoutSeconds: 5 }),
      /Secret\/default\/wonder-app-cert \(another certificate: .*re-issued\).*nothing was deleted$/,
    );
    assertNothingDeleted(api);
  });
});

// Issue 19, item 8: the 0.4.1 controller writes the whole object back through its Go types (no status
// subresource), adding the zero values of fields declared without omitempty and writing durations in
// their canonical form. That is the same object to the controller: no stop. A real edit still stops,
// naming the field.
describe("coverage compares specs as the controller means them", () => {
  const settings = parseSettings({ "cert-manager-upgrade:backupFile": "backups/test/b.yaml", "cert-manager-upgrade:mapApiVersions": "true", "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true" });
  const vault = (): KubeObject => cm("Issuer", "vault-issuer", "team-a", {
    vault: { server: "https://vault.example.com:8200", path: "pki/sign/team-a", auth: { tokenSecretRef: { name: "vault-token", key: "token" } } },
  });
  const web = (): KubeObject => cm("Certificate", "web", "team-a", { secretName: "web-tls", dnsNames: ["web.example.com"], issuerRef: { name: "vault-issuer" }, renewBefore: "2000h" });

  /** The preview's facts of a 0.4 cluster holding the seed's objects, the backup's Vault issuer and certificate, as `edit` leaves them. */
  function facts(edit: (vaultIssuer: KubeObject, webCert: KubeObject) => void): ClusterFacts {
    const objects = [...seedObjects(), vault(), web()];
    edit(objects[objects.length - 2], objects[objects.length - 1]);
    const digests = Object.fromEntries(objects.map((o) => [labelOf(o), objectDigest(o.kind!, o)]));
    return {
      kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.34.4", servedApiVersions: ["v1", "apps/v1", "apiextensions.k8s.io/v1"],
      legacy: { found: true, record: "helm3", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] },
      liveObjects: Object.keys(digests), liveObjectDigests: digests, liveTlsSecrets: liveAsBackedUp().tlsSecrets, footprint: { crds: [], deployments: [] },
      secrets: { "kube-system/cert-manager-setup-production-private-key": true, "kube-system/cert-manager-setup-staging-private-key": true, "kube-system/clouddns-service-account": true },
    };
  }
  function preview(edit: (vaultIssuer: KubeObject, webCert: KubeObject) => void): string {
    const backup = seedBackup([...seedObjects(), vault(), web()]);
    try {
      runPreflight(settings, backup, buildRestorePlan(backup), facts(edit));
      return "passed";
    } catch (e) {
      return (e as Error).message;
    }
  }
  const vaultAuth = (o: KubeObject) => (o.spec!.vault as { auth: Record<string, unknown> }).auth;

  test("a Vault issuer written back with `auth.appRole` of empty strings is not a change: the preview goes on", () => {
    assert.equal(preview((v) => (vaultAuth(v).appRole = { path: "", roleId: "", secretRef: { key: "", name: "" } })), "passed");
  });

  test("renewBefore written back as 2000h0m0s (Go's canonical form of 2000h) is not a change", () => {
    assert.equal(preview((_v, w) => (w.spec!.renewBefore = "2000h0m0s")), "passed");
  });

  test("real edits still stop the preview, naming the field: dnsNames, a non-zero value, another duration, appRole set where the backup had none", () => {
    const stopped = (what: string) => `backup coverage check failed: 1 object(s) changed in the cluster since backups/test/b.yaml was taken (${what}); the restore would bring back the backed-up version and verify could not tell a re-issue: take the backup again`;
    assert.equal(preview((_v, w) => (w.spec!.dnsNames = ["web.example.org"])), stopped("Certificate/team-a/web (spec.dnsNames)"));
    assert.equal(preview((v) => ((v.spec!.vault as { server: string }).server = "https://vault-2.example.com:8200")), stopped("Issuer/team-a/vault-issuer (spec.vault.server)"));
    assert.equal(preview((_v, w) => (w.spec!.renewBefore = "1h")), stopped("Certificate/team-a/web (spec.renewBefore)"));
    assert.equal(preview((v) => (vaultAuth(v).appRole = { path: "approle", roleId: "web", secretRef: { name: "vault-approle", key: "secretId" } })), stopped("Issuer/team-a/vault-issuer (spec.vault.auth.appRole)"));
  });
});
