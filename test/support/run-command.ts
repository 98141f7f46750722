// Runs the project's commands as child processes, the way `npm run backup -- ...` does:
// tsx's command line on the project's Node 24, with the script's absolute path so any cwd works.
import * as fs from "node:fs";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { ROOT } from "./fixtures";

/** The Node 24 the project pins (npm dev dependency `node`); the running one if it is missing. */
export const NODE = (() => {
  const local = path.join(ROOT, "node_modules", "node", "bin", "node");
  return fs.existsSync(local) ? local : process.execPath;
})();
const TSX_CLI = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Both streams, for "appears nowhere" checks. */
  output: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, "tsconfig.json"), npm_config_update_notifier: "false" };
  // Never read the developer's cluster; never look like a test-runner child; no debug stacks.
  delete env.KUBECONFIG;
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  delete env.CMU_DEBUG;
  return env;
}

/** Runs a command to its end, collecting its output; killed after `timeoutMs`. */
export function collect(command: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = childEnv()): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, output: stdout + stderr });
    });
  });
}

/** `tsx scripts/<name>.ts args...` with the given cwd (default: the project). */
export function runScript(name: "backup" | "plan" | "verify" | "explain" | "seed-legacy", args: string[], options: { cwd?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const env = options.env ? { ...childEnv(), ...options.env } : childEnv();
  return collect(NODE, [TSX_CLI, path.join(ROOT, "scripts", `${name}.ts`), ...args], options.cwd ?? ROOT, options.timeoutMs ?? 90_000, env);
}

/** `npm run --silent <name> -- args...` in the project, exactly as the README tells a user. */
export function runNpm(name: string, args: string[], timeoutMs = 90_000): Promise<RunResult> {
  return collect("npm", ["run", "--silent", name, "--", ...args], ROOT, timeoutMs);
}

/** Lines that are not the once-a-second progress lines ("backup: read ... (1.2s)"). */
export function nonProgressLines(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !/ \(\d+\.\ds\)$/.test(l));
}
