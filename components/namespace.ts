import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { after } from "./after";

export const DISABLE_VALIDATION_LABEL = "certmanager.k8s.io/disable-validation";

export interface CertManagerNamespaceArgs {
  /** Namespace for cert-manager 0.6 (default: cert-manager). */
  name: pulumi.Input<string>;
  /** Nothing new is created until the old release is gone: a failed removal leaves the cluster as it was. */
  legacyRemovedAt: pulumi.Input<string>;
  /** The namespace exists and the cluster has no server-side apply: its name, to take it over with `import` (lib/preflight.ts Adoption). */
  importId?: string;
  /** The label the target's webhook skips (lib/targets/index.ts); default cert-manager 0.6's. */
  disableValidationLabel?: string;
}

/**
 * Step 2: the namespace of cert-manager 0.6, labelled so that the webhook does not validate its own
 * objects there. Kept on destroy: it holds the copied issuer Secrets (ACME account keys).
 */
export class CertManagerNamespace extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;

  constructor(name: string, args: CertManagerNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:CertManagerNamespace", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(name, {
      metadata: { name: args.name, labels: { [args.disableValidationLabel ?? DISABLE_VALIDATION_LABEL]: "true" } },
    }, { parent: this, retainOnDelete: true, dependsOn: after(args.legacyRemovedAt), import: args.importId });
    this.name = ns.metadata.name;
    this.registerOutputs({ name: this.name });
  }
}
