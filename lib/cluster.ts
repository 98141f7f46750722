// Read-only look at the target cluster (for preview), and the two operations the program performs
// outside ordinary resources: removing the old release, and waiting for the 0.6 webhook.
import * as k8s from "@kubernetes/client-node";
import { ObjectDigest, objectDigest } from "./changes";
import { CrdApi, crdVersionFor, crdVersionOf } from "./crd-api";
import { KubeRequestError, RetryLog, ask, describeKubeError, discoverApiVersions, isObjectNotFound, listCertManagerKind, listSecrets, requestFailed, statusCode, withRetry } from "./kube";
import { apiRegistrationVersionFor } from "./served-apis";
import { CertManagerFootprint, LegacyObject, describeLegacyObject, isCertManagerDeployment, isLegacyChartLabel, orderLegacyDeletions } from "./legacy";
import { ReleaseRecordInput, classifyReleaseRecords, decodeReleaseRecord } from "./release-records";
import { NO_PREVIOUS_RELEASE, PREVIOUS_CRD_NAMES, PreviousRelease, isCertmanagerK8sIoChart, isPreviousReleaseObject } from "./previous-release";
import type { ReferencingObject } from "./secret-cleanup";
import { LiveTlsCertificate, certificateFacts } from "./tls-facts";
import { CERTMANAGER_GROUP, KIND_PLURALS, RESTORE_KINDS, objectLabel } from "./types";

export interface LegacyRelease {
  found: boolean;
  /** How the release is recorded: "helm3" secrets, "helm2" Tiller ConfigMaps or Secrets, or "none" (objects only). */
  record: "helm3" | "helm2" | "none";
  chartVersion?: string;
  objects: LegacyObject[];
  /** Release records labelled with the release's name that cannot be decoded ("Secret ns/name: reason"): never deleted. */
  unreadableRecords?: string[];
  /** Release records of that name that are not the 0.4 chart's ("ConfigMap ns/name (chart x)"): left alone. */
  otherRecords?: string[];
}

export interface ClusterFacts {
  kubeSystemUID: string;
  server: string;
  serverVersion: string;
  servedApiVersions: string[];
  legacy: LegacyRelease;
  /** The stack's own 0.x release that a converting target replaces (asked for by such a target only). */
  previous?: PreviousRelease;
  /** Of the target's CRDs (asked for by name), those that exist: an earlier run made them. */
  targetCrds?: string[];
  /** Every certmanager.k8s.io CRD and every cert-manager Deployment, whatever installed them. */
  footprint: CertManagerFootprint;
  /** Labels like "Certificate/default/x" of every cert-manager object now in the cluster. */
  liveObjects: string[];
  /** The same objects' digests (what the restore would write of them), by label. */
  liveObjectDigests: Record<string, ObjectDigest>;
  /** The TLS Secrets the backup recorded ("namespace/name"): their certificate's facts now, or null when gone. */
  liveTlsSecrets: Record<string, LiveTlsCertificate | null>;
  /** "namespace/name" → exists, for the Secrets asked about. */
  secrets: Record<string, boolean>;
  /** Namespace → exists, for the namespaces asked about (where copies go that the program does not create). */
  namespaces?: Record<string, boolean>;
}

function labelsOf(o: { metadata?: k8s.V1ObjectMeta }): Record<string, string> {
  return o.metadata?.labels ?? {};
}

/** Helm 3 stores the release as base64(gzip(JSON)) inside the Secret's (base64) data. */
export function decodeHelm3Release(data: string | undefined): { chartVersion?: string; chartName?: string } {
  const decoded = decodeReleaseRecord({ storage: "helm3", kind: "Secret", namespace: "", name: "", data });
  return decoded.ok ? { chartVersion: decoded.chartVersion, chartName: decoded.chartName } : {};
}

export interface LegacyReleaseLocation {
  releaseName: string;
  legacyNamespace: string;
  /** Where Tiller (Helm 2) kept its records: ConfigMaps, or Secrets with --storage=secret. */
  tillerNamespace: string;
}

/**
 * The old release's objects. CRDs are listed (and recorded for deletion) in the apiextensions
 * version the cluster serves: pass it when known, else discovery decides.
 */
