// An in-process stand-in for the Kubernetes API server, just large enough for the commands:
// discovery of the version, kube-system's identity, Secrets (read, listed, deleted), cert-manager
// custom resources (paged with limit/continue like the real server) and the webhook's APIService.
// Responses have the real server's shapes (List kinds, metadata.continue, Status objects on errors)
// so that @kubernetes/client-node runs against it unchanged, over plain HTTP with a bearer token.
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import type { AddressInfo, Socket } from "node:net";

type Json = Record<string, unknown>;

export interface FakeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** When it arrived (performance.now(), milliseconds). */
  at: number;
}

/** What to do with a request instead of answering it normally. */
export type Intercept =
  | { status: number; retryAfterSeconds?: number }
  | "close" // close the server and drop every connection, this one included
  | "hang"; // accept the request and never answer (until the server is closed)

interface Failure {
  match: (pathname: string) => boolean;
  responses: Intercept[];
}

const CM_GROUP = "certmanager.k8s.io";
const CM_VERSION = "v1alpha1";
const CM_KINDS: Record<string, { kind: string; namespaced: boolean }> = {
  clusterissuers: { kind: "ClusterIssuer", namespaced: false },
  issuers: { kind: "Issuer", namespaced: true },
  certificates: { kind: "Certificate", namespaced: true },
  orders: { kind: "Order", namespaced: true },
  challenges: { kind: "Challenge", namespaced: true },
};
const PLURAL_OF_KIND = Object.fromEntries(Object.entries(CM_KINDS).map(([plural, k]) => [k.kind, plural]));

/** Plurals served by the 0.4.1 chart's CRDs and by the 0.6 manifests. */
export const PLURALS_0_4 = ["clusterissuers", "issuers", "certificates"];
export const PLURALS_0_6 = [...PLURALS_0_4, "orders", "challenges"];

export const WEBHOOK_APISERVICE = "v1beta1.admission.certmanager.k8s.io";

/** Group versions (discovery, /apis) of a cluster newer than the charts (Kubernetes 1.22 and later). */
export const GROUP_VERSIONS_MODERN = ["apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1", "networking.k8s.io/v1"];
/** What a real kube-apiserver 1.15.12 serves of those groups: apiextensions and admissionregistration only as v1beta1. */
export const GROUP_VERSIONS_1_15 = ["apps/v1", "apps/v1beta2", "apps/v1beta1", "extensions/v1beta1", "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1",
  "batch/v1", "batch/v1beta1", "apiregistration.k8s.io/v1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1",
  "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1"];

function status(code: number, reason: string, message: string, details?: Json): Json {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  401: "Unauthorized",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  409: "Conflict",
  410: "Expired",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
};

export class FakeKubeApi {
  /** Bearer token the fake requires (like an API server with token authentication). */
  readonly token = `fake-token-${randomUUID()}`;
  readonly gitVersion: string;
  /** Namespaces by name, with their uid. */
  readonly namespaces = new Map<string, string>();
  /** Served cert-manager plurals; any other plural answers 404 like a cluster without that CRD. */
  served = new Set<string>(PLURALS_0_4);
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Names of the APIServices that exist. */
  readonly apiServices = new Set<string>();
  /** When set, pages hold at most this many items even if the client asked for more (servers may return short pages). */
  maxPageSize?: number;
  /**
   * Other lists the server answers, by exact path (e.g. "/apis/apps/v1/namespaces/kube-system/deployments"):
   * their List kind and items, served as they are (label selectors are not applied).
   */
  readonly lists = new Map<string, { apiVersion: string; kind: string; items: FakeObject[] }>();
  /**
   * What discovery (/apis) announces, as "group/version". The CustomResourceDefinitions added with
   * addCrd are served (listed, read, deleted) only under the apiextensions.k8s.io versions listed here;
   * any other version answers 404 like a server that does not serve it.
   */
  groupVersions: string[] = [...GROUP_VERSIONS_MODERN];
  private readonly crds = new Map<string, FakeObject>();

