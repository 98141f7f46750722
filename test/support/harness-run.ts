// What an end-to-end file on the harness sets up and tears down around its tests: the toolchain's
// environment (built on first use), a work folder, the log of every command it ran (printed when a
// test failed), and the cluster and cert-manager harness it started (stopped at the end).
import { after, before } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { CertManagerHarness } from "../../harness/cert-manager";
import { LocalCluster, ROOT, RunResult, run, toolchainEnv } from "../../lib/local-run";

type Extras = NonNullable<Parameters<typeof toolchainEnv>[0]["extras"]>;

export interface HarnessRun {
  env: NodeJS.ProcessEnv;
  readonly work: string;
  readonly logs: string[];
  cluster?: LocalCluster;
  harness?: CertManagerHarness;
  /** One of the project's scripts, as a user runs it; its output kept in `logs`. */
  script(name: string, args: string[]): Promise<RunResult>;
}

const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

/** Registers the file's before/after hooks; the tests fill in `cluster` and `harness` as they start them. */
export function harnessRun(prefix: string, extras: Extras): HarnessRun {
  const ctx: HarnessRun = {
    env: {},
    work: fs.mkdtempSync(path.join(os.tmpdir(), prefix)),
    logs: [],
    script: (name, args) => run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env: ctx.env }).then((r) => {
      ctx.logs.push(r.stdout, r.stderr);
      return r;
    }),
  };
  before(async () => {
    ctx.env = await toolchainEnv({ build: true, echo: true, extras });
  });
  after(async () => {
    await ctx.harness?.stop();
    await ctx.cluster?.stop();
    if (process.exitCode) {
      for (const line of ctx.logs.slice(-200)) if (line) console.error(line.trimEnd());
    }
    fs.rmSync(ctx.work, { recursive: true, force: true });
  });
  return ctx;
}