export async function findLegacyRelease(kc: k8s.KubeConfig, where: LegacyReleaseLocation, log: RetryLog, crdApi?: CrdApi): Promise<LegacyRelease> {
  const { releaseName, legacyNamespace, tillerNamespace } = where;
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const crds = crdApi ?? await CrdApi.discover(kc, log);
  const selector = `release=${releaseName}`;
  const objects: LegacyObject[] = [];
  const keep = (items: Array<{ metadata?: k8s.V1ObjectMeta }>, apiVersion: string, kind: string): void => {
    for (const item of items) {
      if (isLegacyChartLabel(labelsOf(item).chart)) {
        objects.push({ apiVersion, kind, namespace: item.metadata?.namespace ?? "", name: item.metadata?.name ?? "" });
      }
    }
  };

  // apps/v1 (Kubernetes 1.9 on), rbac v1 (1.8 on) and core v1 read what the chart made with their v1beta1.
  keep((await ask(`listing Deployments (apps/v1) in ${legacyNamespace} labelled ${selector}`, () => apps.listNamespacedDeployment({ namespace: legacyNamespace, labelSelector: selector }), kc, log, "apps/v1")).items, "apps/v1", "Deployment");
  keep((await ask(`listing ServiceAccounts in ${legacyNamespace} labelled ${selector}`, () => core.listNamespacedServiceAccount({ namespace: legacyNamespace, labelSelector: selector }), kc, log)).items, "v1", "ServiceAccount");
  keep((await ask(`listing ClusterRoles (rbac.authorization.k8s.io/v1) labelled ${selector}`, () => rbac.listClusterRole({ labelSelector: selector }), kc, log, "rbac.authorization.k8s.io/v1")).items, "rbac.authorization.k8s.io/v1", "ClusterRole");
  keep((await ask(`listing ClusterRoleBindings (rbac.authorization.k8s.io/v1) labelled ${selector}`, () => rbac.listClusterRoleBinding({ labelSelector: selector }), kc, log, "rbac.authorization.k8s.io/v1")).items, "rbac.authorization.k8s.io/v1", "ClusterRoleBinding");
  const legacyCrds = await ask(`listing CustomResourceDefinitions (${crds.apiVersion}) labelled ${selector}`, () => crds.list(selector), kc, log, crds.apiVersion);
  keep(legacyCrds.map((c) => ({ metadata: { name: c.name, labels: c.labels } })), crds.apiVersion, "CustomResourceDefinition");

  // Release records are matched on what they hold (release name, chart cert-manager 0.4), never on
  // their labels alone; one that cannot be decoded is reported and never deleted.
  const records: ReleaseRecordInput[] = [];
  const helm3 = await ask(`listing Helm release records (Secrets) in ${legacyNamespace}`, () => core.listNamespacedSecret({ namespace: legacyNamespace, labelSelector: `owner=helm,name=${releaseName}` }), kc, log);
  for (const s of helm3.items) records.push({ storage: "helm3", kind: "Secret", namespace: legacyNamespace, name: s.metadata?.name ?? "", data: s.data?.release });
  const tillerSelector = `OWNER=TILLER,NAME=${releaseName}`;
  const tillerMaps = await ask(`listing Tiller release records (ConfigMaps) in ${tillerNamespace}`, () => core.listNamespacedConfigMap({ namespace: tillerNamespace, labelSelector: tillerSelector }), kc, log);
  for (const c of tillerMaps.items) records.push({ storage: "helm2", kind: "ConfigMap", namespace: tillerNamespace, name: c.metadata?.name ?? "", data: c.data?.release });
  const tillerSecrets = await ask(`listing Tiller release records (Secrets) in ${tillerNamespace}`, () => core.listNamespacedSecret({ namespace: tillerNamespace, labelSelector: tillerSelector }), kc, log);
  for (const s of tillerSecrets.items) records.push({ storage: "helm2", kind: "Secret", namespace: tillerNamespace, name: s.metadata?.name ?? "", data: s.data?.release });

  const helm3Records = classifyReleaseRecords(records.filter((r) => r.storage === "helm3"), releaseName);
  const helm2Records = classifyReleaseRecords(records.filter((r) => r.storage === "helm2"), releaseName);
  objects.push(...helm3Records.remove, ...helm2Records.remove);
  const record: LegacyRelease["record"] = helm3Records.remove.length > 0 ? "helm3" : helm2Records.remove.length > 0 ? "helm2" : "none";
  let chartVersion = helm3Records.chartVersion ?? helm2Records.chartVersion;
  if (!chartVersion && objects.some((o) => o.kind === "Deployment")) chartVersion = "0.4.x";
  return {
    found: objects.length > 0,
    record,
    chartVersion,
    objects: orderLegacyDeletions(objects),
    unreadableRecords: [...helm3Records.unreadable, ...helm2Records.unreadable],
    // Helm 3 records of other charts are other releases' business (e.g. the new one); Tiller records of the name are worth a word.
    otherRecords: helm2Records.leftAlone,
  };
}

