// `npm run bench`: backup, plan and restore measured on the local control plane as clusters grow,
// against kubectl on the same API server in the same run. Prints a table, writes JSON.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { CliError, EXIT_OK, UsageError, parseCommandLine, renderTable, runMain } from "../lib/cli";
import { crdManifest, CRD_FACTS } from "../lib/crds";
import { LocalCluster, PulumiCli, ROOT, startCluster, toolchainEnv } from "../lib/local-run";
import { certificatesForKey, pkcs1Certificate } from "../lib/legacy-seed";
import { projectPath } from "../lib/project-path";
import { CERTMANAGER_API_VERSION } from "../lib/types";

const USAGE = `Usage: npm run bench -- [--sizes 100,1000,10000] [--namespaces 50] [--restore-max N] [--parallel LIST] [--skip-checkpoints] [--up-log DIR] [--up-profile DIR] [--out FILE]

For each size, a fresh local control plane is seeded with that many Certificates (plus one Issuer
per 20 and one ClusterIssuer per 100, each Certificate with its TLS Secret holding a real
certificate for its name, all Ready) across the namespaces, then measured:
  backup   npm run backup        vs  kubectl get -o yaml --all-namespaces issuer,clusterissuer,certificates
  plan     npm run plan --json on that backup
  restore  pulumi up (the program) vs  kubectl apply -f of the same backup, after deleting the objects,
           side by side in the same run, and their ratio
with wall time, peak memory (RSS of the process tree's largest process; for pulumi up also the
engine's, the program's and the providers' peaks and CPU seconds, sampled), API requests counted by
kube-apiserver, and CPU seconds of the client side, kube-apiserver and etcd.

  --sizes LIST        certificate counts (default: 100,1000,10000)
  --namespaces N      namespaces to spread them over (default: 50)
  --restore-max N     largest size restored through pulumi up (default: 10000)
  --parallel LIST     also run pulumi up with these --parallel values on the second size (default:
                      none), then once with PULUMI_SKIP_CHECKPOINTS=true
  --skip-checkpoints  restore with PULUMI_SKIP_CHECKPOINTS=true (default: checkpoints on, as a user runs it)
  --up-log DIR        keep each pulumi up's output in DIR, each line prefixed with the seconds elapsed
  --up-profile DIR    write each pulumi up engine's CPU and memory profiles and trace into DIR
                      (pulumi --profiling; read with \`go tool pprof\`)
  --out FILE          JSON results (default: bench/results.json; the folder is ignored by git)`;

interface Measure {
  seconds: number;
  peakMiB: number;
  requests?: number;
  clientCpu?: number;
  apiserverCpu?: number;
  etcdCpu?: number;
  /** Peak RSS (MiB) per part of the process tree (engine, program, providers), sampled. */
  peaks?: Record<string, number>;
  /** CPU seconds per part of the process tree, as last sampled (up to 250 ms short for a process that exits). */
  cpuByRole?: Record<string, number>;
}

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

/**
 * Samples the RSS of every process under `root` twice a second; returns, per role, the peak of the
 * role's processes summed at one instant (MiB).
 */
function sampleTree(root: number): () => { peaks: Record<string, number>; cpu: Record<string, number> } {
  const peaks: Record<string, number> = {};
  // CPU seconds per process, last seen (a process's figure stops growing when it exits).
  const cpuByPid = new Map<number, { role: string; seconds: number }>();
  const pageKiB = 4;
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
    const now: Record<string, number> = {};
    for (const pid of parent.keys()) {
      if (!inTree(pid)) continue;
      try {
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
        const rssPages = Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
        const role = processRole(cmdline);
        // An exited, not yet reaped process has no command line: it keeps the role it was seen with.
        const seen = cpuByPid.get(pid)?.role;
        cpuByPid.set(pid, { role: seen && seen !== "other" ? seen : role, seconds: cpuSeconds(pid) });
        now[role] = (now[role] ?? 0) + (rssPages * pageKiB) / 1024;
      } catch {
        // gone meanwhile
      }
    }
    for (const [role, mib] of Object.entries(now)) peaks[role] = Math.max(peaks[role] ?? 0, Math.round(mib));
  };
  const timer = setInterval(sample, 250);
  return () => {
    clearInterval(timer);
    const cpu: Record<string, number> = {};
    for (const { role, seconds } of cpuByPid.values()) if (Number.isFinite(seconds)) cpu[role] = +((cpu[role] ?? 0) + seconds).toFixed(2);
    return { peaks, cpu };
  };
}

