// What a batch of restored objects does against the cluster (components/restored-batch.ts). Loaded by
// the dynamic provider's process through tsx, never at preview time: apply each object, read them
// back for `pulumi refresh`. Every request is retried like the commands' (withRetry), a bounded
// number run at once across all batches of the process, and applying is idempotent, so a run that
// dies midway is finished by the next one applying the same objects again.
import * as https from "node:https";
import * as http from "node:http";
import * as k8s from "@kubernetes/client-node";
import { Credential, KubeCredentials, KubeUser, ProxyRoute, TunnelingAgent, proxyAuthorization, proxyFailure, proxyRoute } from "./kube-connection";
import { DEFAULT_RETRY, RetryLog, describeKubeError, isObjectNotFound, loadKubeConfig, statusCode, withRetry } from "./kube";
import { OwnerStatus, decodeObject, eachLimited, encodeObject, managedView, ownerReferencesToKeep, replacementFor } from "./restore-batch";
import { Rejections, isRejection } from "./restore-rejections";
import { RESTORE_RECORD_NAME, decodeRecord, recordData } from "./restore-record";
import { CERTMANAGER_API_VERSION, KIND_PLURALS, KubeObject, isRestoreKind } from "./types";

/** The field manager of the objects this program applies (server-side apply). */
export const FIELD_MANAGER = "cert-manager-upgrade";
/** Requests at once, across every batch the provider runs (measured: README, Performance). */
export const DEFAULT_CONCURRENCY = 32;

export interface BatchTarget {
  kubeconfig?: string;
  context?: string;
  /** Server-side apply where the cluster serves it (Kubernetes 1.16 on), else create and replace. */
  serverSideApply: boolean;
}

export interface BatchInputs extends BatchTarget {
  /** The batch's name, for messages. */
  batch: string;
  /** Label ("Kind/namespace/name") → the object as the backup has it, sanitized, encoded (lib/restore-batch.ts encodeObject). */
  objects: Record<string, string | KubeObject>;
  /** Where the record of restored objects lives (lib/restore-record.ts), and the backup it notes. */
  recordNamespace?: string;
  /** The record's ConfigMap (lib/restore-record.ts restoreRecordName); unset: 0.6's. */
  recordName?: string;
  backupSha256?: string;
}

/**
 * A small JSON client over one keep-alive agent: the Kubernetes client library spends about 3.6 ms
 * of CPU per request (measured: 1,000 creates, 3.6 s of CPU), more than the API server itself,
 * and a restore makes one request per object. It connects as client-go (the provider) does
 * (lib/kube-connection.ts): through the cluster's proxy-url, with the kubeconfig's CA, client
 * certificate and headers, and a credential taken per request from a cache that an expired exec
 * credential, a token file's age or a 401 refreshes.
 * Failures are k8s.ApiException, so that statusCode, isTransient and describeKubeError read them
 * as they read the library's.
 */
export class RestoreClient {
  private agent?: http.Agent;
  /** The exec credential's client certificate the agent was made with. */
  private agentCert?: string;

  private constructor(
    private readonly server: URL,
    private readonly route: ProxyRoute,
    private readonly clusterName: string,
    private readonly tls: https.AgentOptions,
    private readonly headers: Record<string, string>,
    private readonly credentials: KubeCredentials,
  ) {}

  static create(target: BatchTarget): RestoreClient {
    const kc = loadKubeConfig(target);
    const cluster = kc.getCurrentCluster()!;
    const user = kc.getCurrentUser() as KubeUser | null;
    const server = new URL(cluster.server);
    const route = proxyRoute(server, cluster);
    const tls: https.AgentOptions = { keepAlive: true, maxSockets: 64 };
    const ca = k8s.bufferFromFileOrString(cluster.caFile, cluster.caData);
    if (ca) tls.ca = ca;
    const cert = k8s.bufferFromFileOrString(user?.certFile, user?.certData);
    const key = k8s.bufferFromFileOrString(user?.keyFile, user?.keyData);
    if (cert) tls.cert = cert;
    if (key) tls.key = key;
    if (cluster.skipTLSVerify) tls.rejectUnauthorized = false;
    if (cluster.tlsServerName) tls.servername = cluster.tlsServerName;
    const headers: Record<string, string> = {};
    if (user?.impersonateUser) headers["Impersonate-User"] = user.impersonateUser;
    const authProvider = async (): Promise<string | undefined> => {
      const opts: https.RequestOptions = {};
      await kc.applyToHTTPSOptions(opts);
      const value = (opts.headers as Record<string, unknown> | undefined)?.Authorization;
      return typeof value === "string" ? value : undefined;
    };
    return new RestoreClient(server, route, cluster.name, tls, headers, new KubeCredentials(user, authProvider));
  }

