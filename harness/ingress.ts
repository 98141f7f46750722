// The ingress controller's part, for HTTP-01 only: an HTTP server on 127.0.0.1:<port> of the host
// that serves the cluster's Ingresses of one class as an ingress controller (nginx, …) would.
// What stands in for what:
//   - the ingress controller's load balancer: this server. A request's Host header (port dropped)
//     and path are matched against the rules of every extensions/v1beta1 Ingress annotated
//     `kubernetes.io/ingress.class: <class>` (exact host, longest path prefix), the rule's backend
//     Service is looked up, and the request is proxied to a running pod (the kubelet stand-in's)
//     whose labels match the Service's selector, at the Service port's targetPort.
//   - public DNS for the Ingresses' hosts: every name resolves to 127.0.0.1 — for Pebble through
//     pebble-challtestsrv (harness/pebble.ts), for pods through the hosts file the kubelet stand-in
//     mounts at /etc/hosts, where port 80 is bridged to this server (harness/kubelet.ts).
// Answers 404 when no rule matches, 502 when the backend has no running pod or does not answer.
import * as http from "node:http";
import * as k8s from "@kubernetes/client-node";
import { freePorts } from "./control-plane";

export interface IngressBackendPod {
  namespace: string;
  labels: Record<string, string>;
  ip: string;
}

export interface IngressRule {
  host?: string;
  paths: Array<{ path?: string; serviceName: string; servicePort: number | string }>;
}

/** The backend a request for host + path goes to, among the given Ingresses (pure: tested without a cluster). */
export function matchIngress(ingresses: Array<{ namespace: string; ingressClass?: string; rules: IngressRule[] }>, ingressClass: string, host: string, urlPath: string):
  { namespace: string; serviceName: string; servicePort: number | string } | undefined {
  let best: { namespace: string; serviceName: string; servicePort: number | string; length: number } | undefined;
  for (const ing of ingresses) {
    if (ing.ingressClass !== ingressClass) continue;
    for (const rule of ing.rules) {
      if (rule.host !== undefined && rule.host !== host) continue;
      for (const p of rule.paths) {
        const prefix = p.path ?? "/";
        if (!urlPath.startsWith(prefix)) continue;
        if (!best || prefix.length > best.length) best = { namespace: ing.namespace, serviceName: p.serviceName, servicePort: p.servicePort, length: prefix.length };
      }
    }
  }
  return best && { namespace: best.namespace, serviceName: best.serviceName, servicePort: best.servicePort };
}

interface IngressObject {
  metadata: { namespace: string; annotations?: Record<string, string> };
  spec?: { rules?: Array<{ host?: string; http?: { paths?: Array<{ path?: string; backend: { serviceName: string; servicePort: number | string } }> } }> };
}

export class IngressStandIn {
  private readonly kc = new k8s.KubeConfig();
  /** Requests served, by status, and the last few lines for a failure message. */
  readonly served: Array<{ host: string; path: string; status: number; backend?: string }> = [];

  private constructor(private readonly server: http.Server, readonly port: number, readonly ingressClass: string, private readonly pods: () => IngressBackendPod[], private readonly log: (line: string) => void, kubeconfig: string) {
    this.kc.loadFromFile(kubeconfig);
  }

  static async start(options: { kubeconfig: string; ingressClass: string; pods: () => IngressBackendPod[]; log?: (line: string) => void }): Promise<IngressStandIn> {
    const [port] = await freePorts(1);
    const server = http.createServer();
    const standIn = new IngressStandIn(server, port, options.ingressClass, options.pods, options.log ?? (() => {}), options.kubeconfig);
    server.on("request", (req, res) => void standIn.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    return standIn;
  }

  /** Lists the Ingresses on each request: the solver's Ingress may be seconds old. */
  private async ingresses(): Promise<Array<{ namespace: string; ingressClass?: string; rules: IngressRule[] }>> {
    const custom = this.kc.makeApiClient(k8s.CustomObjectsApi);
    const list = await custom.listClusterCustomObject({ group: "extensions", version: "v1beta1", plural: "ingresses" }) as { items: IngressObject[] };
    return list.items.map((i) => ({
      namespace: i.metadata.namespace,
      ingressClass: i.metadata.annotations?.["kubernetes.io/ingress.class"],
      rules: (i.spec?.rules ?? []).map((r) => ({ host: r.host, paths: (r.http?.paths ?? []).map((p) => ({ path: p.path, serviceName: p.backend.serviceName, servicePort: p.backend.servicePort })) })),
    }));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const host = (req.headers.host ?? "").replace(/:\d+$/, "");
    const urlPath = (req.url ?? "/").split("?")[0];
    const answer = (status: number, text: string, backend?: string) => {
      this.served.push({ host, path: urlPath, status, backend });
      this.log(`ingress: ${req.method} ${host}${urlPath} → ${backend ?? "-"}: ${status}${status >= 400 ? ` (${text.trim()})` : ""}`);
      if (!res.headersSent) res.writeHead(status, { "content-type": "text/plain" });
      res.end(status >= 400 ? text : undefined);
    };
    try {
      const match = matchIngress(await this.ingresses(), this.ingressClass, host, urlPath);
      if (!match) return answer(404, `no Ingress of class ${this.ingressClass} for ${host}${urlPath}\n`);
      const core = this.kc.makeApiClient(k8s.CoreV1Api);
      const svc = await core.readNamespacedService({ namespace: match.namespace, name: match.serviceName });
      const port = svc.spec?.ports?.find((p) => p.port === match.servicePort || p.name === match.servicePort);
      const targetPort = port ? (typeof port.targetPort === "number" ? port.targetPort : Number(port.targetPort ?? port.port) || port.port) : undefined;
      const selector = svc.spec?.selector ?? {};
      const pod = this.pods().find((p) => p.namespace === match.namespace && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => p.labels[k] === v));
      const backend = `${match.namespace}/${match.serviceName}:${match.servicePort}`;
      if (!targetPort || !pod) return answer(502, `no running pod for Service ${backend}\n`, backend);
      const upstream = http.request({ host: pod.ip, port: targetPort, method: req.method, path: req.url, headers: req.headers, timeout: 10_000 }, (up) => {
        this.served.push({ host, path: urlPath, status: up.statusCode ?? 0, backend: `${backend} (${pod.ip}:${targetPort})` });
        this.log(`ingress: ${req.method} ${host}${urlPath} → ${pod.ip}:${targetPort}: ${up.statusCode}`);
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("timeout", () => upstream.destroy(new Error("no answer within 10s")));
      upstream.on("error", (err) => answer(502, `${backend} (${pod.ip}:${targetPort}): ${err.message}\n`, backend));
      req.pipe(upstream);
    } catch (err) {
      answer(502, `${(err as Error).message.split("\n")[0]}\n`);
    }
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }
}
