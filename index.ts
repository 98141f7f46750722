// Upgrades cert-manager 0.4.1 (kube-system) to 0.6.2 (chart v0.6.6, own namespace) on the cluster of
// this stack, without losing an Issuer, ClusterIssuer, Certificate or key. The steps follow the
// procedure in README.md; each takes what the step before produced. The stack's targetVersion
// (lib/targets/index.ts) may name another cert-manager: the program then asks that target for its
// CRDs, chart, webhook wait and converted objects, renames the TLS Secrets' and Ingresses'
// annotations before its controller starts, and replaces the stack's own 0.6 release if the
// cluster has one (the second hop), removing its CRDs only once every object is restored.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CertManagerCrdManifest } from "./components/crd-manifest";
import { CertManagerCrds } from "./components/crds";
import { MetadataRenames } from "./components/metadata-renames";
import { CertManagerNamespace } from "./components/namespace";
import { CertManagerRelease } from "./components/release";
import { IssuerSecretCopies } from "./components/issuer-secret-copies";
import { LegacyReleaseRemoval } from "./components/legacy-release-removal";
import { LegacySecretCleanup } from "./components/legacy-secret-cleanup";
import { PreviousCrdRemoval } from "./components/previous-crd-removal";
import { PreviousReleaseStop } from "./components/previous-release-stop";
import { RestoredResources } from "./components/restored-resources";
import { WebhookReadiness } from "./components/webhook-readiness";
import { describeLeftOut } from "./lib/leave-out";
import { describeLegacyObject } from "./lib/legacy";
import { planOptions } from "./lib/preflight";
import { NO_PREVIOUS_RELEASE, describePreviousRemoval } from "./lib/previous-release";
import { decideLegacySecretCleanup, describeKeptSecret, stillUsedCovers } from "./lib/secret-cleanup";
import { describeRestoreWrites } from "./lib/restore-record";
import { isSecretConfig, readStackInputs } from "./lib/stack-inputs";
import { CONFIG_NAMESPACE } from "./lib/settings";

