// Dynamic providers for the steps no Kubernetes resource expresses (removing the old release,
// waiting for the webhook, deleting legacy Secrets). Their work lives in lib/dynamic-runtime.ts.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";

export type RuntimeOperation = "removeLegacyRelease" | "webhookReady" | "deleteLegacySecrets";

const TSX_REGISTER = require.resolve("tsx/cjs");
const RUNTIME_MODULE = path.resolve(__dirname, "..", "lib", "dynamic-runtime.ts");

/**
 * A step that runs once: created when first reached, a no-op on every later run (its work is
 * done), and a no-op on destroy (an old release cannot be put back).
 */
export function oneShotProvider(operation: RuntimeOperation): pulumi.dynamic.ResourceProvider {
  const tsx = TSX_REGISTER;
  const runtime = RUNTIME_MODULE;
  return {
    async create(inputs: Record<string, unknown>) {
      require(tsx);
      const outs = await require(runtime)[operation](inputs);
      return { id: `${operation}-${Date.now()}`, outs: { ...inputs, ...outs } };
    },
    async diff() {
      return { changes: false };
    },
  };
}
