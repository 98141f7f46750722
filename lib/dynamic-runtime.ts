// What the program's dynamic resources do when Pulumi creates them. Loaded by the dynamic provider
// process (through tsx), never at preview time.
import * as fs from "node:fs";
import { parseBackup, sha256Hex } from "./backup-format";
import { changesSinceBackup, describeChanges, recordedTlsSecrets } from "./changes";
import { findCertManagerFootprint, findLegacyRelease, liveCertManagerDigests, liveTlsCertificates, readLegacySecretUsers, removeLegacyObjects, waitForWebhook, waitForWebhookV1 } from "./cluster";
import { RetryLog, clusterIdentity, describeKubeError, discoverApiVersions, loadKubeConfig, statusCode, withRetry } from "./kube";
import { describeLegacyObject, objectsMissingFromBackup, unaccountedCertManagerObjects } from "./legacy";
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

/** Re-checks every gate right before deleting: time may have passed since the preview. */
export async function removeLegacyRelease(inputs: LegacyRemovalInputs): Promise<{ removed: string[]; completedAt: string }> {
  const kc = loadKubeConfig(inputs);
  const log = new RetryLog();
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
  const digests = await liveCertManagerDigests(kc, log);
  const missing = objectsMissingFromBackup(Object.keys(digests), new Set(backup.objects.map((o) => objectLabel(o))));
  if (missing.length > 0) {
    throw new Error(`${missing.length} object(s) in the cluster are not in the backup (e.g. ${missing.slice(0, 3).join(", ")}); take the backup again; nothing was deleted`);
  }
  const changed = changesSinceBackup(backup, { objects: digests, tlsSecrets: await liveTlsCertificates(kc, recordedTlsSecrets(backup), log) });
  if (changed.length > 0) throw new Error(`${describeChanges(changed, inputs.backupFile)}; nothing was deleted`);
  progress(`removing ${legacy.objects.map(describeLegacyObject).join(", ")}`);
  const removed = await removeLegacyObjects(kc, legacy.objects, inputs.timeoutSeconds, progress);
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