function timed(command: string, args: string[], env: NodeJS.ProcessEnv, outFile?: string, stamped = false): Promise<{ code: number; seconds: number; peakMiB: number; clientCpu: number; stderr: string; peaks: Record<string, number>; cpuByRole: Record<string, number> }> {
  return new Promise((resolve, reject) => {
    const timeFile = path.join(os.tmpdir(), `cmu-bench-time-${process.pid}-${Date.now()}`);
    const stdoutFile = outFile ?? `${timeFile}.out`;
    const start = Date.now();
    const out = fs.openSync(stdoutFile, "w");
    const child = spawn("/usr/bin/time", ["-f", "%e %M %U %S", "-o", timeFile, command, ...args], { cwd: ROOT, env, stdio: ["ignore", stamped ? "pipe" : out, "pipe"] });
    if (stamped) {
      let rest = "";
      child.stdout!.on("data", (d: Buffer) => {
        const lines = (rest + d.toString()).split("\n");
        rest = lines.pop()!;
        for (const line of lines) fs.writeSync(out, `${((Date.now() - start) / 1000).toFixed(1).padStart(6)} ${line}\n`);
      });
    }
    const stopSampling = sampleTree(child.pid!);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const { peaks, cpu: cpuByRole } = stopSampling();
      const [e, m, u, s] = fs.readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
      fs.rmSync(timeFile, { force: true });
      // A failed command's own output says why (pulumi prints its errors on stdout).
      if (code !== 0) stderr += fs.readFileSync(stdoutFile, "utf8").split("\n").filter((l) => /error|failed/i.test(l)).slice(-3).join(" | ");
      if (!outFile) fs.rmSync(stdoutFile, { force: true });
      resolve({ code: code ?? 1, seconds: e, peakMiB: Math.round(m / 1024), clientCpu: u + s, stderr, peaks, cpuByRole });
    });
  });
}

function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return NaN;
  }
}

async function requestCount(kubeconfig: string, env: NodeJS.ProcessEnv): Promise<number> {
  const { spawnSync } = await import("node:child_process");
  const text = spawnSync("kubectl", ["--kubeconfig", kubeconfig, "get", "--raw", "/metrics"], { env, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).stdout;
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("apiserver_request_total{")) total += Number(line.split(" ").pop());
  }
  return total;
}

