// Everything the program reads before declaring a resource: stack config, the backup, the cluster.
import * as fs from "node:fs";
import type * as k8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { ParsedBackup, parseBackup } from "./backup-format";
import { recordedTlsSecrets } from "./changes";
import { CliError } from "./cli";
import { ClusterFacts, LegacySecretUsers, inspectCluster, readLegacySecretUsers } from "./cluster";
import { RetryLog, loadKubeConfig, readConfigMapData, readSecret } from "./kube";
import { unsupportedProxy } from "./kube-connection";
import { checkLeaveOut, withoutLeftOut } from "./leave-out";
import { previousChartObjects } from "./previous-release";
import { RestorePlan, buildRestorePlan } from "./plan";
import { Preflight, PreflightError, SecretCopyDecision, TargetChecks, namespacesToInspect, planOptions, runPreflight, secretsToInspect } from "./preflight";
import { describePath, projectPath } from "./project-path";
import { COPIED_FROM_ANNOTATION, SecretObject, carriesLastApplied, copyDecision, copySource } from "./secret-copy";
import { RESTORE_RECORD_NAME, Reapply, RestoreRecord, RestoreWrites, decideRestoreWrites, effectiveRecord, parseReapply, restoreRecordName } from "./restore-record";
import { CONFIG_NAMESPACE, ConfigError, Settings, parseSettings } from "./settings";
import { objectLabel } from "./types";
import { CrdDocument, CrdManifestError, readCrdManifest } from "./crd-manifest";
import { readTargetMetadata } from "./target-metadata";
import { MetadataPatch, TargetWiring, planForTarget, planMetadataRenames, targetWiring } from "./targets";
import type { ObjectMetadataView } from "./targets/target";

export interface StackInputs {
  settings: Settings;
  backup: ParsedBackup;
  plan: RestorePlan;
  cluster: ClusterFacts;
  preflight: Preflight;
  /** Each Secret to copy with what the copy needs of its source; the data only as a Pulumi secret. */
  secretCopies: SecretCopy[];
  /**
   * Without server-side apply: copies made by someone else that already hold what 0.6 needs, left as
   * they are ("namespace/name"); see copyDecision.
   */
  copiesLeftAsTheyAre: string[];
  /** Copies this program made whose data no longer equals their source's ("namespace/name"): kept as they are. */
  copiesDifferingFromSource: string[];
  /** With cleanupLegacySecrets only: the legacy namespace's Pods, workloads and ServiceAccounts, or why they could not be read. */
  legacySecretUsers?: LegacySecretUsers;
  /** What was restored earlier (the record in the cluster), what the stack asks to write again, and so what the restore writes. */
  restore: { record: RestoreRecord & { fromLiveObjects: boolean }; recordName: string; reapply: Reapply; writes: RestoreWrites };
  /**
   * Absolute paths (the stack's relative ones against the project folder) and the context (the
   * stack's, else the kubeconfig's current one), as the provider, Helm and the dynamic steps need them.
   */
  target: { kubeconfig?: string; context?: string; backupFile: string; chart?: string };
  /** Labels of the backup's objects the stack leaves out on purpose (settings.leaveOut, checked), in the backup's order. */
  leftOut: string[];
  /** The stack's targetVersion: what the program asks of it (lib/targets/index.ts), and what it plans for a converting target. */
  upgradeTarget: UpgradeTarget;
}

export interface UpgradeTarget {
  wiring: TargetWiring;
  /** Per converted issuer, what it was and what it becomes, as the preview shows it (none for 0.6.2). */
  conversionLines: string[];
  /** The target's CRDs from its manifest file (absent when the CRDs are defined in code, lib/crds.ts). */
  crds?: { file: string; documents: CrdDocument[] };
  /** The TLS Secrets' and Ingresses' metadata renames (none for 0.6.2). */
  metadataRenames: MetadataPatch[];
  /** The backup's objects the replaced 0.x release's chart made (lib/previous-release.ts): not restored. */
  chartOwned: string[];
}

export interface SecretCopy extends SecretCopyDecision {
  type: string;
  /** The source's data, a secret: encrypted in the state, shown as [secret]. */
  data: pulumi.Output<Record<string, string>>;
  /** The copy exists and carries kubectl's last-applied-configuration, which the copy must empty. */
  emptyLastApplied: boolean;
  /** "namespace/name": take over this program's own copy with `import` (client-side apply): it may exist outside the state. */
  importId?: string;
}

/**
 * Whether the stack set `key` (e.g. "cert-manager-upgrade:values") with `pulumi config set --secret`.
 * allConfig() hands the program every value decrypted; whatever came from a secret key must reach
 * resources as a secret again, or the state stores it in the clear. (The SDK has this function; its
 * typings hide it.)
 */
