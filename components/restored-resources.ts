import * as pulumi from "@pulumi/pulumi";
import { RestoreItem } from "../lib/plan";
import { DEFAULT_BATCH_SIZE, encodeObjects, planBatches } from "../lib/restore-batch";
import { mergeRejections } from "../lib/restore-rejections";
import { RestoreKind } from "../lib/types";
import { after } from "./after";
import { RestoreOutcome } from "./restore-outcome";
import { RestoredBatch } from "./restored-batch";

export interface RestoredResourcesArgs {
  /** The backup's ClusterIssuers, Issuers and Certificates, sanitized, in restore order. */
  items: RestoreItem[];
  /** The 0.6 CRDs (step 3). */
  crdNames: pulumi.Input<string[]>;
  /** The copied issuer Secrets (step 5): no ClusterIssuer before its Secrets. */
  copiedSecrets: pulumi.Input<string[]>;
  /** The webhook accepting objects (step 6), or undefined when the stack disables the webhook. */
  webhookReadyAt?: pulumi.Input<string>;
  /** The release (step 4), so that its controller finds the objects' Secrets and issuers in place. */
  releaseStatus: pulumi.Input<string>;
  /**
   * Labels ("Kind/namespace/name") of objects that exist on a cluster without server-side apply
   * (lib/preflight.ts Adoption): adopted (replaced with the backup's values), named in the preview.
   */
  importExisting?: string[];
  /** Server-side apply where the cluster serves it, else create, and replace what exists. */
  serverSideApply: boolean;
  kubeconfig?: pulumi.Input<string>;
  context?: pulumi.Input<string>;
  /** Objects per batch (about). */
  batchSize?: number;
  /** How many entries the stack's leaveOut has (the fix for a rejected object adds the next one). */
  leaveOutCount?: number;
  /**
   * The one-shot restore (lib/restore-record.ts decideRestoreWrites): the labels written (never
   * restored, or asked for again), of those the ones `reapply` asks for, and the labels the record
   * in the cluster should gain besides those written (objects restored by a version that kept no
   * record). Objects not in `write` are left as they are: never written, never re-created.
   */
  write: string[];
  reapply: string[];
  recordAlso: string[];
  /** Where the record lives (the stack's namespace) and the backup's checksum it notes. */
  recordNamespace: pulumi.Input<string>;
  /** The record's ConfigMap when it is not 0.6's (lib/restore-record.ts restoreRecordName). */
  recordName?: string;
  backupSha256: string;
}

/**
 * Step 7: every Issuer, ClusterIssuer and Certificate of the backup, in batches of one kind
 * (lib/restore-batch.ts): the engine writes its state once per batch, not once per
 * object, and each batch's inputs name every object it writes, so the preview lists them all.
 * Written once: an object the record in the cluster holds (lib/restore-record.ts) is left as it
 * is unless the stack's `reapply` names it. An object written that already exists is adopted, not
 * duplicated: by server-side apply, or, on a cluster without it, replaced with the backup's
 * values. Never deleted, on destroy or otherwise.
 * ClusterIssuers wait for their copied Secrets, Certificates for the batches of their issuers,
 * everything for the CRDs, the release and the webhook. An object the API server rejects does not
 * stop its batch nor the batches after it; the last step (RestoreOutcome) then fails the run naming it.
 */
export class RestoredResources extends pulumi.ComponentResource {
  public readonly counts: Record<RestoreKind, number>;
  /** How many objects are in place, known once every one of them is. */
  public readonly restoredCount: pulumi.Output<number>;

  constructor(name: string, args: RestoredResourcesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("cert-manager-upgrade:index:RestoredResources", name, {}, opts);
    const ready = [args.crdNames, args.webhookReadyAt, args.releaseStatus];
    this.counts = { ClusterIssuer: 0, Issuer: 0, Certificate: 0 };
    for (const item of args.items) this.counts[item.kind]++;
    const existing = new Set(args.importExisting ?? []);
    const write = new Set(args.write);
    const reapply = new Set(args.reapply);
    const recordAlso = new Set(args.recordAlso);
    const byName = new Map<string, RestoredBatch>();
    // Batches are planned over the whole backup, so that their names and membership do not depend on the record.
    for (const batch of planBatches(args.items, args.batchSize ?? DEFAULT_BATCH_SIZE)) {
      const labels = Object.keys(batch.objects);
      const written = labels.filter((l) => write.has(l));
      let dependsOn: pulumi.Input<pulumi.Resource[]>;
      if (batch.kind === "ClusterIssuer") dependsOn = after(...ready, args.copiedSecrets);
      else if (batch.kind === "Issuer") dependsOn = after(...ready);
      else {
        const issuers = batch.after.map((b) => byName.get(b)!);
        dependsOn = pulumi.output(after(...ready)).apply((d) => [...d, ...issuers]);
      }
      const resource = new RestoredBatch(`${name}-${batch.name}`, {
        batch: batch.name,
        kind: batch.kind,
        namespaces: batch.namespaces,
        objects: encodeObjects(Object.fromEntries(written.map((l) => [l, batch.objects[l]]))),
        adopted: written.filter((label) => existing.has(label)),
        reapply: written.filter((l) => reapply.has(l)),
        record: labels.filter((l) => (write.has(l) && !reapply.has(l)) || recordAlso.has(l)),
        leftAsTheyAre: labels.filter((l) => !write.has(l)),
        recordNamespace: args.recordNamespace,
        // Only when set: the default's inputs stay as they were.
        ...(args.recordName ? { recordName: args.recordName } : {}),
        backupSha256: args.backupSha256,
        serverSideApply: args.serverSideApply,
        kubeconfig: args.kubeconfig,
        context: args.context,
      }, { parent: this, dependsOn, retainOnDelete: true });
      byName.set(batch.name, resource);
    }
    const all = [...byName.values()];
    const outcome = new RestoreOutcome(`${name}-outcome`, {
      rejected: pulumi.all(all.map((r) => r.rejected)).apply(mergeRejections),
      leaveOutCount: args.leaveOutCount ?? 0,
    }, { parent: this, dependsOn: all });
    // Known once the outcome is: every object in place (what follows, e.g. the cleanup, waits for that).
    this.restoredCount = pulumi.all([outcome.id, pulumi.all(all.map((r) => r.objects))]).apply(([, lists]) => lists.reduce((n, o) => n + Object.keys(o ?? {}).length, 0));
    this.registerOutputs({ counts: this.counts, restoredCount: this.restoredCount });
  }
}
