// What the program's dynamic resources do when Pulumi creates them. Loaded by the dynamic provider
// process (through tsx), never at preview time.
import * as fs from "node:fs";
import { parseBackup, sha256Hex } from "./backup-format";
import { changesSinceBackup, describeChanges, recordedTlsSecrets } from "./changes";
import { findCertManagerFootprint, findLegacyRelease, findPreviousRelease, liveCertManagerDigests, liveTlsCertificates, readLegacySecretUsers, removeLegacyObjects, waitForWebhook, waitForWebhookV1 } from "./cluster";
import { RetryLog, clusterIdentity, describeKubeError, discoverApiVersions, loadKubeConfig, statusCode, withRetry } from "./kube";
import { LegacyObject, describeLegacyObject, objectsMissingFromBackup, unaccountedCertManagerObjects } from "./legacy";
import { PREVIOUS_CRD_NAMES } from "./previous-release";
import { CrdApi } from "./crd-api";
import type { ParsedBackup } from "./backup-format";
import * as k8s from "@kubernetes/client-node";
import { KeptSecret, ReferencingObject, decideLegacySecretCleanup, describeKeptSecret } from "./secret-cleanup";
import { CERTMANAGER_GROUP, CERTMANAGER_VERSION, KIND_PLURALS, KubeObject, objectLabel } from "./types";

export interface Target {
  kubeconfig?: string;
  context?: string;
}

export interface LegacyRemovalInputs extends Target {
  releaseName: string;
  legacyNamespace: string;
  /** Where Tiller kept its records. */
  tillerNamespace: string;
  /** The new release: its Deployments are not an old controller. */
  newReleaseName: string;
  newNamespace: string;
  backupFile: string;
  backupSha256: string;
  timeoutSeconds: number;
}

function progress(line: string): void {
  // The dynamic provider's stderr reaches `pulumi up` as diagnostics only on failure; keep it short.
  process.stderr.write(`cert-manager-upgrade: ${line}\n`);
}

/** The backup named in the inputs, as the preview verified it, and from this cluster: else nothing is deleted. */
async function verifiedBackup(kc: k8s.KubeConfig, inputs: { backupFile: string; backupSha256: string }, log: RetryLog): Promise<ParsedBackup> {
  const bytes = fs.readFileSync(inputs.backupFile);
  const backup = parseBackup(bytes, inputs.backupFile);
  if (backup.errors.length > 0 || !backup.meta) {
    throw new Error(`backup ${inputs.backupFile} no longer passes its checks (${backup.errors[0]?.message ?? "no meta"}); nothing was deleted`);
  }
  if (backup.meta.sha256 !== inputs.backupSha256) {
    throw new Error(`backup ${inputs.backupFile} changed since the preview (checksum ${backup.meta.sha256.slice(0, 12)} ≠ ${inputs.backupSha256.slice(0, 12)}); run \`pulumi preview\` again; nothing was deleted`);
  }
  const identity = await clusterIdentity(kc, log);
  if (identity.kubeSystemUID !== backup.meta.cluster.kubeSystemUID) {
    throw new Error(`the backup comes from another cluster (kube-system uid ${backup.meta.cluster.kubeSystemUID}, this one ${identity.kubeSystemUID}); nothing was deleted`);
  }
  return backup;
}

/**
 * Every certmanager.k8s.io object now in the cluster is in the backup, as it was then (and, unless
 * told otherwise, each TLS Secret holds the certificate it held): else nothing is deleted.
 */
async function backupCoversCluster(kc: k8s.KubeConfig, backup: ParsedBackup, backupFile: string, log: RetryLog, options: { tlsSecrets: boolean } = { tlsSecrets: true }): Promise<void> {
  const digests = await liveCertManagerDigests(kc, log);
  const missing = objectsMissingFromBackup(Object.keys(digests), new Set(backup.objects.map((o) => objectLabel(o))));
  if (missing.length > 0) {
    throw new Error(`${missing.length} object(s) in the cluster are not in the backup (e.g. ${missing.slice(0, 3).join(", ")}); take the backup again; nothing was deleted`);
  }
  const changed = changesSinceBackup(backup, { objects: digests, tlsSecrets: options.tlsSecrets ? await liveTlsCertificates(kc, recordedTlsSecrets(backup), log) : {} });
  if (changed.length > 0) throw new Error(`${describeChanges(changed, backupFile)}; nothing was deleted`);
}