async function seed(kc: k8s.KubeConfig, certificates: number, namespaces: number): Promise<void> {
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  for (const facts of CRD_FACTS.filter((f) => ["Certificate", "Issuer", "ClusterIssuer"].includes(f.kind))) {
    // The client's typed serializer knows `x-kubernetes-preserve-unknown-fields` only by its property
    // name and drops it otherwise: the CRDs then pruned every object's spec (the figures before
    // issue 13 were taken with spec-less objects).
    const body = JSON.parse(JSON.stringify(crdManifest(facts, "apiextensions.k8s.io/v1")).replaceAll('"x-kubernetes-preserve-unknown-fields"', '"x_kubernetes_preserve_unknown_fields"'));
    await ext.createCustomResourceDefinition({ body });
  }
  for (let i = 0; i < 100; i++) {
    const crds = await ext.listCustomResourceDefinition();
    if (crds.items.every((c) => c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True"))) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const [group, version] = CERTMANAGER_API_VERSION.split("/");
  // Real keys and certificates, as a cluster that 0.4 served has them: one PKCS#1 key for every TLS
  // Secret and ACME account, each certificate its Certificate's name, 80 days to go. The plan then
  // predicts no re-issue, as on such a cluster, and the preview carries no warning per object.
  const b64 = (text: string) => Buffer.from(text).toString("base64");
  const key = pkcs1Certificate(["bench-key.invalid"]).key;
  const certificatePems = await certificatesForKey(key, Array.from({ length: certificates }, (_, i) => `cert-${i}.example.com`));
  for (let n = 0; n < namespaces; n++) await core.createNamespace({ body: { metadata: { name: `bench-${n}` } } });
  const clusterIssuers = Math.max(1, Math.floor(certificates / 100));
  for (let c = 0; c < clusterIssuers; c++) {
    await core.createNamespacedSecret({ namespace: "kube-system", body: { metadata: { name: `acme-key-${c}` }, data: { "tls.key": b64(key) } } }).catch(() => undefined);
    await custom.createClusterCustomObject({ group, version, plural: "clusterissuers", body: { apiVersion: CERTMANAGER_API_VERSION, kind: "ClusterIssuer", metadata: { name: `acme-${c}` },
      spec: { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "a@example.com", privateKeySecretRef: { name: `acme-key-${c}` }, http01: {} } },
      status: { conditions: [{ type: "Ready", status: "True", reason: "ACMEAccountRegistered", message: "The ACME account was registered with the ACME server" }] } } });
  }
  const issuers = Math.max(1, Math.floor(certificates / 20));
  const tasks: Array<() => Promise<unknown>> = [];
  for (let i = 0; i < issuers; i++) {
    const ns = `bench-${i % namespaces}`;
    tasks.push(() => custom.createNamespacedCustomObject({ group, version, namespace: ns, plural: "issuers", body: { apiVersion: CERTMANAGER_API_VERSION, kind: "Issuer", metadata: { name: `issuer-${i}`, namespace: ns }, spec: { selfSigned: {} },
      status: { conditions: [{ type: "Ready", status: "True", reason: "IsReady", message: "" }] } } }));
  }
  for (let i = 0; i < certificates; i++) {
    const ns = `bench-${i % namespaces}`;
    // Half the certificates use an Issuer of their own namespace (issuer-k lives in bench-k), where there is one.
    const k = i % namespaces;
    const issuerRef = i % 2 === 1 && k < issuers ? { name: `issuer-${k}` } : { kind: "ClusterIssuer", name: `acme-${i % clusterIssuers}` };
    tasks.push(() => core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: `cert-${i}-tls`, namespace: ns }, type: "kubernetes.io/tls", data: { "tls.crt": b64(certificatePems[i]), "tls.key": b64(key) } } }));
    tasks.push(() => custom.createNamespacedCustomObject({ group, version, namespace: ns, plural: "certificates", body: { apiVersion: CERTMANAGER_API_VERSION, kind: "Certificate",
      metadata: { name: `cert-${i}`, namespace: ns }, spec: { secretName: `cert-${i}-tls`, dnsNames: [`cert-${i}.example.com`], issuerRef },
      status: { conditions: [{ type: "Ready", status: "True", reason: "CertIssued", message: "Certificate issued successfully" }] } } }));
  }
  let next = 0;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < tasks.length) await tasks[next++]();
  }));
  const sample = await custom.getNamespacedCustomObject({ group, version, namespace: "bench-0", plural: "certificates", name: "cert-0" }) as { spec?: { secretName?: string } };
  if (sample.spec?.secretName !== "cert-0-tls") throw new CliError("seeding failed: the Certificate CRD pruned the objects' spec");
}

async function deleteCertManagerObjects(kubectl: (args: string[]) => Promise<void>): Promise<void> {
  await kubectl(["delete", "certificates.certmanager.k8s.io,issuers.certmanager.k8s.io", "--all", "--all-namespaces", "--wait=false"]);
  await kubectl(["delete", "clusterissuers.certmanager.k8s.io", "--all", "--wait=false"]);
}

