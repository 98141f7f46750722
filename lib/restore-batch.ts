// The restore in batches (pure): which objects go into which batch resource, in which order, and
// what differs between the objects a batch wants and what it last saw. A batch is one Pulumi
// resource that applies many objects (components/restored-batch.ts): the engine writes its state
// once per batch instead of once per object, while the batch's inputs, keyed by object label
// ("Kind/namespace/name"), still name every object in the preview and in `pulumi preview --diff`.
import { canonicalJson } from "./changes";
import { RestoreItem } from "./plan";
import { batchIndex } from "./restore-record";
import { KubeObject, RestoreKind, objectLabel } from "./types";

/** Objects per batch at most (measured: README, Performance). */
export const DEFAULT_BATCH_SIZE = 250;

export interface Batch {
  /** The batch's resource name, without the component's prefix: `certificates/<n>`, `issuers/<n>`, `clusterissuers/<n>`. */
  name: string;
  kind: RestoreKind;
  /** The namespaces of its objects, in order ([] for ClusterIssuers). */
  namespaces: string[];
  /** The objects, keyed by label, in restore order. */
  objects: Record<string, KubeObject>;
  /** Names of the batches holding this batch's issuers (Certificates only): they go first. */
  after: string[];
}

const PLURAL: Record<RestoreKind, string> = { ClusterIssuer: "clusterissuers", Issuer: "issuers", Certificate: "certificates" };

/** The label of the issuer a Certificate names ("ClusterIssuer/x", "Issuer/ns/x"). */
export function issuerLabel(item: RestoreItem): string | undefined {
  const ref = item.object.spec?.issuerRef as { name?: unknown; kind?: unknown } | undefined;
  if (!ref || typeof ref.name !== "string") return undefined;
  return ref.kind === "ClusterIssuer" ? objectLabel({ kind: "ClusterIssuer", namespace: "", name: ref.name }) : objectLabel({ kind: "Issuer", namespace: item.namespace, name: ref.name });
}

/**
 * Packs the restore plan's items (in restore order) into batches of one kind: ceil(count / size)
 * batches per kind, an object's batch chosen by a hash of its label (lib/restore-record.ts
 * batchIndex), so that its place depends on its label, its kind's object count and the size, not
 * on its position in the backup nor on other objects: the same backup gives the same batches every
 * run, and an object added to or dropped from the backup moves no other object unless the kind's
 * batch count changes. Batches hold about `size` objects (a hash spreads them, it does not cap
 * them). ClusterIssuers first, then Issuers, then Certificates, each Certificate batch after the
 * batches of the issuers its Certificates name (an issuer the backup lacks is not waited for).
 * Fewer, larger batches mean fewer state writes (README, Performance).
 */
export function planBatches(items: RestoreItem[], size = DEFAULT_BATCH_SIZE): Batch[] {
  if (!Number.isInteger(size) || size < 1) throw new Error(`batch size must be a positive whole number, not ${size}`);
  const kinds: RestoreKind[] = ["ClusterIssuer", "Issuer", "Certificate"];
  const batches: Batch[] = [];
  const batchOf = new Map<string, string>(); // issuer label -> batch name
  for (const kind of kinds) {
    const ofKind = items.filter((i) => i.kind === kind);
    const count = Math.ceil(ofKind.length / size);
    const buckets: RestoreItem[][] = Array.from({ length: count }, () => []);
    for (const item of ofKind) buckets[batchIndex(objectLabel(item), count)].push(item);
    buckets.forEach((chunk, index) => {
      if (chunk.length === 0) return;
      const name = `${PLURAL[kind]}/${index + 1}`;
      const objects: Record<string, KubeObject> = {};
      const after = new Set<string>();
      for (const item of chunk) {
        const label = objectLabel(item);
        objects[label] = item.object;
        if (kind !== "Certificate") batchOf.set(label, name);
        else {
          const issuer = issuerLabel(item);
          const holder = issuer ? batchOf.get(issuer) : undefined;
          if (holder) after.add(holder);
        }
      }
      batches.push({ name, kind, namespaces: [...new Set(chunk.map((i) => i.namespace).filter((n) => n !== ""))], objects, after: [...after].sort() });
    });
  }
  return batches;
}

/** JSON equality of plain data, key order ignored. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a as object).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
    const kb = Object.keys(b as object).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

/**
 * An object as a batch's inputs and state carry it: JSON text, keys sorted (the same object gives
 * the same text, whatever order the backup or the API server wrote its fields in). Pulumi moves a
 * string through its RPCs about 25 times faster than the object as nested values (measured: 250
 * Certificates, 2.7 ms against 63 ms per round trip), and a batch crosses several of them; its diff
 * display decodes JSON text, so `pulumi preview --diff` still shows each object's fields.
 */
export function encodeObject(object: KubeObject): string {
  return canonicalJson(object);
}

/** A batch's object back from its inputs or state: JSON text, or (state an earlier version wrote) the object itself. */
export function decodeObject(value: unknown): KubeObject {
  return (typeof value === "string" ? JSON.parse(value) : value) as KubeObject;
}

export function encodeObjects(objects: Record<string, KubeObject>): Record<string, string> {
  return Object.fromEntries(Object.entries(objects).map(([label, o]) => [label, encodeObject(o)]));
}

export function decodeObjects(objects: Record<string, unknown> | undefined): Record<string, KubeObject> {
  return Object.fromEntries(Object.entries(objects ?? {}).map(([label, o]) => [label, decodeObject(o)]));
}