/**
 * The stack's own release of cert-manager's certmanager.k8s.io line (e.g. chart v0.6.6, installed
 * by this program for target v0.6.2), which a converting target replaces: found by its newest Helm 3
 * record in `namespace` (decoded, never by labels alone), its Deployments and the 0.6 CRDs there now.
 */
export async function findPreviousRelease(kc: k8s.KubeConfig, where: { releaseName: string; namespace: string }, log: RetryLog, crdApi?: CrdApi): Promise<PreviousRelease> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const records = await ask(`listing Helm release records (Secrets) in ${where.namespace}`, () => core.listNamespacedSecret({ namespace: where.namespace, labelSelector: `owner=helm,name=${where.releaseName}` }), kc, log);
  const newest = records.items
    .map((s) => ({ version: Number(s.metadata?.labels?.version ?? 0), status: s.metadata?.labels?.status ?? "", decoded: decodeReleaseRecord({ storage: "helm3", kind: "Secret", namespace: where.namespace, name: s.metadata?.name ?? "", data: s.data?.release }) }))
    .filter((r) => r.status === "deployed" && r.decoded.ok)
    .sort((a, b) => b.version - a.version)[0];
  if (!newest || !newest.decoded.ok || !isCertmanagerK8sIoChart(newest.decoded.chartName, newest.decoded.chartVersion)) return NO_PREVIOUS_RELEASE(where.releaseName, where.namespace);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const deployments = (await ask(`listing Deployments (apps/v1) in ${where.namespace} labelled release=${where.releaseName}`, () => apps.listNamespacedDeployment({ namespace: where.namespace, labelSelector: `release=${where.releaseName}` }), kc, log, "apps/v1")).items
    .filter((d) => isPreviousReleaseObject(d.metadata?.labels ?? {}, where.releaseName))
    .map((d): LegacyObject => ({ apiVersion: "apps/v1", kind: "Deployment", namespace: where.namespace, name: d.metadata?.name ?? "" }));
  // The 0.6 webhook's registrations: once its Deployment is gone they point at nothing, and an
  // APIService that is not available breaks discovery (Helm's among others) until it goes too.
  const served = await discoverApiVersions(kc, log);
  const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  const registrations: LegacyObject[] = [];
  for (const [apiVersion, kind] of [[`apiregistration.k8s.io/${apiRegistrationVersionFor(served)}`, "APIService"],
    [served.includes("admissionregistration.k8s.io/v1") ? "admissionregistration.k8s.io/v1" : "admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration"]] as const) {
    const list = await ask(`listing ${kind}s (${apiVersion}) labelled release=${where.releaseName}`,
      () => objects.list(apiVersion, kind, undefined, undefined, undefined, undefined, undefined, `release=${where.releaseName}`), kc, log, apiVersion);
    for (const o of list.items) {
      if (isPreviousReleaseObject(o.metadata?.labels ?? {}, where.releaseName)) registrations.push({ apiVersion, kind, namespace: "", name: o.metadata?.name ?? "" });
    }
  }
  // The Secrets the chart's own webhook Certificates issued into (its CA among them): cert-manager
  // made them, so Helm leaves them, and the target's webhook would take the stale CA Secret of the
  // same name for its own (cert-manager-webhook-ca) and serve what nothing trusts.
  const webhookCertificates = await ask(`listing Certificates (certmanager.k8s.io) in ${where.namespace} labelled release=${where.releaseName}`,
    () => kc.makeApiClient(k8s.CustomObjectsApi).listNamespacedCustomObject({ group: CERTMANAGER_GROUP, version: "v1alpha1", namespace: where.namespace, plural: "certificates", labelSelector: `release=${where.releaseName}` }), kc, log)
    .catch((err: unknown) => {
      // No certmanager.k8s.io Certificates served any more (a re-run after the CRDs went): none.
      if (statusCode(err) === 404) return { items: [] };
      throw err;
    }) as { items?: Array<{ metadata?: k8s.V1ObjectMeta; spec?: { secretName?: string } }> };
  // The Certificates go before their Secrets: a 0.6 controller still shutting down (a Pod's grace
  // period) re-issues a deleted Secret of a Certificate that exists, never one of a Certificate gone.
  const chartCertificates = (webhookCertificates.items ?? []).filter((c) => isPreviousReleaseObject(c.metadata?.labels ?? {}, where.releaseName));
  for (const c of chartCertificates) registrations.push({ apiVersion: `${CERTMANAGER_GROUP}/v1alpha1`, kind: "Certificate", namespace: where.namespace, name: c.metadata?.name ?? "" });
  for (const c of chartCertificates) if (c.spec?.secretName) registrations.push({ apiVersion: "v1", kind: "Secret", namespace: where.namespace, name: c.spec.secretName });
  const crds = crdApi ?? await CrdApi.discover(kc, log);
  const present = new Set((await ask(`listing CustomResourceDefinitions (${crds.apiVersion})`, () => crds.list(), kc, log, crds.apiVersion)).map((c) => c.name));
  return {
    found: true,
    releaseName: where.releaseName,
    namespace: where.namespace,
    chartVersion: newest.decoded.chartVersion,
    stopFirst: [...deployments.sort((a, b) => a.name.localeCompare(b.name)), ...registrations],
    crds: PREVIOUS_CRD_NAMES.filter((n) => present.has(n)).map((name): LegacyObject => ({ apiVersion: crds.apiVersion, kind: "CustomResourceDefinition", namespace: "", name })),
  };
}