  /** The agent for this credential: a new one only when an exec plugin hands out another client certificate. */
  private agentFor(credential: Credential): http.Agent {
    if (this.agent && this.agentCert === credential.cert) return this.agent;
    const tls: https.AgentOptions = credential.cert ? { ...this.tls, cert: credential.cert, key: credential.key } : this.tls;
    this.agentCert = credential.cert;
    if (this.server.protocol === "http:") this.agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    else if (this.route.kind === "tunnel") this.agent = new TunnelingAgent(this.route.proxy, this.clusterName, tls, DEFAULT_RETRY.timeoutMs);
    else this.agent = new https.Agent(tls);
    return this.agent;
  }

  /** The object's path (its collection's with `collection`). */
  static path(object: KubeObject, collection = false): string {
    const kind = object.kind ?? "";
    if (!isRestoreKind(kind)) throw new Error(`not a restored kind: ${kind}`);
    const base = `/apis/${object.apiVersion ?? CERTMANAGER_API_VERSION}`;
    const ns = object.metadata?.namespace ? `/namespaces/${encodeURIComponent(object.metadata.namespace)}` : "";
    return `${base}${ns}/${KIND_PLURALS[kind]}${collection ? "" : `/${encodeURIComponent(object.metadata?.name ?? "")}`}`;
  }

  /** One request with the current credential; a 401 renews a credential that can change and tries once more. */
  async request(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<KubeObject> {
    const credential = await this.credentials.current();
    try {
      return await this.send(credential, method, path, body, contentType);
    } catch (err) {
      if (statusCode(err) !== 401 || !(await this.credentials.renewAfterRefusal(credential))) throw err;
      return this.send(await this.credentials.current(), method, path, body, contentType);
    }
  }

  private send(credential: Credential, method: string, path: string, body: unknown, contentType: string): Promise<KubeObject> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      // A server URL with a path (a proxy such as Rancher's /k8s/clusters/ID) keeps it: the API paths go under it.
      const url = new URL(this.server.pathname.replace(/\/+$/, "") + path, this.server);
      const headers: Record<string, string> = {
        ...this.headers, Accept: "application/json",
        ...(credential.authorization ? { Authorization: credential.authorization } : {}),
        ...(payload ? { "Content-Type": contentType, "Content-Length": String(payload.length) } : {}),
      };
      const agent = this.agentFor(credential);
      let req: http.ClientRequest;
      if (this.route.kind === "forward") {
        // An http:// server behind an HTTP proxy: the request goes to the proxy with the absolute URL, as client-go sends it.
        const auth = proxyAuthorization(this.route.proxy);
        req = http.request({ host: this.route.proxy.hostname, port: this.route.proxy.port || 80, path: url.href, method, agent,
          headers: { ...headers, Host: url.host, ...(auth ? { "Proxy-Authorization": auth } : {}) } });
      } else {
        req = (url.protocol === "http:" ? http : https).request(url, { method, agent, headers });
      }
      const route = this.route;
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            try {
              resolve(JSON.parse(text) as KubeObject);
            } catch {
              resolve({});
            }
          } else {
            reject(new k8s.ApiException(status, `HTTP ${status} ${method} ${url.pathname}`, text, {}));
          }
        });
      });
      req.setTimeout(DEFAULT_RETRY.timeoutMs + 1000, () => req.destroy(Object.assign(new Error(`no answer (ETIMEDOUT)`), { code: "ETIMEDOUT" })));
      req.on("error", (err: Error & { viaProxy?: boolean }) => {
        // The tunnel names its proxy itself; a forwarding proxy's connection errors are named here.
        reject(route.kind === "forward" && !err.viaProxy ? proxyFailure(err, route.proxy, this.clusterName) : err);
      });
      req.end(payload);
    });
  }

  apply(object: KubeObject): Promise<KubeObject> {
    return this.request("PATCH", `${RestoreClient.path(object)}?fieldManager=${FIELD_MANAGER}&force=true`, object, "application/apply-patch+yaml");
  }
  create(object: KubeObject): Promise<KubeObject> {
    return this.request("POST", `${RestoreClient.path(object, true)}?fieldManager=${FIELD_MANAGER}`, object);
  }
  read(object: KubeObject): Promise<KubeObject> {
    return this.request("GET", RestoreClient.path(object));
  }
  get(path: string): Promise<KubeObject> {
    return this.request("GET", path);
  }
  replace(object: KubeObject): Promise<KubeObject> {
    return this.request("PUT", `${RestoreClient.path(object)}?fieldManager=${FIELD_MANAGER}`, object);
  }
}