export function isSecretConfig(key: string): boolean {
  const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (k: string) => boolean }).isConfigSecret;
  if (typeof isConfigSecret !== "function") throw new Error("this @pulumi/pulumi cannot tell secret config keys (runtime.isConfigSecret is gone)");
  return isConfigSecret(key);
}

/** The reads of the live cluster; resource-graph tests under Pulumi's mocks replace them with recorded facts. */
export const clusterReader = {
  inspect: inspectCluster,
  readSecret: (kc: k8s.KubeConfig, namespace: string, name: string): Promise<SecretObject | undefined> => readSecret(kc, namespace, name, new RetryLog()),
  legacySecretUsers: (kc: k8s.KubeConfig, namespace: string, servedApis: string[]): Promise<LegacySecretUsers> => readLegacySecretUsers(kc, namespace, servedApis, new RetryLog()),
  /** The record of objects restored earlier (lib/restore-record.ts): the ConfigMap's data, undefined when there is none. */
  readRestoreRecord: (kc: k8s.KubeConfig, namespace: string, name: string = RESTORE_RECORD_NAME): Promise<Record<string, string> | undefined> => readConfigMapData(kc, namespace, name, new RetryLog()),
  /** A converting target only: the named TLS Secrets' and every Ingress's annotations and labels (never data). */
  targetMetadata: readTargetMetadata,
};

/**
 * Reads each source Secret here, in the program, rather than with `Secret.get`: Pulumi would store
 * a read resource whole in the state, metadata included, and kubectl's last-applied-configuration
 * annotation holds the data in the clear. Only type and data are kept; the data at once as a secret.
 */
async function readSecretCopies(kc: k8s.KubeConfig, decisions: SecretCopyDecision[], facts: ClusterFacts, serverSideApply: boolean): Promise<{ copies: SecretCopy[]; leftAsTheyAre: string[]; differing: string[] }> {
  const copies: SecretCopy[] = [];
  const leftAsTheyAre: string[] = [];
  const differing: string[] = [];
  for (const d of decisions) {
    const source = await clusterReader.readSecret(kc, d.readFrom, d.name);
    if (!source) {
      throw new PreflightError(`secret check failed: Secret ${d.readFrom}/${d.name} disappeared while the program ran; run it again; nothing was changed`);
    }
    const existingCopy = d.readFrom === d.to ? source : facts.secrets[`${d.to}/${d.name}`] ? await clusterReader.readSecret(kc, d.to, d.name) : undefined;
    const decision = copyDecision(source, existingCopy, d.readFrom === d.to, serverSideApply);
    if (decision.action === "leave") {
      leftAsTheyAre.push(`${d.to}/${d.name}`);
      continue;
    }
    if (decision.action === "differs") {
      throw new PreflightError(
        `secret check failed: Secret ${d.to}/${d.name} exists already, was not made by this program, and holds other data than ${d.readFrom}/${d.name}; ` +
          `the program overwrites neither. Compare the two: if the copy is the one cert-manager 0.6 should use (a rotated credential, say), mark it as the copy ` +
          `(\`kubectl annotate secret -n ${d.to} ${d.name} ${COPIED_FROM_ANNOTATION}=${d.readFrom}/${d.name}\`: it is then kept as it is); ` +
          `if the source is, put the source's data into the copy; then run again; nothing was changed`,
      );
    }
    if (decision.action === "keep" && decision.differs) differing.push(`${d.to}/${d.name}`);
    // A copy that exists is the truth from then on: its own data, never the source's written over it.
    const { type, data } = copySource(decision.action === "keep" ? existingCopy! : source);
    copies.push({ ...d, type, data: pulumi.secret(data), emptyLastApplied: carriesLastApplied(existingCopy), importId: decision.action === "keep" && decision.importExisting ? `${d.to}/${d.name}` : undefined });
  }
  return { copies, leftAsTheyAre, differing };
}

/** A stack config key's file that cannot be read: its key, the path as written and as resolved. */
function unreadableConfigFile(check: string, key: "backupFile" | "kubeconfig" | "chart" | "crdManifest", written: string, stackFile: string, err: unknown, todo: string): PreflightError {
  return new PreflightError(
    `${check} check failed: cannot read ${describePath(written)}, config key ${CONFIG_NAMESPACE}:${key} in ${stackFile}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}; ${todo}; nothing was changed`,
  );
}

/** The absolute path of a file a stack config key names; a missing one stops the program here. */
function existingConfigFile(check: string, key: "kubeconfig" | "chart" | "crdManifest", written: string, stackFile: string, todo: string): string {
  const file = projectPath(written);
  try {
    fs.statSync(file);
  } catch (err) {
    throw unreadableConfigFile(check, key, written, stackFile, err, todo);
  }
  return file;
}

