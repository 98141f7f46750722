// A throwaway Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager
// (no scheduler, no kubelet: no pod ever runs). Modelled on controller-runtime's envtest: the
// processes belong to the Node process that started them and die with it.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { HarnessProcess, StartError, killOrphans, waitUntilReady } from "./processes";
import { checkRequirements } from "./requirements";

const SERVICE_CIDR = "10.0.0.0/24";
const SERVICE_IP = "10.0.0.1"; // the `kubernetes` Service: first address of SERVICE_CIDR
const PORT_ATTEMPTS = 3;

/**
 * Which Kubernetes: 1.15 is what clusters still running cert-manager 0.4 run (the charts' own API:
 * apps/v1beta1, apiextensions v1beta1); 1.34 is a cluster newer than the chart.
 */
export type KubernetesVersion = "1.15" | "1.34";
export const KUBERNETES_VERSIONS: KubernetesVersion[] = ["1.15", "1.34"];

interface VersionFacts {
  /** Where kube-apiserver and kube-controller-manager come from (undefined: PATH). */
  binDir?: string;
  /** /readyz exists from 1.16 on. */
  readyPath: string;
  /** 1.15 opens insecure ports unless told not to (8080 on loopback; the controller-manager 10252 on every address). */
  apiserverExtra: string[];
  controllerManagerExtra: string[];
}

function versionFacts(version: KubernetesVersion, env: NodeJS.ProcessEnv): VersionFacts {
  if (version === "1.15") {
    const binDir = env.CMU_KUBE_1_15_BIN;
    if (!binDir) throw new Error("Kubernetes 1.15 binaries unknown: CMU_KUBE_1_15_BIN is not set (scripts/toolchain.sh --print-env sets it once they are built)");
    return { binDir, readyPath: "/healthz", apiserverExtra: ["--insecure-port=0"], controllerManagerExtra: ["--port=0"] };
  }
  return { readyPath: "/readyz", apiserverExtra: [], controllerManagerExtra: [] };
}

export interface ControlPlaneOptions {
  /** Default $CMU_KUBERNETES_VERSION, else 1.34. */
  kubernetesVersion?: KubernetesVersion;
  /** State folder (certificates, etcd data, logs, kubeconfig); created if missing. */
  dir: string;
  /** PATH etc. holding etcd, kube-apiserver, kube-controller-manager and openssl. */
  env: NodeJS.ProcessEnv;
  /** Per component; default 180 s ($CMU_CLUSTER_TIMEOUT), enough on a busy 2-core machine. */
  readyTimeoutMs?: number;
  /** Progress lines (each component ready, with its time). */
  log?: (line: string) => void;
  /**
   * Run kube-controller-manager without its endpoints controller: for the cert-manager harness
   * (harness/kubelet.ts), which writes the webhook Service's Endpoints itself, as no Pod object ever
   * becomes Ready here (the endpoints controller would empty them).
   */
  withoutEndpointsController?: boolean;
}

interface Ports {
  etcd: number;
  etcdPeer: number;
  apiserver: number;
  controllerManager: number;
}

export function defaultKubernetesVersion(): KubernetesVersion {
  const v = process.env.CMU_KUBERNETES_VERSION;
  if (v === undefined || v === "") return "1.34";
  if (!KUBERNETES_VERSIONS.includes(v as KubernetesVersion)) throw new Error(`CMU_KUBERNETES_VERSION=${v} is not one of ${KUBERNETES_VERSIONS.join(", ")}`);
  return v as KubernetesVersion;
}

