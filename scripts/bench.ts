// `npm run bench`: the whole upgrade as a user runs it, from a real cert-manager 0.4.1 release, on a
// fresh local control plane per pair, against kubectl on the same cluster state. Prints medians and
// spread of the pairs, writes JSON, and the README's table (lib/bench-report.ts does the arithmetic).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { CertManagerHarness, readyStates } from "../harness/cert-manager";
import { KUBERNETES_VERSIONS, KubernetesVersion } from "../harness/control-plane";
import { RequirementsError, ensureRequirements } from "../harness/requirements";
import { PairMeasure, StampedEvent, previewInUp, renderGoals, renderMarkdown, summarize, upParts, updateEvents } from "../lib/bench-report";
import { readBackupFile } from "../lib/backup-file";
import { parseBackup } from "../lib/backup-format";
import { CliError, EXIT_OK, UsageError, parseCommandLine, renderTable, runMain } from "../lib/cli";
import { LocalCluster, PulumiCli, ROOT, run, startCluster, toolchainBuilt, toolchainEnv } from "../lib/local-run";
import { statusCode } from "../lib/kube";
import { buildRestorePlan } from "../lib/plan";
import { projectPath } from "../lib/project-path";
import { spawnOwned } from "../harness/processes";

const USAGE = `Usage: npm run bench -- [--sizes 1000,10000] [--pairs 3] [--kube 1.15|1.34] [--controller-ready auto|on|off] [--out FILE] [--markdown FILE] [--keep-logs DIR] [--up-profile DIR] [--add-to FILE] [--from FILE]

Runs the upgrade as the demo does, each measurement on a fresh local control plane seeded alike: a
real cert-manager 0.4.1 Helm release (npm run seed-legacy) with that many Certificates (50 namespaces,
two Issuers each; on 1.15 the real controller registers the ACME accounts with Pebble first), then
npm run backup. A pair is two such clusters, one per side:
  - pulumi: \`pulumi preview\`, then \`pulumi up --yes\` as a user runs them (on 1.15 with the real
    0.6.2 webhook and controller running). Measured: the whole \`pulumi up\` and its parts (from its
    event log): program start, removal (the old release, its CRDs and every object with them, waited
    for), 0.6 CRDs, release, webhook wait, restore; the unmanaged window, from the moment the old
    Certificate CRD is seen going (watched during the run) to the moment the last restore batch
    finished; peak RSS of the engine, language host, program and each provider (the process tree,
    sampled); (on 1.15) the time after \`up\` until the 0.6.2 controller reported Ready on every object;
  - kubectl: the cluster taken to the state the restore meets by this program's steps before it
    (\`pulumi up --exclude\` the restore; not timed), the 0.6.2 webhook running, its controller
    stopped (its ingress-shim would make a removed Certificate again); then
    \`kubectl apply -f\` of the backup as the seed does it and of the sanitized objects the restore
    sends (and \`--server-side\` of them where the cluster serves it), the restored objects removed
    before each but the first.
Pairs alternate which side runs first (pair 1: pulumi, pair 2: kubectl, ...) and, every two pairs,
which kubectl baseline comes first.

  --sizes LIST            certificate counts, multiples of 50 (default: 1000,10000; 100 for a quick check)
  --pairs N               pairs per size (default: 3)
  --kube V                Kubernetes 1.15 (default: the real webhook and controller run) or 1.34
  --controller-ready M    wait for the controller's Ready on every object: auto (default: sizes up
                          to 1,000; at 10,000 it takes about 35 min at 0.6.2's pace), on, off
  --out FILE              JSON results, written after every pair (default: bench/results.json;
                          the folder is ignored by git)
  --markdown FILE         the README's table (default: bench/performance.md)
  --keep-logs DIR         keep each pulumi up's output and event log in DIR
  --up-profile DIR        write each pulumi up engine's CPU and memory profiles and trace into DIR
                          (pulumi --profiling; read with \`go tool pprof\`)
  --from FILE             no run: print the report of an earlier results file and write its table
  --add-to FILE           summarize with the pairs of an earlier results file (its other sizes), e.g.
                          a 10,000 run with fewer pairs added to a 1,000 run`;

