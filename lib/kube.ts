// Kubernetes I/O through @kubernetes/client-node: kubeconfig, identity, paged lists, bounded retries.
import * as fs from "node:fs";
import * as k8s from "@kubernetes/client-node";
import { CliError } from "./cli";
import { CERTMANAGER_GROUP, CERTMANAGER_VERSION, ClusterIdentity, KubeObject } from "./types";

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

export function loadKubeConfig(target: KubeTarget): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  const file = target.kubeconfig ?? process.env.KUBECONFIG?.split(":")[0];
  try {
    if (file) {
      if (!fs.existsSync(file)) throw new CliError(`kubeconfig ${file} does not exist: pass --kubeconfig PATH or set KUBECONFIG`);
      kc.loadFromFile(file);
    } else {
      kc.loadFromDefault();
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`kubeconfig ${file ?? "~/.kube/config"} cannot be read: ${(err as Error).message.split("\n")[0]}`);
  }
  if (target.context) {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      const known = kc.getContexts().map((c) => c.name).join(", ") || "none";
      throw new CliError(`context ${target.context} is not in the kubeconfig (contexts: ${known})`);
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new CliError(`kubeconfig ${file ?? "~/.kube/config"} has no current context: pass --context NAME`);
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

export function isTransient(err: unknown): boolean {
  const code = statusCode(err);
  if (code === 429 || (code !== undefined && code >= 500 && code !== 501)) return true;
  const text = describeKubeError(err);
  return /ECONNRESET|ETIMEDOUT|EPIPE|socket hang up|ECONNREFUSED/.test(text);
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

function withTimeout<T>(what: string, promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestTimeout(`${what}: no answer within ${ms / 1000}s (ETIMEDOUT)`)), ms);
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
      return await withTimeout(what, fn(), policy.timeoutMs);
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
): Promise<boolean> {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  let token: string | undefined;
  do {
    let page: { items?: KubeObject[]; metadata?: { continue?: string } };
    try {
      page = await withRetry(`list ${plural}`, () =>
        api.listClusterCustomObject({ group: CERTMANAGER_GROUP, version: CERTMANAGER_VERSION, plural, limit: pageSize, _continue: token }),
      log);
    } catch (err) {
      if (statusCode(err) === 404 && token === undefined) return false;
      throw new CliError(`listing ${plural}.${CERTMANAGER_GROUP} failed: ${describeKubeError(err)}`);
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
