// The TLS Secrets' and Ingresses' certmanager.k8s.io/* annotations and labels under the target's
// names (cert-manager.io/*), before the target's controller first sees a Certificate: otherwise
// v1.1.1 takes a Secret without cert-manager.io/issuer-name for another issuer's and issues the
// certificate anew. The work is in lib/target-metadata.ts, loaded inside the provider's process.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MetadataPatch } from "../lib/targets";
import { after } from "./after";
import { requireTypeScript } from "./dynamic";

const APPLY_MODULE = path.resolve(__dirname, "..", "lib", "target-metadata.ts");

/**
 * create and update apply each JSON merge patch (metadata only: the old keys null, the new ones
 * their values; never a Secret's data, which neither the inputs nor the state hold); diff reports
 * a change only when the preview found something left to rename; delete puts nothing back.
 */
function metadataRenamesProvider(): pulumi.dynamic.ResourceProvider {
  const load = requireTypeScript;
  const apply = APPLY_MODULE;
  return {
    async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      return { changes: (news.renames ?? []).length > 0 && JSON.stringify(olds.renames) !== JSON.stringify(news.renames) };
    },
    async create(inputs: Record<string, any>) {
      const outs = await load(apply).applyMetadataRenames(inputs);
      return { id: `metadata-renames-${Date.now()}`, outs: { ...inputs, ...outs } };
    },
    async update(_id: string, _olds: Record<string, any>, news: Record<string, any>) {
      const outs = await load(apply).applyMetadataRenames(news);
      return { outs: { ...news, ...outs } };
    },
    async delete() {
      // Kept: the old names mean nothing to the target's controller.
    },
  };
}

const PROVIDER = metadataRenamesProvider();

class RenameMetadata extends pulumi.dynamic.Resource {
  declare public readonly completedAt: pulumi.Output<string>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super(PROVIDER, name, { ...props, completedAt: undefined, renamed: undefined, gone: undefined }, opts);
  }
}

export interface MetadataRenamesArgs {
  /** One merge patch per Secret or Ingress that changes (lib/targets/index.ts planMetadataRenames). */
  renames: MetadataPatch[];
  /** After the old release is gone: its controller never sees the new names. */
  legacyRemovedAt: pulumi.Input<string>;
  kubeconfig?: pulumi.Input<string>;
  context?: pulumi.Input<string>;
}

/** Between the removal and the release: the release depends on `completedAt`. */
export class MetadataRenames extends pulumi.ComponentResource {
  public readonly completedAt: pulumi.Output<string>;

  constructor(name: string, args: MetadataRenamesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:MetadataRenames", name, {}, opts);
    const rename = new RenameMetadata(`${name}-apply`, {
      renames: args.renames,
      // What the preview shows: one line per object.
      summary: args.renames.map((r) => `${r.kind} ${r.namespace}/${r.name}: ${r.changes.join(", ")}`),
      kubeconfig: args.kubeconfig,
      context: args.context,
    }, { parent: this, dependsOn: after(args.legacyRemovedAt) });
    this.completedAt = rename.completedAt;
    this.registerOutputs({ completedAt: this.completedAt });
  }
}
