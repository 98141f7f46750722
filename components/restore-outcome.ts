// The restore's last step (dynamic provider): after every batch, fail the run if the API server
// rejected objects, naming each with its reason and the fix (lib/restore-rejections.ts). The
// batches themselves succeed with what they could apply, so that one rejected object never holds
// back the others; this step makes sure the run still ends in an error.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { requireTypeScript } from "./dynamic";

const PURE_MODULE = path.resolve(__dirname, "..", "lib", "restore-rejections.ts");

export function restoreOutcomeProvider(): pulumi.dynamic.ResourceProvider {
  const load = requireTypeScript;
  const pure = PURE_MODULE;
  const check = (inputs: Record<string, any>): void => {
    const message = load(pure).describeRejected(inputs.rejected ?? {}, inputs.leaveOutCount ?? 0) as string | undefined;
    if (message) throw new Error(message);
  };
  return {
    async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      const rejected = Object.keys(news.rejected ?? {}).length > 0;
      return { changes: rejected || JSON.stringify(olds.rejected ?? {}) !== JSON.stringify(news.rejected ?? {}) };
    },
    async create(inputs: Record<string, any>) {
      check(inputs);
      return { id: "restore-outcome", outs: inputs };
    },
    async update(_id: string, _olds: Record<string, any>, news: Record<string, any>) {
      check(news);
      return { outs: news };
    },
    async delete() {
      // Nothing in the cluster: it only checks.
    },
  };
}

const PROVIDER = restoreOutcomeProvider();

export interface RestoreOutcomeArgs {
  /** Label → the API's reason, of every batch (empty when everything was applied). */
  rejected: pulumi.Input<Record<string, string>>;
  /** How many entries the stack's leaveOut has: the fix's index starts there. */
  leaveOutCount: number;
}

export class RestoreOutcome extends pulumi.dynamic.Resource {
  constructor(name: string, args: RestoreOutcomeArgs, opts: pulumi.CustomResourceOptions) {
    super(PROVIDER, name, { ...args }, opts);
  }
}
