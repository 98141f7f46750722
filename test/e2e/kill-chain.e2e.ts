// Whatever ends `npm run cluster` or `npm run demo` — Ctrl-C (SIGINT to the process group), SIGTERM
// or SIGKILL, sent to npm or to any process between it and the harness (sh, tsx, the script's own
// node) — ends every component. (A SIGINT to npm alone ends nothing: npm and sh wait for their
// child, which never gets it; the command goes on, and so do its components.)
// npm does not pass a SIGTERM on, and a tsx re-parented to init kept the owner alive: each link of
// the chain is killed in turn here, with the real npm, on a real control plane.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { listPodLinks, listPodNamespaces } from "../../harness/pod-network";
import { OWNER_VARIABLE } from "../../harness/processes";
import { ROOT, toolchainEnv } from "../../lib/local-run";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-kill-chain-"));
let env: NodeJS.ProcessEnv;

before(async () => {
  env = await toolchainEnv({ build: true, extras: ["cert-manager", "pebble"] });
});

after(() => fs.rmSync(work, { recursive: true, force: true }));

function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  const s = stat(pid);
  return s !== undefined && s.state !== "Z";
}

function cmdline(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** Every live process below `root`, nearest first. */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const s = stat(Number(entry));
    if (!s || s.state === "Z") continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const c of children.get(queue.shift()!) ?? []) {
      out.push(c);
      queue.push(c);
    }
  }
  return out;
}

/** Live processes carrying a harness owner token that names `owner`. */
function ownedBy(owner: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || !alive(Number(entry))) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").some((v) => v.startsWith(`${OWNER_VARIABLE}=${owner}/`))) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

interface Chain {
  npm: ChildProcess;
  /** npm → (sh) → tsx → the script's node, which owns the components. */
  links: Array<{ name: string; pid: number }>;
  owner: number;
  output: () => string;
  /** Settles once npm has exited and its stdout and stderr are read to the end. */
  closed: Promise<void>;
}

