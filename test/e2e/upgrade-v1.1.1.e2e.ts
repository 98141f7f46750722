// The promise of issue 20, observed: a cert-manager 0.4.1 cluster on Kubernetes 1.15 upgraded by the
// program to cert-manager v1.1.1 (stack setting targetVersion v1.1.1), with the real binaries: the
// seed as cert-manager.e2e.ts makes it (ACME issuers at Pebble, the accounts registered by the
// legacy stand-in), its TLS Secrets carrying the annotations 0.4.1 wrote, backup, `pulumi preview`
// and `pulumi up`, then v1.1.1's controller, webhook and cainjector run by the kubelet stand-in from
// the Deployments of the release the program installed.
//   - the preview shows each issuer's conversion;
//   - every restored object exists as cert-manager.io/v1; 0 new ACME accounts (Pebble's count and the
//     controller's own request metric); no Order for a certificate that was valid; each object Ready
//     before is Ready as v1.1.1 reports it (set after the upgrade began); each TLS Secret's data the
//     same bytes; their annotations renamed (cert-manager.io/issuer-name, -kind);
//   - renewal: a certificate inside its renewal window (issued 70 days ago, 10 days left) gets a new
//     certificate from Pebble through the HTTP-01 solver converted from its old `http01.ingressClass`
//     (Order valid, new serial and NOT AFTER in its Secret), Pebble validating through the ingress
//     stand-in to the acmesolver pod;
//   - negative controls, last: a valid certificate's Secret without the renamed issuer annotations is
//     ordered anew; an account key Secret gone from where v1.1.1 reads it means a new ACME account.
// Nothing is left behind: no process, network namespace or link (checked at the end).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { ReadyState, ordersV1, readyStates, readyStatesV1 } from "../../harness/cert-manager";
import { PulumiCli } from "../../lib/local-run";
import { harnessRun } from "../support/harness-run";
import { V1Object, issuersOfTlsSecrets, x509 } from "../support/cert-manager-v1";
import { RENEWAL_DUE, SEED_HTTP01_INGRESS_CLASS } from "../../lib/legacy-seed";

const MARKER = `e2e-secret-${process.pid}-do-not-print`;
const WAIT_MS = 8 * 60_000;
/** The class of the seed's HTTP-01 config (wonder-app-cert's), served by the ingress stand-in. */
const INGRESS_CLASS = SEED_HTTP01_INGRESS_CLASS;
/** A certificate added to the seed inside its renewal window, solved over HTTP-01 like wonder-app-cert. */
const RENEW = RENEWAL_DUE;

const e2e = harnessRun("cmu-e2e-up111-", ["cert-manager", "cert-manager-v1.1.1", "pebble"]);
const { logs, work, script } = e2e;

