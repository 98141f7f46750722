// Upgrades cert-manager 0.4.1 (kube-system) to 0.6.2 (chart v0.6.6, own namespace) on the cluster of
// this stack, without losing an Issuer, ClusterIssuer, Certificate or key. The steps follow the
// procedure in README.md; each takes what the step before produced.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CertManagerCrds } from "./components/crds";
import { CertManagerNamespace } from "./components/namespace";
import { CertManagerRelease } from "./components/release";
import { IssuerSecretCopies } from "./components/issuer-secret-copies";
import { LegacyReleaseRemoval } from "./components/legacy-release-removal";
import { LegacySecretCleanup } from "./components/legacy-secret-cleanup";
import { RestoredResources } from "./components/restored-resources";
import { WebhookReadiness } from "./components/webhook-readiness";
import { describeLegacyObject } from "./lib/legacy";
import { readStackInputs } from "./lib/stack-inputs";

async function upgrade() {
  // Before anything: the stack's config, its verified backup, and a read-only look at the cluster.
  // Any failed check stops the preview here, before a single object is deleted.
  const { settings, backup, plan, cluster, preflight, target } = await readStackInputs();
  const provider = new k8s.Provider("cluster", { kubeconfig: target.kubeconfig, context: target.context, enableServerSideApply: true });
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

  const namespace = new CertManagerNamespace("namespace", { name: settings.namespace, legacyRemovedAt: legacy.completedAt }, opts);

  const crds = new CertManagerCrds("crds", {
    apiVersion: preflight.crdApiVersion,
    legacyRemovedAt: legacy.completedAt,
    allowDeletion: settings.allowCrdDeletion,
  }, opts);

  const release = new CertManagerRelease("cert-manager", {
    releaseName: settings.releaseName,
    namespace: namespace.name,
    crdNames: crds.names,
    localChart: settings.chart,
    repository: settings.chartRepository,
    version: settings.chartVersion,
    values: settings.values,
    webhook: settings.webhook,
    mapApiVersions: settings.mapApiVersions,
    skipAwait: settings.skipAwait,
  }, opts);

  const secrets = new IssuerSecretCopies("issuer-secrets", {
    secrets: preflight.secretCopies,
    namespace: namespace.name,
    legacyNamespace: settings.legacyNamespace,
  }, opts);

  const webhook = settings.webhook
    ? new WebhookReadiness("webhook", {
        releaseStatus: release.status,
        timeoutSeconds: settings.webhookTimeoutSeconds,
        kubeconfig: target.kubeconfig,
        context: target.context,
      }, opts)
    : undefined;

  const restored = new RestoredResources("restored", {
    items: plan.restore,
    crdNames: crds.names,
    copiedSecrets: secrets.names,
    webhookReadyAt: webhook?.readyAt,
    releaseStatus: release.status,
  }, opts);

  if (settings.cleanupLegacySecrets) {
    new LegacySecretCleanup("legacy-secret-cleanup", {
      names: secrets.names,
      legacyNamespace: settings.legacyNamespace,
      restoredCount: restored.restoredCount,
      kubeconfig: target.kubeconfig,
      context: target.context,
    }, opts);
  }

  for (const warning of preflight.warnings) pulumi.log.warn(warning);

  return {
    namespace: namespace.name,
    release: { name: release.name, chartVersion: release.chartVersion, status: release.status },
    restored: restored.counts,
    secretsCopied: secrets.names,
    legacyRemoved: legacy.removed,
  };
}

export = upgrade();
