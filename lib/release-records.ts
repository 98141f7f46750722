// Helm release records (pure): decoding Helm 2 (Tiller) and Helm 3 records and deciding which of
// them belong to the old cert-manager 0.4 release. A record is matched on what it holds (release
// name, chart name and version), never on its labels alone, and one that cannot be read is
// reported, never deleted.
import { gunzipSync } from "node:zlib";
import { LegacyObject, isLegacyChartLabel } from "./legacy";

export class ReleaseRecordError extends Error {}

/** The few fields of hapi.release.Release the program needs. */
export interface TillerRelease {
  name: string;
  namespace?: string;
  revision?: number;
  chartName: string;
  chartVersion: string;
}

interface ProtoField {
  field: number;
  wire: number;
  /** Length-delimited payload (wire type 2). */
  bytes?: Buffer;
  /** Varint value (wire type 0). */
  varint?: bigint;
}

function readVarint(buf: Buffer, start: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  let pos = start;
  for (;;) {
    if (pos >= buf.length) throw new ReleaseRecordError("protobuf truncated (in a varint)");
    const byte = buf[pos++];
    result |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [result, pos];
    shift += 7n;
    if (shift > 63n) throw new ReleaseRecordError("protobuf varint longer than 10 bytes");
  }
}

/** A minimal protobuf wire-format reader: every field of one message, in order. */
function readMessage(buf: Buffer): ProtoField[] {
  const fields: ProtoField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ReleaseRecordError("protobuf field number 0");
    if (wire === 0) {
      const [value, next] = readVarint(buf, pos);
      fields.push({ field, wire, varint: value });
      pos = next;
    } else if (wire === 2) {
      const [length, next] = readVarint(buf, pos);
      const end = next + Number(length);
      if (length > BigInt(buf.length) || end > buf.length) throw new ReleaseRecordError("protobuf truncated (a field runs past the end)");
      fields.push({ field, wire, bytes: buf.subarray(next, end) });
      pos = end;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
      if (pos > buf.length) throw new ReleaseRecordError("protobuf truncated (in a fixed-size field)");
    } else {
      throw new ReleaseRecordError(`protobuf wire type ${wire} (field ${field}) is not used by Helm's records`);
    }
  }
  return fields;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function lastString(fields: ProtoField[], field: number, what: string): string | undefined {
  const found = fields.filter((f) => f.field === field);
  if (found.length === 0) return undefined;
  const last = found[found.length - 1];
  if (last.bytes === undefined) throw new ReleaseRecordError(`${what} is not a string`);
  try {
    return utf8.decode(last.bytes);
  } catch {
    throw new ReleaseRecordError(`${what} is not valid UTF-8`);
  }
}

