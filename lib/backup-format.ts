// Reading and writing backup files. Parsing is pure: bytes in, objects and problems out.
import { createHash } from "node:crypto";
import * as yaml from "js-yaml";
import {
  BACKUP_FORMAT,
  BACKUP_FORMATS_READ,
  BackupMeta,
  BackupObject,
  CERTMANAGER_API_VERSION,
  CERTMANAGER_GROUP,
  KubeObject,
  META_PREFIX,
  Problem,
  isClusterScoped,
  isRecordOnlyKind,
  isRestoreKind,
  objectLabel,
} from "./types";

export interface ParsedBackup {
  /** cert-manager objects (restorable and record-only), in file order. */
  objects: BackupObject[];
  /** Objects of other API groups: never restored, only named. */
  ignored: Array<{ kind: string; namespace: string; name: string }>;
  meta?: BackupMeta;
  errors: Problem[];
  warnings: Problem[];
}

const DOCUMENT_MARKER = /^---(?:[ \t].*)?$/;
const DOCUMENT_END = /^\.\.\.[ \t]*$/;

/** Splits multi-document YAML at document markers, keeping each document's first line number. */
function splitDocuments(text: string): Array<{ text: string; firstLine: number }> {
  const docs: Array<{ text: string; firstLine: number }> = [];
  const lines = text.split("\n");
  let start = 0;
  const flush = (end: number): void => {
    if (end > start) docs.push({ text: lines.slice(start, end).join("\n"), firstLine: start + 1 });
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (DOCUMENT_MARKER.test(line)) {
      flush(i);
      // The marker line may carry content after "--- " (e.g. "--- {a: 1}"); keep it in the next document.
      const rest = line.slice(3).trim();
      if (rest) {
        lines[i] = rest;
        start = i;
      } else {
        start = i + 1;
      }
    } else if (DOCUMENT_END.test(line)) {
      flush(i);
      start = i + 1;
    }
  }
  flush(lines.length);
  return docs;
}

/** Finds the meta trailer; returns the byte length of what it covers, its JSON text, and whether anything follows it. */
function findMeta(bytes: Buffer): { coveredLength: number; json: string; trailing: boolean } | undefined {
  const marker = Buffer.from(META_PREFIX, "utf8");
  let at = bytes.lastIndexOf(marker);
  while (at > 0 && bytes[at - 1] !== 0x0a) at = bytes.lastIndexOf(marker, at - 1);
  if (at < 0) return undefined;
  const lineEnd = bytes.indexOf(0x0a, at);
  const json = bytes.subarray(at + marker.length, lineEnd < 0 ? bytes.length : lineEnd).toString("utf8");
  const trailing = lineEnd >= 0 && bytes.subarray(lineEnd + 1).toString("utf8").trim() !== "";
  return { coveredLength: at, json, trailing };
}

/** The first line of every backup this project writes (see backupHeader). */
const HEADER_FIRST_LINE = "# cert-manager backup taken by cert-manager-upgrade (scripts/backup.ts)";

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function describeYamlError(err: unknown, file: string, firstLine: number): Problem {
  if (err instanceof yaml.YAMLException && err.mark) {
    const line = firstLine + err.mark.line;
    return { object: `${file}:${line}`, message: `YAML does not parse at line ${line}: ${err.reason}` };
  }
  return { object: file, message: `YAML does not parse: ${(err as Error).message.split("\n")[0]}` };
}

function validateMeta(raw: unknown): BackupMeta | string {
  if (typeof raw !== "object" || raw === null) return "meta is not an object";
  const m = raw as Partial<BackupMeta>;
  if (!(BACKUP_FORMATS_READ as readonly unknown[]).includes(m.format)) {
    return `meta format is ${JSON.stringify(m.format)}, expected ${BACKUP_FORMATS_READ.join(" or ")} (a backup of a newer version of this project?)`;
  }
  if (!m.cluster || typeof m.cluster.kubeSystemUID !== "string") return "meta has no cluster identity";
  if (typeof m.sha256 !== "string") return "meta has no checksum";
  if (!Array.isArray(m.secrets) || !Array.isArray(m.missingTlsSecrets) || !Array.isArray(m.recorded)) {
    return "meta lacks its secret inventory";
  }
  if (m.format === BACKUP_FORMAT && !Array.isArray(m.tlsCertificates)) return "meta lacks its TLS certificate facts";
  if (m.format !== BACKUP_FORMAT && m.tlsCertificates !== undefined) return `meta of format ${m.format} cannot hold TLS certificate facts`;
  if (m.acmeAccountKeys !== undefined && (m.format !== BACKUP_FORMAT || !Array.isArray(m.acmeAccountKeys))) return "meta's ACME account key facts are malformed";
  return m as BackupMeta;
}

/**
 * Parses a backup in any form users have: this project's own file, `kubectl get -o yaml` output
 * (a `kind: List`), or plain multi-document YAML.
 */