describe("0.4.1 on Kubernetes 1.15 upgraded to cert-manager v1.1.1 (targetVersion v1.1.1, real binaries, Pebble)", { concurrency: false }, () => {
  let kc: k8s.KubeConfig;
  let beforeStates: Map<string, ReadyState>;
  let afterStates: Map<string, ReadyState>;
  const tls = new Map<string, Record<string, string>>();
  /** Each Certificate's TLS Secret and issuerRef, `namespace/secret` → issuer. */
  const issuerOfSecret = new Map<string, { name: string; kind: string }>();
  let pebbleBefore: { accounts: number; orders: number };
  let preview = "";
  let upgradeBegan = 0;

  test("seed 0.4.1, back up, preview (conversion lines), up: v1.1.1 runs and reports on every restored object", async () => {
    kc = await e2e.startSeededLegacy({ certificatesPerNamespace: 3, secretMarker: MARKER });
    const core = kc.makeApiClient(k8s.CoreV1Api);

    // The seed's TLS Secrets carry the annotations 0.4.1 wrote; --renewal-due added default/renew-app
    // inside its renewal window (70 days old, 10 days left).
    for (const [key, issuer] of await issuersOfTlsSecrets(kc)) issuerOfSecret.set(key, issuer);

    await e2e.harness!.waitFor("the legacy controller registers both ACME accounts and reports every issuer Ready", async () => {
      const states = [...(await readyStates(kc)).values()].filter((s) => s.kind !== "Certificate");
      const notReady = states.filter((s) => s.ready !== "True");
      if (states.length !== 6 || notReady.length > 0) return `${notReady.map((s) => `${s.kind} ${s.namespace}/${s.name}: ${s.ready || "no status"} ${s.reason}`).join("; ")} (${states.length} issuers)`;
      const { accounts } = e2e.harness!.counts();
      return accounts === 2 ? true : `Pebble has ${accounts} accounts`;
    }, WAIT_MS);
    assert.deepEqual(e2e.harness!.kubelet.running().map((p) => `${p.namespace}/${p.deployment} ${p.kind} ${p.version}`), ["kube-system/cert-manager controller v0.4.1"]);

    for (const s of (await core.listSecretForAllNamespaces()).items) {
      if (s.type === "kubernetes.io/tls") tls.set(`${s.metadata!.namespace}/${s.metadata!.name}`, s.data ?? {});
    }
    beforeStates = await readyStates(kc);
    const backupFile = path.join(work, "backups", "cert-manager-backup.yaml");
    const backup = await script("backup", ["--kubeconfig", e2e.cluster!.kubeconfig, "--out", backupFile]);
    assert.equal(backup.code, 0, backup.stderr);

    const v111 = e2e.env.CMU_CERT_MANAGER_V111_DIR!;
    const cli = new PulumiCli(e2e.env, "up111", path.join(work, "pulumi"), path.join(work, "Pulumi.up111.yaml"));
    await cli.init({
      backupFile, kubeconfig: e2e.cluster!.kubeconfig, context: "local", targetVersion: "v1.1.1",
      chart: path.join(v111, "chart", "cert-manager-v1.1.1.tgz"), crdManifest: path.join(v111, "crds.legacy.yaml"),
      // skipAwait: Helm's wait for Deployment readiness reads Pod status, which no kubelet reports here.
      mapApiVersions: "false", skipAwait: "true", webhook: "true", webhookTimeoutSeconds: "420",
    });
    pebbleBefore = e2e.harness!.counts();
    const previewRun = await cli.run(["preview"]);
    preview = previewRun.stdout + previewRun.stderr;
    logs.push(preview);
    assert.equal(previewRun.code, 0, preview);
    assert.match(preview, /cert-manager v1\.1\.1: each issuer converted to cert-manager\.io\/v1/, preview);
    assert.match(preview, /ClusterIssuer\/letsencrypt-prod:/, preview);
    assert.match(preview, /http01 ingress class nginx, selector dnsNames \[[^\]]*wonder-app\.example\.com[^\]]*\]/, preview);
    // The prediction, told the TLS Secrets' annotations as v1.1.1 will see them (renamed): definite for every certificate.
    assert.match(preview, /plan: 2 certificates will be issued anew and 0 new ACME accounts registered by cert-manager v1\.1\.1 \(default\/renew-app, test\/ivan-test-cert\)/, preview);
    assert.doesNotMatch(preview, /cannot be told|issuer annotations were not given/, preview);
    logs.push(`figures: preview prediction: ${preview.split("\n").filter((l) => /issued anew|new ACME account|renew-app/.test(l)).map((l) => l.trim()).join(" | ")}`);

    upgradeBegan = Math.floor(Date.now() / 1000) * 1000;
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    logs.push(up.stdout, up.stderr);
    assert.equal(up.code, 0, `${up.stdout.slice(-4000)}${up.stderr}\n${e2e.harness!.kubelet.eventLog().join("\n")}`);
    logs.push(`figures: up took ${Math.round((Date.now() - upgradeBegan) / 1000)} s`);
    await e2e.harness!.waitFor("the kubelet stand-in runs v1.1.1's controller, webhook and cainjector (and nothing of 0.4.1)", async () => {
      const running = e2e.harness!.kubelet.running().filter((p) => p.kind !== "acmesolver").map((p) => `${p.namespace}/${p.deployment} ${p.kind} ${p.version}`).sort();
      return JSON.stringify(running) === JSON.stringify(["cert-manager/cert-manager controller v1.1.1", "cert-manager/cert-manager-cainjector cainjector v1.1.1", "cert-manager/cert-manager-webhook webhook v1.1.1"])
        ? true : `running: ${running.join(", ")}`;
    }, WAIT_MS);

    await e2e.harness!.waitFor("v1.1.1 reports Ready on every object Ready before, and on the rest a Ready condition", async () => {
      afterStates = await readyStatesV1(kc);
      const missing = [...beforeStates.keys()].filter((k) => !afterStates.get(k));
      if (missing.length > 0) return `not restored as cert-manager.io/v1: ${missing.join(", ")}`;
      const waiting = [...beforeStates].filter(([k, was]) => {
        const now = afterStates.get(k)!;
        return !now.ready || (was.ready === "True" && (now.ready !== "True" || Date.parse(now.lastTransitionTime) < upgradeBegan));
      }).map(([k]) => `${k} (${afterStates.get(k)!.ready || "no condition"} ${afterStates.get(k)!.reason} ${afterStates.get(k)!.lastTransitionTime})`);
      return waiting.length === 0 ? true : `waiting: ${waiting.join("; ")}`;
    }, WAIT_MS, 3000);
    logs.push(`figures: v1.1.1 Ready on every object ${Math.round((Date.now() - upgradeBegan) / 1000)} s after up began`);
  });

  test("every restored object is cert-manager.io/v1, Ready as before as v1.1.1 reports it (set after the upgrade began)", async () => {
    assert.ok(afterStates, "the upgrade ran");
    assert.equal(afterStates.size, beforeStates.size, `the same objects: ${[...afterStates.keys()].filter((k) => !beforeStates.has(k)).join(", ")}`);
    for (const [key, was] of beforeStates) {
      const now = afterStates.get(key)!;
      assert.notEqual(now.uid, was.uid, `${key} is a new object`);
      if (was.ready === "True") {
        assert.equal(now.ready, "True", `${key}: Ready before, ${now.ready} after (${now.reason}: ${now.message})`);
        assert.ok(Date.parse(now.lastTransitionTime) >= upgradeBegan, `${key}: Ready set at ${now.lastTransitionTime}, before the upgrade began (${new Date(upgradeBegan).toISOString()})`);
      }
    }
    assert.equal(beforeStates.get("Certificate/default/wonder-app-cert")?.ready, "True");
    // The old API group went with the old CRDs.
    const gone = await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "certificates" }).then(() => "served", (e: unknown) => String((e as { code?: number }).code));
    assert.equal(gone, "404", "certmanager.k8s.io/v1alpha1 no longer served");
  });

  test("0 new ACME accounts (Pebble and the controller's metric); no Order for a certificate that was valid", async () => {
    assert.ok(afterStates, "the upgrade ran");
    const validBefore = [...beforeStates.values()].filter((x) => x.kind === "Certificate" && x.ready === "True").map((x) => `${x.namespace}/${x.name}`);
    const renewKey = `${RENEW.namespace}/${RENEW.name}`;
    const ivanKey = "test/ivan-test-cert";
    // v1.1.1 orders only the renewal (its Order valid) and ivan-test-cert, never issued, whose Order
    // stays pending: its DNS-01 (clouddns) challenge cannot be presented with the seed's fake credentials.
    await e2e.harness!.waitFor("the renewal's Order valid, ivan-test-cert's at Pebble", async () => {
      const made = await ordersV1(kc);
      const renewal = made.filter((o) => o.certificate === renewKey);
      const ivan = made.filter((o) => o.certificate === ivanKey);
      if (!renewal.some((o) => o.state === "valid")) return `renewal Orders ${JSON.stringify(renewal)}`;
      return ivan.length > 0 && ivan.every((o) => o.atServer && o.state !== "") ? true : `ivan-test-cert's Orders ${JSON.stringify(ivan)}`;
    }, WAIT_MS, 3000);
    const made = await ordersV1(kc);
    const pebbleAfter = e2e.harness!.counts();
    const signMeUp = await e2e.harness!.signMeUp("cert-manager", "cert-manager");
    logs.push(`figures: Pebble ${JSON.stringify(pebbleBefore)} → ${JSON.stringify(pebbleAfter)}; sign-me-up ${JSON.stringify(signMeUp)}; orders ${JSON.stringify(made)}`);
    assert.equal(pebbleAfter.accounts - pebbleBefore.accounts, 0, "no new ACME account in Pebble");
    assert.equal(signMeUp["201"] ?? 0, 0, `no account registered by v1.1.1 (sign-me-up ${JSON.stringify(signMeUp)})`);
    assert.ok((signMeUp["200"] ?? 0) >= 2, `each ClusterIssuer's existing account found (sign-me-up ${JSON.stringify(signMeUp)})`);
    assert.deepEqual(made.filter((o) => validBefore.includes(o.certificate) && o.certificate !== renewKey), [], "no order for a certificate valid before (outside its renewal window)");
    assert.deepEqual([...new Set(made.map((o) => o.certificate))].sort(), [renewKey, ivanKey], `Orders only for the renewal and the certificate never issued: ${JSON.stringify(made)}`);
    assert.equal(pebbleAfter.orders - pebbleBefore.orders, made.filter((o) => o.atServer).length, `Pebble's new orders are exactly those: ${JSON.stringify(made)}`);
  });

  test("every TLS Secret's data the same bytes, its annotations renamed", async () => {
    assert.ok(afterStates, "the upgrade ran");
    const core = kc.makeApiClient(k8s.CoreV1Api);
    for (const [key, data] of tls) {
      const [namespace, name] = key.split("/");
      if (key === `${RENEW.namespace}/${RENEW.secret}`) continue;
      const now = await core.readNamespacedSecret({ namespace, name });
      assert.deepEqual(now.data, data, `${key}: data untouched`);
      const issuer = issuerOfSecret.get(key);
      if (!issuer) continue;
      const annotations = now.metadata?.annotations ?? {};
      // Keys only: kubectl's last-applied-configuration annotation holds Secret data.
      assert.equal(annotations["cert-manager.io/issuer-name"], issuer.name, `${key}: annotations ${Object.keys(annotations).join(", ")}`);
      assert.equal(annotations["cert-manager.io/issuer-kind"], issuer.kind, `${key}: annotations ${Object.keys(annotations).join(", ")}`);
      assert.equal(annotations["certmanager.k8s.io/issuer-name"], undefined, `${key}: the old annotation removed`);
    }
  });

  test("renewal: the certificate inside its renewal window renewed by Pebble through the converted HTTP-01 solver", async () => {
    assert.ok(afterStates, "the upgrade ran");
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const certificate = await custom.getNamespacedCustomObject({ group: "cert-manager.io", version: "v1", namespace: RENEW.namespace, plural: "certificates", name: RENEW.name }) as V1Object;
    assert.equal(certificate.spec?.issuerRef && (certificate.spec.issuerRef as { name: string }).name, "letsencrypt-prod");
    const issuer = await custom.getClusterCustomObject({ group: "cert-manager.io", version: "v1", plural: "clusterissuers", name: "letsencrypt-prod" }) as V1Object;
    const solvers = ((issuer.spec?.acme as { solvers: Array<{ http01?: { ingress?: { class?: string } }; selector?: { dnsNames?: string[] } }> }).solvers);
    const http01 = solvers.find((s) => s.selector?.dnsNames?.includes(RENEW.domain));
    assert.equal(http01?.http01?.ingress?.class, INGRESS_CLASS, `converted solver for ${RENEW.domain}: ${JSON.stringify(solvers)}`);
    const old = tls.get(`${RENEW.namespace}/${RENEW.secret}`)!;
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await e2e.harness!.waitFor("the renewed certificate in its Secret", async () => {
      const now = (await core.readNamespacedSecret({ namespace: RENEW.namespace, name: RENEW.secret })).data!;
      return x509(now).serialNumber !== x509(old).serialNumber ? true : "same serial";
    }, WAIT_MS, 3000);
    const now = (await core.readNamespacedSecret({ namespace: RENEW.namespace, name: RENEW.secret })).data!;
    assert.notEqual(x509(now).validTo, x509(old).validTo, "new NOT AFTER");
    assert.ok(Date.parse(x509(now).validTo) > Date.parse(x509(old).validTo), `NOT AFTER later: ${x509(old).validTo} → ${x509(now).validTo}`);
    assert.match(x509(now).issuer, /Pebble/i, `issued by Pebble: ${x509(now).issuer}`);
    assert.match(x509(now).subjectAltName ?? "", new RegExp(`DNS:${RENEW.domain.replace(/\./g, "\\.")}`));
    const answered = e2e.harness!.ingress!.served.filter((r) => r.host === RENEW.domain && r.path.startsWith("/.well-known/acme-challenge/") && r.status === 200);
    assert.ok(answered.length >= 1, `the challenge answered through the ingress stand-in: ${JSON.stringify(e2e.harness!.ingress!.served)}`);
    assert.ok(e2e.harness!.kubelet.eventLog().some((l) => /started Pod default\/cm-acme-http-solver-.* \(acmesolver v1\.1\.1\)/.test(l)), e2e.harness!.kubelet.eventLog().join("\n"));
    logs.push(`figures: renewal serial ${x509(old).serialNumber} → ${x509(now).serialNumber}, NOT AFTER ${x509(old).validTo} → ${x509(now).validTo}`);
  });

  // Negative controls, after every check above: undo one of the program's steps on the running
  // v1.1.1, and it does what that step prevented.
  test("negative control: a valid certificate's Secret without the renamed issuer annotations is issued anew by v1.1.1", async () => {
    assert.ok(afterStates, "the upgrade ran");
    const control = { namespace: "default", secret: "wonder-app-cert", certificate: "default/wonder-app-cert" };
    assert.equal(beforeStates.get(`Certificate/${control.certificate}`)?.ready, "True", "valid before the upgrade");
    assert.deepEqual((await ordersV1(kc)).filter((o) => o.certificate === control.certificate), [], "no Order for it while its annotations are renamed");
    const ordersAtPebble = e2e.harness!.counts().orders;
    // As if the program had not renamed them: no cert-manager.io/issuer-name or -kind on the Secret.
    await kc.makeApiClient(k8s.CoreV1Api).patchNamespacedSecret({ namespace: control.namespace, name: control.secret,
      body: { metadata: { annotations: { "cert-manager.io/issuer-name": null, "cert-manager.io/issuer-kind": null } } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
    await e2e.harness!.waitFor(`an Order for ${control.certificate} at Pebble`, async () => {
      const made = (await ordersV1(kc)).filter((o) => o.certificate === control.certificate);
      return made.some((o) => o.atServer) && e2e.harness!.counts().orders > ordersAtPebble ? true : `Orders ${JSON.stringify(made)}, Pebble ${e2e.harness!.counts().orders} (was ${ordersAtPebble})`;
    }, WAIT_MS, 3000);
    logs.push(`figures: control (annotations not renamed): ${control.certificate} ordered anew, Pebble orders ${ordersAtPebble} → ${e2e.harness!.counts().orders}`);
  });

  test("negative control: with the account key Secret not where v1.1.1 reads it, v1.1.1 registers a new ACME account", async () => {
    assert.ok(afterStates, "the upgrade ran");
    const accountsBefore = e2e.harness!.counts().accounts;
    const registeredBefore = (await e2e.harness!.signMeUp("cert-manager", "cert-manager"))["201"] ?? 0;
    // As if the program had not copied it: letsencrypt-staging's key gone from cert-manager's namespace.
    await kc.makeApiClient(k8s.CoreV1Api).deleteNamespacedSecret({ namespace: "cert-manager", name: "cert-manager-setup-staging-private-key" });
    await e2e.harness!.waitFor("a new account at Pebble, registered by v1.1.1", async () => {
      const registered = (await e2e.harness!.signMeUp("cert-manager", "cert-manager"))["201"] ?? 0;
      return e2e.harness!.counts().accounts > accountsBefore && registered > registeredBefore ? true : `Pebble ${e2e.harness!.counts().accounts} accounts (was ${accountsBefore}), sign-me-up 201×${registered}`;
    }, WAIT_MS, 3000);
    logs.push(`figures: control (account key not copied): Pebble accounts ${accountsBefore} → ${e2e.harness!.counts().accounts}`);
  });

  test("nothing left behind: no process, network namespace or link", async () => {
    await e2e.stopAndCheckNothingLeft();
  });
});
