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
 * create applies the batch's objects (only objects not restored before, or named by `reapply`:
 * the program leaves the others out) and adds them to the record in the cluster; update applies
 * those that differ from what the batch last applied or a refresh last read, those `reapply`
 * names and those rejected last time, and records; diff compares object by object; read returns
 * the live objects as the program manages them, so `pulumi refresh` shows drift; once an object is
 * recorded the program no longer passes it, so drift is never put back unless asked; delete deletes
 * nothing (certificate objects are never deleted by this program). Objects the API server rejects
 * are kept in the state's `rejected` (label → reason), not thrown, and never enter the record: the
 * batch and the batches after it go on, every later run applies them again until the stack's
 * leaveOut names them, and components/restore-outcome.ts fails the run naming them.
 */
export function restoredBatchProvider(): pulumi.dynamic.ResourceProvider {
  const load = requireTypeScript;
  const pure = PURE_MODULE;
  const apply = APPLY_MODULE;
  const rejections = REJECTIONS_MODULE;
  return {
    async diff(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      const changes = load(pure).objectChanges(olds.objects, news.objects) as Map<string, string>;
      // An object the program no longer writes (restored earlier) leaves the batch and stays in the cluster: no update for that alone.
      const recorded = new Set<string>(olds.record ?? []);
      return {
        changes: [...changes.values()].some((c) => c !== "remove") || (news.reapply ?? []).length > 0 ||
          (news.record ?? []).some((l: string) => !recorded.has(l)) || load(rejections).retriesRejected(olds.rejected, news.objects),
      };
    },
    async create(inputs: Record<string, any>) {
      const { rejected } = await load(apply).applyBatch(inputs);
      await load(apply).recordRestored(inputs, load(rejections).restoredLabels(inputs, rejected));
      return { id: `restored-${inputs.batch}`, outs: { ...inputs, rejected } };
    },
    async update(_id: string, olds: Record<string, any>, news: Record<string, any>) {
      const changes = load(pure).objectChanges(olds.objects, news.objects) as Map<string, string>;
      const labels = new Set<string>(load(rejections).labelsToApply(changes, olds.rejected, news.objects));
      for (const label of news.reapply ?? []) labels.add(label);
      const { rejected } = await load(apply).applyBatch(news, [...labels]);
      await load(apply).recordRestored(news, load(rejections).restoredLabels(news, rejected));
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
  /** Labels of objects restored earlier that the stack's `reapply` asks to write again: written on every update while asked. */
  reapply: string[];
  /** Labels the record in the cluster gains with this batch (a change here alone updates the batch, which then only records). */
  record: string[];
  /** Labels of the batch's objects restored earlier: not written, named in the preview. */
  leftAsTheyAre: string[];
  recordNamespace: pulumi.Input<string>;
  /** The record's ConfigMap when it is not 0.6's (a target of another API group). */
  recordName?: string;
  backupSha256: string;
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
