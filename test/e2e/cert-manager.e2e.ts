// The promise observed (issue 12): the real cert-manager 0.6.2 controller and webhook read what the
// upgrade restored, on Kubernetes 1.15, with Pebble as the ACME server. The harness runs the
// cluster's cert-manager Deployments as processes in their own network namespaces
// (harness/kubelet.ts: what stands in for what is written there and in the README).
//   - positive: 0 new ACME accounts, 0 orders for certificates valid before (Pebble's log and the
//     controller's own metric), Ready as before as reported by the controller, the same
//     certificates (serial, NOT AFTER), `npm run verify` without --allow-pending, the real webhook
//     rejecting a DNS-01 reference without `key`;
//   - negative control: the same upgrade with one ACME key not copied (forced past the preflight
//     by the stack setting expectedMissingSecrets) registers a new account; a TLS key in PKCS#8
//     (which 0.6.2 cannot read) makes the controller start an order, as `plan` predicts when it
//     reports `reissues`.
// Nothing is left behind: no process, network namespace or link (checked at the end).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { CertManagerHarness, ReadyState, leftovers, readyStates, waitFor } from "../../harness/cert-manager";
import { spawn } from "node:child_process";
import { cleanupLeftoverPodNetworks, listPodLinks, listPodNamespaces } from "../../harness/pod-network";
import { LocalCluster, PulumiCli, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const MARKER = `e2e-secret-${process.pid}-do-not-print`;
/** A team certificate issued by letsencrypt-prod (ACME), given a PKCS#8 key in the negative control. */
const PKCS8_CERT = { namespace: "team-00", name: "svc-000", secret: "svc-000-tls" };
const STAGING_KEY = "cert-manager-setup-staging-private-key";
const WAIT_MS = 6 * 60_000;

let env: NodeJS.ProcessEnv;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-e2e-cm-"));
const logs: string[] = [];
const started: Array<{ cluster: LocalCluster; harness?: CertManagerHarness }> = [];

function script(name: string, args: string[]): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env }).then((r) => {
    logs.push(r.stdout, r.stderr);
    return r;
  });
}

interface Scenario {
  cluster: LocalCluster;
  harness: CertManagerHarness;
  kc: k8s.KubeConfig;
  backupFile: string;
  cli: PulumiCli;
  /** Ready states reported by the controllers before the backup. */
  before: Map<string, ReadyState>;
  /** TLS Secrets' data before, `namespace/name` → data. */
  tls: Map<string, Record<string, string>>;
  pebbleBefore: { accounts: number; orders: number };
  plan: { valid: boolean; reissues?: Array<{ kind: string; namespace: string; name: string; what: string; reason: string }> };
  /** What `pulumi preview` printed before the upgrade. */
  preview: string;
}

