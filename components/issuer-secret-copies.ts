import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { secretCopyResourceName } from "../lib/resource-names";
import { COPIED_FROM_ANNOTATION, LAST_APPLIED_ANNOTATION } from "../lib/secret-copy";
import { withAdoption } from "./adopt";

export interface SecretToCopy {
  name: string;
  /** Where the data was read: the legacy namespace, or the copy itself once the source was cleaned up. */
  readFrom: string;
  /** The source's type and data, read by the program (never with `Secret.get`, which would store the source whole in the state). */
  type: string;
  data: pulumi.Input<Record<string, string>>;
  /** The copy exists with kubectl's last-applied-configuration (which may hold the data): take it over and empty it. */
  emptyLastApplied: boolean;
  /** "namespace/name" of this program's own copy, possibly outside the state (an interrupted create), on a cluster without server-side apply: adopt it. */
  importId?: string;
}

export interface IssuerSecretCopiesArgs {
  secrets: SecretToCopy[];
  /**
   * Where 0.6 reads ClusterIssuer Secrets: the labelled namespace (step 2), or the chart's
   * clusterResourceNamespace when the stack sets it. Never the legacy namespace (nothing is copied
   * onto itself: such Secrets are already in place).
   */
  namespace: pulumi.Input<string>;
  legacyNamespace: string;
}

/**
 * Step 5: every Secret a ClusterIssuer references, copied out of the legacy namespace before any
 * ClusterIssuer is restored (a missing ACME key would register a new ACME account). Data stays
 * secret: encrypted in state, never printed; nothing of the source's metadata is copied, and a copy
 * made earlier by hand loses kubectl's annotation. Kept on destroy.
 */
export class IssuerSecretCopies extends pulumi.ComponentResource {
  /** Names of the copies, known once they exist. */
  public readonly names: pulumi.Output<string[]>;

  constructor(name: string, args: IssuerSecretCopiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:IssuerSecretCopies", name, {}, opts);
    const copies = args.secrets.map((s) => {
      const annotations: Record<string, string> = { [COPIED_FROM_ANNOTATION]: `${args.legacyNamespace}/${s.name}` };
      if (s.emptyLastApplied) annotations[LAST_APPLIED_ANNOTATION] = "";
      return new k8s.core.v1.Secret(secretCopyResourceName(name, s.name), {
        metadata: {
          name: s.name,
          namespace: args.namespace,
          labels: { "app.kubernetes.io/managed-by": "cert-manager-upgrade" },
          annotations: withAdoption(annotations),
        },
        type: s.type,
        data: pulumi.secret(s.data),
      }, {
        parent: this, retainOnDelete: true, additionalSecretOutputs: ["data", "stringData"],
        // Its inputs are its own live data and metadata, so the import finds nothing to change.
        import: s.importId,
      });
    });
    this.names = pulumi.all(copies.map((c) => c.metadata.name));
    this.registerOutputs({ names: this.names });
  }
}
