// The five cert-manager 0.6 CRDs, defined from their facts so that preview needs no network.
import { CERTMANAGER_GROUP, CERTMANAGER_VERSION } from "./types";

export type CrdApiVersion = "apiextensions.k8s.io/v1beta1" | "apiextensions.k8s.io/v1";

interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  priority?: number;
  description?: string;
}

interface CrdFacts {
  kind: string;
  plural: string;
  scope: "Namespaced" | "Cluster";
  shortNames?: string[];
  printerColumns?: PrinterColumn[];
}

const CREATION_TIMESTAMP_DESCRIPTION =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\n" +
  "Populated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md#metadata";

export const CRD_FACTS: CrdFacts[] = [
  {
    kind: "Certificate",
    plural: "certificates",
    scope: "Namespaced",
    shortNames: ["cert", "certs"],
    printerColumns: [
      { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: "Secret", type: "string", jsonPath: ".spec.secretName" },
      { name: "Issuer", type: "string", jsonPath: ".spec.issuerRef.name", priority: 1 },
      { name: "Status", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].message', priority: 1 },
      { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: CREATION_TIMESTAMP_DESCRIPTION },
    ],
  },
  { kind: "Issuer", plural: "issuers", scope: "Namespaced" },
  { kind: "ClusterIssuer", plural: "clusterissuers", scope: "Cluster" },
  {
    kind: "Order",
    plural: "orders",
    scope: "Namespaced",
    printerColumns: [
      { name: "State", type: "string", jsonPath: ".status.state" },
      { name: "Issuer", type: "string", jsonPath: ".spec.issuerRef.name", priority: 1 },
      { name: "Reason", type: "string", jsonPath: ".status.reason", priority: 1 },
      { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: CREATION_TIMESTAMP_DESCRIPTION },
    ],
  },
  {
    kind: "Challenge",
    plural: "challenges",
    scope: "Namespaced",
    printerColumns: [
      { name: "State", type: "string", jsonPath: ".status.state" },
      { name: "Domain", type: "string", jsonPath: ".spec.dnsName" },
      { name: "Reason", type: "string", jsonPath: ".status.reason" },
      { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp", description: CREATION_TIMESTAMP_DESCRIPTION },
    ],
  },
];

export const CRD_LABELS = { app: "cert-manager" };

/**
 * apiextensions.k8s.io/v1 refuses CRDs of groups under k8s.io without this annotation
 * (KEP-1111); "unapproved, ..." is the accepted value for groups that predate the policy.
 */
export const API_APPROVAL_ANNOTATION = "api-approved.kubernetes.io";
export const API_APPROVAL_VALUE = "unapproved, cert-manager 0.6 (certmanager.k8s.io) predates the k8s.io API review policy";

export function isProtectedGroup(group: string): boolean {
  return group === "k8s.io" || group.endsWith(".k8s.io") || group === "kubernetes.io" || group.endsWith(".kubernetes.io");
}

export interface CrdManifest {
  apiVersion: CrdApiVersion;
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

export function crdName(plural: string): string {
  return `${plural}.${CERTMANAGER_GROUP}`;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** One CRD in the given apiextensions version; v1 gets an open schema and the same names and columns. */
export function crdManifest(facts: CrdFacts, apiVersion: CrdApiVersion): CrdManifest {
  const names = withoutUndefined({ kind: facts.kind, plural: facts.plural, shortNames: facts.shortNames });
  const metadata = { name: crdName(facts.plural), labels: { ...CRD_LABELS } };
  if (apiVersion === "apiextensions.k8s.io/v1beta1") {
    return {
      apiVersion,
      kind: "CustomResourceDefinition",
      metadata,
      spec: withoutUndefined({
        additionalPrinterColumns: facts.printerColumns?.map((c) =>
          withoutUndefined({ JSONPath: c.jsonPath, name: c.name, type: c.type, priority: c.priority, description: c.description }),
        ),
        group: CERTMANAGER_GROUP,
        version: CERTMANAGER_VERSION,
        scope: facts.scope,
        names,
      }),
    };
  }
  return {
    apiVersion,
    kind: "CustomResourceDefinition",
    metadata: { ...metadata, annotations: { [API_APPROVAL_ANNOTATION]: API_APPROVAL_VALUE } },
    spec: {
      group: CERTMANAGER_GROUP,
      scope: facts.scope,
      names,
      versions: [
        withoutUndefined({
          name: CERTMANAGER_VERSION,
          served: true,
          storage: true,
          // 0.6 CRDs carry no schema: keep every field, as v1beta1 did, and status stays an ordinary field.
          schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
          additionalPrinterColumns: facts.printerColumns?.map((c) =>
            withoutUndefined({ jsonPath: c.jsonPath, name: c.name, type: c.type, priority: c.priority, description: c.description }),
          ),
        }),
      ],
    },
  };
}

export function allCrdManifests(apiVersion: CrdApiVersion): CrdManifest[] {
  return CRD_FACTS.map((f) => crdManifest(f, apiVersion));
}
