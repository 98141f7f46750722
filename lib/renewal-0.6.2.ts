// Whether cert-manager 0.6.2 will renew what it manages (pure). It cannot complete an ACME order
// against an RFC 8555 server: it fetches authorizations with unauthenticated GETs, which Let's
// Encrypt refuses since 2020-11-01 (staging since 2019-12-04) and Pebble refuses too; every Order
// it makes there ends `errored` ("Method not allowed") while the Certificate stays Ready until it
// expires (../shared/reference/cert-manager-onward-facts.md). The plan says so for every ACME
// issuer; verify is green for a certificate only when nothing shows that its renewal failed.
import { DEFAULT_RENEW_BEFORE_MS, parseGoDuration } from "./reissue-prediction";
import { isoSeconds } from "./tls-facts";
import { KubeObject, Problem, objectLabel } from "./types";

/** The label 0.6.2 puts on each Order it creates for a Certificate (pkg/issuer/acme/issue.go certLabels). */
export const ORDER_CERTIFICATE_LABEL = "acme.cert-manager.io/certificate-name";

/** The first cert-manager release whose ACME client uses POST-as-GET (release notes 0.9). */
export const FIRST_RFC8555_RELEASE = "v0.9.0";

/** The plan's line for an ACME issuer when the target is 0.6.2. */
export function cannotRenewWarning(issuer: KubeObject): string | undefined {
  const acme = issuer.spec?.acme as { server?: unknown } | undefined;
  if (!acme) return undefined;
  const server = typeof acme.server === "string" && acme.server ? acme.server : "its ACME server";
  return `cert-manager 0.6.2 cannot renew this issuer's certificates against ${server} if it follows RFC 8555 (Let's Encrypt since 2020-11-01, Pebble): ` +
    "it fetches authorizations with unauthenticated GETs, so every Order ends errored (\"Method not allowed\") and the certificates stay Ready until they expire. " +
    `The upgrade keeps every object and certificate, but renewals need cert-manager ${FIRST_RFC8555_RELEASE} or later (v1.1.1 is the newest that runs on Kubernetes 1.15)`;
}

/** 0.6.2's renewal window (pkg/controller/certificates/sync.go calculateTimeBeforeExpiry): renewBefore, or a third of the validity when renewBefore exceeds it. */
export function renewalStart(notBefore: string | undefined, notAfter: string, renewBefore: string | undefined, defaultRenewBeforeMs = DEFAULT_RENEW_BEFORE_MS): Date {
  const end = new Date(notAfter).getTime();
  let before = (renewBefore ? parseGoDuration(renewBefore) : undefined) ?? defaultRenewBeforeMs;
  if (notBefore) {
    const validity = end - new Date(notBefore).getTime();
    if (before > validity) before = validity / 3;
  }
  return new Date(end - before);
}

export interface RenewalInput {
  /** Live Certificates, Issuers and ClusterIssuers by label ("Certificate/ns/name", "ClusterIssuer/name"). */
  objects: Map<string, KubeObject>;
  /** Live Orders (certmanager.k8s.io/v1alpha1). */
  orders: KubeObject[];
  /** A certificate's validity as its TLS Secret holds it, by "namespace/secretName". */
  validity: Map<string, { notBefore?: string; notAfter?: string }>;
  now: Date;
  /** The controller's --renew-before-expiry-duration, when the release sets it. */
  defaultRenewBeforeMs?: number;
  /**
   * The name of the Certificate an Order is for (same namespace), undefined when not known. Default:
   * 0.6.2's label on the Order; v1.1.1 names it on the Order's CertificateRequest (certificateOfOrderV1).
   */
  certificateOf?: (order: KubeObject) => string | undefined;
}

function issuerOf(certificate: KubeObject, objects: Map<string, KubeObject>): KubeObject | undefined {
  const ref = certificate.spec?.issuerRef as { name?: unknown; kind?: unknown } | undefined;
  if (typeof ref?.name !== "string") return undefined;
  return ref.kind === "ClusterIssuer"
    ? objects.get(objectLabel({ kind: "ClusterIssuer", namespace: "", name: ref.name }))
    : objects.get(objectLabel({ kind: "Issuer", namespace: certificate.metadata?.namespace ?? "", name: ref.name }));
}

