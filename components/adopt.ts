/**
 * Objects this program takes over when they already exist (CRDs applied by hand, a backup partly
 * restored with kubectl, a Secret copied by hand): server-side apply would otherwise stop on
 * fields another manager set. The program's value wins, which is the backup's.
 */
export const ADOPT_ANNOTATIONS = { "pulumi.com/patchForce": "true" } as const;

export function withAdoption(annotations: Record<string, string> | undefined): Record<string, string> {
  return { ...(annotations ?? {}), ...ADOPT_ANNOTATIONS };
}
