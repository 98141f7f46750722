// Everything the program reads before declaring a resource: stack config, the backup, the cluster.
import * as fs from "node:fs";
import type * as k8s from "@kubernetes/client-node";
import * as pulumi from "@pulumi/pulumi";
import { ParsedBackup, parseBackup } from "./backup-format";
import { recordedTlsSecrets } from "./changes";
import { CliError } from "./cli";
import { ClusterFacts, inspectCluster } from "./cluster";
import { RetryLog, loadKubeConfig, readSecret } from "./kube";
import { checkLeaveOut, withoutLeftOut } from "./leave-out";
import { RestorePlan, buildRestorePlan } from "./plan";
import { Preflight, PreflightError, SecretCopyDecision, namespacesToInspect, planOptions, runPreflight, secretsToInspect } from "./preflight";
import { describePath, projectPath } from "./project-path";
import { SecretObject, carriesLastApplied, clientSideCopyDecision, copySource } from "./secret-copy";
import { CONFIG_NAMESPACE, ConfigError, Settings, parseSettings } from "./settings";

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
   * they are ("namespace/name"); see clientSideCopyDecision.
   */
  copiesLeftAsTheyAre: string[];
  /**
   * Absolute paths (the stack's relative ones against the project folder) and the context (the
   * stack's, else the kubeconfig's current one), as the provider, Helm and the dynamic steps need them.
   */
  target: { kubeconfig?: string; context?: string; backupFile: string; chart?: string };
  /** Labels of the backup's objects the stack leaves out on purpose (settings.leaveOut, checked), in the backup's order. */
  leftOut: string[];
}

export interface SecretCopy extends SecretCopyDecision {
  type: string;
  /** The source's data, a secret: encrypted in the state, shown as [secret]. */
  data: pulumi.Output<Record<string, string>>;
  /** The copy exists and carries kubectl's last-applied-configuration, which the copy must empty. */
  emptyLastApplied: boolean;
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
};

/**
 * Reads each source Secret here, in the program, rather than with `Secret.get`: Pulumi would store
 * a read resource whole in the state, metadata included, and kubectl's last-applied-configuration
 * annotation holds the data in the clear. Only type and data are kept; the data at once as a secret.
 */
async function readSecretCopies(kc: k8s.KubeConfig, decisions: SecretCopyDecision[], facts: ClusterFacts, serverSideApply: boolean): Promise<{ copies: SecretCopy[]; leftAsTheyAre: string[] }> {
  const copies: SecretCopy[] = [];
  const leftAsTheyAre: string[] = [];
  for (const d of decisions) {
    const source = await clusterReader.readSecret(kc, d.readFrom, d.name);
    if (!source) {
      throw new PreflightError(`secret check failed: Secret ${d.readFrom}/${d.name} disappeared while the program ran; run it again; nothing was changed`);
    }
    const existingCopy = d.readFrom === d.to ? source : facts.secrets[`${d.to}/${d.name}`] ? await clusterReader.readSecret(kc, d.to, d.name) : undefined;
    if (!serverSideApply) {
      const decision = clientSideCopyDecision(source, existingCopy, d.readFrom === d.to);
      if (decision === "leave") {
        leftAsTheyAre.push(`${d.to}/${d.name}`);
        continue;
      }
      if (decision === "differs") {
        throw new PreflightError(
          `secret check failed: Secret ${d.to}/${d.name} exists already, was not made by this program, and holds other data than ${d.readFrom}/${d.name}; ` +
            `this cluster (${facts.serverVersion}) has no server-side apply, and the program will not overwrite it. Compare the two; if ${d.readFrom}/${d.name} is the one cert-manager 0.4 used, ` +
            `delete the copy (\`kubectl delete secret -n ${d.to} ${d.name}\`) and run again; nothing was changed`,
        );
      }
    }
    const { type, data } = copySource(source);
    copies.push({ ...d, type, data: pulumi.secret(data), emptyLastApplied: carriesLastApplied(existingCopy) });
  }
  return { copies, leftAsTheyAre };
}

/** A stack config key's file that cannot be read: its key, the path as written and as resolved. */
function unreadableConfigFile(check: string, key: "backupFile" | "kubeconfig" | "chart", written: string, stackFile: string, err: unknown, todo: string): PreflightError {
  return new PreflightError(
    `${check} check failed: cannot read ${describePath(written)}, config key ${CONFIG_NAMESPACE}:${key} in ${stackFile}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}; ${todo}; nothing was changed`,
  );
}

/** The absolute path of a file a stack config key names; a missing one stops the program here. */
function existingConfigFile(check: string, key: "kubeconfig" | "chart", written: string, stackFile: string, todo: string): string {
  const file = projectPath(written);
  try {
    fs.statSync(file);
  } catch (err) {
    throw unreadableConfigFile(check, key, written, stackFile, err, todo);
  }
  return file;
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
    const plan = buildRestorePlan(withoutLeftOut(backup, leftOut), planOptions(settings));
    const kubeconfig = settings.kubeconfig ? existingConfigFile("kubeconfig", "kubeconfig", settings.kubeconfig, stackFile, "fix the key, or remove it to use $KUBECONFIG") : undefined;
    // Helm reads a local chart in the provider's process, whose folder is not the project either.
    const chart = settings.chart ? existingConfigFile("chart", "chart", settings.chart, stackFile, "fix the key, or remove it to install from chartRepository") : undefined;
    const kc = loadKubeConfig({ kubeconfig, context: settings.context });
    const cluster = await clusterReader.inspect(kc, {
      legacyReleaseName: settings.legacyReleaseName,
      legacyNamespace: settings.legacyNamespace,
      tillerNamespace: settings.tillerNamespace,
      secrets: secretsToInspect(plan, settings),
      tlsSecrets: recordedTlsSecrets(backup),
      // The new namespace too: without server-side apply an existing one is taken over with `import`.
      namespaces: [...namespacesToInspect(plan, settings), settings.namespace],
    });
    const preflight = runPreflight(settings, backup, plan, cluster);
    const { copies: secretCopies, leftAsTheyAre: copiesLeftAsTheyAre } = await readSecretCopies(kc, preflight.secretCopies, cluster, preflight.applyMode.serverSideApply);
    // The provider and the dynamic steps get the context this read resolved, named explicitly: with
    // no kubeconfig key they read $KUBECONFIG themselves (the provider merges the list as kubectl
    // does, and so does loadKubeConfig), and the pinned name keeps every step on this same cluster.
    return { settings, backup, plan, cluster, preflight, secretCopies, copiesLeftAsTheyAre, target: { kubeconfig, context: kc.getCurrentContext(), backupFile, chart }, leftOut };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PreflightError || err instanceof CliError) {
      throw new pulumi.RunError(err.message);
    }
    if (err instanceof Error && /^cannot reach the cluster|^reading Secret|^reading Namespace|^listing /.test(err.message)) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
