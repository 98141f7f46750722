// The local toolchain and control plane, for the demo and the end-to-end tests: find or build the
// Go-built binaries, start a throwaway cluster on 127.0.0.1, run the real `pulumi` CLI offline.
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { ControlPlane, KubernetesVersion } from "../harness/control-plane";
import { spawnOwned } from "../harness/processes";
import { offlinePulumiEnv } from "./automation";
import { PROJECT_ROOT } from "./project-path";

export const ROOT = PROJECT_ROOT;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command, streaming nothing; resolves with its output (never rejects on a non-zero exit). */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; echo?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    // Owned like the harness's processes: a killed demo or test takes its pulumi and builds with it.
    const child = spawnOwned(command, args, { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => {
      stdout += d;
      if (options.echo) process.stdout.write(d);
    });
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d;
      if (options.echo) process.stderr.write(d);
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin!.end(options.input ?? "");
  });
}

function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^export ([A-Z0-9_]+)='([^']*)'(?::"\$PATH")?$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** The optional toolchain steps (built only when named) and the variable --print-env sets once each is built. */
export const OPTIONAL_STEPS = {
  "cert-manager": "CMU_CERT_MANAGER_BIN",
  "cert-manager-v1.1.1": "CMU_CERT_MANAGER_V111_DIR",
  pebble: "CMU_PEBBLE_BIN",
} as const;
export type OptionalStep = keyof typeof OPTIONAL_STEPS;

/** Whether the toolchain (and the named optional steps) is built, so nothing needs Go. */
export function toolchainBuilt(extras: OptionalStep[] = []): boolean {
  const result = spawnSync("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--print-env"], { encoding: "utf8" });
  if (result.status !== 0) return false;
  const exports = parseExports(result.stdout);
  return extras.every((e) => exports[OPTIONAL_STEPS[e]]);
}

