import * as pulumi from "@pulumi/pulumi";

/**
 * Turns values produced by earlier steps into a `dependsOn`: the resources behind those outputs
 * must be done first. Lets each step take what the previous one produced, as the procedure reads.
 */
export function after(...produced: Array<pulumi.Input<unknown> | undefined>): pulumi.Input<pulumi.Resource[]> {
  return pulumi.all(produced.filter((p) => p !== undefined)).apply(() => [] as pulumi.Resource[]);
}