async function listAllPages<T>(what: string, page: (cont: string | undefined) => Promise<{ items: T[]; continueToken?: string }>, kc: k8s.KubeConfig, log: RetryLog, apiVersion?: string): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  do {
    const list = await ask(what, () => page(cont), kc, log, apiVersion);
    items.push(...list.items);
    cont = list.continueToken;
  } while (cont);
  return items;
}

export interface LegacySecretUsers {
  /** The namespace's Pods, workloads and ServiceAccounts: what of them names a Secret (spec, secrets, owners). */
  objects: ReferencingObject[];
  /** What could not be read, and why: the cleanup then keeps every Secret. */
  notChecked?: string;
}

type Listed = { metadata?: { name?: string; ownerReferences?: unknown }; spec?: unknown; secrets?: unknown; imagePullSecrets?: unknown };

/**
 * Every Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob and ServiceAccount of
 * `namespace` (read-only, page by page), for the cleanup's "still used" check. A read that fails
 * does not stop the preview: it comes back as `notChecked`, and the cleanup deletes nothing.
 */
export async function readLegacySecretUsers(kc: k8s.KubeConfig, namespace: string, servedApis: string[], log: RetryLog): Promise<LegacySecretUsers> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  // CronJobs are batch/v1beta1 up to Kubernetes 1.20 (served until 1.24), batch/v1 from 1.21 on.
  const cronJobs = servedApis.includes("batch/v1beta1") ? "batch/v1beta1" : "batch/v1";
  const sources: Array<{ kind: string; apiVersion: string; page: (cont: string | undefined) => Promise<{ items: Listed[]; continueToken?: string }> }> = [
    { kind: "Pod", apiVersion: "v1", page: async (cont) => {
      const list = await core.listNamespacedPod({ namespace, limit: 500, _continue: cont });
      return { items: list.items as Listed[], continueToken: list.metadata?._continue || undefined };
    } },
    { kind: "ServiceAccount", apiVersion: "v1", page: async (cont) => {
      const list = await core.listNamespacedServiceAccount({ namespace, limit: 500, _continue: cont });
      return { items: list.items as Listed[], continueToken: list.metadata?._continue || undefined };
    } },
    ...[["Deployment", "apps/v1"], ["StatefulSet", "apps/v1"], ["DaemonSet", "apps/v1"], ["ReplicaSet", "apps/v1"], ["Job", "batch/v1"], ["CronJob", cronJobs]].map(([kind, apiVersion]) => ({
      kind,
      apiVersion,
      page: async (cont: string | undefined) => {
        const [group, version] = apiVersion.split("/");
        const list = await custom.listNamespacedCustomObject({ group, version, namespace, plural: `${kind.toLowerCase()}s`, limit: 500, _continue: cont }) as { items?: Listed[]; metadata?: { continue?: string } };
        return { items: list.items ?? [], continueToken: list.metadata?.continue || undefined };
      },
    })),
  ];
  const objects: ReferencingObject[] = [];
  for (const source of sources) {
    let items: Listed[];
    try {
      items = await listAllPages(`listing ${source.kind}s (${source.apiVersion}) in ${namespace}`, source.page, kc, log, source.apiVersion);
    } catch (err) {
      return { objects, notChecked: err instanceof Error ? err.message : String(err) };
    }
    for (const item of items) {
      // Only the fields that can name a Secret; of them, only Secret names and places leave the program.
      const object = { metadata: { ownerReferences: item.metadata?.ownerReferences }, spec: item.spec as Record<string, unknown> | undefined, secrets: item.secrets, imagePullSecrets: item.imagePullSecrets };
      objects.push({ kind: source.kind, namespace, name: item.metadata?.name ?? "", object });
    }
  }
  return { objects };
}

