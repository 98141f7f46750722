// What an end-to-end file on the harness sets up and tears down around its tests: the toolchain's
// environment (built on first use), a work folder, the log of every command it ran (printed when a
// test failed), and the cluster and cert-manager harness it started (stopped at the end).
import { after, before } from "node:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { CertManagerHarness, leftovers, waitFor } from "../../harness/cert-manager";
import { SEED_HTTP01_INGRESS_CLASS } from "../../lib/legacy-seed";
import { LocalCluster, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";

type Extras = NonNullable<Parameters<typeof toolchainEnv>[0]["extras"]>;

export interface HarnessRun {
  env: NodeJS.ProcessEnv;
  readonly work: string;
  readonly logs: string[];
  cluster?: LocalCluster;
  harness?: CertManagerHarness;
  /** One of the project's scripts, as a user runs it; its output kept in `logs`. */
  script(name: string, args: string[]): Promise<RunResult>;
  /**
   * Kubernetes 1.15, the harness (Pebble, the kubelet stand-in, the ingress stand-in for the seed's
   * HTTP-01 class) and the seed's 0.4.1 cluster with ACME issuers at Pebble and a certificate inside
   * its renewal window (`seed-legacy --renewal-due`); the kubeconfig of that cluster.
   */
  startSeededLegacy(options: { certificatesPerNamespace: number; secretMarker: string }): Promise<k8s.KubeConfig>;
  /** Stops the harness and the cluster, waits until no process, network namespace or link of theirs is left (throws naming what is), prints the `figures:` lines. */
  stopAndCheckNothingLeft(): Promise<void>;
}

const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

/** Registers the file's before/after hooks; the tests fill in `cluster` and `harness` as they start them. */
export function harnessRun(prefix: string, extras: Extras): HarnessRun {
  const ctx: HarnessRun = {
    env: {},
    work: fs.mkdtempSync(path.join(os.tmpdir(), prefix)),
    logs: [],
    async startSeededLegacy(options) {
      const log = (line: string) => ctx.logs.push(line);
      const cluster = ctx.cluster = await startCluster(path.join(ctx.work, "cluster"), ctx.env, { kubernetesVersion: "1.15", withoutEndpointsController: true, log });
      const harness = ctx.harness = await CertManagerHarness.start({ kubeconfig: cluster.kubeconfig, apiserverPort: cluster.apiserverPort, dir: path.join(ctx.work, "harness"), env: ctx.env, log,
        http01: { ingressClass: SEED_HTTP01_INGRESS_CLASS } });
      const seeded = await ctx.script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(ctx.work, "legacy-state"), "--namespaces", "2",
        "--certificates-per-namespace", String(options.certificatesPerNamespace), "--secret-marker", options.secretMarker, "--acme-server", harness.pebble.directoryUrl, "--renewal-due"]);
      if (seeded.code !== 0) throw new Error(`seed-legacy exited ${seeded.code}: ${seeded.stderr.trim()}`);
      const kc = new k8s.KubeConfig();
      kc.loadFromFile(cluster.kubeconfig);
      return kc;
    },
    async stopAndCheckNothingLeft() {
      await ctx.harness?.stop();
      ctx.harness = undefined;
      await ctx.cluster?.stop();
      ctx.cluster = undefined;
      await waitFor("every process, namespace and link gone", async () => {
        const left = leftovers();
        return left.length === 0 ? true : left.join(", ");
      }, 30_000, 500);
      process.stdout.write(`${ctx.logs.filter((l) => /^figures:/.test(l)).join("\n")}\n`);
    },
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
