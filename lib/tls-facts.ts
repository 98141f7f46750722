// Public facts of a TLS Secret's certificate (pure): enough to tell later whether the certificate
// was replaced (re-issued), never the key and never the certificate itself.
import { X509Certificate, createHash } from "node:crypto";

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
}

/** What the backup keeps per Certificate whose TLS Secret existed: its facts, or why there are none. */
export interface TlsCertificateRecord extends Partial<TlsCertificateFacts> {
  namespace: string;
  /** The Certificate's name. */
  certificate: string;
  /** Its spec.secretName. */
  secretName: string;
  /** Set when tls.crt is missing or does not parse (the facts are then absent). */
  problem?: string;
}

/** The facts of a live TLS Secret, as verify and the preflight compare them. */
export type LiveTlsCertificate = Partial<TlsCertificateFacts> & { problem?: string };

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

function commonNameOf(subject: string): string | undefined {
  // Node prints the subject one attribute per line ("C=US\nCN=example.com").
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
 * Facts of the first certificate in a Secret's base64 `tls.crt` (the leaf when it holds a chain),
 * and the PEM block type of its `tls.key`. Returns `{ problem }` when there is no certificate to read.
 */
export function certificateFacts(tlsCrt: string | undefined, tlsKey?: string): TlsCertificateFacts | { problem: string } {
  if (!tlsCrt) return { problem: "no tls.crt" };
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(tlsCrt, "base64"));
  } catch {
    return { problem: "tls.crt does not parse as a certificate" };
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
  return facts;
}

/** A short form of a fingerprint for messages. */
export function shortSha(sha256: string | undefined): string {
  return sha256 ? `${sha256.slice(0, 12)}…` : "?";
}