runMain("bench", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    sizes: { type: "string", default: "100,1000,10000" },
    namespaces: { type: "string", default: "50" },
    "restore-max": { type: "string", default: "10000" },
    parallel: { type: "string", default: "" },
    out: { type: "string", default: path.join("bench", "results.json") },
    "skip-checkpoints": { type: "boolean", default: false },
    "up-log": { type: "string" },
    "up-profile": { type: "string" },
  }, USAGE);
  const sizes = args.sizes!.split(",").map(Number);
  const parallels = args.parallel!.split(",").filter((p) => p !== "").map(Number);
  const namespaces = Number(args.namespaces);
  const restoreMax = Number(args["restore-max"]);
  if ([...sizes, ...parallels, namespaces, restoreMax].some((n) => !Number.isInteger(n) || n < 1)) throw new UsageError("sizes, namespaces, parallel and restore-max take positive whole numbers");

  const env = await toolchainEnv({ build: true, echo: true });
  const node = path.join(ROOT, "node_modules", ".bin", "node");
  const tsx = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
  const chart = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
  const results: Array<Record<string, unknown>> = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-bench-"));

  for (const [index, size] of sizes.entries()) {
    process.stderr.write(`bench: ${size} certificates: starting a cluster and seeding\n`);
    // The README's figures are kube-apiserver 1.34's, and the seeding below creates apiextensions.k8s.io/v1
    // CRDs: pinned, whatever CMU_KUBERNETES_VERSION says.
    const cluster: LocalCluster = await startCluster(path.join(work, `c${size}`), env, { kubernetesVersion: "1.34" });
    try {
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      const pid = (name: string) => cluster.pids()[name];
      const kubectlEnv = { ...env, KUBECONFIG: cluster.kubeconfig };
      const kubectl = async (a: string[]) => {
        const r = await timed("kubectl", a, kubectlEnv);
        if (r.code !== 0) throw new CliError(`kubectl ${a.join(" ")} failed: ${r.stderr.trim().split("\n").pop()}`);
      };
      const seedStart = Date.now();
      await seed(kc, size, namespaces);
      const seedSeconds = (Date.now() - seedStart) / 1000;

      const measure = async (command: string, a: string[], e: NodeJS.ProcessEnv, out?: string, stamped = false): Promise<Measure> => {
        const before = { req: await requestCount(cluster.kubeconfig, env), api: cpuSeconds(pid("kube-apiserver")), etcd: cpuSeconds(pid("etcd")) };
        const r = await timed(command, a, e, out, stamped);
        if (r.code !== 0) throw new CliError(`${path.basename(command)} ${a.slice(0, 3).join(" ")} failed: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
        const requests = (await requestCount(cluster.kubeconfig, env)) - before.req - 1;
        return { seconds: r.seconds, peakMiB: r.peakMiB, peaks: r.peaks, cpuByRole: r.cpuByRole, requests, clientCpu: +r.clientCpu.toFixed(2),
          apiserverCpu: +(cpuSeconds(pid("kube-apiserver")) - before.api).toFixed(2), etcdCpu: +(cpuSeconds(pid("etcd")) - before.etcd).toFixed(2) };
      };

      const backupFile = path.join(work, `backup-${size}.yaml`);
      const backup = await measure(node, [tsx, path.join(ROOT, "scripts", "backup.ts"), "--kubeconfig", cluster.kubeconfig, "--out", backupFile], env);
      const kubectlGet = await measure("kubectl", ["get", "-o", "yaml", "--all-namespaces", "issuer,clusterissuer,certificates"], kubectlEnv, path.join(work, `kubectl-${size}.yaml`));
      const plan = await measure(node, [tsx, path.join(ROOT, "scripts", "plan.ts"), "--backup", backupFile, "--json"], env, path.join(work, `plan-${size}.json`));
      const row: Record<string, unknown> = { size, objects: size + Math.max(1, Math.floor(size / 20)) + Math.max(1, Math.floor(size / 100)), seedSeconds, backup, kubectlGet, plan };

      if (size <= restoreMax) {
        const objects = row.objects as number;
        const runRestore = async (parallel: number | undefined, label: string, extraEnv: Record<string, string> = {}): Promise<Measure> => {
          await deleteCertManagerObjects(kubectl);
          const cli = new PulumiCli(env, `bench-${size}-${label}`, path.join(work, `pulumi-${size}-${label}`), path.join(work, `Pulumi.bench-${size}-${label}.yaml`));
          await cli.init({ backupFile, kubeconfig: cluster.kubeconfig, context: cluster.context, chart, mapApiVersions: "true", acknowledgeUnsupportedKubernetes: "true", webhook: "false", skipAwait: "true" });
          const upArgs = [...(args["up-profile"] ? ["--profiling", path.join(projectPath(args["up-profile"]), `up-${size}-${label}`)] : []), "up", "--yes", "--skip-preview", "--stack", cli.stack, "--config-file", cli.configFile, "--non-interactive", ...(parallel ? ["--parallel", String(parallel)] : [])];
          if (args["up-profile"]) fs.mkdirSync(projectPath(args["up-profile"]), { recursive: true });
          let upLog: string | undefined;
          if (args["up-log"]) {
            fs.mkdirSync(projectPath(args["up-log"]), { recursive: true });
            upLog = path.join(projectPath(args["up-log"]), `up-${size}-${label}.log`);
          }
          const m = await measure("pulumi", upArgs, { ...cli.env, ...extraEnv }, upLog, upLog !== undefined);
          // Uninstall the release (the restored objects and CRDs are kept on destroy), so the next
          // run installs and restores from scratch.
          await timed("pulumi", ["destroy", "--yes", "--skip-preview", "--stack", cli.stack, "--config-file", cli.configFile, "--non-interactive"], { ...cli.env, PULUMI_SKIP_CHECKPOINTS: "true" });
          return { ...m, perObjectMs: +((m.seconds * 1000) / objects).toFixed(1), requestsPerObject: +((m.requests ?? 0) / objects).toFixed(2) } as Measure;
        };
        // Checkpoints on, as a user runs it: the restore's batches keep the state writes few.
        const skipCheckpoints = args["skip-checkpoints"] === true;
        row.restoreMode = skipCheckpoints ? "PULUMI_SKIP_CHECKPOINTS=true" : "default";
        row.pulumiUp = skipCheckpoints
          ? await runRestore(undefined, "nockpt", { PULUMI_SKIP_CHECKPOINTS: "true" })
          : await runRestore(undefined, "default");
        if (!skipCheckpoints && parallels.length > 0 && (index === 1 || sizes.length === 1)) {
          for (const p of parallels) row[`pulumiUpParallel${p}`] = await runRestore(p, `p${p}`);
          // The file backend rewrites the whole state after every step; measure without that.
          row.pulumiUpSkipCheckpoints = await runRestore(undefined, "nockpt", { PULUMI_SKIP_CHECKPOINTS: "true" });
        }
        await deleteCertManagerObjects(kubectl);
        const applied = await measure("kubectl", ["apply", "-f", backupFile], kubectlEnv);
        row.kubectlApply = { ...applied, perObjectMs: +((applied.seconds * 1000) / objects).toFixed(1), requestsPerObject: +((applied.requests ?? 0) / objects).toFixed(2) };
        row.restoreRatio = +((row.pulumiUp as Measure).seconds / applied.seconds).toFixed(2);
      }
      results.push(row);
      process.stderr.write(`bench: ${size}: ${JSON.stringify(row)}\n`);
    } finally {
      await cluster.stop();
    }
  }

  const out = projectPath(args.out!);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ machine: { cpus: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) }, date: new Date().toISOString(), results }, null, 2) + "\n");
  // Backups, stacks and clusters of the run: nothing of them is kept (the results are in the JSON).
  fs.rmSync(work, { recursive: true, force: true });
  const f = (m: unknown, k: keyof Measure) => (m ? String((m as Measure)[k] ?? "-") : "-");
  const rows = results.map((r) => [
    String(r.size), String(r.objects),
    `${f(r.backup, "seconds")}s / ${f(r.backup, "peakMiB")} MiB`, `${f(r.kubectlGet, "seconds")}s / ${f(r.kubectlGet, "peakMiB")} MiB`,
    r.backup && r.kubectlGet ? ((r.backup as Measure).seconds / (r.kubectlGet as Measure).seconds).toFixed(2) : "-",
    `${f(r.plan, "seconds")}s / ${f(r.plan, "peakMiB")} MiB`,
    r.pulumiUp ? `${f(r.pulumiUp, "seconds")}s (${(r.pulumiUp as Record<string, unknown>).perObjectMs} ms/obj, ${(r.pulumiUp as Record<string, unknown>).requestsPerObject} req/obj${r.restoreMode === "default" ? "" : ", no checkpoints"})` : "-",
    r.kubectlApply ? `${f(r.kubectlApply, "seconds")}s (${(r.kubectlApply as Record<string, unknown>).perObjectMs} ms/obj, ${(r.kubectlApply as Record<string, unknown>).requestsPerObject} req/obj)` : "-",
    r.restoreRatio !== undefined ? `${r.restoreRatio}` : "-",
    r.pulumiUp ? Object.entries((r.pulumiUp as Measure).peaks ?? {}).filter(([k]) => k !== "other").map(([k, v]) => `${k} ${v}`).join(", ") + " MiB" : "-",
  ]);
  process.stdout.write(renderTable(["CERTS", "OBJECTS", "BACKUP (time/peak)", "KUBECTL GET", "RATIO", "PLAN", "PULUMI UP RESTORE", "KUBECTL APPLY", "UP/APPLY", "UP PEAK RSS"], rows));
  process.stdout.write(`bench: results in ${args.out}\n`);
  return EXIT_OK;
});