async function upgrade() {
  // Before anything: the stack's config, its verified backup, and a read-only look at the cluster.
  // Any failed check stops the preview here, before a single object is deleted.
  const { settings, backup, plan, cluster, preflight, secretCopies, copiesLeftAsTheyAre, copiesDifferingFromSource, legacySecretUsers, restore, target, leftOut, upgradeTarget } = await readStackInputs();
  // The target version (stack setting targetVersion, lib/targets/index.ts): for a converting one,
  // what each old issuer becomes, for the reviewer, before anything is deleted.
  const { wiring } = upgradeTarget;
  const previousRelease = cluster.previous ?? NO_PREVIOUS_RELEASE(settings.releaseName, settings.namespace);
  if (upgradeTarget.conversionLines.length > 0) pulumi.log.info(`cert-manager ${wiring.version}: each issuer converted to ${wiring.knowledge.crdGroups.certmanager}:\n${upgradeTarget.conversionLines.join("\n")}`);
  // Without a kubeconfig key the SDK would hand the provider $KUBECONFIG verbatim, and the provider
  // reads that as one path (or inline YAML): a list of files breaks it. An empty value makes it load
  // $KUBECONFIG itself, merged as kubectl does, like every other step here (lib/kube.ts).
  // Server-side apply only where the cluster serves it (Kubernetes 1.16 on): the provider does not
  // check, and on 1.15 every apply would fail with 415 Unsupported Media Type.
  // Secrets mutable: by default the provider replaces a Secret whose data changes (delete and create
  // under the same name: "already exists" on 1.15, and the copy gone in between).
  const provider = new k8s.Provider("cluster", { kubeconfig: target.kubeconfig ?? "", context: target.context, enableServerSideApply: preflight.applyMode.serverSideApply, enableSecretMutable: true });
  if (!preflight.applyMode.serverSideApply) pulumi.log.info(`${preflight.applyMode.reason}; objects that exist already are taken over with \`import\` (restored objects: replaced with the backup's values), Secrets excepted`);
  const opts = { providers: { kubernetes: provider } };

  const legacy = new LegacyReleaseRemoval("legacy-release", {
    releaseName: settings.legacyReleaseName,
    legacyNamespace: settings.legacyNamespace,
    tillerNamespace: settings.tillerNamespace,
    newReleaseName: settings.releaseName,
    newNamespace: settings.namespace,
    willDelete: cluster.legacy.objects.map(describeLegacyObject),
    objectsDeletedWithCrds: cluster.legacy.found ? cluster.liveObjects.length : 0,
    backupFile: target.backupFile,
    backupSha256: backup.meta!.sha256,
    kubeconfig: target.kubeconfig,
    context: target.context,
    timeoutSeconds: settings.legacyRemovalTimeoutSeconds,
  }, opts);

  // The second hop: a converting target replaces the stack's own 0.x release (e.g. the 0.6.2 this
  // program installed); its controller and webhook stop here, before anything else changes.
  const previous = wiring.converts
    ? new PreviousReleaseStop("previous-release", {
        releaseName: settings.releaseName,
        namespace: settings.namespace,
        summary: describePreviousRemoval(previousRelease, cluster.liveObjects.length, wiring.version, settings.backupFile),
        willDelete: previousRelease.stopFirst.map(describeLegacyObject),
        backupFile: target.backupFile,
        backupSha256: backup.meta!.sha256,
        legacyRemovedAt: legacy.completedAt,
        kubeconfig: target.kubeconfig,
        context: target.context,
        timeoutSeconds: settings.legacyRemovalTimeoutSeconds,
      }, opts)
    : undefined;
  const oldControllersGoneAt = previous?.completedAt ?? legacy.completedAt;
  if (previousRelease.found) pulumi.log.warn(describePreviousRemoval(previousRelease, cluster.liveObjects.length, wiring.version, settings.backupFile));
  if (upgradeTarget.chartOwned.length > 0) pulumi.log.info(`not restored: ${upgradeTarget.chartOwned.join(", ")}: release ${settings.releaseName}'s chart made them for its 0.x webhook, and they go with it (cert-manager ${wiring.version}'s webhook needs none)`);

  const namespace = new CertManagerNamespace("namespace", {
    name: settings.namespace,
    legacyRemovedAt: oldControllersGoneAt,
    importId: preflight.adopt.namespace ? settings.namespace : undefined,
    disableValidationLabel: wiring.disableValidationLabel,
  }, opts);

  // The CRDs: 0.6's defined in code, or the target's manifest file (read and checked in the preview).
  const crds = upgradeTarget.crds
    ? new CertManagerCrdManifest("crds", {
        crds: upgradeTarget.crds.documents,
        legacyRemovedAt: oldControllersGoneAt,
        allowDeletion: settings.allowCrdDeletion,
        importExisting: preflight.adopt.crds,
      }, opts)
    : new CertManagerCrds("crds", {
        apiVersion: preflight.crdApiVersion,
        legacyRemovedAt: legacy.completedAt,
        allowDeletion: settings.allowCrdDeletion,
        importExisting: preflight.adopt.crds,
      }, opts);

  // A converting target: the TLS Secrets' and Ingresses' annotations and labels under its names,
  // after the old controller is gone and before the new one starts (the release waits for it).
  const renames = wiring.converts
    ? new MetadataRenames("metadata-renames", {
        renames: upgradeTarget.metadataRenames,
        legacyRemovedAt: oldControllersGoneAt,
        kubeconfig: target.kubeconfig,
        context: target.context,
      }, opts)
    : undefined;

  const secretValues = isSecretConfig(`${CONFIG_NAMESPACE}:values`);
  const release = new CertManagerRelease("cert-manager", {
    releaseName: settings.releaseName,
    namespace: namespace.name,
    crdNames: crds.names,
    localChart: target.chart,
    repository: settings.chartRepository,
    version: settings.chartVersion,
    // Values set with `pulumi config set --secret` stay secret in the release's state.
    values: secretValues ? pulumi.secret(settings.values) : settings.values,
    secretValues,
    webhook: settings.webhook,
    mapApiVersions: settings.mapApiVersions,
    skipAwait: settings.skipAwait,
    startsAfter: renames?.completedAt,
    replacedForApiGroup: wiring.converts ? wiring.knowledge.crdGroups.certmanager : undefined,
  }, opts);

  // Where 0.6 reads ClusterIssuer Secrets: the new namespace, or values.clusterResourceNamespace.
  // Secrets already there (that namespace is the legacy one) are not copied onto themselves.
  const secretNamespace = planOptions(settings).clusterResourceNamespace || settings.namespace;
  const secrets = new IssuerSecretCopies("issuer-secrets", {
    secrets: secretCopies,
    namespace: namespace.name.apply(() => secretNamespace),
    legacyNamespace: settings.legacyNamespace,
  }, opts);
  for (const name of preflight.secretsInPlace) {
    // A warning when the stack asked for the cleanup: the program does less than asked, on purpose.
    (settings.cleanupLegacySecrets ? pulumi.log.warn : pulumi.log.info)(`Secret ${settings.legacyNamespace}/${name} is already where cert-manager 0.6 reads ClusterIssuer Secrets: not copied${settings.cleanupLegacySecrets ? ", and never deleted by cleanupLegacySecrets (it is the only copy)" : ""}`);
  }

  const webhook = settings.webhook
    ? new WebhookReadiness("webhook", {
        releaseStatus: release.status,
        timeoutSeconds: settings.webhookTimeoutSeconds,
        kubeconfig: target.kubeconfig,
        context: target.context,
        readiness: wiring.webhookReadiness === "apiservice-v1alpha1" ? undefined : wiring.webhookReadiness,
      }, opts)
    : undefined;

  // A target of another API group restores into batches (and a record) of its own: a 0.6 stack's
  // batches stay as they were, and the second hop writes every object again in the new group.
  const restored = new RestoredResources(wiring.converts ? `restored-${wiring.knowledge.crdGroups.certmanager.split("/")[0]}` : "restored", {
    items: plan.restore,
    crdNames: crds.names,
    copiedSecrets: secrets.names,
    webhookReadyAt: webhook?.readyAt,
    releaseStatus: release.status,
    importExisting: preflight.adopt.restored,
    serverSideApply: preflight.applyMode.serverSideApply,
    kubeconfig: target.kubeconfig,
    context: target.context,
    // Objects per batch (README, Performance); tests set it lower to have many batches.
    batchSize: Number(process.env.CMU_RESTORE_BATCH_SIZE) || undefined,
    leaveOutCount: settings.leaveOut.length,
    write: restore.writes.write,
    reapply: restore.writes.reapplied,
    recordAlso: restore.record.fromLiveObjects ? restore.record.labels : [],
    recordNamespace: namespace.name,
    recordName: wiring.converts ? restore.recordName : undefined,
    backupSha256: backup.meta!.sha256,
  }, opts);

  // The second hop's last step: the replaced release's certmanager.k8s.io CRDs, and the objects in
  // them, once every object is restored in the target's group.
  if (wiring.converts) {
    new PreviousCrdRemoval("previous-crds", {
      crdNames: previousRelease.crds.map((c) => c.name),
      objectsDeletedWithCrds: previousRelease.found ? cluster.liveObjects.length : 0,
      backupFile: target.backupFile,
      backupSha256: backup.meta!.sha256,
      restoredCount: restored.restoredCount,
      kubeconfig: target.kubeconfig,
      context: target.context,
      timeoutSeconds: settings.legacyRemovalTimeoutSeconds,
    }, opts);
  }
  for (const line of describeRestoreWrites(restore.writes, restore.record.fromLiveObjects)) pulumi.log.info(line);

  for (const copy of copiesDifferingFromSource) {
    pulumi.log.warn(`Secret ${copy} holds other data than its source in ${settings.legacyNamespace} (changed after it was copied, e.g. a rotated credential): kept as it is; the source is never copied over it`);
  }
  for (const copy of copiesLeftAsTheyAre) {
    pulumi.log.warn(`Secret ${copy} exists already (not made by this program) and holds what cert-manager 0.6 needs: left as it is and not managed by this stack; ` +
      `this cluster has no server-side apply, and taking it over would read its data into the state. Its source in ${settings.legacyNamespace} is kept, even with cleanupLegacySecrets`);
  }

  if (settings.cleanupLegacySecrets) {
    // Only copies whose source is still in the legacy namespace, and only those nothing left there uses.
    const users = legacySecretUsers ?? { objects: [] };
    const cleanup = decideLegacySecretCleanup(
      secretCopies.filter((s) => s.readFrom === settings.legacyNamespace && s.to !== settings.legacyNamespace).map((s) => s.name),
      [...plan.restore, ...users.objects],
      settings.legacyNamespace,
      { notChecked: users.notChecked },
    );
    for (const kept of cleanup.keep) pulumi.log.warn(describeKeptSecret(settings.legacyNamespace, kept));
    const checked = stillUsedCovers(settings.legacyNamespace);
    if (cleanup.delete.length > 0) pulumi.log.info(`cleanupLegacySecrets deletes ${cleanup.delete.map((n) => `${settings.legacyNamespace}/${n}`).join(", ")} after the restore: nothing still uses them (checked: ${checked})`);
    new LegacySecretCleanup("legacy-secret-cleanup", {
      names: cleanup.delete,
      kept: cleanup.keep,
      checked,
      copiedSecrets: secrets.names,
      legacyNamespace: settings.legacyNamespace,
      restoredCount: restored.restoredCount,
      kubeconfig: target.kubeconfig,
      context: target.context,
    }, opts);
  }

  for (const warning of preflight.warnings) pulumi.log.warn(warning);
  const leftOutLine = describeLeftOut(leftOut, settings.backupFile);
  if (leftOutLine) pulumi.log.warn(leftOutLine);

  return {
    namespace: namespace.name,
    release: { name: release.name, chartVersion: release.chartVersion, status: release.status },
    restored: restored.counts,
    leftOut,
    secretsCopied: secrets.names,
    legacyRemoved: legacy.removed,
  };
}

export = upgrade();