/** Re-checks every gate right before deleting: time may have passed since the preview. */
export async function removeLegacyRelease(inputs: LegacyRemovalInputs): Promise<{ removed: string[]; completedAt: string }> {
  const kc = loadKubeConfig(inputs);
  const log = new RetryLog();
  const backup = await verifiedBackup(kc, inputs, log);
  const legacy = await findLegacyRelease(kc, { releaseName: inputs.releaseName, legacyNamespace: inputs.legacyNamespace, tillerNamespace: inputs.tillerNamespace }, log);
  if ((legacy.unreadableRecords ?? []).length > 0) {
    throw new Error(`release record(s) ${legacy.unreadableRecords!.join("; ")} cannot be read; run \`pulumi preview\` again; nothing was deleted`);
  }
  const unaccounted = unaccountedCertManagerObjects(await findCertManagerFootprint(kc, log), legacy.objects,
    { name: inputs.newReleaseName, namespace: inputs.newNamespace });
  if (unaccounted.length > 0) {
    throw new Error(`the removal of release ${inputs.releaseName} in ${inputs.legacyNamespace} would leave ${unaccounted.map((u) => u.object).join(", ")} in place; run \`pulumi preview\` again; nothing was deleted`);
  }
  if (!legacy.found) return { removed: [], completedAt: new Date().toISOString() };
  await backupCoversCluster(kc, backup, inputs.backupFile, log);
  progress(`removing ${legacy.objects.map(describeLegacyObject).join(", ")}`);
  const removed = await removeLegacyObjects(kc, legacy.objects, inputs.timeoutSeconds, progress);
  return { removed, completedAt: new Date().toISOString() };
}

export interface PreviousReleaseInputs extends Target {
  releaseName: string;
  namespace: string;
  backupFile: string;
  backupSha256: string;
  timeoutSeconds: number;
}

/**
 * The second hop's first deletion: the stack's own 0.x release (e.g. 0.6.2) stops, its controller
 * and webhook Deployments deleted, after the same checks as the legacy removal (the backup
 * verified, from this cluster, holding every object as it is now). Helm uninstalls the rest when
 * the release is replaced; its CRDs go after the restore (deletePreviousCrds).
 */
export async function stopPreviousRelease(inputs: PreviousReleaseInputs): Promise<{ removed: string[]; completedAt: string }> {
  const kc = loadKubeConfig(inputs);
  const log = new RetryLog();
  const backup = await verifiedBackup(kc, inputs, log);
  const previous = await findPreviousRelease(kc, { releaseName: inputs.releaseName, namespace: inputs.namespace }, log);
  if (!previous.found) return { removed: [], completedAt: new Date().toISOString() };
  await backupCoversCluster(kc, backup, inputs.backupFile, log);
  progress(`stopping release ${inputs.releaseName} (chart ${previous.chartVersion}): ${previous.stopFirst.map(describeLegacyObject).join(", ")}`);
  const removed = await removeLegacyObjects(kc, previous.stopFirst, inputs.timeoutSeconds, progress);
  return { removed, completedAt: new Date().toISOString() };
}

/**
 * After every object is restored in the target's API group: the certmanager.k8s.io CRDs this
 * program made for 0.6 go, and every object in them with them (all of them in the verified
 * backup, checked again here). Waits until they are gone; resumable.
 */
