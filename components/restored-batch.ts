// A batch of restored objects as one Pulumi resource (dynamic provider). The pure parts are in
// lib/restore-batch.ts, the requests in lib/restore-batch-apply.ts; both are loaded through tsx
// inside the provider's process, so that no Kubernetes client is closure-serialized into the state.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { requireTypeScript } from "./dynamic";

const PURE_MODULE = path.resolve(__dirname, "..", "lib", "restore-batch.ts");
const APPLY_MODULE = path.resolve(__dirname, "..", "lib", "restore-batch-apply.ts");
const REJECTIONS_MODULE = path.resolve(__dirname, "..", "lib", "restore-rejections.ts");

/**
 * create and update apply the batch's objects (update only those that differ from what the batch
 * last applied or a refresh last read); diff compares object by object; read returns the live
 * objects as the program manages them, so `pulumi refresh` shows a restored object's drift and the
 * next `pulumi up` puts the backup's value back; delete deletes nothing (certificate objects are
 * never deleted by this program). Objects the API server rejects are kept in the state's
 * `rejected` (label → reason), not thrown: the batch and the batches after it go on, every later run
 * applies them again, and components/restore-outcome.ts fails the run naming them.
 */
export function restoredBatchProvider(): pulumi.dynamic.ResourceProvider {
  const load = requireTypeScript;
  const pure = PURE_MODULE;
  const apply = APPLY_MODULE;
  const rejections = REJECTIONS_MODULE;
  return {
    async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      const changes = load(pure).objectChanges(olds.objects, news.objects) as Map<string, string>;
      // An object the program no longer restores leaves the batch and stays in the cluster: no update for that alone.
      return { changes: [...changes.values()].some((c) => c !== "remove") || load(rejections).retriesRejected(olds.rejected, news.objects) };
    },
    async create(inputs: Record<string, any>) {
      const { rejected } = await load(apply).applyBatch(inputs);
      return { id: `restored-${inputs.batch}`, outs: { ...inputs, rejected } };
    },
    async update(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      const changes = load(pure).objectChanges(olds.objects, news.objects) as Map<string, string>;
      const { rejected } = await load(apply).applyBatch(news, load(rejections).labelsToApply(changes, olds.rejected, news.objects));
      return { outs: { ...news, rejected } };
    },
    async read(id: string, props: Record<string, any>) {
      const objects = await load(apply).readBatch(props);
      const state = { ...props, objects };
      return { id, props: state, inputs: state };
    },
    async delete() {
      // Kept: removing this program, or an object from the backup, never deletes a certificate object.
    },
  };
}

/** One provider for every batch: Pulumi serializes a provider once per provider object (closure serialization is slow). */
const PROVIDER = restoredBatchProvider();

export interface RestoredBatchArgs {
  /** The batch's name (lib/restore-batch.ts). */
  batch: string;
  kind: string;
  namespaces: string[];
  /** Label ("Kind/namespace/name") → object as JSON text (lib/restore-batch.ts encodeObject): the preview names every object from these. */
  objects: Record<string, string>;
  /** Labels of objects that exist already (client-side apply): adopted, shown as such in the preview. */
  adopted: string[];
  serverSideApply: boolean;
  kubeconfig?: pulumi.Input<string>;
  context?: pulumi.Input<string>;
}

export class RestoredBatch extends pulumi.dynamic.Resource {
  declare public readonly objects: pulumi.Output<Record<string, string>>;
  /** Label → the API server's reason, of the objects it rejected (lib/restore-rejections.ts). */
  declare public readonly rejected: pulumi.Output<Record<string, string> | undefined>;
  constructor(name: string, args: RestoredBatchArgs, opts: pulumi.CustomResourceOptions) {
    super(PROVIDER, name, { ...args, rejected: undefined }, opts);
  }
}
