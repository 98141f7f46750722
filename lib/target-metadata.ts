// The TLS Secrets' and Ingresses' metadata a converting target renames (lib/targets/index.ts
// planMetadataRenames): read at preview time, patched by components/metadata-renames.ts. Only
// annotations and labels leave these functions: a Secret's data is read by the API call and dropped.
import * as k8s from "@kubernetes/client-node";
import { KubeTarget, RetryLog, ask, describeKubeError, isObjectNotFound, loadKubeConfig, readSecret, withRetry } from "./kube";
import type { MetadataPatch } from "./targets";
import type { ObjectMetadataView } from "./targets/target";

export interface TargetMetadata {
  secrets: ObjectMetadataView[];
  ingresses: Array<ObjectMetadataView & { apiVersion: string }>;
}

const INGRESS_CANDIDATES = ["networking.k8s.io/v1", "networking.k8s.io/v1beta1", "extensions/v1beta1"];

/**
 * The Ingress API the cluster serves (networking.k8s.io/v1 from 1.19, v1beta1 from 1.14, extensions
 * before), from the kinds each group version serves: a group version may be served without Ingress
 * (Kubernetes 1.15 serves networking.k8s.io/v1 with NetworkPolicy only).
 */
export function ingressApiVersion(kindsByGroupVersion: Record<string, readonly string[]>): string | undefined {
  return INGRESS_CANDIDATES.find((v) => kindsByGroupVersion[v]?.includes("Ingress"));
}

function view(namespace: string, name: string, metadata: { annotations?: Record<string, string>; labels?: Record<string, string> } | undefined): ObjectMetadataView {
  const out: ObjectMetadataView = { namespace, name };
  if (metadata?.annotations) out.annotations = { ...metadata.annotations };
  if (metadata?.labels) out.labels = { ...metadata.labels };
  return out;
}

/** The named TLS Secrets that exist, and every Ingress, as metadata views. */
export async function readTargetMetadata(kc: k8s.KubeConfig, secrets: Array<{ namespace: string; name: string }>, servedApis: readonly string[]): Promise<TargetMetadata> {
  const log = new RetryLog();
  const out: TargetMetadata = { secrets: [], ingresses: [] };
  for (const s of secrets) {
    const secret = await readSecret(kc, s.namespace, s.name, log);
    if (secret) out.secrets.push(view(s.namespace, s.name, secret.metadata));
  }
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const kinds: Record<string, string[]> = {};
  for (const gv of INGRESS_CANDIDATES.filter((v) => servedApis.includes(v))) {
    const [group, version] = gv.split("/");
    const resources = await ask(`discovering the resources of ${gv}`, () => custom.getAPIResources({ group, version }), kc, log, gv);
    kinds[gv] = resources.resources.map((r) => r.kind);
  }
  const apiVersion = ingressApiVersion(kinds);
  if (apiVersion) {
    const [group, version] = apiVersion.split("/");
    const list = (await ask("listing Ingresses", () => custom.listClusterCustomObject({ group, version, plural: "ingresses" }), kc, log, apiVersion)) as { items?: Array<{ metadata?: k8s.V1ObjectMeta }> };
    for (const i of list.items ?? []) out.ingresses.push({ apiVersion, ...view(i.metadata?.namespace ?? "", i.metadata?.name ?? "", i.metadata as never) });
  }
  return out;
}

export interface MetadataRenameInputs extends KubeTarget {
  renames: MetadataPatch[];
}

/** Applies each merge patch (metadata only); an object gone since the preview is skipped and named. */
export async function applyMetadataRenames(inputs: MetadataRenameInputs): Promise<{ renamed: string[]; gone: string[]; completedAt: string }> {
  const kc = loadKubeConfig(inputs);
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  const log = new RetryLog();
  const renamed: string[] = [];
  const gone: string[] = [];
  for (const r of inputs.renames ?? []) {
    const label = `${r.kind}/${r.namespace}/${r.name}`;
    const body = { apiVersion: r.apiVersion, kind: r.kind, metadata: { name: r.name, namespace: r.namespace, ...r.patch.metadata } };
    try {
      await withRetry(`rename metadata of ${label}`, () => api.patch(body as k8s.KubernetesObject, undefined, undefined, "cert-manager-upgrade", undefined, k8s.PatchStrategy.MergePatch), log);
      renamed.push(label);
    } catch (err) {
      if (isObjectNotFound(err)) {
        gone.push(label);
        continue;
      }
      throw new Error(`renaming the cert-manager annotations/labels of ${label} failed: ${describeKubeError(err)}; the new cert-manager is not installed yet; run \`pulumi up\` again`);
    }
  }
  return { renamed, gone, completedAt: new Date().toISOString() };
}
