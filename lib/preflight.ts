// Gates checked before anything is deleted (pure: backup, plan, settings and cluster facts in; decisions out).
import { missingRuntimeApis, unservedChartApis } from "./api-versions";
import { ParsedBackup } from "./backup-format";
import { changesSinceBackup, describeChanges } from "./changes";
import { ClusterFacts } from "./cluster";
import { CrdApiVersion } from "./crds";
import { OUR_CRD_NAMES, UnaccountedObject, objectsMissingFromBackup, unaccountedCertManagerObjects } from "./legacy";
import { PlanOptions, RestorePlan, unknownWarnings } from "./plan";
import { renewBeforeFromArgs } from "./reissue-prediction";
import { findSecretRefs } from "./secret-refs";
import { ApplyMode, serverSideApplyFor } from "./served-apis";
import { leaveOutCommand } from "./leave-out";
import { ConfigError, Settings } from "./settings";
import { TargetWiring, describeFinding, kubernetesVersionRefusal } from "./targets";
import type { TargetFinding } from "./targets/target";
import { objectLabel } from "./types";
import { WebhookViolation, webhookViolations } from "./webhook-0.6.2-validation";

export interface SecretCopyDecision {
  name: string;
  /** Where the data is read from: the legacy namespace, or (after cleanup) the copy itself. */
  readFrom: string;
  to: string;
}

/**
 * Objects that exist already and that a run on a cluster without server-side apply takes over with
 * Pulumi's `import` (read, then updated to the program's values): with server-side apply the
 * provider's apply takes them over itself (pulumi.com/patchForce). Only objects that will still be
 * there when their step runs: the namespace, and the 0.6 CRDs and restored objects once the old
 * release is gone (before that, the CRDs of the same names are the old ones and go with it).
 * Secrets are never imported: an import reads the object whole into the state before the program's
 * values replace it, and a Secret's data (and kubectl's last-applied annotation) would be stored in
 * the clear meanwhile.
 */
export interface Adoption {
  namespace: boolean;
  /** Names of the 0.6 CRDs that exist. */
  crds: string[];
  /** Labels ("Kind/namespace/name") of the restored objects that exist. */
  restored: string[];
}

export const NO_ADOPTION: Adoption = { namespace: false, crds: [], restored: [] };

/** What a client-side-apply run takes over with `import` (see Adoption); nothing with server-side apply. */
export function adoptionFor(settings: Settings, facts: ClusterFacts, plan: RestorePlan, mode: ApplyMode, converts = false): Adoption {
  if (mode.serverSideApply) return NO_ADOPTION;
  const namespace = facts.namespaces?.[settings.namespace] === true;
  // The live cert-manager objects read here are of certmanager.k8s.io: a target of another API group
  // takes none of them over (only its own CRDs, made by an earlier run), and neither does a run that
  // removes an old release first.
  if (converts) return { namespace, crds: facts.targetCrds ?? [], restored: [] };
  if (facts.legacy.found || facts.previous?.found) return { namespace, crds: [], restored: [] };
  const live = new Set(facts.liveObjects);
  return {
    namespace,
    crds: facts.footprint.crds.map((c) => c.name).filter((n) => OUR_CRD_NAMES.has(n)).sort(),
    restored: plan.restore.map((r) => objectLabel(r)).filter((l) => live.has(l)),
  };
}

export interface Preflight {
  crdApiVersion: CrdApiVersion;
  /** Server-side apply where the cluster serves it (Kubernetes 1.16 on), else client-side apply. */
  applyMode: ApplyMode;
  adopt: Adoption;
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
  // What the re-issue prediction needs of the stack: the Secrets it will not copy, and the 0.6.2
  // controller's --renew-before-expiry-duration when the chart's extraArgs set it.
  const prediction: Partial<PlanOptions> = { accountKeysNotCopied: settings.expectedMissingSecrets };
  const renewBefore = renewBeforeFromArgs(settings.values.extraArgs);
  if (renewBefore !== undefined) prediction.renewBeforeDefaultMs = renewBefore;
  const value = settings.values.clusterResourceNamespace;
  if (value === undefined || value === null || value === "") {
    return { legacyNamespace: settings.legacyNamespace, namespace: settings.namespace, ...prediction };
  }
  if (typeof value !== "string" || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value) || value.length > 63) {
    throw new ConfigError(`config key cert-manager-upgrade:values: values.clusterResourceNamespace ${JSON.stringify(value)} must be a namespace name (where cert-manager 0.6 reads ClusterIssuer Secrets); fix or remove it`);
  }
  return { legacyNamespace: settings.legacyNamespace, namespace: settings.namespace, clusterResourceNamespace: value, ...prediction };
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