/** Every certmanager.k8s.io CRD and every cert-manager Deployment in any namespace (read-only). */
export async function findCertManagerFootprint(kc: k8s.KubeConfig, log: RetryLog, crdApi?: CrdApi): Promise<CertManagerFootprint> {
  const crdsApi = crdApi ?? await CrdApi.discover(kc, log);
  const apps = kc.makeApiClient(k8s.AppsV1Api);
  const crds = await listAllPages(`listing CustomResourceDefinitions (${crdsApi.apiVersion})`, (cont) => crdsApi.listPage({ limit: 500, continueToken: cont }), kc, log, crdsApi.apiVersion);
  const deployments = await listAllPages("listing Deployments (apps/v1) in all namespaces", async (cont) => {
    const list = await apps.listDeploymentForAllNamespaces({ limit: 500, _continue: cont });
    return { items: list.items, continueToken: list.metadata?._continue || undefined };
  }, kc, log, "apps/v1");
  return {
    crds: crds
      .filter((c) => c.group === CERTMANAGER_GROUP)
      .map((c) => ({ name: c.name, labels: c.labels, annotations: c.annotations })),
    deployments: deployments
      .map((d) => ({
        namespace: d.metadata?.namespace ?? "",
        name: d.metadata?.name ?? "",
        labels: d.metadata?.labels ?? {},
        annotations: pickHelmAnnotations(d.metadata?.annotations),
        images: [...(d.spec?.template.spec?.initContainers ?? []), ...(d.spec?.template.spec?.containers ?? [])].map((c) => c.image ?? "").filter(Boolean),
      }))
      .filter(isCertManagerDeployment),
  };
}

function pickHelmAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([k]) => k.startsWith("meta.helm.sh/")));
}

export async function listLiveCertManagerObjects(kc: k8s.KubeConfig, log: RetryLog): Promise<string[]> {
  return Object.keys(await liveCertManagerDigests(kc, log));
}

/** Every Issuer, ClusterIssuer and Certificate now in the cluster, by label, with the digest of what a restore would write of it. */
export async function liveCertManagerDigests(kc: k8s.KubeConfig, log: RetryLog): Promise<Record<string, ObjectDigest>> {
  const digests: Record<string, ObjectDigest> = {};
  for (const kind of RESTORE_KINDS) {
    await listCertManagerKind(kc, KIND_PLURALS[kind], 500, (items) => {
      for (const i of items) {
        digests[objectLabel({ kind, namespace: kind === "ClusterIssuer" ? "" : i.metadata?.namespace ?? "", name: i.metadata?.name ?? "" })] = objectDigest(kind, i);
      }
    }, log);
  }
  return digests;
}