/** Seeds a 1.15 cluster with ACME at Pebble, lets the 0.4.1 stand-in register the accounts, takes the backup and the plan. */
async function setUp(name: string, options: { pkcs8?: boolean; notCopied?: string } = {}): Promise<Scenario> {
  const dir = path.join(work, name);
  const log = (line: string) => logs.push(`[${name}] ${line}`);
  const cluster = await startCluster(path.join(dir, "cluster"), env, { kubernetesVersion: "1.15", withoutEndpointsController: true, log });
  const entry: { cluster: LocalCluster; harness?: CertManagerHarness } = { cluster };
  started.push(entry);
  const harness = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(dir, "harness"), env, log });
  entry.harness = harness;
  const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(dir, "legacy-state"), "--namespaces", "2",
    "--certificates-per-namespace", "3", "--secret-marker", MARKER, "--acme-server", harness.pebble.directoryUrl]);
  assert.equal(seeded.code, 0, seeded.stderr);
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);

  // As on the user's cluster before the upgrade: the ACME accounts registered by the running
  // (stand-in) controller with the keys in kube-system, every issuer Ready as it reports.
  await harness.waitFor("the legacy controller registers both ACME accounts and reports every issuer Ready", async () => {
    const states = [...(await readyStates(kc)).values()].filter((s) => s.kind !== "Certificate");
    const notReady = states.filter((s) => s.ready !== "True");
    if (states.length !== 6 || notReady.length > 0) return `${notReady.map((s) => `${s.kind} ${s.namespace}/${s.name}: ${s.ready || "no status"} ${s.reason}`).join("; ")} (${states.length} issuers)`;
    const { accounts } = harness.counts();
    return accounts === 2 ? true : `Pebble has ${accounts} accounts`;
  }, WAIT_MS);
  const running = harness.kubelet.running();
  assert.deepEqual(running.map((p) => `${p.namespace}/${p.deployment} ${p.kind} ${p.version}`), ["kube-system/cert-manager controller v0.4.1"]);
  assert.deepEqual(await harness.signMeUp("kube-system", "cert-manager"), { 201: 2, 400: 2 },
    "the legacy controller looked each account up (400: none yet) and registered it (201)");

  const core = kc.makeApiClient(k8s.CoreV1Api);
  if (options.pkcs8) {
    // The same key, written as PKCS#8 (`PRIVATE KEY`, what today's openssl writes): 0.6.2 cannot read it.
    const s = await core.readNamespacedSecret({ namespace: PKCS8_CERT.namespace, name: PKCS8_CERT.secret });
    const pkcs8 = crypto.createPrivateKey(Buffer.from(s.data!["tls.key"], "base64")).export({ type: "pkcs8", format: "pem" }).toString();
    await core.replaceNamespacedSecret({ namespace: PKCS8_CERT.namespace, name: PKCS8_CERT.secret, body: { ...s, data: { ...s.data, "tls.key": Buffer.from(pkcs8).toString("base64") } } });
  }
  const tls = new Map<string, Record<string, string>>();
  for (const s of (await core.listSecretForAllNamespaces()).items) {
    if (s.type === "kubernetes.io/tls") tls.set(`${s.metadata!.namespace}/${s.metadata!.name}`, s.data ?? {});
  }
  const before = await readyStates(kc);
  const backupFile = path.join(dir, "backups", "cert-manager-backup.yaml");
  const backup = await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile]);
  assert.equal(backup.code, 0, backup.stderr);
  // The stack's expectedMissingSecrets, told to plan too, so that it predicts what that costs.
  const planRun = await script("plan", ["--backup", backupFile, "--json", ...(options.notCopied ? ["--expect-missing", options.notCopied] : [])]);
  const plan = JSON.parse(planRun.stdout) as Scenario["plan"];
  assert.equal(plan.valid, true, planRun.stdout);

  const cli = new PulumiCli(env, name, path.join(dir, "pulumi"), path.join(dir, `Pulumi.${name}.yaml`));
  await cli.init({
    backupFile, kubeconfig: cluster.kubeconfig, context: "local", chart: CHART_066,
    // The real webhook now runs: no stand-in. skipAwait: Helm's wait for Deployment readiness reads
    // Pod status, which no kubelet reports here (the processes run; their Pods stay Pending).
    mapApiVersions: "false", skipAwait: "true", webhook: "true", webhookTimeoutSeconds: "420",
  });
  if (options.notCopied) {
    // The stack setting that forces the upgrade past the preflight's "Secret missing" stop: the
    // Secret is then not copied, even though it exists in kube-system.
    const set = await cli.run(["config", "set", "--plaintext", "--path", "expectedMissingSecrets[0]", options.notCopied]);
    assert.equal(set.code, 0, set.stderr);
  }
  return { cluster, harness, kc, backupFile, cli, before, tls, pebbleBefore: harness.counts(), plan, preview: "" };
}

