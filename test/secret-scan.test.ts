// The leak detector the end-to-end tests rely on: it must find a marker however a Secret's value
// reached a text (plaintext, base64 at any alignment, base64 inside JSON inside JSON, base64 of
// base64, base64 of gzip), and find nothing where the marker is absent.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as zlib from "node:zlib";
import { MIN_MARKER_LENGTH, base64Fragments, findMarker, markerLeaks } from "./support/secret-scan";

const MARKER = "leak-marker-4242-never-shown";
const b64 = (s: string | Buffer): string => Buffer.from(s).toString("base64");

test("plaintext, anywhere in the text", () => {
  assert.deepEqual(findMarker(`prefix ${MARKER} suffix`, MARKER), { how: "plaintext", index: 7 });
});

test("base64 of a value that holds the marker, at each of the three byte alignments", () => {
  for (let lead = 0; lead < 6; lead++) {
    const value = `${"k".repeat(lead)}${MARKER}-tail`;
    const hit = findMarker(`{"data":{"tls.key":"${b64(value)}"}}`, MARKER);
    assert.ok(hit, `lead ${lead}`);
    assert.match(hit.how, new RegExp(`^base64 at alignment ${lead % 3}`), `lead ${lead}`);
  }
});

test("the old check (the first 16 characters of base64(marker)) misses two alignments out of three; this one does not", () => {
  const oldCheck = (text: string) => text.includes(b64(MARKER).slice(0, 16));
  const seeded = [`acme-prod-key-${MARKER}`, `{"private_key":"${MARKER}"}`, `team-ca-key-${MARKER}`].map((v) => b64(v));
  assert.ok(seeded.some((s) => !oldCheck(s)), "the old check misses a seeded value");
  for (const s of seeded) assert.ok(findMarker(s, MARKER), "every seeded value is found");
});

test("kubectl's last-applied-configuration inside a Pulumi state file (JSON in a JSON string, data in base64)", () => {
  const secret = { apiVersion: "v1", kind: "Secret", metadata: { name: "key", namespace: "kube-system" }, type: "Opaque", data: { "tls.key": b64(`acme-${MARKER}`) } };
  const live = { ...secret, metadata: { ...secret.metadata, annotations: { "kubectl.kubernetes.io/last-applied-configuration": `${JSON.stringify(secret)}\n` } } };
  const state = JSON.stringify({ checkpoint: { latest: { resources: [{ outputs: { ...live, data: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", ciphertext: "v1:abc" } } }] } } }, null, 4);
  const hit = findMarker(state, MARKER);
  assert.ok(hit);
  assert.match(hit.how, /^base64 at alignment/);
  assert.ok(hit.index > state.indexOf("last-applied-configuration"), "found in the annotation, the data being encrypted");
});

test("stringData in last-applied-configuration (plaintext inside a JSON string)", () => {
  const annotation = JSON.stringify({ kind: "Secret", stringData: { password: `p-${MARKER}` } });
  assert.equal(findMarker(JSON.stringify({ annotations: { "kubectl.kubernetes.io/last-applied-configuration": annotation } }), MARKER)?.how, "plaintext");
});

test("nested encodings: base64 of base64, base64 of gzip (Helm's release record), URL-safe base64", () => {
  for (let lead = 0; lead < 3; lead++) {
    const inner = b64(`${"x".repeat(lead)}${MARKER}`);
    const twice = b64(`{"kubeconfig":"${inner}"}`);
    assert.ok(findMarker(`record: ${twice}`, MARKER), `base64 of base64, lead ${lead}`);
    const record = b64(zlib.gzipSync(Buffer.from(JSON.stringify({ config: { secret: `${"y".repeat(lead)}${MARKER}` } }))));
    const hit = findMarker(`{"release":"${record}"}`, MARKER);
    assert.ok(hit, `gzip, lead ${lead}`);
    assert.match(hit.how, /gunzipped/);
    const urlSafe = Buffer.from(`??>${"z".repeat(lead)}${MARKER}~~`).toString("base64url");
    assert.ok(findMarker(`token=${urlSafe}`, MARKER), `URL-safe, lead ${lead}`);
  }
});

test("nothing found where the marker is absent: other values, ciphertext, a near miss, a truncated marker", () => {
  const near = MARKER.replace("4242", "4243");
  const noise = [
    `plain ${near}`,
    b64(`acme-prod-key-${near}`),
    b64(b64(near)),
    b64(zlib.gzipSync(Buffer.from(near))),
    crypto.randomBytes(4096).toString("base64"),
    b64(MARKER.slice(0, MARKER.length - 4)),
    JSON.stringify({ urn: "urn:pulumi:main::cert-manager-upgrade::kubernetes:core/v1:Secret::issuer-secrets-clouddns-service-account" }),
  ];
  for (const text of noise) assert.equal(findMarker(text, MARKER), undefined, text.slice(0, 40));
});

test("every alignment has a fragment; markers too short to be found are refused", () => {
  const fragments = base64Fragments(MARKER);
  assert.equal(fragments.length, 3);
  for (const f of fragments) assert.ok(f.length >= 8 && f.length % 4 === 0, f);
  assert.throws(() => base64Fragments("x".repeat(MIN_MARKER_LENGTH - 1)), /at least/);
});

test("markerLeaks names each text that leaks, never quoting it", () => {
  const leaks = markerLeaks([["state.json", `{"a":"${b64(`zz${MARKER}`)}"}`], ["clean.log", "nothing here"], ["out.txt", MARKER]], MARKER);
  assert.equal(leaks.length, 2);
  assert.match(leaks[0], /^state\.json: the secret marker in base64 at alignment 2/);
  assert.match(leaks[1], /^out\.txt: the secret marker in plaintext/);
  for (const l of leaks) assert.ok(!l.includes(MARKER) && findMarker(l, MARKER) === undefined);
});
