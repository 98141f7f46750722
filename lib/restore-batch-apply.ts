// What a batch of restored objects does against the cluster (components/restored-batch.ts). Loaded by
// the dynamic provider's process through tsx, never at preview time: apply each object, read them
// back for `pulumi refresh`. Every request is retried like the commands' (withRetry), a bounded
// number run at once across all batches of the process, and applying is idempotent, so a run that
// dies midway is finished by the next one applying the same objects again.
import * as k8s from "@kubernetes/client-node";
import { RetryLog, describeKubeError, isObjectNotFound, loadKubeConfig, statusCode, withRetry } from "./kube";
import { eachLimited, managedView, replacementFor } from "./restore-batch";
import { KubeObject } from "./types";

/** The field manager of the objects this program applies (server-side apply). */
export const FIELD_MANAGER = "cert-manager-upgrade";
/** Requests at once, across every batch the provider runs (measured: README, Performance). */
export const DEFAULT_CONCURRENCY = 16;

export interface BatchTarget {
  kubeconfig?: string;
  context?: string;
  /** Server-side apply where the cluster serves it (Kubernetes 1.16 on), else create and replace. */
  serverSideApply: boolean;
}

export interface BatchInputs extends BatchTarget {
  /** The batch's name, for messages. */
  batch: string;
  /** Label ("Kind/namespace/name") → the object as the backup has it, sanitized. */
  objects: Record<string, KubeObject>;
}

const clients = new Map<string, k8s.KubernetesObjectApi>();

function client(target: BatchTarget): k8s.KubernetesObjectApi {
  const key = `${target.kubeconfig ?? ""}\u0000${target.context ?? ""}`;
  let c = clients.get(key);
  if (!c) clients.set(key, (c = k8s.KubernetesObjectApi.makeApiClient(loadKubeConfig(target))));
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

type Spec = k8s.KubernetesObject & KubeObject;

/** Server-side apply, taking over fields other managers set (the backup's value wins). */
async function serverSideApply(api: k8s.KubernetesObjectApi, object: KubeObject, log: RetryLog, label: string): Promise<void> {
  await withRetry(`apply ${label}`, () => api.patch(object as Spec, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply), log);
}

/**
 * Client-side: create; an object that exists already (409) is adopted, not duplicated: read, and
 * replaced with the backup's spec, labels, annotations and ownerReferences (a conflict with a
 * concurrent writer reads it again).
 */
async function createOrReplace(api: k8s.KubernetesObjectApi, object: KubeObject, log: RetryLog, label: string): Promise<void> {
  try {
    await withRetry(`create ${label}`, () => api.create(object as Spec, undefined, undefined, FIELD_MANAGER), log);
    return;
  } catch (err) {
    if (statusCode(err) !== 409) throw err;
  }
  for (let attempt = 1; ; attempt++) {
    const live = await withRetry(`read ${label}`, () => api.read(object as never), log) as KubeObject;
    try {
      await withRetry(`replace ${label}`, () => api.replace(replacementFor(live, object) as Spec, undefined, undefined, FIELD_MANAGER), log);
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
 * Applies the objects named by `labels` (all of them by default). Fails with one line naming the
 * objects that could not be applied (the first three and a count) after the others are done.
 */
export async function applyBatch(inputs: BatchInputs, labels: string[] = Object.keys(inputs.objects)): Promise<void> {
  const api = client(inputs);
  const log = new RetryLog();
  const failures = await eachLimited(labels, Number(process.env.CMU_RESTORE_CONCURRENCY) || DEFAULT_CONCURRENCY, (label) => limited(() =>
    inputs.serverSideApply ? serverSideApply(api, inputs.objects[label], log, label) : createOrReplace(api, inputs.objects[label], log, label)));
  if (log.count > 0) progress(`${inputs.batch}: ${log.count} request(s) retried (${log.entries[0]})`);
  if (failures.length > 0) {
    const shown = failures.slice(0, 3).map((f) => `${f.item}: ${describeKubeError(f.error)}`).join("; ");
    throw new Error(`restoring ${failures.length} of ${labels.length} object(s) of batch ${inputs.batch} failed: ${shown}${failures.length > 3 ? "; …" : ""}. ` +
      "The others are in place; run `pulumi up` again (applying is idempotent)");
  }
}

/**
 * The live objects as this program manages them (lib/restore-batch.ts managedView), keyed by label;
 * an object that no longer exists is left out (the next `pulumi up` creates it again).
 */
export async function readBatch(inputs: BatchInputs): Promise<Record<string, KubeObject>> {
  const api = client(inputs);
  const log = new RetryLog();
  const views: Record<string, KubeObject> = {};
  const labels = Object.keys(inputs.objects ?? {});
  const failures = await eachLimited(labels, Number(process.env.CMU_RESTORE_CONCURRENCY) || DEFAULT_CONCURRENCY, (label) => limited(async () => {
    const wanted = inputs.objects[label];
    try {
      const live = await withRetry(`read ${label}`, () => api.read(wanted as never), log) as KubeObject;
      views[label] = managedView(live, wanted);
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