/** `pulumi up`, then waits until the 0.6.2 controller has looked at every restored object. */
async function upgrade(s: Scenario): Promise<Map<string, ReadyState>> {
  const preview = await s.cli.run(["preview"]);
  assert.equal(preview.code, 0, preview.stdout + preview.stderr);
  s.preview = preview.stdout + preview.stderr;
  // Condition times have whole seconds: the upgrade began no earlier than this second.
  const upgradeBegan = Math.floor(Date.now() / 1000) * 1000;
  const up = await s.cli.run(["up", "--yes", "--skip-preview"]);
  logs.push(up.stdout, up.stderr);
  assert.equal(up.code, 0, `${up.stdout.slice(-3000)}${up.stderr}\n${s.harness.kubelet.eventLog().join("\n")}`);
  assert.deepEqual(s.harness.kubelet.running().map((p) => `${p.namespace}/${p.deployment} ${p.kind} ${p.version}`).sort(),
    ["cert-manager/cert-manager controller v0.6.2", "cert-manager/cert-manager-webhook webhook v0.6.2"], "the release's pods run; the legacy one stopped with its Deployment");
  let states = new Map<string, ReadyState>();
  await s.harness.waitFor("the 0.6.2 controller reports on every restored object and on the webhook's own", async () => {
    states = await readyStates(s.kc);
    const missing = [...s.before.keys()].filter((k) => !states.get(k)?.ready);
    const webhookOwn = [...states.values()].filter((x) => x.namespace === "cert-manager" && x.ready !== "True");
    if (missing.length > 0 || webhookOwn.length > 0) return `no Ready condition yet: ${missing.join(", ")}; webhook's own not Ready: ${webhookOwn.map((x) => x.name).join(", ")}`;
    return true;
  }, WAIT_MS);
  // Reported by the 0.6.2 controller, not carried over: every object is new (the old CRDs took the
  // old ones with them) and its Ready condition was set after the upgrade began.
  for (const [key, was] of s.before) {
    const now = states.get(key)!;
    assert.notEqual(now.uid, was.uid, `${key} is a new object`);
    assert.ok(Date.parse(now.lastTransitionTime) >= upgradeBegan, `${key}: Ready ${now.ready} set at ${now.lastTransitionTime}, before the upgrade began (${new Date(upgradeBegan).toISOString()})`);
  }
  return states;
}

/** The Orders the controller created, each with its Certificate and whether it reached the ACME server. */
async function orders(kc: k8s.KubeConfig): Promise<Array<{ certificate: string; atServer: boolean; state: string }>> {
  const list = await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "orders" });
  return (list.items as Array<{ metadata: { namespace: string; ownerReferences?: Array<{ kind: string; name: string }> }; status?: { url?: string; state?: string } }>).map((o) => ({
    certificate: `${o.metadata.namespace}/${o.metadata.ownerReferences?.find((r) => r.kind === "Certificate")?.name ?? "?"}`,
    atServer: Boolean(o.status?.url),
    state: o.status?.state ?? "",
  }));
}

/** `namespace/name` of each Certificate with an order that reached the ACME server, sorted. */
function orderedCertificates(made: Array<{ certificate: string; atServer: boolean }>): string[] {
  return [...new Set(made.filter((o) => o.atServer).map((o) => o.certificate))].sort();
}

/** Names of the issuers the plan predicts will register a new ACME account, sorted. */
function predictedAccounts(plan: Scenario["plan"]): string[] {
  return (plan.reissues ?? []).filter((r) => r.what === "acme-account").map((r) => r.name).sort();
}

/** `namespace/name` of each Certificate the plan predicts will be issued anew, sorted. */
function predictedCertificates(plan: Scenario["plan"]): string[] {
  return [...new Set((plan.reissues ?? []).filter((r) => r.kind === "Certificate" && r.what === "certificate").map((r) => `${r.namespace}/${r.name}`))].sort();
}

before(async () => {
  env = await toolchainEnv({ build: true, echo: true, extras: ["cert-manager", "pebble"] });
});

after(async () => {
  for (const { cluster, harness } of started) {
    await harness?.stop();
    await cluster.stop();
  }
  fs.rmSync(work, { recursive: true, force: true });
});

