// A synthetic `pulumi preview --json` (Pulumi v3.260's shape) of the seed's upgrade: the program's
// resource names and types as index.ts declares them, Secret data planted where a careless summary
// would print it.

import { encodeObject } from "../../lib/restore-batch";
import type { KubeObject } from "../../lib/types";

/** Planted in every Secret's data: must never appear in a summary. */
export const PLANTED_SECRET = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tUExBTlRFRC1ET05PVC1QUklOVA==";
export const PLANTED_KEY = "planted-acme-private-key-NEVER-PRINT";

const PROJECT = "cert-manager-upgrade";

export function urn(stack: string, parentType: string | undefined, type: string, name: string): string {
  return `urn:pulumi:${stack}::${PROJECT}::${parentType ? `${parentType}$` : ""}${type}::${name}`;
}

type Json = Record<string, unknown>;

interface StepSpec {
  op: string;
  parent?: string;
  type: string;
  name: string;
  inputs?: Json;
  outputs?: Json;
  custom?: boolean;
  old?: boolean;
  extra?: Json;
}

export function step(stack: string, s: StepSpec): Json {
  const u = urn(stack, s.parent, s.type, s.name);
  const state = {
    urn: u,
    custom: s.custom ?? true,
    delete: false,
    id: "",
    type: s.type,
    inputs: s.inputs ?? {},
    outputs: s.outputs ?? s.inputs ?? {},
    parent: urn(stack, undefined, "pulumi:pulumi:Stack", `${PROJECT}-${stack}`),
    protect: false,
    provider: s.custom === false ? "" : `${urn(stack, undefined, "pulumi:providers:kubernetes", "cluster")}::04da6b54-80e4-46f7-96ec-b56ff0331ba9`,
  };
  const out: Json = { op: s.op, urn: u, provider: state.provider };
  if (s.op === "delete") out.oldState = state;
  else out.newState = state;
  if (s.old || s.op === "same" || s.op === "update") out.oldState = state;
  return { ...out, ...s.extra };
}

const C = "cert-manager-upgrade:index:";

export const LEGACY_WILL_DELETE = [
  "Deployment kube-system/cert-manager",
  "ClusterRoleBinding cert-manager",
  "ClusterRole cert-manager",
  "ServiceAccount kube-system/cert-manager",
  "CustomResourceDefinition certificates.certmanager.k8s.io",
  "CustomResourceDefinition clusterissuers.certmanager.k8s.io",
  "CustomResourceDefinition issuers.certmanager.k8s.io",
  "Secret kube-system/sh.helm.release.v1.cert-manager.v1",
];

export const SECRET_NAMES = ["cert-manager-setup-production-private-key", "cert-manager-setup-staging-private-key", "clouddns-service-account"];

function crd(stack: string, plural: string): Json {
  return step(stack, {
    op: "create",
    parent: `${C}CertManagerCrds`,
    type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
    name: `crds-${plural}`,
    inputs: {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `${plural}.certmanager.k8s.io`, annotations: { "helm.sh/resource-policy": "keep" } },
      spec: { group: "certmanager.k8s.io", names: { plural }, scope: plural === "clusterissuers" ? "Cluster" : "Namespaced" },
    },
  });
}

/** A restored object as the backup has it, sanitized. */
export function restoredObject(kind: string, name: string, namespace?: string, dnsName = `${name}.example.com`): Json {
  return {
    apiVersion: "certmanager.k8s.io/v1alpha1",
    kind,
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: kind === "ClusterIssuer"
      ? { acme: { server: "https://acme-v02.api.letsencrypt.org/directory", email: "ops@example.com", privateKeySecretRef: { name: `cert-manager-setup-${name.endsWith("staging") ? "staging" : "production"}-private-key` } } }
      : { secretName: name, issuerRef: { kind: "ClusterIssuer", name: "letsencrypt-prod" }, dnsNames: [dnsName] },
  };
}

/** The label of a restored object ("Kind/namespace/name", "ClusterIssuer/name"). */
export function labelOf(o: Json): string {
  const meta = o.metadata as { name: string; namespace?: string };
  return meta.namespace ? `${o.kind}/${meta.namespace}/${meta.name}` : `${o.kind}/${meta.name}`;
}

