// Finds a seeded secret marker in any text a test can see (state files, command output, backups),
// however it was encoded on the way: in plaintext, in base64 at any of the three byte alignments
// (a Secret's value rarely starts with the marker), or inside base64 strings nested in others
// (kubectl's last-applied-configuration holds a Secret's base64 data inside a JSON string that the
// Pulumi state holds inside another; Helm's release record is base64 of gzip). Pure: text in, hits out.
import * as zlib from "node:zlib";

export interface MarkerHit {
  /** How the marker was found: plaintext, base64 at alignment 0/1/2, or after decoding (and gunzipping) nested strings. */
  how: string;
  /** Offset in the searched text where the match (or the encoded string holding it) starts. */
  index: number;
}

/** Shortest marker for which every alignment still leaves a whole base64 group made of marker bits only. */
export const MIN_MARKER_LENGTH = 8;

const MAX_DEPTH = 4;
// A run of base64 (standard or URL-safe) long enough to hold a marker.
const BASE64_RUN = /[A-Za-z0-9+/_-]{12,}={0,2}/g;

/**
 * The base64 fragments that any encoding of `marker` must contain, one per byte alignment: the
 * marker preceded by 0, 1 or 2 bytes, keeping only the 4-character groups made of marker bits alone.
 */
export function base64Fragments(marker: string): string[] {
  const bytes = Buffer.from(marker, "utf8");
  if (bytes.length < MIN_MARKER_LENGTH) throw new Error(`a marker must be at least ${MIN_MARKER_LENGTH} bytes long to be found in base64`);
  const fragments: string[] = [];
  for (let lead = 0; lead < 3; lead++) {
    const encoded = Buffer.concat([Buffer.alloc(lead), bytes]).toString("base64");
    // Groups fully inside the marker: skip the first group when the lead bytes share it, and stop
    // before the group that the following (unknown) bytes share.
    const firstWhole = lead === 0 ? 0 : 1;
    const wholeGroups = Math.floor((lead + bytes.length) / 3);
    fragments.push(encoded.slice(firstWhole * 4, wholeGroups * 4));
  }
  return fragments;
}

function toUrlSafe(b64: string): string {
  return b64.replace(/\+/g, "-").replace(/\//g, "_");
}

/** Every decoding of a base64 run worth searching: each start alignment, standard and URL-safe alphabets. */
function decodings(run: string): Buffer[] {
  const out: Buffer[] = [];
  const body = run.replace(/=+$/, "");
  for (let start = 0; start < 4 && body.length - start >= 8; start++) {
    const part = body.slice(start);
    const usable = part.slice(0, part.length - (part.length % 4 === 1 ? 1 : 0));
    out.push(Buffer.from(usable.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
  }
  return out;
}

function gunzipped(bytes: Buffer): Buffer | undefined {
  if (bytes.length < 18 || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return undefined;
  try {
    return zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch {
    return undefined;
  }
}

function search(text: string, marker: string, fragments: string[], depth: number, seen: Set<string>): MarkerHit | undefined {
  const plain = text.indexOf(marker);
  if (plain >= 0) return { how: depth === 0 ? "plaintext" : "plaintext inside a decoded string", index: plain };
  for (const [lead, fragment] of fragments.entries()) {
    for (const variant of new Set([fragment, toUrlSafe(fragment)])) {
      const at = text.indexOf(variant);
      if (at >= 0) return { how: `base64 at alignment ${lead}${depth > 0 ? " inside a decoded string" : ""}`, index: at };
    }
  }
  if (depth >= MAX_DEPTH) return undefined;
  for (const match of text.matchAll(BASE64_RUN)) {
    const run = match[0];
    if (seen.has(run)) continue;
    seen.add(run);
    for (const bytes of decodings(run)) {
      const candidates = [bytes];
      const unzipped = gunzipped(bytes);
      if (unzipped) candidates.push(unzipped);
      for (const candidate of candidates) {
        const hit = search(candidate.toString("latin1"), marker, fragments, depth + 1, seen);
        if (hit) return { how: `${hit.how} (decoded from base64${candidate === unzipped ? " and gunzipped" : ""})`, index: match.index };
      }
    }
  }
  return undefined;
}

/**
 * Where `marker` appears in `text`: in plaintext, in base64 at any alignment, or inside a base64
 * (or base64 of gzip) string nested up to four levels deep. Undefined when it appears nowhere.
 * The hit never includes the text itself, so reporting it prints no secret.
 */
export function findMarker(text: string, marker: string): MarkerHit | undefined {
  return search(text, marker, base64Fragments(marker), 0, new Set());
}

/** One line per text that holds the marker (named, never quoted); empty when none does. */
export function markerLeaks(texts: Iterable<[name: string, text: string]>, marker: string): string[] {
  const leaks: string[] = [];
  for (const [name, text] of texts) {
    const hit = findMarker(text, marker);
    if (hit) leaks.push(`${name}: the secret marker in ${hit.how} at offset ${hit.index}`);
  }
  return leaks;
}