/** Free TCP ports on 127.0.0.1, as the kernel hands them out (bound, then released). */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function openssl(cwd: string, env: NodeJS.ProcessEnv, args: string[]): void {
  const r = spawnSync("openssl", args, { cwd, env, encoding: "utf8" });
  if (r.error) throw new Error(`openssl not found (${r.error.message}): install it (apt-get install openssl)`);
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr.trim().split("\n").pop()}`);
}

/** A cluster CA, a front-proxy CA, serving and client certificates, the service-account key pair (EC: fast). */
function generateCertificates(pki: string, env: NodeJS.ProcessEnv): void {
  fs.mkdirSync(pki, { recursive: true, mode: 0o700 });
  const ssl = (...args: string[]) => openssl(pki, env, args);
  const key = (file: string) => ssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", file);
  for (const ca of ["ca", "front-proxy-ca"]) {
    key(`${ca}.key`);
    ssl("req", "-x509", "-new", "-nodes", "-key", `${ca}.key`, "-sha256", "-days", "3650", "-subj", `/CN=cmu-local-${ca}`,
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature", "-out", `${ca}.crt`);
  }
  const leaf = (name: string, ca: string, subject: string, usage: string, san?: string) => {
    key(`${name}.key`);
    ssl("req", "-new", "-key", `${name}.key`, "-subj", subject, "-out", `${name}.csr`);
    fs.writeFileSync(path.join(pki, `${name}.ext`), [
      "basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", `extendedKeyUsage=${usage}`,
      ...(san ? [`subjectAltName=${san}`] : []),
    ].join("\n") + "\n");
    ssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-sha256", "-days", "3650",
      "-extfile", `${name}.ext`, "-out", `${name}.crt`);
    fs.rmSync(path.join(pki, `${name}.csr`));
    fs.rmSync(path.join(pki, `${name}.ext`));
  };
  leaf("apiserver", "ca", "/CN=kube-apiserver", "serverAuth",
    `IP:127.0.0.1,IP:${SERVICE_IP},DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local`);
  leaf("admin", "ca", "/O=system:masters/CN=cmu-admin", "clientAuth");
  // --use-service-account-credentials=false runs every controller as this identity, for which the
  // system:kube-controller-manager ClusterRole alone is too narrow: hence system:masters.
  leaf("controller-manager", "ca", "/O=system:masters/CN=system:kube-controller-manager", "clientAuth");
  leaf("apiserver-kubelet-client", "ca", "/O=system:masters/CN=kube-apiserver-kubelet-client", "clientAuth");
  leaf("front-proxy-client", "front-proxy-ca", "/CN=front-proxy-client", "clientAuth");
  key("sa.key");
  ssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub");
  for (const f of fs.readdirSync(pki)) if (f.endsWith(".key")) fs.chmodSync(path.join(pki, f), 0o600);
}

function kubeconfigYaml(server: string, pki: string, user: string, cert: string, keyFile: string): string {
  const b64 = (f: string) => fs.readFileSync(path.join(pki, f)).toString("base64");
  return [
    "apiVersion: v1", "kind: Config",
    "clusters:", "- name: cmu-local", "  cluster:", `    server: ${server}`, `    certificate-authority-data: ${b64("ca.crt")}`,
    "users:", `- name: ${user}`, "  user:", `    client-certificate-data: ${b64(cert)}`, `    client-key-data: ${b64(keyFile)}`,
    "contexts:", "- name: local", "  context:", "    cluster: cmu-local", `    user: ${user}`,
    "current-context: local", "",
  ].join("\n");
}

/** GET url; true on 200, else the reason (status and body, or the error). */
function probe(url: string, tls?: https.RequestOptions): Promise<true | string> {
  return new Promise((resolve) => {
    const request = (tls ? https : http).get(url, { ...tls, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () => resolve(res.statusCode === 200 ? true : `HTTP ${res.statusCode}: ${body.trim().split("\n").slice(-3).join(" | ").slice(0, 300)}`));
    });
    request.on("timeout", () => request.destroy(new Error("no answer within 5s")));
    request.on("error", (err) => resolve(err.message));
  });
}

const ADDRESS_IN_USE = /address already in use|bind: address/i;

export class ControlPlane {
  readonly kubeconfig: string;
  readonly context = "local";
  private readonly processes = new Map<string, HarnessProcess>();
  private ports: Ports = { etcd: 0, etcdPeer: 0, apiserver: 0, controllerManager: 0 };
  private readonly pki: string;
  private readonly timeoutMs: number;
  private readonly log: (line: string) => void;
  kubernetesVersion: KubernetesVersion;
  private facts: VersionFacts;
  private readonly controllers: string;

  private constructor(readonly dir: string, private readonly env: NodeJS.ProcessEnv, options: ControlPlaneOptions) {
    this.controllers = options.withoutEndpointsController ? "*,-endpoint" : "*";
    this.kubernetesVersion = options.kubernetesVersion ?? defaultKubernetesVersion();
    this.facts = versionFacts(this.kubernetesVersion, env);
    this.kubeconfig = path.join(dir, "kubeconfig");
    this.pki = path.join(dir, "pki");
    this.timeoutMs = options.readyTimeoutMs ?? Number(process.env.CMU_CLUSTER_TIMEOUT ?? 180) * 1000;
    this.log = options.log ?? (() => undefined);
  }

  /** Starts etcd, kube-apiserver and kube-controller-manager; throws with the failing component's exit and log. */
  static async start(options: ControlPlaneOptions): Promise<ControlPlane> {
    checkRequirements(["control-plane"], options.env);
    const orphans = killOrphans();
    const cp = new ControlPlane(options.dir, options.env, options);
    if (orphans > 0) cp.log(`stopped ${orphans} process(es) left by an earlier run whose owner is gone`);
    fs.mkdirSync(cp.dir, { recursive: true, mode: 0o700 });
    for (const f of ["etcd-data", "pki", "run", "kubeconfig", "controller-manager.kubeconfig"]) fs.rmSync(path.join(cp.dir, f), { recursive: true, force: true });
    generateCertificates(cp.pki, cp.env);
    for (let attempt = 1; ; attempt++) {
      const [etcd, etcdPeer, apiserver, controllerManager] = await freePorts(4);
      cp.ports = { etcd, etcdPeer, apiserver, controllerManager };
      try {
        await cp.startAll();
        return cp;
      } catch (err) {
        await cp.stop();
        // Another program took a port between our pick and the component's bind: pick again.
        const collided = err instanceof StartError && ADDRESS_IN_USE.test(err.message);
        if (!collided || attempt >= PORT_ATTEMPTS) throw err;
        cp.log(`port collision (${err.process.name}), picking other ports`);
        fs.rmSync(path.join(cp.dir, "etcd-data"), { recursive: true, force: true });
      }
    }
  }

  get apiserverPort(): number {
    return this.ports.apiserver;
  }

  get apiserverUrl(): string {
    return `https://127.0.0.1:${this.ports.apiserver}`;
  }

  /** The ports each component listens on (etcd: client and peer). */
  componentPorts(): Record<string, number[]> {
    return { etcd: [this.ports.etcd, this.ports.etcdPeer], "kube-apiserver": [this.ports.apiserver], "kube-controller-manager": [this.ports.controllerManager] };
  }

  /** The running components and their pids. */
  pids(): Record<string, number> {
    return Object.fromEntries([...this.processes].filter(([, p]) => !p.exitStatus).map(([n, p]) => [n, p.pid]));
  }

  private async startAll(): Promise<void> {
    const t0 = Date.now();
    fs.mkdirSync(path.join(this.dir, "run", "apiserver"), { recursive: true });
    fs.mkdirSync(path.join(this.dir, "run", "controller-manager"), { recursive: true });
    fs.writeFileSync(this.kubeconfig, kubeconfigYaml(this.apiserverUrl, this.pki, "cmu-admin", "admin.crt", "admin.key"), { mode: 0o600 });
    const kcmKubeconfig = path.join(this.dir, "controller-manager.kubeconfig");
    fs.writeFileSync(kcmKubeconfig, kubeconfigYaml(this.apiserverUrl, this.pki, "system:kube-controller-manager", "controller-manager.crt", "controller-manager.key"), { mode: 0o600 });

    const etcdHelp = spawnSync("etcd", ["--help"], { env: this.env, encoding: "utf8" });
    const noFsync = `${etcdHelp.stdout}${etcdHelp.stderr}`.includes("--unsafe-no-fsync") ? ["--unsafe-no-fsync"] : [];
    const etcdUrl = `http://127.0.0.1:${this.ports.etcd}`;
    const peerUrl = `http://127.0.0.1:${this.ports.etcdPeer}`;
    await this.launch("etcd", "etcd", [
      "--name", "cmu", "--data-dir", path.join(this.dir, "etcd-data"),
      "--listen-client-urls", etcdUrl, "--advertise-client-urls", etcdUrl,
      "--listen-peer-urls", peerUrl, "--initial-advertise-peer-urls", peerUrl,
      "--initial-cluster", `cmu=${peerUrl}`, "--initial-cluster-state", "new",
      "--quota-backend-bytes", String(2 * 1024 ** 3), ...noFsync,
    ], () => probe(`${etcdUrl}/health`));

    await this.startApiServer();
    await this.startControllerManager();
    this.log(`Kubernetes ${this.kubernetesVersion} control plane up in ${((Date.now() - t0) / 1000).toFixed(1)}s: ${this.apiserverUrl} (kubeconfig ${this.kubeconfig})`);
  }

  private async startControllerManager(): Promise<void> {
    const kcmKubeconfig = path.join(this.dir, "controller-manager.kubeconfig");
    const p = (f: string) => path.join(this.pki, f);
    await this.launch("kube-controller-manager", this.binary("kube-controller-manager"), [
      `--kubeconfig=${kcmKubeconfig}`, `--authentication-kubeconfig=${kcmKubeconfig}`, `--authorization-kubeconfig=${kcmKubeconfig}`,
      "--bind-address=127.0.0.1", `--secure-port=${this.ports.controllerManager}`, `--cert-dir=${path.join(this.dir, "run", "controller-manager")}`,
      `--controllers=${this.controllers}`, "--use-service-account-credentials=false",
      `--service-account-private-key-file=${p("sa.key")}`, `--root-ca-file=${p("ca.crt")}`,
      `--cluster-signing-cert-file=${p("ca.crt")}`, `--cluster-signing-key-file=${p("ca.key")}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`, "--leader-elect=false", "--profiling=false",
      ...this.facts.controllerManagerExtra,
    ], () => probe(`https://127.0.0.1:${this.ports.controllerManager}/healthz`, { rejectUnauthorized: false }));
  }

  /**
   * An in-place cluster upgrade: kube-apiserver and kube-controller-manager of `version` take over
   * the same etcd (every object kept), port, certificates and kubeconfig.
   */
  async upgradeTo(version: KubernetesVersion): Promise<void> {
    for (const name of ["kube-controller-manager", "kube-apiserver"]) {
      await this.processes.get(name)?.stop();
      this.processes.delete(name);
    }
    this.kubernetesVersion = version;
    this.facts = versionFacts(version, this.env);
    await this.startApiServer();
    await this.startControllerManager();
    this.log(`control plane upgraded to Kubernetes ${version} on the same etcd: ${this.apiserverUrl}`);
  }

  private binary(name: string): string {
    return this.facts.binDir ? path.join(this.facts.binDir, name) : name;
  }

  private async launch(name: string, command: string, args: string[], ready: () => Promise<true | string>): Promise<void> {
    const proc = await HarnessProcess.start({ name, command, args, logFile: path.join(this.dir, `${name}.log`), env: this.env });
    this.processes.set(name, proc);
    const ms = await waitUntilReady(proc, ready, this.timeoutMs);
    this.log(`${name} ready in ${(ms / 1000).toFixed(1)}s (pid ${proc.pid})`);
  }

  /** Starts kube-apiserver (again) on the same port and etcd: fault tests stop and restart it alone. */
  async startApiServer(): Promise<void> {
    const running = this.processes.get("kube-apiserver");
    if (running && !running.exitStatus) return;
    const p = (f: string) => path.join(this.pki, f);
    await this.launch("kube-apiserver", this.binary("kube-apiserver"), [
      `--etcd-servers=http://127.0.0.1:${this.ports.etcd}`,
      "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", `--secure-port=${this.ports.apiserver}`,
      `--cert-dir=${path.join(this.dir, "run", "apiserver")}`,
      `--tls-cert-file=${p("apiserver.crt")}`, `--tls-private-key-file=${p("apiserver.key")}`, `--client-ca-file=${p("ca.crt")}`,
      `--kubelet-client-certificate=${p("apiserver-kubelet-client.crt")}`, `--kubelet-client-key=${p("apiserver-kubelet-client.key")}`,
      `--service-account-key-file=${p("sa.pub")}`, `--service-account-signing-key-file=${p("sa.key")}`,
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-cluster-ip-range=${SERVICE_CIDR}`, "--authorization-mode=Node,RBAC", "--allow-privileged=true",
      `--requestheader-client-ca-file=${p("front-proxy-ca.crt")}`, "--requestheader-allowed-names=front-proxy-client",
      "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
      "--requestheader-extra-headers-prefix=X-Remote-Extra-",
      `--proxy-client-cert-file=${p("front-proxy-client.crt")}`, `--proxy-client-key-file=${p("front-proxy-client.key")}`,
      "--enable-aggregator-routing=true", "--endpoint-reconciler-type=none", "--profiling=false",
      ...this.facts.apiserverExtra,
    ], () => probe(`${this.apiserverUrl}${this.facts.readyPath}`, {
      ca: fs.readFileSync(p("ca.crt")), cert: fs.readFileSync(p("admin.crt")), key: fs.readFileSync(p("admin.key")),
    }));
  }

  /** Kills kube-apiserver only (etcd and every object stay), as a crash would. */
  async stopApiServer(): Promise<void> {
    await this.processes.get("kube-apiserver")?.kill();
  }

  /** Stops every component (controller-manager, apiserver, then etcd) and waits until each has exited. */
  async stop(): Promise<void> {
    for (const name of ["kube-controller-manager", "kube-apiserver", "etcd"]) {
      await this.processes.get(name)?.stop();
      this.processes.delete(name);
    }
    fs.rmSync(path.join(this.dir, "etcd-data"), { recursive: true, force: true });
  }
}