const NAMESPACES = 50;
/** Which part of a `pulumi up` a process is, from its command line. */
function processRole(cmdline: string[]): string {
  const exe = path.basename(cmdline[0] ?? "");
  const all = cmdline.join(" ");
  if (exe === "pulumi") return "engine";
  if (exe.startsWith("pulumi-resource-kubernetes")) return "kubernetesProvider";
  if (/dynamic-provider|pulumi-resource-pulumi-nodejs/.test(all)) return "dynamicProvider";
  if (exe.startsWith("pulumi-language-nodejs")) return "languageHost";
  if (exe === "node" || exe.endsWith("node")) return "program";
  return "other";
}

/** Samples pids under `root` every 250 ms: per role the peak of the role's RSS summed at one instant, and the whole tree's. */
function sampleMemory(root: number): () => Record<string, number> {
  const peaks: Record<string, number> = {};
  const sample = () => {
    const parent = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      } catch {
        // gone meanwhile
      }
    }
    const inTree = (pid: number): boolean => {
      for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
      return false;
    };
    const now: Record<string, number> = { total: 0 };
    for (const pid of parent.keys()) {
      if (!inTree(pid)) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
        const mib = (Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * 4) / 1024;
        const role = processRole(cmdline);
        now[role] = (now[role] ?? 0) + mib;
        now.total += mib;
      } catch {
        // gone meanwhile
      }
    }
    for (const [role, mib] of Object.entries(now)) peaks[role] = Math.max(peaks[role] ?? 0, Math.round(mib));
  };
  const timer = setInterval(sample, 250);
  return () => {
    clearInterval(timer);
    sample();
    return peaks;
  };
}

/**
 * Watches the old Certificate CRD every 100 ms: when it is first seen going (deletionTimestamp set,
 * or gone). From then on no Certificate is managed: the CRD's deletion takes every one with it.
 */