/** An embedded message; several occurrences merge, as protobuf parsers do (concatenation). */
function embedded(fields: ProtoField[], field: number, what: string): ProtoField[] | undefined {
  const found = fields.filter((f) => f.field === field);
  if (found.length === 0) return undefined;
  if (found.some((f) => f.bytes === undefined)) throw new ReleaseRecordError(`${what} is not a message`);
  return readMessage(Buffer.concat(found.map((f) => f.bytes!)));
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const GZIP_MAGIC = [0x1f, 0x8b, 0x08];
/** A release record is a few MiB at most; refuse to inflate anything far larger. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;

function strictBase64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  if (compact === "") throw new ReleaseRecordError(`${what} is empty`);
  if (!BASE64.test(compact)) throw new ReleaseRecordError(`${what} is not base64`);
  return Buffer.from(compact, "base64");
}

function maybeGunzip(bytes: Buffer): Buffer {
  if (bytes.length < 3 || !GZIP_MAGIC.every((b, i) => bytes[i] === b)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (err) {
    throw new ReleaseRecordError(`gzip data cannot be inflated (${(err as Error).message.split("\n")[0]})`);
  }
}

/**
 * Decodes what Tiller stores under `data.release`: base64(gzip(protobuf hapi.release.Release)), or
 * without gzip from before Tiller compressed. Field numbers from helm v2's _proto/hapi:
 * Release.name=1, Release.chart=3, Release.version=7, Release.namespace=8; Chart.metadata=1;
 * Metadata.name=1, Metadata.version=4.
 */
export function decodeTillerRelease(text: string): TillerRelease {
  const proto = maybeGunzip(strictBase64(text, "the record"));
  const release = readMessage(proto);
  const name = lastString(release, 1, "Release.name");
  if (!name) throw new ReleaseRecordError("no release name in the record");
  const chart = embedded(release, 3, "Release.chart");
  const metadata = chart ? embedded(chart, 1, "Chart.metadata") : undefined;
  if (!metadata) throw new ReleaseRecordError("no chart metadata in the record");
  const chartName = lastString(metadata, 1, "Metadata.name");
  const chartVersion = lastString(metadata, 4, "Metadata.version");
  if (!chartName) throw new ReleaseRecordError("no chart name in the record");
  if (!chartVersion) throw new ReleaseRecordError("no chart version in the record");
  const namespace = lastString(release, 8, "Release.namespace");
  const versions = release.filter((f) => f.field === 7 && f.varint !== undefined);
  const revision = versions.length > 0 ? Number(versions[versions.length - 1].varint) : undefined;
  return { name, ...(namespace ? { namespace } : {}), ...(revision !== undefined ? { revision } : {}), chartName, chartVersion };
}

/** Helm 3 stores base64(gzip(JSON)) as the Secret's bytes (so the API shows it base64 once more). */
export function decodeHelm3Text(text: string): { name: string; chartName: string; chartVersion: string } {
  const bytes = maybeGunzip(strictBase64(text, "the record"));
  let json: { name?: unknown; chart?: { metadata?: { name?: unknown; version?: unknown } } };
  try {
    json = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new ReleaseRecordError("the record is not JSON");
  }
  const name = json?.name;
  const chartName = json?.chart?.metadata?.name;
  const chartVersion = json?.chart?.metadata?.version;
  if (typeof name !== "string" || !name) throw new ReleaseRecordError("no release name in the record");
  if (typeof chartName !== "string" || typeof chartVersion !== "string" || !chartName || !chartVersion) throw new ReleaseRecordError("no chart name or version in the record");
  return { name, chartName, chartVersion };
}

export interface ReleaseRecordInput {
  /** helm2: Tiller's ConfigMaps/Secrets (OWNER=TILLER); helm3: Secrets of type helm.sh/release.v1 (owner=helm). */
  storage: "helm2" | "helm3";
  kind: "ConfigMap" | "Secret";
  namespace: string;
  name: string;
  /** `data.release` as the API returns it (for a Secret: base64 of the stored bytes). */
  data: string | undefined;
}

export type DecodedRecord =
  | { ok: true; releaseName: string; chartName: string; chartVersion: string }
  | { ok: false; reason: string };

export function decodeReleaseRecord(record: ReleaseRecordInput): DecodedRecord {
  try {
    if (record.data === undefined) throw new ReleaseRecordError("it has no data.release");
    // A Secret's data is base64 of the bytes the client stored; those bytes are the record's text.
    const text = record.kind === "Secret" ? strictBase64(record.data, "the Secret's data.release").toString("latin1") : record.data;
    if (record.storage === "helm2") {
      const r = decodeTillerRelease(text);
      return { ok: true, releaseName: r.name, chartName: r.chartName, chartVersion: r.chartVersion };
    }
    const r = decodeHelm3Text(text);
    return { ok: true, releaseName: r.name, chartName: r.chartName, chartVersion: r.chartVersion };
  } catch (err) {
    if (err instanceof ReleaseRecordError) return { ok: false, reason: err.message };
    throw err;
  }
}

export function describeRecord(r: { kind: string; namespace: string; name: string }): string {
  return `${r.kind} ${r.namespace}/${r.name}`;
}

/** cert-manager 0.4 or older, the only chart whose release this program removes. */
export function isLegacyCertManagerChart(chartName: string, chartVersion: string): boolean {
  return chartName === "cert-manager" && isLegacyChartLabel(`cert-manager-${chartVersion}`);
}

export interface RecordSelection {
  /** Records of the 0.4 release: removed with it. */
  remove: LegacyObject[];
  /** The chart version of the last record removed (in list order), if any. */
  chartVersion?: string;
  /** Records that decode but are not this release's 0.4 chart: never touched ("Secret ns/name (chart x)"). */
  leftAlone: string[];
  /** Records that cannot be decoded: neither removed nor trusted ("ConfigMap ns/name: reason"). */
  unreadable: string[];
}

export function classifyReleaseRecords(records: ReleaseRecordInput[], releaseName: string): RecordSelection {
  const selection: RecordSelection = { remove: [], leftAlone: [], unreadable: [] };
  for (const record of records) {
    const decoded = decodeReleaseRecord(record);
    if (!decoded.ok) {
      selection.unreadable.push(`${describeRecord(record)}: ${decoded.reason}`);
    } else if (decoded.releaseName !== releaseName) {
      selection.leftAlone.push(`${describeRecord(record)} (release ${decoded.releaseName})`);
    } else if (!isLegacyCertManagerChart(decoded.chartName, decoded.chartVersion)) {
      selection.leftAlone.push(`${describeRecord(record)} (chart ${decoded.chartName}-${decoded.chartVersion})`);
    } else {
      selection.remove.push({ apiVersion: "v1", kind: record.kind, namespace: record.namespace, name: record.name });
      selection.chartVersion = decoded.chartVersion;
    }
  }
  return selection;
}
