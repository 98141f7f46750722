// `npm run demo`: the whole upgrade, end to end, on a throwaway local control plane.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { CertManagerHarness, leftovers, readyStates } from "../harness/cert-manager";
import { RequirementsError, ensureRequirements } from "../harness/requirements";
import { KUBERNETES_VERSIONS, KubernetesVersion } from "../harness/control-plane";
import { CliError, EXIT_OK, UsageError, parseCommandLine, runMain, untilInterrupted } from "../lib/cli";
import { LocalCluster, PulumiCli, ROOT, run, startCluster, toolchainBuilt, toolchainEnv } from "../lib/local-run";

const USAGE = `Usage: npm run demo -- [--kubernetes 1.15|1.34] [--namespaces N] [--certificates-per-namespace M] [--keep]

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
  }, USAGE);
  if (!KUBERNETES_VERSIONS.includes(args.kubernetes as KubernetesVersion)) throw new UsageError(`--kubernetes ${args.kubernetes}: expected one of ${KUBERNETES_VERSIONS.join(", ")}`);
  const kubernetesVersion = args.kubernetes as KubernetesVersion;
  const newerThanChart = kubernetesVersion !== "1.15";
  const started = Date.now();
  const charts = path.resolve(ROOT, "..", "shared", "upstream", "charts");
  if (!fs.existsSync(path.join(charts, "cert-manager-v0.6.6.tgz"))) {
    throw new CliError(`the demo needs the chart archives in ${charts} (the project's shared/ folder)`);
  }

  // cert-manager 0.6.2 runs on 1.15 only (1.22+ lack the APIs it uses): its binaries and Pebble then.
  const extras: Array<"cert-manager" | "pebble"> = newerThanChart ? [] : ["cert-manager", "pebble"];
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
      certManager = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(work, "cert-manager"), env, log: say });
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
      ...(certManager ? ["--acme-server", certManager.pebble.directoryUrl] : [])]));
    done();
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    let pebbleBefore = { accounts: 0, orders: 0 };
    let validBefore: string[] = [];
    if (certManager) {
      const harness = certManager;
      done = step("the 0.4.1 release's controller (stand-in) registers the ACME accounts and reports the issuers Ready");
      await harness.waitFor("the legacy issuers Ready", async () => {
        const issuers = [...(await readyStates(kc)).values()].filter((s) => s.kind !== "Certificate");
        const waiting = issuers.filter((s) => s.ready !== "True");
        return issuers.length > 0 && waiting.length === 0 ? true : `${waiting.length} of ${issuers.length} not Ready yet: ${waiting.slice(0, 3).map((s) => `${s.name} ${s.reason}`).join(", ")}`;
      }, 600_000);
      pebbleBefore = harness.counts();
      validBefore = [...(await readyStates(kc)).values()].filter((s) => s.kind === "Certificate" && s.ready === "True").map((s) => `${s.namespace}/${s.name}`);
      say(`Pebble: ${pebbleBefore.accounts} accounts, ${pebbleBefore.orders} orders`);
      done();
    }

    const backup = fromProject(path.join(work, "backups", "local", "cert-manager-backup.yaml"));
    done = step("npm run backup (the pre-step)");
    await must("backup", script("backup", [...kube, "--out", backup]));
    done();

    done = step("npm run plan (offline)");
    const plan = await script("plan", ["--backup", backup]);
    if (plan.code !== 0) throw new CliError("plan says the backup is not valid");
    done();

    const pulumi = new PulumiCli(env, "local", path.join(work, "pulumi"), path.join(work, "Pulumi.local.yaml"));
    await pulumi.init({
      backupFile: backup,
      kubeconfig: fromProject(cluster.kubeconfig),
      context: cluster.context,
      chart: fromProject(path.join(charts, "cert-manager-v0.6.6.tgz")),
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

    if (certManager) {
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