/** A target whose chart is a local file only: the toolchain cache's when the stack names none. */
function targetChart(wiring: TargetWiring, stackFile: string): string | undefined {
  if (wiring.chart.fromRepository) return undefined;
  const file = wiring.chart.defaultFile;
  if (!fs.existsSync(file)) {
    throw new PreflightError(
      `chart check failed: targetVersion ${wiring.version} installs chart ${wiring.chart.name} ${wiring.chart.version} from a local file, and config key ${CONFIG_NAMESPACE}:chart in ${stackFile} names none; ` +
        `${describePath(file)} (the toolchain cache's) does not exist: set chart to the chart archive (\`pulumi config set chart PATH\`) or build it (\`scripts/toolchain.sh --only cert-manager-${wiring.version}\`); nothing was changed`,
    );
  }
  return file;
}

/** A target whose CRDs come from a manifest: the stack's crdManifest, else the toolchain cache's, read and checked now. */
function targetCrds(wiring: TargetWiring, settings: Settings, stackFile: string): UpgradeTarget["crds"] {
  if (wiring.crds.source === "code") return undefined;
  const key = `config key ${CONFIG_NAMESPACE}:crdManifest in ${stackFile}`;
  const file = settings.crdManifest ? projectPath(settings.crdManifest) : wiring.crds.defaultFile;
  const groups = wiring.knowledge.crdGroups;
  const required = ["ClusterIssuer", "Issuer", "Certificate"].map((k) => `${groups.certmanager.split("/")[0]}/${k}`);
  try {
    return { file, documents: readCrdManifest(file, describePath(settings.crdManifest ?? file), required) };
  } catch (err) {
    const todo = settings.crdManifest
      ? "fix the key, or remove it to use the toolchain cache's"
      : `set crdManifest to cert-manager ${wiring.version}'s legacy CRD manifest (\`pulumi config set crdManifest PATH\`) or build it (\`scripts/toolchain.sh --only cert-manager-${wiring.version}\`)`;
    if (err instanceof CrdManifestError) throw new PreflightError(`CRD manifest check failed: ${err.message} (${key}); ${todo}; nothing was changed`);
    throw new PreflightError(`CRD manifest check failed: cannot read ${describePath(settings.crdManifest ?? file)} (${key}): ${(err as NodeJS.ErrnoException).code ?? "unreadable"}; ${todo}; nothing was changed`);
  }
}

