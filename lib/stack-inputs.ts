// Everything the program reads before declaring a resource: stack config, the backup, the cluster.
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ParsedBackup, parseBackup } from "./backup-format";
import { CliError } from "./cli";
import { ClusterFacts, inspectCluster } from "./cluster";
import { loadKubeConfig } from "./kube";
import { RestorePlan, buildRestorePlan } from "./plan";
import { Preflight, PreflightError, runPreflight, secretsToInspect } from "./preflight";
import { ConfigError, Settings, parseSettings } from "./settings";

export interface StackInputs {
  settings: Settings;
  backup: ParsedBackup;
  plan: RestorePlan;
  cluster: ClusterFacts;
  preflight: Preflight;
  /** Absolute paths and the context, as the provider and the dynamic steps need them. */
  target: { kubeconfig?: string; context?: string; backupFile: string };
}

/** The one read of the live cluster; resource-graph tests under Pulumi's mocks replace it with recorded facts. */
export const clusterReader = { inspect: inspectCluster };

export async function readStackInputs(): Promise<StackInputs> {
  const stackFile = `Pulumi.${pulumi.getStack()}.yaml`;
  try {
    const settings = parseSettings(pulumi.runtime.allConfig(), stackFile);
    const backupFile = path.resolve(settings.backupFile);
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(backupFile);
    } catch (err) {
      throw new PreflightError(
        `backup check failed: cannot read ${settings.backupFile} (config key cert-manager-upgrade:backupFile in ${stackFile}): ${(err as NodeJS.ErrnoException).code ?? "unreadable"}; run \`npm run backup\` first; nothing was changed`,
      );
    }
    const backup = parseBackup(bytes, settings.backupFile);
    const plan = buildRestorePlan(backup, { legacyNamespace: settings.legacyNamespace, namespace: settings.namespace });
    const kubeconfig = settings.kubeconfig ? path.resolve(settings.kubeconfig) : undefined;
    const kc = loadKubeConfig({ kubeconfig, context: settings.context });
    const cluster = await clusterReader.inspect(kc, {
      legacyReleaseName: settings.legacyReleaseName,
      legacyNamespace: settings.legacyNamespace,
      tillerNamespace: settings.tillerNamespace,
      secrets: secretsToInspect(plan, settings),
    });
    const preflight = runPreflight(settings, backup, plan, cluster);
    return { settings, backup, plan, cluster, preflight, target: { kubeconfig, context: settings.context, backupFile } };
  } catch (err) {
    if (err instanceof ConfigError || err instanceof PreflightError || err instanceof CliError) {
      throw new pulumi.RunError(err.message);
    }
    if (err instanceof Error && /^cannot reach the cluster|^reading Secret|^listing /.test(err.message)) {
      throw new pulumi.RunError(err.message);
    }
    throw err;
  }
}