function created(o: KubeObject): number {
  const t = o.metadata?.creationTimestamp;
  return typeof t === "string" ? new Date(t).getTime() : 0;
}

/**
 * Certificates of ACME issuers holding a certificate whose renewal is failing: the newest Order ended errored, invalid or
 * expired, or the certificate is inside its renewal window and no Order made since it entered it is valid.
 */
export function renewalProblems(input: RenewalInput): Problem[] {
  const problems: Problem[] = [];
  const ordersOf = new Map<string, KubeObject[]>();
  for (const order of input.orders) {
    const certificate = input.certificateOf ? input.certificateOf(order) : order.metadata?.labels?.[ORDER_CERTIFICATE_LABEL];
    if (!certificate) continue;
    const key = `${order.metadata?.namespace ?? ""}/${certificate}`;
    ordersOf.set(key, [...(ordersOf.get(key) ?? []), order]);
  }
  for (const [label, certificate] of input.objects) {
    if (certificate.kind !== "Certificate" && !label.startsWith("Certificate/")) continue;
    const issuer = issuerOf(certificate, input.objects);
    if (!issuer?.spec?.acme) continue;
    const namespace = certificate.metadata?.namespace ?? "";
    const orders = [...(ordersOf.get(`${namespace}/${certificate.metadata?.name ?? ""}`) ?? [])].sort((a, b) => created(b) - created(a));
    const newest = orders[0];
    const state = typeof newest?.status?.state === "string" ? newest.status.state : undefined;
    const secretName = typeof certificate.spec?.secretName === "string" ? certificate.spec.secretName : "";
    const validity = input.validity.get(`${namespace}/${secretName}`);
    // Only renewals: a certificate never issued (no TLS Secret, or none readable) is verify's "not Ready" case.
    if (!validity?.notAfter) continue;
    const expires = `; the certificate expires at ${validity.notAfter}`;
    if (state === "errored" || state === "invalid" || state === "expired") {
      const reason = typeof newest!.status?.reason === "string" && newest!.status.reason ? `: ${newest!.status.reason}` : "";
      problems.push({ object: label, message: `not renewing: its newest ACME Order ${newest!.metadata?.name} ended ${state}${reason}${expires}` });
      continue;
    }
    const renewBefore = typeof certificate.spec?.renewBefore === "string" ? certificate.spec.renewBefore : undefined;
    const start = renewalStart(validity.notBefore, validity.notAfter, renewBefore, input.defaultRenewBeforeMs);
    // A valid Order from before the window issued the certificate that is expiring: only a later one renews it.
    if (start.getTime() <= input.now.getTime() && !orders.some((o) => o.status?.state === "valid" && created(o) >= start.getTime())) {
      const newestSays = newest ? `its newest Order ${newest.metadata?.name} is ${state ?? "without a state"}` : "no Order for it exists";
      problems.push({ object: label, message: `not renewed: inside its renewal window since ${isoSeconds(start)} and no valid ACME Order since (${newestSays})${expires}` });
    }
  }
  return problems;
}

/** The annotation v1.1.1 puts on each CertificateRequest it makes for a Certificate (pkg/apis/certmanager/v1 CertificateNameKey). */
export const REQUEST_CERTIFICATE_ANNOTATION = "cert-manager.io/certificate-name";

/**
 * cert-manager v1.1.1's Orders (acme.cert-manager.io/v1) carry no Certificate's name: each is owned
 * by a CertificateRequest, which names its Certificate in an annotation. Returns the lookup for
 * renewalProblems' certificateOf.
 */
export function certificateOfOrderV1(certificateRequests: KubeObject[]): (order: KubeObject) => string | undefined {
  const byKey = new Map(certificateRequests.map((r) => [`${r.metadata?.namespace ?? ""}/${r.metadata?.name ?? ""}`, r.metadata?.annotations?.[REQUEST_CERTIFICATE_ANNOTATION]]));
  return (order) => {
    const owner = order.metadata?.ownerReferences?.find((o) => o.kind === "CertificateRequest");
    return typeof owner?.name === "string" ? byKey.get(`${order.metadata?.namespace ?? ""}/${owner.name}`) : undefined;
  };
}
