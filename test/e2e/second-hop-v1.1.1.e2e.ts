// The second hop of issue 20, observed: a cert-manager 0.4.1 cluster on Kubernetes 1.15 first upgraded
// by the program to 0.6.2 (the default target, the real 0.6.2 controller and webhook running), then,
// on the same stack, taken to cert-manager v1.1.1 (`targetVersion v1.1.1`, a new backup as the
// pre-step) with the real v1.1.1 binaries and Pebble:
//   - the preview says the stack's own release is replaced, and what goes when;
//   - 0.6.2's Deployments stop before v1.1.1's start; Helm holds one deployed release, chart v1.1.1;
//   - every object of the second backup (but the 0.6 chart's own webhook issuers) is back as
//     cert-manager.io/v1, Ready as before as v1.1.1 reports it; the certmanager.k8s.io CRDs are gone;
//   - 0 new ACME accounts (Pebble, the controller's metric); Orders only for the certificate inside
//     its renewal window (0.6.2 could not renew it) and the one never issued; TLS Secrets' data the
//     same bytes, annotations renamed; the renewal done through the converted HTTP-01 solver;
//   - a further `pulumi up` changes nothing.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ReadyState, ordersV1, readyStates, readyStatesV1 } from "../../harness/cert-manager";
import { PulumiCli, ROOT } from "../../lib/local-run";
import { CrdApi } from "../../lib/crd-api";
import { RetryLog } from "../../lib/kube";
import { decodeHelm3Text } from "../../lib/release-records";
import { harnessRun } from "../support/harness-run";
import { V1Object, issuersOfTlsSecrets, x509 } from "../support/cert-manager-v1";
import { RENEWAL_DUE, SEED_HTTP01_INGRESS_CLASS } from "../../lib/legacy-seed";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const MARKER = `e2e-secret-${process.pid}-do-not-print`;
const WAIT_MS = 8 * 60_000;
const INGRESS_CLASS = SEED_HTTP01_INGRESS_CLASS;
const RENEW = RENEWAL_DUE;
/** The 0.6.6 chart's webhook issuers and certificates (release cert-manager): Helm's, not restored. */
const CHART_OWNED = /^(Issuer|Certificate)\/cert-manager\/cert-manager-webhook-/;

const e2e = harnessRun("cmu-e2e-hop-", ["cert-manager", "cert-manager-v1.1.1", "pebble"]);
const { logs, work, script } = e2e;

function running(): string[] {
  return e2e.harness!.kubelet.running().filter((p) => p.kind !== "acmesolver").map((p) => `${p.namespace}/${p.deployment} ${p.kind} ${p.version}`).sort();
}

