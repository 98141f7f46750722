import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { secretCopyResourceName, secretSourceResourceName } from "../lib/resource-names";
import { withAdoption } from "./adopt";

export interface SecretToCopy {
  name: string;
  /** Where to read the data: the legacy namespace, or the copy itself once the source was cleaned up. */
  readFrom: string;
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
 * secret: encrypted in state, never printed. Kept on destroy.
 */
export class IssuerSecretCopies extends pulumi.ComponentResource {
  /** Names of the copies, known once they exist. */
  public readonly names: pulumi.Output<string[]>;

  constructor(name: string, args: IssuerSecretCopiesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:IssuerSecretCopies", name, {}, opts);
    const copies = args.secrets.map((s) => {
      const source = k8s.core.v1.Secret.get(secretSourceResourceName(name, s.name), `${s.readFrom}/${s.name}`, { parent: this });
      return new k8s.core.v1.Secret(secretCopyResourceName(name, s.name), {
        metadata: {
          name: s.name,
          namespace: args.namespace,
          labels: { "app.kubernetes.io/managed-by": "cert-manager-upgrade" },
          annotations: withAdoption({ "cert-manager-upgrade/copied-from": `${args.legacyNamespace}/${s.name}` }),
        },
        type: source.type,
        data: pulumi.secret(source.data),
      }, { parent: this, retainOnDelete: true, additionalSecretOutputs: ["data", "stringData"] });
    });
    this.names = pulumi.all(copies.map((c) => c.metadata.name));
    this.registerOutputs({ names: this.names });
  }
}