/** One batch of restored objects (components/restored-batch.ts), as index.ts declares it. */
export function restoredBatch(stack: string, batch: string, objects: Json[], op = "create", extra: { adopted?: string[]; oldObjects?: Json[]; retainOnDelete?: boolean; leftAsTheyAre?: string[]; reapply?: string[] } = {}): Json {
  const inputs = (list: Json[]) => ({
    __provider: "exports.handler = __f0;\nfunction __f0() { /* serialized dynamic provider */ }",
    batch,
    kind: objects[0]?.kind ?? "Certificate",
    namespaces: [...new Set(objects.map((o) => (o.metadata as { namespace?: string }).namespace).filter((n) => n))],
    objects: Object.fromEntries(list.map((o) => [labelOf(o), encodeObject(o as KubeObject)])),
    adopted: extra.adopted ?? [],
    reapply: extra.reapply ?? [],
    record: [],
    leftAsTheyAre: extra.leftAsTheyAre ?? [],
    serverSideApply: true,
    context: "dev",
  });
  const s = step(stack, { op, parent: `${C}RestoredResources`, type: "pulumi-nodejs:dynamic:Resource", name: `restored-${batch}`, inputs: inputs(objects) });
  for (const key of ["newState", "oldState"]) if (s[key]) (s[key] as Json).retainOnDelete = extra.retainOnDelete ?? true;
  if (extra.oldObjects && s.oldState) s.oldState = { ...(s.oldState as Json), inputs: inputs(extra.oldObjects), outputs: inputs(extra.oldObjects) };
  return s;
}

