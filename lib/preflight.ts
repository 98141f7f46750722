// Gates checked before anything is deleted (pure: backup, plan, settings and cluster facts in; decisions out).
import { unservedChartApis } from "./api-versions";
import { ParsedBackup } from "./backup-format";
import { changesSinceBackup, describeChanges } from "./changes";
import { ClusterFacts } from "./cluster";
import { CrdApiVersion } from "./crds";
import { objectsMissingFromBackup } from "./legacy";
import { PlanOptions, RestorePlan } from "./plan";
import { ConfigError, Settings } from "./settings";
import { objectLabel } from "./types";

export interface SecretCopyDecision {
  name: string;
  /** Where the data is read from: the legacy namespace, or (after cleanup) the copy itself. */
  readFrom: string;
  to: string;
}

export interface Preflight {
  crdApiVersion: CrdApiVersion;
  secretCopies: SecretCopyDecision[];
  /** Expected-missing Secrets that are skipped. */
  skippedSecrets: string[];
  /** ClusterIssuer Secrets already where 0.6 reads them: not copied, never cleaned up. */
  secretsInPlace: string[];
  unservedApis: string[];
  warnings: string[];
}

export class PreflightError extends Error {}

/**
 * The plan's options from the stack: where the old release kept ClusterIssuer Secrets, and where 0.6
 * reads them (the chart value `clusterResourceNamespace`, which the release is given as well, else
 * the new namespace). Throws a ConfigError when that value is not a namespace name.
 */
export function planOptions(settings: Settings): PlanOptions {
  const value = settings.values.clusterResourceNamespace;
  if (value === undefined || value === null || value === "") {
    return { legacyNamespace: settings.legacyNamespace, namespace: settings.namespace };
  }
  if (typeof value !== "string" || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) {
    throw new ConfigError(`config key cert-manager-upgrade:values: values.clusterResourceNamespace ${JSON.stringify(value)} must be a namespace name (where cert-manager 0.6 reads ClusterIssuer Secrets); fix or remove it`);
  }
  return { legacyNamespace: settings.legacyNamespace, namespace: settings.namespace, clusterResourceNamespace: value };
}

export function secretsToInspect(plan: RestorePlan, settings: Settings): Array<{ namespace: string; name: string }> {
  return [
    ...plan.secretsToCopy.flatMap((s) => [
      { namespace: settings.legacyNamespace, name: s.name },
      { namespace: s.to, name: s.name },
    ]),
    ...plan.secretsInPlace.map((s) => ({ namespace: s.to, name: s.name })),
  ];
}

/** Namespaces the copies go to that the program does not create itself (values.clusterResourceNamespace). */
export function namespacesToInspect(plan: RestorePlan, settings: Settings): string[] {
  return [...new Set(plan.secretsToCopy.map((s) => s.to))].filter((ns) => ns !== settings.namespace && ns !== settings.legacyNamespace);
}

