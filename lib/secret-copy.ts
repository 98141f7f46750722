// What a copy of an issuer's Secret takes from its source, and nothing more (pure). Pulumi stores
// every input and output of a resource in the stack's state, and a Secret's metadata is no safe
// place: kubectl's last-applied-configuration annotation holds the Secret's data (or stringData) in
// the clear. So a source is read by the program, reduced here to its type and data, and the data
// handed to Pulumi as a secret only.
import { LAST_APPLIED_ANNOTATION } from "./sanitize";

export interface SecretObject {
  type?: string;
  data?: Record<string, string>;
  metadata?: { annotations?: Record<string, string> };
}

export interface SecretCopySource {
  type: string;
  /** The source's data, base64 as the API returns it. Handle as a secret. */
  data: Record<string, string>;
}

/** Type and data only: the source's metadata (its annotations above all) is left behind. */
export function copySource(secret: SecretObject): SecretCopySource {
  return { type: secret.type || "Opaque", data: { ...(secret.data ?? {}) } };
}

/**
 * Whether an existing copy carries kubectl's last-applied-configuration (a copy made by hand with
 * kubectl, as the seed's procedure does, has the source's). The copy then sets the annotation to ""
 * by server-side apply: that takes it over from kubectl and empties it on the live object (the key
 * stays, empty, because a field another manager set cannot be removed in the same apply).
 */
export function carriesLastApplied(secret: SecretObject | undefined): boolean {
  return secret?.metadata?.annotations?.[LAST_APPLIED_ANNOTATION] !== undefined;
}

export { LAST_APPLIED_ANNOTATION };