export type ObjectChange = "add" | "update" | "remove";

/**
 * Per object label (objects encoded or not), what changes from `olds` (what the batch last applied, or last read from the
 * cluster by a refresh) to `news` (what the program wants): "add" for an object not there before
 * (or gone from the cluster), "update" for one that differs, "remove" for one the program no
 * longer restores (it leaves the batch; the object stays in the cluster). Labels in restore order.
 */
export function objectChanges(olds: Record<string, unknown> | undefined, news: Record<string, unknown> | undefined): Map<string, ObjectChange> {
  const before = olds ?? {};
  const after = news ?? {};
  const changes = new Map<string, ObjectChange>();
  for (const [label, wanted] of Object.entries(after)) {
    if (!(label in before)) changes.set(label, "add");
    else if (before[label] !== wanted && !sameValue(decodeObject(before[label]), decodeObject(wanted))) changes.set(label, "update");
  }
  for (const label of Object.keys(before)) if (!(label in after)) changes.set(label, "remove");
  return changes;
}

const PICKED_METADATA = ["labels", "annotations"] as const;

/**
 * The part of a live object this program manages, shaped like the object it applied: apiVersion,
 * kind, name, namespace, ownerReferences and spec as they are live; of labels and annotations only
 * the keys the program sets (others belong to other managers). What `pulumi refresh` stores, so
 * that an edit of a restored object's spec (or of one of its labels) shows as drift, and the next
 * `pulumi up` puts the backup's value back.
 */
export function managedView(live: KubeObject, wanted: KubeObject): KubeObject {
  const meta = live.metadata ?? {};
  const view: KubeObject = { apiVersion: wanted.apiVersion, kind: wanted.kind, metadata: { name: meta.name } };
  if (meta.namespace) view.metadata!.namespace = meta.namespace;
  for (const field of PICKED_METADATA) {
    const want = wanted.metadata?.[field];
    if (!want) continue;
    const have = meta[field] ?? {};
    const picked: Record<string, string> = {};
    for (const key of Object.keys(want)) if (key in have) picked[key] = have[key];
    view.metadata![field] = picked;
  }
  if (wanted.metadata?.ownerReferences !== undefined) view.metadata!.ownerReferences = meta.ownerReferences ?? [];
  for (const [field, value] of Object.entries(live)) {
    if (field === "apiVersion" || field === "kind" || field === "metadata" || field === "status") continue;
    if (field in wanted) view[field] = value;
  }
  for (const field of Object.keys(wanted)) {
    if (field !== "apiVersion" && field !== "kind" && field !== "metadata" && !(field in live)) view[field] = undefined;
  }
  return JSON.parse(JSON.stringify(view)) as KubeObject;
}

/**
 * The object a client-side update writes over a live one (HTTP PUT): the live object (its
 * resourceVersion, status, ownerReferences and other managers' labels and annotations kept) with
 * the backup's spec (and any other top-level field), labels and annotations. The live
 * ownerReferences stay: the backup's may name an owner re-created since (another uid), and an
 * object whose owners are all gone is deleted by the garbage collector.
 */
export function replacementFor(live: KubeObject, wanted: KubeObject): KubeObject {
  const out: KubeObject = structuredClone(live);
  const meta = { ...(out.metadata ?? {}) };
  for (const field of PICKED_METADATA) {
    const want = wanted.metadata?.[field];
    if (want) meta[field] = { ...(meta[field] ?? {}), ...want };
  }
  out.metadata = meta;
  for (const [field, value] of Object.entries(wanted)) {
    if (field === "apiVersion" || field === "kind" || field === "metadata" || field === "status") continue;
    out[field] = structuredClone(value);
  }
  return out;
}

/** What the API server says of an owner a backup's ownerReference names. */
export type OwnerStatus = { found: true; uid: string } | { found: false; reason: string };

/**
 * The ownerReferences to write: those whose owner exists with the uid the reference names; the
 * others are left out (described as "Kind/name (uid …): why"), since the garbage collector
 * deletes an object whose owners are all gone. `statuses` goes with `refs`, index by index.
 */
export function ownerReferencesToKeep(refs: Array<Record<string, unknown>>, statuses: OwnerStatus[]): { kept: Array<Record<string, unknown>>; leftOut: string[] } {
  const kept: Array<Record<string, unknown>> = [];
  const leftOut: string[] = [];
  refs.forEach((ref, i) => {
    const status = statuses[i];
    const what = `${String(ref.kind)}/${String(ref.name)} (uid ${String(ref.uid)})`;
    if (status.found && status.uid === ref.uid) kept.push(ref);
    else leftOut.push(`${what}: ${status.found ? `re-created since, uid now ${status.uid}` : status.reason}`);
  });
  return { kept, leftOut };
}

/** Label ("Kind/namespace/name", "ClusterIssuer/name") → kind, namespace ("" when cluster-scoped) and name. */
export function parseLabel(label: string): { kind: string; namespace: string; name: string } {
  const parts = label.split("/");
  if (parts.length === 2) return { kind: parts[0], namespace: "", name: parts[1] };
  return { kind: parts[0], namespace: parts[1], name: parts.slice(2).join("/") };
}

/** Runs `fn` over `items` with at most `limit` at a time; settles all, returns the failures. */
export async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<Array<{ item: T; error: unknown }>> {
  const failures: Array<{ item: T; error: unknown }> = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  }));
  return failures;
}