/**
 * The certificate facts of the TLS Secrets asked about ("namespace/name"), null for those that do
 * not exist. Lists Secrets page by page and reads only tls.crt of the wanted ones; no data leaves.
 */
export async function liveTlsCertificates(kc: k8s.KubeConfig, wanted: string[], log: RetryLog): Promise<Record<string, LiveTlsCertificate | null>> {
  const facts: Record<string, LiveTlsCertificate | null> = Object.fromEntries(wanted.map((k) => [k, null]));
  if (wanted.length === 0) return facts;
  await listSecrets(kc, 500, (page) => {
    for (const s of page) {
      const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
      if (key in facts) facts[key] = certificateFacts(s.data?.["tls.crt"]);
    }
  }, log);
  return facts;
}

export async function servedApiVersions(kc: k8s.KubeConfig, log: RetryLog): Promise<string[]> {
  return discoverApiVersions(kc, log);
}

export async function inspectCluster(
  kc: k8s.KubeConfig,
  args: {
    legacyReleaseName: string;
    legacyNamespace: string;
    tillerNamespace: string;
    secrets: Array<{ namespace: string; name: string }>;
    /** TLS Secrets whose certificate the backup recorded ("namespace/name"), compared with the live ones. */
    tlsSecrets?: string[];
    /** Namespaces whose existence matters (where copies go that the program does not create). */
    namespaces?: string[];
    /** A converting target: look for the stack's own 0.x release it replaces. */
    previousRelease?: { releaseName: string; namespace: string };
    /** A target whose CRDs come from a manifest: which of them exist. */
    targetCrdNames?: string[];
  },
): Promise<ClusterFacts> {
  const log = new RetryLog();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  let kubeSystem: k8s.V1Namespace;
  let version: k8s.VersionInfo;
  try {
    kubeSystem = await withRetry("read kube-system", () => core.readNamespace({ name: "kube-system" }), log);
    version = await withRetry("read version", () => kc.makeApiClient(k8s.VersionApi).getCode(), log);
  } catch (err) {
    throw new Error(`cannot reach the cluster of context ${kc.getCurrentContext()} (${kc.getCurrentCluster()?.server}): ${describeKubeError(err)}`);
  }
  const secrets: Record<string, boolean> = {};
  for (const s of args.secrets) {
    try {
      await withRetry(`read secret ${s.namespace}/${s.name}`, () => core.readNamespacedSecret({ namespace: s.namespace, name: s.name }), log);
      secrets[`${s.namespace}/${s.name}`] = true;
    } catch (err) {
      if (statusCode(err) !== 404) throw requestFailed(`reading Secret ${s.namespace}/${s.name}`, err, kc);
      secrets[`${s.namespace}/${s.name}`] = false;
    }
  }
  // Discovery decides which API versions the rest is read with (apiextensions v1beta1 up to 1.15).
  const servedApis = await servedApiVersions(kc, log);
  let crdApi: CrdApi;
  try {
    crdApi = new CrdApi(kc, crdVersionFor(servedApis));
  } catch (err) {
    throw new KubeRequestError(`discovering the API groups (/apis): ${(err as Error).message}; check that context ${kc.getCurrentContext()} is a Kubernetes cluster`);
  }
  const legacy = await findLegacyRelease(kc, { releaseName: args.legacyReleaseName, legacyNamespace: args.legacyNamespace, tillerNamespace: args.tillerNamespace }, log, crdApi);
  const previous = args.previousRelease ? await findPreviousRelease(kc, args.previousRelease, log, crdApi) : undefined;
  const wantedCrds = new Set(args.targetCrdNames ?? []);
  const targetCrds = args.targetCrdNames
    ? (await ask(`listing CustomResourceDefinitions (${crdApi.apiVersion})`, () => crdApi.list(), kc, log, crdApi.apiVersion)).map((c) => c.name).filter((n) => wantedCrds.has(n)).sort()
    : undefined;
  const liveObjectDigests = await liveCertManagerDigests(kc, log);
  const namespaces: Record<string, boolean> = {};
  for (const name of args.namespaces ?? []) {
    try {
      await withRetry(`read namespace ${name}`, () => core.readNamespace({ name }), log);
      namespaces[name] = true;
    } catch (err) {
      if (statusCode(err) !== 404) throw requestFailed(`reading Namespace ${name}`, err, kc);
      namespaces[name] = false;
    }
  }
  return {
    kubeSystemUID: kubeSystem.metadata?.uid ?? "",
    server: kc.getCurrentCluster()?.server ?? "",
    serverVersion: version.gitVersion,
    servedApiVersions: servedApis,
    legacy,
    ...(previous ? { previous } : {}),
    ...(targetCrds ? { targetCrds } : {}),
    footprint: await findCertManagerFootprint(kc, log, crdApi),
    liveObjects: Object.keys(liveObjectDigests),
    liveObjectDigests,
    // Only while an old release is there: afterwards nothing is compared with the backup any more.
    liveTlsSecrets: legacy.found || previous?.found ? await liveTlsCertificates(kc, args.tlsSecrets ?? [], log) : {},
    secrets,
    namespaces,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Deletes the old release's objects in order and waits until its CRDs are gone. Resumable: absent
 * objects are skipped. Each object is deleted in the API version it was found in (CRDs: the
 * apiextensions version the cluster serves); only a 404 that names the object counts as "already
 * gone", never one for an API the cluster does not serve.
 */
export async function removeLegacyObjects(kc: k8s.KubeConfig, objects: LegacyObject[], timeoutSeconds: number, report: (line: string) => void): Promise<string[]> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kc);
  const log = new RetryLog();
  const removed: string[] = [];
  const crdApiOf = (o: LegacyObject): CrdApi => {
    try {
      return new CrdApi(kc, crdVersionOf(o.apiVersion));
    } catch (err) {
      throw new KubeRequestError(`deleting ${describeLegacyObject(o)} failed: ${(err as Error).message}; nothing else was deleted`);
    }
  };
  for (const o of objects) {
    const what = `deleting ${describeLegacyObject(o)} (${o.apiVersion})`;
    try {
      if (o.kind === "CustomResourceDefinition") {
        const crds = crdApiOf(o);
        await withRetry(what, () => crds.delete(o.name), log);
      } else {
        const spec = { apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) } };
        await withRetry(what, () => client.delete(spec, undefined, undefined, undefined, undefined, "Background"), log);
      }
      removed.push(describeLegacyObject(o));
      report(`deleted ${describeLegacyObject(o)}`);
    } catch (err) {
      if (!isObjectNotFound(err)) throw requestFailed(what, err, kc, o.apiVersion);
    }
  }
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (const crd of objects.filter((o) => o.kind === "CustomResourceDefinition")) {
    const crds = crdApiOf(crd);
    for (;;) {
      try {
        await withRetry(`reading CustomResourceDefinition ${crd.name}`, () => crds.read(crd.name), log);
      } catch (err) {
        if (isObjectNotFound(err)) break;
        throw requestFailed(`waiting for CustomResourceDefinition ${crd.name} (${crd.apiVersion}) to go`, err, kc, crd.apiVersion);
      }
      if (Date.now() > deadline) {
        throw new Error(`CRD ${crd.name} is still terminating after ${timeoutSeconds}s (its objects are being deleted); run \`pulumi up\` again to resume`);
      }
      await sleep(500);
    }
  }
  return removed;
}

