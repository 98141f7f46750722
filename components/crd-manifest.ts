import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { CrdDocument } from "../lib/crd-manifest";
import { withAdoption } from "./adopt";
import { after } from "./after";

export interface CertManagerCrdManifestArgs {
  /** The target's CRDs as its manifest file has them (lib/crd-manifest.ts, read before anything is declared). */
  crds: CrdDocument[];
  /** The old CRDs must be gone first: pass the legacy removal's completion. */
  legacyRemovedAt: pulumi.Input<string>;
  /** Deleting these CRDs deletes every certificate object: only when the stack opts in. */
  allowDeletion: boolean;
  /** CRDs that exist on a cluster without server-side apply: taken over with `import`. */
  importExisting?: string[];
}

/**
 * Step 3 for a target whose CRDs come from a manifest (cert-manager v1.1.1's legacy CRDs, built from
 * its module by scripts/toolchain.sh): one resource per CRD, as the file defines it.
 */
export class CertManagerCrdManifest extends pulumi.ComponentResource {
  public readonly names: pulumi.Output<string[]>;

  constructor(name: string, args: CertManagerCrdManifestArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:CertManagerCrdManifest", name, {}, opts);
    const existing = new Set(args.importExisting ?? []);
    const crds = args.crds.map((doc) => {
      // A status in the file is the server's to write.
      const { status: _status, ...manifest } = structuredClone(doc) as CrdDocument & { status?: unknown };
      manifest.metadata.annotations = withAdoption(manifest.metadata.annotations);
      const crdOpts: pulumi.CustomResourceOptions = {
        parent: this,
        dependsOn: after(args.legacyRemovedAt),
        retainOnDelete: !args.allowDeletion,
        import: existing.has(doc.metadata.name) ? doc.metadata.name : undefined,
      };
      const resourceName = `${name}-${doc.metadata.name}`;
      return doc.apiVersion === "apiextensions.k8s.io/v1beta1"
        ? new k8s.apiextensions.v1beta1.CustomResourceDefinition(resourceName, manifest as unknown as k8s.apiextensions.v1beta1.CustomResourceDefinitionArgs, crdOpts)
        : new k8s.apiextensions.v1.CustomResourceDefinition(resourceName, manifest as unknown as k8s.apiextensions.v1.CustomResourceDefinitionArgs, crdOpts);
    });
    this.names = pulumi.all(crds.map((c) => c.metadata.name));
    this.registerOutputs({ names: this.names });
  }
}
