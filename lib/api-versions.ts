// Retired API versions in the v0.6.6 chart: which the cluster lacks, and mapping them (post-render).
import * as yaml from "js-yaml";
import { API_APPROVAL_ANNOTATION, API_APPROVAL_VALUE, isProtectedGroup } from "./crds";

export interface ChartApiUse {
  apiVersion: string;
  kind: string;
  /** Only rendered with the webhook subchart. */
  webhookOnly: boolean;
}

/** What the v0.6.6 chart renders (facts file: "API versions used by v0.6.6 templates"). */
export const CHART_V066_API_USE: ChartApiUse[] = [
  { apiVersion: "apps/v1beta1", kind: "Deployment", webhookOnly: false },
  { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "ClusterRole", webhookOnly: false },
  { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "ClusterRoleBinding", webhookOnly: false },
  { apiVersion: "v1", kind: "ServiceAccount", webhookOnly: false },
  { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "RoleBinding", webhookOnly: true },
  { apiVersion: "rbac.authorization.k8s.io/v1", kind: "Role", webhookOnly: true },
  { apiVersion: "batch/v1beta1", kind: "CronJob", webhookOnly: true },
  { apiVersion: "batch/v1", kind: "Job", webhookOnly: true },
  { apiVersion: "apiregistration.k8s.io/v1beta1", kind: "APIService", webhookOnly: true },
  { apiVersion: "admissionregistration.k8s.io/v1beta1", kind: "ValidatingWebhookConfiguration", webhookOnly: true },
];

/**
 * What the cert-manager 0.6.2 binaries themselves call (not the chart): a post-render can make the
 * chart install, but nothing makes these work where the cluster no longer serves them (1.22+).
 */
export const CERT_MANAGER_062_RUNTIME_APIS: Array<{ apiVersion: string; use: string; webhookOnly: boolean }> = [
  { apiVersion: "extensions/v1beta1", use: "Ingress (ingress-shim, HTTP-01 solver)", webhookOnly: false },
  { apiVersion: "authorization.k8s.io/v1beta1", use: "SubjectAccessReview (the webhook)", webhookOnly: true },
];

/** The 0.6.2 binaries' APIs the cluster lacks, as "apiVersion use". */
export function missingRuntimeApis(served: Set<string>, webhookEnabled: boolean): string[] {
  return CERT_MANAGER_062_RUNTIME_APIS.filter((a) => (webhookEnabled || !a.webhookOnly) && !served.has(a.apiVersion)).map((a) => `${a.apiVersion} ${a.use}`);
}

/** Where each retired version maps to. */
export const API_VERSION_MAP: Record<string, Record<string, string>> = {
  "apps/v1beta1": { Deployment: "apps/v1", StatefulSet: "apps/v1", DaemonSet: "apps/v1", ReplicaSet: "apps/v1" },
  "apps/v1beta2": { Deployment: "apps/v1", StatefulSet: "apps/v1", DaemonSet: "apps/v1", ReplicaSet: "apps/v1" },
  "extensions/v1beta1": { Deployment: "apps/v1", DaemonSet: "apps/v1", ReplicaSet: "apps/v1" },
  "rbac.authorization.k8s.io/v1beta1": {
    ClusterRole: "rbac.authorization.k8s.io/v1",
    ClusterRoleBinding: "rbac.authorization.k8s.io/v1",
    Role: "rbac.authorization.k8s.io/v1",
    RoleBinding: "rbac.authorization.k8s.io/v1",
  },
  "batch/v1beta1": { CronJob: "batch/v1" },
  "apiregistration.k8s.io/v1beta1": { APIService: "apiregistration.k8s.io/v1" },
  "admissionregistration.k8s.io/v1beta1": {
    ValidatingWebhookConfiguration: "admissionregistration.k8s.io/v1",
    MutatingWebhookConfiguration: "admissionregistration.k8s.io/v1",
  },
  "apiextensions.k8s.io/v1beta1": { CustomResourceDefinition: "apiextensions.k8s.io/v1" },
};

/** What the v0.4.1 chart renders (the seed's release; its CRDs are part of the chart). */
export const CHART_V041_API_USE: ChartApiUse[] = [
  { apiVersion: "apps/v1beta1", kind: "Deployment", webhookOnly: false },
  { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "ClusterRole", webhookOnly: false },
  { apiVersion: "rbac.authorization.k8s.io/v1beta1", kind: "ClusterRoleBinding", webhookOnly: false },
  { apiVersion: "v1", kind: "ServiceAccount", webhookOnly: false },
  { apiVersion: "apiextensions.k8s.io/v1beta1", kind: "CustomResourceDefinition", webhookOnly: false },
];

