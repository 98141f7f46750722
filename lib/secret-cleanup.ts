// Which copied Secrets the optional cleanup may delete from the legacy namespace (pure).
//
// A ClusterIssuer's Secrets are copied out of the legacy namespace; once the restore is done 0.6 no
// longer reads them there. But the same Secret can still be in use in that namespace: an Issuer
// there names it (an ACME account key shared with a ClusterIssuer), or it is a Certificate's TLS
// Secret there (a CA ClusterIssuer's key pair issued by cert-manager). Deleting it would lose an
// account key or make cert-manager issue the certificate anew. Such Secrets are kept, and said so.
import { findSecretRefs } from "./secret-refs";
import { objectLabel } from "./types";

export interface ReferencingObject {
  kind: string;
  namespace: string;
  name: string;
  object: { spec?: Record<string, unknown> };
}

export interface KeptSecret {
  name: string;
  /** What still uses it, e.g. "Issuer/kube-system/x spec.acme.privateKeySecretRef". */
  usedBy: string[];
}

export interface CleanupDecision {
  namespace: string;
  /** Secret names to delete from the namespace, sorted. */
  delete: string[];
  /** Secret names kept, sorted, with what uses them. */
  keep: KeptSecret[];
}

/** Secrets of `namespace` that its Issuers and Certificates reference: name → what references it. */
export function legacyNamespaceSecretUsers(objects: ReferencingObject[], namespace: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const add = (secret: string, user: string): void => {
    const list = users.get(secret);
    if (!list) users.set(secret, [user]);
    else if (!list.includes(user)) list.push(user);
  };
  for (const o of objects) {
    if (o.namespace !== namespace) continue; // ClusterIssuers ("") read the new namespace after the upgrade
    const label = objectLabel(o);
    if (o.kind === "Issuer") {
      for (const ref of findSecretRefs(o.object.spec)) add(ref.name, `${label} ${ref.path}`);
    } else if (o.kind === "Certificate") {
      const secretName = o.object.spec?.secretName;
      if (typeof secretName === "string" && secretName !== "") add(secretName, `${label} spec.secretName`);
    }
  }
  return users;
}

/** Splits the copied Secrets into those the cleanup deletes and those it keeps, with why. */
export function decideLegacySecretCleanup(copied: string[], objects: ReferencingObject[], namespace: string): CleanupDecision {
  const users = legacyNamespaceSecretUsers(objects, namespace);
  const names = [...new Set(copied)].sort();
  return {
    namespace,
    delete: names.filter((n) => !users.has(n)),
    keep: names.filter((n) => users.has(n)).map((n) => ({ name: n, usedBy: users.get(n)! })),
  };
}

/** One line for the preview about a kept Secret. */
export function describeKeptSecret(namespace: string, kept: KeptSecret): string {
  return `Secret ${namespace}/${kept.name} is kept by cleanupLegacySecrets: still used by ${kept.usedBy.join(", ")} (only Secrets nothing in ${namespace} references are deleted)`;
}