export async function deletePreviousCrds(inputs: Target & { crdNames: string[]; backupFile: string; backupSha256: string; timeoutSeconds: number }): Promise<{ removed: string[]; completedAt: string }> {
  const kc = loadKubeConfig(inputs);
  const log = new RetryLog();
  const backup = await verifiedBackup(kc, inputs, log);
  const crdApi = await CrdApi.discover(kc, log);
  const present = new Set((await crdApi.list()).map((c) => c.name));
  // Only those the preview named (and of the 0.6 set): nothing else of certmanager.k8s.io.
  const crds = PREVIOUS_CRD_NAMES.filter((n) => present.has(n) && (inputs.crdNames ?? []).includes(n)).map((name): LegacyObject => ({ apiVersion: crdApi.apiVersion, kind: "CustomResourceDefinition", namespace: "", name }));
  if (crds.length === 0) return { removed: [], completedAt: new Date().toISOString() };
  // The TLS Secrets are not deleted with the CRDs, and the target's controller may have renewed one since the restore.
  await backupCoversCluster(kc, backup, inputs.backupFile, log, { tlsSecrets: false });
  progress(`deleting ${crds.map(describeLegacyObject).join(", ")}`);
  const removed = await removeLegacyObjects(kc, crds, inputs.timeoutSeconds, progress);
  return { removed, completedAt: new Date().toISOString() };
}

export async function webhookReady(inputs: Target & { timeoutSeconds: number; readiness?: string }): Promise<{ readyAt: string; detail: string }> {
  const kc = loadKubeConfig(inputs);
  // lib/targets/index.ts WebhookReadinessKind; unset: cert-manager 0.6's.
  const detail = inputs.readiness === "probe-v1" ? await waitForWebhookV1(kc, inputs.timeoutSeconds, progress) : await waitForWebhook(kc, inputs.timeoutSeconds, progress);
  return { readyAt: new Date().toISOString(), detail };
}

/**
 * Deletes the copied Secrets the preview said it would, but first looks again at the Issuers,
 * Certificates, Pods, workloads and ServiceAccounts now in the legacy namespace: a Secret one of them
 * references is kept (an object created since the preview, or restored there, must not lose its
 * key), and so is every one when they cannot be read.
 */
export async function deleteLegacySecrets(inputs: Target & { namespace: string; names: string[] }): Promise<{ deleted: string[]; keptAtRun: KeptSecret[] }> {
  const kc = loadKubeConfig(inputs);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const log = new RetryLog();
  const live: ReferencingObject[] = [];
  for (const kind of ["Issuer", "Certificate"] as const) {
    const plural = KIND_PLURALS[kind];
    const list = await withRetry(`list ${plural} in ${inputs.namespace}`, () =>
      custom.listNamespacedCustomObject({ group: CERTMANAGER_GROUP, version: CERTMANAGER_VERSION, namespace: inputs.namespace, plural }), log)
      .catch((err: unknown) => {
        throw new Error(`listing ${plural} in ${inputs.namespace} before the cleanup failed: ${describeKubeError(err)}; nothing was deleted`);
      }) as { items?: KubeObject[] };
    for (const o of list.items ?? []) live.push({ kind, namespace: inputs.namespace, name: o.metadata?.name ?? "", object: o });
  }
  const users = await discoverApiVersions(kc, log).then(
    (served) => readLegacySecretUsers(kc, inputs.namespace, served, log),
    (err: unknown) => ({ objects: [], notChecked: err instanceof Error ? err.message : String(err) }),
  );
  const decision = decideLegacySecretCleanup(inputs.names ?? [], [...live, ...users.objects], inputs.namespace, { notChecked: users.notChecked });
  for (const kept of decision.keep) progress(describeKeptSecret(inputs.namespace, kept));
  const deleted: string[] = [];
  for (const name of decision.delete) {
    try {
      await core.deleteNamespacedSecret({ namespace: inputs.namespace, name });
      deleted.push(`${inputs.namespace}/${name}`);
    } catch (err) {
      if (statusCode(err) !== 404) throw new Error(`deleting Secret ${inputs.namespace}/${name} failed: ${describeKubeError(err)}`);
    }
  }
  return { deleted, keptAtRun: decision.keep };
}

export { sha256Hex };
