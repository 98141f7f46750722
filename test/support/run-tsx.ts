// Runs one of scripts/*.ts as `npm run NAME -- ...` does (tsx on the project's Node 24), with an
// environment the test chooses: no KUBECONFIG, no Pulumi backend unless given.
import * as path from "node:path";
import { ROOT } from "./fixtures";
import { NODE, RunResult, collect } from "./run-command";

const TSX_CLI = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

export function runTsx(script: string, args: string[], options: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, TSX_TSCONFIG_PATH: path.join(ROOT, "tsconfig.json") };
  for (const name of ["KUBECONFIG", "NODE_TEST_CONTEXT", "NODE_OPTIONS", "CMU_DEBUG", "PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"]) delete env[name];
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return collect(NODE, [TSX_CLI, path.join(ROOT, "scripts", script), ...args], options.cwd ?? ROOT, options.timeoutMs ?? 90_000, env);
}
