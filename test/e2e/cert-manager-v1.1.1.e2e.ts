// cert-manager v1.1.1 end to end on Kubernetes 1.15 (issue 20's foundation): the legacy CRDs and
// the chart as the toolchain generates and packages them from the v1.1.1 module
// (scripts/toolchain-cert-manager-v1.1.1.sh), installed as a Helm release by helm (the version the
// Pulumi provider embeds); the controller, webhook and cainjector their Deployments describe, run by
// the kubelet stand-in (harness/kubelet.ts); Pebble validating HTTP-01 for real through the ingress
// stand-in (harness/ingress.ts) to the acmesolver pod the controller creates.
//   - the legacy CRDs are accepted by kube-apiserver 1.15.12 (apiextensions.k8s.io/v1beta1, served
//     version v1 only, no conversion);
//   - the real webhook admits the objects: it rejects an RSA key size out of range (a rule only the
//     webhook has), after the cainjector put the webhook's CA into the webhook configurations;
//   - a native cert-manager.io/v1 ClusterIssuer (ACME at Pebble, HTTP-01 with an ingress class)
//     registers its account; a Certificate is issued: its Order `valid`, its Secret holding a
//     certificate for the name signed by Pebble's intermediate, the challenge answered by the
//     acmesolver through the ingress stand-in (Pebble's request seen there with status 200).
// Nothing is left behind: no process, network namespace or link (checked at the end).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import * as yaml from "js-yaml";
import { CertManagerHarness, leftovers } from "../../harness/cert-manager";
import { LocalCluster, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";

const WAIT_MS = 6 * 60_000;
const INGRESS_CLASS = "cmu-harness";
const DOMAIN = "app.cmu-e2e.test";
const NAMESPACE = "cert-manager";

let env: NodeJS.ProcessEnv;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-e2e-cm111-"));
const logs: string[] = [];
let cluster: LocalCluster | undefined;
let harness: CertManagerHarness | undefined;
let kc: k8s.KubeConfig;

function log(line: string): void {
  logs.push(line);
}

async function helm(args: string[]): Promise<RunResult> {
  const r = await run(path.join(env.CMU_HELM_BIN!, "helm"), [...args, "--kubeconfig", cluster!.kubeconfig], { env: { ...env, HELM_CACHE_HOME: path.join(work, "helm", "cache"), HELM_CONFIG_HOME: path.join(work, "helm", "config"), HELM_DATA_HOME: path.join(work, "helm", "data") } });
  logs.push(r.stdout, r.stderr);
  return r;
}

type Condition = { type: string; status: string; reason?: string; message?: string };
type CustomObject = { metadata: { name: string; namespace?: string }; spec?: Record<string, unknown>; status?: { conditions?: Condition[]; state?: string; reason?: string } };

function ready(o: CustomObject): true | string {
  const c = o.status?.conditions?.find((x) => x.type === "Ready");
  return c?.status === "True" ? true : `Ready ${c?.status ?? "unset"}: ${c?.reason ?? ""} ${c?.message ?? ""}`.trim();
}

/** Pebble's intermediate certificate, from its management interface. */
function pebbleIntermediate(h: CertManagerHarness): Promise<crypto.X509Certificate> {
  return new Promise((resolve, reject) => {
    https.get(`https://127.0.0.1:${h.pebble.managementPort}/intermediates/0`, { ca: fs.readFileSync(h.pebble.caFile), timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () => (res.statusCode === 200 ? resolve(new crypto.X509Certificate(body)) : reject(new Error(`intermediates/0: HTTP ${res.statusCode}`))));
    }).on("error", reject);
  });
}

before(async () => {
  env = await toolchainEnv({ build: true, echo: true, extras: ["cert-manager-v1.1.1", "pebble"] });
});

after(async () => {
  await harness?.stop();
  await cluster?.stop();
  if (process.exitCode) {
    for (const line of logs.slice(-200)) if (line) console.error(line.trimEnd());
  }
  fs.rmSync(work, { recursive: true, force: true });
});

