// The kubelet's part, for cert-manager only: while it runs, a watcher looks at the cluster's
// Deployments and runs the cert-manager controller and webhook they describe as local processes,
// each in its own network namespace (harness/pod-network.ts), with the Deployment's own container
// args and env, and stops them when the Deployment goes. What stands in for what:
//   - kubelet + container runtime: this watcher; the image is mapped to a binary of
//     CMU_CERT_MANAGER_BIN (jetstack cert-manager-controller → cert-manager-controller, -webhook →
//     cert-manager-webhook). The 0.4.1 release's controller (quay.io/jetstack/cert-manager-controller:
//     v0.4.1) is run by the 0.6.2 binary as a stand-in: the Go module proxy does not serve v0.4.1.
//     0.6.2's certificates, orders and challenges controllers need the Order and Challenge CRDs
//     that 0.4.1 did not have, so the stand-in runs only its issuers and clusterissuers controllers
//     (`--controllers=issuers,clusterissuers`): before the upgrade it registers the ACME accounts
//     and reports the issuers Ready, as 0.4.1 did; the certificates keep the status 0.4.1 wrote.
//   - env: `value` as is; `fieldRef` metadata.namespace, metadata.name, status.podIP resolved as
//     the kubelet does; `$(VAR)` in args expanded from them.
//   - the service-account token volume: the token, ca.crt and namespace of the pod's
//     ServiceAccount (from its token Secret) written into the pod's folder and bind-mounted at
//     /var/run/secrets/kubernetes.io/serviceaccount in the pod's own mount namespace (a private
//     tmpfs on /run: the host's /run is not touched); KUBERNETES_SERVICE_HOST/PORT name the bridge
//     to kube-apiserver. Both binaries then use in-cluster configuration, with the chart's RBAC.
//   - secret volumes: the Secret's keys written as files into the pod's folder; args naming the
//     mount path are pointed there. A pod whose Secret does not exist yet waits, as the kubelet does.
//   - the image's trust store: SSL_CERT_FILE = Pebble's test CA, when a Pebble is given.
//   - the endpoints controller: for each Service whose selector matches the pod's labels, the
//     watcher writes its Endpoints (pod IP, target port). The control plane runs without the
//     endpoints controller (it would empty them: no Pod object ever becomes Ready here).
//   - the chart's ca-sync CronJob (image quay.io/munnerz/apiextensions-ca-helper): its ConfigMap's
//     config is carried out as that job does: each APIService's caBundle from the named Secret key,
//     each ValidatingWebhookConfiguration's caBundle from the service-account ca.crt file.
//   - cert-manager v1.1.1 (images quay.io/jetstack/cert-manager-{controller,webhook,cainjector}:v1.1.1):
//     the binaries of CMU_CERT_MANAGER_V111_DIR/bin, with the Deployments' args as they are. The
//     webhook makes its own serving CA (Secret cert-manager-webhook-ca) and the cainjector puts it
//     into the webhook configurations: nothing of the ca-sync kind is done for them.
//   - Pods (not Deployments) with the acmesolver image (quay.io/jetstack/cert-manager-acmesolver),
//     which the v1.1.1 controller creates for HTTP-01: run as they are, each in a network namespace
//     of its own (no service-account volume: it talks to nobody), stopped when the Pod goes. The ingress stand-in (harness/ingress.ts) proxies to
//     them.
//   - cluster DNS and the ingress controller's address, when an ingress stand-in is given: a hosts
//     file bind-mounted at /etc/hosts in every pod's mount namespace maps each host of the cluster's
//     Ingresses to 127.0.0.1, and in the controller's namespace 127.0.0.1:80 is bridged to the
//     ingress stand-in (the controller's HTTP-01 self check goes to http://<domain>/…).
// The webhook's call path for admission needs nothing more: kube-apiserver 1.15 resolves the
// `kubernetes` Service in `default` (the ValidatingWebhookConfiguration's target) to itself
// (NewLoopbackServiceResolver in cmd/kube-apiserver/app/server.go), then the aggregator proxies to
// the APIService's endpoint, the webhook pod.
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { Pebble } from "./pebble";
import { ExitStatus, HarnessProcess, describeExit } from "./processes";
import { PodNetwork, cleanupLeftoverPodNetworks } from "./pod-network";

