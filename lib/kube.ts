// Kubernetes I/O through @kubernetes/client-node: kubeconfig, identity, paged lists, bounded retries.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import * as yaml from "js-yaml";
import { CliError } from "./cli";
import { KubeUser, TokenFileAuthenticator } from "./kube-connection";
import { describePath, projectPath } from "./project-path";
import { CERTMANAGER_GROUP, CERTMANAGER_VERSION, ClusterIdentity, KubeObject } from "./types";

export interface KubeTarget {
  /** As the user gave it: a relative path is relative to the project folder (lib/project-path.ts). */
  kubeconfig?: string;
  context?: string;
}

/**
 * A KubeConfig whose every request is aborted a little after the per-request timeout: withRetry
 * gives up on a request that does not answer, and the abort then frees its connection, so that a
 * hung request can neither keep a command running after its work is done nor pile up sockets.
 */
export class BoundedKubeConfig extends k8s.KubeConfig {
  constructor() {
    super();
    this.addAuthenticator(new TokenFileAuthenticator());
  }

  override async applySecurityAuthentication(context: Parameters<k8s.KubeConfig["applySecurityAuthentication"]>[0]): Promise<void> {
    await super.applySecurityAuthentication(context);
    context.setSignal(AbortSignal.timeout(DEFAULT_RETRY.timeoutMs + ABORT_GRACE_MS));
  }
}

/** After withRetry's timeout has already failed the request, so that its message is the one reported. */
const ABORT_GRACE_MS = 1000;

/** The files of a KUBECONFIG value, in order (empty entries dropped), as kubectl reads it. */
export function kubeconfigFiles(value: string | undefined): string[] {
  return (value ?? "").split(path.delimiter).filter((f) => f !== "");
}

/**
 * Merges kubeconfig files the way kubectl (client-go) does for a KUBECONFIG list: files that do not
 * exist are skipped; for each named cluster, user and context the first file that defines it wins;
 * current-context comes from the first file that sets one. Relative paths inside a file are resolved
 * against that file's folder. Throws when a file exists but cannot be read.
 */
export function mergeKubeconfigFiles(files: string[]): { config: k8s.KubeConfig; read: string[] } {
  const clusters = new Map<string, k8s.Cluster>();
  const users = new Map<string, KubeUser>();
  const contexts = new Map<string, k8s.Context>();
  let currentContext = "";
  const read: string[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    let kc: k8s.KubeConfig;
    let tokenFiles: Map<string, string>;
    try {
      const text = fs.readFileSync(file, "utf8");
      if (text.trim() === "") {
        read.push(file);
        continue;
      }
      kc = new k8s.KubeConfig();
      kc.loadFromFile(file);
      tokenFiles = userTokenFiles(yaml.load(text), path.dirname(file));
    } catch (err) {
      throw new CliError(`kubeconfig ${file} cannot be read: ${(err as Error).message.split("\n")[0]}`);
    }
    read.push(file);
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of kc.getUsers()) {
      if (users.has(u.name)) continue;
      const tokenFile = tokenFiles.get(u.name);
      const withFile: KubeUser = tokenFile ? { ...u, token: undefined, fallbackToken: u.token, tokenFile } : u;
      // As client-go: an exec command given as a relative path ("./bin/plugin") is relative to its kubeconfig's folder.
      const command = (u.exec as { command?: unknown } | undefined)?.command;
      const relative = typeof command === "string" && command.includes("/") && !path.isAbsolute(command);
      users.set(u.name, relative ? { ...withFile, exec: { ...u.exec, command: path.resolve(path.dirname(file), command) } } : withFile);
    }
    for (const c of kc.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!currentContext && kc.getCurrentContext()) currentContext = kc.getCurrentContext();
  }
  const config = new BoundedKubeConfig();
  config.loadFromOptions({ clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext });
  return { config, read };
}

/** Each user's client-go `tokenFile` (absolute: a relative one is relative to its kubeconfig's folder), by user name. */
export function userTokenFiles(config: unknown, folder: string): Map<string, string> {
  const files = new Map<string, string>();
  const users = (config as { users?: unknown } | null)?.users;
  if (!Array.isArray(users)) return files;
  for (const entry of users as Array<{ name?: unknown; user?: { tokenFile?: unknown } } | null>) {
    const file = entry?.user?.tokenFile;
    if (typeof entry?.name === "string" && typeof file === "string" && file !== "") files.set(entry.name, path.resolve(folder, file));
  }
  return files;
}

