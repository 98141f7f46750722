import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CrdApiVersion, CRD_FACTS, crdManifest } from "../lib/crds";
import { withAdoption } from "./adopt";
import { after } from "./after";

export interface CertManagerCrdsArgs {
  /** apiextensions.k8s.io/v1beta1 where the cluster serves it, else v1. */
  apiVersion: CrdApiVersion;
  /** The old CRDs (same names) must be gone first: pass the legacy removal's completion. */
  legacyRemovedAt: pulumi.Input<string>;
  /** Deleting these CRDs deletes every certificate object: only when the stack opts in. */
  allowDeletion: boolean;
  /** 0.6 CRDs that exist on a cluster without server-side apply: taken over with `import` (lib/preflight.ts Adoption). */
  importExisting?: string[];
}

const OTHER_CRD_API_VERSION: Record<CrdApiVersion, CrdApiVersion> = {
  "apiextensions.k8s.io/v1beta1": "apiextensions.k8s.io/v1",
  "apiextensions.k8s.io/v1": "apiextensions.k8s.io/v1beta1",
};

/** Step 3: the five cert-manager 0.6 CRDs, defined in code (lib/crds.ts) so preview needs no network. */
export class CertManagerCrds extends pulumi.ComponentResource {
  public readonly names: pulumi.Output<string[]>;

  constructor(name: string, args: CertManagerCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:CertManagerCrds", name, {}, opts);
    const childOpts: pulumi.CustomResourceOptions = {
      parent: this,
      dependsOn: after(args.legacyRemovedAt),
      retainOnDelete: !args.allowDeletion,
    };
    const existing = new Set(args.importExisting ?? []);
    const crds = CRD_FACTS.map((facts) => {
      const manifest = crdManifest(facts, args.apiVersion);
      manifest.metadata.annotations = withAdoption(manifest.metadata.annotations);
      const resourceName = `${name}-${facts.plural}`;
      // A CRD's id is its name (cluster-scoped); one already in the state is not imported again.
      // The same CRD under the other apiextensions version (crdApiVersion changed, or `auto` after a
      // cluster upgrade) is this resource: an update, never a create of the new one and a delete of
      // the old, which would delete the live CRD and every object of its kind. The SDK declares
      // these aliases today; declared here too so that no SDK release can drop them.
      const opts: pulumi.CustomResourceOptions = {
        ...childOpts,
        aliases: [{ type: `kubernetes:${OTHER_CRD_API_VERSION[args.apiVersion]}:CustomResourceDefinition` }],
        import: existing.has(manifest.metadata.name) ? manifest.metadata.name : undefined,
      };
      return args.apiVersion === "apiextensions.k8s.io/v1beta1"
        ? new k8s.apiextensions.v1beta1.CustomResourceDefinition(resourceName, manifest as unknown as k8s.apiextensions.v1beta1.CustomResourceDefinitionArgs, opts)
        : new k8s.apiextensions.v1.CustomResourceDefinition(resourceName, manifest as unknown as k8s.apiextensions.v1.CustomResourceDefinitionArgs, opts);
    });
    this.names = pulumi.all(crds.map((c) => c.metadata.name));
    this.registerOutputs({ names: this.names });
  }
}
