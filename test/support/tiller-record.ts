// Builds Helm 2 (Tiller) release records the way Tiller writes them, for tests: a protobuf
// hapi.release.Release (only the fields the program reads, plus a few it must skip), gzipped,
// base64-encoded. A tiny protobuf encoder, independent of the decoder under test.
import { gzipSync } from "node:zlib";

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return Buffer.from(out);
}

const tag = (field: number, wire: number): Buffer => varint((field << 3) | wire);

/** A length-delimited field (string, bytes or embedded message). */
export function lenField(field: number, value: string | Buffer): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : value;
  return Buffer.concat([tag(field, 2), varint(bytes.length), bytes]);
}

export function varintField(field: number, value: number): Buffer {
  return Buffer.concat([tag(field, 0), varint(value)]);
}

export function fixed32Field(field: number, value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return Buffer.concat([tag(field, 5), b]);
}

export function fixed64Field(field: number, value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return Buffer.concat([tag(field, 1), b]);
}

export interface TillerReleaseSpec {
  name: string;
  chartName: string;
  chartVersion: string;
  namespace?: string;
  revision?: number;
}

/** hapi.release.Release: name=1, info=2, chart=3 (Chart: metadata=1, templates=2; Metadata: name=1, home=2, version=4, description=5), config=4, manifest=5, version=7, namespace=8. */
export function releaseProto(spec: TillerReleaseSpec): Buffer {
  const metadata = Buffer.concat([
    lenField(1, spec.chartName),
    lenField(2, "https://github.com/jetstack/cert-manager"),
    lenField(4, spec.chartVersion),
    lenField(5, "A Helm chart for cert-manager"),
  ]);
  const template = Buffer.concat([lenField(1, "templates/deployment.yaml"), lenField(2, Buffer.from("apiVersion: apps/v1beta1\nkind: Deployment\n"))]);
  const chart = Buffer.concat([lenField(1, metadata), lenField(2, template)]);
  const info = Buffer.concat([lenField(1, varintField(1, 1)), lenField(5, "Install complete")]); // status {code: DEPLOYED}, description
  return Buffer.concat([
    lenField(1, spec.name),
    lenField(2, info),
    lenField(3, chart),
    lenField(4, lenField(1, "webhook:\n  enabled: false\n")),
    lenField(5, "---\n# Source: cert-manager/templates/deployment.yaml\n"),
    varintField(7, spec.revision ?? 1),
    lenField(8, spec.namespace ?? "kube-system"),
  ]);
}

/** What Tiller stores under data.release: base64(gzip(protobuf)). */
export function tillerReleaseData(spec: TillerReleaseSpec, options: { gzip?: boolean } = {}): string {
  const proto = releaseProto(spec);
  return (options.gzip === false ? proto : gzipSync(proto)).toString("base64");
}

/** A Tiller ConfigMap or Secret (`--storage=secret`) holding the record, as the API returns it. */
export function tillerRecordObject(kind: "ConfigMap" | "Secret", namespace: string, spec: TillerReleaseSpec, data = tillerReleaseData(spec)) {
  const revision = spec.revision ?? 1;
  const metadata = { name: `${spec.name}.v${revision}`, namespace, labels: { OWNER: "TILLER", NAME: spec.name, STATUS: "DEPLOYED", VERSION: String(revision) } };
  // A Secret's data is base64 of the bytes; Tiller's bytes are the (already base64) text.
  return kind === "ConfigMap" ? { metadata, data: { release: data } } : { metadata, type: "Opaque", data: { release: Buffer.from(data, "utf8").toString("base64") } };
}
