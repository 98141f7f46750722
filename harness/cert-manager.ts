// The real cert-manager on the local control plane: Pebble (harness/pebble.ts) as the ACME server
// and the kubelet stand-in (harness/kubelet.ts) that runs the controller and webhook the cluster's
// Deployments describe. Used by the demo and the end-to-end tests, on Kubernetes 1.15 only
// (cert-manager 0.6.2 cannot run on 1.22+: no extensions/v1beta1 Ingress, no authorization v1beta1).
// With `http01`, Pebble validates HTTP-01 challenges for real, through the ingress stand-in
// (harness/ingress.ts) to the acmesolver pods the controller creates (cert-manager v1.1.1).
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { IngressStandIn } from "./ingress";
import { Kubelet, acmeRequestCounts } from "./kubelet";
import { Pebble, PebbleCounts } from "./pebble";
import { listPodLinks, listPodNamespaces } from "./pod-network";
import { checkRequirements } from "./requirements";
import { OWNER_VARIABLE, describeExit, processStartTime } from "./processes";

export interface CertManagerHarnessOptions {
  kubeconfig: string;
  apiserverPort: number;
  dir: string;
  env: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** Serve Ingresses of this class (the HTTP-01 solver's) and have Pebble validate through them. */
  http01?: { ingressClass: string };
}

/** Ready condition of one cert-manager object, as its controller reported it. */
export interface ReadyState {
  kind: "ClusterIssuer" | "Issuer" | "Certificate";
  namespace: string;
  name: string;
  ready: string;
  reason: string;
  message: string;
  /** When the controller last changed the Ready condition ("" when none). */
  lastTransitionTime: string;
  uid: string;
}

const PLURALS = { ClusterIssuer: "clusterissuers", Issuer: "issuers", Certificate: "certificates" } as const;

/** Every ClusterIssuer, Issuer and Certificate with its Ready condition ("" when none), keyed `Kind/namespace/name` (certmanager.k8s.io/v1alpha1 unless told). */
export async function readyStates(kc: k8s.KubeConfig, api: { group: string; version: string } = { group: "certmanager.k8s.io", version: "v1alpha1" }): Promise<Map<string, ReadyState>> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const out = new Map<string, ReadyState>();
  for (const [kind, plural] of Object.entries(PLURALS) as Array<[ReadyState["kind"], string]>) {
    const list = await custom.listClusterCustomObject({ group: api.group, version: api.version, plural });
    for (const o of list.items as Array<{ metadata: { name: string; namespace?: string; uid: string }; status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }> } }>) {
      const c = o.status?.conditions?.find((x) => x.type === "Ready");
      out.set(`${kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, {
        kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name, ready: c?.status ?? "", reason: c?.reason ?? "", message: c?.message ?? "",
        lastTransitionTime: c?.lastTransitionTime ?? "", uid: o.metadata.uid,
      });
    }
  }
  return out;
}

/** readyStates for cert-manager.io/v1: what cert-manager v1.1.1 reports. */
export function readyStatesV1(kc: k8s.KubeConfig): Promise<Map<string, ReadyState>> {
  return readyStates(kc, { group: "cert-manager.io", version: "v1" });
}

/** One of cert-manager v1.1.1's Orders: its Certificate ("namespace/name", "namespace/?" when not known), whether Pebble has it, its state. */
export interface OrderV1 {
  name: string;
  certificate: string;
  atServer: boolean;
  state: string;
  reason: string;
}

type V1Listed = { metadata: { name: string; namespace?: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> }; status?: { url?: string; state?: string; reason?: string } };

/** v1.1.1's Orders (acme.cert-manager.io/v1), each with the Certificate of its CertificateRequest (annotation cert-manager.io/certificate-name). */
export async function ordersV1(kc: k8s.KubeConfig): Promise<OrderV1[]> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const requests = (await custom.listClusterCustomObject({ group: "cert-manager.io", version: "v1", plural: "certificaterequests" })).items as V1Listed[];
  const certificateOf = new Map(requests.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r.metadata.annotations?.["cert-manager.io/certificate-name"] ?? "?"]));
  const orders = (await custom.listClusterCustomObject({ group: "acme.cert-manager.io", version: "v1", plural: "orders" })).items as V1Listed[];
  return orders.map((o) => {
    const request = o.metadata.ownerReferences?.find((r) => r.kind === "CertificateRequest")?.name ?? "?";
    return { name: o.metadata.name, certificate: `${o.metadata.namespace}/${certificateOf.get(`${o.metadata.namespace}/${request}`) ?? "?"}`, atServer: Boolean(o.status?.url), state: o.status?.state ?? "", reason: o.status?.reason ?? "" };
  });
}

/**
 * Polls `check` (true, or the reason it is not yet) until true; throws with the last reason after
 * timeoutMs, or at once with what `failure` reports (something the wait depends on cannot work).
 */
export async function waitFor(what: string, check: () => Promise<true | string>, timeoutMs: number, intervalMs = 2000, failure?: () => string | undefined): Promise<number> {
  const started = Date.now();
  let last = "not checked yet";
  for (;;) {
    const broken = failure?.();
    if (broken) throw new Error(`${what}: cannot happen: ${broken}`);
    try {
      const r = await check();
      if (r === true) return Date.now() - started;
      last = r;
    } catch (err) {
      last = (err as Error).message.split("\n")[0];
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${Math.round(timeoutMs / 1000)}s (last seen: ${last})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export class CertManagerHarness {
  private constructor(readonly pebble: Pebble, readonly kubelet: Kubelet, readonly ingress?: IngressStandIn) {}

  /** Starts the ingress stand-in (with http01), Pebble, then the watcher that runs cert-manager's Deployments. */
  static async start(options: CertManagerHarnessOptions): Promise<CertManagerHarness> {
    checkRequirements(["pod-networks"], options.env);
    let kubelet: Kubelet | undefined;
    const ingress = options.http01
      ? await IngressStandIn.start({ kubeconfig: options.kubeconfig, ingressClass: options.http01.ingressClass, pods: () => kubelet?.running() ?? [], log: options.log })
      : undefined;
    let pebble: Pebble | undefined;
    try {
      pebble = await Pebble.start({ dir: path.join(options.dir, "pebble"), env: options.env, log: options.log, http01Port: ingress?.port });
      kubelet = Kubelet.start({ kubeconfig: options.kubeconfig, apiserverPort: options.apiserverPort, dir: options.dir, env: options.env, pebble, log: options.log, ingressPort: ingress?.port });
      return new CertManagerHarness(pebble, kubelet, ingress);
    } catch (err) {
      await pebble?.stop();
      await ingress?.stop();
      throw err;
    }
  }

  /** Why the harness cannot work (a pod that cannot start, Pebble gone), or undefined. */
  failure(): string | undefined {
    const pebble = this.pebble.process.exitStatus;
    if (pebble) return `Pebble ${describeExit(pebble)}: ${this.pebble.process.logTail(5).replace(/\n\s*/g, " | ")}`;
    const dns = this.pebble.dns?.exitStatus;
    if (dns) return `Pebble's DNS (pebble-challtestsrv) ${describeExit(dns)}: ${this.pebble.dns!.logTail(5).replace(/\n\s*/g, " | ")}`;
    return this.kubelet.failure();
  }

  /** waitFor that fails at once when the harness itself cannot work. */
  waitFor(what: string, check: () => Promise<true | string>, timeoutMs: number, intervalMs = 2000): Promise<number> {
    return waitFor(what, check, timeoutMs, intervalMs, () => this.failure());
  }

  counts(): PebbleCounts {
    return this.pebble.counts();
  }

  /** The controller's certmanager_http_acme_client_request_count for POST /sign-me-up, by status (200: account found, 201: registered). */
  async signMeUp(namespace: string, deployment: string): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const s of acmeRequestCounts(await this.kubelet.metrics(namespace, deployment))) {
      if (s.path === "/sign-me-up" && s.method === "POST") out[s.status] = (out[s.status] ?? 0) + s.count;
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.kubelet.stop();
    await this.pebble.stop();
    await this.ingress?.stop();
  }
}

/**
 * What this process left behind: its network namespaces and links (names carry its pid), and
 * processes carrying its owner token. Empty once everything it started has stopped.
 */
export function leftovers(): string[] {
  const token = `${process.pid}/${processStartTime(process.pid) ?? "?"}`;
  const found = [
    ...listPodNamespaces().filter((n) => n.startsWith(`cmu-${process.pid}-`)).map((n) => `netns ${n}`),
    ...listPodLinks().filter((l) => l.startsWith(`cmuh${process.pid}n`)).map((l) => `link ${l}`),
  ];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!environ.includes(`${OWNER_VARIABLE}=${token}`)) continue;
      const state = fs.readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (state === "Z") continue;
      found.push(`process ${entry} ${fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").slice(0, 3).join(" ")}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}