/** The seed's first preview: the old release removed, everything else created. */
export function seedPreview(stack = "dev"): Json {
  const steps: Json[] = [
    step(stack, { op: "create", type: "pulumi:pulumi:Stack", name: `${PROJECT}-${stack}`, custom: false }),
    step(stack, { op: "create", type: "pulumi:providers:kubernetes", name: "cluster", inputs: { context: "dev", enableServerSideApply: "true", kubeconfig: "[secret]" } }),
    step(stack, { op: "create", type: `${C}LegacyReleaseRemoval`, name: "legacy-release", custom: false }),
    step(stack, {
      op: "create",
      parent: `${C}LegacyReleaseRemoval`,
      type: "pulumi-nodejs:dynamic:Resource",
      name: "legacy-release-delete-0.4-release",
      inputs: {
        __provider: "exports.handler = __f0;\nfunction __f0() { /* serialized dynamic provider */ }",
        summary: `DELETES ${LEGACY_WILL_DELETE.length} objects of the 0.4 release; deleting its CRDs deletes every Issuer, ClusterIssuer and Certificate (4 objects), restored below from backups/dev/cert-manager-backup.yaml`,
        releaseName: "cert-manager",
        legacyNamespace: "kube-system",
        willDelete: LEGACY_WILL_DELETE,
        objectsDeletedWithCrds: 4,
        backupFile: "/tmp/cmu-preview-x/backup/cert-manager-backup.yaml",
        backupSha256: "9f2c0c5f3b1a4e2f8d7c6b5a49382716f5e4d3c2b1a09f8e7d6c5b4a39281706",
        context: "dev",
        timeoutSeconds: 600,
      },
    }),
    step(stack, { op: "create", type: `${C}CertManagerNamespace`, name: "namespace", custom: false }),
    step(stack, {
      op: "create",
      parent: `${C}CertManagerNamespace`,
      type: "kubernetes:core/v1:Namespace",
      name: "namespace",
      inputs: { apiVersion: "v1", kind: "Namespace", metadata: { name: "cert-manager", labels: { "certmanager.k8s.io/disable-validation": "true" } } },
    }),
    step(stack, { op: "create", type: `${C}CertManagerCrds`, name: "crds", custom: false }),
    ...["certificates", "challenges", "clusterissuers", "issuers", "orders"].map((p) => crd(stack, p)),
    step(stack, { op: "create", type: `${C}CertManagerRelease`, name: "cert-manager", custom: false }),
    step(stack, {
      op: "create",
      parent: `${C}CertManagerRelease`,
      type: "kubernetes:helm.sh/v3:Release",
      name: "cert-manager",
      inputs: { name: "cert-manager", namespace: "cert-manager", chart: "cert-manager", version: "v0.6.6", repositoryOpts: { repo: "https://charts.helm.sh/stable" }, values: { webhook: { enabled: true } } },
    }),
    step(stack, { op: "create", type: `${C}IssuerSecretCopies`, name: "issuer-secrets", custom: false }),
  ];
  for (const name of SECRET_NAMES) {
    steps.push(step(stack, {
      op: "read",
      parent: `${C}IssuerSecretCopies`,
      type: "kubernetes:core/v1:Secret",
      name: `issuer-secrets-source/${name}`,
      inputs: {},
      outputs: { apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "kube-system" }, type: "Opaque", data: { "tls.key": PLANTED_SECRET } },
    }));
    steps.push(step(stack, {
      op: "create",
      parent: `${C}IssuerSecretCopies`,
      type: "kubernetes:core/v1:Secret",
      name: `issuer-secrets-${name}`,
      inputs: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name,
          namespace: "cert-manager",
          labels: { "app.kubernetes.io/managed-by": "cert-manager-upgrade" },
          annotations: { "cert-manager-upgrade/copied-from": `kube-system/${name}` },
        },
        type: "Opaque",
        // A careless summary would print this: it is the planted secret, not "[secret]".
        data: { "tls.key": PLANTED_SECRET, [PLANTED_KEY]: PLANTED_SECRET },
        stringData: { "service-account.json": PLANTED_KEY },
      },
    }));
  }
  steps.push(
    step(stack, { op: "create", type: `${C}WebhookReadiness`, name: "webhook", custom: false }),
    step(stack, { op: "create", parent: `${C}WebhookReadiness`, type: "pulumi-nodejs:dynamic:Resource", name: "webhook-accepts-objects", inputs: { timeoutSeconds: 300 } }),
    step(stack, { op: "create", type: `${C}RestoredResources`, name: "restored", custom: false }),
    restoredBatch(stack, "clusterissuers/1", [restoredObject("ClusterIssuer", "letsencrypt-prod"), restoredObject("ClusterIssuer", "letsencrypt-staging")]),
    restoredBatch(stack, "certificates/1", [restoredObject("Certificate", "wonder-app-cert", "default"), restoredObject("Certificate", "ivan-test-cert", "test")]),
  );
  const changeSummary: Record<string, number> = {};
  for (const s of steps) changeSummary[s.op as string] = (changeSummary[s.op as string] ?? 0) + 1;
  return {
    config: { "cert-manager-upgrade:backupFile": "/tmp/cmu-preview-x/backup/cert-manager-backup.yaml", "cert-manager-upgrade:context": "dev" },
    steps,
    diagnostics: [
      {
        urn: urn(stack, undefined, "pulumi:pulumi:Stack", `${PROJECT}-${stack}`),
        prefix: "warning: ",
        message: "Certificate/test/ivan-test-cert: was not Ready before the upgrade (reason Failed): it will not be Ready afterwards either\n",
        color: "never",
        severity: "warning",
      },
    ],
    duration: 4_812_000_000,
    changeSummary,
  };
}

/** A preview that failed in the program's preflight (no steps beyond the stack). */
export function failedPreview(stack = "dev"): Json {
  const stackUrn = urn(stack, undefined, "pulumi:pulumi:Stack", `${PROJECT}-${stack}`);
  return {
    config: {},
    steps: [step(stack, { op: "create", type: "pulumi:pulumi:Stack", name: `${PROJECT}-${stack}`, custom: false })],
    diagnostics: [
      { urn: stackUrn, prefix: "warning: ", message: "ClusterIssuer/letsencrypt-staging: ACME v1 server URL: cert-manager 0.6 marks it InvalidConfig\n", severity: "warning" },
      {
        urn: stackUrn,
        prefix: "error: ",
        message: "cluster identity check failed: the backup was taken from kube-system uid 1111 but context dev is kube-system uid 2222; nothing was changed\n",
        severity: "error",
      },
      { urn: stackUrn, prefix: "error: ", message: "preview failed\n", severity: "error" },
    ],
    duration: 1_000_000_000,
    changeSummary: { create: 1 },
  };
}
