// Which copied Secrets the optional cleanup may delete from the legacy namespace (pure).
//
// A ClusterIssuer's Secrets are copied out of the legacy namespace; once the restore is done 0.6 no
// longer reads them there. But the same Secret can still be in use in that namespace: an Issuer
// there names it (an ACME account key shared with a ClusterIssuer), or it is a Certificate's TLS
// Secret there (a CA ClusterIssuer's key pair issued by cert-manager). Deleting it would lose an
// account key or make cert-manager issue the certificate anew. Other software in that namespace can
// use it too (external-dns mounting the DNS credentials, a Pod reading a token through env): deleting
// it breaks that Pod's next start. Such Secrets are kept, and said so.
import { findSecretRefs } from "./secret-refs";
import { objectLabel } from "./types";
import { WORKLOAD_KINDS, controllerOf, objectSecretRefs } from "./workload-secret-refs";

export interface ReferencingObject {
  kind: string;
  namespace: string;
  name: string;
  object: { spec?: Record<string, unknown>; [field: string]: unknown };
}

export interface KeptSecret {
  name: string;
  /**
   * What still uses it, e.g. "Issuer/kube-system/x spec.acme.privateKeySecretRef",
   * "Deployment kube-system/external-dns (volume creds)".
   */
  usedBy: string[];
  /** Why Pods, workloads and ServiceAccounts could not be checked: the Secret is kept on that doubt. */
  notChecked?: string;
}

export interface CleanupChecks {
  /** Set when the Pods, workloads or ServiceAccounts of the namespace could not be read: then nothing is deleted. */
  notChecked?: string;
}

/** Kinds whose references to a Secret of their namespace keep it, besides Issuers and Certificates. */
export const SECRET_USER_KINDS = [...WORKLOAD_KINDS, "ServiceAccount"];

/** What "still used" covers, for the preview. */
export function stillUsedCovers(namespace: string): string {
  return `Issuers and Certificates, and Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and ServiceAccounts in ${namespace}, ` +
    "by the Secrets they name (issuer fields, secretName, volumes, env, envFrom, imagePullSecrets); not what reads Secrets through the API";
}

export interface CleanupDecision {
  namespace: string;
  /** Secret names to delete from the namespace, sorted. */
  delete: string[];
  /** Secret names kept, sorted, with what uses them. */
  keep: KeptSecret[];
}

/**
 * Secrets of `namespace` that its Issuers, Certificates, Pods, workloads and ServiceAccounts
 * reference: name → what references it. A Pod or ReplicaSet whose controller (also among `objects`)
 * references the same Secret is named through that controller only.
 */
export function legacyNamespaceSecretUsers(objects: ReferencingObject[], namespace: string): Map<string, string[]> {
  const users = new Map<string, string[]>();
  const add = (secret: string, user: string): void => {
    const list = users.get(secret);
    if (!list) users.set(secret, [user]);
    else if (!list.includes(user)) list.push(user);
  };
  const secretsOf = new Map<string, Set<string>>(); // "Kind/name" of a Pod user → the Secrets it references
  for (const o of objects) {
    if (o.namespace !== namespace || !SECRET_USER_KINDS.includes(o.kind)) continue;
    secretsOf.set(`${o.kind}/${o.name}`, new Set(objectSecretRefs(o.kind, o.object).map((r) => r.name)));
  }
  for (const o of objects) {
    if (o.namespace !== namespace) continue; // ClusterIssuers ("") read the new namespace after the upgrade
    const label = objectLabel(o);
    if (SECRET_USER_KINDS.includes(o.kind)) {
      const where = new Map<string, string[]>();
      for (const ref of objectSecretRefs(o.kind, o.object)) {
        const list = where.get(ref.name) ?? [];
        if (!list.includes(ref.where)) list.push(ref.where);
        where.set(ref.name, list);
      }
      const controller = controllerOf(o.object);
      for (const [secret, places] of where) {
        if (controller && secretsOf.get(`${controller.kind}/${controller.name}`)?.has(secret)) continue;
        add(secret, `${o.kind} ${o.namespace}/${o.name} (${places.join(", ")})`);
      }
      continue;
    }
    if (o.kind === "Issuer") {
      for (const ref of findSecretRefs(o.object.spec)) add(ref.name, `${label} ${ref.path}`);
    } else if (o.kind === "Certificate") {
      const secretName = o.object.spec?.secretName;
      if (typeof secretName === "string" && secretName !== "") add(secretName, `${label} spec.secretName`);
    }
  }
  return users;
}

/**
 * Splits the copied Secrets into those the cleanup deletes and those it keeps, with why. When the
 * namespace's Pods, workloads or ServiceAccounts could not be read, every one is kept.
 */
export function decideLegacySecretCleanup(copied: string[], objects: ReferencingObject[], namespace: string, checks: CleanupChecks = {}): CleanupDecision {
  const users = legacyNamespaceSecretUsers(objects, namespace);
  const names = [...new Set(copied)].sort();
  const kept = (n: string): KeptSecret => ({ name: n, usedBy: users.get(n) ?? [], ...(checks.notChecked ? { notChecked: checks.notChecked } : {}) });
  if (checks.notChecked) return { namespace, delete: [], keep: names.map(kept) };
  return {
    namespace,
    delete: names.filter((n) => !users.has(n)),
    keep: names.filter((n) => users.has(n)).map(kept),
  };
}

/** One line for the preview about a kept Secret. */
export function describeKeptSecret(namespace: string, kept: KeptSecret): string {
  const used = kept.usedBy.length > 0 ? `still used by ${kept.usedBy.join(", ")} (checked: ${stillUsedCovers(namespace)})` : "";
  const doubt = kept.notChecked
    ? `whether Pods, workloads or ServiceAccounts in ${namespace} use it could not be checked (${kept.notChecked}), and nothing is deleted on that doubt`
    : "";
  return `Secret ${namespace}/${kept.name} is kept by cleanupLegacySecrets: ${[used, doubt].filter(Boolean).join("; ")}`;
}