/**
 * What cert-manager 0.6.2's webhook would reject among the objects to restore
 * (lib/webhook-0.6.2-validation.ts): one line per object, naming it, each broken rule as the
 * webhook words it, and the fix. The new namespace is labelled
 * certmanager.k8s.io/disable-validation=true, so the webhook skips its Issuers and Certificates.
 */
export function webhookRejections(settings: Settings, backup: ParsedBackup, plan: RestorePlan): string[] {
  const inventory = new Map((backup.meta?.secrets ?? []).map((s) => [`${s.namespace}/${s.name}`, s.keys]));
  const items = new Map(plan.restore.map((r) => [objectLabel(r), r]));
  const violations = webhookViolations(plan.restore.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name, spec: r.object.spec })), [settings.namespace]);
  const byObject = new Map<string, WebhookViolation[]>();
  for (const v of violations) byObject.set(v.object, [...(byObject.get(v.object) ?? []), v]);
  const out: string[] = [];
  let next = settings.leaveOut.length;
  for (const [label, list] of byObject) {
    const item = items.get(label)!;
    const refs = item.kind === "Certificate" ? [] : findSecretRefs(item.object.spec);
    const secretNamespace = item.kind === "ClusterIssuer" ? settings.legacyNamespace : item.namespace;
    const todos = list.map((v) => {
      const todo = v.type === "Required" ? "set" : v.type === "Forbidden" ? "remove or change" : "change";
      // A Secret reference without `key`: the backup's inventory names the Secret's keys.
      const ref = v.jsonField.endsWith(".key") ? refs.find((r) => `${r.path}.key` === v.jsonField) : undefined;
      const keys = ref ? inventory.get(`${secretNamespace}/${ref.name}`) : undefined;
      const secret = ref ? ` to a data key of Secret ${ref.name}${keys && keys.length > 0 ? ` (its keys: ${keys.join(", ")})` : ""}` : "";
      return `${todo} ${v.jsonField}${secret}`;
    });
    const what = item.kind === "ClusterIssuer" ? `ClusterIssuer ${item.name}` : `${item.kind} ${item.namespace}/${item.name}`;
    const edit = item.kind === "ClusterIssuer" ? `kubectl edit clusterissuer ${item.name}` : `kubectl edit ${item.kind.toLowerCase()} -n ${item.namespace} ${item.name}`;
    out.push(`${what}: ${list.map((v) => v.message).join("; ")} — fix: \`${edit}\`, ${[...new Set(todos)].join(", ")}; or leave it out: \`${leaveOutCommand(label, next++)}\``);
  }
  return out;
}

function listed(items: string[], max = 5): string {
  return items.length > max ? `${items.slice(0, max).join(", ")} and ${items.length - max} more` : items.join(", ");
}

/**
 * The old release must be recognised completely: no release record the program cannot read, and no
 * cert-manager CRD or controller left that the removal would not remove (other than this stack's
 * own 0.6 release). Otherwise 0.6 would be installed beside a live 0.4 controller.
 */