const IMAGE = /(^|\/)jetstack\/cert-manager-(controller|webhook|cainjector|acmesolver):(v[\w.-]+)$/;
/** Versions whose own binaries the toolchain builds; a controller of another version is run by the v0.6.2 stand-in. */
const BUILT_VERSIONS = ["v0.6.2", "v1.1.1"];
const CA_SYNC_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
export const METRICS_PORT = 9402;
// $1: hosts file for /etc/hosts or "-"; $2: service-account folder or "-"; then the program.
const MOUNT_POD_FILES = [
  "set -e",
  "mount -t tmpfs -o size=1m,mode=0755 cmu-pod-run /run",
  'if [ "$1" != - ]; then mount --bind "$1" /etc/hosts; fi',
  'if [ "$2" != - ]; then mkdir -p /run/secrets/kubernetes.io/serviceaccount; mount --bind "$2" /run/secrets/kubernetes.io/serviceaccount; fi',
  "shift 2",
  'exec "$@"',
].join("\n");

export interface KubeletOptions {
  /** An admin kubeconfig of the cluster (the watcher's own access). */
  kubeconfig: string;
  /** Port of kube-apiserver on 127.0.0.1 (bridged into each pod). */
  apiserverPort: number;
  /** Folder for pod files and logs. */
  dir: string;
  /** Holds CMU_CERT_MANAGER_BIN (v0.6.2) and/or CMU_CERT_MANAGER_V111_DIR (v1.1.1). */
  env: NodeJS.ProcessEnv;
  pebble?: Pebble;
  /** Port of the ingress stand-in on 127.0.0.1 (harness/ingress.ts): Ingress hosts resolve to it in pods. */
  ingressPort?: number;
  log?: (line: string) => void;
  /** Poll interval; default 1 s. */
  intervalMs?: number;
}

type Kind = "controller" | "webhook" | "cainjector" | "acmesolver";

interface Pod {
  key: string;
  kind: Kind;
  version: string;
  namespace: string;
  deployment: string;
  uid: string;
  network?: PodNetwork;
  process?: HarnessProcess;
  restarts: number;
  startedAt: number;
  waiting?: string;
  nextStart: number;
  labels: Record<string, string>;
  upkept?: number;
  /** A Deployment's pod, or a Pod the controller created (the acmesolver). */
  source: "deployment" | "pod";
}

/** Which cert-manager binary a container image stands for, or undefined. */
export function certManagerImage(image: string | undefined): { kind: Kind; version: string } | undefined {
  const m = image ? IMAGE.exec(image) : null;
  return m ? { kind: m[2] as Kind, version: m[3] } : undefined;
}

/** The program that stands for an image of this kind and version, and whether it is the v0.6.2 stand-in for another version. */
export function certManagerBinary(env: NodeJS.ProcessEnv, kind: Kind, version: string): { binary: string; standIn: boolean } {
  if (version === "v1.1.1") {
    if (!env.CMU_CERT_MANAGER_V111_DIR) throw new Error("cert-manager v1.1.1 binaries unknown: CMU_CERT_MANAGER_V111_DIR is not set (scripts/toolchain.sh --only cert-manager-v1.1.1 builds them)");
    return { binary: path.join(env.CMU_CERT_MANAGER_V111_DIR, "bin", `cert-manager-${kind}`), standIn: false };
  }
  if (!env.CMU_CERT_MANAGER_BIN) throw new Error("cert-manager v0.6.2 binaries unknown: CMU_CERT_MANAGER_BIN is not set (scripts/toolchain.sh --only cert-manager builds them)");
  if (kind !== "controller" && kind !== "webhook") throw new Error(`no ${kind} for cert-manager ${version}: only v1.1.1 has one here`);
  return { binary: path.join(env.CMU_CERT_MANAGER_BIN, `cert-manager-${kind}`), standIn: !BUILT_VERSIONS.includes(version) };
}