  private readonly objects = new Map<string, Map<string, FakeObject>>(); // plural -> key -> object
  private readonly secrets = new Map<string, FakeObject>(); // "ns/name" -> Secret
  private readonly failures: Failure[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly afterResponse: Array<{ match: (pathname: string) => boolean; remaining: number; action: () => void }> = [];
  private resourceVersion = 1000;
  private server?: http.Server;
  private port = 0;
  private scheme: "http" | "https" = "http";
  /**
   * When set, decides which bearer tokens are accepted instead of `token` (a credential that
   * rotates, as an exec plugin's does).
   */
  acceptsToken?: (token: string) => boolean;

  constructor(options: { kubeSystemUID?: string; gitVersion?: string } = {}) {
    this.gitVersion = options.gitVersion ?? "v1.12.10";
    this.namespaces.set("kube-system", options.kubeSystemUID ?? randomUUID());
    this.namespaces.set("default", randomUUID());
  }

  get kubeSystemUID(): string {
    return this.namespaces.get("kube-system")!;
  }

  get url(): string {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  // ---------------------------------------------------------------- state

  /** Adds (or replaces) a cert-manager object, filling in the fields the server owns. */
  addObject(obj: FakeObject): void {
    const kind = obj.kind ?? "";
    const plural = PLURAL_OF_KIND[kind];
    if (!plural) throw new Error(`fake API: not a cert-manager kind: ${kind}`);
    const copy = structuredClone(obj);
    copy.apiVersion = `${CM_GROUP}/${CM_VERSION}`;
    const metadata = (copy.metadata ??= {});
    if (!CM_KINDS[plural].namespaced) delete metadata.namespace;
    else if (!metadata.namespace) throw new Error(`fake API: ${kind} ${metadata.name} needs a namespace`);
    metadata.uid ??= randomUUID();
    metadata.resourceVersion = String(++this.resourceVersion);
    metadata.creationTimestamp ??= "2019-02-28T05:40:01Z";
    metadata.generation ??= 1;
    this.bucket(plural).set(this.key(metadata.namespace, metadata.name), copy);
  }

  removeObject(kind: string, namespace: string, name: string): boolean {
    return this.bucket(PLURAL_OF_KIND[kind]).delete(this.key(namespace || undefined, name));
  }

  /** Adds a CustomResourceDefinition (served under every apiextensions.k8s.io version in groupVersions). */
  /** Empty lists for everything the legacy-release look-up reads besides CRDs (a cluster with no old workloads). */
  serveEmptyLegacyLists(namespace = "kube-system"): void {
    const empty = (apiVersion: string, kind: string) => ({ apiVersion, kind, items: [] });
    this.lists.set(`/apis/apps/v1/namespaces/${namespace}/deployments`, empty("apps/v1", "DeploymentList"));
    this.lists.set("/apis/apps/v1/deployments", empty("apps/v1", "DeploymentList"));
    this.lists.set(`/api/v1/namespaces/${namespace}/serviceaccounts`, empty("v1", "ServiceAccountList"));
    this.lists.set("/apis/rbac.authorization.k8s.io/v1/clusterroles", empty("rbac.authorization.k8s.io/v1", "ClusterRoleList"));
    this.lists.set("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", empty("rbac.authorization.k8s.io/v1", "ClusterRoleBindingList"));
    this.lists.set(`/api/v1/namespaces/${namespace}/secrets`, empty("v1", "SecretList"));
    this.lists.set(`/api/v1/namespaces/${namespace}/configmaps`, empty("v1", "ConfigMapList"));
  }

  addCrd(name: string, labels: Record<string, string> = {}, group = CM_GROUP): void {
    this.crds.set(name, { metadata: { name, labels, uid: randomUUID(), resourceVersion: String(++this.resourceVersion) }, spec: { group } });
  }

  hasCrd(name: string): boolean {
    return this.crds.has(name);
  }

  /** Drops every cert-manager object. */
  clearObjects(): void {
    this.objects.clear();
  }

  objectCount(plural: string): number {
    return this.bucket(plural).size;
  }

  /** Adds a Secret; `data` holds plain values and is stored base64-encoded like the real API. */
  addSecret(namespace: string, name: string, data: Record<string, string | Buffer>, type = "Opaque", annotations?: Record<string, string>): void {
    if (!this.namespaces.has(namespace)) this.namespaces.set(namespace, randomUUID());
    const encoded = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]));
    this.secrets.set(`${namespace}/${name}`, {
      metadata: { name, namespace, uid: randomUUID(), resourceVersion: String(++this.resourceVersion), creationTimestamp: "2019-02-28T05:40:01Z", ...(annotations ? { annotations } : {}) },
      data: encoded,
      type,
    });
  }

  hasSecret(namespace: string, name: string): boolean {
    return this.secrets.has(`${namespace}/${name}`);
  }

  removeSecret(namespace: string, name: string): boolean {
    return this.secrets.delete(`${namespace}/${name}`);
  }

  // ---------------------------------------------------------------- failure injection

  /** The next requests whose path matches get these answers instead, one each, in order. */
  failNext(match: string | RegExp, ...responses: Intercept[]): void {
    this.failures.push({ match: matcher(match), responses });
  }

  /** After `count` successful responses to paths matching `match`, runs `action` (e.g. close). */
  afterResponses(match: string | RegExp, count: number, action: () => void): void {
    this.afterResponse.push({ match: matcher(match), remaining: count, action });
  }

  /** Requests to a path (exact pathname). */
  requestsTo(pathname: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === pathname);
  }

  // ---------------------------------------------------------------- server

  /** Listens on 127.0.0.1; over HTTPS with `tls` (a key and certificate, PEM). */
  async start(options: { tls?: { key: string; cert: string } } = {}): Promise<void> {
    this.scheme = options.tls ? "https" : "http";
    const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => this.handle(req, res);
    const server: http.Server = options.tls ? https.createServer(options.tls, listener) : http.createServer(listener);
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** Stops listening and drops every open connection (an API server going away). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Writes a kubeconfig whose context `context` points at this server with a bearer token. */
  writeKubeconfig(file: string, context: string): string {
    const cluster = `fake-${this.port}`;
    const user = `${cluster}-user`;
    const text = [
      "apiVersion: v1",
      "kind: Config",
      "preferences: {}",
      "clusters:",
      `- name: ${cluster}`,
      "  cluster:",
      `    server: ${this.url}`,
      // client-node 2.x refuses http:// servers unless TLS verification is explicitly skipped.
      "    insecure-skip-tls-verify: true",
      "users:",
      `- name: ${user}`,
      "  user:",
      `    token: ${this.token}`,
      "contexts:",
      `- name: ${JSON.stringify(context)}`,
      "  context:",
      `    cluster: ${cluster}`,
      `    user: ${user}`,
      `current-context: ${JSON.stringify(context)}`,
      "",
    ].join("\n");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake");
    const pathname = url.pathname;
    this.requests.push({ method: req.method ?? "", path: pathname, query: url.searchParams, authorization: req.headers.authorization, at: performance.now() });

    const failure = this.failures.find((f) => f.responses.length > 0 && f.match(pathname));
    if (failure) {
      const intercept = failure.responses.shift()!;
      if (intercept === "close") {
        void this.close();
        return;
      }
      if (intercept === "hang") return;
      const headers: Record<string, string> = {};
      if (intercept.retryAfterSeconds !== undefined) headers["Retry-After"] = String(intercept.retryAfterSeconds);
      const reason = REASONS[intercept.status] ?? "InternalError";
      const message = intercept.status === 429 ? "Too many requests, please try again later."
        : intercept.status === 403 ? `forbidden (injected by the test): cannot get ${pathname}` : "an error on the server (\"injected by the test\") has prevented the request from succeeding";
      this.send(res, intercept.status, status(intercept.status, reason, message), headers);
      return;
    }

    const bearer = /^Bearer (.*)$/.exec(req.headers.authorization ?? "")?.[1];
    if (this.acceptsToken ? !(bearer !== undefined && this.acceptsToken(bearer)) : bearer !== this.token) {
      this.send(res, 401, status(401, "Unauthorized", "Unauthorized"));
      return;
    }
    const crdPath = /^\/apis\/apiextensions\.k8s\.io\/([^/]+)\/customresourcedefinitions\/([^/]+)$/.exec(pathname);
    if (req.method === "DELETE" && crdPath && this.groupVersions.includes(`apiextensions.k8s.io/${crdPath[1]}`)) {
      const crd = this.crds.get(crdPath[2]);
      if (!crd) {
        this.send(res, 404, status(404, "NotFound", `customresourcedefinitions.apiextensions.k8s.io "${crdPath[2]}" not found`, { name: crdPath[2], group: "apiextensions.k8s.io", kind: "customresourcedefinitions" }));
        return;
      }
      this.crds.delete(crdPath[2]);
      this.send(res, 200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: crdPath[2], group: "apiextensions.k8s.io", kind: "customresourcedefinitions" } });
      return;
    }
    if (req.method === "DELETE" && crdPath) {
      // A version the server does not serve: 404 with no object named, as kube-apiserver answers.
      this.send(res, 404, status(404, "NotFound", "the server could not find the requested resource", {}));
      return;
    }
    const secretPath = /^\/api\/v1\/namespaces\/([^/]+)\/secrets\/([^/]+)$/.exec(pathname);
    if (req.method === "DELETE" && secretPath) {
      if (!this.secrets.delete(`${secretPath[1]}/${secretPath[2]}`)) {
        this.send(res, 404, status(404, "NotFound", `secrets "${secretPath[2]}" not found`, { name: secretPath[2], kind: "secrets" }));
        return;
      }
      this.send(res, 200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name: secretPath[2], kind: "secrets" } });
      return;
    }
    if (req.method !== "GET") {
      this.send(res, 405, status(405, "MethodNotAllowed", `the server does not allow this method on the requested resource`));
      return;
    }

    const [code, body] = this.route(pathname, url.searchParams);
    if (code === 200) {
      for (const hook of this.afterResponse) {
        if (hook.remaining > 0 && hook.match(pathname) && --hook.remaining === 0) res.on("finish", hook.action);
      }
    }
    this.send(res, code, body);
  }

  private route(pathname: string, query: URLSearchParams): [number, Json] {
    const parts = pathname.split("/").filter(Boolean);
    const notFound = (): [number, Json] => [404, status(404, "NotFound", "the server could not find the requested resource", {})];

    const extra = this.lists.get(pathname);
    if (extra) return this.list(extra.apiVersion, extra.kind, extra.items.map((o, i) => [String(i).padStart(6, "0"), o]), query);
    if (pathname === "/apis" || pathname === "/apis/") return [200, this.discovery()];

    // /apis/apiextensions.k8s.io/{version}/customresourcedefinitions[/{name}], under the versions discovery announces
    if (parts[0] === "apis" && parts[1] === "apiextensions.k8s.io" && parts[3] === "customresourcedefinitions" && this.groupVersions.includes(`apiextensions.k8s.io/${parts[2]}`)) {
      const apiVersion = `apiextensions.k8s.io/${parts[2]}`;
      const withKind = (o: FakeObject): FakeObject => ({ apiVersion, kind: "CustomResourceDefinition", ...structuredClone(o) });
      if (parts.length === 4) {
        const selector = query.get("labelSelector");
        const wanted = selector ? Object.fromEntries(selector.split(",").map((kv) => kv.split("="))) : {};
        const entries = [...this.crds.entries()].filter(([, o]) => Object.entries(wanted).every(([k, v]) => (o.metadata?.labels as Record<string, string> | undefined)?.[k] === v));
        return this.list(apiVersion, "CustomResourceDefinitionList", entries.map(([k, o]) => [k, withKind(o)]), query);
      }
      if (parts.length === 5) {
        const crd = this.crds.get(parts[4]);
        if (!crd) return [404, status(404, "NotFound", `customresourcedefinitions.apiextensions.k8s.io "${parts[4]}" not found`, { name: parts[4], group: "apiextensions.k8s.io", kind: "customresourcedefinitions" })];
        return [200, withKind(crd)];
      }
    }

    if (pathname === "/version") {
      const [, major, minor] = /^v(\d+)\.(\d+)/.exec(this.gitVersion) ?? ["", "1", "12"];
      return [200, {
        major, minor, gitVersion: this.gitVersion, gitCommit: "0000000000000000000000000000000000000000", gitTreeState: "clean",
        buildDate: "2019-02-01T00:00:00Z", goVersion: "go1.10.8", compiler: "gc", platform: "linux/amd64",
      }];
    }

    // /api/v1/namespaces/{ns}[/secrets/{name}]
    if (parts[0] === "api" && parts[1] === "v1") {
      if (parts[2] === "namespaces" && parts.length === 4) {
        const uid = this.namespaces.get(parts[3]);
        if (!uid) return [404, status(404, "NotFound", `namespaces "${parts[3]}" not found`, { name: parts[3], kind: "namespaces" })];
        return [200, {
          kind: "Namespace", apiVersion: "v1",
          metadata: { name: parts[3], uid, resourceVersion: "4", creationTimestamp: "2019-01-01T00:00:00Z" },
          spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" },
        }];
      }
      if (parts[2] === "namespaces" && parts[4] === "secrets" && parts.length === 6) {
        const secret = this.secrets.get(`${parts[3]}/${parts[5]}`);
        if (!secret) return [404, status(404, "NotFound", `secrets "${parts[5]}" not found`, { name: parts[5], kind: "secrets" })];
        return [200, { kind: "Secret", apiVersion: "v1", ...structuredClone(secret) }];
      }
      if (parts[2] === "secrets" && parts.length === 3) {
        // Core lists carry no per-item apiVersion/kind.
        return this.list("v1", "SecretList", [...this.secrets.entries()], query);
      }
      return notFound();
    }

    // /apis/certmanager.k8s.io/v1alpha1/{plural}
    if (parts[0] === "apis" && parts[1] === CM_GROUP && parts[2] === CM_VERSION && parts.length === 4) {
      const plural = parts[3];
      const info = CM_KINDS[plural];
      if (!info || !this.served.has(plural)) return notFound();
      // Custom resources are stored whole, apiVersion and kind included.
      return this.list(`${CM_GROUP}/${CM_VERSION}`, `${info.kind}List`, [...this.bucket(plural).entries()], query);
    }

    // /apis/certmanager.k8s.io/v1alpha1/[namespaces/{ns}/]{plural}/{name}: one object (what the restore reads back)
    if (parts[0] === "apis" && parts[1] === CM_GROUP && parts[2] === CM_VERSION && (parts.length === 5 || (parts.length === 7 && parts[3] === "namespaces"))) {
      const [namespace, plural, name] = parts.length === 7 ? [parts[4], parts[5], parts[6]] : [undefined, parts[3], parts[4]];
      const info = CM_KINDS[plural];
      if (!info || !this.served.has(plural) || info.namespaced !== (namespace !== undefined)) return notFound();
      const object = this.bucket(plural).get(this.key(namespace, name));
      if (!object) return [404, status(404, "NotFound", `${plural}.${CM_GROUP} "${name}" not found`, { name, group: CM_GROUP, kind: plural })];
      return [200, structuredClone(object)];
    }

    // /apis/apiregistration.k8s.io/v1/apiservices/{name}
    if (pathname.startsWith("/apis/apiregistration.k8s.io/v1/apiservices/") && parts.length === 5) {
      const name = parts[4];
      if (!this.apiServices.has(name)) {
        return [404, status(404, "NotFound", `apiservices.apiregistration.k8s.io "${name}" not found`, { name, group: "apiregistration.k8s.io", kind: "apiservices" })];
      }
      return [200, {
        kind: "APIService", apiVersion: "apiregistration.k8s.io/v1",
        metadata: { name, uid: randomUUID(), resourceVersion: "77", creationTimestamp: "2019-02-28T06:10:00Z" },
        spec: { group: "admission.certmanager.k8s.io", version: "v1beta1", groupPriorityMinimum: 1000, versionPriority: 15, service: { namespace: "cert-manager", name: "cert-manager-webhook" } },
        status: { conditions: [{ type: "Available", status: "True", lastTransitionTime: "2019-02-28T06:11:00Z", reason: "Passed", message: "all checks passed" }] },
      }];
    }
    return notFound();
  }

  /** /apis as the real server answers it: each group with its versions, the first one preferred. */
  private discovery(): Json {
    const groups = new Map<string, string[]>();
    for (const gv of this.groupVersions) {
      const [group, version] = gv.split("/");
      groups.set(group, [...(groups.get(group) ?? []), version]);
    }
    return {
      kind: "APIGroupList", apiVersion: "v1",
      groups: [...groups.entries()].map(([name, versions]) => ({
        name,
        versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
      })),
    };
  }

  /** A list in etcd key order, paged by `limit` with an opaque `continue` token like the real server. */
  private list(apiVersion: string, kind: string, entries: Array<[string, FakeObject]>, query: URLSearchParams): [number, Json] {
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const rv = String(this.resourceVersion);
    let start = 0;
    const token = query.get("continue");
    if (token) {
      let decoded: { v?: string; rv?: string; start?: string };
      try {
        decoded = JSON.parse(Buffer.from(token, "base64").toString("utf8"));
      } catch {
        return [400, status(400, "BadRequest", "continue key is not valid: encoded continue key is not valid")];
      }
      if (decoded.v !== "meta.k8s.io/v1" || typeof decoded.start !== "string") {
        return [400, status(400, "BadRequest", "continue key is not valid: continue key is not valid")];
      }
      const after = decoded.start;
      start = entries.findIndex(([key]) => key >= after);
      if (start < 0) start = entries.length;
    }
    const limitText = query.get("limit");
    const limit = limitText ? Number(limitText) : 0;
    if (limitText && (!Number.isInteger(limit) || limit < 0)) return [400, status(400, "BadRequest", `invalid limit ${limitText}`)];
    const pageSize = limit > 0 && this.maxPageSize ? Math.min(limit, this.maxPageSize) : limit;
    const end = pageSize > 0 ? Math.min(entries.length, start + pageSize) : entries.length;
    const items = entries.slice(start, end).map(([, o]) => structuredClone(o));
    const metadata: Json = { resourceVersion: rv };
    if (end < entries.length) {
      // The real server encodes the last key returned plus "\x00" as where the next page starts.
      metadata.continue = Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv, start: entries[end - 1][0] + "\u0000" })).toString("base64");
      metadata.remainingItemCount = entries.length - end;
    }
    return [200, { apiVersion, kind, metadata, items }];
  }

  private send(res: http.ServerResponse, code: number, body: Json, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private bucket(plural: string): Map<string, FakeObject> {
    let b = this.objects.get(plural);
    if (!b) this.objects.set(plural, (b = new Map()));
    return b;
  }

  private key(namespace: string | undefined, name: string | undefined): string {
    return namespace ? `${namespace}/${name}` : `${name}`;
  }
}

function matcher(match: string | RegExp): (pathname: string) => boolean {
  return typeof match === "string" ? (p) => p === match : (p) => match.test(p);
}