export function legacyReleaseCheck(settings: Settings, facts: ClusterFacts): void {
  const unreadable = facts.legacy.unreadableRecords ?? [];
  if (unreadable.length > 0) {
    const first = /^(\w+) ([^/]+)\/([^:]+):/.exec(unreadable[0]);
    const look = first ? ` (\`kubectl get ${first[1].toLowerCase()} -n ${first[2]} ${first[3]} -o yaml\`)` : "";
    throw new PreflightError(
      `release record check failed: ${listed(unreadable, 3)} cannot be read as a Helm release record (labelled as release ${settings.legacyReleaseName}); ` +
        `it is neither removed nor trusted. Look at it${look}; if it is not cert-manager 0.4's, delete or relabel it by hand, then preview again; nothing was changed`,
    );
  }
  const unaccounted = unaccountedCertManagerObjects(facts.footprint, facts.legacy.objects, { name: settings.releaseName, namespace: settings.namespace });
  if (unaccounted.length === 0) return;
  const releases = new Map<string, UnaccountedObject["release"]>();
  for (const u of unaccounted) if (u.release) releases.set(`${u.release.name}/${u.release.namespace ?? ""}`, u.release);
  // A Deployment says where its release lives; a CRD (cluster-scoped) often only its name.
  const candidates = [...releases.values()].filter((r) => r && (r.name !== settings.legacyReleaseName || (r.namespace && r.namespace !== settings.legacyNamespace)));
  const suggestion = candidates.find((r) => r?.namespace) ?? candidates[0];
  const setKeys = suggestion
    ? `they say release ${suggestion.name}${suggestion.namespace ? ` in ${suggestion.namespace}` : ""}: \`pulumi config set legacyReleaseName ${suggestion.name}\`` +
      (suggestion.namespace ? ` and \`pulumi config set legacyNamespace ${suggestion.namespace}\`` : "")
    : "`pulumi config set legacyReleaseName NAME` and `pulumi config set legacyNamespace NAMESPACE`";
  const unlabelled = unaccounted.filter((u) => u.missingReleaseLabel).map((u) => u.object.replace(/^CustomResourceDefinition /, ""));
  const label = unlabelled.length > 0
    ? `; if the old CRDs lost their release label, restore it: \`kubectl label crd ${unlabelled.join(" ")} release=${settings.legacyReleaseName}\``
    : "";
  throw new PreflightError(
    `legacy release check failed: the removal of release ${settings.legacyReleaseName} in ${settings.legacyNamespace} would leave ` +
      `${listed(unaccounted.map((u) => `${u.object} (${u.detail})`))} in place, and 0.6 would run beside them. ` +
      `Set the stack keys legacyReleaseName and legacyNamespace to the old release (${setKeys})${label}; ` +
      "remove anything that is not part of it first; nothing was changed",
  );
}

/**
 * What a target other than 0.6.2 brings to the checks (lib/targets/index.ts): its wiring, and what
 * it cannot take faithfully (conversion refusals, its webhook's rules, metadata it cannot rename).
 */
export interface TargetChecks {
  wiring: TargetWiring;
  refusals: TargetFinding[];
}

/**
 * The checks of a converting target, in place of 0.6.2's webhook check: the Kubernetes versions it
 * runs on, then every object it refuses, each named with its rule and fix.
 */
export function targetCheck(settings: Settings, facts: ClusterFacts, checks: TargetChecks): void {
  const version = checks.wiring.version;
  const notForKubernetes = kubernetesVersionRefusal(checks.wiring, facts.serverVersion);
  if (notForKubernetes) throw new PreflightError(`Kubernetes version check failed: ${notForKubernetes}; nothing was changed`);
  if (!settings.webhook) {
    throw new PreflightError(`config check failed: targetVersion ${version} always installs its webhook, and the restore must wait for it: remove webhook (or set it to true); nothing was changed`);
  }
  if (settings.cleanupLegacySecrets) {
    throw new PreflightError(`config check failed: cleanupLegacySecrets is not available with targetVersion ${version} yet (its check of what still uses a Secret reads cert-manager 0.6's objects); remove it, and delete the Secrets by hand after verify; nothing was changed`);
  }
  if (checks.refusals.length > 0) {
    throw new PreflightError(
      `conversion check failed: cert-manager ${version} cannot take ${checks.refusals.length} thing(s) of ${settings.backupFile} as they are (converted to ${checks.wiring.knowledge.crdGroups.certmanager}); nothing was changed. ` +
        "Fix each live object as its line says, then take the backup again (`npm run backup`), or leave the object out of the restore (stack setting leaveOut):\n" +
        checks.refusals.map((f) => `  ${describeFinding(f)}`).join("\n"),
    );
  }
}

