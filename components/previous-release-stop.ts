import * as pulumi from "@pulumi/pulumi";
import { GatedRemovalArgs, OneShotRemoval, gatedRemovalInputs } from "./dynamic";

export interface PreviousReleaseStopArgs extends GatedRemovalArgs {
  /** The stack's release (releaseName) and its namespace. */
  releaseName: pulumi.Input<string>;
  namespace: pulumi.Input<string>;
  /** What the preview found, in a reviewer's words (lib/previous-release.ts describePreviousRemoval). */
  summary: pulumi.Input<string>;
  /** The Deployments it deletes, as found by the preview. */
  willDelete: pulumi.Input<string[]>;
  /** Runs after the legacy removal (nothing to do there on a 0.6 cluster, but the order stays one line). */
  legacyRemovedAt: pulumi.Input<string>;
}

/**
 * The second hop (a cluster this program took to 0.6.2, now taken to a converting target): the
 * stack's own 0.x release stops before anything else changes: its controller and webhook
 * Deployments deleted, gated like the legacy removal on the verified backup. The release itself is
 * then replaced (Helm uninstall, install of the target) and its CRDs go after the restore
 * (PreviousCrdRemoval). Runs once; on a cluster without such a release it does nothing.
 */
export class PreviousReleaseStop extends pulumi.ComponentResource {
  /** When no 0.x controller runs any more; the renames and the release wait for it. */
  public readonly completedAt: pulumi.Output<string>;
  public readonly removed: pulumi.Output<string[]>;

  constructor(name: string, args: PreviousReleaseStopArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:PreviousReleaseStop", name, {}, opts);
    const step = new OneShotRemoval("stopPreviousRelease", `${name}-stop-0.x-release`, {
      summary: args.summary,
      releaseName: args.releaseName,
      namespace: args.namespace,
      willDelete: args.willDelete,
      legacyRemovedAt: args.legacyRemovedAt,
      ...gatedRemovalInputs(args),
    }, { parent: this });
    this.completedAt = step.completedAt;
    this.removed = step.removed;
    this.registerOutputs({ completedAt: this.completedAt, removed: this.removed });
  }
}
