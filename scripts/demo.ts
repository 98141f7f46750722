// `npm run demo`: the whole upgrade, end to end, on a throwaway local control plane.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { X509Certificate } from "node:crypto";
import { CertManagerHarness, ReadyState, leftovers, ordersV1, readyStates, readyStatesV1 } from "../harness/cert-manager";
import { RequirementsError, ensureRequirements } from "../harness/requirements";
import { KUBERNETES_VERSIONS, KubernetesVersion } from "../harness/control-plane";
import { CliError, EXIT_OK, UsageError, parseCommandLine, runMain, untilInterrupted } from "../lib/cli";
import { SEED_HTTP01_INGRESS_CLASS } from "../lib/legacy-seed";
import { LocalCluster, OptionalStep, PulumiCli, ROOT, run, startCluster, toolchainBuilt, toolchainEnv } from "../lib/local-run";
import { renewalStart } from "../lib/renewal-0.6.2";
import { TargetVersion } from "../lib/settings";

const DEMO_TARGETS: readonly TargetVersion[] = ["v0.6.2", "v1.1.1"];
const WAIT_MS = 600_000;

/** "default/renew-app ×2, test/ivan-test-cert": the Certificates v1.1.1 made Orders for, with a count where more than one. */
function ordersPerCertificate(orders: Array<{ certificate: string }>): string {
  const count = new Map<string, number>();
  for (const o of orders) count.set(o.certificate, (count.get(o.certificate) ?? 0) + 1);
  return [...count].map(([c, n]) => (n > 1 ? `${c} ×${n}` : c)).join(", ");
}

/** A TLS Secret's certificate, as the summary shows it (public facts only). */
interface HeldCertificate {
  serial: string;
  notBefore: string;
  notAfter: string;
}

function heldCertificate(secret: k8s.V1Secret | undefined): HeldCertificate | undefined {
  const crt = secret?.data?.["tls.crt"];
  if (!crt) return undefined;
  try {
    const x = new X509Certificate(Buffer.from(crt, "base64"));
    return { serial: x.serialNumber, notBefore: new Date(x.validFrom).toISOString().replace(/\.\d+Z$/, "Z"), notAfter: new Date(x.validTo).toISOString().replace(/\.\d+Z$/, "Z") };
  } catch {
    return undefined;
  }
}

interface CertificateBefore {
  /** "namespace/name" */
  key: string;
  namespace: string;
  secretName: string;
  held?: HeldCertificate;
  /** Ready True, its certificate outside its renewal window: v1.1.1 must not order it. */
  validOutsideWindow: boolean;
  /** Ready True, inside its renewal window: v1.1.1 renews it. */
  renewalDue: boolean;
}

/** Each Certificate's TLS certificate before the upgrade, and whether it is valid outside or inside its renewal window. */
async function certificatesBefore(kc: k8s.KubeConfig, states: Map<string, ReadyState>, now: Date): Promise<CertificateBefore[]> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const list = (await custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "certificates" })).items as Array<{ metadata: { name: string; namespace: string }; spec?: { secretName?: string; renewBefore?: string } }>;
  const out: CertificateBefore[] = [];
  for (const c of list) {
    const key = `${c.metadata.namespace}/${c.metadata.name}`;
    const secretName = c.spec?.secretName ?? "";
    const held = heldCertificate(await core.readNamespacedSecret({ namespace: c.metadata.namespace, name: secretName }).catch(() => undefined));
    const ready = states.get(`Certificate/${key}`)?.ready === "True";
    const due = held ? renewalStart(held.notBefore, held.notAfter, c.spec?.renewBefore).getTime() <= now.getTime() : false;
    out.push({ key, namespace: c.metadata.namespace, secretName, held, validOutsideWindow: ready && held !== undefined && !due, renewalDue: ready && due });
  }
  return out;
}