/**
 * The webhook waits poll often (the restore, and the time certificates go unmanaged, waits on them)
 * but say the same thing at most every 10 s.
 */
const WEBHOOK_POLL_MS = 500;
function changesOrEvery10s(report: (line: string) => void): (line: string) => void {
  let said = "";
  let at = 0;
  return (line) => {
    if (line === said && Date.now() - at < 10_000) return;
    said = line;
    at = Date.now();
    report(line);
  };
}

export const WEBHOOK_APISERVICE = "v1beta1.admission.certmanager.k8s.io";
export const WEBHOOK_PROBE_NAME = "cert-manager-upgrade-webhook-probe";

/** Waits until the 0.6 webhook accepts objects: its APIService Available, then a probe ClusterIssuer accepted. */
export async function waitForWebhook(kc: k8s.KubeConfig, timeoutSeconds: number, report: (line: string) => void): Promise<string> {
  const say = changesOrEvery10s(report);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  // apiregistration.k8s.io v1 from Kubernetes 1.10 on, v1beta1 before: discovery decides.
  const registration = apiRegistrationVersionFor(await discoverApiVersions(kc, new RetryLog()));
  const deadline = Date.now() + timeoutSeconds * 1000;
  let last = "not checked yet";
  while (Date.now() < deadline) {
    try {
      const svc = (await custom.getClusterCustomObject({ group: "apiregistration.k8s.io", version: registration, plural: "apiservices", name: WEBHOOK_APISERVICE })) as k8s.V1APIService;
      const available = svc.status?.conditions?.find((c) => c.type === "Available");
      if (available?.status !== "True") {
        last = `APIService ${WEBHOOK_APISERVICE} not Available (${available?.reason ?? "no status"}: ${available?.message ?? ""})`;
      } else {
        const probe = { apiVersion: "certmanager.k8s.io/v1alpha1", kind: "ClusterIssuer", metadata: { name: WEBHOOK_PROBE_NAME }, spec: { selfSigned: {} } };
        try {
          await custom.createClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "clusterissuers", body: probe });
        } catch (err) {
          if (statusCode(err) !== 409) throw err;
        }
        await custom.deleteClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "clusterissuers", name: WEBHOOK_PROBE_NAME });
        return `webhook accepted a probe ClusterIssuer`;
      }
    } catch (err) {
      last = isObjectNotFound(err) ? `APIService ${WEBHOOK_APISERVICE} does not exist yet` : describeKubeError(err);
    }
    say(`waiting for the webhook: ${last}`);
    await sleep(WEBHOOK_POLL_MS);
  }
  throw new Error(
    `the cert-manager 0.6 webhook did not accept objects within ${timeoutSeconds}s (last: ${last}). ` +
      `Restoring now would fail with "failed calling admission webhook ... the server is currently unable to handle the request". ` +
      `Nothing was lost: the backup is intact and the CRDs are in place. Check the cert-manager-webhook pod (delete it so it restarts and gets its certificate), then run \`pulumi up\` again to resume.`,
  );
}