/** The toolchain's environment; builds what is missing (slow the first time, cached after). */
export async function toolchainEnv(options: { build: boolean; echo?: boolean; extras?: OptionalStep[] }): Promise<NodeJS.ProcessEnv> {
  let result = spawnSync("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--print-env"], { encoding: "utf8" });
  if (result.status !== 0 && options.build) {
    const built = await run("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--no-test"], { echo: options.echo });
    if (built.code !== 0) throw new Error(`scripts/toolchain.sh failed (exit ${built.code}): ${built.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    result = spawnSync("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--print-env"], { encoding: "utf8" });
  }
  if (result.status !== 0) throw new Error(`the toolchain is not built: ${result.stderr.trim().split("\n").pop()} (run scripts/toolchain.sh)`);
  let exports = parseExports(result.stdout);
  // The optional steps (cert-manager v0.6.2 and v1.1.1, Pebble): built only when asked for, by name.
  const extras = (options.extras ?? []).filter((e) => !exports[OPTIONAL_STEPS[e]]);
  if (extras.length > 0) {
    if (!options.build) throw new Error(`${extras.join(" and ")} not built: run scripts/toolchain.sh --only ${extras.join(",")}`);
    const built = await run("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--no-test", "--only", extras.join(",")], { echo: options.echo });
    if (built.code !== 0) throw new Error(`scripts/toolchain.sh --only ${extras.join(",")} failed (exit ${built.code}): ${built.stderr.trim().split("\n").slice(-3).join(" | ")}`);
    exports = parseExports(spawnSync("bash", [path.join(ROOT, "scripts", "toolchain.sh"), "--print-env"], { encoding: "utf8" }).stdout);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, ...exports };
  // Node 24 from node_modules first, as npm scripts have it, then the toolchain.
  env.PATH = [path.join(ROOT, "node_modules", ".bin"), exports.PATH, process.env.PATH].filter(Boolean).join(":");
  return env;
}

const PLUGIN_PROCESS = /pulumi-resource-|pulumi-language-nodejs|@pulumi\/pulumi\/cmd\/(dynamic-provider|run)/;

/**
 * Pids of Pulumi plugin processes now running for one state backend (a killed `pulumi` cannot stop
 * its own). Plugins inherit the CLI's environment, so its PULUMI_BACKEND_URL tells whose they are:
 * another run on the same machine is never touched.
 */
export function pluginProcesses(backendUrl: string): Set<number> {
  const pids = new Set<number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!PLUGIN_PROCESS.test(fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " "))) continue;
      if (fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`PULUMI_BACKEND_URL=${backendUrl}`)) pids.add(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Stops this backend's plugin processes that were not running before `before` was taken. */
export function stopPluginsStartedSince(before: Set<number>, backendUrl: string): number {
  let stopped = 0;
  for (const pid of pluginProcesses(backendUrl)) {
    if (before.has(pid)) continue;
    try {
      process.kill(pid, "SIGKILL");
      stopped++;
    } catch {
      // already gone
    }
  }
  return stopped;
}

export interface LocalCluster {
  dir: string;
  kubeconfig: string;
  context: string;
  kubernetesVersion: KubernetesVersion;
  /** kube-apiserver's port on 127.0.0.1. */
  apiserverPort: number;
  /** Kills kube-apiserver only (etcd keeps every object), for fault tests. */
  stopApiServer(): Promise<void>;
  startApiServer(): Promise<void>;
  /** kube-apiserver and kube-controller-manager of another version on the same etcd, port and kubeconfig (an in-place cluster upgrade). */
  upgradeTo(version: KubernetesVersion): Promise<void>;
  /** The running components' pids, by name (etcd, kube-apiserver, kube-controller-manager). */
  pids(): Record<string, number>;
  /** The ports each component listens on, by name. */
  componentPorts(): Record<string, number[]>;
  stop(): Promise<void>;
}

/** A throwaway control plane in `dir` (harness/control-plane.ts); its processes die with this process. */
export async function startCluster(dir: string, env: NodeJS.ProcessEnv, options: { log?: (line: string) => void; kubernetesVersion?: KubernetesVersion; withoutEndpointsController?: boolean } = {}): Promise<LocalCluster> {
  return ControlPlane.start({ dir, env, ...options });
}

/** The `pulumi` CLI in the project folder, offline, with a stack config file kept outside the repository. */
export class PulumiCli {
  readonly env: NodeJS.ProcessEnv;
  /** Everything every command printed (refused gates and re-runs included), for the tests' leak searches. */
  readonly transcript: string[] = [];
  /** When this CLI was made: Pulumi's own log files of its stack written since are its commands'. */
  private readonly createdAt = Date.now();
  constructor(baseEnv: NodeJS.ProcessEnv, readonly stack: string, readonly stateDir: string, readonly configFile: string) {
    this.env = { ...baseEnv, ...offlinePulumiEnv({ backendDir: path.join(stateDir, "backend") }) };
  }

  /**
   * Pulumi's own log files written since this CLI was made (PULUMI_HOME/logs, one per command, kept
   * 7 days), as [path, text] for the tests' leak searches. Since pulumi 3.235 every command writes
   * one: a command without a stack as plain gzip (returned unzipped), a stack's engine run
   * encrypted with the stack's secrets manager (returned as on disk, after `pulumi logs decrypt`
   * showed it is this stack's and decrypts). Decrypted, an engine log holds the resources' inputs at
   * verbosity 9, Secret data included, as the state holds them encrypted (README, Safety).
   */
  async ownLogFiles(): Promise<{ files: Array<[string, string]>; encrypted: number }> {
    const home = this.env.PULUMI_HOME ?? path.join(os.homedir(), ".pulumi");
    const dir = path.join(home, "logs");
    if (!fs.existsSync(dir)) return { files: [], encrypted: 0 };
    const recent = fs.readdirSync(dir).filter((name) => name.endsWith(".log")).map((name) => path.join(dir, name))
      .filter((file) => fs.statSync(file).mtimeMs >= this.createdAt - 1000);
    const files: Array<[string, string]> = [];
    let encrypted = 0;
    for (const file of recent) {
      const name = path.basename(file);
      if (name.startsWith("pulumi-")) {
        files.push([file, gunzipAll(fs.readFileSync(file)).toString("latin1")]);
      } else if (name.includes(`+${this.stack}-`)) {
        const r = await run("pulumi", ["logs", "decrypt", file, "--non-interactive"], { env: this.env });
        if (r.code !== 0) throw new Error(`pulumi logs decrypt ${file} exited ${r.code}: ${r.stderr.trim().split("\n").pop()}`);
        files.push([file, fs.readFileSync(file, "latin1")]);
        encrypted++;
      }
    }
    return { files, encrypted };
  }

  /** A stack command that takes no config (e.g. `cancel`). */
  runWithoutConfig(args: string[]): Promise<RunResult> {
    return this.recorded(run("pulumi", [...args, "--stack", this.stack, "--non-interactive"], { env: this.env }));
  }

  private async recorded(result: Promise<RunResult>): Promise<RunResult> {
    const r = await result;
    this.transcript.push(r.stdout, r.stderr);
    return r;
  }

  /** `pulumi up` in the background, for a test that interrupts it: the child, its output so far, its exit. */
  startUp(): { child: ChildProcess; output: () => string; exited: Promise<number> } {
    const child = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", this.stack, "--config-file", this.configFile, "--non-interactive"], { cwd: ROOT, env: this.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (d: Buffer) => (output += d));
    child.stderr!.on("data", (d: Buffer) => (output += d));
    const exited = new Promise<number>((r) => child.on("close", (code) => {
      this.transcript.push(output);
      r(code ?? 1);
    }));
    return { child, output: () => output, exited };
  }

  run(args: string[], options: { echo?: boolean } = {}): Promise<RunResult> {
    return this.recorded(run("pulumi", [...args, "--stack", this.stack, "--config-file", this.configFile, "--non-interactive"], { env: this.env, echo: options.echo }));
  }

  async init(config: Record<string, string>): Promise<void> {
    fs.mkdirSync(path.dirname(this.configFile), { recursive: true });
    const exists = await run("pulumi", ["stack", "select", this.stack, "--non-interactive"], { env: this.env });
    if (exists.code !== 0) {
      const init = await run("pulumi", ["stack", "init", this.stack, "--non-interactive"], { env: this.env });
      if (init.code !== 0) throw new Error(`pulumi stack init failed: ${init.stderr.trim()}`);
      // `stack init` writes the passphrase salt into Pulumi.<stack>.yaml beside Pulumi.yaml; keep it
      // with the rest of this stack's config, outside the repository.
      const written = path.join(ROOT, `Pulumi.${this.stack}.yaml`);
      if (fs.existsSync(written)) fs.renameSync(written, this.configFile);
    }
    if (!fs.existsSync(this.configFile)) fs.writeFileSync(this.configFile, "config: {}\n");
    for (const [key, value] of Object.entries(config)) {
      const set = await this.run(["config", "set", "--plaintext", key, value]);
      if (set.code !== 0) throw new Error(`pulumi config set ${key} failed: ${set.stderr.trim()}`);
    }
  }
}

/** Every gzip member of a file written as a series of gzip streams (what Pulumi's plain log sink writes); a torn tail is cut off. */
function gunzipAll(bytes: Buffer): Buffer {
  try {
    return zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return bytes;
  }
}