const USAGE = `Usage: npm run demo -- [--target v0.6.2|v1.1.1] [--kubernetes 1.15|1.34] [--namespaces N] [--certificates-per-namespace M] [--keep]

Builds or finds the toolchain (scripts/toolchain.sh: Pulumi CLI, Kubernetes provider,
kube-apiserver, etcd, all from Go modules; cached under ~/.cache/cert-manager-upgrade), starts a
local control plane on 127.0.0.1, seeds it as the seed's cluster was (cert-manager 0.4.1 in
kube-system, its issuers, certificates and Secrets), then runs the upgrade as a user would:
  npm run backup  ->  npm run plan  ->  pulumi preview  ->  pulumi up  ->  npm run verify
and stops the cluster. Uses ../shared/upstream/charts for the charts (no network).
On 1.15 the real cert-manager runs: Pebble (Let's Encrypt's test ACME server) on 127.0.0.1, and
the cluster's cert-manager Deployments run as processes in network namespaces of their own (the
0.4.1 release's controller by the 0.6.2 binary as a stand-in, then the 0.6.2 controller and
webhook of the new release): the upgrade goes through the real webhook, verify reads Ready as the
real controller reports it, and the demo counts what reached Pebble.
With --target v1.1.1 (stack setting targetVersion v1.1.1, Kubernetes 1.15 only) the upgrade goes to
cert-manager v1.1.1 (objects converted to cert-manager.io/v1, run by the real v1.1.1 binaries), the
seed has one certificate inside its renewal window, and the demo waits until v1.1.1 renewed it
(HTTP-01 through an ingress stand-in), runs npm run verify -- --target v1.1.1 and prints one line:
new ACME accounts, Orders for certificates valid before the upgrade, and the renewal's outcome.

  --target V                       v0.6.2 (default): cert-manager 0.6.2, chart v0.6.6; v1.1.1: see above
                                   (needs --kubernetes 1.15)
  --kubernetes V                   1.15 (default): the clusters that still run cert-manager 0.4, where
                                   both charts install as shipped; 1.34: a cluster newer than the
                                   chart (its retired API versions mapped at install, and
                                   acknowledgeUnsupportedKubernetes: 0.6.2 cannot run there)
  --namespaces N                   extra team namespaces to seed (default: 10)
  --certificates-per-namespace M   certificates in each (default: 30)
  --keep                           keep the cluster running after the upgrade, until Ctrl-C
                                   (its processes belong to this command and stop with it)`;

function step(title: string): () => void {
  const started = Date.now();
  process.stdout.write(`\n==> ${title}\n`);
  return () => process.stdout.write(`    (${((Date.now() - started) / 1000).toFixed(1)}s)\n`);
}

async function must(what: string, result: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new CliError(`${what} failed (exit ${r.code}): ${(r.stderr.trim() || r.stdout.trim()).split("\n").slice(-4).join(" | ")}`);
  return r.stdout;
}

