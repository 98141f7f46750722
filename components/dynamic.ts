// Dynamic providers for the steps no Kubernetes resource expresses (removing the old release,
// waiting for the webhook, deleting legacy Secrets). Their work lives in lib/dynamic-runtime.ts.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export type RuntimeOperation = "removeLegacyRelease" | "webhookReady" | "deleteLegacySecrets";

const RUNTIME_MODULE = path.resolve(__dirname, "..", "lib", "dynamic-runtime.ts");
const LOADER = path.resolve(__dirname, "..", "lib", "load-typescript.cjs");

/** Loads one of the project's TypeScript modules inside the dynamic provider's process (lib/load-typescript.cjs). */
export function requireTypeScript(file: string): any {
  const loader = LOADER;
  return require(loader)(file);
}

/**
 * A step that runs once: created when first reached, a no-op on every later run (its work is
 * done), and a no-op on destroy (an old release cannot be put back).
 */
export function oneShotProvider(operation: RuntimeOperation): pulumi.dynamic.ResourceProvider {
  const runtime = RUNTIME_MODULE;
  const load = requireTypeScript;
  return {
    async create(inputs: Record<string, unknown>) {
      const outs = await load(runtime)[operation](inputs);
      return { id: `${operation}-${Date.now()}`, outs: { ...inputs, ...outs } };
    },
    async diff() {
      return { changes: false };
    },
  };
}