function watchCrdDeletion(kc: k8s.KubeConfig, crdVersion: string): { stop: () => number | undefined } {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let uid: string | undefined;
  let goneAt: number | undefined;
  let stopped = false;
  const poll = async () => {
    while (!stopped && goneAt === undefined) {
      const asked = Date.now();
      try {
        const crd = await custom.getClusterCustomObject({ group: "apiextensions.k8s.io", version: crdVersion, plural: "customresourcedefinitions", name: "certificates.certmanager.k8s.io" }) as k8s.KubernetesObject;
        if (uid === undefined) uid = crd.metadata?.uid;
        if (crd.metadata?.deletionTimestamp || crd.metadata?.uid !== uid) goneAt = asked;
      } catch (err) {
        if (statusCode(err) === 404 && uid !== undefined) goneAt = asked;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  void poll();
  return { stop: () => ((stopped = true), goneAt) };
}

/** Runs a command, its stdout kept in a file, the event log read as it grows (each line stamped when read). */
function runUp(command: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, eventLog: string): Promise<{ code: number; startMs: number; endMs: number; events: StampedEvent[]; memory: Record<string, number>; tail: string }> {
  return new Promise((resolve, reject) => {
    const startMs = Date.now();
    const out = fs.openSync(logFile, "w");
    const child = spawnOwned(command, [...args, "--event-log", eventLog], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    const stopMemory = sampleMemory(child.pid!);
    const events: StampedEvent[] = [];
    let offset = 0;
    let partial = "";
    let head = "";
    const readEvents = () => {
      let fd: number;
      try {
        fd = fs.openSync(eventLog, "r");
      } catch {
        return;
      }
      try {
        // The update opens the log anew (truncated) after the preview `pulumi up` runs first, and may
        // have written more than the preview had by the next read: its first line tells.
        const first = Buffer.alloc(256);
        const firstBytes = first.subarray(0, fs.readSync(fd, first, 0, first.length, 0)).toString("utf8");
        if (fs.fstatSync(fd).size < offset || (offset > 0 && !firstBytes.startsWith(head.slice(0, firstBytes.length)))) {
          offset = 0;
          partial = "";
        }
        if (offset === 0 || firstBytes.length > head.length) head = firstBytes;
        const buf = Buffer.alloc(1 << 20);
        for (;;) {
          const n = fs.readSync(fd, buf, 0, buf.length, offset);
          if (n <= 0) break;
          offset += n;
          partial += buf.subarray(0, n).toString("utf8");
        }
      } finally {
        fs.closeSync(fd);
      }
      const lines = partial.split("\n");
      partial = lines.pop()!;
      const at = Date.now();
      for (const line of lines) {
        try {
          if (line.trim()) events.push({ at, event: JSON.parse(line) });
        } catch {
          // a line cut by the truncation: not an event
        }
      }
    };
    const tailer = setInterval(readEvents, 50);
    const stamp = (d: Buffer) => {
      for (const line of d.toString().split("\n")) if (line) fs.writeSync(out, `${((Date.now() - startMs) / 1000).toFixed(1).padStart(6)} ${line}\n`);
    };
    child.stdout!.on("data", stamp);
    child.stderr!.on("data", stamp);
    child.on("error", reject);
    child.on("close", (code) => {
      const endMs = Date.now();
      clearInterval(tailer);
      readEvents();
      const memory = stopMemory();
      fs.closeSync(out);
      const tail = fs.readFileSync(logFile, "utf8").split("\n").filter((l) => /error|failed/i.test(l)).slice(-3).join(" | ");
      resolve({ code: code ?? 1, startMs, endMs, events, memory, tail });
    });
  });
}

async function must(what: string, result: Promise<{ code: number; stdout: string; stderr: string }>): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new CliError(`${what} failed (exit ${r.code}): ${(r.stderr.trim() || r.stdout.trim()).split("\n").slice(-4).join(" | ")}`);
  return r.stdout;
}

async function timedKubectl(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now();
  await must(`kubectl ${args.slice(0, 3).join(" ")}`, run("kubectl", args, { env }));
  return (Date.now() - started) / 1000;
}

const NAMESPACED_KINDS = "certificates.certmanager.k8s.io,issuers.certmanager.k8s.io";
const CLUSTER_KINDS = "clusterissuers.certmanager.k8s.io";

/** The restored objects left ("kind/name" lines): the chart's own webhook objects in cert-manager are not counted. */
async function restoredObjectsLeft(env: NodeJS.ProcessEnv): Promise<string[]> {
  const namespaced = await must("listing the objects", run("kubectl", ["get", NAMESPACED_KINDS, "--all-namespaces", "-o", "name", "--field-selector", "metadata.namespace!=cert-manager"], { env }));
  const cluster = await must("listing the ClusterIssuers", run("kubectl", ["get", CLUSTER_KINDS, "-o", "name"], { env }));
  return `${namespaced}\n${cluster}`.split("\n").filter((l) => l.trim() !== "");
}

/** Removes what a baseline restored; the chart's own webhook objects in cert-manager stay. */
async function removeRestoredObjects(env: NodeJS.ProcessEnv): Promise<void> {
  // Without --wait kubectl returns at once; it would otherwise wait for each object in turn.
  await must("deleting the restored objects", run("kubectl", ["delete", NAMESPACED_KINDS, "--all-namespaces", "--field-selector", "metadata.namespace!=cert-manager", "--wait=false"], { env }));
  await must("deleting the restored ClusterIssuers", run("kubectl", ["delete", CLUSTER_KINDS, "--all", "--wait=false"], { env }));
  for (let i = 0; ; i++) {
    const left = await restoredObjectsLeft(env);
    if (left.length === 0) return;
    if (i >= 300) throw new CliError(`the restored objects were not gone 10 minutes after their deletion: ${left.length} left`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** A fresh cluster seeded for one measurement, and how to stop it. */
interface SeededCluster {
  label: string;
  dir: string;
  kc: k8s.KubeConfig;
  certManager?: CertManagerHarness;
  kubectlEnv: NodeJS.ProcessEnv;
  backup: string;
  sanitized: string;
  objects: number;
  pulumi: PulumiCli;
  stop: () => Promise<void>;
}

type UpMeasure = { objects: number; figures: Pick<PairMeasure, "preview" | "up" | "programStart" | "previewInUp" | "parts" | "unmanagedWindow" | "controllerReady" | "memory"> };
type KubectlMeasure = Pick<PairMeasure, "kubectlBackup" | "kubectlSanitized" | "kubectlServerSide">;

function readResults(file: string): { kubernetes: string; pairs: PairMeasure[] } {
  let previous: { kubernetes?: string; pairs?: PairMeasure[] };
  try {
    previous = JSON.parse(fs.readFileSync(projectPath(file), "utf8"));
  } catch (err) {
    // The parser's message quotes the file's text: only say what kind of failure it was.
    throw new UsageError(`${file}: not a results file of npm run bench (${(err as NodeJS.ErrnoException).code ?? "not JSON"}); give the --out file of a run`);
  }
  if (!Array.isArray(previous.pairs) || typeof previous.kubernetes !== "string") throw new UsageError(`${file}: not a results file of npm run bench (no pairs in it)`);
  return { kubernetes: previous.kubernetes, pairs: previous.pairs };
}

function writeFile(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function say(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}

runMain("bench", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    sizes: { type: "string", default: "1000,10000" },
    pairs: { type: "string", default: "3" },
    kube: { type: "string", default: "1.15" },
    "controller-ready": { type: "string", default: "auto" },
    out: { type: "string", default: path.join("bench", "results.json") },
    markdown: { type: "string", default: path.join("bench", "performance.md") },
    "keep-logs": { type: "string" },
    "add-to": { type: "string" },
    "up-profile": { type: "string" },
    from: { type: "string" },
  }, USAGE);
  if (args.from) {
    // The report of an earlier run, printed and written again (e.g. after the report's format changed).
    const previous = readResults(args.from);
    const summaries = summarize(previous.pairs);
    const markdown = renderMarkdown(summaries) + "\n" + renderGoals(summaries);
    writeFile(projectPath(args.markdown!), markdown);
    process.stdout.write(`Medians (spread) over the pairs of ${args.from}, Kubernetes ${previous.kubernetes}:\n\n${markdown}\nbench: the README's table in ${args.markdown}\n`);
    return EXIT_OK;
  }
  const sizes = args.sizes!.split(",").map(Number);
  const pairs = Number(args.pairs);
  if ([...sizes, pairs].some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError(`--sizes ${args.sizes} --pairs ${args.pairs}: positive whole numbers expected`);
  if (sizes.some((n) => n % NAMESPACES !== 0 && n >= NAMESPACES)) throw new UsageError(`--sizes ${args.sizes}: each size a multiple of ${NAMESPACES} (the certificates are spread evenly over ${NAMESPACES} namespaces), or below it`);
  if (!KUBERNETES_VERSIONS.includes(args.kube as KubernetesVersion)) throw new UsageError(`--kube ${args.kube}: expected one of ${KUBERNETES_VERSIONS.join(", ")}`);
  if (!["auto", "on", "off"].includes(args["controller-ready"]!)) throw new UsageError(`--controller-ready ${args["controller-ready"]}: expected auto, on or off`);
  const kubernetesVersion = args.kube as KubernetesVersion;
  const realCertManager = kubernetesVersion === "1.15";
  const extras: Array<"cert-manager" | "pebble"> = realCertManager ? ["cert-manager", "pebble"] : [];
  try {
    ensureRequirements([...(toolchainBuilt(extras) ? [] : ["toolchain-build" as const]), "control-plane", ...(realCertManager ? ["pod-networks" as const] : [])], { log: say });
  } catch (err) {
    if (err instanceof RequirementsError) throw new CliError(`nothing was started: ${err.message}`);
    throw err;
  }
  const env = await toolchainEnv({ build: true, echo: true, extras });
  const node = path.join(ROOT, "node_modules", ".bin", "node");
  const tsx = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  const chart = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-bench-"));
  const logs = args["keep-logs"] ? projectPath(args["keep-logs"]) : path.join(work, "logs");
  fs.mkdirSync(logs, { recursive: true });
  const measured: PairMeasure[] = [];
  // Pairs of an earlier run (e.g. 10,000 certificates with fewer pairs) summarized with this run's.
  const earlier: PairMeasure[] = [];
  if (args["add-to"]) {
    const previous = readResults(args["add-to"]);
    if (previous.kubernetes !== kubernetesVersion) throw new UsageError(`--add-to ${args["add-to"]}: measured on Kubernetes ${previous.kubernetes}, not ${kubernetesVersion}`);
    earlier.push(...previous.pairs.filter((p) => !sizes.includes(p.size)));
  }
  const benchStarted = Date.now();

  /** A fresh control plane seeded as a user's cluster: the real 0.4.1 release, its issuers Ready, a backup taken, a stack configured. */
  async function seedFreshCluster(label: string, dir: string, shape: { size: number; namespaces: number; perNamespace: number }): Promise<SeededCluster> {
    say(`${label}: fresh control plane (Kubernetes ${kubernetesVersion})`);
    const cluster: LocalCluster = await startCluster(path.join(dir, "cluster"), env, { kubernetesVersion, withoutEndpointsController: realCertManager });
    let certManager: CertManagerHarness | undefined;
    const stop = async () => {
      if (certManager) await certManager.stop();
      await cluster.stop();
    };
    try {
      if (realCertManager) certManager = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(dir, "cert-manager"), env, log: () => undefined });
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      const kube = ["--kubeconfig", cluster.kubeconfig, "--context", cluster.context];
      const script = (name: string, rest: string[]) => run(node, [tsx, path.join(ROOT, "scripts", `${name}.ts`), ...rest], { env });
      const started = Date.now();
      say(`${label}: seeding a real 0.4.1 release with ${shape.namespaces} × ${shape.perNamespace} certificates (npm run seed-legacy)`);
      await must("seeding", script("seed-legacy", [...kube, "--state", path.join(dir, "legacy-state"), "--namespaces", String(shape.namespaces), "--certificates-per-namespace", String(shape.perNamespace),
        ...(certManager ? ["--acme-server", certManager.pebble.directoryUrl] : [])]));
      const seedScriptSeconds = (Date.now() - started) / 1000;
      if (certManager) {
        say(`${label}: seed-legacy took ${seedScriptSeconds.toFixed(0)} s; waiting for the 0.4.1 controller to report the issuers Ready`);
        const harness = certManager;
        await harness.waitFor("the legacy issuers Ready", async () => {
          const issuers = [...(await readyStates(kc)).values()].filter((s) => s.kind !== "Certificate");
          const waiting = issuers.filter((s) => s.ready !== "True");
          return issuers.length > 0 && waiting.length === 0 ? true : `${waiting.length} of ${issuers.length} not Ready yet`;
        }, 900_000, 3000);
      }
      say(`${label}: seeded in ${((Date.now() - started) / 1000).toFixed(0)} s; npm run backup`);
      const backup = path.join(dir, "backup.yaml");
      await must("backup", script("backup", [...kube, "--out", backup]));
      const plan = buildRestorePlan(parseBackup(readBackupFile(backup), backup));
      const sanitized = path.join(dir, "sanitized.json");
      fs.writeFileSync(sanitized, JSON.stringify({ apiVersion: "v1", kind: "List", items: plan.restore.map((r) => r.object) }));
      const pulumi = new PulumiCli(env, "bench", path.join(dir, "pulumi"), path.join(dir, "Pulumi.bench.yaml"));
      await pulumi.init({
        backupFile: backup, kubeconfig: cluster.kubeconfig, context: cluster.context, chart,
        mapApiVersions: String(!realCertManager), acknowledgeUnsupportedKubernetes: String(!realCertManager),
        webhook: String(realCertManager),
        // As the demo: Helm's wait reads Pod status, which the kubelet stand-in does not report.
        skipAwait: "true",
      });
      return { label, dir, kc, certManager, kubectlEnv: { ...env, KUBECONFIG: cluster.kubeconfig }, backup, sanitized, objects: plan.restore.length, pulumi, stop };
    } catch (err) {
      await stop();
      throw err;
    }
  }

  /** `pulumi preview`, then the whole `pulumi up` as a user runs it, its parts, the unmanaged window, memory; then (optionally) the controller's pace. */
  async function measureUp(seeded: SeededCluster, options: { controllerReady: boolean; tag: string }): Promise<UpMeasure> {
    const { label, kc, pulumi, certManager, objects } = seeded;
    say(`${label}: pulumi preview`);
    const started = Date.now();
    await must("pulumi preview", pulumi.run(["preview"]));
    const preview = (Date.now() - started) / 1000;

    say(`${label}: pulumi up (the whole upgrade; ${objects} objects to restore)`);
    // Kubernetes 1.15 serves CRDs as v1beta1 only, 1.34 as v1 only.
    const crdWatch = watchCrdDeletion(kc, realCertManager ? "v1beta1" : "v1");
    // --event-log is offered with PULUMI_DEBUG_COMMANDS only (the Automation API sets it too).
    const profile = args["up-profile"] ? ["--profiling", path.join(projectPath(args["up-profile"]), options.tag)] : [];
    if (args["up-profile"]) fs.mkdirSync(projectPath(args["up-profile"]), { recursive: true });
    const up = await runUp("pulumi", [...profile, "up", "--yes", "--stack", pulumi.stack, "--config-file", pulumi.configFile, "--non-interactive"], { ...pulumi.env, PULUMI_DEBUG_COMMANDS: "true" }, path.join(logs, `${options.tag}.log`), path.join(logs, `${options.tag}.events.jsonl`));
    const crdGoneAt = crdWatch.stop();
    if (up.code !== 0) throw new CliError(`pulumi up failed (exit ${up.code}): ${up.tail} (log: ${path.join(logs, `${options.tag}.log`)})`);
    const upSeconds = (up.endMs - up.startMs) / 1000;
    const timeline = upParts(updateEvents(up.events), up.startMs);
    const parts = Object.fromEntries(Object.entries(timeline.parts).map(([k, span]) => [k, +(span.end - span.start).toFixed(2)]));
    const unmanagedWindow = crdGoneAt !== undefined && timeline.lastRestoreEnd !== undefined ? timeline.lastRestoreEnd - (crdGoneAt - up.startMs) / 1000 : undefined;
    say(`${label}: pulumi up ${upSeconds.toFixed(1)} s (${Object.entries(parts).map(([k, v]) => `${k} ${v} s`).join(", ")}); unmanaged window ${unmanagedWindow?.toFixed(1) ?? "?"} s`);

    let readySeconds: number | undefined;
    if (certManager && options.controllerReady) {
      say(`${label}: waiting until the 0.6.2 controller reported Ready on every restored object (about 5 objects/s)`);
      const expected = [...(await readyStates(kc)).keys()];
      await certManager.waitFor("a Ready condition on every restored object", async () => {
        const now = await readyStates(kc);
        const waiting = expected.filter((k) => !now.get(k)?.ready);
        return waiting.length === 0 ? true : `${waiting.length} without a Ready condition yet`;
      }, 3_600_000, 1000);
      readySeconds = (Date.now() - up.endMs) / 1000;
      say(`${label}: Ready on all ${expected.length} objects ${readySeconds.toFixed(0)} s after pulumi up`);
    }
    return {
      objects,
      figures: {
        preview: +preview.toFixed(2), up: +upSeconds.toFixed(2), programStart: timeline.programStart, previewInUp: previewInUp(up.events, up.startMs), parts,
        unmanagedWindow: unmanagedWindow !== undefined ? +unmanagedWindow.toFixed(2) : undefined, controllerReady: readySeconds !== undefined ? +readySeconds.toFixed(1) : undefined, memory: up.memory,
      },
    };
  }

  /**
   * The baselines on their own fresh cluster, at the state the restore meets: this program's steps
   * before the restore (`pulumi up --exclude` the restore and what follows it; not timed), the
   * 0.6.2 webhook running and its controller stopped; then `kubectl apply` of the backup and of the sanitized
   * objects, the restored objects removed before the second.
   */
  async function measureKubectl(seeded: SeededCluster, options: { sanitizedFirst: boolean; tag: string }): Promise<KubectlMeasure> {
    const { label, kubectlEnv, pulumi, backup, sanitized } = seeded;
    say(`${label}: the upgrade up to the restore (pulumi up --exclude the restore; not timed)`);
    await must("pulumi up up to the restore", pulumi.run(["up", "--yes", "--skip-preview", "--exclude", "**RestoredResources**", "--exclude-dependents"]));
    if (seeded.certManager) {
      // Stopped as after a restore by hand: its ingress-shim would otherwise create a removed
      // Certificate again (test/ivan-test-cert, which belongs to an annotated Ingress).
      await must("stopping the controller", run("kubectl", ["scale", "deployment", "cert-manager", "--namespace", "cert-manager", "--replicas", "0"], { env: kubectlEnv }));
      await new Promise((r) => setTimeout(r, 3000));
    }
    const left = await restoredObjectsLeft(kubectlEnv);
    if (left.length > 0) throw new CliError(`the upgrade up to the restore left ${left.length} of the old objects (e.g. ${left[0]}): the baselines need them gone`);
    const baselines: Array<[keyof KubectlMeasure, string[]]> = [
      ["kubectlBackup", ["apply", "-f", backup]],
      ["kubectlSanitized", ["apply", "-f", sanitized]],
    ];
    if (options.sanitizedFirst) baselines.reverse();
    if (!realCertManager) baselines.push(["kubectlServerSide", ["apply", "--server-side", "--force-conflicts", "-f", sanitized]]);
    const result: Partial<KubectlMeasure> = {};
    for (const [index, [key, kubectlArgs]] of baselines.entries()) {
      if (index > 0) await removeRestoredObjects(kubectlEnv);
      result[key] = await timedKubectl(kubectlArgs, kubectlEnv);
      say(`${label}: kubectl ${kubectlArgs.join(" ").replace(seeded.dir + "/", "")}: ${result[key]!.toFixed(1)} s`);
    }
    return { kubectlBackup: result.kubectlBackup!, kubectlSanitized: result.kubectlSanitized!, kubectlServerSide: result.kubectlServerSide };
  }

  /** The results so far, as JSON and the README's table: written after every pair, so a run stopped early keeps its pairs. */
  function writeReport(): { markdown: string; machine: { cpus: number; memoryGiB: number; loadAverage: number[] } } {
    const summaries = summarize([...earlier, ...measured]);
    const machine = { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), loadAverage: os.loadavg().map((l) => +l.toFixed(2)) };
    writeFile(projectPath(args.out!), JSON.stringify({ machine, kubernetes: kubernetesVersion, date: new Date().toISOString(), pairs: [...earlier, ...measured], summaries }, null, 2) + "\n");
    const markdown = renderMarkdown(summaries) + "\n" + renderGoals(summaries);
    writeFile(projectPath(args.markdown!), markdown);
    return { markdown, machine };
  }

  for (const size of sizes) {
    const namespaces = Math.min(NAMESPACES, size);
    const perNamespace = Math.floor(size / namespaces);
    const controllerReady = realCertManager && (args["controller-ready"] === "on" || (args["controller-ready"] === "auto" && size <= 1000));
    for (let pair = 1; pair <= pairs; pair++) {
      const pulumiFirst = pair % 2 === 1;
      const sanitizedFirst = Math.ceil(pair / 2) % 2 === 0;
      const kubectlOrder = sanitizedFirst ? "sanitized, backup" : "backup, sanitized";
      const order = pulumiFirst ? `pulumi up, then kubectl (${kubectlOrder})` : `kubectl (${kubectlOrder}), then pulumi up`;
      const label = `${size} certificates, pair ${pair}/${pairs}`;
      say(`${label}: ${order}, each on a fresh control plane seeded alike`);
      let up: UpMeasure | undefined;
      let kubectl: KubectlMeasure | undefined;
      for (const which of pulumiFirst ? (["up", "kubectl"] as const) : (["kubectl", "up"] as const)) {
        const seeded = await seedFreshCluster(`${label}, ${which === "up" ? "pulumi" : "kubectl"}`, path.join(work, `s${size}-p${pair}-${which}`), { size, namespaces, perNamespace });
        try {
          if (which === "up") up = await measureUp(seeded, { controllerReady, tag: `up-${size}-p${pair}` });
          else kubectl = await measureKubectl(seeded, { sanitizedFirst, tag: `prepare-${size}-p${pair}` });
        } finally {
          await seeded.stop();
        }
      }
      measured.push({ size, objects: up!.objects, pair, order, ...up!.figures, ...kubectl! });
      writeReport();
      say(`${label}: done (${((Date.now() - benchStarted) / 60000).toFixed(1)} min since the start)`);
    }
  }

  const { markdown, machine } = writeReport();
  if (!args["keep-logs"]) fs.rmSync(work, { recursive: true, force: true });
  process.stdout.write(renderTable(["CERTS", "PAIR", "PREVIEW", "UP", "PROGRAM", "REMOVAL", "CRDS", "RELEASE", "WEBHOOK", "RESTORE", "UNMANAGED", "READY", "KUBECTL BACKUP", "KUBECTL SANITIZED", "SERVER-SIDE", "UP/BACKUP", "PEAK MiB"],
    measured.map((m) => [String(m.size), String(m.pair), m.preview.toFixed(1), m.up.toFixed(1), m.programStart?.toFixed(1) ?? "-", ...(["removal", "crds", "release", "webhookWait", "restore"] as const).map((p) => m.parts[p]?.toFixed(1) ?? "-"),
      m.unmanagedWindow?.toFixed(1) ?? "-", m.controllerReady?.toFixed(0) ?? "-", m.kubectlBackup.toFixed(1), m.kubectlSanitized.toFixed(1), m.kubectlServerSide?.toFixed(1) ?? "-", (m.up / m.kubectlBackup).toFixed(2),
      Object.entries(m.memory).map(([k, v]) => `${k} ${v}`).join(", ")])));
  process.stdout.write(`\nMedians (spread) over the pairs, Kubernetes ${kubernetesVersion}, load average at the end ${machine.loadAverage.join(" ")}:\n\n${markdown}\n`);
  process.stdout.write(`bench: results in ${args.out}, the README's table in ${args.markdown}${args["keep-logs"] ? `; the clusters' folders (cert-manager logs) kept in ${work}` : ""}\n`);
  return EXIT_OK;
});