/** The hosts file pods get at /etc/hosts: each Ingress host at 127.0.0.1 (where its bridge to the ingress stand-in listens). */
export function hostsFile(ingressHosts: string[]): string {
  const names = [...new Set(ingressHosts)].sort();
  return ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", ...names.map((n) => `127.0.0.1\t${n}`)].join("\n") + "\n";
}

/** `$(VAR)` in an arg, expanded as the kubelet does (unknown names stay as written). */
export function expandArg(arg: string, env: Record<string, string>): string {
  return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
}

function statusCode(err: unknown): number | undefined {
  const e = err as { code?: number; statusCode?: number; response?: { statusCode?: number } };
  return e.code ?? e.statusCode ?? e.response?.statusCode;
}

export class Kubelet {
  private readonly pods = new Map<string, Pod>();
  private readonly kc = new k8s.KubeConfig();
  private timer?: NodeJS.Timeout;
  private busy = false;
  private stopped = false;
  private lastError = "";
  private fatal?: string;
  private readonly log: (line: string) => void;
  private readonly events: string[] = [];

  private constructor(private readonly options: KubeletOptions) {
    this.kc.loadFromFile(options.kubeconfig);
    this.log = (line) => {
      this.events.push(`${new Date().toISOString()} ${line}`);
      options.log?.(line);
    };
  }

