// Public facts of a TLS Secret's certificate (pure): enough to tell later whether the certificate
// was replaced (re-issued), never the key and never the certificate itself.
import { X509Certificate, createHash, createPrivateKey, createPublicKey } from "node:crypto";

export interface TlsCertificateFacts {
  /** Serial number, hex as Node prints it (upper case, no separators). */
  serial: string;
  /** SHA-256 of the certificate's DER encoding, lower-case hex. */
  sha256: string;
  /** Expiry, ISO 8601 UTC without milliseconds. */
  notAfter: string;
  /** The subject's common name, when it has one. */
  commonName?: string;
  /** DNS names of the subjectAltName extension, in certificate order. */
  dnsNames: string[];
  /** The PEM block type of tls.key (e.g. "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY"), read from its header line only. */
  keyType?: string;
  /**
   * Whether tls.key is the private key of the certificate (public keys compared in memory at backup
   * time; the key itself is never kept). Set only when the key is of a type cert-manager 0.6.2 reads
   * and parses; otherwise keyProblem says why not. Both absent: not checked (a backup taken before
   * this check existed: unknown).
   */
  keyMatchesCertificate?: boolean;
  /** Why tls.key cannot be used by cert-manager 0.6.2 (missing, no PEM block, a type it does not read, does not parse). */
  keyProblem?: string;
  /**
   * How many PEM blocks tls.crt holds, every one of them a certificate: the whole of it was read as
   * cert-manager 0.6.2 reads it. Absent with chainProblem, and in backups taken before every block
   * was checked (issue 19: unknown).
   */
  chainLength?: number;
  /** Set instead of chainLength when a PEM block after the first does not parse as a certificate: 0.6.2 then takes tls.crt for missing. */
  chainProblem?: string;
}

/** The PEM block types cert-manager 0.6.2 reads a TLS key from (pkg/util/pki/parse.go DecodePrivateKeyBytes). */
export const TLS_KEY_TYPES_READ: readonly string[] = ["RSA PRIVATE KEY", "EC PRIVATE KEY"];
/** The PEM block type cert-manager 0.6.2 reads an ACME account key from (pkg/acme/acme.go ReadPrivateKey: RSA only). */
export const ACCOUNT_KEY_TYPES_READ: readonly string[] = ["RSA PRIVATE KEY"];

/** What the backup keeps per Certificate whose TLS Secret existed: its facts, or why there are none. */
export interface TlsCertificateRecord extends Partial<TlsCertificateFacts> {
  namespace: string;
  /** The Certificate's name. */
  certificate: string;
  /** Its spec.secretName. */
  secretName: string;
  /** Set when tls.crt is missing or does not parse (the facts are then absent). */
  problem?: string;
  /**
   * The Secret's cert-manager annotations (keys under certmanager.k8s.io/ and cert-manager.io/ only:
   * issuer name and kind, names; never data), which v1.1.1 compares with the Certificate's issuerRef
   * once they are renamed. Added within format 2: absent in earlier backups (then not known).
   */
  annotations?: Record<string, string>;
}

/** The annotation keys the backup records of a TLS Secret. */
export function certManagerAnnotations(annotations: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(annotations ?? {}).filter(([key]) => key.startsWith("certmanager.k8s.io/") || key.startsWith("cert-manager.io/")).sort(([a], [b]) => a.localeCompare(b)));
}

/** The facts of a live TLS Secret, as verify and the preflight compare them. */
export type LiveTlsCertificate = Partial<TlsCertificateFacts> & { problem?: string; notBefore?: string };