export function parseBackup(bytes: Buffer | string, file = "backup"): ParsedBackup {
  const buffer = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const result: ParsedBackup = { objects: [], ignored: [], errors: [], warnings: [] };

  let body = buffer;
  const metaText = findMeta(buffer);
  if (!metaText && buffer.subarray(0, HEADER_FIRST_LINE.length).toString("utf8") === HEADER_FIRST_LINE) {
    // This project's file always ends with its meta line: without it the file was cut short.
    result.errors.push({ object: file, message: "the backup's meta line is missing: the file was truncated; take the backup again or restore the original file" });
  }
  if (metaText?.trailing) {
    result.errors.push({ object: file, message: "the backup has content after its meta line: it was changed after it was taken; take the backup again or restore the original file" });
  }
  if (metaText) {
    body = buffer.subarray(0, metaText.coveredLength);
    let raw: unknown;
    try {
      raw = JSON.parse(metaText.json);
    } catch {
      result.errors.push({ object: file, message: "the backup's meta line is not valid JSON: the file was truncated or edited; take the backup again" });
    }
    if (raw !== undefined) {
      const meta = validateMeta(raw);
      if (typeof meta === "string") {
        result.errors.push({ object: file, message: `the backup's meta line is invalid (${meta}); take the backup again` });
      } else if (sha256Hex(body) !== meta.sha256) {
        result.errors.push({ object: file, message: "checksum mismatch: the backup was changed after it was taken; take the backup again or restore the original file" });
        result.meta = meta;
      } else {
        result.meta = meta;
      }
    }
  }

  const text = body.toString("utf8");
  for (const doc of splitDocuments(text)) {
    let loaded: unknown;
    try {
      loaded = yaml.load(doc.text, { filename: file });
    } catch (err) {
      result.errors.push(describeYamlError(err, file, doc.firstLine));
      continue;
    }
    if (loaded === null || loaded === undefined) continue;
    collectObjects(loaded, doc.firstLine, file, result);
  }

  if (metaText && result.meta === undefined && result.errors.length === 0) {
    result.errors.push({ object: file, message: "the backup's meta line could not be read" });
  }
  findDuplicates(result);
  return result;
}

function collectObjects(value: unknown, line: number, file: string, into: ParsedBackup): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    into.errors.push({ object: `${file}:${line}`, message: "document is not a Kubernetes object (expected a mapping with apiVersion and kind)" });
    return;
  }
  const obj = value as KubeObject;
  if (typeof obj.kind === "string" && obj.kind.endsWith("List") && Array.isArray(obj.items)) {
    for (const item of obj.items as unknown[]) collectObjects(item, line, file, into);
    return;
  }
  const kind = typeof obj.kind === "string" ? obj.kind : "";
  const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
  const name = typeof obj.metadata?.name === "string" ? obj.metadata.name : "";
  const namespace = typeof obj.metadata?.namespace === "string" ? obj.metadata.namespace : "";
  if (!kind || !apiVersion) {
    into.errors.push({ object: `${file}:${line}`, message: "object has no apiVersion or kind" });
    return;
  }
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
  if (group !== CERTMANAGER_GROUP) {
    into.ignored.push({ kind, namespace, name });
    return;
  }
  const label = objectLabel({ kind, namespace, name: name || "?" });
  if (apiVersion !== CERTMANAGER_API_VERSION) {
    into.errors.push({ object: label, message: `unsupported apiVersion ${apiVersion}: cert-manager 0.4-0.6 objects are ${CERTMANAGER_API_VERSION}` });
    return;
  }
  if (!isRestoreKind(kind) && !isRecordOnlyKind(kind)) {
    into.errors.push({ object: label, message: `unknown ${CERTMANAGER_GROUP} kind ${kind}: expected ClusterIssuer, Issuer, Certificate, Order or Challenge` });
    return;
  }
  if (!name) {
    into.errors.push({ object: label, message: "object has no metadata.name" });
    return;
  }
  if (isClusterScoped(kind)) {
    if (namespace) into.warnings.push({ object: label, message: "cluster-scoped object carries a namespace; it is ignored" });
  } else if (!namespace) {
    into.errors.push({ object: label, message: "namespaced object has no metadata.namespace; kubectl output with --all-namespaces always has one" });
    return;
  }
  into.objects.push({ kind, namespace: isClusterScoped(kind) ? "" : namespace, name, object: obj, line });
}

function findDuplicates(into: ParsedBackup): void {
  const seen = new Map<string, BackupObject>();
  for (const o of into.objects) {
    const key = objectLabel(o);
    const first = seen.get(key);
    if (first) {
      into.errors.push({ object: key, message: `duplicate object (first at line ${first.line ?? "?"}, again at line ${o.line ?? "?"})` });
    } else {
      seen.set(key, o);
    }
  }
}

/** The first lines of a backup written by this project: comments, so `kubectl apply -f` ignores them. */
export function backupHeader(meta: Pick<BackupMeta, "takenAt" | "cluster" | "legacyNamespace">): string {
  return [
    HEADER_FIRST_LINE,
    `# taken at ${meta.takenAt} from context ${meta.cluster.context} (${meta.cluster.server}, ${meta.cluster.serverVersion})`,
    "# Restore with `pulumi up` (see README), or by hand with `kubectl apply -f` once the 0.6 CRDs and webhook are up.",
    "# The last line holds facts for the upgrade program (cluster identity, secret inventory, checksum); do not edit this file.",
    "",
  ].join("\n");
}

/** One object as a YAML document. */
export function backupDocument(obj: KubeObject): string {
  return "---\n" + yaml.dump(obj, { noRefs: true, lineWidth: -1, sortKeys: false });
}

export function metaLine(meta: BackupMeta): string {
  return `${META_PREFIX}${JSON.stringify(meta)}\n`;
}