/** Throws PreflightError naming the first failed check; returns what the program should do otherwise. */
export function runPreflight(settings: Settings, backup: ParsedBackup, plan: RestorePlan, facts: ClusterFacts, target?: TargetChecks): Preflight {
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

  legacyReleaseCheck(settings, facts);

  if (target) {
    targetCheck(settings, facts, target);
  } else if (settings.webhook) {
    const rejected = webhookRejections(settings, backup, plan);
    if (rejected.length > 0) {
      throw new PreflightError(
        `webhook check failed: cert-manager 0.6.2's webhook (failurePolicy Fail) would reject ${rejected.length} object(s) of ${file}, which could then never be restored (editing the backup breaks its checksum); nothing was changed. ` +
          "Fix each live object as its line says, then take the backup again (`npm run backup`), or leave it out of the restore (stack setting leaveOut: it is then not restored and goes with the old CRDs):\n" + rejected.map((r) => `  ${r}`).join("\n"),
      );
    }
  }

  // Anything the cluster holds that the backup lacks would be lost with the old CRDs (the 0.4
  // release's, or those of the stack's own 0.x release that a converting target replaces).
  if (facts.legacy.found || facts.previous?.found) {
    const backedUp = new Set(backup.objects.map((o) => objectLabel(o)));
    const missing = objectsMissingFromBackup(facts.liveObjects, backedUp);
    if (missing.length > 0) {
      throw new PreflightError(
        `backup coverage check failed: ${missing.length} object(s) in the cluster are not in ${file} (e.g. ${missing.slice(0, 3).join(", ")}); ` +
          `${facts.legacy.found ? "removing the old release" : `replacing release ${facts.previous!.releaseName} (chart ${facts.previous!.chartVersion})`} would delete them: take the backup again`,
      );
    }
    // Names alone are not enough: an object edited or a certificate re-issued since the backup.
    const changed = changesSinceBackup(backup, { objects: facts.liveObjectDigests, tlsSecrets: facts.liveTlsSecrets });
    if (changed.length > 0) throw new PreflightError(`backup coverage check failed: ${describeChanges(changed, file)}`);
  }

  const served = new Set(facts.servedApiVersions);
  // The 0.6.2 binaries' and chart v0.6.6's APIs; another target's Kubernetes versions are its own check.
  const missingRuntime = target ? [] : missingRuntimeApis(served, settings.webhook);
  if (missingRuntime.length > 0 && !settings.acknowledgeUnsupportedKubernetes) {
    throw new PreflightError(
      `Kubernetes version check failed: cert-manager 0.6.2 cannot work on this cluster (${facts.serverVersion}): it does not serve ${missingRuntime.join(", ")}, which the 0.6.2 binaries use (gone since Kubernetes 1.22); ` +
        "upgrade cert-manager on a cluster that still serves them (1.21 or older), or, for a test cluster only, `pulumi config set acknowledgeUnsupportedKubernetes true`; nothing was changed",
    );
  }
  const unservedApis = target ? [] : unservedChartApis(served, settings.webhook);
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

  // The plan's warnings carry the re-issue prediction and its count line; what the backup cannot tell is added here.
  const warnings = [...plan.warnings, ...unknownWarnings(plan.prediction), ...plan.renewal].map((w) => `${w.object}: ${w.message}`);
  for (const r of facts.legacy.otherRecords ?? []) {
    warnings.push(`Helm release record ${r} is not cert-manager 0.4's record of release ${settings.legacyReleaseName}: left alone`);
  }
  if (unservedApis.length > 0) warnings.push(`mapping retired API versions at install: ${unservedApis.join(", ")}`);
  if (missingRuntime.length > 0) warnings.push(`acknowledgeUnsupportedKubernetes: cert-manager 0.6.2 is installed on ${facts.serverVersion}, which lacks ${missingRuntime.join(", ")}: it cannot issue or validate certificates here (test clusters only)`);
  const applyMode = serverSideApplyFor(facts.serverVersion);
  return { crdApiVersion, applyMode, adopt: adoptionFor(settings, facts, plan, applyMode, target !== undefined), secretCopies, skippedSecrets, secretsInPlace, unservedApis, warnings };
}
