// Pulumi resource names of the objects the program restores and of the Secrets it copies (pure).
//
// A name must be one per object (two objects under one name make Pulumi refuse the whole run, or
// worse, take one object for the other) and the same on every run (a new name is a new resource).
//
// The first scheme, `kind-namespace-name`, is ambiguous: `team-a/web` and `team/a-web` both read
// `certificate-team-a-web`. Kubernetes namespaces are DNS labels (a-z, 0-9, '-'; no '.', no '/') and
// object names never hold '/'. So:
//   - a namespace without '-' ends at the first '-' after the kind: `kind-namespace-name` stays
//     unambiguous and is kept (the seed's `default/…`, `test/…`, every existing stack's plain names);
//   - a namespace with '-' is written `kind-namespace/name` ('/' occurs in no other name);
//   - ClusterIssuers (no namespace) keep `clusterissuer-name`.
// Objects whose name changes answer to their old one through a Pulumi alias, unless another object
// has that name now or had it too (then which one the state holds is unknown: no alias, so no
// object can be taken for another; restored objects are kept on delete and adopted on create, so
// the worst case is a delete from the state and a create that adopts the object as it is).
import { objectLabel } from "./types";

export interface NamedObject {
  kind: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  name: string;
}

export interface ResourceName {
  /** The name, without the component's prefix. */
  name: string;
  /** Old names this resource answers to (Pulumi aliases), without the prefix. */
  aliases: string[];
}

/** The first scheme (kept for aliases): `kind-namespace-name`. */
export function previousRestoredName(o: NamedObject): string {
  return o.namespace ? `${o.kind.toLowerCase()}-${o.namespace}-${o.name}` : `${o.kind.toLowerCase()}-${o.name}`;
}

/** The name of a restored object's resource, injective over valid Kubernetes objects of one kind. */
export function restoredResourceName(o: NamedObject): string {
  const kind = o.kind.toLowerCase();
  if (!o.namespace) return `${kind}-${o.name}`;
  return /^[a-z0-9]+$/.test(o.namespace) ? `${kind}-${o.namespace}-${o.name}` : `${kind}-${o.namespace}/${o.name}`;
}

/**
 * Names for every restored object at once (keyed by objectLabel), with the aliases that are safe.
 * Throws when two objects would share a name (a duplicate object in the plan).
 */
export function restoredResourceNames(objects: NamedObject[]): Map<string, ResourceName> {
  const current = new Map<string, string>(); // kind + name -> label
  const previousUsers = new Map<string, number>();
  for (const o of objects) {
    const key = `${o.kind}\u0000${restoredResourceName(o)}`;
    const other = current.get(key);
    if (other !== undefined) {
      throw new Error(`two restored objects would have the same resource name ${restoredResourceName(o)}: ${other} and ${objectLabel(o)} (is ${objectLabel(o)} in the backup twice?)`);
    }
    current.set(key, objectLabel(o));
    const old = `${o.kind}\u0000${previousRestoredName(o)}`;
    previousUsers.set(old, (previousUsers.get(old) ?? 0) + 1);
  }
  const names = new Map<string, ResourceName>();
  for (const o of objects) {
    const name = restoredResourceName(o);
    const old = previousRestoredName(o);
    const oldKey = `${o.kind}\u0000${old}`;
    const safe = old !== name && !current.has(oldKey) && previousUsers.get(oldKey) === 1;
    names.set(objectLabel(o), { name, aliases: safe ? [old] : [] });
  }
  return names;
}

/** A copied Secret's resource: `<prefix>-<secret>` (unchanged since the first version). */
export function secretCopyResourceName(prefix: string, secret: string): string {
  return `${prefix}-${secret}`;
}

/**
 * The read of a copy's source: `<prefix>-source/<secret>`. It used to be `<prefix>-source-<secret>`,
 * which is also the copy of a Secret named `source-<secret>`; a Secret name never holds '/'.
 * Reads are not managed, so the new name changes nothing in the cluster or in what is managed.
 */
export function secretSourceResourceName(prefix: string, secret: string): string {
  return `${prefix}-source/${secret}`;
}

/** Whether a resource name is a copy's (not a source read's) for the given prefix. */
export function isSecretCopyResourceName(resourceName: string, prefix: string): boolean {
  if (!resourceName.startsWith(`${prefix}-`)) return false;
  const secret = resourceName.slice(prefix.length + 1);
  // A Secret name is a DNS subdomain: it starts with a letter or digit and never holds '/'.
  return /^[a-z0-9][a-z0-9.-]*$/.test(secret);
}
