// Issue 10, item 5: Helm release records are decoded and matched on the 0.4 chart, never by name
// alone; Tiller (Helm 2) records are read from ConfigMaps and Secrets; one that cannot be read is
// reported, never deleted. Records here are built by a separate tiny protobuf encoder
// (test/support/tiller-record.ts), written from helm v2's _proto/hapi files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { ReleaseRecordError, classifyReleaseRecords, decodeTillerRelease, decodeReleaseRecord } from "../lib/release-records";
import { fixed32Field, fixed64Field, lenField, releaseProto, tillerRecordObject, tillerReleaseData, varintField } from "./support/tiller-record";

const CM_041 = { name: "cert-manager", chartName: "cert-manager", chartVersion: "v0.4.1", namespace: "kube-system", revision: 2 };

test("a Tiller record (base64 of gzipped protobuf) decodes to its release name, chart and version", () => {
  assert.deepEqual(decodeTillerRelease(tillerReleaseData(CM_041)), { name: "cert-manager", namespace: "kube-system", revision: 2, chartName: "cert-manager", chartVersion: "v0.4.1" });
  // Tiller before compression stored the protobuf uncompressed.
  assert.equal(decodeTillerRelease(tillerReleaseData(CM_041, { gzip: false })).chartVersion, "v0.4.1");
});

test("the reader skips fields it does not need, in any order, and merges a repeated embedded message", () => {
  const metadataA = lenField(1, "cert-manager");
  const metadataB = Buffer.concat([lenField(3, "https://example.com/src"), lenField(4, "v0.3.2"), lenField(7, lenField(1, "maintainer"))]);
  const proto = Buffer.concat([
    fixed64Field(99, 123n),
    lenField(8, "certs"),
    lenField(3, lenField(1, metadataA)),
    fixed32Field(98, 7),
    varintField(7, 300),
    lenField(3, lenField(1, metadataB)), // a second occurrence is merged into the first (protobuf semantics)
    lenField(1, "old-name"),
    lenField(1, "cert-manager"), // the last scalar wins
  ]);
  assert.deepEqual(decodeTillerRelease(gzipSync(proto).toString("base64")), { name: "cert-manager", namespace: "certs", revision: 300, chartName: "cert-manager", chartVersion: "v0.3.2" });
});

test("anything that is not a readable record is an error with a reason, never a guess", () => {
  const fails = (data: string, reason: RegExp) =>
    assert.throws(() => decodeTillerRelease(data), (e: Error) => e instanceof ReleaseRecordError && reason.test(e.message), String(reason));
  fails("", /empty/);
  fails("not base64 at all!", /not base64/);
  fails(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]).toString("base64"), /gzip/);
  const proto = releaseProto(CM_041);
  fails(gzipSync(proto.subarray(0, proto.length - 5)).toString("base64"), /truncated/);
  fails(gzipSync(Buffer.from([0x0b, 0x0c])).toString("base64"), /wire type/); // field 1 as a group
  fails(gzipSync(lenField(1, Buffer.from([0xff, 0xfe, 0xfd]))).toString("base64"), /UTF-8/);
  fails(gzipSync(lenField(1, "cert-manager")).toString("base64"), /no chart/);
  fails(gzipSync(Buffer.concat([lenField(1, "cert-manager"), lenField(3, lenField(1, lenField(1, "cert-manager")))])).toString("base64"), /no chart version/);
  // The e2e test's old placeholder: a gzip of nothing is no release at all.
  fails("H4sIAAAAAAAC/wEAAP//AAAAAAAAAAA=", /no release name/);
});

test("ConfigMap and Secret (--storage=secret) records decode alike; Helm 3 records too", () => {
  const cm = tillerRecordObject("ConfigMap", "kube-system", CM_041);
  const secret = tillerRecordObject("Secret", "tiller", CM_041);
  for (const [kind, obj] of [["ConfigMap", cm], ["Secret", secret]] as const) {
    const d = decodeReleaseRecord({ storage: "helm2", kind, namespace: obj.metadata.namespace, name: obj.metadata.name, data: obj.data.release });
    assert.deepEqual(d, { ok: true, releaseName: "cert-manager", chartName: "cert-manager", chartVersion: "v0.4.1" }, kind);
  }
  const helm3Json = Buffer.from(gzipSync(JSON.stringify({ name: "cert-manager", chart: { metadata: { name: "cert-manager", version: "v0.4.1" } } }))).toString("base64");
  const helm3 = decodeReleaseRecord({ storage: "helm3", kind: "Secret", namespace: "kube-system", name: "sh.helm.release.v1.cert-manager.v1", data: Buffer.from(helm3Json).toString("base64") });
  assert.deepEqual(helm3, { ok: true, releaseName: "cert-manager", chartName: "cert-manager", chartVersion: "v0.4.1" });
  const bad = decodeReleaseRecord({ storage: "helm3", kind: "Secret", namespace: "kube-system", name: "x", data: Buffer.from("garbage").toString("base64") });
  assert.equal(bad.ok, false);
});

test("only 0.4 (or older) cert-manager records of this release are removed; others are left alone; unreadable ones are reported", () => {
  const rec = (kind: "ConfigMap" | "Secret", namespace: string, spec: typeof CM_041, data?: string) => {
    const o = tillerRecordObject(kind, namespace, spec, data);
    return { storage: "helm2" as const, kind, namespace, name: o.metadata.name, data: o.data.release };
  };
  const result = classifyReleaseRecords([
    rec("ConfigMap", "tiller", { ...CM_041, revision: 1, chartVersion: "v0.3.0" }),
    rec("Secret", "tiller", CM_041),
    rec("Secret", "tiller", { ...CM_041, revision: 3, chartVersion: "v0.6.6" }),
    rec("ConfigMap", "tiller", { ...CM_041, revision: 4, chartName: "nginx-ingress", chartVersion: "0.4.1" }),
    rec("ConfigMap", "tiller", { ...CM_041, revision: 5, name: "someone-else" }),
    rec("ConfigMap", "tiller", { ...CM_041, revision: 6 }, "H4sIAAAAAAAC/wEAAP//AAAAAAAAAAA="),
  ], "cert-manager");
  assert.deepEqual(result.remove.map((o) => `${o.kind} ${o.namespace}/${o.name}`), ["ConfigMap tiller/cert-manager.v1", "Secret tiller/cert-manager.v2"]);
  assert.equal(result.chartVersion, "v0.4.1", "the newest 0.4 revision's version");
  assert.deepEqual(result.leftAlone, [
    "Secret tiller/cert-manager.v3 (chart cert-manager-v0.6.6)",
    "ConfigMap tiller/cert-manager.v4 (chart nginx-ingress-0.4.1)",
    "ConfigMap tiller/someone-else.v5 (release someone-else)",
  ]);
  assert.equal(result.unreadable.length, 1);
  assert.match(result.unreadable[0], /^ConfigMap tiller\/cert-manager\.v6: no release name/);
});
