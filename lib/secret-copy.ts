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

/** Every copy this program makes says where from; a copy without it was made by someone else. */
export const COPIED_FROM_ANNOTATION = "cert-manager-upgrade/copied-from";

export function madeByThisProgram(secret: SecretObject | undefined): boolean {
  return secret?.metadata?.annotations?.[COPIED_FROM_ANNOTATION] !== undefined;
}

function sameData(a: SecretObject, b: SecretObject): boolean {
  const x = a.data ?? {};
  const y = b.data ?? {};
  const keys = Object.keys(x);
  return keys.length === Object.keys(y).length && keys.every((k) => y[k] === x[k]) && (a.type || "Opaque") === (b.type || "Opaque");
}

/** What to do about one Secret to copy, given what exists where 0.6 reads it. */
export type CopyDecision =
  /** None exists: create it with the source's data. */
  | { action: "copy" }
  /**
   * This program made it: keep managing it with its own data, never the source's over it (a
   * credential rotated in the copy after the upgrade must survive every later run); `differs` says
   * the two no longer agree. Without server-side apply it is imported, which adopts a copy an
   * interrupted run made but its state lacks (and is a no-op for one the state holds).
   */
  | { action: "keep"; differs: boolean; importExisting: boolean }
  /** Someone else made it with the source's data (or it is the only copy left): server-side apply takes it over unchanged. */
  | { action: "take-over" }
  /** Likewise, without server-side apply: left as it is (taking it over would read it into the state). */
  | { action: "leave" }
  /** Someone else made it with other data: the program will overwrite neither, and stops. */
  | { action: "differs" };

/**
 * Never writes one Secret's data over another's that exists: a copy is made once. `sourceIsTheCopy`:
 * the source was cleaned up since, and the copy is all there is.
 */
export function copyDecision(source: SecretObject, existingCopy: SecretObject | undefined, sourceIsTheCopy: boolean, serverSideApply: boolean): CopyDecision {
  if (!existingCopy) return { action: "copy" };
  if (madeByThisProgram(existingCopy)) return { action: "keep", differs: !sourceIsTheCopy && !sameData(source, existingCopy), importExisting: !serverSideApply };
  if (sourceIsTheCopy || sameData(source, existingCopy)) return serverSideApply ? { action: "take-over" } : { action: "leave" };
  return { action: "differs" };
}

export { LAST_APPLIED_ANNOTATION };