describe("cert-manager v1.1.1 on Kubernetes 1.15 (legacy CRDs, chart from the module, Pebble over HTTP-01)", { concurrency: false }, () => {
  test("the legacy CRDs, the chart's release and a certificate issued by Pebble through the acmesolver", async () => {
    const root = env.CMU_CERT_MANAGER_V111_DIR!;
    cluster = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion: "1.15", withoutEndpointsController: true, log });
    harness = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(work, "harness"), env, log, http01: { ingressClass: INGRESS_CLASS } });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);

    // The release's static legacy CRD manifest, as upstream tells users of Kubernetes < 1.16 to apply it.
    const crds = (yaml.loadAll(fs.readFileSync(path.join(root, "cert-manager-legacy.crds.yaml"), "utf8")) as k8s.KubernetesObject[]).filter(Boolean);
    assert.equal(crds.length, 6, "six CRDs");
    for (const crd of crds) {
      const spec = (crd as { spec: { versions: Array<{ name: string }>; conversion?: unknown; preserveUnknownFields?: unknown } }).spec;
      assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1beta1");
      assert.deepEqual(spec.versions.map((v) => v.name), ["v1"], `${crd.metadata?.name}: only v1`);
      assert.equal(spec.conversion, undefined, `${crd.metadata?.name}: no conversion`);
      await objects.create(crd);
    }
    for (const crd of crds) {
      await harness.waitFor(`CRD ${crd.metadata!.name} Established`, async () => {
        const got = await objects.read({ apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", metadata: { name: crd.metadata!.name! } }) as { status?: { conditions?: Condition[]; storedVersions?: string[] } };
        return got.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ? true : JSON.stringify(got.status?.conditions ?? []);
      }, 60_000, 500);
    }

    // The chart packaged from the module, installed as a Helm release (the CRDs above: installCRDs false).
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    const installed = await helm(["install", "cert-manager", path.join(root, "chart", "cert-manager-v1.1.1.tgz"), "--namespace", NAMESPACE]);
    assert.equal(installed.code, 0, installed.stderr);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const deployments = (await apps.listNamespacedDeployment({ namespace: NAMESPACE })).items;
    assert.deepEqual(deployments.map((d) => d.spec!.template.spec!.containers[0].image).sort(),
      ["quay.io/jetstack/cert-manager-cainjector:v1.1.1", "quay.io/jetstack/cert-manager-controller:v1.1.1", "quay.io/jetstack/cert-manager-webhook:v1.1.1"]);
    await harness.waitFor("the kubelet stand-in runs the controller, webhook and cainjector", async () => {
      const kinds = harness!.kubelet.running().map((p) => `${p.kind} ${p.version}`).sort();
      return kinds.join(",") === "cainjector v1.1.1,controller v1.1.1,webhook v1.1.1" ? true : `running: ${kinds.join(", ") || "none"}`;
    }, WAIT_MS);

    // The webhook's own CA, put into the webhook configurations by the cainjector.
    const admission = kc.makeApiClient(k8s.AdmissionregistrationV1Api);
    await harness.waitFor("the cainjector injects the webhook's CA into the ValidatingWebhookConfiguration", async () => {
      const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: "cert-manager-webhook-ca" }).catch(() => undefined);
      const ca = secret?.data?.["ca.crt"];
      if (!ca) return "Secret cert-manager-webhook-ca has no ca.crt yet";
      const vwc = await custom.getClusterCustomObject({ group: "admissionregistration.k8s.io", version: "v1beta1", plural: "validatingwebhookconfigurations", name: "cert-manager-webhook" }) as { webhooks: Array<{ clientConfig: { caBundle?: string } }> };
      return vwc.webhooks.every((w) => w.clientConfig.caBundle === ca) ? true : "caBundle not injected yet";
    }, WAIT_MS);
    void admission;

    // The real webhook: a rule only it enforces (RSA key size), until it answers.
    await core.createNamespace({ body: { metadata: { name: "app" } } });
    let rejection = "";
    await harness.waitFor("the webhook rejects an RSA key of 100 bits", async () => {
      try {
        await custom.createNamespacedCustomObject({ group: "cert-manager.io", version: "v1", namespace: "app", plural: "certificates", body: {
          apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "too-small" },
          spec: { secretName: "too-small-tls", dnsNames: [DOMAIN], issuerRef: { name: "pebble", kind: "ClusterIssuer" }, privateKey: { algorithm: "RSA", size: 100 } },
        } });
        await custom.deleteNamespacedCustomObject({ group: "cert-manager.io", version: "v1", namespace: "app", plural: "certificates", name: "too-small" });
        return "admitted (the webhook configuration is not effective yet)";
      } catch (err) {
        const body = (err as { body?: string }).body ?? (err as Error).message;
        if (/webhook\.cert-manager\.io/.test(body) && /denied/.test(body)) {
          rejection = body;
          return true;
        }
        return body.split("\n")[0].slice(0, 300);
      }
    }, WAIT_MS, 3000);
    assert.match(rejection, /2048/, rejection);

    // A native cert-manager.io/v1 ClusterIssuer and a Certificate.
    await custom.createClusterCustomObject({ group: "cert-manager.io", version: "v1", plural: "clusterissuers", body: {
      apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: "pebble" },
      spec: { acme: { server: harness.pebble.directoryUrl, email: "e2e@cmu-e2e.test", privateKeySecretRef: { name: "pebble-account-key" },
        solvers: [{ http01: { ingress: { class: INGRESS_CLASS } } }] } },
    } });
    await harness.waitFor("ClusterIssuer pebble Ready (ACME account registered)", async () =>
      ready(await custom.getClusterCustomObject({ group: "cert-manager.io", version: "v1", plural: "clusterissuers", name: "pebble" }) as CustomObject), WAIT_MS);
    assert.equal(harness.counts().accounts, 1, "one ACME account at Pebble");

    await custom.createNamespacedCustomObject({ group: "cert-manager.io", version: "v1", namespace: "app", plural: "certificates", body: {
      apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "app" },
      spec: { secretName: "app-tls", dnsNames: [DOMAIN], issuerRef: { name: "pebble", kind: "ClusterIssuer" } },
    } });
    await harness.waitFor("Certificate app/app Ready", async () =>
      ready(await custom.getNamespacedCustomObject({ group: "cert-manager.io", version: "v1", namespace: "app", plural: "certificates", name: "app" }) as CustomObject), WAIT_MS, 3000);

    const orders = (await custom.listNamespacedCustomObject({ group: "acme.cert-manager.io", version: "v1", namespace: "app", plural: "orders" }) as { items: CustomObject[] }).items;
    assert.deepEqual(orders.map((o) => o.status?.state), ["valid"], "one Order, valid");
    const solverPods = harness.kubelet.eventLog().filter((l) => /started Pod app\/cm-acme-http-solver-.* \(acmesolver v1\.1\.1\)/.test(l));
    assert.equal(solverPods.length, 1, `the acmesolver pod ran: ${harness.kubelet.eventLog().join("\n")}`);
    const answered = harness.ingress!.served.filter((r) => r.host === DOMAIN && r.path.startsWith("/.well-known/acme-challenge/") && r.status === 200 && r.backend?.includes("(10.250."));
    assert.ok(answered.length >= 2, `the challenge answered through the ingress stand-in by the solver pod (self check and Pebble): ${JSON.stringify(harness.ingress!.served)}`);

    const secret = await core.readNamespacedSecret({ namespace: "app", name: "app-tls" });
    const cert = new crypto.X509Certificate(Buffer.from(secret.data!["tls.crt"], "base64"));
    assert.match(cert.subjectAltName ?? "", new RegExp(`DNS:${DOMAIN.replace(/\./g, "\\.")}`));
    assert.ok(cert.verify((await pebbleIntermediate(harness)).publicKey), `signed by Pebble's intermediate (issuer ${cert.issuer})`);
    const key = crypto.createPrivateKey(Buffer.from(secret.data!["tls.key"], "base64"));
    assert.ok(cert.checkPrivateKey(key), "the Secret's key is the certificate's");
    assert.equal(secret.metadata?.annotations?.["cert-manager.io/issuer-name"], "pebble");

    await harness.stop();
    harness = undefined;
    await cluster.stop();
    cluster = undefined;
    assert.deepEqual(leftovers(), [], "nothing left behind");
  });
});
