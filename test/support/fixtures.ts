// Builders shared by the tests: the seed's kubectl output, small cert-manager objects, and backups in
// this project's own format written exactly the way lib/backup.ts writes them.
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { backupDocument, backupHeader, metaLine, sha256Hex } from "../../lib/backup-format";
import type { ClusterFacts } from "../../lib/cluster";
import { BACKUP_FORMAT, BackupMeta, CERTMANAGER_API_VERSION, CertManagerKind, KubeObject } from "../../lib/types";

export const ROOT = path.resolve(__dirname, "..", "..");
export const SEED_FIXTURE = path.join(ROOT, "test", "fixtures", "seed-kubectl-backup.yaml");

export function seedBytes(): Buffer {
  return fs.readFileSync(SEED_FIXTURE);
}

/** The seed's objects (ClusterIssuers letsencrypt-prod/-staging, Certificates wonder-app-cert, ivan-test-cert). */
export function seedObjects(): KubeObject[] {
  const list = yaml.load(seedBytes().toString("utf8")) as { items: KubeObject[] };
  return list.items;
}

/** A cert-manager object; `namespace` undefined for ClusterIssuers. */
export function cm(kind: CertManagerKind, name: string, namespace: string | undefined, spec: Record<string, unknown> = {}, extra: Partial<KubeObject> = {}): KubeObject {
  return {
    apiVersion: CERTMANAGER_API_VERSION,
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec,
    ...extra,
  };
}

export function readyStatus(status: "True" | "False" | "Unknown", reason = "Reason", message = "message"): Record<string, unknown> {
  return { conditions: [{ type: "Ready", status, reason, message, lastTransitionTime: "2019-02-28T05:53:40Z" }] };
}

export function certificate(namespace: string, name: string, issuer: { kind?: string; name: string }, secretName = name, extra: Partial<KubeObject> = {}): KubeObject {
  return cm("Certificate", name, namespace, { secretName, dnsNames: [`${name}.example.com`], issuerRef: issuer }, extra);
}

export const TEST_CLUSTER = {
  context: "test-context",
  server: "https://10.0.0.1:6443",
  kubeSystemUID: "6a1f0c2e-0000-4000-8000-000000000001",
  serverVersion: "v1.12.10",
};

/** Writes objects the way lib/backup.ts does: header, one document each, then the meta line over a sha256 of the rest. */
export function ownBackup(objects: KubeObject[], meta: Partial<Omit<BackupMeta, "sha256">> = {}): { text: string; meta: BackupMeta } {
  const takenAt = meta.takenAt ?? "2019-02-28T06:00:00.000Z";
  const cluster = meta.cluster ?? TEST_CLUSTER;
  const legacyNamespace = meta.legacyNamespace ?? "kube-system";
  const body = backupHeader({ takenAt, cluster, legacyNamespace }) + objects.map((o) => backupDocument(o)).join("");
  const counts = { ClusterIssuer: 0, Issuer: 0, Certificate: 0, Order: 0, Challenge: 0 } as Record<CertManagerKind, number>;
  for (const o of objects) counts[o.kind as CertManagerKind]++;
  const full: BackupMeta = {
    format: BACKUP_FORMAT,
    takenAt,
    tool: "cert-manager-upgrade",
    cluster,
    legacyNamespace,
    counts,
    recorded: [],
    secrets: [],
    missingTlsSecrets: [],
    // Format 2 carries the certificates' facts (none unless given); an older format never does.
    ...(meta.format === undefined || meta.format === BACKUP_FORMAT ? { tlsCertificates: [] } : {}),
    ...meta,
    sha256: sha256Hex(body),
  };
  return { text: body + metaLine(full), meta: full };
}

/** Multi-document YAML: one `---` document per object. */
export function docs(...objects: KubeObject[]): string {
  return objects.map((o) => "---\n" + yaml.dump(o)).join("");
}

/** The seed's cluster before the upgrade, as the program's read of it reports it (a Kubernetes 1.12-era API). */
/** What a 1.34 API server serves of the groups the program looks at. */
export const SERVED_APIS_1_34 = ["v1", "apps/v1", "rbac.authorization.k8s.io/v1", "batch/v1", "apiregistration.k8s.io/v1", "admissionregistration.k8s.io/v1", "apiextensions.k8s.io/v1"];

export function seedClusterFacts(over: Partial<ClusterFacts> = {}): ClusterFacts {
  return {
    kubeSystemUID: TEST_CLUSTER.kubeSystemUID, server: TEST_CLUSTER.server, serverVersion: "v1.12.10",
    servedApiVersions: ["v1", "apps/v1beta1", "rbac.authorization.k8s.io/v1beta1", "batch/v1beta1", "apiregistration.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1", "apiextensions.k8s.io/v1beta1", "extensions/v1beta1", "authorization.k8s.io/v1beta1"],
    legacy: { found: true, record: "helm3", objects: [{ apiVersion: "apps/v1", kind: "Deployment", namespace: "kube-system", name: "cert-manager" }] },
    liveObjects: ["ClusterIssuer/letsencrypt-prod", "ClusterIssuer/letsencrypt-staging", "Certificate/default/wonder-app-cert", "Certificate/test/ivan-test-cert"],
    footprint: { crds: [], deployments: [] },
    liveObjectDigests: {},
    liveTlsSecrets: {},
    secrets: { "kube-system/cert-manager-setup-production-private-key": true, "kube-system/cert-manager-setup-staging-private-key": true, "kube-system/clouddns-service-account": true },
    ...over,
  };
}