describe("the real cert-manager 0.6.2 after the upgrade (Kubernetes 1.15, Pebble)", { concurrency: false }, () => {
  let s: Scenario;
  let after: Map<string, ReadyState>;

  test("the upgrade through the real webhook: no new ACME account, no order for a valid certificate", async () => {
    s = await setUp("positive");
    after = await upgrade(s);
    // The controller reaches ivan-test-cert's order some time after it reported Ready on every
    // object: wait until the Orders at Pebble are the predicted ones (a wrong prediction times out).
    assert.ok(s.plan.reissues, "plan --json predicts what 0.6.2 re-issues");
    await s.harness.waitFor("0.6.2 orders exactly the certificates the plan predicted", async () => {
      const ordered = orderedCertificates(await orders(s.kc));
      return JSON.stringify(ordered) === JSON.stringify(predictedCertificates(s.plan))
        ? true : `ordered ${JSON.stringify(ordered)}, predicted ${JSON.stringify(predictedCertificates(s.plan))}`;
    }, WAIT_MS);
    // Each Order the controller made has its state back from Pebble (Pebble logs an order before the controller records it).
    await s.harness.waitFor("every Order has its state", async () => {
      const pending = (await orders(s.kc)).filter((o) => o.state === "");
      return pending.length === 0 ? true : `${pending.length} Order(s) without a state: ${JSON.stringify(pending)}`;
    }, WAIT_MS);
    const pebbleAfter = s.harness.counts();
    assert.equal(pebbleAfter.accounts - s.pebbleBefore.accounts, 0, "no new ACME account in Pebble");
    const signMeUp = await s.harness.signMeUp("cert-manager", "cert-manager");
    assert.equal(signMeUp["201"] ?? 0, 0, `no account registered by 0.6.2 (sign-me-up ${JSON.stringify(signMeUp)})`);
    assert.ok((signMeUp["200"] ?? 0) >= 2, `each ClusterIssuer's existing account found (sign-me-up 200: ${JSON.stringify(signMeUp)})`);
    // Orders: only for a certificate that was not valid before (ivan-test-cert, never issued);
    // every order Pebble counted is one of those.
    const made = await orders(s.kc);
    const validBefore = [...s.before.values()].filter((x) => x.kind === "Certificate" && x.ready === "True").map((x) => `${x.namespace}/${x.name}`);
    assert.deepEqual(made.filter((o) => validBefore.includes(o.certificate)), [], "no order for a certificate valid before");
    assert.equal(pebbleAfter.orders - s.pebbleBefore.orders, made.filter((o) => o.atServer).length, `Pebble's new orders are exactly those: ${JSON.stringify(made)}`);
    // The prediction (`npm run plan -- --json`, `reissues`, when the plan makes one): the certificates
    // it says will be issued anew are exactly those the controller ordered.
    assert.deepEqual(predictedCertificates(s.plan), orderedCertificates(made), JSON.stringify(s.plan.reissues));
    assert.deepEqual(predictedAccounts(s.plan), [], "no new ACME account predicted, none registered");
    // The preview said the same before anything was deleted.
    assert.match(s.preview, new RegExp(`1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager 0\\.6\\.2 \\(test/ivan-test-cert\\)`));
    logs.push(`positive: Pebble ${JSON.stringify(s.pebbleBefore)} → ${JSON.stringify(pebbleAfter)}; sign-me-up ${JSON.stringify(signMeUp)}; orders ${JSON.stringify(made)}`);
  });

  test("Ready as before, as the real controller reports it; the same certificates", async () => {
    for (const [key, was] of s.before) {
      const now = after.get(key);
      if (was.ready === "True") assert.equal(now?.ready, "True", `${key}: Ready before, ${now?.ready} after (${now?.reason}: ${now?.message})`);
    }
    assert.equal(s.before.get("Certificate/default/wonder-app-cert")?.ready, "True");
    const ivan = after.get("Certificate/test/ivan-test-cert");
    assert.notEqual(ivan?.ready, "True", `ivan-test-cert fails as in the seed: ${JSON.stringify(ivan)}`);
    for (const name of ["cert-manager-webhook-selfsign", "cert-manager-webhook-ca"]) assert.equal(after.get(`Issuer/cert-manager/${name}`)?.ready, "True", name);
    for (const name of ["cert-manager-webhook-ca", "cert-manager-webhook-webhook-tls"]) assert.equal(after.get(`Certificate/cert-manager/${name}`)?.ready, "True", name);
    // Serial and NOT AFTER: the very same certificate in every TLS Secret (ivan-test-cert has none).
    const core = s.kc.makeApiClient(k8s.CoreV1Api);
    for (const [key, data] of s.tls) {
      const [namespace, name] = key.split("/");
      if (namespace === "cert-manager") continue;
      const now = await core.readNamespacedSecret({ namespace, name });
      const cert = (d: Record<string, string>) => new crypto.X509Certificate(Buffer.from(d["tls.crt"], "base64"));
      assert.equal(cert(now.data!).serialNumber, cert(data).serialNumber, `${key}: same serial`);
      assert.equal(cert(now.data!).validTo, cert(data).validTo, `${key}: same NOT AFTER`);
      assert.deepEqual(now.data, data, `${key}: untouched`);
    }
    const verify = await script("verify", ["--kubeconfig", s.cluster.kubeconfig, "--backup", s.backupFile]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /^default\s+Certificate\s+wonder-app-cert\s+True → True\s/m);
    // The seed's step 10 without the controller's log: why ivan-test-cert fails, from the objects the real controller wrote.
    assert.match(verify.stdout, /npm run explain -- --certificate test\/ivan-test-cert/);
    const explain = await script("explain", ["--kubeconfig", s.cluster.kubeconfig, "--certificate", "test/ivan-test-cert"]);
    assert.equal(explain.code, 0, explain.stdout + explain.stderr);
    assert.match(explain.stdout, /^ {2}order ivan-test-cert-[a-z0-9]+: state errored/m, explain.stdout);
    assert.doesNotMatch(explain.stdout, new RegExp(MARKER), "no Secret value printed");
  });

  test("the real webhook rejects a DNS-01 Secret reference without `key`", async () => {
    const custom = s.kc.makeApiClient(k8s.CustomObjectsApi);
    const body = { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "ClusterIssuer", metadata: { name: "no-key" },
      spec: { acme: { server: s.harness.pebble.directoryUrl, email: "ops@example.com", privateKeySecretRef: { name: "no-key" },
        dns01: { providers: [{ name: "clouddns", clouddns: { project: "p", serviceAccountSecretRef: { name: "clouddns-service-account" } } }] } } } };
    const err = await custom.createClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "clusterissuers", body }).then(() => undefined, (e: unknown) => e);
    assert.ok(err, "the ClusterIssuer was accepted");
    const body2 = String((err as { body?: unknown }).body ?? "");
    const message = body2.startsWith("{") ? (JSON.parse(body2) as { message: string }).message : String(err);
    assert.match(message, /^admission webhook "clusterissuers\.admission\.certmanager\.k8s\.io" denied the request: spec\.acme\.dns01\.providers\[0\]\.clouddns\.serviceAccountSecretRef\.key: Required value/);
  });

  test("negative control: an ACME key not copied registers a new account; a PKCS#8 TLS key starts an order", async () => {
    const n = await setUp("negative", { pkcs8: true, notCopied: STAGING_KEY });
    await upgrade(n);
    // Expected orders: the PKCS#8 certificate's and ivan-test-cert's (never issued), or what the plan predicts.
    assert.ok(n.plan.reissues, "plan --json predicts what 0.6.2 re-issues");
    const expected = predictedCertificates(n.plan);
    assert.deepEqual(predictedAccounts(n.plan), ["letsencrypt-staging"], `the account not copied is predicted: ${JSON.stringify(n.plan.reissues)}`);
    assert.match(n.preview, /2 certificates will be issued anew and 1 new ACME account registered by cert-manager 0\.6\.2/);
    assert.ok(expected.includes(`${PKCS8_CERT.namespace}/${PKCS8_CERT.name}`), `the PKCS#8 certificate is predicted: ${JSON.stringify(n.plan.reissues)}`);
    await n.harness.waitFor("0.6.2 registers a new account for letsencrypt-staging and orders the certificates it cannot read", async () => {
      const c = n.harness.counts();
      const ordered = orderedCertificates(await orders(n.kc));
      return c.accounts === n.pebbleBefore.accounts + 1 && JSON.stringify(ordered) === JSON.stringify(expected)
        ? true : `Pebble ${JSON.stringify(c)} (before ${JSON.stringify(n.pebbleBefore)}), ordered ${JSON.stringify(ordered)}, expected ${JSON.stringify(expected)}`;
    }, WAIT_MS);
    await n.harness.waitFor("every Order has its state", async () => {
      const pending = (await orders(n.kc)).filter((o) => o.state === "");
      return pending.length === 0 ? true : `${pending.length} Order(s) without a state`;
    }, WAIT_MS);
    assert.equal(n.harness.counts().orders - n.pebbleBefore.orders, (await orders(n.kc)).filter((o) => o.atServer).length, "Pebble's new orders are exactly those");
    const signMeUp = await n.harness.signMeUp("cert-manager", "cert-manager");
    assert.equal(signMeUp["201"], 1, `the controller registered one account (sign-me-up ${JSON.stringify(signMeUp)})`);
    const core = n.kc.makeApiClient(k8s.CoreV1Api);
    const generated = await core.readNamespacedSecret({ namespace: "cert-manager", name: STAGING_KEY });
    const legacy = await core.readNamespacedSecret({ namespace: "kube-system", name: STAGING_KEY });
    assert.notDeepEqual(generated.data, legacy.data, "0.6.2 generated a new key instead of the one in kube-system");
    logs.push(`negative: Pebble ${JSON.stringify(n.pebbleBefore)} → ${JSON.stringify(n.harness.counts())}; sign-me-up ${JSON.stringify(signMeUp)}`);
  });

  test("nothing left behind: no process, network namespace or link", async () => {
    for (const { cluster, harness } of started.splice(0)) {
      await harness?.stop();
      await cluster.stop();
    }
    await waitFor("every process, namespace and link gone", async () => {
      const left = leftovers();
      return left.length === 0 ? true : left.join(", ");
    }, 30_000, 500);
    process.stdout.write(`${logs.filter((l) => /^(positive|negative):/.test(l)).join("\n")}\n`);
  });
});

