import * as pulumi from "@pulumi/pulumi";
import { GatedRemovalArgs, OneShotRemoval, gatedRemovalInputs } from "./dynamic";

export interface PreviousCrdRemovalArgs extends GatedRemovalArgs {
  /** The certmanager.k8s.io CRDs it deletes (names), as found by the preview: no other. */
  crdNames: pulumi.Input<string[]>;
  /** How many Issuers, ClusterIssuers and Certificates go with them (each restored in the target's group first). */
  objectsDeletedWithCrds: pulumi.Input<number>;
  /** Known once every object is restored in the target's API group: only then do the old ones go. */
  restoredCount: pulumi.Input<number>;
}

/**
 * The second hop's last deletion: the certmanager.k8s.io CRDs of the replaced 0.x release, and the
 * objects in them, once every one of those objects is restored in the target's API group (so no
 * moment has a certificate in neither). Runs once; nothing to do when they are gone already.
 */
export class PreviousCrdRemoval extends pulumi.ComponentResource {
  public readonly completedAt: pulumi.Output<string>;
  public readonly removed: pulumi.Output<string[]>;

  constructor(name: string, args: PreviousCrdRemovalArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:PreviousCrdRemoval", name, {}, opts);
    const summary = pulumi.all([args.crdNames, args.objectsDeletedWithCrds]).apply(([crds, count]) =>
      crds.length === 0
        ? "no certmanager.k8s.io CRD left: nothing to delete"
        : `DELETES ${crds.length} certmanager.k8s.io CRDs after the restore, and with them ${count} Issuers, ClusterIssuers and Certificates of the old API group (each restored above in the new one)`);
    const step = new OneShotRemoval("deletePreviousCrds", `${name}-delete-certmanager.k8s.io-crds`, {
      summary,
      crdNames: args.crdNames,
      objectsDeletedWithCrds: args.objectsDeletedWithCrds,
      restoredCount: args.restoredCount,
      ...gatedRemovalInputs(args),
    }, { parent: this });
    this.completedAt = step.completedAt;
    this.removed = step.removed;
    this.registerOutputs({ completedAt: this.completedAt, removed: this.removed });
  }
}