/** Runs `npm run SCRIPT -- ARGS` and waits until `ready` shows in its output; names its chain. */
async function startChain(script: string, args: string[], ready: RegExp): Promise<Chain> {
  // Its own process group, as a terminal gives a command: Ctrl-C is SIGINT to the group.
  const npm = spawn("npm", ["run", script, "--", ...args], { cwd: ROOT, env: { ...env, CMU_INSTALL_PACKAGES: "no" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  started.push(npm.pid!);
  let output = "";
  npm.stdout!.on("data", (d: Buffer) => (output += d));
  npm.stderr!.on("data", (d: Buffer) => (output += d));
  const closed = new Promise<void>((resolve) => npm.on("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = () => ready.test(output) && resolve();
    npm.stdout!.on("data", check);
    npm.stderr!.on("data", check);
    npm.on("exit", (code) => reject(new Error(`npm run ${script} exited ${code} before ${ready}: ${output.slice(-2000)}`)));
  });
  const below = descendants(npm.pid!);
  const links = [{ name: "npm", pid: npm.pid! }];
  for (const pid of below) {
    const cmd = cmdline(pid);
    if (/^(\/bin\/)?sh -c/.test(cmd) && !links.some((l) => l.name === "sh")) links.push({ name: "sh", pid });
    else if (/tsx\/dist\/cli\.mjs|\/\.bin\/tsx /.test(cmd) && !links.some((l) => l.name === "tsx")) links.push({ name: "tsx", pid });
  }
  const owner = below.find((pid) => ownedBy(pid).length > 0);
  assert.ok(owner, `a process below npm owns the components: ${below.map((p) => `${p} ${cmdline(p).slice(0, 80)}`).join("; ")}`);
  links.push({ name: "node", pid: owner });
  assert.ok(links.some((l) => l.name === "tsx"), `tsx is in the chain: ${links.map((l) => l.name).join(" → ")}`);
  return { npm, links, owner, output: () => output, closed };
}

async function until(what: string, check: () => boolean, ms: number): Promise<number> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`not within ${ms / 1000}s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - started;
}

const LINKS = ["npm", "sh", "tsx", "node"];
const SIGNALS: NodeJS.Signals[] = ["SIGTERM", "SIGKILL"];
const figures: string[] = [];
/** Process groups this file started: killed at the end whatever a test left. */
const started: number[] = [];

after(() => {
  for (const group of started) {
    try {
      process.kill(-group, "SIGKILL");
    } catch {
      // the group is gone
    }
  }
  process.stdout.write(`kill chain: ${figures.join("; ")}\n`);
});

describe("killing any link between npm and the harness ends every component", { concurrency: false }, () => {
  test("npm run cluster: Ctrl-C (SIGINT to the whole process group, as a terminal sends it)", async () => {
    const chain = await startChain("cluster", ["--kubernetes", "1.34", "--dir", path.join(work, "ctrl-c")], /export KUBECONFIG=/);
    const components = ownedBy(chain.owner);
    assert.equal(components.length, 3, `etcd, kube-apiserver and kube-controller-manager run: ${components.map(cmdline).join("; ")}`);
    process.kill(-chain.npm.pid!, "SIGINT");
    const took = await until("every component and every link to end after Ctrl-C", () => [...components, ...chain.links.map((l) => l.pid)].every((p) => !alive(p)), 60_000);
    figures.push(`Ctrl-C: ${(took / 1000).toFixed(1)}s`);
    // Every process can be gone before its last lines are read from the pipe: read them to the end first.
    await chain.closed;
    assert.match(chain.output(), /cluster: stopped/, "stopped its own way, cleanly");
  });

  for (const link of LINKS) {
    for (const signal of SIGNALS) {
      test(`npm run cluster: ${signal} to ${link}`, async (t) => {
        const chain = await startChain("cluster", ["--kubernetes", "1.34", "--dir", path.join(work, `${link}-${signal}`)], /export KUBECONFIG=/);
        const target = chain.links.find((l) => l.name === link);
        if (!target) {
          // Some shells exec the script's command instead of forking: then there is no sh to kill.
          assert.equal(link, "sh", `the chain has a ${link}: ${JSON.stringify(chain.links)}`);
          t.diagnostic(`no sh in the chain (${chain.links.map((l) => l.name).join(" → ")}): npm's shell exec'd tsx`);
          process.kill(chain.npm.pid!, "SIGKILL");
          await until("the chain to end", () => [chain.owner, ...ownedBy(chain.owner)].every((p) => !alive(p)), 60_000);
          return;
        }
        const components = ownedBy(chain.owner);
        assert.equal(components.length, 3, `etcd, kube-apiserver and kube-controller-manager run: ${components.map(cmdline).join("; ")}`);
        const chainPids = chain.links.map((l) => l.pid);
        process.kill(target.pid, signal);
        // A busy 2-core machine gets a minute; the time taken is printed.
        const took = await until(`every component and every link to end after ${signal} to ${link}`, () => [...components, ...chainPids].every((p) => !alive(p)), 60_000);
        figures.push(`${signal} to ${link}: ${(took / 1000).toFixed(1)}s`);
        assert.deepEqual(ownedBy(chain.owner), []);
      });
    }
  }

  test("npm run demo: SIGKILL to npm while cert-manager's pods run takes pods, networks, Pebble and the control plane with it", async () => {
    const chain = await startChain("demo", [], /==> the 0\.4\.1 release's controller/);
    const netnsOf = () => listPodNamespaces().filter((n) => n.startsWith(`cmu-${chain.owner}-`));
    await until("a pod network of the demo", () => netnsOf().length > 0, 300_000);
    const owned = ownedBy(chain.owner);
    assert.ok(owned.some((p) => /cert-manager-controller/.test(cmdline(p))), `the legacy controller runs: ${owned.map(cmdline).join("; ")}`);
    assert.ok(owned.some((p) => /pod-bridge\.cjs/.test(cmdline(p))), "the pods' bridges are Node (no socat)");
    process.kill(chain.npm.pid!, "SIGKILL");
    const took = await until("every process of the demo to end and its pod networks to go", () =>
      [...owned, ...chain.links.map((l) => l.pid)].every((p) => !alive(p)) && netnsOf().length === 0
      && !listPodLinks().some((l) => l.startsWith(`cmuh${chain.owner}n`)), 60_000);
    figures.push(`demo, SIGKILL to npm: ${(took / 1000).toFixed(1)}s`);
  });
});