const clients = new Map<string, RestoreClient>();

function client(target: BatchTarget): RestoreClient {
  const key = `${target.kubeconfig ?? ""}\u0000${target.context ?? ""}`;
  let c = clients.get(key);
  if (!c) {
    c = RestoreClient.create(target);
    clients.set(key, c);
  }
  return c;
}

/** One limit for the whole process: Pulumi runs several batches at once. */
let running = 0;
const waiting: Array<() => void> = [];
async function limited<T>(fn: () => Promise<T>): Promise<T> {
  const limit = Number(process.env.CMU_RESTORE_CONCURRENCY) || DEFAULT_CONCURRENCY;
  while (running >= limit) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await fn();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

interface ApiResource { name: string; kind: string; namespaced: boolean }

/**
 * Whether each owner a restored object's ownerReferences name exists now with that uid: an owner
 * deleted or re-created since the backup (an Ingress whose ingress-shim Certificate this is) would
 * leave the object with no owner alive, and the garbage collector deletes such an object. One
 * discovery read per API version and one read per owner, cached for the batch.
 */
class OwnerCheck {
  private readonly resources = new Map<string, Promise<ApiResource[] | undefined>>();
  private readonly owners = new Map<string, Promise<OwnerStatus>>();

  constructor(private readonly api: RestoreClient, private readonly log: RetryLog) {}

  private apiResources(apiVersion: string): Promise<ApiResource[] | undefined> {
    let r = this.resources.get(apiVersion);
    if (!r) {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      r = withRetry(`discover ${apiVersion}`, () => this.api.get(base), this.log).then(
        (list) => ((list as { resources?: ApiResource[] }).resources ?? []).filter((x) => !x.name.includes("/")),
        (err) => {
          if (statusCode(err) === 404) return undefined;
          throw err;
        },
      );
      this.resources.set(apiVersion, r);
    }
    return r;
  }

  status(ref: Record<string, unknown>, namespace: string | undefined): Promise<OwnerStatus> {
    const apiVersion = String(ref.apiVersion ?? "");
    const kind = String(ref.kind ?? "");
    const name = String(ref.name ?? "");
    const key = `${apiVersion}\u0000${kind}\u0000${namespace ?? ""}\u0000${name}`;
    let s = this.owners.get(key);
    if (!s) {
      s = (async (): Promise<OwnerStatus> => {
        const resource = (await this.apiResources(apiVersion))?.find((x) => x.kind === kind);
        if (!resource) return { found: false, reason: `${apiVersion} ${kind} is not served` };
        const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
        const ns = resource.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? "")}` : "";
        try {
          const owner = await withRetry(`read owner ${kind}/${name}`, () => this.api.get(`${base}${ns}/${resource.name}/${encodeURIComponent(name)}`), this.log);
          return { found: true, uid: String(owner.metadata?.uid ?? "") };
        } catch (err) {
          if (statusCode(err) === 404) return { found: false, reason: "absent" };
          throw err;
        }
      })();
      this.owners.set(key, s);
    }
    return s;
  }

  /** The object with only the ownerReferences whose owner exists with that uid, and what was left out. */
  async keepLiveOwners(object: KubeObject): Promise<{ object: KubeObject; leftOut: string[] }> {
    const refs = object.metadata?.ownerReferences;
    if (!refs || refs.length === 0) return { object, leftOut: [] };
    const statuses = await Promise.all(refs.map((ref) => this.status(ref, object.metadata?.namespace)));
    const { kept, leftOut } = ownerReferencesToKeep(refs, statuses);
    if (leftOut.length === 0) return { object, leftOut };
    const metadata = { ...object.metadata };
    if (kept.length > 0) metadata.ownerReferences = kept;
    else delete metadata.ownerReferences;
    return { object: { ...object, metadata }, leftOut };
  }
}

/** Server-side apply, taking over fields other managers set (the backup's value wins). */
async function serverSideApply(api: RestoreClient, object: KubeObject, log: RetryLog, label: string): Promise<void> {
  await withRetry(`apply ${label}`, () => api.apply(object), log);
}

/**
 * Client-side: create; an object that exists already (409) is adopted, not duplicated: read, and
 * replaced with the backup's spec, labels and annotations, its own ownerReferences kept
 * (replacementFor; a conflict with a concurrent writer reads it again).
 */
async function createOrReplace(api: RestoreClient, object: KubeObject, log: RetryLog, label: string): Promise<void> {
  try {
    await withRetry(`create ${label}`, () => api.create(object), log);
    return;
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
  for (let attempt = 1; ; attempt++) {
    const live = await withRetry(`read ${label}`, () => api.read(object), log);
    try {
      await withRetry(`replace ${label}`, () => api.replace(replacementFor(live, object)), log);
      return;
    } catch (err) {
      if (statusCode(err) !== 409 || attempt >= 5) throw err;
    }
  }
}

function progress(line: string): void {
  process.stderr.write(`cert-manager-upgrade: ${line}\n`);
}

/**
 * Applies the objects named by `labels` (all of them by default). An object the API server rejects
 * (lib/restore-rejections.ts isRejection: the webhook's answer about the object itself) is returned
 * with the API's reason, and the others are applied: it must not hold back its batch, nor the
 * batches after it. Any other failure fails with one line naming the objects that could not be
 * applied (the first three and a count) after the others are done.
 */
export async function applyBatch(inputs: BatchInputs, labels: string[] = Object.keys(inputs.objects)): Promise<{ rejected: Rejections }> {
  const api = client(inputs);
  const log = new RetryLog();
  const owners = new OwnerCheck(api, log);
  const ownersLeftOut: string[] = [];
  const failures = await eachLimited(labels, Number(process.env.CMU_RESTORE_CONCURRENCY) || DEFAULT_CONCURRENCY, (label) => limited(async () => {
    const { object, leftOut } = await owners.keepLiveOwners(decodeObject(inputs.objects[label]));
    for (const owner of leftOut) ownersLeftOut.push(`${label} (owner ${owner})`);
    return inputs.serverSideApply ? serverSideApply(api, object, log, label) : createOrReplace(api, object, log, label);
  }));
  if (log.count > 0) progress(`${inputs.batch}: ${log.count} request(s) retried (${log.entries[0]})`);
  if (ownersLeftOut.length > 0) {
    progress(`${inputs.batch}: ${ownersLeftOut.length} ownerReference(s) of the backup left out, their owner gone or re-created since (the garbage collector deletes an object whose owners are gone): ` +
      `${ownersLeftOut.slice(0, 3).join(", ")}${ownersLeftOut.length > 3 ? ", …" : ""}`);
  }
  const rejected: Rejections = {};
  for (const f of failures) if (isRejection(statusCode(f.error))) rejected[f.item] = describeKubeError(f.error);
  const failed = failures.filter((f) => !(f.item in rejected));
  if (failed.length > 0) {
    const shown = failed.slice(0, 3).map((f) => `${f.item}: ${describeKubeError(f.error)}`).join("; ");
    const also = Object.keys(rejected).length > 0 ? ` (and ${Object.keys(rejected).length} rejected by the API server: ${Object.keys(rejected).slice(0, 3).join(", ")})` : "";
    throw new Error(`restoring ${failed.length} of ${labels.length} object(s) of batch ${inputs.batch} failed: ${shown}${failed.length > 3 ? "; …" : ""}${also}. ` +
      "The others are in place; run `pulumi up` again (applying is idempotent)");
  }
  if (Object.keys(rejected).length > 0) progress(`${inputs.batch}: ${Object.keys(rejected).length} object(s) rejected by the API server, the others applied: ${Object.keys(rejected).slice(0, 3).join(", ")}`);
  return { rejected };
}

/**
 * The live objects as this program manages them (lib/restore-batch.ts managedView), encoded, keyed by label;
 * an object that no longer exists is left out (the next `pulumi up` creates it again).
 */
export async function readBatch(inputs: BatchInputs): Promise<Record<string, string>> {
  const api = client(inputs);
  const log = new RetryLog();
  const views: Record<string, string> = {};
  const labels = Object.keys(inputs.objects ?? {});
  const failures = await eachLimited(labels, Number(process.env.CMU_RESTORE_CONCURRENCY) || DEFAULT_CONCURRENCY, (label) => limited(async () => {
    const wanted = decodeObject(inputs.objects[label]);
    try {
      const live = await withRetry(`read ${label}`, () => api.read(wanted), log);
      views[label] = encodeObject(managedView(live, wanted));
    } catch (err) {
      if (!isObjectNotFound(err)) throw err;
    }
  }));
  if (failures.length > 0) {
    throw new Error(`reading ${failures.length} object(s) of batch ${inputs.batch} failed: ${failures.slice(0, 3).map((f) => `${f.item}: ${describeKubeError(f.error)}`).join("; ")}`);
  }
  // In the batch's order, so that the state reads like the inputs.
  return Object.fromEntries(labels.filter((l) => l in views).map((l) => [l, views[l]]));
}


/**
 * Adds `labels` to the record of restored objects (a ConfigMap in the stack's namespace; labels and
 * checksums only), creating it when missing. Read, merged and written with the resourceVersion it
 * was read at: batches run at once, and a conflict reads it again. A state from before the record
 * (no recordNamespace) records nothing.
 */
export async function recordRestored(inputs: BatchInputs, labels: string[]): Promise<void> {
  if (!inputs.recordNamespace || labels.length === 0) return;
  const api = client(inputs);
  const log = new RetryLog();
  const path = `/api/v1/namespaces/${encodeURIComponent(inputs.recordNamespace)}/configmaps`;
  const name = inputs.recordName || RESTORE_RECORD_NAME;
  const where = `ConfigMap ${inputs.recordNamespace}/${name}`;
  for (let attempt = 1; ; attempt++) {
    try {
      let live: KubeObject | undefined;
      try {
        live = await withRetry(`read ${where}`, () => api.request("GET", `${path}/${name}`), log);
      } catch (err) {
        if (statusCode(err) !== 404) throw err;
      }
      const data = recordData(decodeRecord(live?.data as Record<string, string> | undefined), labels, inputs.backupSha256 ?? "");
      if (!live) {
        const body = { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: inputs.recordNamespace, labels: { "app.kubernetes.io/managed-by": FIELD_MANAGER } }, data };
        await withRetry(`create ${where}`, () => api.request("POST", `${path}?fieldManager=${FIELD_MANAGER}`, body), log);
      } else {
        await withRetry(`replace ${where}`, () => api.request("PUT", `${path}/${name}?fieldManager=${FIELD_MANAGER}`, { ...live, data }), log);
      }
      return;
    } catch (err) {
      if (statusCode(err) !== 409 || attempt >= 10) {
        throw new Error(`recording ${labels.length} restored object(s) of batch ${inputs.batch} in ${where} failed: ${describeKubeError(err)}. ` +
          "They are in place; run `pulumi up` again");
      }
    }
  }
}