export async function readStackInputs(): Promise<StackInputs> {
  const stackFile = `Pulumi.${pulumi.getStack()}.yaml`;
  try {
    const settings = parseSettings(pulumi.runtime.allConfig(), stackFile);
    const backupFile = projectPath(settings.backupFile);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(backupFile);
    } catch (err) {
      throw unreadableConfigFile("backup", "backupFile", settings.backupFile, stackFile, err, "run `npm run backup` first");
    }
    const backup = parseBackup(bytes, settings.backupFile);
    // An invalid backup is the backup check's to report (runPreflight), not leaveOut's.
    const leftOut = backup.errors.length === 0 ? checkLeaveOut(settings.leaveOut, backup, settings.backupFile, `config key ${CONFIG_NAMESPACE}:leaveOut in ${stackFile}`) : [];
    const wiring = targetWiring(settings.targetVersion);
    const options = planOptions(settings);
    // The second hop: what the replaced 0.x release's chart made (its webhook's issuers) goes with it.
    const chartOwned = wiring.converts ? previousChartObjects(backup.objects, settings.releaseName, settings.namespace) : [];
    const restorable = withoutLeftOut(backup, [...leftOut, ...chartOwned]);
    const restorePlan = buildRestorePlan(restorable, options);
    const planTarget = (tlsSecretMetadata?: Map<string, ObjectMetadataView>) => planForTarget(wiring, restorePlan, restorable.objects, {
      meta: backup.meta, legacyNamespace: settings.legacyNamespace,
      accountKeysNotCopied: (options.clusterResourceNamespace || options.namespace) === options.legacyNamespace ? [] : options.accountKeysNotCopied,
      tlsSecretMetadata,
    });
    let planned = planTarget();
    let plan = planned.plan;
    const labels = plan.restore.map((i) => objectLabel(i));
    let reapply: Reapply;
    try {
      reapply = parseReapply(settings.reapply, labels, `${CONFIG_NAMESPACE}:reapply`);
    } catch (err) {
      throw new ConfigError(`config key ${(err as Error).message} in ${stackFile}`);
    }
    const kubeconfig = settings.kubeconfig ? existingConfigFile("kubeconfig", "kubeconfig", settings.kubeconfig, stackFile, "fix the key, or remove it to use $KUBECONFIG") : undefined;
    // Helm reads a local chart in the provider's process, whose folder is not the project either.
    const chart = settings.chart ? existingConfigFile("chart", "chart", settings.chart, stackFile, "fix the key, or remove it to install from chartRepository") : targetChart(wiring, stackFile);
    const crds = targetCrds(wiring, settings, stackFile);
    const kc = loadKubeConfig({ kubeconfig, context: settings.context });
    // The restore's client connects through http:// proxies only: any other must stop the run here, before anything is deleted.
    const proxyRefusal = unsupportedProxy(kc.getCurrentCluster());
    if (proxyRefusal) throw new PreflightError(`kubeconfig check failed: ${proxyRefusal}; nothing was changed`);
    const cluster = await clusterReader.inspect(kc, {
      legacyReleaseName: settings.legacyReleaseName,
      legacyNamespace: settings.legacyNamespace,
      tillerNamespace: settings.tillerNamespace,
      secrets: secretsToInspect(plan, settings),
      tlsSecrets: recordedTlsSecrets(backup),
      // The new namespace too: without server-side apply an existing one is taken over with `import`.
      namespaces: [...namespacesToInspect(plan, settings), settings.namespace],
      // A converting target replaces a 0.x release of this stack too (the second hop, e.g. 0.6.2 → v1.1.1).
      ...(wiring.converts ? { previousRelease: { releaseName: settings.releaseName, namespace: settings.namespace } } : {}),
      // Its CRDs made by an earlier run (one that failed after them): taken over, not created again.
      ...(crds ? { targetCrdNames: crds.documents.map((d) => d.metadata.name) } : {}),
    });
    let metadataRenames: MetadataPatch[] = [];
    let targetChecks: TargetChecks | undefined;
    if (wiring.converts) {
      // Before the checks: a Secret or Ingress the target cannot rename stops the preview with the rest.
      const tlsSecrets = [...new Set(plan.restore.filter((r) => r.kind === "Certificate" && typeof r.object.spec?.secretName === "string" && r.object.spec.secretName !== "")
        .map((r) => `${r.namespace}/${String(r.object.spec!.secretName)}`))].sort().map((k) => ({ namespace: k.split("/")[0], name: k.split("/")[1] }));
      const metadata = await clusterReader.targetMetadata(kc, tlsSecrets, cluster.servedApiVersions);
      const renames = planMetadataRenames(wiring.knowledge, metadata.secrets, metadata.ingresses);
      metadataRenames = renames.renames;
      // The prediction again, with the TLS Secrets' annotations as the target's controller will see
      // them (renamed): without them it cannot tell whether it takes a Secret for another issuer's.
      planned = planTarget(new Map(metadata.secrets.map((v) => [`${v.namespace}/${v.name}`, wiring.knowledge.renameSecretMetadata(v).metadata])));
      plan = planned.plan;
      targetChecks = { wiring, refusals: [...planned.refusals, ...renames.refusals] };
    }
    const preflight = runPreflight(settings, backup, plan, cluster, targetChecks);
    // A target of another API group keeps its own record; the objects now in the cluster are of the
    // old group then, and never count as restored in the new one.
    const recordName = restoreRecordName(wiring.knowledge.crdGroups.certmanager.split("/")[0]);
    const record = effectiveRecord(await clusterReader.readRestoreRecord(kc, settings.namespace, recordName),
      { legacyFound: cluster.legacy.found || Boolean(cluster.previous?.found), liveLabels: wiring.converts ? [] : cluster.liveObjects });
    const restore = { record, recordName, reapply, writes: decideRestoreWrites(labels, record, reapply) };
    const { copies: secretCopies, leftAsTheyAre: copiesLeftAsTheyAre, differing: copiesDifferingFromSource } = await readSecretCopies(kc, preflight.secretCopies, cluster, preflight.applyMode.serverSideApply);
    // Read only for the cleanup: a stack without it pays nothing for the cleanup's "still used" check.
    const legacySecretUsers = settings.cleanupLegacySecrets ? await clusterReader.legacySecretUsers(kc, settings.legacyNamespace, cluster.servedApiVersions) : undefined;
    // The provider and the dynamic steps get the context this read resolved, named explicitly: with
    // no kubeconfig key they read $KUBECONFIG themselves (the provider merges the list as kubectl
    // does, and so does loadKubeConfig), and the pinned name keeps every step on this same cluster.
    return { settings, backup, plan, cluster, preflight, secretCopies, copiesLeftAsTheyAre, copiesDifferingFromSource, legacySecretUsers, restore, target: { kubeconfig, context: kc.getCurrentContext(), backupFile, chart }, leftOut,
      upgradeTarget: { wiring, conversionLines: planned.conversionLines, crds, metadataRenames, chartOwned } };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PreflightError || err instanceof CliError) {
      throw new pulumi.RunError(err.message);
    }
    if (err instanceof Error && /^cannot reach the cluster|^reading Secret|^reading ConfigMap|^reading Namespace|^listing /.test(err.message)) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