/** Of what a chart renders, the API versions the cluster does not serve, as "apiVersion Kind". */
export function unservedApis(use: ChartApiUse[], served: Set<string>, webhookEnabled = true): string[] {
  return use.filter((u) => (webhookEnabled || !u.webhookOnly) && !served.has(u.apiVersion)).map((u) => `${u.apiVersion} ${u.kind}`);
}

/** The v0.6.6 chart's API versions that the cluster does not serve, as "apiVersion Kind". */
export function unservedChartApis(served: Set<string>, webhookEnabled: boolean): string[] {
  return unservedApis(CHART_V066_API_USE, served, webhookEnabled);
}

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function mapDeployment(o: Obj): void {
  // apps/v1 requires a selector; v1beta1 defaulted it from the template's labels.
  if (!o.spec?.selector && o.spec?.template?.metadata?.labels) {
    o.spec.selector = { matchLabels: { ...o.spec.template.metadata.labels } };
  }
  delete o.spec?.rollbackTo;
}

function mapWebhookConfiguration(o: Obj): void {
  for (const hook of o.webhooks ?? []) {
    // v1 allows only None/NoneOnDryRun; cert-manager's 0.6 webhook has no side effects.
    if (!["None", "NoneOnDryRun"].includes(hook.sideEffects)) hook.sideEffects = "None";
    // the 0.6 webhook speaks admission.k8s.io/v1beta1 AdmissionReview only.
    if (!hook.admissionReviewVersions) hook.admissionReviewVersions = ["v1beta1"];
  }
}

function mapCrd(o: Obj): void {
  const spec = o.spec ?? {};
  const versions: Obj[] = spec.versions ?? [{ name: spec.version, served: true, storage: true }];
  const schema = spec.validation?.openAPIV3Schema;
  const columns = (spec.additionalPrinterColumns ?? []).map((c: Obj) => {
    const { JSONPath, ...rest } = c;
    return { ...rest, jsonPath: JSONPath };
  });
  if (typeof spec.group === "string" && isProtectedGroup(spec.group) && !o.metadata?.annotations?.[API_APPROVAL_ANNOTATION]) {
    o.metadata = { ...(o.metadata ?? {}), annotations: { ...(o.metadata?.annotations ?? {}), [API_APPROVAL_ANNOTATION]: API_APPROVAL_VALUE } };
  }
  o.spec = {
    group: spec.group,
    names: spec.names,
    scope: spec.scope,
    versions: versions.map((v) => ({
      name: v.name,
      served: v.served ?? true,
      storage: v.storage ?? true,
      schema: { openAPIV3Schema: schema ? { ...schema, "x-kubernetes-preserve-unknown-fields": true } : { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      ...(columns.length ? { additionalPrinterColumns: columns } : {}),
    })),
  };
}

export interface MappedManifest {
  yaml: string;
  mapped: string[];
}

/** Maps every retired apiVersion in a multi-document manifest to its served successor. */
export function mapManifest(manifest: string): MappedManifest {
  const mapped: string[] = [];
  const docs = yaml.loadAll(manifest) as Obj[];
  const out: string[] = [];
  for (const doc of docs) {
    if (!doc || typeof doc !== "object") continue;
    const target = API_VERSION_MAP[doc.apiVersion]?.[doc.kind];
    if (target) {
      mapped.push(`${doc.kind}/${doc.metadata?.name ?? "?"}: ${doc.apiVersion} -> ${target}`);
      doc.apiVersion = target;
      if (doc.kind === "Deployment" || doc.kind === "DaemonSet" || doc.kind === "StatefulSet" || doc.kind === "ReplicaSet") mapDeployment(doc);
      if (doc.kind.endsWith("WebhookConfiguration")) mapWebhookConfiguration(doc);
      if (doc.kind === "CustomResourceDefinition") mapCrd(doc);
    }
    out.push(yaml.dump(doc, { noRefs: true, lineWidth: -1 }));
  }
  return { yaml: out.map((d) => "---\n" + d).join(""), mapped };
}
