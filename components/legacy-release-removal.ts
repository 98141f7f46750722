import * as pulumi from "@pulumi/pulumi";
import { GatedRemovalArgs, OneShotRemoval, gatedRemovalInputs } from "./dynamic";

export interface LegacyReleaseRemovalArgs extends GatedRemovalArgs {
  /** The old release (default: cert-manager) and its namespace (default: kube-system). */
  releaseName: pulumi.Input<string>;
  legacyNamespace: pulumi.Input<string>;
  /** Where Tiller (Helm 2) kept its release records. */
  tillerNamespace: pulumi.Input<string>;
  /** The new release: its Deployments are not an old controller when the removal re-checks. */
  newReleaseName: pulumi.Input<string>;
  newNamespace: pulumi.Input<string>;
  /** What will be deleted, as found by the preview, e.g. "CustomResourceDefinition certificates.certmanager.k8s.io". */
  willDelete: pulumi.Input<string[]>;
  /** How many Issuers, ClusterIssuers and Certificates go with the CRDs (all of them are in the backup). */
  objectsDeletedWithCrds: pulumi.Input<number>;
}

/**
 * Step 1: removes the cert-manager 0.4 release (workloads, RBAC, release record and its three CRDs,
 * which takes every Issuer, ClusterIssuer and Certificate with them) and completes only when the
 * old CRDs are gone. Runs once; re-runs and destroy leave it alone.
 */
export class LegacyReleaseRemoval extends pulumi.ComponentResource {
  /** When the old release was gone; later steps wait for it. */
  public readonly completedAt: pulumi.Output<string>;
  public readonly removed: pulumi.Output<string[]>;

  constructor(name: string, args: LegacyReleaseRemovalArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:LegacyReleaseRemoval", name, {}, opts);
    const summary = pulumi
      .all([args.willDelete, args.objectsDeletedWithCrds, args.backupFile])
      .apply(([willDelete, count, file]) =>
        willDelete.length === 0
          ? "no cert-manager 0.4 release found: nothing to delete"
          : `DELETES ${willDelete.length} objects of the 0.4 release; deleting its CRDs deletes every Issuer, ClusterIssuer and Certificate (${count} objects), restored below from ${file}`,
      );
    const step = new OneShotRemoval("removeLegacyRelease", `${name}-delete-0.4-release`, {
      summary,
      releaseName: args.releaseName,
      legacyNamespace: args.legacyNamespace,
      tillerNamespace: args.tillerNamespace,
      newReleaseName: args.newReleaseName,
      newNamespace: args.newNamespace,
      willDelete: args.willDelete,
      objectsDeletedWithCrds: args.objectsDeletedWithCrds,
      ...gatedRemovalInputs(args),
    }, { parent: this });
    this.completedAt = step.completedAt;
    this.removed = step.removed;
    this.registerOutputs({ completedAt: this.completedAt, removed: this.removed });
  }
}
