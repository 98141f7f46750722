// The pre-step: stream issuers, clusterissuers and certificates from a cluster into a backup file.
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { backupDocument, backupHeader, metaLine, parseBackup } from "./backup-format";
import { CliError, Progress } from "./cli";
import { RetryLog, clusterIdentity, listCertManagerKind, listSecrets, readSecret } from "./kube";
import { findSecretRefs } from "./secret-refs";
import { TlsCertificateRecord, certManagerAnnotations, certificateFacts, pemBlockType } from "./tls-facts";
import {
  AccountKeyRecord,
  BACKUP_FORMAT,
  BackupMeta,
  CERTMANAGER_API_VERSION,
  CertManagerKind,
  KIND_PLURALS,
  KubeObject,
  ObjectRef,
  RECORD_ONLY_KINDS,
  RESTORE_KINDS,
  SecretInventoryEntry,
} from "./types";

export interface BackupOptions {
  out: string;
  legacyNamespace: string;
  force: boolean;
  pageSize: number;
}

export interface BackupResult {
  file: string;
  previous?: string;
  meta: BackupMeta;
  retries: string[];
}

/** Default path: one folder per kube context under backups/. */
export function defaultBackupPath(context: string, root = "backups"): string {
  const safe = context.replace(/[^A-Za-z0-9._-]+/g, "_") || "default";
  return path.join(root, safe, "cert-manager-backup.yaml");
}

/** How many restorable objects an existing backup holds (0 when it is unreadable or empty). */
export function countRestorable(file: string): number {
  const parsed = parseBackup(fs.readFileSync(file), file);
  if (parsed.meta && parsed.errors.length === 0) {
    return RESTORE_KINDS.reduce((sum, kind) => sum + (parsed.meta?.counts[kind] ?? 0), 0);
  }
  return parsed.objects.filter((o) => (RESTORE_KINDS as readonly string[]).includes(o.kind)).length;
}

/** Writes into a temporary file beside the target; commit() makes it the backup atomically. */
class AtomicFile {
  readonly temp: string;
  private readonly fd: number;
  private readonly hash = createHash("sha256");
  bytes = 0;

  constructor(readonly target: string) {
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    this.temp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
    this.fd = fs.openSync(this.temp, "wx", 0o600);
  }

  write(text: string, hashed = true): void {
    const buffer = Buffer.from(text, "utf8");
    if (hashed) this.hash.update(buffer);
    fs.writeSync(this.fd, buffer);
    this.bytes += buffer.length;
  }

  digest(): string {
    return this.hash.digest("hex");
  }

  /** Moves an existing target aside (never deleted), then renames the temporary file over it. */
  commit(): string | undefined {
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    let previous: string | undefined;
    if (fs.existsSync(this.target)) {
      const stamp = fs.statSync(this.target).mtime.toISOString().replace(/[:.]/g, "-");
      const base = this.target.replace(/\.yaml$/, "") + `.${stamp}`;
      previous = `${base}.yaml`;
      // rename() replaces an existing file: never let an older kept backup be overwritten.
      for (let n = 1; fs.existsSync(previous); n++) previous = `${base}-${n}.yaml`;
      fs.renameSync(this.target, previous);
    }
    fs.renameSync(this.temp, this.target);
    const dir = fs.openSync(path.dirname(this.target), "r");
    fs.fsyncSync(dir);
    fs.closeSync(dir);
    return previous;
  }

  abort(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    fs.rmSync(this.temp, { force: true });
  }
}

function refOf(kind: string, obj: KubeObject): ObjectRef {
  return { kind, namespace: obj.metadata?.namespace ?? "", name: obj.metadata?.name ?? "" };
}

