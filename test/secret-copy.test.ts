import { test } from "node:test";
import assert from "node:assert/strict";
import { LAST_APPLIED, kubectlApplied } from "../lib/legacy-seed";
import { COPIED_FROM_ANNOTATION, LAST_APPLIED_ANNOTATION, carriesLastApplied, copyDecision, copySource } from "../lib/secret-copy";
import { findMarker } from "./support/secret-scan";

const MARKER = "copy-marker-never-in-metadata";
const b64 = (s: string) => Buffer.from(s).toString("base64");

test("kubectl apply's annotation, as kubectl writes it: sorted keys, empty annotations kept, HTML escaped, a newline at the end", () => {
  const applied = kubectlApplied({ kind: "Secret", apiVersion: "v1", type: "Opaque", metadata: { namespace: "default", name: "s", labels: { b: "2", a: "1" } }, stringData: { url: "https://x/?a=1&b=<2>" } });
  assert.equal(applied.metadata.annotations![LAST_APPLIED],
    '{"apiVersion":"v1","kind":"Secret","metadata":{"annotations":{},"labels":{"a":"1","b":"2"},"name":"s","namespace":"default"},"stringData":{"url":"https://x/?a=1\\u0026b=\\u003c2\\u003e"},"type":"Opaque"}\n');
  // Applying again records the manifest, not the previous annotation.
  const again = kubectlApplied(applied);
  assert.equal(again.metadata.annotations![LAST_APPLIED], applied.metadata.annotations![LAST_APPLIED]);
  assert.equal(LAST_APPLIED, LAST_APPLIED_ANNOTATION);
});

test("a copy takes the source's type and data only: its metadata, kubectl's annotation above all, stays behind", () => {
  const source = kubectlApplied({ apiVersion: "v1", kind: "Secret", type: "kubernetes.io/tls", metadata: { name: "ca", namespace: "kube-system", annotations: { team: "a" } }, data: { "tls.key": b64(`k-${MARKER}`), "tls.crt": b64("crt") } });
  assert.ok(findMarker(JSON.stringify(source.metadata), MARKER), "the source's metadata holds the value");
  const copy = copySource(source);
  assert.deepEqual(Object.keys(copy).sort(), ["data", "type"]);
  assert.equal(copy.type, "kubernetes.io/tls");
  assert.deepEqual(copy.data, source.data);
  assert.deepEqual(copySource({}), { type: "Opaque", data: {} });
});

test("an existing copy carrying kubectl's annotation is recognised, an empty one too (so the copy stays stable once emptied)", () => {
  assert.equal(carriesLastApplied(undefined), false);
  assert.equal(carriesLastApplied({ metadata: {} }), false);
  assert.equal(carriesLastApplied({ metadata: { annotations: { other: "x" } } }), false);
  assert.equal(carriesLastApplied({ metadata: { annotations: { [LAST_APPLIED]: '{"data":{}}\n' } } }), true);
  assert.equal(carriesLastApplied({ metadata: { annotations: { [LAST_APPLIED]: "" } } }), true);
});

test("a copy is made once: this program's own is kept with its own data; one someone else made is taken over or left when it holds the source's data, refused when it differs", () => {
  const source = { type: "Opaque", data: { "tls.key": b64("k") } };
  const ours = { type: "Opaque", data: { "tls.key": b64("rotated") }, metadata: { annotations: { [COPIED_FROM_ANNOTATION]: "kube-system/x" } } };
  for (const ssa of [true, false]) {
    assert.deepEqual(copyDecision(source, undefined, false, ssa), { action: "copy" }, "none yet");
    assert.deepEqual(copyDecision(source, ours, false, ssa), { action: "keep", differs: true, importExisting: !ssa }, "this program's own, rotated since: kept, never overwritten");
    assert.deepEqual(copyDecision(source, { ...ours, data: source.data }, false, ssa), { action: "keep", differs: false, importExisting: !ssa });
    assert.deepEqual(copyDecision(ours, ours, true, ssa), { action: "keep", differs: false, importExisting: !ssa }, "the source was cleaned up: the copy is all there is");
    const same = ssa ? { action: "take-over" } : { action: "leave" };
    assert.deepEqual(copyDecision(source, { type: "Opaque", data: { "tls.key": b64("k") } }, false, ssa), same);
    assert.deepEqual(copyDecision(source, { data: { "tls.key": b64("k") } }, false, ssa), same, "no type is Opaque");
    const only = { type: "Opaque", data: { "tls.key": b64("only") } };
    assert.deepEqual(copyDecision(only, only, true, ssa), same, "someone else's, and the only one");
    // Server-side apply with patchForce would have written the source over it: refused in both modes.
    assert.deepEqual(copyDecision(source, { type: "Opaque", data: { "tls.key": b64("other") } }, false, ssa), { action: "differs" });
    assert.deepEqual(copyDecision(source, { type: "Opaque", data: { "tls.key": b64("k"), extra: b64("e") } }, false, ssa), { action: "differs" }, "a key more");
    assert.deepEqual(copyDecision(source, { type: "kubernetes.io/tls", data: { "tls.key": b64("k") } }, false, ssa), { action: "differs" }, "another type");
  }
});
