import * as pulumi from "@pulumi/pulumi";
import { oneShotProvider } from "./dynamic";

export interface LegacySecretCleanupArgs {
  /** The Secrets that were copied (step 5); deleted from the legacy namespace only once restored. */
  names: pulumi.Input<string[]>;
  legacyNamespace: pulumi.Input<string>;
  /** Restored objects count (step 7), so the cleanup waits for the restore. */
  restoredCount: pulumi.Input<number>;
  kubeconfig?: pulumi.Input<string>;
  context?: pulumi.Input<string>;
}

class DeleteLegacySecrets extends pulumi.dynamic.Resource {
  declare public readonly deleted: pulumi.Output<string[]>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super(oneShotProvider("deleteLegacySecrets"), name, { ...props, deleted: undefined }, opts);
  }
}

/** Step 8 (off by default): delete the copied Secrets from the legacy namespace, as the seed's last step does. */
export class LegacySecretCleanup extends pulumi.ComponentResource {
  public readonly deleted: pulumi.Output<string[]>;

  constructor(name: string, args: LegacySecretCleanupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:LegacySecretCleanup", name, {}, opts);
    const step = new DeleteLegacySecrets(`${name}-delete-copied-sources`, {
      names: args.names,
      namespace: args.legacyNamespace,
      restoredCount: args.restoredCount,
      kubeconfig: args.kubeconfig,
      context: args.context,
    }, { parent: this });
    this.deleted = step.deleted;
    this.registerOutputs({ deleted: this.deleted });
  }
}