  /** Starts watching; removes pod networks an earlier, killed run left behind. */
  static start(options: KubeletOptions): Kubelet {
    if (!options.env.CMU_CERT_MANAGER_BIN && !options.env.CMU_CERT_MANAGER_V111_DIR) throw new Error("cert-manager binaries unknown: neither CMU_CERT_MANAGER_BIN nor CMU_CERT_MANAGER_V111_DIR is set (scripts/toolchain.sh --only cert-manager or --only cert-manager-v1.1.1 builds them)");
    const removed = cleanupLeftoverPodNetworks();
    if (removed.length > 0) options.log?.(`removed what an earlier run left: ${removed.join(", ")}`);
    fs.mkdirSync(path.join(options.dir, "pods"), { recursive: true, mode: 0o700 });
    if (options.ingressPort !== undefined) fs.writeFileSync(path.join(options.dir, "hosts"), hostsFile([]), { mode: 0o644 });
    const kubelet = new Kubelet(options);
    kubelet.schedule(0);
    return kubelet;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      await this.sync();
      this.lastError = "";
    } catch (err) {
      const message = (err as Error).message?.split("\n")[0] ?? String(err);
      if (message !== this.lastError) this.log(`kubelet: ${message} (retrying)`);
      this.lastError = message;
    } finally {
      this.busy = false;
      this.schedule(this.options.intervalMs ?? 1000);
    }
  }

  /** One pass: the Deployments now, against the pods now. */
  private async sync(): Promise<void> {
    const apps = this.kc.makeApiClient(k8s.AppsV1Api);
    const list = await apps.listDeploymentForAllNamespaces();
    const desired = new Map<string, k8s.V1Deployment>();
    for (const d of list.items) {
      if (d.metadata?.deletionTimestamp || (d.spec?.replicas ?? 1) < 1) continue;
      if (!d.spec?.template.spec?.containers.some((c) => certManagerImage(c.image))) continue;
      desired.set(`${d.metadata!.namespace}/${d.metadata!.name}/${d.metadata!.uid}`, d);
    }
    if (this.options.ingressPort !== undefined) {
      // Pods the controller created (the HTTP-01 solver), run as the kubelet runs any Pod.
      const core = this.kc.makeApiClient(k8s.CoreV1Api);
      for (const p of (await core.listPodForAllNamespaces()).items) {
        if (p.metadata?.deletionTimestamp || !p.spec?.containers.some((c) => certManagerImage(c.image)?.kind === "acmesolver")) continue;
        desired.set(`pod/${p.metadata!.namespace}/${p.metadata!.name}/${p.metadata!.uid}`, {
          metadata: p.metadata, spec: { selector: {}, template: { metadata: { labels: p.metadata!.labels }, spec: p.spec } },
        });
      }
      await this.writeHostsFile();
    }
    for (const [key, pod] of this.pods) {
      if (!desired.has(key)) await this.stopPod(pod, pod.source === "pod" ? "its Pod is gone" : "its Deployment is gone");
    }
    for (const [key, d] of desired) {
      let pod = this.pods.get(key);
      const container = d.spec!.template.spec!.containers.find((c) => certManagerImage(c.image))!;
      if (!pod) {
        const image = certManagerImage(container.image)!;
        pod = {
          key, kind: image.kind, version: image.version, namespace: d.metadata!.namespace!, deployment: d.metadata!.name!, uid: d.metadata!.uid!,
          restarts: 0, startedAt: 0, nextStart: 0, labels: d.spec!.template.metadata?.labels ?? {}, source: key.startsWith("pod/") ? "pod" : "deployment",
        };
        this.pods.set(key, pod);
      }
      if (pod.process && !pod.process.exitStatus) {
        // Endpoints and caBundle kept right (Helm may re-apply them), every 5 s.
        if (pod.kind === "webhook" && Date.now() - (pod.upkept ?? 0) > 5000) await this.webhookUpkeep(pod, d);
        continue;
      }
      if (pod.process?.exitStatus) {
        // A pod that ran a while before it crashed starts a new count, as the kubelet's back-off does.
        if (Date.now() - pod.startedAt > 60_000) pod.restarts = 0;
        const cannotRun = cannotRunReason(pod.process.exitStatus, pod.restarts, pod.process.logTail(5));
        if (cannotRun) {
          this.failed(`${pod.namespace}/${pod.deployment} ${describeExit(pod.process.exitStatus)}, ${cannotRun}: ${oneLine(pod.process.logTail(5))}`);
          continue;
        }
        // Crashed: restart with a back-off, as the kubelet does (CrashLoopBackOff).
        this.log(`kubelet: ${pod.namespace}/${pod.deployment} ${describeExit(pod.process.exitStatus)}; restarting (${pod.process.logTail(5)})`);
        pod.process = undefined;
        pod.restarts++;
        pod.nextStart = Date.now() + Math.min(30_000, 2000 * 2 ** Math.min(pod.restarts, 4));
      }
      if (Date.now() < pod.nextStart || this.fatal) continue;
      await this.startPod(pod, d, container);
    }
  }

  /** The hosts of every Ingress into the pods' hosts file (the stand-in for cluster DNS + the ingress controller's address). */
  private async writeHostsFile(): Promise<void> {
    const custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const list = await custom.listClusterCustomObject({ group: "extensions", version: "v1beta1", plural: "ingresses" }) as { items: Array<{ spec?: { rules?: Array<{ host?: string }> } }> };
    const text = hostsFile(list.items.flatMap((i) => (i.spec?.rules ?? []).map((r) => r.host).filter((h): h is string => !!h)));
    const file = path.join(this.options.dir, "hosts");
    // Written in place: the pods see the same inode through their bind mounts.
    if (fs.readFileSync(file, "utf8") !== text) fs.writeFileSync(file, text);
  }

  /** The service-account token volume's files (token, ca.crt, namespace) in the pod's folder, or why not yet. */
  private async serviceAccountVolume(pod: Pod, d: k8s.V1Deployment, podDir: string): Promise<{ dir: string } | string> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const saName = d.spec!.template.spec!.serviceAccountName ?? "default";
    let sa: k8s.V1ServiceAccount;
    try {
      sa = await core.readNamespacedServiceAccount({ namespace: pod.namespace, name: saName });
    } catch (err) {
      if (statusCode(err) === 404) return `ServiceAccount ${pod.namespace}/${saName} does not exist yet`;
      throw err;
    }
    const secretName = sa.secrets?.[0]?.name;
    if (!secretName) return `ServiceAccount ${pod.namespace}/${saName} has no token yet`;
    const secret = await core.readNamespacedSecret({ namespace: pod.namespace, name: secretName });
    if (!secret.data?.token || !secret.data["ca.crt"]) return `token Secret ${pod.namespace}/${secretName} is not filled yet`;
    const dir = path.join(podDir, "serviceaccount");
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(dir, "token"), Buffer.from(secret.data.token, "base64"), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "ca.crt"), Buffer.from(secret.data["ca.crt"], "base64"), { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "namespace"), pod.namespace, { mode: 0o600 });
    return { dir };
  }

  /** Secret volumes, written as files; the mount path → folder map, or why not yet. */
  private async secretVolumes(pod: Pod, d: k8s.V1Deployment, container: k8s.V1Container, podDir: string): Promise<Map<string, string> | string> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const mounts = new Map<string, string>();
    for (const m of container.volumeMounts ?? []) {
      const volume = d.spec!.template.spec!.volumes?.find((v) => v.name === m.name);
      if (!volume?.secret?.secretName) continue;
      let secret: k8s.V1Secret;
      try {
        secret = await core.readNamespacedSecret({ namespace: pod.namespace, name: volume.secret.secretName });
      } catch (err) {
        if (statusCode(err) === 404) return `Secret ${pod.namespace}/${volume.secret.secretName} (volume ${m.name}) does not exist yet`;
        throw err;
      }
      const dir = path.join(podDir, "volumes", m.name);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const [k, v] of Object.entries(secret.data ?? {})) fs.writeFileSync(path.join(dir, k), Buffer.from(v, "base64"), { mode: 0o600 });
      mounts.set(m.mountPath, dir);
    }
    return mounts;
  }

  private async startPod(pod: Pod, d: k8s.V1Deployment, container: k8s.V1Container): Promise<void> {
    const podName = pod.source === "pod" ? pod.deployment : `${pod.deployment}-cmu${process.pid}`;
    const podDir = path.join(this.options.dir, "pods", `${pod.namespace}_${pod.deployment}`);
    fs.mkdirSync(podDir, { recursive: true, mode: 0o700 });
    // The acmesolver only serves HTTP: its service-account volume is left out.
    const sa = pod.source === "pod" ? { dir: "-" } : await this.serviceAccountVolume(pod, d, podDir);
    const mounts = typeof sa === "string" ? sa : await this.secretVolumes(pod, d, container, podDir);
    const waiting = typeof sa === "string" ? sa : typeof mounts === "string" ? mounts : undefined;
    if (waiting || typeof sa === "string" || typeof mounts === "string") {
      if (waiting !== pod.waiting) this.log(`kubelet: ${pod.namespace}/${pod.deployment} waits: ${waiting}`);
      pod.waiting = waiting;
      return;
    }
    pod.waiting = undefined;
    // What a container runtime and CNI plugin would do cannot be retried into working: a network,
    // bridge or process that fails here fails the harness at once, with its own message.
    const network = await this.orFail(pod, async () => {
      pod.network ??= PodNetwork.create(podDir);
      await pod.network.bridge(this.options.apiserverPort, this.options.env);
      if (this.options.pebble) await pod.network.bridge(this.options.pebble.port, this.options.env);
      if (this.options.ingressPort !== undefined && pod.kind === "controller") await pod.network.bridge(80, this.options.env, this.options.ingressPort);
      return pod.network;
    });

    const env: Record<string, string> = {};
    for (const e of container.env ?? []) {
      if (e.value !== undefined) env[e.name] = expandArg(e.value, env);
      else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.namespace") env[e.name] = pod.namespace;
      else if (e.valueFrom?.fieldRef?.fieldPath === "metadata.name") env[e.name] = podName;
      else if (e.valueFrom?.fieldRef?.fieldPath === "status.podIP") env[e.name] = network.podIp;
    }
    let args = (container.args ?? []).map((a) => expandArg(a, env));
    for (const [mountPath, dir] of mounts) args = args.map((a) => a.split(`${mountPath}/`).join(`${dir}/`));
    const { binary, standIn } = await this.orFail(pod, async () => certManagerBinary(this.options.env, pod.kind, pod.version));
    if (pod.kind === "controller" && standIn) {
      // The 0.4.1 stand-in (see the head of this file): issuers and clusterissuers only.
      args.push("--controllers=issuers,clusterissuers");
    }
    const hosts = this.options.ingressPort !== undefined ? path.join(this.options.dir, "hosts") : "-";
    // In the pod's network namespace (`ip netns exec` also gives it a mount namespace of its own):
    // a private /run holding the service-account volume at /var/run/secrets/kubernetes.io/serviceaccount,
    // then the binary itself (exec: the pid stays the program's).
    const { command, args: execArgs } = network.exec("sh", ["-c", MOUNT_POD_FILES, "sh", hosts, sa.dir, binary, ...args]);
    // In-cluster configuration, as the kubelet sets it; the address is the bridge to kube-apiserver.
    const processEnv: NodeJS.ProcessEnv = {
      PATH: this.options.env.PATH, HOME: podDir,
      KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: String(this.options.apiserverPort), ...env,
    };
    if (this.options.pebble) processEnv.SSL_CERT_FILE = this.options.pebble.caFile;
    pod.process = await this.orFail(pod, () => HarnessProcess.start({
      name: `${pod.namespace}/${pod.deployment}`, command, args: execArgs, env: processEnv,
      logFile: path.join(podDir, `${pod.kind}.log`),
    }));
    pod.startedAt = Date.now();
    this.log(`kubelet: started ${pod.source === "pod" ? "Pod " : ""}${pod.namespace}/${pod.deployment} (${pod.kind} ${pod.version}${standIn ? " run by the v0.6.2 binary" : ""}) pid ${pod.process.pid} in ${network.namespace} at ${network.podIp}: ${args.filter((a) => !a.startsWith("--kubeconfig") && !a.includes("-kubeconfig=")).join(" ")}`);
    if (pod.kind === "webhook") await this.webhookUpkeep(pod, d);
  }

  private async orFail<T>(pod: Pod, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      this.failed(`${pod.namespace}/${pod.deployment} cannot start: ${oneLine((err as Error).message)}`);
      throw err;
    }
  }

  private failed(reason: string): void {
    if (this.fatal) return;
    this.fatal = reason;
    this.log(`kubelet: ${reason}`);
  }

  /** Why a pod cannot run here (it will not start however long one waits), or undefined. */
  failure(): string | undefined {
    return this.fatal;
  }

  /** The endpoints controller's and the ca-sync job's part for a running webhook pod. */
  private async webhookUpkeep(pod: Pod, _d: k8s.V1Deployment): Promise<void> {
    pod.upkept = Date.now();
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const services = await core.listNamespacedService({ namespace: pod.namespace });
    for (const svc of services.items) {
      const selector = svc.spec?.selector;
      if (!selector || Object.keys(selector).length === 0) continue;
      if (!Object.entries(selector).every(([k, v]) => pod.labels[k] === v)) continue;
      const subsets: k8s.V1EndpointSubset[] = [{
        addresses: [{ ip: pod.network!.podIp }],
        ports: (svc.spec?.ports ?? []).map((p) => ({ name: p.name, port: typeof p.targetPort === "number" ? p.targetPort : Number(p.targetPort ?? p.port) || p.port, protocol: p.protocol ?? "TCP" })),
      }];
      const name = svc.metadata!.name!;
      let current: k8s.V1Endpoints | undefined;
      try {
        current = await core.readNamespacedEndpoints({ namespace: pod.namespace, name });
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
      if (current && JSON.stringify(current.subsets) === JSON.stringify(subsets)) continue;
      const body: k8s.V1Endpoints = { metadata: { name, namespace: pod.namespace, labels: svc.metadata?.labels }, subsets };
      if (current) await core.replaceNamespacedEndpoints({ namespace: pod.namespace, name, body: { ...body, metadata: { ...body.metadata, resourceVersion: current.metadata?.resourceVersion } } });
      else await core.createNamespacedEndpoints({ namespace: pod.namespace, body });
      this.log(`kubelet: Endpoints ${pod.namespace}/${name} → ${pod.network!.podIp}`);
    }
    await this.caSync(pod.namespace);
  }

  /** Carries out the chart's ca-sync config (ConfigMaps holding `apiServices`/`validatingWebhookConfigurations`). */
  private async caSync(namespace: string): Promise<void> {
    const core = this.kc.makeApiClient(k8s.CoreV1Api);
    const custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const maps = await core.listNamespacedConfigMap({ namespace });
    for (const cm of maps.items) {
      if (!cm.metadata?.name?.endsWith("-ca-sync") || !cm.data?.config) continue;
      const config = JSON.parse(cm.data.config) as {
        apiServices?: Array<{ name: string; secret?: { name: string; namespace: string; key: string } }>;
        validatingWebhookConfigurations?: Array<{ name: string; file?: { path: string } }>;
      };
      for (const a of config.apiServices ?? []) {
        if (!a.secret) continue;
        let bundle: string | undefined;
        try {
          bundle = (await core.readNamespacedSecret({ namespace: a.secret.namespace, name: a.secret.name })).data?.[a.secret.key];
        } catch (err) {
          if (statusCode(err) === 404) continue;
          throw err;
        }
        if (!bundle) continue;
        const svc = await custom.getClusterCustomObject({ group: "apiregistration.k8s.io", version: "v1beta1", plural: "apiservices", name: a.name }).catch(() => undefined) as k8s.V1APIService | undefined;
        if (!svc || svc.spec?.caBundle === bundle) continue;
        await custom.replaceClusterCustomObject({ group: "apiregistration.k8s.io", version: "v1beta1", plural: "apiservices", name: a.name, body: { ...svc, spec: { ...svc.spec, caBundle: bundle } } });
        this.log(`kubelet: ca-sync: APIService ${a.name} caBundle from Secret ${a.secret.namespace}/${a.secret.name}`);
      }
      for (const w of config.validatingWebhookConfigurations ?? []) {
        if (w.file?.path !== CA_SYNC_FILE) continue;
        // The job's own service-account ca.crt: the cluster's root CA, as in every token Secret.
        const saSecrets = await core.listNamespacedSecret({ namespace, fieldSelector: "type=kubernetes.io/service-account-token" });
        const ca = saSecrets.items.find((s) => s.data?.["ca.crt"])?.data?.["ca.crt"];
        if (!ca) continue;
        const vwc = await custom.getClusterCustomObject({ group: "admissionregistration.k8s.io", version: "v1beta1", plural: "validatingwebhookconfigurations", name: w.name }).catch(() => undefined) as { webhooks?: Array<{ clientConfig: { caBundle?: string } }> } | undefined;
        if (!vwc?.webhooks || vwc.webhooks.every((h) => h.clientConfig.caBundle === ca)) continue;
        for (const h of vwc.webhooks) h.clientConfig.caBundle = ca;
        await custom.replaceClusterCustomObject({ group: "admissionregistration.k8s.io", version: "v1beta1", plural: "validatingwebhookconfigurations", name: w.name, body: vwc });
        this.log(`kubelet: ca-sync: ValidatingWebhookConfiguration ${w.name} caBundle from ${CA_SYNC_FILE}`);
      }
    }
  }

  private async stopPod(pod: Pod, why: string): Promise<void> {
    this.pods.delete(pod.key);
    if (pod.process && !pod.process.exitStatus) {
      await pod.process.stop(10_000);
      this.log(`kubelet: stopped ${pod.namespace}/${pod.deployment} (${why})`);
    }
    await pod.network?.remove();
  }

  /** The running pods: namespace/deployment → pid, netns, IP. */
  running(): Array<{ namespace: string; deployment: string; kind: Kind; version: string; pid: number; netns: string; ip: string; logFile: string; labels: Record<string, string> }> {
    return [...this.pods.values()].filter((p) => p.process && !p.process.exitStatus && p.network).map((p) => ({
      namespace: p.namespace, deployment: p.deployment, kind: p.kind, version: p.version, pid: p.process!.pid, labels: p.labels,
      netns: p.network!.namespace, ip: p.network!.podIp, logFile: p.process!.logFile,
    }));
  }

  /** What the watcher did, one line per step. */
  eventLog(): string[] {
    return [...this.events];
  }

  /** The controller's Prometheus metrics (:9402 in its namespace, reached over the veth pair). */
  metrics(namespace: string, deployment: string): Promise<string> {
    const pod = this.running().find((p) => p.namespace === namespace && p.deployment === deployment);
    if (!pod) return Promise.reject(new Error(`no running pod for Deployment ${namespace}/${deployment}`));
    return new Promise((resolve, reject) => {
      const req = http.get(`http://${pod.ip}:${METRICS_PORT}/metrics`, { timeout: 10_000 }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d));
        res.on("end", () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`metrics: HTTP ${res.statusCode}`))));
      });
      req.on("timeout", () => req.destroy(new Error("metrics: no answer within 10s")));
      req.on("error", reject);
    });
  }

  /** Stops every pod and removes its network; the watcher stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.busy) await new Promise((r) => setTimeout(r, 50));
    for (const pod of [...this.pods.values()]) await this.stopPod(pod, "the harness stops");
  }
}

/**
 * When a pod's exit means it cannot run at all, rather than a crash worth restarting: the shell
 * (127, 126) or `ip netns exec` (255) could not exec the program, or it keeps crashing (the
 * kubelet's CrashLoopBackOff, which a test waiting on it would otherwise sit out to its timeout).
 */
