// Gates checked before anything is deleted (pure: backup, plan, settings and cluster facts in; decisions out).
import { unservedChartApis } from "./api-versions";
import { ParsedBackup } from "./backup-format";
import { changesSinceBackup, describeChanges } from "./changes";
import { ClusterFacts } from "./cluster";
import { CrdApiVersion } from "./crds";
import { objectsMissingFromBackup } from "./legacy";
import { RestorePlan } from "./plan";
import { Settings } from "./settings";
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
  unservedApis: string[];
  warnings: string[];
}

export class PreflightError extends Error {}

export function secretsToInspect(plan: RestorePlan, settings: Settings): Array<{ namespace: string; name: string }> {
  return plan.secretsToCopy.flatMap((s) => [
    { namespace: settings.legacyNamespace, name: s.name },
    { namespace: settings.namespace, name: s.name },
  ]);
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

  const secretCopies: SecretCopyDecision[] = [];
  const skippedSecrets: string[] = [];
  for (const s of plan.secretsToCopy) {
    const inLegacy = facts.secrets[`${settings.legacyNamespace}/${s.name}`];
    const inNew = facts.secrets[`${settings.namespace}/${s.name}`];
    if (settings.expectedMissingSecrets.includes(s.name)) {
      skippedSecrets.push(s.name);
      continue;
    }
    if (inLegacy) {
      secretCopies.push({ name: s.name, readFrom: settings.legacyNamespace, to: settings.namespace });
    } else if (inNew) {
      // Copied earlier and the source was cleaned up since: keep managing the copy as it is.
      secretCopies.push({ name: s.name, readFrom: settings.namespace, to: settings.namespace });
    } else {
      throw new PreflightError(
        `secret check failed: Secret ${settings.legacyNamespace}/${s.name} (used by ${s.usedBy.join(", ")}) does not exist; ` +
          "without an ACME account key 0.6 silently registers a NEW ACME account. Restore the Secret, or list it in expectedMissingSecrets if that is intended",
      );
    }
  }

  const warnings = plan.warnings.map((w) => `${w.object}: ${w.message}`);
  if (unservedApis.length > 0) warnings.push(`mapping retired API versions at install: ${unservedApis.join(", ")}`);
  return { crdApiVersion, secretCopies, skippedSecrets, unservedApis, warnings };
}