describe("the second hop: 0.4.1 → 0.6.2 → v1.1.1 on one stack (Kubernetes 1.15, real binaries, Pebble)", { concurrency: false }, () => {
  let kc: k8s.KubeConfig;
  let cli: PulumiCli;
  let beforeStates: Map<string, ReadyState>;
  let afterStates: Map<string, ReadyState>;
  const tls = new Map<string, Record<string, string>>();
  let issuerOfSecret: Map<string, { name: string; kind: string }>;
  /** Each TLS Secret's certmanager.k8s.io/issuer-name when the second backup was taken (0.6.2 rewrites the Secret of a certificate it tries to issue). */
  const issuerAnnotatedBefore = new Map<string, string | undefined>();
  let pebbleBefore: { accounts: number; orders: number };
  let upgradeBegan = 0;

  test("first hop: 0.4.1 upgraded to 0.6.2 by the program, 0.6.2 reports on every object", async () => {
    kc = await e2e.startSeededLegacy({ certificatesPerNamespace: 2, secretMarker: MARKER });
    // The seed's TLS Secrets carry the annotations 0.4.1 wrote; --renewal-due added default/renew-app inside its renewal window.
    issuerOfSecret = await issuersOfTlsSecrets(kc);
    await e2e.harness!.waitFor("the legacy controller registers both ACME accounts and reports every issuer Ready", async () => {
      const notReady = [...(await readyStates(kc)).values()].filter((s) => s.kind !== "Certificate" && s.ready !== "True");
      if (notReady.length > 0) return notReady.map((s) => `${s.kind} ${s.namespace}/${s.name}: ${s.ready || "no status"} ${s.reason}`).join("; ");
      return e2e.harness!.counts().accounts === 2 ? true : `Pebble has ${e2e.harness!.counts().accounts} accounts`;
    }, WAIT_MS);

    const firstBackup = path.join(work, "backups", "before-0.6.yaml");
    const backup = await script("backup", ["--kubeconfig", e2e.cluster!.kubeconfig, "--out", firstBackup]);
    assert.equal(backup.code, 0, backup.stderr);
    cli = new PulumiCli(e2e.env, "hop", path.join(work, "pulumi"), path.join(work, "Pulumi.hop.yaml"));
    await cli.init({ backupFile: firstBackup, kubeconfig: e2e.cluster!.kubeconfig, context: "local", chart: CHART_066,
      mapApiVersions: "false", skipAwait: "true", webhook: "true", webhookTimeoutSeconds: "420" });
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, `${up.stdout.slice(-4000)}${up.stderr}`);
    await e2e.harness!.waitFor("0.6.2's controller and webhook run (and nothing of 0.4.1)", async () =>
      JSON.stringify(running()) === JSON.stringify(["cert-manager/cert-manager controller v0.6.2", "cert-manager/cert-manager-webhook webhook v0.6.2"]) ? true : `running: ${running().join(", ")}`, WAIT_MS);
    await e2e.harness!.waitFor("0.6.2 reports a Ready condition on every object", async () => {
      const waiting = [...(await readyStates(kc)).values()].filter((s) => !s.ready);
      return waiting.length === 0 ? true : `${waiting.length} without one (${waiting.slice(0, 3).map((s) => `${s.kind}/${s.namespace}/${s.name}`).join(", ")})`;
    }, WAIT_MS);
  });

  test("second hop: a new backup, targetVersion v1.1.1; the preview says the release is replaced; up", async () => {
    assert.ok(cli, "the first hop ran");
    for (const s of (await kc.makeApiClient(k8s.CoreV1Api).listSecretForAllNamespaces()).items) {
      if (s.type !== "kubernetes.io/tls") continue;
      tls.set(`${s.metadata!.namespace}/${s.metadata!.name}`, s.data ?? {});
      issuerAnnotatedBefore.set(`${s.metadata!.namespace}/${s.metadata!.name}`, s.metadata?.annotations?.["certmanager.k8s.io/issuer-name"]);
    }
    beforeStates = await readyStates(kc);
    const secondBackup = path.join(work, "backups", "before-v1.yaml");
    const backup = await script("backup", ["--kubeconfig", e2e.cluster!.kubeconfig, "--out", secondBackup]);
    assert.equal(backup.code, 0, backup.stderr);
    const v111 = e2e.env.CMU_CERT_MANAGER_V111_DIR!;
    await cli.init({ backupFile: secondBackup, targetVersion: "v1.1.1", chart: path.join(v111, "chart", "cert-manager-v1.1.1.tgz"), crdManifest: path.join(v111, "crds.legacy.yaml") });
    pebbleBefore = e2e.harness!.counts();
    const previewRun = await cli.run(["preview", "--diff"]);
    const preview = previewRun.stdout + previewRun.stderr;
    logs.push(preview);
    assert.equal(previewRun.code, 0, preview);
    assert.match(preview, /REPLACES release cert-manager \(chart v0\.6\.6\) with cert-manager v1\.1\.1: DELETES Deployment cert-manager\/cert-manager, Deployment cert-manager\/cert-manager-webhook/, preview);
    assert.match(preview, /DELETES 5 certmanager\.k8s\.io CRDs after the restore/, preview);
    assert.match(preview, /not restored: .*Issuer\/cert-manager\/cert-manager-webhook-/, preview);
    assert.match(preview, /cert-manager v1\.1\.1: each issuer converted to cert-manager\.io\/v1/, preview);
    assert.match(preview, /plan: 2 certificates will be issued anew and 0 new ACME accounts registered by cert-manager v1\.1\.1 \(default\/renew-app, test\/ivan-test-cert\)/, preview);

    upgradeBegan = Math.floor(Date.now() / 1000) * 1000;
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    logs.push(up.stdout, up.stderr);
    assert.equal(up.code, 0, `${up.stdout.slice(-4000)}${up.stderr}\n${e2e.harness!.kubelet.eventLog().join("\n")}`);
    logs.push(`figures: second hop's up took ${Math.round((Date.now() - upgradeBegan) / 1000)} s`);
    await e2e.harness!.waitFor("the kubelet stand-in runs v1.1.1's controller, webhook and cainjector (and nothing of 0.6.2)", async () =>
      JSON.stringify(running()) === JSON.stringify(["cert-manager/cert-manager controller v1.1.1", "cert-manager/cert-manager-cainjector cainjector v1.1.1", "cert-manager/cert-manager-webhook webhook v1.1.1"])
        ? true : `running: ${running().join(", ")}`, WAIT_MS);
    const events = e2e.harness!.kubelet.eventLog();
    logs.push(`kubelet events:\n${events.join("\n")}`);
    const started062 = events.findIndex((l) => /started cert-manager\/cert-manager \(controller v0\.6\.2/.test(l));
    const stopped062 = events.findIndex((l, i) => i > started062 && /stopped cert-manager\/cert-manager \(/.test(l));
    const started111 = events.findIndex((l) => /started cert-manager\/cert-manager \(controller v1\.1\.1/.test(l));
    assert.ok(started062 >= 0 && stopped062 > started062 && started111 > stopped062, `0.6.2's controller stopped before v1.1.1's started:\n${events.join("\n")}`);

    await e2e.harness!.waitFor("v1.1.1 reports Ready on every object Ready before", async () => {
      afterStates = await readyStatesV1(kc);
      const expected = [...beforeStates.keys()].filter((k) => !CHART_OWNED.test(k));
      const missing = expected.filter((k) => !afterStates.get(k));
      if (missing.length > 0) return `not restored as cert-manager.io/v1: ${missing.join(", ")}`;
      const waiting = expected.filter((k) => {
        const now = afterStates.get(k)!;
        return !now.ready || (beforeStates.get(k)!.ready === "True" && (now.ready !== "True" || Date.parse(now.lastTransitionTime) < upgradeBegan));
      });
      return waiting.length === 0 ? true : `waiting: ${waiting.map((k) => `${k} ${afterStates.get(k)!.ready} ${afterStates.get(k)!.reason}`).join("; ")}`;
    }, WAIT_MS, 3000);
  });

  test("the objects: every one back as cert-manager.io/v1 (but the 0.6 chart's own), the certmanager.k8s.io CRDs gone, one Helm release of v1.1.1", async () => {
    assert.ok(afterStates, "the second hop ran");
    const expected = [...beforeStates.keys()].filter((k) => !CHART_OWNED.test(k)).sort();
    assert.ok(expected.length < beforeStates.size, "the 0.6 chart's webhook issuers were in the backup");
    assert.deepEqual([...afterStates.keys()].filter((k) => !CHART_OWNED.test(k)).sort(), expected);
    assert.deepEqual([...afterStates.keys()].filter((k) => CHART_OWNED.test(k)), [], "the 0.6 chart's webhook issuers are not restored");
    for (const key of expected) {
      if (beforeStates.get(key)!.ready === "True") assert.equal(afterStates.get(key)!.ready, "True", `${key}: ${afterStates.get(key)!.reason} ${afterStates.get(key)!.message}`);
    }
    const crds = (await (await CrdApi.discover(kc, new RetryLog())).list()).map((c) => c.name);
    assert.deepEqual(crds.filter((n) => n.endsWith(".certmanager.k8s.io")), [], `certmanager.k8s.io CRDs left: ${crds.join(", ")}`);
    const records = (await kc.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: "cert-manager", labelSelector: "owner=helm,name=cert-manager" })).items;
    const deployed = records.filter((r) => r.metadata?.labels?.status === "deployed").map((r) => decodeHelm3Text(Buffer.from(r.data!.release!, "base64").toString("latin1")).chartVersion);
    assert.deepEqual(deployed, ["v1.1.1"], `Helm's deployed records: ${records.map((r) => `${r.metadata?.name} ${r.metadata?.labels?.status}`).join(", ")}`);
  });

  test("0 new ACME accounts; Orders only for the certificate due and the one never issued; TLS Secrets the same, annotations renamed; the renewal done", async () => {
    assert.ok(afterStates, "the second hop ran");
    await e2e.harness!.waitFor("the renewal's Order valid and the renewed certificate in its Secret", async () => {
      const renewal = (await ordersV1(kc)).filter((o) => o.certificate === `${RENEW.namespace}/${RENEW.name}`);
      if (!renewal.some((o) => o.state === "valid")) return `renewal Orders ${JSON.stringify(renewal)}`;
      const now = (await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace: RENEW.namespace, name: RENEW.secret })).data!;
      return x509(now).serialNumber !== x509(tls.get(`${RENEW.namespace}/${RENEW.secret}`)!).serialNumber ? true : "same serial";
    }, WAIT_MS, 3000);
    const made = await ordersV1(kc);
    const signMeUp = await e2e.harness!.signMeUp("cert-manager", "cert-manager");
    const pebbleAfter = e2e.harness!.counts();
    logs.push(`figures: Pebble ${JSON.stringify(pebbleBefore)} → ${JSON.stringify(pebbleAfter)}; sign-me-up ${JSON.stringify(signMeUp)}; orders ${JSON.stringify(made)}`);
    assert.equal(pebbleAfter.accounts - pebbleBefore.accounts, 0, "no new ACME account in Pebble");
    assert.equal(signMeUp["201"] ?? 0, 0, `no account registered by v1.1.1 (sign-me-up ${JSON.stringify(signMeUp)})`);
    const allowed = new Set([`${RENEW.namespace}/${RENEW.name}`, "test/ivan-test-cert"]);
    assert.deepEqual(made.filter((o) => !allowed.has(o.certificate)), [], `Orders only for the renewal and the certificate never issued: ${JSON.stringify(made)}`);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    let renamed = 0;
    for (const [key, data] of tls) {
      const [namespace, name] = key.split("/");
      if (key === `${RENEW.namespace}/${RENEW.secret}` || namespace === "cert-manager") continue;
      const now = await core.readNamespacedSecret({ namespace, name });
      assert.deepEqual(now.data, data, `${key}: data untouched`);
      const issuer = issuerOfSecret.get(key);
      if (!issuer || issuerAnnotatedBefore.get(key) === undefined) continue;
      const annotations = now.metadata?.annotations ?? {};
      assert.equal(annotations["cert-manager.io/issuer-name"], issuer.name, `${key}: annotations ${Object.keys(annotations).join(", ")}`);
      assert.equal(annotations["certmanager.k8s.io/issuer-name"], undefined, `${key}: the old annotation removed`);
      renamed++;
    }
    assert.ok(renamed >= 5, `the renamed annotations checked on ${renamed} Secrets`);
    const issuer = await kc.makeApiClient(k8s.CustomObjectsApi).getClusterCustomObject({ group: "cert-manager.io", version: "v1", plural: "clusterissuers", name: "letsencrypt-prod" }) as V1Object;
    assert.ok(((issuer.spec?.acme as { solvers: Array<{ http01?: { ingress?: { class?: string } } }> }).solvers).some((s) => s.http01?.ingress?.class === INGRESS_CLASS));
  });

  test("npm run verify -- --target v1.1.1 with the second backup: every object as converted, the 0.6 chart's own left aside", async () => {
    assert.ok(afterStates, "the second hop ran");
    const verified = await script("verify", ["--kubeconfig", e2e.cluster!.kubeconfig, "--backup", path.join(work, "backups", "before-v1.yaml"), "--target", "v1.1.1"]);
    assert.equal(verified.code, 0, `${verified.stdout}\n${verified.stderr}`);
    assert.match(verified.stdout, /verify: all \d+ objects \(cert-manager\.io\/v1, as converted for cert-manager v1\.1\.1\)/);
    assert.doesNotMatch(verified.stdout, /cert-manager-webhook-selfsign/);
  });

  test("a further pulumi up changes nothing", async () => {
    assert.ok(afterStates, "the second hop ran");
    const again = await cli.run(["preview", "--expect-no-changes"]);
    logs.push(again.stdout, again.stderr);
    assert.equal(again.code, 0, `${again.stdout.slice(-3000)}${again.stderr}`);
  });

  test("nothing left behind: no process, network namespace or link", async () => {
    await e2e.stopAndCheckNothingLeft();
  });
});