/** Throws PreflightError naming the first failed check; returns what the program should do otherwise. */
export function runPreflight(settings: Settings, backup: ParsedBackup, plan: RestorePlan, facts: ClusterFacts): Preflight {
  const file = settings.backupFile;
  if (!plan.valid) {
    const e = plan.errors[0];
    throw new PreflightError(`backup check failed: ${file} is not valid (${e.object}: ${e.message}); nothing was changed`);
  }
  if (!backup.meta) {
    throw new PreflightError(`backup check failed: ${file} was not written by \`npm run backup\` (no cluster identity recorded), so it cannot be proven to come from this cluster; take the backup with \`npm run backup\``);
  }
  if (backup.meta.cluster.kubeSystemUID !== facts.kubeSystemUID) {
    throw new PreflightError(
      `cluster identity check failed: ${file} was taken from ${backup.meta.cluster.server} (kube-system uid ${backup.meta.cluster.kubeSystemUID}), ` +
        `but this stack targets ${facts.server} (kube-system uid ${facts.kubeSystemUID}); take the backup of this cluster or fix the stack's context`,
    );
  }
  if (settings.namespace === settings.legacyNamespace && settings.releaseName === settings.legacyReleaseName) {
    throw new PreflightError(`config check failed: the new release ${settings.releaseName} would have the legacy release's name and namespace; change namespace or releaseName`);
  }

  // Anything the cluster holds that the backup lacks would be lost with the old CRDs.
  if (facts.legacy.found) {
    const backedUp = new Set(backup.objects.map((o) => objectLabel(o)));
    const missing = objectsMissingFromBackup(facts.liveObjects, backedUp);
    if (missing.length > 0) {
      throw new PreflightError(
        `backup coverage check failed: ${missing.length} object(s) in the cluster are not in ${file} (e.g. ${missing.slice(0, 3).join(", ")}); ` +
          "removing the old release would delete them: take the backup again",
      );
    }
    // Names alone are not enough: an object edited or a certificate re-issued since the backup.
    const changed = changesSinceBackup(backup, { objects: facts.liveObjectDigests, tlsSecrets: facts.liveTlsSecrets });
    if (changed.length > 0) throw new PreflightError(`backup coverage check failed: ${describeChanges(changed, file)}`);
  }

  const served = new Set(facts.servedApiVersions);
  const unservedApis = unservedChartApis(served, settings.webhook);
  if (unservedApis.length > 0 && !settings.mapApiVersions) {
    throw new PreflightError(
      `API version check failed: the cluster (${facts.serverVersion}) does not serve what chart ${settings.chartVersion} uses: ${unservedApis.join(", ")}; ` +
        "set `pulumi config set mapApiVersions true` to map them to served versions at install (post-render)",
    );
  }

  let crdApiVersion: CrdApiVersion;
  if (settings.crdApiVersion === "v1beta1") crdApiVersion = "apiextensions.k8s.io/v1beta1";
  else if (settings.crdApiVersion === "v1") crdApiVersion = "apiextensions.k8s.io/v1";
  else crdApiVersion = served.has("apiextensions.k8s.io/v1beta1") ? "apiextensions.k8s.io/v1beta1" : "apiextensions.k8s.io/v1";
  if (!served.has(crdApiVersion)) {
    throw new PreflightError(`CRD version check failed: crdApiVersion ${settings.crdApiVersion} asks for ${crdApiVersion}, which the cluster does not serve`);
  }

  for (const ns of namespacesToInspect(plan, settings)) {
    if (facts.namespaces?.[ns] === false) {
      throw new PreflightError(
        `config check failed: namespace ${ns} (values.clusterResourceNamespace, where cert-manager 0.6 reads ClusterIssuer Secrets) does not exist; ` +
          `create it (\`kubectl create namespace ${ns}\`) or remove the value; nothing was changed`,
      );
    }
  }

  const secretCopies: SecretCopyDecision[] = [];
  const skippedSecrets: string[] = [];
  const secretsInPlace: string[] = [];
  for (const s of plan.secretsInPlace) {
    if (settings.expectedMissingSecrets.includes(s.name)) {
      skippedSecrets.push(s.name);
    } else if (facts.secrets[`${s.to}/${s.name}`]) {
      secretsInPlace.push(s.name);
    } else {
      throw new PreflightError(
        `secret check failed: Secret ${s.to}/${s.name} (used by ${s.usedBy.join(", ")}) does not exist; ` +
          "without an ACME account key 0.6 silently registers a NEW ACME account. Restore the Secret, or list it in expectedMissingSecrets if that is intended",
      );
    }
  }
  for (const s of plan.secretsToCopy) {
    const inLegacy = facts.secrets[`${settings.legacyNamespace}/${s.name}`];
    const inNew = facts.secrets[`${s.to}/${s.name}`];
    if (settings.expectedMissingSecrets.includes(s.name)) {
      skippedSecrets.push(s.name);
      continue;
    }
    if (inLegacy) {
      secretCopies.push({ name: s.name, readFrom: settings.legacyNamespace, to: s.to });
    } else if (inNew) {
      // Copied earlier and the source was cleaned up since: keep managing the copy as it is.
      secretCopies.push({ name: s.name, readFrom: s.to, to: s.to });
    } else {
      throw new PreflightError(
        `secret check failed: Secret ${settings.legacyNamespace}/${s.name} (used by ${s.usedBy.join(", ")}) does not exist; ` +
          "without an ACME account key 0.6 silently registers a NEW ACME account. Restore the Secret, or list it in expectedMissingSecrets if that is intended",
      );
    }
  }

  const warnings = plan.warnings.map((w) => `${w.object}: ${w.message}`);
  if (unservedApis.length > 0) warnings.push(`mapping retired API versions at install: ${unservedApis.join(", ")}`);
  return { crdApiVersion, secretCopies, skippedSecrets, secretsInPlace, unservedApis, warnings };
}