export function isoSeconds(date: string | Date): string {
  return new Date(date).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The block type of the first PEM header in a base64-encoded Secret value, found where Go's
 * pem.Decode (what cert-manager 0.6.2 reads keys with) finds it: at the start or at the start of any
 * line, after explanatory text (RFC 7468). Only the header line is looked at; nothing of the key
 * material is kept or returned.
 */
export function pemBlockType(base64Value: string | undefined): string | undefined {
  if (!base64Value) return undefined;
  const text = Buffer.from(base64Value.replace(/\s+/g, ""), "base64").toString("latin1");
  return /^-----BEGIN ([A-Z0-9 ]{1,40})-----\r?$/m.exec(text)?.[1];
}

function commonNameOf(subject: string | undefined): string | undefined {
  // Node prints the subject one attribute per line ("C=US\nCN=example.com"), and none (undefined)
  // for an empty subject, as ACME servers issue for a CSR without CN.
  if (!subject) return undefined;
  const line = subject.split("\n").reverse().find((l) => l.startsWith("CN="));
  return line?.slice(3);
}

function dnsNamesOf(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  const names: string[] = [];
  // "DNS:a.example.com, DNS:b.example.com"; Node quotes a value that holds special characters as a JSON string.
  const re = /(?:^|, )DNS:("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (let m = re.exec(subjectAltName); m; m = re.exec(subjectAltName)) {
    const value = m[1];
    try {
      names.push(value.startsWith('"') ? (JSON.parse(value) as string) : value);
    } catch {
      names.push(value);
    }
  }
  return names;
}

/**
 * The PEM blocks of a text as Go's pem.Decode, called until it finds no more, returns them (what
 * cert-manager 0.6.2's pki.DecodeX509CertificateChainBytes does with tls.crt): a BEGIN line at the
 * start of a line, optional `Key: value` header lines, a base64 body, the END line of the same type
 * with nothing but whitespace after it. A candidate that is not all of that is skipped, as Go skips
 * it, and so is any text between blocks.
 */
export function goPemBlocks(text: string): Array<{ type: string; bytes: Buffer }> {
  const blocks: Array<{ type: string; bytes: Buffer }> = [];
  const begin = /(?:^|\n)-----BEGIN /g;
  for (let m = begin.exec(text); m; m = begin.exec(text)) {
    const typeStart = m.index + m[0].length;
    const lineEnd = text.indexOf("\n", typeStart);
    const typeLine = text.slice(typeStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, "").replace(/[ \t]+$/, "");
    begin.lastIndex = typeStart;
    if (lineEnd < 0 || !typeLine.endsWith("-----")) continue;
    const type = typeLine.slice(0, -5);
    const endLine = `-----END ${type}-----`;
    const bodyStart = lineEnd + 1;
    const endAt = text.startsWith(endLine, bodyStart) ? bodyStart : text.indexOf(`\n${endLine}`, bodyStart - 1) + 1;
    if (endAt <= 0) continue;
    const afterEnd = endAt + endLine.length;
    const endOfLine = text.indexOf("\n", afterEnd);
    if (text.slice(afterEnd, endOfLine < 0 ? text.length : endOfLine).replace(/\r$/, "").replace(/[ \t]+$/, "") !== "") continue;
    const lines = text.slice(bodyStart, endAt).split("\n");
    while (lines.length && lines[0].includes(":")) lines.shift();
    // Go's base64.StdEncoding: padding required, no other character (newlines are skipped).
    const body = lines.join("").replace(/[ \t\r]/g, "");
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(body)) continue;
    blocks.push({ type, bytes: Buffer.from(body, "base64") });
    begin.lastIndex = endOfLine < 0 ? text.length : endOfLine;
  }
  return blocks;
}