export function loadKubeConfig(target: KubeTarget): k8s.KubeConfig {
  let kc: k8s.KubeConfig;
  let where: string;
  if (target.kubeconfig) {
    // One file, like kubectl's --kubeconfig.
    const file = projectPath(target.kubeconfig);
    where = describePath(target.kubeconfig);
    if (!fs.existsSync(file)) throw new CliError(`kubeconfig ${where} does not exist: pass --kubeconfig PATH or set KUBECONFIG`);
    kc = mergeKubeconfigFiles([file]).config;
  } else {
    const listed = kubeconfigFiles(process.env.KUBECONFIG);
    const files = listed.length > 0 ? listed : [path.join(os.homedir(), ".kube", "config")];
    where = files.join(path.delimiter);
    const merged = mergeKubeconfigFiles(files);
    if (merged.read.length === 0) {
      throw new CliError(
        listed.length > 0
          ? `no file of KUBECONFIG=${where} exists: pass --kubeconfig PATH or fix KUBECONFIG`
          : `kubeconfig ${where} does not exist: pass --kubeconfig PATH or set KUBECONFIG`,
      );
    }
    kc = merged.config;
  }
  if (target.context) {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      const known = kc.getContexts().map((c) => c.name).join(", ") || "none";
      throw new CliError(`context ${target.context} is not in the kubeconfig (contexts: ${known})`);
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentContext()) {
    throw new CliError(`kubeconfig ${where} has no current context: pass --context NAME`);
  }
  if (!kc.getCurrentCluster()) {
    throw new CliError(`context ${kc.getCurrentContext()} in kubeconfig ${where} names a cluster that no file defines`);
  }
  return kc;
}

export function statusCode(err: unknown): number | undefined {
  if (err instanceof k8s.ApiException) return err.code;
  const code = (err as { code?: unknown })?.code;
  return typeof code === "number" ? code : undefined;
}

/** One line describing a Kubernetes API failure; never includes a response body's data. */
export function describeKubeError(err: unknown): string {
  if (err instanceof k8s.ApiException) {
    let message = "";
    try {
      const body = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
      if (body && typeof body.message === "string") message = body.message;
    } catch {
      // a non-JSON body says nothing useful
    }
    return `HTTP ${err.code}${message ? `: ${message}` : ""}`;
  }
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const inner = e?.cause?.code ?? e?.code;
  const msg = (e?.cause?.message ?? e?.message ?? String(err)).split("\n")[0];
  return inner && !msg.includes(inner) ? `${inner}: ${msg}` : msg;
}