export function cannotRunReason(status: ExitStatus, restartsSoFar: number, logTail: string): string | undefined {
  if (status.code === 127 || status.code === 126) return "its program could not be run";
  // 255 is also klog.Fatal's status: only ip's own message says the exec failed.
  if (status.code === 255 && /exec of ".*" failed/.test(logTail)) return "its network namespace could not run it";
  if (restartsSoFar + 1 >= CRASH_LOOP_LIMIT) return `crashed ${restartsSoFar + 1} times in a row`;
  return undefined;
}

const CRASH_LOOP_LIMIT = 5;

function oneLine(text: string): string {
  return text.trim().replace(/\n\s*/g, " | ");
}

/** certmanager_http_acme_client_request_count samples by path and status (pure: tested without a controller). */
export function acmeRequestCounts(metricsText: string): Array<{ path: string; status: string; method: string; count: number }> {
  const out: Array<{ path: string; status: string; method: string; count: number }> = [];
  for (const line of metricsText.split("\n")) {
    if (!line.startsWith("certmanager_http_acme_client_request_count{")) continue;
    const m = /^certmanager_http_acme_client_request_count\{([^}]*)\}\s+([0-9.e+]+)/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    out.push({ path: labels.path ?? "", status: labels.status ?? "", method: labels.method ?? "", count: Number(m[2]) });
  }
  return out;
}