runMain("demo", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    namespaces: { type: "string", default: "10" },
    "certificates-per-namespace": { type: "string", default: "30" },
    keep: { type: "boolean", default: false },
    kubernetes: { type: "string", default: "1.15" },
    target: { type: "string", default: "v0.6.2" },
  }, USAGE);
  if (!KUBERNETES_VERSIONS.includes(args.kubernetes as KubernetesVersion)) throw new UsageError(`--kubernetes ${args.kubernetes}: expected one of ${KUBERNETES_VERSIONS.join(", ")}`);
  if (!(DEMO_TARGETS as readonly string[]).includes(args.target!)) throw new UsageError(`--target ${args.target}: expected one of ${DEMO_TARGETS.join(", ")}`);
  const kubernetesVersion = args.kubernetes as KubernetesVersion;
  const newerThanChart = kubernetesVersion !== "1.15";
  const v111 = args.target === "v1.1.1";
  if (v111 && newerThanChart) throw new UsageError(`--target v1.1.1 runs on --kubernetes 1.15 only (cert-manager v1.1.1's legacy CRDs are for Kubernetes 1.15 and older), not ${kubernetesVersion}`);
  const started = Date.now();
  const charts = path.resolve(ROOT, "..", "shared", "upstream", "charts");
  if (!fs.existsSync(path.join(charts, "cert-manager-v0.6.6.tgz"))) {
    throw new CliError(`the demo needs the chart archives in ${charts} (the project's shared/ folder)`);
  }

  // cert-manager 0.6.2 runs on 1.15 only (1.22+ lack the APIs it uses): its binaries and Pebble then.
  // v1.1.1: the 0.6.2 binary still stands in for the legacy 0.4.1 controller before the upgrade.
  const extras: OptionalStep[] = newerThanChart ? [] : v111 ? ["cert-manager", "cert-manager-v1.1.1", "pebble"] : ["cert-manager", "pebble"];
  let done = step("this machine: what the toolchain build, the control plane and cert-manager's pods need");
  try {
    ensureRequirements([...(toolchainBuilt(extras) ? [] : ["toolchain-build" as const]), "control-plane", ...(newerThanChart ? [] : ["pod-networks" as const])],
      { log: (line) => process.stdout.write(`    ${line}\n`) });
  } catch (err) {
    if (err instanceof RequirementsError) throw new CliError(`nothing was started: ${err.message}`);
    throw err;
  }
  done();

  done = step("toolchain: find or build pulumi, the Kubernetes provider, kube-apiserver and etcd (first time: slow)");
  const env = await toolchainEnv({ build: true, echo: true, extras });
  done();

  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-demo-"));
  done = step(`local control plane: Kubernetes ${kubernetesVersion} on 127.0.0.1 (state in ${work})`);
  const say = (line: string) => process.stdout.write(`    ${line}\n`);
  let cluster: LocalCluster | undefined = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion, log: say, withoutEndpointsController: !newerThanChart }).catch((err: Error) => {
    throw new CliError(`the local control plane did not start: ${err.message}`);
  });
  done();
  let certManager: CertManagerHarness | undefined;
  try {
    if (!newerThanChart) {
      done = step("Pebble and the kubelet stand-in: cert-manager's Deployments run as processes, each in its own network namespace");
      certManager = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(work, "cert-manager"), env, log: say,
        // v1.1.1 renews over HTTP-01: Pebble validates through an ingress stand-in serving the seed's class.
        ...(v111 ? { http01: { ingressClass: SEED_HTTP01_INGRESS_CLASS } } : {}) });
      done();
    }
    // Paths as a user writes them in the project folder: relative to it (README "Usage"), for the
    // commands and the stack alike, although the files live in the work folder.
    const fromProject = (p: string) => path.relative(ROOT, p);
    const kube = ["--kubeconfig", fromProject(cluster.kubeconfig), "--context", cluster.context];
    const node = path.join(ROOT, "node_modules", ".bin", "node");
    const tsx = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const script = (name: string, rest: string[]) => run(node, [tsx, path.join(ROOT, "scripts", `${name}.ts`), ...rest], { env, echo: true });

    done = step("the cluster before: cert-manager 0.4.1 in kube-system (a real Helm release), the seed's issuers and certificates");
    await must("seeding", script("seed-legacy", [...kube, "--state", path.join(work, "legacy-state"),
      "--namespaces", args.namespaces!, "--certificates-per-namespace", args["certificates-per-namespace"]!,
      ...(certManager ? ["--acme-server", certManager.pebble.directoryUrl] : []), ...(v111 ? ["--renewal-due"] : [])]));
    done();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    let pebbleBefore = { accounts: 0, orders: 0 };
    let validBefore: string[] = [];
    let certificates: CertificateBefore[] = [];
    let objectsBefore: string[] = [];
    if (certManager) {
      const harness = certManager;
      done = step("the 0.4.1 release's controller (stand-in) registers the ACME accounts and reports the issuers Ready");
      await harness.waitFor("the legacy issuers Ready", async () => {
        const issuers = [...(await readyStates(kc)).values()].filter((s) => s.kind !== "Certificate");
        const waiting = issuers.filter((s) => s.ready !== "True");
        return issuers.length > 0 && waiting.length === 0 ? true : `${waiting.length} of ${issuers.length} not Ready yet: ${waiting.slice(0, 3).map((s) => `${s.name} ${s.reason}`).join(", ")}`;
      }, 600_000);
      pebbleBefore = harness.counts();
      const statesBefore = await readyStates(kc);
      validBefore = [...statesBefore.values()].filter((s) => s.kind === "Certificate" && s.ready === "True").map((s) => `${s.namespace}/${s.name}`);
      if (v111) {
        certificates = await certificatesBefore(kc, statesBefore, new Date());
        objectsBefore = [...statesBefore.keys()];
      }
      say(`Pebble: ${pebbleBefore.accounts} accounts, ${pebbleBefore.orders} orders`);
      done();
    }

    const backup = fromProject(path.join(work, "backups", "local", "cert-manager-backup.yaml"));
    done = step("npm run backup (the pre-step)");
    await must("backup", script("backup", [...kube, "--out", backup]));
    done();

    // plan speaks of 0.6.2 only; for v1.1.1 the preview shows the conversion and v1.1.1's prediction.
    if (!v111) {
      done = step("npm run plan (offline)");
      const plan = await script("plan", ["--backup", backup]);
      if (plan.code !== 0) throw new CliError("plan says the backup is not valid");
      done();
    }

    const pulumi = new PulumiCli(env, "local", path.join(work, "pulumi"), path.join(work, "Pulumi.local.yaml"));
    const v111Dir = env.CMU_CERT_MANAGER_V111_DIR ?? "";
    await pulumi.init({
      backupFile: backup,
      kubeconfig: fromProject(cluster.kubeconfig),
      context: cluster.context,
      ...(v111
        ? { targetVersion: "v1.1.1", chart: fromProject(path.join(v111Dir, "chart", "cert-manager-v1.1.1.tgz")), crdManifest: fromProject(path.join(v111Dir, "crds.legacy.yaml")),
          // v1.1.1's webhook answers once its cainjector has injected the CA it made: slower on a busy machine.
          webhookTimeoutSeconds: "420" }
        : { chart: fromProject(path.join(charts, "cert-manager-v0.6.6.tgz")) }),
      // A current API server no longer serves the chart's apps/v1beta1 etc., nor what the 0.6.2
      // binaries use (they could not run there); 1.15 serves both charts as shipped.
      mapApiVersions: String(newerThanChart),
      acknowledgeUnsupportedKubernetes: String(newerThanChart),
      // On 1.15 the real webhook runs (the harness); elsewhere no pod can.
      webhook: String(!newerThanChart),
      // Helm's wait reads Pod status, which no kubelet reports here.
      skipAwait: "true",
    });
    done = step("pulumi preview");
    await must("pulumi preview", pulumi.run(["preview"], { echo: true }));
    done();

    done = step("pulumi up");
    await must("pulumi up", pulumi.run(["up", "--yes", "--skip-preview"], { echo: true }));
    done();

    if (certManager && v111) {
      await afterUpgradeV111(certManager, kc, { certificates, objectsBefore, pebbleBefore, verify: () => script("verify", [...kube, "--backup", backup, "--target", "v1.1.1"]) });
    } else if (certManager) {
      const harness = certManager;
      done = step("the 0.6.2 controller reads what was restored (waiting until it reported on every object)");
      const expected = [...(await readyStates(kc)).keys()];
      await harness.waitFor("a Ready condition on every restored object", async () => {
        const now = await readyStates(kc);
        const waiting = expected.filter((k) => !now.get(k)?.ready);
        return waiting.length === 0 ? true : `${waiting.length} without a Ready condition yet (${waiting.slice(0, 3).join(", ")})`;
      }, 600_000);
      done();
      done = step("npm run verify (Ready as the real controller reports it)");
      await must("verify", script("verify", [...kube, "--backup", backup]));
      const after = harness.counts();
      const signMeUp = await harness.signMeUp("cert-manager", "cert-manager");
      const orders = await kc.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "orders" });
      const ordered = (orders.items as Array<{ metadata: { namespace: string; ownerReferences?: Array<{ name: string }> } }>).map((o) => `${o.metadata.namespace}/${o.metadata.ownerReferences?.[0]?.name ?? "?"}`);
      const reordered = [...new Set(ordered)].filter((c) => validBefore.includes(c));
      process.stdout.write(`\nACME: ${after.accounts - pebbleBefore.accounts} new accounts, ${after.orders - pebbleBefore.orders} new orders (Pebble)` +
        `${ordered.length > 0 ? ` — for ${[...new Set(ordered)].join(", ")} (${reordered.length > 0 ? "VALID before the upgrade" : "not valid before the upgrade"})` : ""}; ` +
        `cert-manager acme requests: sign-me-up 200×${signMeUp["200"] ?? 0}, 201×${signMeUp["201"] ?? 0}\n`);
      if (after.accounts !== pebbleBefore.accounts || (signMeUp["201"] ?? 0) > 0) throw new CliError(`a new ACME account was registered during the upgrade (Pebble: ${pebbleBefore.accounts} → ${after.accounts} accounts)`);
      if (reordered.length > 0) throw new CliError(`certificates valid before the upgrade were ordered anew: ${reordered.join(", ")}`);
      done();
    } else {
      done = step("npm run verify (no cert-manager controller can run on this Kubernetes, so Ready is not re-reported: --allow-pending)");
      await must("verify", script("verify", [...kube, "--backup", backup, "--allow-pending"]));
      done();
    }

    done = step("pulumi up again: nothing to change");
    await must("second pulumi up", pulumi.run(["up", "--yes", "--skip-preview"], { echo: false }));
    done();
    if (args.keep) {
      const interrupted = untilInterrupted();
      process.stdout.write(`\ncluster kept running: export KUBECONFIG=${cluster.kubeconfig}  (Ctrl-C stops it)\n`);
      await interrupted;
    }
  } finally {
    if (certManager) {
      const stopping = step("stopping cert-manager's processes, their network namespaces and Pebble");
      await certManager.stop();
      certManager = undefined;
      stopping();
    }
    if (cluster) {
      const stopping = step("stopping the local control plane");
      await cluster.stop();
      cluster = undefined;
      stopping();
    }
  }
  const left = leftovers();
  if (left.length > 0) throw new CliError(`left behind after stopping: ${left.join(", ")}`);
  process.stdout.write(`\ndemo: the upgrade ran end to end in ${((Date.now() - started) / 1000).toFixed(0)}s (work folder ${work})\n`);
  return EXIT_OK;
});

