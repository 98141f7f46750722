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

/**
 * On a cluster without server-side apply, a copy that exists already and was made by someone else
 * (by hand, as the seed's procedure does) cannot be taken over without reading it into the state
 * (see Adoption in preflight.ts). "copy": declare the copy as usual (none exists, or it is this
 * program's own, which the state holds); "leave": it already holds what 0.6 needs (the source's data,
 * or it is the only copy left), so it is left as it is and not managed; "differs": it holds other
 * data than its source, and the program will not overwrite it blindly.
 */
export function clientSideCopyDecision(source: SecretObject, existingCopy: SecretObject | undefined, sourceIsTheCopy: boolean): "copy" | "leave" | "differs" {
  if (!existingCopy || madeByThisProgram(existingCopy)) return "copy";
  if (sourceIsTheCopy || sameData(source, existingCopy)) return "leave";
  return "differs";
}

export { LAST_APPLIED_ANNOTATION };
