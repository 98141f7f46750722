// Dynamic providers for the steps no Kubernetes resource expresses (removing the old release,
// waiting for the webhook, deleting legacy Secrets). Their work lives in lib/dynamic-runtime.ts.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export type RuntimeOperation = "removeLegacyRelease" | "stopPreviousRelease" | "deletePreviousCrds" | "webhookReady" | "deleteLegacySecrets";

const RUNTIME_MODULE = path.resolve(__dirname, "..", "lib", "dynamic-runtime.ts");
const LOADER = path.resolve(__dirname, "..", "lib", "load-typescript.cjs");

/** Loads one of the project's TypeScript modules inside the dynamic provider's process (lib/load-typescript.cjs). */
export function requireTypeScript(file: string): any {
  const loader = LOADER;
  return require(loader)(file);
}

/**
 * A step that runs once: created when first reached, a no-op on every later run (its work is
 * done), and a no-op on destroy (an old release cannot be put back). `runsAgainWhen` names inputs
 * that make it a different step when they change (e.g. the webhook a wait is for): it then runs
 * again (replaced; the old one's delete does nothing).
 */
export function oneShotProvider(operation: RuntimeOperation, runsAgainWhen: readonly string[] = []): pulumi.dynamic.ResourceProvider {
  const runtime = RUNTIME_MODULE;
  const load = requireTypeScript;
  const keys = [...runsAgainWhen];
  return {
    async create(inputs: Record<string, unknown>) {
      const outs = await load(runtime)[operation](inputs);
      return { id: `${operation}-${Date.now()}`, outs: { ...inputs, ...outs } };
    },
    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const replaces = keys.filter((k) => JSON.stringify(olds?.[k] ?? null) !== JSON.stringify(news?.[k] ?? null));
      return replaces.length > 0 ? { changes: true, replaces, deleteBeforeReplace: true } : { changes: false };
    },
  };
}

/** A one-shot step that deletes what an older cert-manager left: when it was done, and what it deleted. */
export class OneShotRemoval extends pulumi.dynamic.Resource {
  declare public readonly completedAt: pulumi.Output<string>;
  declare public readonly removed: pulumi.Output<string[]>;
  constructor(operation: "removeLegacyRelease" | "stopPreviousRelease" | "deletePreviousCrds", name: string, props: Record<string, pulumi.Input<unknown>>, opts: pulumi.CustomResourceOptions) {
    super(oneShotProvider(operation), name, { ...props, completedAt: undefined, removed: undefined }, opts);
  }
}

/** What every removal step gated on the backup takes: the verified backup it checks again right before deleting, the cluster, how long it waits. */
export interface GatedRemovalArgs {
  backupFile: pulumi.Input<string>;
  backupSha256: pulumi.Input<string>;
  kubeconfig?: pulumi.Input<string>;
  context?: pulumi.Input<string>;
  timeoutSeconds: pulumi.Input<number>;
}

/** Those inputs as the step's runtime reads them (lib/dynamic-runtime.ts). */
export function gatedRemovalInputs(args: GatedRemovalArgs): Record<string, pulumi.Input<unknown>> {
  return { backupFile: args.backupFile, backupSha256: args.backupSha256, kubeconfig: args.kubeconfig, context: args.context, timeoutSeconds: args.timeoutSeconds };
}
