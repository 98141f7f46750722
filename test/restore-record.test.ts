import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { NO_REAPPLY, RECORD_BACKUPS_KEY, RECORD_LABELS_KEY, batchIndex, decideRestoreWrites, decodeRecord, effectiveRecord, parseReapply, recordData } from "../lib/restore-record";

const labels = ["ClusterIssuer/acme", "Issuer/team/ca", "Certificate/team/web", "Certificate/team/api", "Certificate/other/www"];

describe("decideRestoreWrites: the restore is one-shot", () => {
  test("no record: every object is written, in the backup's order", () => {
    const w = decideRestoreWrites(labels, decodeRecord(undefined), NO_REAPPLY);
    assert.deepEqual(w.write, labels);
    assert.deepEqual(w.leftAsTheyAre, []);
    assert.deepEqual(w.reapplied, []);
  });

  test("objects the record holds are left as they are (even if deleted or edited since); the others are written", () => {
    const record = decodeRecord(recordData(decodeRecord(undefined), ["Certificate/team/web", "ClusterIssuer/acme"], "abc"));
    const w = decideRestoreWrites(labels, record, NO_REAPPLY);
    assert.deepEqual(w.write, ["Issuer/team/ca", "Certificate/team/api", "Certificate/other/www"]);
    assert.deepEqual(w.leftAsTheyAre, ["ClusterIssuer/acme", "Certificate/team/web"]);
  });

  test("reapply names objects written again; \"*\" all of them; nothing else changes", () => {
    const record = decodeRecord({ [RECORD_LABELS_KEY]: labels.join("\n") });
    const named = decideRestoreWrites(labels, record, parseReapply(["Certificate/team/web"], labels, "reapply"));
    assert.deepEqual(named.write, ["Certificate/team/web"]);
    assert.deepEqual(named.reapplied, ["Certificate/team/web"]);
    assert.equal(named.leftAsTheyAre.length, 4);
    const all = decideRestoreWrites(labels, record, parseReapply("*", labels, "reapply"));
    assert.deepEqual(all.write, labels);
    assert.deepEqual(all.reapplied, labels);
    assert.deepEqual(all.leftAsTheyAre, []);
  });
});

describe("the record's ConfigMap data", () => {
  test("a union of labels and backup checksums, sorted, without duplicates: recording twice changes nothing", () => {
    const once = recordData(decodeRecord(undefined), ["Certificate/b/x", "Certificate/a/y"], "sha1");
    const twice = recordData(decodeRecord(once), ["Certificate/a/y"], "sha1");
    assert.deepEqual(twice, once);
    assert.equal(once[RECORD_LABELS_KEY], "Certificate/a/y\nCertificate/b/x");
    const more = decodeRecord(recordData(decodeRecord(once), ["Issuer/a/ca"], "sha2"));
    assert.deepEqual(more.labels, ["Certificate/a/y", "Certificate/b/x", "Issuer/a/ca"]);
    assert.deepEqual(more.backupSha256, ["sha1", "sha2"]);
    assert.deepEqual(Object.keys(once).sort(), [RECORD_BACKUPS_KEY, RECORD_LABELS_KEY].sort(), "labels and checksums only");
  });
});

describe("parseReapply", () => {
  test("absent: nothing; \"*\": all; a list of the backup's labels", () => {
    assert.deepEqual(parseReapply(undefined, labels, "k"), NO_REAPPLY);
    assert.deepEqual(parseReapply("*", labels, "k"), { all: true });
    assert.deepEqual(parseReapply(["*"], labels, "k"), { all: true }, "the stack setting is a list");
    assert.deepEqual(parseReapply(["Issuer/team/ca", "ClusterIssuer/acme", "Issuer/team/ca"], labels, "k"), { all: false, labels: ["ClusterIssuer/acme", "Issuer/team/ca"] });
  });
  test("a label not in the backup, or a wrong type, is a config error naming the key", () => {
    assert.throws(() => parseReapply(["Certificate/team/gone"], labels, "cert-manager-upgrade:reapply"), /^Error: cert-manager-upgrade:reapply: Certificate\/team\/gone not in the backup/);
    assert.throws(() => parseReapply("all", labels, "cert-manager-upgrade:reapply"), /^Error: cert-manager-upgrade:reapply: expected "\*" or a list/);
    assert.throws(() => parseReapply([1], labels, "cert-manager-upgrade:reapply"), /cert-manager-upgrade:reapply/);
  });
});

describe("batchIndex", () => {
  test("depends on the label and the batch count only; spreads labels over every batch", () => {
    assert.equal(batchIndex("Certificate/a/x", 7), batchIndex("Certificate/a/x", 7));
    const seen = new Set(Array.from({ length: 200 }, (_, i) => batchIndex(`Certificate/n/c-${i}`, 4)));
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3]);
    assert.equal(batchIndex("Certificate/a/x", 1), 0);
    assert.throws(() => batchIndex("x", 0), /positive whole number/);
  });
});

describe("effectiveRecord", () => {
  test("the ConfigMap's record when there is one; none while the old release is there (its objects are about to be deleted), even a record from an earlier upgrade", () => {
    const data = recordData(decodeRecord(undefined), ["Certificate/a/x"], "s");
    assert.deepEqual(effectiveRecord(data, { legacyFound: false, liveLabels: ["Certificate/a/y"] }), { labels: ["Certificate/a/x"], backupSha256: ["s"], fromLiveObjects: false });
    assert.deepEqual(effectiveRecord(undefined, { legacyFound: true, liveLabels: ["Certificate/a/y"] }).labels, []);
    assert.deepEqual(effectiveRecord(data, { legacyFound: true, liveLabels: ["Certificate/a/x"] }).labels, [], "every object is deleted with the old CRDs: all restored");
  });
  test("no ConfigMap and the old release gone (upgraded without a record): the objects in the cluster count as restored", () => {
    const r = effectiveRecord(undefined, { legacyFound: false, liveLabels: ["Certificate/a/y", "ClusterIssuer/c"] });
    assert.deepEqual(r, { labels: ["Certificate/a/y", "ClusterIssuer/c"], backupSha256: [], fromLiveObjects: true });
  });
});
