// What cert-manager v1.1.1 adds to a cert-manager.io/v1 spec when it is written through its Go types
// (pure): a field declared without omitempty is written with its Go zero value. Seen on the real
// v1.1.1 (npm run demo -- --target v1.1.1): every ACME ClusterIssuer restored without
// `spec.acme.preferredChain` reads back with `preferredChain: ""` (v1.1.1
// pkg/apis/acme/v1/types_issuer.go ACMEIssuer.PreferredChain, `json:"preferredChain"`). Such a zero
// value decodes to the same Go value as an absent field: no difference.

/** Paths (under spec) of v1.1.1 string fields without omitempty, per kind. */
export const ZERO_VALUE_STRING_FIELDS_V111: Readonly<Record<string, ReadonlyArray<readonly string[]>>> = {
  Issuer: [["acme", "preferredChain"]],
  ClusterIssuer: [["acme", "preferredChain"]],
};

/** The spec without the zero values v1.1.1 writes back for absent fields (a copy; the input is not changed). */
export function withoutWrittenBackZeroValues(kind: string, spec: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!spec) return spec;
  const out = structuredClone(spec);
  for (const fieldPath of ZERO_VALUE_STRING_FIELDS_V111[kind] ?? []) {
    let parent: unknown = out;
    for (const key of fieldPath.slice(0, -1)) parent = typeof parent === "object" && parent !== null ? (parent as Record<string, unknown>)[key] : undefined;
    const last = fieldPath[fieldPath.length - 1];
    if (typeof parent === "object" && parent !== null && !Array.isArray(parent) && (parent as Record<string, unknown>)[last] === "") delete (parent as Record<string, unknown>)[last];
  }
  return out;
}
