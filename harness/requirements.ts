// What the local harness needs from the machine, checked before anything starts so that a missing
// piece is named at once instead of surfacing as a timeout minutes later. What Node itself can do
// is done by Node (the pods' bridges); what remains is listed here, with the Debian package that
// provides it where there is one.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** What a command is about to do, each with its own requirements. */
export type Need = "unit-tests" | "control-plane" | "pod-networks" | "toolchain-build";

export interface MachineFacts {
  /** Whether each command is on PATH. */
  commands: Record<string, boolean>;
  uid: number;
  /** /proc/self/ns/net exists (the kernel has network namespaces). */
  networkNamespaces: boolean;
  /** `ip -4 addr` and `ip -4 route` lines that fall in POD_SUBNET, other than the harness's own links. */
  podSubnetInUse: string[];
}

export interface Missing {
  what: string;
  /** Debian package that provides it, when installing one is the fix. */
  debianPackage?: string;
  fix: string;
}

/** The pods' addresses (harness/pod-network.ts picks a /30 in it). */
export const POD_SUBNET = "10.250.0.0/16";

const COMMANDS: Record<Need, Array<{ command: string; why: string; debianPackage?: string; fix?: string }>> = {
  "unit-tests": [
    { command: "openssl", why: "makes the tests' certificates", debianPackage: "openssl" },
    { command: "jq", why: "runs the preview workflow's stack listing, as GitHub's runners do", debianPackage: "jq" },
  ],
  "control-plane": [
    { command: "openssl", why: "makes the control plane's CA and certificates", debianPackage: "openssl" },
    { command: "setpriv", why: "gives every component the parent-death signal", debianPackage: "util-linux" },
  ],
  "pod-networks": [
    { command: "ip", why: "creates the pods' network namespaces and links", debianPackage: "iproute2" },
    { command: "mount", why: "mounts each pod's service-account volume", debianPackage: "mount" },
  ],
  "toolchain-build": [
    { command: "go", why: "builds the toolchain from Go modules (scripts/toolchain.sh)", fix: "install Go 1.24 or newer and put it on PATH" },
    { command: "bash", why: "runs scripts/toolchain.sh", debianPackage: "bash" },
  ],
};

/** What is missing for `needs` on a machine with `facts` (pure: tested without a machine). */
export function missingRequirements(needs: Need[], facts: MachineFacts): Missing[] {
  const missing: Missing[] = [];
  const seen = new Set<string>();
  for (const need of needs) {
    for (const c of COMMANDS[need]) {
      if (facts.commands[c.command] || seen.has(c.command)) continue;
      seen.add(c.command);
      missing.push({
        what: `${c.command} (${c.why})`,
        debianPackage: c.debianPackage,
        fix: c.fix ?? `apt-get install ${c.debianPackage}`,
      });
    }
  }
  if (needs.includes("pod-networks")) {
    if (facts.uid !== 0) missing.push({ what: "root (network namespaces for cert-manager's pods)", fix: "run as root" });
    if (!facts.networkNamespaces) missing.push({ what: "network namespaces (/proc/self/ns/net)", fix: "run on a Linux kernel with network namespaces, outside a sandbox that hides them" });
    if (facts.podSubnetInUse.length > 0) {
      missing.push({ what: `a free ${POD_SUBNET} (in use here: ${facts.podSubnetInUse.slice(0, 2).join("; ")})`, fix: `free ${POD_SUBNET} or run on another machine` });
    }
  }
  return missing;
}

/** One line: what is missing and what to do. */
export function describeMissing(missing: Missing[]): string {
  const packages = [...new Set(missing.flatMap((m) => (m.debianPackage ? [m.debianPackage] : [])))];
  const fixes = [...new Set(missing.filter((m) => !m.debianPackage).map((m) => m.fix))];
  if (packages.length > 0) fixes.unshift(`apt-get install ${packages.join(" ")}`);
  return `this machine lacks ${missing.map((m) => m.what).join(", ")}: ${fixes.join("; ")}`;
}

function onPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? "").split(":").some((dir) => {
    if (!dir) return false;
    try {
      fs.accessSync(`${dir}/${command}`, fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** An address or route inside POD_SUBNET (a broader route, such as a default route, leaves it free). */
function inPodSubnet(line: string): boolean {
  return /\b10\.250\.\d+\.\d+/.test(line);
}

/** The facts of this machine, for `needs`. */
export function probeMachine(needs: Need[], env: NodeJS.ProcessEnv = process.env): MachineFacts {
  const commands: Record<string, boolean> = {};
  for (const need of needs) for (const c of COMMANDS[need]) commands[c.command] = onPath(c.command, env);
  let podSubnetInUse: string[] = [];
  if (needs.includes("pod-networks") && commands.ip) {
    const text = ["addr", "route"].map((what) => spawnSync("ip", ["-4", "-o", what, "show"], { encoding: "utf8", env }).stdout ?? "").join("\n");
    // The harness's own links (cmuh…) are those of a live run, or leftovers the next start removes.
    podSubnetInUse = text.split("\n").filter((l) => l.trim() !== "" && inPodSubnet(l) && !/\bcmuh\d+n\d+\b/.test(l)).map((l) => l.trim().replace(/\s+/g, " "));
  }
  return { commands, uid: process.getuid?.() ?? -1, networkNamespaces: fs.existsSync("/proc/self/ns/net"), podSubnetInUse };
}

export class RequirementsError extends Error {}

/** Throws a RequirementsError (one line) when the machine lacks something `needs` require. */
export function checkRequirements(needs: Need[], env: NodeJS.ProcessEnv = process.env): void {
  const missing = missingRequirements(needs, probeMachine(needs, env));
  if (missing.length > 0) throw new RequirementsError(describeMissing(missing));
}

/**
 * As checkRequirements, but first installs the missing Debian packages when it can (root, apt-get
 * present, CMU_INSTALL_PACKAGES not "no"), as the README's commands do all their own set-up.
 */
export function ensureRequirements(needs: Need[], options: { env?: NodeJS.ProcessEnv; log?: (line: string) => void } = {}): void {
  const env = options.env ?? process.env;
  const missing = missingRequirements(needs, probeMachine(needs, env));
  const packages = [...new Set(missing.flatMap((m) => (m.debianPackage ? [m.debianPackage] : [])))];
  const canInstall = packages.length > 0 && env.CMU_INSTALL_PACKAGES !== "no" && process.getuid?.() === 0 && onPath("apt-get", env);
  if (canInstall) {
    options.log?.(`installing ${packages.join(" ")} (apt-get; CMU_INSTALL_PACKAGES=no turns this off)`);
    const update = spawnSync("apt-get", ["update", "-qq"], { encoding: "utf8", env });
    const install = update.status === 0
      ? spawnSync("apt-get", ["install", "-y", "-qq", ...packages], { encoding: "utf8", env: { ...env, DEBIAN_FRONTEND: "noninteractive" } })
      : update;
    if (install.status !== 0) {
      throw new RequirementsError(`${describeMissing(missing)} (apt-get failed: ${(install.stderr || install.stdout || "").trim().split("\n").pop()})`);
    }
  }
  checkRequirements(needs, env);
}
