import * as pulumi from "@pulumi/pulumi";
import { KeptSecret } from "../lib/secret-cleanup";
import { oneShotProvider } from "./dynamic";

export interface LegacySecretCleanupArgs {
  /**
   * The copied Secrets (step 5) that nothing left in the legacy namespace references
   * (lib/secret-cleanup.ts); deleted only once every object is restored.
   */
  names: string[];
  /** Copied Secrets that are kept, and what still uses them: shown in the preview, never deleted. */
  kept: KeptSecret[];
  /** What "still used" covers (lib/secret-cleanup.ts stillUsedCovers), for the preview summary. */
  checked: string;
  legacyNamespace: pulumi.Input<string>;
  /** The copies (step 5): a source is deleted only after its copy exists. */
  copiedSecrets: pulumi.Input<string[]>;
  /** Restored objects count (step 7), so the cleanup waits for the restore. */
  restoredCount: pulumi.Input<number>;
  kubeconfig?: pulumi.Input<string>;
  context?: pulumi.Input<string>;
}

class DeleteLegacySecrets extends pulumi.dynamic.Resource {
  declare public readonly deleted: pulumi.Output<string[]>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super(oneShotProvider("deleteLegacySecrets"), name, { ...props, deleted: undefined, keptAtRun: undefined }, opts);
  }
}

/**
 * Step 8 (off by default): delete the copied Secrets from the legacy namespace, as the seed's last
 * step does, except those an Issuer, Certificate, Pod, workload or ServiceAccount there still uses
 * (checked again against the live objects right before deleting).
 */
export class LegacySecretCleanup extends pulumi.ComponentResource {
  public readonly deleted: pulumi.Output<string[]>;

  constructor(name: string, args: LegacySecretCleanupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:LegacySecretCleanup", name, {}, opts);
    const step = new DeleteLegacySecrets(`${name}-delete-copied-sources`, {
      names: args.names,
      kept: args.kept,
      checked: args.checked,
      namespace: args.legacyNamespace,
      copiedSecrets: args.copiedSecrets,
      restoredCount: args.restoredCount,
      kubeconfig: args.kubeconfig,
      context: args.context,
    }, { parent: this });
    this.deleted = step.deleted;
    this.registerOutputs({ deleted: this.deleted });
  }
}
