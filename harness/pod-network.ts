// A pod's network for the local harness, standing in for the CNI plugin and kube-proxy: each "pod"
// gets its own network namespace `cmu-<owner pid>-<n>` with a veth pair (host end `cmuh<pid>n<n>`,
// pod end `eth0`) on a private /30, so that
//   - what the pod listens on (cert-manager's metrics on 0.0.0.0:9402, the webhook on :6443) stays
//     inside its namespace and never collides with another pod or the host;
//   - kube-apiserver reaches the pod at a non-loopback address (Endpoints may not use 127.0.0.0/8);
//   - the pod reaches what the host serves on 127.0.0.1 only (kube-apiserver, Pebble) through a
//     bridge per port: a Unix socket served by this Node process, forwarding to 127.0.0.1:port, and
//     inside the namespace a Node process (harness/pod-bridge.cjs) listening on 127.0.0.1:port,
//     forwarding to that socket. Node is the one program the harness can count on being there.
// Nothing listens on a non-loopback address of the root namespace; the host end of the veth pair
// only carries the route to the pod. Everything is removed on stop(); leftovers of an owner that
// died are removed by cleanupLeftoverPodNetworks() (called at each start).
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { HarnessProcess, describeExit, processStartTime } from "./processes";

/** What runs inside the namespace for each bridged port. */
const POD_BRIDGE_SCRIPT = path.join(__dirname, "pod-bridge.cjs");

function readText(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** Where owner files and bridge sockets live (short: Unix socket paths are limited to 107 bytes). */
export const POD_NETWORK_RUN_DIR = "/tmp/cmu-pod-network";
const NETNS_PREFIX = "cmu-";
const LINK_PREFIX = "cmuh";

function ip(args: string[], allowFail = false): string {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.error) throw new Error(`ip not found (${r.error.message}): install iproute2`);
  if (r.status !== 0 && !allowFail) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The harness's network namespaces now present (ours and other runs'). */
export function listPodNamespaces(): string[] {
  return ip(["netns", "list"], true).split("\n").map((l) => l.trim().split(/\s+/)[0]).filter((n) => n?.startsWith(NETNS_PREFIX));
}

