import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { after } from "./after";

export const POSTRENDER_MAP_APIS = path.resolve(__dirname, "..", "scripts", "postrender-map-apis");

export interface CertManagerReleaseArgs {
  releaseName: pulumi.Input<string>;
  /** The labelled namespace (step 2). */
  namespace: pulumi.Input<string>;
  /** The 0.6 CRDs (step 3): the chart creates Issuers and Certificates for its webhook. */
  crdNames: pulumi.Input<string[]>;
  /** Local chart directory or .tgz, an absolute path; when unset, `chart` from `repository` at `version`. */
  localChart?: string;
  repository: pulumi.Input<string>;
  version: pulumi.Input<string>;
  values: pulumi.Input<Record<string, unknown>>;
  /** The values came from a secret config key: keep them secret in the release's outputs too. */
  secretValues?: boolean;
  webhook: boolean;
  /** Map retired API versions to served ones at install (Helm post-render). */
  mapApiVersions: boolean;
  skipAwait: boolean;
  /**
   * What must be done before the release's controller starts (e.g. the TLS Secrets' annotations
   * renamed for the target, components/metadata-renames.ts): its completion.
   */
  startsAfter?: pulumi.Input<string>;
  /**
   * The target's API group when it is not 0.6's (v1.1.1: cert-manager.io/v1). A release of 0.6 cannot
   * be upgraded in place to such a target (its Deployments' selectors changed): the release is
   * replaced when this changes, the old one uninstalled before the new one is installed.
   */
  replacedForApiGroup?: string;
}

/** Step 4: cert-manager 0.6.2 (chart v0.6.6), or the stack's target, as a Helm release in its own namespace. */
export class CertManagerRelease extends pulumi.ComponentResource {
  public readonly name: pulumi.Output<string>;
  public readonly chartVersion: pulumi.Output<string>;
  public readonly status: pulumi.Output<string>;
  public readonly revision: pulumi.Output<number>;

  constructor(name: string, args: CertManagerReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:CertManagerRelease", name, {}, opts);
    const chartSource: Pick<k8s.helm.v3.ReleaseArgs, "chart" | "version" | "repositoryOpts"> = args.localChart
      ? { chart: args.localChart }
      : { chart: "cert-manager", version: args.version, repositoryOpts: { repo: args.repository } };
    const release = new k8s.helm.v3.Release(name, {
      name: args.releaseName,
      namespace: args.namespace,
      ...chartSource,
      values: pulumi.output(args.values).apply((v) => ({ ...v, webhook: { ...((v.webhook as object) ?? {}), enabled: args.webhook } })),
      createNamespace: false,
      skipCrds: true,
      skipAwait: args.skipAwait,
      postrender: args.mapApiVersions ? POSTRENDER_MAP_APIS : undefined,
      timeout: 600,
    }, {
      parent: this,
      dependsOn: after(args.crdNames, args.namespace, args.startsAfter),
      additionalSecretOutputs: args.secretValues ? ["values"] : undefined,
      // Only when set: a 0.6 stack's release keeps its options as they were.
      ...(args.replacedForApiGroup ? { replacementTrigger: args.replacedForApiGroup, deleteBeforeReplace: true } : {}),
    });
    this.name = release.name;
    this.chartVersion = release.status.version;
    this.status = release.status.status;
    this.revision = release.status.revision;
    this.registerOutputs({ name: this.name, chartVersion: this.chartVersion, status: this.status, revision: this.revision });
  }
}