describe("a pod network whose owner is killed", () => {
  test("its bridge dies with the owner (parent-death signal); the next start removes its namespace and link", async () => {
    const child = path.join(work, "owner.ts");
    fs.writeFileSync(child, [
      `import * as net from "node:net";`,
      `import { PodNetwork } from ${JSON.stringify(path.join(ROOT, "harness", "pod-network.ts"))};`,
      `const server = net.createServer().listen(0, "127.0.0.1", async () => {`,
      `  const network = PodNetwork.create(${JSON.stringify(work)});`,
      `  await network.bridge((server.address() as net.AddressInfo).port, process.env);`,
      `  process.stdout.write(\`ready \${network.namespace} \${network.hostLink}\\n\`);`,
      `});`,
    ].join("\n"));
    // One process (no tsx wrapper, whose death the owner would notice and clean up after): SIGKILL leaves its network.
    const owner = spawn(NODE, ["--import", "tsx", child], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    owner.stderr.on("data", (d: Buffer) => (err += d));
    const line = await new Promise<string>((resolve, reject) => {
      owner.stdout.on("data", (d: Buffer) => {
        out += d;
        if (out.includes("\n")) resolve(out.trim());
      });
      owner.on("exit", (code) => reject(new Error(`the owner exited (${code}) before its network was up: ${err}`)));
    });
    const [, namespace, link] = line.split(" ");
    assert.ok(listPodNamespaces().includes(namespace) && listPodLinks().includes(link), line);
    const bridges = () => fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(`${namespace}-`);
      } catch {
        return false;
      }
    });
    assert.equal(bridges().length, 1, "the bridge runs");
    const exited = new Promise((resolve) => owner.once("exit", resolve));
    owner.kill("SIGKILL");
    await exited;
    await waitFor("the bridge dies with its owner", async () => (bridges().length === 0 ? true : `still running: ${bridges().join(", ")}`), 10_000, 100);
    assert.ok(listPodNamespaces().includes(namespace), "a SIGKILLed owner could not remove its namespace");
    const removed = cleanupLeftoverPodNetworks();
    assert.ok(removed.includes(`netns ${namespace}`), removed.join(", "));
    assert.ok(!listPodNamespaces().includes(namespace) && !listPodLinks().includes(link), "namespace and link gone");
  });
});
