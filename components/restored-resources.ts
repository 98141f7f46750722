import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RestoreItem } from "../lib/plan";
import { restoredResourceNames } from "../lib/resource-names";
import { RestoreKind, objectLabel } from "../lib/types";
import { withAdoption } from "./adopt";
import { after } from "./after";

export interface RestoredResourcesArgs {
  /** The backup's ClusterIssuers, Issuers and Certificates, sanitized, in restore order. */
  items: RestoreItem[];
  /** The 0.6 CRDs (step 3). */
  crdNames: pulumi.Input<string[]>;
  /** The copied issuer Secrets (step 5): no ClusterIssuer before its Secrets. */
  copiedSecrets: pulumi.Input<string[]>;
  /** The webhook accepting objects (step 6), or undefined when the stack disables the webhook. */
  webhookReadyAt?: pulumi.Input<string>;
  /** The release (step 4), so that its controller finds the objects' Secrets and issuers in place. */
  releaseStatus: pulumi.Input<string>;
  /**
   * Labels ("Kind/namespace/name") of objects that exist on a cluster without server-side apply:
   * taken over with `import` (lib/preflight.ts Adoption).
   */
  importExisting?: string[];
}

/**
 * Step 7: every Issuer, ClusterIssuer and Certificate of the backup, each its own resource so the
 * preview lists them. An object that already exists is adopted, not duplicated: by server-side apply,
 * or, on a cluster without it, imported (`importExisting`) and then updated to the backup's values.
 * Kept on destroy: removing this program never deletes certificate objects.
 */
export class RestoredResources extends pulumi.ComponentResource {
  public readonly counts: Record<RestoreKind, number>;
  /** How many objects are in place, known once every one of them is. */
  public readonly restoredCount: pulumi.Output<number>;

  constructor(name: string, args: RestoredResourcesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:RestoredResources", name, {}, opts);
    const ready = [args.crdNames, args.webhookReadyAt, args.releaseStatus];
    const issuers = new Map<string, k8s.apiextensions.CustomResource>();
    const all: k8s.apiextensions.CustomResource[] = [];
    this.counts = { ClusterIssuer: 0, Issuer: 0, Certificate: 0 };
    // One name per object, the same every run; objects renamed since the first scheme answer to their old name.
    const names = restoredResourceNames(args.items);
    const existing = new Set(args.importExisting ?? []);

    for (const item of args.items) {
      this.counts[item.kind]++;
      let dependsOn: pulumi.Input<pulumi.Resource[]>;
      if (item.kind === "ClusterIssuer") {
        dependsOn = after(...ready, args.copiedSecrets);
      } else if (item.kind === "Issuer") {
        dependsOn = after(...ready);
      } else {
        // A Certificate after its issuer, when the backup has it.
        const ref = item.object.spec?.issuerRef as { name?: string; kind?: string } | undefined;
        const issuer = ref?.kind === "ClusterIssuer" ? issuers.get(`ClusterIssuer//${ref.name}`) : issuers.get(`Issuer/${item.namespace}/${ref?.name}`);
        dependsOn = issuer ? pulumi.output(after(...ready)).apply((d) => [...d, issuer]) : after(...ready);
      }
      const { apiVersion, kind, metadata, ...rest } = item.object;
      const resourceName = names.get(objectLabel(item))!;
      const resource = new k8s.apiextensions.CustomResource(`${name}-${resourceName.name}`, {
        apiVersion: apiVersion as string,
        kind: kind as string,
        metadata: { ...(metadata as k8s.types.input.meta.v1.ObjectMeta), annotations: withAdoption(metadata?.annotations) },
        ...rest,
      }, {
        parent: this, dependsOn, retainOnDelete: true, aliases: resourceName.aliases.map((old) => ({ name: `${name}-${old}` })),
        // The provider's id: "namespace/name", or the name of a cluster-scoped object.
        import: existing.has(objectLabel(item)) ? (item.namespace ? `${item.namespace}/${item.name}` : item.name) : undefined,
      });
      all.push(resource);
      if (item.kind !== "Certificate") issuers.set(`${item.kind}/${item.namespace}/${item.name}`, resource);
    }
    this.restoredCount = pulumi.all(all.map((r) => r.metadata.name)).apply((names) => names.length);
    this.registerOutputs({ counts: this.counts, restoredCount: this.restoredCount });
  }
}
