// Resetting server-owned fields before an object is created again (as Velero's restore does).
import { KubeObject, ObjectMeta } from "./types";

const SERVER_METADATA_FIELDS = [
  "uid",
  "resourceVersion",
  "selfLink",
  "creationTimestamp",
  "generation",
  "managedFields",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "finalizers",
] as const;

export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/**
 * Returns a copy fit for creation: server fields, status and kubectl's last-applied annotation
 * removed; labels, other annotations and ownerReferences kept (Ingress UIDs survive an in-place
 * upgrade, and ingress-shim relies on them).
 */
export function sanitizeForRestore(obj: KubeObject, clusterScoped: boolean): KubeObject {
  const copy = structuredClone(obj);
  delete copy.status;
  const metadata: ObjectMeta = { ...(copy.metadata ?? {}) };
  for (const field of SERVER_METADATA_FIELDS) delete metadata[field];
  if (clusterScoped) delete metadata.namespace;
  if (metadata.annotations) {
    const annotations = { ...metadata.annotations };
    delete annotations[LAST_APPLIED_ANNOTATION];
    if (Object.keys(annotations).length === 0) delete metadata.annotations;
    else metadata.annotations = annotations;
  }
  if (metadata.labels && Object.keys(metadata.labels).length === 0) delete metadata.labels;
  copy.metadata = metadata;
  return copy;
}