/** x509.ParseCertificate of one DER block; undefined when it does not parse (Go refuses trailing data too). */
function parseDer(der: Buffer): X509Certificate | undefined {
  try {
    const cert = new X509Certificate(der);
    return cert.raw.length === der.length ? cert : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Facts of the certificate in a Secret's base64 `tls.crt`, read as cert-manager 0.6.2 reads it
 * (pkg/util/kube/pki.go SecretTLSKeyPair → pki.DecodeX509CertificateChainBytes): every PEM block,
 * whatever its type, must parse as a certificate, else the whole of tls.crt is invalid and 0.6.2
 * issues anew; the first block is the leaf. Also the PEM block type of its `tls.key`. Returns
 * `{ problem }` when there is no leaf to read; `chainProblem` (the leaf's facts kept) when a later
 * block does not parse.
 */
export function certificateFacts(tlsCrt: string | undefined, tlsKey?: string, checkKey = false): TlsCertificateFacts | { problem: string } {
  if (!tlsCrt) return { problem: "no tls.crt" };
  const blocks = goPemBlocks(Buffer.from(tlsCrt.replace(/\s+/g, ""), "base64").toString("latin1"));
  if (blocks.length === 0) return { problem: "tls.crt does not parse as a certificate: it holds no PEM block" };
  const cert = parseDer(blocks[0].bytes);
  if (!cert) {
    return { problem: blocks[0].type === "CERTIFICATE" ? "tls.crt does not parse as a certificate" : `tls.crt's first PEM block is a ${blocks[0].type} block, which does not parse as a certificate` };
  }
  const facts: TlsCertificateFacts = {
    serial: cert.serialNumber,
    sha256: createHash("sha256").update(cert.raw).digest("hex"),
    notAfter: isoSeconds(cert.validTo),
    dnsNames: dnsNamesOf(cert.subjectAltName),
  };
  const cn = commonNameOf(cert.subject);
  if (cn !== undefined) facts.commonName = cn;
  const keyType = pemBlockType(tlsKey);
  if (keyType !== undefined) facts.keyType = keyType;
  if (checkKey) Object.assign(facts, keyFacts(tlsKey, cert));
  const bad = blocks.findIndex((b, i) => i > 0 && !parseDer(b.bytes));
  if (bad > 0) facts.chainProblem = `PEM block ${bad + 1} of ${blocks.length} in tls.crt (${blocks[bad].type}) does not parse as a certificate`;
  else facts.chainLength = blocks.length;
  return facts;
}

/** The first PEM block of a text, from its BEGIN line to the matching END line, as Go's pem.Decode finds it. */
function firstPemBlock(text: string, type: string): string | undefined {
  const begin = new RegExp(`^-----BEGIN ${type}-----\\r?$`, "m").exec(text);
  if (!begin) return undefined;
  const end = text.indexOf(`-----END ${type}-----`, begin.index);
  return end < 0 ? undefined : text.slice(begin.index, end + `-----END ${type}-----`.length) + "\n";
}

/**
 * Whether a TLS Secret's key can serve its certificate in cert-manager 0.6.2's eyes: present, a PEM
 * block type it reads, parseable, and the private half of the certificate's public key. The key is
 * parsed in memory only to derive its public key; nothing of it is returned.
 */
export function keyFacts(tlsKey: string | undefined, cert: X509Certificate): { keyMatchesCertificate: boolean } | { keyProblem: string } {
  if (!tlsKey) return { keyProblem: "no tls.key" };
  const type = pemBlockType(tlsKey);
  if (type === undefined) return { keyProblem: "tls.key holds no PEM block" };
  if (!TLS_KEY_TYPES_READ.includes(type)) {
    return { keyProblem: `tls.key is a PEM ${type} block${type === "PRIVATE KEY" ? " (PKCS#8)" : ""}, which cert-manager 0.6.2 cannot read (only ${TLS_KEY_TYPES_READ.join(" and ")})` };
  }
  const block = firstPemBlock(Buffer.from(tlsKey.replace(/\s+/g, ""), "base64").toString("latin1"), type);
  try {
    if (!block) throw new Error("no END line");
    const publicKey = createPublicKey(createPrivateKey({ key: block, format: "pem" }));
    const ours = publicKey.export({ type: "spki", format: "der" });
    const theirs = cert.publicKey.export({ type: "spki", format: "der" });
    return { keyMatchesCertificate: ours.equals(theirs) };
  } catch {
    return { keyProblem: `tls.key does not parse as an ${type}` };
  }
}

/** A short form of a fingerprint for messages. */
export function shortSha(sha256: string | undefined): string {
  return sha256 ? `${sha256.slice(0, 12)}…` : "?";
}
