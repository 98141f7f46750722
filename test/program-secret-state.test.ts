// What the program hands to the Pulumi engine about Secrets, under Pulumi's mocks: the engine stores
// every resource's inputs and outputs in the state, and a resource read with `.get` whole (its
// metadata included, where kubectl's last-applied-configuration annotation holds the data). The
// source Secrets here were created with `kubectl apply`, as most are; one copy already exists, made
// by hand as the seed's procedure does (all metadata copied, the annotation with it).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { ClusterFacts } from "../lib/cluster";
import { LAST_APPLIED } from "../lib/legacy-seed";
import { ownBackup, seedObjects, TEST_CLUSTER } from "./support/fixtures";
import { LiveSecret, SECRET_SIG, SOURCE_SECRET_PLAINTEXT, SOURCE_SECRET_VALUE, kubectlAppliedSecret, runProgram, tempDir, writeChart, writeKubeconfig } from "./support/pulumi-harness";
import { findMarker } from "./support/secret-scan";

const SOURCES = ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"];
const HAND_COPY = "clouddns-service-account";
// Chart values set with `pulumi config set --secret` (a proxy password, say) stay secret too.
const VALUES_MARKER = "proxy-password-never-in-state";

const facts: ClusterFacts = {
  kubeSystemUID: TEST_CLUSTER.kubeSystemUID,
  server: TEST_CLUSTER.server,
  serverVersion: "v1.34.4",
  servedApiVersions: ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"],
  legacy: { found: true, record: "helm3", chartVersion: "v0.4.1", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] },
  liveObjects: ["ClusterIssuer/letsencrypt-prod", "ClusterIssuer/letsencrypt-staging", "Certificate/default/wonder-app-cert", "Certificate/test/ivan-test-cert"],
  liveObjectDigests: {},
  liveTlsSecrets: {}, footprint: { crds: [], deployments: [] },
  secrets: {
    ...Object.fromEntries(SOURCES.map((s) => [`kube-system/${s}`, true])),
    [`cert-manager/${HAND_COPY}`]: true,
  },
};

function liveSecrets(): Record<string, LiveSecret> {
  const live: Record<string, LiveSecret> = {};
  for (const name of SOURCES) live[`kube-system/${name}`] = kubectlAppliedSecret("kube-system", name, { "key.json": SOURCE_SECRET_VALUE }, "Opaque");
  // `kubectl get secret -o json -n kube-system NAME | jq 'del(.metadata.namespace)' | kubectl create -f - -n cert-manager`
  const hand = structuredClone(live[`kube-system/${HAND_COPY}`]);
  live[`cert-manager/${HAND_COPY}`] = { ...hand, metadata: { ...hand.metadata, namespace: "cert-manager", uid: "uid-hand-copy" } };
  return live;
}

/** The value with every secret replaced by a placeholder: what the state holds in the clear. */
function clearParts(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clearParts);
  if (value && typeof value === "object") {
    if ((value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === SECRET_SIG) return "[secret]";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clearParts(v)]));
  }
  return value;
}

test("no Secret's data or kubectl annotation reaches the state in the clear; copies carry only name, labels, our annotations, type and secret data; secret chart values stay secret", async () => {
  const dir = tempDir();
  const backupFile = path.join(dir, "backup.yaml");
  fs.writeFileSync(backupFile, ownBackup(seedObjects()).text);
  const run = await runProgram({
    "cert-manager-upgrade:backupFile": backupFile,
    "cert-manager-upgrade:kubeconfig": writeKubeconfig(dir),
    "cert-manager-upgrade:context": "test-context",
    "cert-manager-upgrade:chart": writeChart(dir),
    "cert-manager-upgrade:webhook": "false",
    "cert-manager-upgrade:mapApiVersions": "true",
    "cert-manager-upgrade:acknowledgeUnsupportedKubernetes": "true",
    "cert-manager-upgrade:values": JSON.stringify({ http_proxy: `http://ops:${VALUES_MARKER}@proxy.example.com:8080` }),
  }, facts, true, { liveSecrets: liveSecrets(), secretKeys: ["cert-manager-upgrade:values"] });

  // A Secret read with `.get` is stored whole in the state: its annotation holds its data in the clear.
  assert.deepEqual(run.engineReads.filter((r) => r.type === "kubernetes:core/v1:Secret").map((r) => r.id), [], "no Secret is read through the engine");
  for (const name of SOURCES) assert.ok(run.reads.some((r) => r.id === `kube-system/${name}`), `${name} is read from the legacy namespace`);

  // Nothing the program registers holds the value outside a secret, in any encoding.
  for (const r of run.registrations) {
    const clear = JSON.stringify(clearParts(r.rawInputs));
    assert.equal(findMarker(clear, SOURCE_SECRET_PLAINTEXT), undefined, `${r.name}: a Secret value in the clear`);
    assert.equal(findMarker(clear, VALUES_MARKER), undefined, `${r.name}: a secret chart value in the clear`);
    assert.ok(!clear.includes(`"${LAST_APPLIED}":"`) || clear.split(`"${LAST_APPLIED}":`).slice(1).every((rest) => rest.startsWith('""')), `${r.name}: kubectl's annotation with a value`);
  }
  assert.equal(findMarker(JSON.stringify(run.outputs), SOURCE_SECRET_PLAINTEXT), undefined, "stack outputs");
  const release = run.registrations.find((r) => r.type === "kubernetes:helm.sh/v3:Release")!;
  assert.match(release.inputs.values.http_proxy, /proxy\.example\.com/, "the secret values still reach the release");
  assert.equal(release.inputs.values.webhook.enabled, false);
  assert.deepEqual(release.additionalSecretOutputs, ["values"], "and stay secret in its outputs");

  const copies = run.registrations.filter((r) => r.type === "kubernetes:core/v1:Secret" && r.custom);
  assert.deepEqual(copies.map((c) => c.inputs.metadata.name).sort(), SOURCES);
  for (const c of copies) {
    assert.deepEqual(Object.keys(c.rawInputs).sort(), ["apiVersion", "data", "kind", "metadata", "type"], `${c.name}: nothing else from the source`);
    assert.equal(c.rawInputs.data[Object.keys(c.rawInputs.data)[0]], SECRET_SIG, `${c.name}: data is a secret`);
    assert.deepEqual(c.inputs.data, { "key.json": SOURCE_SECRET_VALUE }, `${c.name}: the source's data, unchanged`);
    assert.equal(c.inputs.type, "Opaque");
    assert.deepEqual(Object.keys(c.inputs.metadata).sort(), ["annotations", "labels", "name", "namespace"]);
    for (const field of ["data", "stringData"]) assert.ok(c.additionalSecretOutputs.includes(field), `${c.name}: ${field} secret in outputs`);
    const annotations = c.inputs.metadata.annotations as Record<string, string>;
    assert.equal(annotations["cert-manager-upgrade/copied-from"], `kube-system/${c.inputs.metadata.name}`);
    if (c.inputs.metadata.name === HAND_COPY) {
      // Server-side apply takes the annotation over from kubectl and empties it on the live copy.
      assert.equal(annotations[LAST_APPLIED], "", "the hand-made copy's annotation is emptied");
    } else {
      assert.ok(!(LAST_APPLIED in annotations), `${c.name}: no kubectl annotation on a fresh copy`);
    }
  }
});