/** The harness's host-side links now present. */
export function listPodLinks(): string[] {
  return ip(["-o", "link", "show"], true).split("\n")
    .map((l) => /^\d+:\s+([^:@\s]+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n.startsWith(LINK_PREFIX));
}

function ownerToken(): string {
  return `${process.pid}/${processStartTime(process.pid) ?? "?"}`;
}

function ownerAlive(token: string | undefined): boolean {
  if (!token) return false;
  const [pid, started] = token.trim().split("/");
  if (processStartTime(Number(pid)) !== started) return false;
  try {
    // A killed owner not yet reaped by its parent (a zombie) is gone too.
    return fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Removes network namespaces and links `cmu-…` whose owner no longer runs (killed before it could
 * remove them). The owner is recorded in POD_NETWORK_RUN_DIR/<netns>.owner. Returns what it removed.
 */
export function cleanupLeftoverPodNetworks(): string[] {
  const removed: string[] = [];
  for (const ns of listPodNamespaces()) {
    const ownerFile = path.join(POD_NETWORK_RUN_DIR, `${ns}.owner`);
    let token: string | undefined;
    try {
      token = fs.readFileSync(ownerFile, "utf8");
    } catch {
      token = undefined;
    }
    if (ownerAlive(token)) continue;
    ip(["netns", "delete", ns], true);
    fs.rmSync(ownerFile, { force: true });
    removed.push(`netns ${ns}`);
  }
  for (const link of listPodLinks()) {
    const m = /^cmuh(\d+)n\d+$/.exec(link);
    // The owner's pid is in the name; its namespace (and so its token) may be gone already.
    const tokens = fs.existsSync(POD_NETWORK_RUN_DIR) ? fs.readdirSync(POD_NETWORK_RUN_DIR).filter((f) => f.startsWith(`cmu-${m?.[1]}-`) && f.endsWith(".owner")) : [];
    const alive = tokens.some((f) => ownerAlive(fs.readFileSync(path.join(POD_NETWORK_RUN_DIR, f), "utf8")));
    if (alive) continue;
    ip(["link", "delete", link], true);
    removed.push(`link ${link}`);
  }
  // Owner files and bridge sockets of namespaces that are gone, when their owner is gone too (a
  // live owner may be between writing its owner file and adding its namespace).
  if (fs.existsSync(POD_NETWORK_RUN_DIR)) {
    const present = new Set(listPodNamespaces());
    for (const f of fs.readdirSync(POD_NETWORK_RUN_DIR)) {
      const ns = /^(cmu-\d+-\d+)[-.]/.exec(f)?.[1];
      if (!ns || present.has(ns)) continue;
      let token: string | undefined;
      try {
        token = fs.readFileSync(path.join(POD_NETWORK_RUN_DIR, `${ns}.owner`), "utf8");
      } catch {
        token = undefined;
      }
      if (!ownerAlive(token)) fs.rmSync(path.join(POD_NETWORK_RUN_DIR, f), { force: true });
    }
  }
  return removed;
}

let sequence = 0;
const live = new Set<PodNetwork>();
let exitHook = false;

/** A free /30 in 10.250.0.0/16 (not on any interface of the root namespace, nor routed). */
function pickSubnet(): { host: string; pod: string } {
  const used = ip(["-o", "-4", "addr", "show"], true) + ip(["-4", "route", "show"], true);
  for (let i = 0; i < 200; i++) {
    const b = Math.floor(Math.random() * 256);
    const c = Math.floor(Math.random() * 64) * 4;
    const base = `10.250.${b}.`;
    if (used.includes(`${base}${c}/30`) || used.includes(`${base}${c + 1}/`) || used.includes(`${base}${c + 1} `)) continue;
    return { host: `${base}${c + 1}`, pod: `${base}${c + 2}` };
  }
  throw new Error("no free /30 left in 10.250.0.0/16 for a pod network");
}

export class PodNetwork {
  private readonly servers: net.Server[] = [];
  private readonly bridges: HarnessProcess[] = [];
  private readonly bridged = new Set<number>();
  private removed = false;

  private constructor(readonly namespace: string, readonly hostLink: string, readonly hostIp: string, readonly podIp: string, private readonly logDir: string) {}

  /** Creates the namespace, the veth pair and the addresses. */
  static create(logDir: string): PodNetwork {
    fs.mkdirSync(POD_NETWORK_RUN_DIR, { recursive: true, mode: 0o700 });
    const n = ++sequence;
    const namespace = `${NETNS_PREFIX}${process.pid}-${n}`;
    const hostLink = `${LINK_PREFIX}${process.pid}n${n}`;
    const podLink = `cmup${process.pid}n${n}`;
    if (hostLink.length > 15 || podLink.length > 15) throw new Error(`link name ${hostLink} is longer than 15 characters`);
    const { host, pod } = pickSubnet();
    fs.writeFileSync(path.join(POD_NETWORK_RUN_DIR, `${namespace}.owner`), ownerToken());
    const network = new PodNetwork(namespace, hostLink, host, pod, logDir);
    live.add(network);
    if (!exitHook) {
      exitHook = true;
      // On the owner's exit (a failed test included) nothing stays; a SIGKILLed owner's leftovers
      // go at the next start (cleanupLeftoverPodNetworks).
      process.on("exit", () => {
        for (const n of live) n.removeSync();
      });
    }
    try {
      ip(["netns", "add", namespace]);
      ip(["link", "add", hostLink, "type", "veth", "peer", "name", podLink]);
      ip(["link", "set", podLink, "netns", namespace]);
      ip(["addr", "add", `${host}/30`, "dev", hostLink]);
      ip(["link", "set", hostLink, "up"]);
      const inside = (...args: string[]) => ip(["netns", "exec", namespace, "ip", ...args]);
      inside("link", "set", "lo", "up");
      inside("link", "set", podLink, "name", "eth0");
      inside("addr", "add", `${pod}/30`, "dev", "eth0");
      inside("link", "set", "eth0", "up");
      inside("route", "add", "default", "via", host);
    } catch (err) {
      network.removeSync();
      throw err;
    }
    return network;
  }

  /** Command and args that run `command` inside this namespace (as `ip netns exec` does: setns, then exec). */
  exec(command: string, args: string[]): { command: string; args: string[] } {
    return { command: "ip", args: ["netns", "exec", this.namespace, command, ...args] };
  }

  /**
   * Makes 127.0.0.1:hostPort of the host reachable as 127.0.0.1:port inside the namespace (the pod's
   * view of the API server and of Pebble; of the ingress stand-in as port 80). Resolves once the
   * namespace side listens.
   */
  async bridge(port: number, env: NodeJS.ProcessEnv, hostPort = port): Promise<void> {
    if (this.bridged.has(port)) return; // a restarted pod keeps its network and bridges
    this.bridged.add(port);
    const socket = path.join(POD_NETWORK_RUN_DIR, `${this.namespace}-${port}.sock`);
    fs.rmSync(socket, { force: true });
    const server = net.createServer((conn) => {
      const upstream = net.connect(hostPort, "127.0.0.1");
      conn.pipe(upstream).pipe(conn);
      const close = () => {
        conn.destroy();
        upstream.destroy();
      };
      conn.on("error", close);
      upstream.on("error", close);
      conn.on("close", close);
      upstream.on("close", close);
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socket, () => resolve());
    });
    fs.chmodSync(socket, 0o600);
    server.unref();
    this.servers.push(server);
    const { command, args } = this.exec(process.execPath, [POD_BRIDGE_SCRIPT, String(port), socket]);
    const proc = await HarnessProcess.start({ name: `bridge ${this.namespace} :${port}`, command, args, logFile: path.join(this.logDir, `${this.namespace}-bridge-${port}.log`), env });
    this.bridges.push(proc);
    // No deadline of its own: the bridge either says it listens or exits (the caller's wait is
    // what gives up, and then says it was this bridge it waited for).
    for (;;) {
      if (proc.exitStatus) throw new Error(`the bridge for port ${port} in ${this.namespace} ${describeExit(proc.exitStatus)}: ${proc.logTail(5).replace(/\n\s*/g, " | ")}`);
      if (readText(proc.logFile).includes(`listening on 127.0.0.1:${port}`)) return;
      await Promise.race([new Promise((r) => setTimeout(r, 50)), proc.exited]);
    }
  }

  /** Stops the bridges, removes the namespace (its eth0 and so the whole veth pair) and the link. */
  async remove(): Promise<void> {
    for (const b of this.bridges) await b.stop(2000);
    this.removeSync();
  }

  private removeSync(): void {
    if (this.removed) return;
    this.removed = true;
    live.delete(this);
    for (const s of this.servers) s.close();
    ip(["netns", "delete", this.namespace], true);
    ip(["link", "delete", this.hostLink], true);
    for (const f of fs.readdirSync(POD_NETWORK_RUN_DIR)) {
      if (f === `${this.namespace}.owner` || f.startsWith(`${this.namespace}-`)) fs.rmSync(path.join(POD_NETWORK_RUN_DIR, f), { force: true });
    }
  }
}