/**
 * After `pulumi up` to v1.1.1: its controller, webhook and cainjector run; v1.1.1 reports on every
 * restored object; the certificates inside their renewal window are renewed; verify --target v1.1.1;
 * then the one summary line, and a failure for a new account, an Order for a certificate valid before
 * (outside its renewal window), a renewal that did not happen, or verify's differences.
 */
async function afterUpgradeV111(harness: CertManagerHarness, kc: k8s.KubeConfig, facts: {
  certificates: CertificateBefore[]; objectsBefore: string[]; pebbleBefore: { accounts: number; orders: number }; verify: () => Promise<{ code: number; stdout: string; stderr: string }>;
}): Promise<void> {
  let done = step("the kubelet stand-in runs v1.1.1's controller, webhook and cainjector (nothing of 0.4.1 left)");
  const wanted = ["cert-manager/cert-manager controller v1.1.1", "cert-manager/cert-manager-cainjector cainjector v1.1.1", "cert-manager/cert-manager-webhook webhook v1.1.1"];
  await harness.waitFor("v1.1.1's pods running", async () => {
    const running = harness.kubelet.running().filter((p) => p.kind !== "acmesolver").map((p) => `${p.namespace}/${p.deployment} ${p.kind} ${p.version}`).sort();
    return JSON.stringify(running) === JSON.stringify(wanted) ? true : `running: ${running.join(", ") || "nothing"}`;
  }, WAIT_MS);
  done();

  done = step("v1.1.1 reads what was restored (waiting until it reported on every cert-manager.io/v1 object)");
  await harness.waitFor("a Ready condition on every restored object", async () => {
    const now = await readyStatesV1(kc);
    const waiting = facts.objectsBefore.filter((k) => !now.get(k)?.ready);
    return waiting.length === 0 ? true : `${waiting.length} of ${now.size} without a Ready condition yet (${waiting.slice(0, 3).join(", ")})`;
  }, WAIT_MS, 3000);
  done();

  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const due = facts.certificates.filter((c) => c.renewalDue);
  const renewals: string[] = [];
  const failures: string[] = [];
  done = step(`the renewal: ${due.map((c) => c.key).join(", ") || "no certificate"} inside its renewal window, renewed by v1.1.1 through Pebble (HTTP-01)`);
  for (const c of due) {
    const name = c.key.split("/")[1];
    const ordersOf = async () => (await ordersV1(kc)).filter((o) => o.certificate === c.key);
    const describeOrders = (orders: Awaited<ReturnType<typeof ordersOf>>) => orders.map((o) => `${o.name} ${o.state || "no state"}${o.reason ? ` (${o.reason})` : ""}`).join(", ") || "no Order";
    let renewed: HeldCertificate | undefined;
    try {
      await harness.waitFor(`${c.key} renewed (a new serial in Secret ${c.secretName})`, async () => {
        renewed = heldCertificate(await core.readNamespacedSecret({ namespace: c.namespace, name: c.secretName }));
        if (renewed && renewed.serial !== c.held?.serial) return true;
        const certificate = await custom.getNamespacedCustomObject({ group: "cert-manager.io", version: "v1", namespace: c.namespace, plural: "certificates", name }) as { status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> } };
        const conditions = (certificate.status?.conditions ?? []).map((x) => `${x.type} ${x.status}${x.reason ? ` ${x.reason}` : ""}${x.message ? `: ${x.message}` : ""}`).join("; ");
        return `same serial; Certificate: ${conditions || "no conditions"}; Orders: ${describeOrders(await ordersOf())}`;
      }, WAIT_MS, 3000);
      const orders = await ordersOf();
      const order = orders.find((o) => o.state === "valid") ?? orders[orders.length - 1];
      renewals.push(`${c.key} renewed (Order ${order ? order.state || "no state" : "none"}), serial ${c.held?.serial} → ${renewed!.serial}, NOT AFTER ${c.held?.notAfter} → ${renewed!.notAfter}`);
    } catch (err) {
      const cause = (err as Error).message;
      renewals.push(`${c.key} NOT renewed: ${cause}`);
      failures.push(`the renewal of ${c.key} did not happen: ${cause}`);
    }
  }
  if (due.length === 0) {
    renewals.push("no certificate was inside its renewal window");
    failures.push("the seed has no certificate inside its renewal window, so the renewal was not shown");
  }
  done();

  done = step("npm run verify -- --target v1.1.1 (the backup converted, compared with the cert-manager.io/v1 objects; Ready as v1.1.1 reports it)");
  const verified = await facts.verify();
  if (verified.code !== 0) failures.push(`verify --target v1.1.1 failed (exit ${verified.code}): ${(verified.stdout.trim() || verified.stderr.trim()).split("\n").filter((l) => /^(DIFFERENCE|verify:)/.test(l) || verified.code === 2).slice(0, 4).join(" | ")}`);
  done();

  const after = harness.counts();
  const signMeUp = await harness.signMeUp("cert-manager", "cert-manager");
  const orders = await ordersV1(kc);
  const validBefore = new Set(facts.certificates.filter((c) => c.validOutsideWindow).map((c) => c.key));
  const reordered = [...new Set(orders.map((o) => o.certificate).filter((c) => validBefore.has(c)))];
  const newAccounts = after.accounts - facts.pebbleBefore.accounts;
  const registered = signMeUp["201"] ?? 0;
  process.stdout.write(`\nv1.1.1: ${newAccounts} new ACME accounts (Pebble ${facts.pebbleBefore.accounts} → ${after.accounts}; controller sign-me-up 200×${signMeUp["200"] ?? 0}, 201×${registered}); ` +
    `${reordered.length} Orders for certificates valid before the upgrade (outside their renewal window)${reordered.length > 0 ? `: ${reordered.join(", ")}` : ""} ` +
    `(${after.orders - facts.pebbleBefore.orders} new orders at Pebble, for ${ordersPerCertificate(orders) || "none"}); renewal: ${renewals.join("; ")}\n`);
  if (newAccounts !== 0 || registered > 0) failures.unshift(`a new ACME account was registered during the upgrade (Pebble: ${facts.pebbleBefore.accounts} → ${after.accounts} accounts, sign-me-up 201×${registered})`);
  if (reordered.length > 0) failures.unshift(`certificates valid before the upgrade were ordered anew: ${reordered.join(", ")}`);
  if (failures.length > 0) throw new CliError(failures.join("; "));
}
