// Processes the local harness starts (etcd, kube-apiserver, …): each is a child of the Node process
// that owns it, dies with it, and reports how it ended. Nothing here runs in a user's cluster.
import { ChildProcess, SpawnOptions, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** Set in every process the harness starts: "<owner pid>/<owner start time>", so leftovers can be found. */
export const OWNER_VARIABLE = "CMU_HARNESS_OWNER";

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `killed by ${status.signal}` : `exited with status ${status.code}`;
}

/** Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or undefined if it is gone. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

function ownerToken(): string {
  return `${process.pid}/${processStartTime(process.pid) ?? "?"}`;
}

let setprivChecked: boolean | undefined;
/** setpriv (util-linux) sets the parent-death signal before exec'ing the program. */
function hasSetpriv(): boolean {
  if (setprivChecked === undefined) {
    setprivChecked = spawnSync("setpriv", ["--pdeathsig", "KILL", "--", "true"]).status === 0;
  }
  return setprivChecked;
}

/**
 * Kills what an earlier harness run left behind: processes whose owner token names a process that
 * no longer runs (the owner was killed before it could stop them). Returns how many were killed.
 */
export function killOrphans(): number {
  let killed = 0;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
    } catch {
      continue;
    }
    const owner = environ.split("\0").find((v) => v.startsWith(`${OWNER_VARIABLE}=`));
    if (!owner) continue;
    const [pid, started] = owner.slice(OWNER_VARIABLE.length + 1).split("/");
    if (processStartTime(Number(pid)) === started) continue; // its owner still runs
    try {
      process.kill(Number(entry), "SIGKILL");
      killed++;
    } catch {
      // gone meanwhile
    }
  }
  return killed;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env: NodeJS.ProcessEnv;
}

const live = new Set<ChildProcess>();
let watching = false;

/** This process's ancestors, nearest first, up to (not including) init, each with its start time. */
export function ancestors(pid = process.pid): Array<{ pid: number; started: string }> {
  const out: Array<{ pid: number; started: string }> = [];
  let current = pid;
  for (let depth = 0; depth < 64; depth++) {
    let parent: number;
    try {
      const stat = fs.readFileSync(`/proc/${current}/stat`, "utf8");
      parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      break;
    }
    if (!(parent > 1)) break;
    const started = processStartTime(parent);
    if (started === undefined) break;
    out.push({ pid: parent, started });
    current = parent;
  }
  return out;
}

/**
 * Belt and braces beside the parent-death signal: on this process's exit, on a terminating signal
 * nobody else handles, and when any of its ancestors goes, nothing it started stays. Ancestors, not
 * only the parent: `npm run` → sh → tsx → this process, and npm may die of a SIGTERM without
 * passing it on, leaving tsx (re-parented to init) and this process running.
 */
function watchOwner(): void {
  if (watching) return;
  watching = true;
  const chain = ancestors();
  const killAll = () => {
    for (const child of live) child.kill("SIGKILL");
  };
  process.on("exit", killAll);
  for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129], ["SIGINT", 130]] as const) {
    // First in line, so that a command's own handler (npm run cluster's Ctrl-C: it stops things its
    // way) is still registered when this one looks.
    process.prependListener(signal, () => {
      if (process.listenerCount(signal) > 1) return;
      process.stderr.write(`harness: ${signal}: stopping ${live.size} process(es)\n`);
      process.exit(code); // runs the exit handlers: children killed, pod networks removed
    });
  }
  setInterval(() => {
    const gone = chain.find((a) => processStartTime(a.pid) !== a.started || isZombie(a.pid));
    if (!gone) return;
    process.stderr.write(`harness: pid ${gone.pid}, which this process runs under, is gone; stopping ${live.size} process(es) and exiting\n`);
    process.exit(1);
  }, 1000).unref();
}

function isZombie(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] === "Z";
  } catch {
    return true;
  }
}

/**
 * Spawns a process that belongs to this one: the parent-death signal (setpriv execs the program,
 * so the pid is the program's), the owner token in its environment (inherited by what it starts),
 * killed when this process exits or loses an ancestor.
 */
export function spawnOwned(command: string, args: string[], options: SpawnOptions & { env: NodeJS.ProcessEnv }): ChildProcess {
  const [cmd, cmdArgs] = hasSetpriv() ? ["setpriv", ["--pdeathsig", "KILL", "--", command, ...args]] : [command, args];
  const child = spawn(cmd, cmdArgs, { ...options, env: { ...options.env, [OWNER_VARIABLE]: ownerToken() } });
  watchOwner();
  live.add(child);
  child.on("exit", () => live.delete(child));
  return child;
}

/** A process started by the harness. Its pid is the program's own (spawn resolves after exec). */
export class HarnessProcess {
  readonly exited: Promise<ExitStatus>;
  private status: ExitStatus | undefined;

  private constructor(readonly name: string, readonly logFile: string, private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        this.status = { code, signal };
        resolve(this.status);
      });
    });
  }

  static start(options: StartOptions): Promise<HarnessProcess> {
    const log = fs.openSync(options.logFile, "a");
    const child = spawnOwned(options.command, options.args, { env: options.env, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    return new Promise((resolve, reject) => {
      child.once("error", (err) => reject(new Error(`${options.name}: cannot start ${options.command}: ${err.message}`)));
      child.once("spawn", () => resolve(new HarnessProcess(options.name, options.logFile, child)));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** How it ended, or undefined while it runs. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** The last lines of its log, or a note that it wrote none. */
  logTail(lines = 25): string {
    let text = "";
    try {
      text = fs.readFileSync(this.logFile, "utf8");
    } catch {
      // no log file
    }
    if (text.trim() === "") return `${this.name} wrote no log (${this.logFile} is empty)`;
    return `last lines of ${this.logFile}:\n` + text.trimEnd().split("\n").slice(-lines).map((l) => `    ${l}`).join("\n");
  }

  /** TERM, then KILL after graceMs; resolves once it has exited. */
  async stop(graceMs = 20_000): Promise<ExitStatus> {
    if (this.status) return this.status;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    const status = await this.exited;
    clearTimeout(timer);
    return status;
  }

  kill(): Promise<ExitStatus> {
    if (!this.status) this.child.kill("SIGKILL");
    return this.exited;
  }
}

/**
 * Waits until `ready()` resolves true. Fails at once, with its exit status and log, if the process
 * ends first; on timeout, with the last reason `ready()` gave and the log.
 */
export async function waitUntilReady(proc: HarnessProcess, ready: () => Promise<true | string>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last = "not checked yet";
  for (;;) {
    const status = proc.exitStatus;
    if (status) throw new StartError(proc, `${proc.name} ${describeExit(status)} during startup (pid ${proc.pid})\n${proc.logTail()}`);
    const result = await ready().catch((err: Error) => err.message);
    if (result === true) return Date.now() - started;
    last = result;
    if (proc.exitStatus) continue; // report the exit, not the failed probe
    if (Date.now() - started > timeoutMs) {
      throw new StartError(proc, `${proc.name} not ready after ${Math.round(timeoutMs / 1000)}s (last check: ${last})\n${proc.logTail()}`);
    }
    await Promise.race([new Promise((r) => setTimeout(r, 250)), proc.exited]);
  }
}

export class StartError extends Error {
  constructor(readonly process: HarnessProcess, message: string) {
    super(message);
  }
}