/**
 * Waits until cert-manager v1's webhook accepts objects: a probe cert-manager.io/v1 ClusterIssuer
 * created and deleted. Its ValidatingWebhookConfiguration has failurePolicy Fail, so the API server
 * accepts the probe only once the webhook answers over TLS with the CA the cainjector injected.
 */
export async function waitForWebhookV1(kc: k8s.KubeConfig, timeoutSeconds: number, report: (line: string) => void): Promise<string> {
  const say = changesOrEvery10s(report);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const deadline = Date.now() + timeoutSeconds * 1000;
  const ref = { group: "cert-manager.io", version: "v1", plural: "clusterissuers" };
  let last = "not checked yet";
  while (Date.now() < deadline) {
    try {
      const probe = { apiVersion: "cert-manager.io/v1", kind: "ClusterIssuer", metadata: { name: WEBHOOK_PROBE_NAME }, spec: { selfSigned: {} } };
      try {
        await custom.createClusterCustomObject({ ...ref, body: probe });
      } catch (err) {
        if (statusCode(err) !== 409) throw err;
      }
      await custom.deleteClusterCustomObject({ ...ref, name: WEBHOOK_PROBE_NAME });
      return "webhook accepted a probe cert-manager.io/v1 ClusterIssuer";
    } catch (err) {
      last = describeKubeError(err);
    }
    say(`waiting for the cert-manager v1 webhook (and the CA its cainjector injects): ${last}`);
    await sleep(WEBHOOK_POLL_MS);
  }
  throw new Error(
    `the cert-manager v1 webhook did not accept objects within ${timeoutSeconds}s (last: ${last}). ` +
      `Restoring now would fail with "failed calling webhook". Nothing was lost: the backup is intact and the CRDs are in place. ` +
      `Check the cert-manager-webhook and cert-manager-cainjector pods, then run \`pulumi up\` again to resume.`,
  );
}
