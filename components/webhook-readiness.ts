import * as pulumi from "@pulumi/pulumi";
import { oneShotProvider } from "./dynamic";

export interface WebhookReadinessArgs {
  /** The release's status (step 4): the webhook comes with it. */
  releaseStatus: pulumi.Input<string>;
  timeoutSeconds: pulumi.Input<number>;
  kubeconfig?: pulumi.Input<string>;
  context?: pulumi.Input<string>;
  /** How to tell the target's webhook is ready (lib/targets/index.ts); unset: cert-manager 0.6's APIService and probe. */
  readiness?: string;
}

class WaitForWebhook extends pulumi.dynamic.Resource {
  declare public readonly readyAt: pulumi.Output<string>;
  constructor(name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super(oneShotProvider("webhookReady", ["readiness"]), name, { ...props, readyAt: undefined, detail: undefined }, opts);
  }
}

/**
 * Step 6: restore starts only when the 0.6 webhook accepts objects (APIService
 * v1beta1.admission.certmanager.k8s.io Available, then a probe ClusterIssuer accepted). On timeout
 * it fails with what to do; nothing is lost and a re-run resumes here.
 */
export class WebhookReadiness extends pulumi.ComponentResource {
  public readonly readyAt: pulumi.Output<string>;

  constructor(name: string, args: WebhookReadinessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:WebhookReadiness", name, {}, opts);
    const wait = new WaitForWebhook(`${name}-accepts-objects`, {
      releaseStatus: args.releaseStatus,
      timeoutSeconds: args.timeoutSeconds,
      kubeconfig: args.kubeconfig,
      context: args.context,
      // Only when set: the default's inputs stay as they were.
      ...(args.readiness ? { readiness: args.readiness } : {}),
    }, { parent: this });
    this.readyAt = wait.readyAt;
    this.registerOutputs({ readyAt: this.readyAt });
  }
}