function statusBody(err: unknown): { message?: string; reason?: string; details?: { name?: string } } | undefined {
  if (!(err instanceof k8s.ApiException)) return undefined;
  try {
    const body = typeof err.body === "string" ? JSON.parse(err.body) : err.body;
    return body && typeof body === "object" ? body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A 404 that says the object does not exist (its Status names it), as opposed to a 404 for an API
 * the server does not serve (no name in the Status, or no Status at all): only the former means
 * "already gone". Taking the latter for it would report a CRD deleted that is still there.
 */
export function isObjectNotFound(err: unknown): boolean {
  if (statusCode(err) !== 404) return false;
  const body = statusBody(err);
  return body?.reason === "NotFound" && typeof body.details?.name === "string" && body.details.name !== "";
}

/** A failed request, as one line: what was asked, the status code (or network error), what to do. */
export class KubeRequestError extends CliError {}

/**
 * What to do about a failed request. `apiVersion` names the API asked, for a 404 that is not an
 * object's (the server does not serve that version).
 */
export function adviceFor(err: unknown, context: string, apiVersion?: string): string {
  const code = statusCode(err);
  if (code === 401) return `the credentials of context ${context} were refused: renew them (kubectl with the same context must work) and run again`;
  if (code === 403) return `the credentials of context ${context} lack the right to do this (the upgrade needs cluster-admin in practice): use a context that has it`;
  if (code === 404 && !isObjectNotFound(err)) {
    return apiVersion
      ? `the cluster does not serve ${apiVersion}: is context ${context} the cluster you mean, and a Kubernetes this project supports (see README)?`
      : `the cluster does not serve this API: is context ${context} the cluster you mean, and a Kubernetes this project supports (see README)?`;
  }
  if (code === 409) return "the object changed meanwhile: run again";
  if (isTransient(err)) return `the API server of context ${context} did not answer properly (retried): check that it is up and run again`;
  return `check the cluster of context ${context} and run again`;
}

/** The one-line error for a request that failed (after withRetry's retries). */
export function requestFailed(what: string, err: unknown, kc: k8s.KubeConfig, apiVersion?: string): KubeRequestError {
  if (err instanceof KubeRequestError) return err;
  return new KubeRequestError(`${what} failed: ${describeKubeError(err)}; ${adviceFor(err, kc.getCurrentContext(), apiVersion)}`);
}

/** withRetry, and a one-line KubeRequestError when the request fails for good. */
export async function ask<T>(what: string, fn: () => Promise<T>, kc: k8s.KubeConfig, log: RetryLog, apiVersion?: string): Promise<T> {
  try {
    return await withRetry(what, fn, log);
  } catch (err) {
    throw requestFailed(what, err, kc, apiVersion);
  }
}

/** Every group version the cluster serves ("v1" for the core group, "apps/v1", ...), from discovery. */
export async function discoverApiVersions(kc: k8s.KubeConfig, log: RetryLog): Promise<string[]> {
  const apis = await ask("discovering the API groups (/apis)", () => kc.makeApiClient(k8s.ApisApi).getAPIVersions(), kc, log);
  const served = ["v1"];
  for (const g of apis.groups) for (const v of g.versions) served.push(v.groupVersion);
  return served.sort();
}

export function isTransient(err: unknown): boolean {
  const code = statusCode(err);
  if (code === 429 || (code !== undefined && code >= 500 && code !== 501)) return true;
  const text = describeKubeError(err);
  // UND_ERR_SOCKET ("other side closed"): undici's word for a connection the server dropped mid-request.
  return /ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|ECONNREFUSED|UND_ERR_SOCKET|other side closed/.test(text);
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A request that has not answered by then counts as failed (and is retried). */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  timeoutMs: Number(process.env.CMU_REQUEST_TIMEOUT_MS) || 30000,
};

export class RequestTimeout extends Error {
  readonly code = "ETIMEDOUT";
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeout(`no answer within ${ms / 1000}s (ETIMEDOUT)`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Counts what was retried, so a run can report it. */
export class RetryLog {
  readonly entries: string[] = [];
  get count(): number {
    return this.entries.length;
  }
}

export async function withRetry<T>(what: string, fn: () => Promise<T>, log: RetryLog, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await withTimeout(fn(), policy.timeoutMs);
    } catch (err) {
      if (attempt >= policy.attempts || !isTransient(err)) throw err;
      const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      log.entries.push(`${what}: ${describeKubeError(err)}; retry ${attempt} in ${delay}ms`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export async function clusterIdentity(kc: k8s.KubeConfig, log: RetryLog): Promise<ClusterIdentity> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const version = kc.makeApiClient(k8s.VersionApi);
  try {
    const ns = await withRetry("read namespace kube-system", () => core.readNamespace({ name: "kube-system" }), log);
    const info = await withRetry("read server version", () => version.getCode(), log);
    return {
      context: kc.getCurrentContext(),
      server: kc.getCurrentCluster()?.server ?? "",
      kubeSystemUID: ns.metadata?.uid ?? "",
      serverVersion: info.gitVersion,
    };
  } catch (err) {
    throw new CliError(`cannot reach the cluster of context ${kc.getCurrentContext()} (${kc.getCurrentCluster()?.server}): ${describeKubeError(err)}`);
  }
}

export interface ListPage<T> {
  items: T[];
  continueToken?: string;
}

/**
 * Lists a cert-manager kind across all namespaces page by page. Returns false when the cluster
 * does not serve the kind (no CRD), e.g. Orders on 0.4.
 */
export async function listCertManagerKind(
  kc: k8s.KubeConfig,
  plural: string,
  pageSize: number,
  onPage: (items: KubeObject[]) => Promise<void> | void,
  log: RetryLog,
  /** The API group and version (default certmanager.k8s.io/v1alpha1; cert-manager.io/v1 for v1.1.1). */
  groupVersion: { group: string; version: string } = { group: CERTMANAGER_GROUP, version: CERTMANAGER_VERSION },
): Promise<boolean> {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const { group, version } = groupVersion;
  let token: string | undefined;
  do {
    let page: { items?: KubeObject[]; metadata?: { continue?: string } };
    try {
      page = await withRetry(`list ${plural}`, () =>
        api.listClusterCustomObject({ group, version, plural, limit: pageSize, _continue: token }),
      log);
    } catch (err) {
      if (statusCode(err) === 404 && token === undefined) return false;
      throw new CliError(`listing ${plural}.${group} failed: ${describeKubeError(err)}`);
    }
    await onPage(page.items ?? []);
    token = page.metadata?.continue || undefined;
  } while (token);
  return true;
}

/** Lists every Secret page by page. Callers keep only what they need and never print data. */
export async function listSecrets(
  kc: k8s.KubeConfig,
  pageSize: number,
  onPage: (secrets: k8s.V1Secret[]) => void,
  log: RetryLog,
): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let token: string | undefined;
  do {
    let page: k8s.V1SecretList;
    try {
      page = await withRetry("list secrets", () => core.listSecretForAllNamespaces({ limit: pageSize, _continue: token }), log);
    } catch (err) {
      throw new CliError(`listing Secrets failed: ${describeKubeError(err)}`);
    }
    onPage(page.items);
    token = page.metadata?._continue || undefined;
  } while (token);
}

/** Reads one Secret; returns undefined when absent. The caller must never print its data. */
export async function readSecret(kc: k8s.KubeConfig, namespace: string, name: string, log: RetryLog): Promise<k8s.V1Secret | undefined> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    return await withRetry(`read secret ${namespace}/${name}`, () => core.readNamespacedSecret({ namespace, name }), log);
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new CliError(`reading Secret ${namespace}/${name} failed: ${describeKubeError(err)}`);
  }
}

/** A ConfigMap's data, or undefined when it (or its namespace) does not exist. */
export async function readConfigMapData(kc: k8s.KubeConfig, namespace: string, name: string, log: RetryLog): Promise<Record<string, string> | undefined> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  try {
    const cm = await withRetry(`read configmap ${namespace}/${name}`, () => core.readNamespacedConfigMap({ namespace, name }), log);
    return cm.data ?? {};
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw new CliError(`reading ConfigMap ${namespace}/${name} failed: ${describeKubeError(err)}`);
  }
}