export async function takeBackup(kc: k8s.KubeConfig, options: BackupOptions, progress: Progress): Promise<BackupResult> {
  const retries = new RetryLog();
  const cluster = await clusterIdentity(kc, retries);
  const previousCount = fs.existsSync(options.out) ? countRestorable(options.out) : 0;

  const counts = { ClusterIssuer: 0, Issuer: 0, Certificate: 0, Order: 0, Challenge: 0 } as Record<CertManagerKind, number>;
  const recorded: ObjectRef[] = [];
  const wantedSecrets = new Map<string, { namespace: string; name: string }>();
  /** ACME issuers' account key references, filled in once the Secrets are read. */
  const accountKeyRefs: Array<Omit<AccountKeyRecord, "secretExists" | "keyPresent" | "keyType">> = [];
  /** "namespace/secretName" → the Certificates (names) that use it. */
  const tlsSecrets = new Map<string, string[]>();
  const takenAt = new Date().toISOString();

  const file = new AtomicFile(options.out);
  try {
    file.write(backupHeader({ takenAt, cluster, legacyNamespace: options.legacyNamespace }));
    for (const kind of RESTORE_KINDS) {
      await listCertManagerKind(kc, KIND_PLURALS[kind], options.pageSize, (items) => {
        for (const item of items) {
          // The API server sends apiVersion and kind with every custom resource in a list; should one
          // lack them, fill them in so that the file stays applyable as-is.
          file.write(backupDocument({ apiVersion: item.apiVersion ?? CERTMANAGER_API_VERSION, kind, ...item }));
          counts[kind]++;
          const namespace = item.metadata?.namespace ?? "";
          if (kind === "Certificate") {
            const secretName = item.spec?.secretName;
            if (typeof secretName === "string" && secretName) {
              const key = `${namespace}/${secretName}`;
              tlsSecrets.set(key, [...(tlsSecrets.get(key) ?? []), item.metadata?.name ?? ""]);
            }
          } else {
            const secretNamespace = kind === "ClusterIssuer" ? options.legacyNamespace : namespace;
            for (const ref of findSecretRefs(item.spec)) {
              wantedSecrets.set(`${secretNamespace}/${ref.name}`, { namespace: secretNamespace, name: ref.name });
              if (ref.purpose === "acme-account-key") {
                accountKeyRefs.push({
                  issuerKind: kind, issuerNamespace: kind === "ClusterIssuer" ? "" : namespace, issuer: item.metadata?.name ?? "",
                  // cert-manager reads "tls.key" when the reference has no key (pkg/acme PrivateKeySelector).
                  secretNamespace, secretName: ref.name, key: ref.key || "tls.key",
                });
              }
            }
          }
        }
        progress.update(`read ${counts.ClusterIssuer} clusterissuers, ${counts.Issuer} issuers, ${counts.Certificate} certificates`);
      }, retries);
    }
    for (const kind of RECORD_ONLY_KINDS) {
      await listCertManagerKind(kc, KIND_PLURALS[kind], options.pageSize, (items) => {
        for (const item of items) {
          recorded.push(refOf(kind, item));
          counts[kind]++;
        }
      }, retries);
    }

    const total = counts.ClusterIssuer + counts.Issuer + counts.Certificate;
    if (total === 0 && !options.force) {
      throw new CliError(
        `the cluster of context ${cluster.context} has no Issuer, ClusterIssuer or Certificate: nothing written` +
          (previousCount > 0 ? ` (the existing backup ${options.out} with ${previousCount} objects is kept)` : "") +
          "; was the old release already deleted?",
      );
    }
    if (total < previousCount && !options.force) {
      throw new CliError(
        `refusing to replace ${options.out} (${previousCount} objects) with a smaller backup (${total} objects): ` +
          "objects may already be gone from the cluster; keep the old file, or pass --force if the difference is expected",
      );
    }

    const secrets: SecretInventoryEntry[] = [];
    /** Of each account key Secret, only whether it exists and its data keys' PEM block types: the key is dropped at once. */
    const accountKeySecrets = new Map<string, { exists: boolean; pemTypes: Map<string, string | undefined> }>();
    const accountKeySecretNames = new Set(accountKeyRefs.map((r) => `${r.secretNamespace}/${r.secretName}`));
    for (const { namespace, name } of [...wantedSecrets.values()].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))) {
      const secret = await readSecret(kc, namespace, name, retries);
      secrets.push({ namespace, name, exists: secret !== undefined, keys: Object.keys(secret?.data ?? {}).sort() });
      if (accountKeySecretNames.has(`${namespace}/${name}`)) {
        const pemTypes = new Map(Object.entries(secret?.data ?? {}).map(([k, v]) => [k, pemBlockType(v)]));
        accountKeySecrets.set(`${namespace}/${name}`, { exists: secret !== undefined, pemTypes });
      }
    }
    const acmeAccountKeys: AccountKeyRecord[] = accountKeyRefs.map((r) => {
      const found = accountKeySecrets.get(`${r.secretNamespace}/${r.secretName}`);
      const keyType = found?.pemTypes.get(r.key);
      return { ...r, secretExists: found?.exists ?? false, keyPresent: found?.pemTypes.has(r.key) ?? false, ...(keyType ? { keyType } : {}) };
    }).sort((a, b) => a.issuerKind.localeCompare(b.issuerKind) || a.issuerNamespace.localeCompare(b.issuerNamespace) || a.issuer.localeCompare(b.issuer));
    const existingTls = new Set<string>();
    const tlsCertificates: TlsCertificateRecord[] = [];
    if (tlsSecrets.size > 0) {
      let listed = 0;
      await listSecrets(kc, options.pageSize, (page) => {
        for (const s of page) {
          const namespace = s.metadata?.namespace ?? "";
          const secretName = s.metadata?.name ?? "";
          const users = tlsSecrets.get(`${namespace}/${secretName}`);
          if (!users) continue;
          existingTls.add(`${namespace}/${secretName}`);
          // Public facts of the certificate only: the key is never read beyond its PEM header line.
          // The key is parsed in memory only to compare its public half with the certificate's.
          const facts = certificateFacts(s.data?.["tls.crt"], s.data?.["tls.key"], true);
          const annotations = certManagerAnnotations(s.metadata?.annotations);
          for (const certificate of users) tlsCertificates.push({ namespace, certificate, secretName, ...facts, annotations });
        }
        listed += page.length;
        progress.update(`checked ${listed} secrets for certificates' TLS secrets`);
      }, retries);
    }
    const missingTlsSecrets = [...tlsSecrets.keys()].filter((s) => !existingTls.has(s)).sort();
    tlsCertificates.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.certificate.localeCompare(b.certificate));

    const meta: BackupMeta = {
      format: BACKUP_FORMAT,
      takenAt,
      tool: "cert-manager-upgrade",
      cluster,
      legacyNamespace: options.legacyNamespace,
      counts,
      recorded,
      secrets,
      missingTlsSecrets,
      tlsCertificates,
      acmeAccountKeys,
      sha256: file.digest(),
    };
    file.write(metaLine(meta), false);
    const previous = file.commit();
    return { file: options.out, previous, meta, retries: retries.entries };
  } catch (err) {
    file.abort();
    throw err;
  }
}
