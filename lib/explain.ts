// Why a Certificate is not Ready, from what the cluster says (pure: live objects and events in, text
// out): its conditions, its issuer's Ready condition, the objects the controller made to issue it and
// the Events about each. What `npm run explain` prints instead of sending the user to the
// controller's log (the seed's step 10).
//
// How cert-manager 0.6.2 links them (certmanager.k8s.io/v1alpha1; pkg/issuer/acme/issue.go
// buildOrder, pkg/controller/acmeorders/sync.go buildChallenge): an Order is named
// `<certificate>-<hash>` in the Certificate's namespace, with a controller owner reference to the
// Certificate and the label acme.cert-manager.io/certificate-name; a Challenge is named
// `<order>-<i>`, owned by its Order, labelled acme.cert-manager.io/order-name.
//
// How cert-manager v1.1.1 links them (cert-manager.io/v1 and acme.cert-manager.io/v1): a
// CertificateRequest per issuance, named `<certificate>-<random>`, with a controller owner reference
// to the Certificate and the annotations cert-manager.io/certificate-name and
// cert-manager.io/certificate-revision (pkg/controller/certificates/requestmanager); for an ACME
// issuer an Order owned by the CertificateRequest, carrying its annotations
// (pkg/controller/certificaterequests/acme buildOrder); Challenges owned by the Order, without a
// label (pkg/controller/acmeorders/util.go buildChallenge).
import { readyCondition } from "./conditions";
import { KubeObject, objectLabel } from "./types";

export const CERTIFICATE_NAME_LABEL = "acme.cert-manager.io/certificate-name";
export const ORDER_NAME_LABEL = "acme.cert-manager.io/order-name";
/** v1: on a CertificateRequest (and the Orders made for it), the Certificate's name. */
export const CERTIFICATE_NAME_ANNOTATION = "cert-manager.io/certificate-name";
export const CERTIFICATE_REVISION_ANNOTATION = "cert-manager.io/certificate-revision";

/** The cert-manager APIs explain reads: the 0.6 one and the v1 one. */
export type ExplainApiName = "certmanager.k8s.io/v1alpha1" | "cert-manager.io/v1";

export interface ExplainApi {
  name: ExplainApiName;
  /** Certificates, Issuers, ClusterIssuers (and CertificateRequests in v1). */
  group: string;
  version: string;
  /** Orders and Challenges. */
  acmeGroup: string;
  acmeVersion: string;
  /** Whether Orders belong to CertificateRequests (v1) or to the Certificate (0.6). */
  requests: boolean;
  /** What the stack's targetVersion calls the cert-manager serving it. */
  target: "v0.6.2" | "v1.1.1";
  /** The cert-manager versions that serve it, for the reader. */
  servedBy: string;
}

export const EXPLAIN_APIS: Record<ExplainApiName, ExplainApi> = {
  "certmanager.k8s.io/v1alpha1": { name: "certmanager.k8s.io/v1alpha1", group: "certmanager.k8s.io", version: "v1alpha1", acmeGroup: "certmanager.k8s.io", acmeVersion: "v1alpha1", requests: false, target: "v0.6.2", servedBy: "cert-manager 0.4 to 0.10" },
  "cert-manager.io/v1": { name: "cert-manager.io/v1", group: "cert-manager.io", version: "v1", acmeGroup: "acme.cert-manager.io", acmeVersion: "v1", requests: true, target: "v1.1.1", servedBy: "cert-manager v1" },
};

/** The API a target version serves. */
export function apiOfTarget(target: string): ExplainApi | undefined {
  return Object.values(EXPLAIN_APIS).find((a) => a.target === target);
}

/** What the cluster answered for Certificates of each API: not served, or how many it holds. */
export type ServedCertificates = Partial<Record<ExplainApiName, number | "not served">>;

/**
 * Which API to explain from what the cluster serves: the one served; when both are (the old CRDs
 * still there), the one holding Certificates, v1 when both hold some. An error line when neither is.
 */
export function chooseExplainApi(served: ServedCertificates): { api: ExplainApi; note?: string } | { error: string } {
  const v1 = served["cert-manager.io/v1"];
  const old = served["certmanager.k8s.io/v1alpha1"];
  const isServed = (n: number | "not served" | undefined): n is number => typeof n === "number";
  if (!isServed(v1) && !isServed(old)) {
    return { error: "the cluster serves neither certificates.cert-manager.io (v1) nor certificates.certmanager.k8s.io (v1alpha1): cert-manager's CRDs are not installed" };
  }
  if (isServed(v1) && !isServed(old)) return { api: EXPLAIN_APIS["cert-manager.io/v1"] };
  if (!isServed(v1) && isServed(old)) return { api: EXPLAIN_APIS["certmanager.k8s.io/v1alpha1"] };
  const certificates = (n: number): string => `${n} Certificate${n === 1 ? "" : "s"}`;
  const both = `the cluster serves both cert-manager.io/v1 (${certificates(v1 as number)}) and certmanager.k8s.io/v1alpha1 (${certificates(old as number)})`;
  if ((v1 as number) === 0 && (old as number) > 0) return { api: EXPLAIN_APIS["certmanager.k8s.io/v1alpha1"], note: `${both}: explaining certmanager.k8s.io/v1alpha1; --target v1.1.1 explains the other` };
  return { api: EXPLAIN_APIS["cert-manager.io/v1"], note: `${both}: explaining cert-manager.io/v1; --target v0.6.2 explains the other` };
}

/** A core/v1 Event, the fields used here. */
export interface KubeEvent {
  metadata?: { namespace?: string; name?: string };
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string | Date | null;
  lastTimestamp?: string | Date | null;
  eventTime?: string | Date | null;
}

export interface ExplainInput {
  /** Absent: certmanager.k8s.io/v1alpha1 (0.6). */
  api?: ExplainApi;
  certificates: KubeObject[];
  /** v1 only. */
  certificateRequests?: KubeObject[];
  issuers: KubeObject[];
  clusterIssuers: KubeObject[];
  orders: KubeObject[];
  challenges: KubeObject[];
  events: KubeEvent[];
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface EventLine {
  type: string;
  reason: string;
  message: string;
  count: number;
  last?: string;
}

export interface ChallengeExplanation {
  name: string;
  type: string;
  dnsName: string;
  state: string;
  reason: string;
  presented: boolean;
  processing: boolean;
  events: EventLine[];
}

export interface OrderExplanation {
  name: string;
  state: string;
  reason: string;
  challenges: ChallengeExplanation[];
  events: EventLine[];
}

export interface RequestExplanation {
  name: string;
  /** cert-manager.io/certificate-revision, when set. */
  revision?: string;
  ready: string;
  conditions: Condition[];
  orders: OrderExplanation[];
  events: EventLine[];
}

export interface CertificateExplanation {
  /** The API the objects were read from. */
  api: ExplainApiName;
  namespace: string;
  name: string;
  ready: string;
  conditions: Condition[];
  notAfter?: string;
  issuer: { label: string; found: boolean; ready: string; conditions: Condition[]; events: EventLine[] };
  /** v1: the CertificateRequests, each with its Orders. */
  requests: RequestExplanation[];
  /** 0.6: the Certificate's Orders; v1: Orders of this Certificate whose CertificateRequest is gone. */
  orders: OrderExplanation[];
  events: EventLine[];
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function conditionsOf(obj: KubeObject | undefined): Condition[] {
  const raw = obj?.status?.conditions;
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((c): c is Record<string, unknown> => typeof c === "object" && c !== null)
    .map((c) => ({
      type: str(c.type) || "?",
      status: str(c.status) || "Unknown",
      ...(str(c.reason) ? { reason: str(c.reason) } : {}),
      ...(str(c.message) ? { message: str(c.message) } : {}),
      ...(str(c.lastTransitionTime) ? { lastTransitionTime: str(c.lastTransitionTime) } : {}),
    }));
}

function readyText(obj: KubeObject | undefined): string {
  const ready = obj ? readyCondition(obj) : undefined;
  if (!ready) return "not reported";
  const why = [ready.reason, ready.message].filter(Boolean).join(": ");
  return why ? `${ready.status} (${why})` : ready.status;
}

function isoOf(v: string | Date | null | undefined): string | undefined {
  if (!v) return undefined;
  const d = v instanceof Date ? v : new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** How many events per object are shown (the most recent). */
export const EVENTS_SHOWN = 10;

/** Events about one object, oldest first, at most EVENTS_SHOWN (the most recent). Cluster-scoped objects match on kind and name. */
export function eventsFor(events: KubeEvent[], kind: string, namespace: string, name: string): EventLine[] {
  return events
    .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name && (namespace === "" || (e.involvedObject?.namespace ?? e.metadata?.namespace) === namespace))
    .map((e) => ({ type: e.type || "Normal", reason: e.reason || "", message: (e.message || "").trim(), count: e.count ?? 1, last: isoOf(e.lastTimestamp) ?? isoOf(e.eventTime) ?? isoOf(e.firstTimestamp) }))
    .sort((a, b) => (a.last ?? "").localeCompare(b.last ?? ""))
    .slice(-EVENTS_SHOWN);
}

function ownedBy(obj: KubeObject, kind: string, name: string, uid?: unknown): boolean {
  return (obj.metadata?.ownerReferences ?? []).some((r) => r.kind === kind && r.name === name && (!uid || !r.uid || r.uid === uid));
}

/** The Orders 0.6.2 made for a Certificate: same namespace, owned by it or labelled with its name. */
export function ordersOf(certificate: KubeObject, orders: KubeObject[]): KubeObject[] {
  const ns = certificate.metadata?.namespace;
  const name = certificate.metadata?.name ?? "";
  return orders
    .filter((o) => o.metadata?.namespace === ns && (ownedBy(o, "Certificate", name, certificate.metadata?.uid) || o.metadata?.labels?.[CERTIFICATE_NAME_LABEL] === name))
    .sort((a, b) => str(a.metadata?.creationTimestamp).localeCompare(str(b.metadata?.creationTimestamp)) || str(a.metadata?.name).localeCompare(str(b.metadata?.name)));
}

/** v1: the CertificateRequests of a Certificate: same namespace, owned by it or annotated with its name; oldest first. */
export function requestsOf(certificate: KubeObject, requests: KubeObject[]): KubeObject[] {
  const ns = certificate.metadata?.namespace;
  const name = certificate.metadata?.name ?? "";
  const revision = (r: KubeObject): number => Number(r.metadata?.annotations?.[CERTIFICATE_REVISION_ANNOTATION] ?? 0) || 0;
  return requests
    .filter((r) => r.metadata?.namespace === ns && (ownedBy(r, "Certificate", name, certificate.metadata?.uid) || r.metadata?.annotations?.[CERTIFICATE_NAME_ANNOTATION] === name))
    .sort((a, b) => revision(a) - revision(b) || str(a.metadata?.creationTimestamp).localeCompare(str(b.metadata?.creationTimestamp)) || str(a.metadata?.name).localeCompare(str(b.metadata?.name)));
}

/** v1: the Orders of a CertificateRequest: same namespace, owned by it. */
export function ordersOfRequest(request: KubeObject, orders: KubeObject[]): KubeObject[] {
  const ns = request.metadata?.namespace;
  const name = request.metadata?.name ?? "";
  return orders
    .filter((o) => o.metadata?.namespace === ns && ownedBy(o, "CertificateRequest", name, request.metadata?.uid))
    .sort((a, b) => str(a.metadata?.creationTimestamp).localeCompare(str(b.metadata?.creationTimestamp)) || str(a.metadata?.name).localeCompare(str(b.metadata?.name)));
}

/** The Challenges of an Order: same namespace, owned by it or labelled with its name. */
export function challengesOf(order: KubeObject, challenges: KubeObject[]): KubeObject[] {
  const ns = order.metadata?.namespace;
  const name = order.metadata?.name ?? "";
  return challenges
    .filter((c) => c.metadata?.namespace === ns && (ownedBy(c, "Order", name, order.metadata?.uid) || c.metadata?.labels?.[ORDER_NAME_LABEL] === name))
    .sort((a, b) => str(a.metadata?.name).localeCompare(str(b.metadata?.name)));
}

function explainOrder(o: KubeObject, namespace: string, input: ExplainInput): OrderExplanation {
  const orderName = o.metadata?.name ?? "";
  return {
    name: orderName,
    state: str(o.status?.state) || "(no state yet)",
    reason: str(o.status?.reason),
    challenges: challengesOf(o, input.challenges).map((c): ChallengeExplanation => ({
      name: c.metadata?.name ?? "",
      type: str(c.spec?.type) || "?",
      dnsName: str(c.spec?.dnsName),
      state: str(c.status?.state) || "(no state yet)",
      reason: str(c.status?.reason),
      presented: c.status?.presented === true,
      processing: c.status?.processing === true,
      events: eventsFor(input.events, "Challenge", namespace, c.metadata?.name ?? ""),
    })),
    events: eventsFor(input.events, "Order", namespace, orderName),
  };
}

export function explainCertificate(certificate: KubeObject, input: ExplainInput): CertificateExplanation {
  const api = input.api ?? EXPLAIN_APIS["certmanager.k8s.io/v1alpha1"];
  const namespace = certificate.metadata?.namespace ?? "";
  const name = certificate.metadata?.name ?? "";
  const issuerRef = certificate.spec?.issuerRef as { kind?: unknown; name?: unknown } | undefined;
  const issuerKind = str(issuerRef?.kind) || "Issuer";
  const issuerName = str(issuerRef?.name);
  const issuerNamespace = issuerKind === "ClusterIssuer" ? "" : namespace;
  const issuer = (issuerKind === "ClusterIssuer" ? input.clusterIssuers : input.issuers).find(
    (i) => i.metadata?.name === issuerName && (issuerKind === "ClusterIssuer" || i.metadata?.namespace === namespace),
  );
  let requests: RequestExplanation[] = [];
  let orders: OrderExplanation[];
  if (api.requests) {
    const own = requestsOf(certificate, input.certificateRequests ?? []);
    const linked = new Set<KubeObject>();
    requests = own.map((r): RequestExplanation => {
      const requestName = r.metadata?.name ?? "";
      const its = ordersOfRequest(r, input.orders);
      its.forEach((o) => linked.add(o));
      const revision = r.metadata?.annotations?.[CERTIFICATE_REVISION_ANNOTATION];
      return {
        name: requestName,
        ...(revision ? { revision } : {}),
        ready: readyText(r),
        conditions: conditionsOf(r),
        orders: its.map((o) => explainOrder(o, namespace, input)),
        events: eventsFor(input.events, "CertificateRequest", namespace, requestName),
      };
    });
    // Orders made for this Certificate (its name among the annotations they copy) whose request is gone.
    orders = input.orders
      .filter((o) => !linked.has(o) && o.metadata?.namespace === namespace && o.metadata?.annotations?.[CERTIFICATE_NAME_ANNOTATION] === name)
      .sort((a, b) => str(a.metadata?.creationTimestamp).localeCompare(str(b.metadata?.creationTimestamp)) || str(a.metadata?.name).localeCompare(str(b.metadata?.name)))
      .map((o) => explainOrder(o, namespace, input));
  } else {
    orders = ordersOf(certificate, input.orders).map((o) => explainOrder(o, namespace, input));
  }
  return {
    api: api.name,
    namespace,
    name,
    ready: readyText(certificate),
    conditions: conditionsOf(certificate),
    ...(str(certificate.status?.notAfter) ? { notAfter: str(certificate.status?.notAfter) } : {}),
    issuer: {
      label: objectLabel({ kind: issuerKind, namespace: issuerNamespace, name: issuerName || "?" }),
      found: issuer !== undefined,
      ready: issuer ? readyText(issuer) : "not found",
      conditions: conditionsOf(issuer),
      events: issuer ? eventsFor(input.events, issuerKind, issuerNamespace, issuerName) : [],
    },
    requests,
    orders,
    events: eventsFor(input.events, "Certificate", namespace, name),
  };
}

export function isReady(certificate: KubeObject): boolean {
  return readyCondition(certificate)?.status === "True";
}

/**
 * The Certificates to explain: the one named ("namespace/name"), else every one not Ready (in
 * `namespace` when given). Returns an error line when the named one does not exist.
 */
export function selectCertificates(certificates: KubeObject[], options: { certificate?: string; namespace?: string }): { selected: KubeObject[]; error?: string } {
  if (options.certificate) {
    const [ns, name] = options.certificate.split("/");
    const found = certificates.find((c) => c.metadata?.namespace === ns && c.metadata?.name === name);
    if (!found) return { selected: [], error: `Certificate ${options.certificate} does not exist in the cluster` };
    return { selected: [found] };
  }
  const selected = certificates
    .filter((c) => !options.namespace || c.metadata?.namespace === options.namespace)
    .filter((c) => !isReady(c))
    .sort((a, b) => str(a.metadata?.namespace).localeCompare(str(b.metadata?.namespace)) || str(a.metadata?.name).localeCompare(str(b.metadata?.name)));
  return { selected };
}

function eventLines(events: EventLine[], indent: string): string[] {
  if (events.length === 0) return [`${indent}events: none`];
  return [
    `${indent}events:`,
    ...events.map((e) => `${indent}  ${e.last ?? "-"} ${e.type} ${e.reason}${e.count > 1 ? ` (x${e.count})` : ""}: ${e.message.replace(/\s*\n\s*/g, " ")}`),
  ];
}

function conditionLines(conditions: Condition[], indent: string): string[] {
  if (conditions.length === 0) return [`${indent}conditions: none reported`];
  return [
    `${indent}conditions:`,
    ...conditions.map((c) => `${indent}  ${c.type} ${c.status}${c.reason ? ` ${c.reason}` : ""}${c.message ? `: ${c.message}` : ""}${c.lastTransitionTime ? ` (since ${c.lastTransitionTime})` : ""}`),
  ];
}

function orderLines(o: OrderExplanation, indent: string): string[] {
  const out = [`${indent}order ${o.name}: state ${o.state}${o.reason ? ` (${o.reason})` : ""}`];
  if (o.challenges.length === 0) out.push(`${indent}  challenges: none`);
  for (const c of o.challenges) {
    out.push(`${indent}  challenge ${c.name}: ${c.type} for ${c.dnsName || "?"}, state ${c.state}, presented ${c.presented}, processing ${c.processing}${c.reason ? `: ${c.reason}` : ""}`);
    out.push(...eventLines(c.events, `${indent}    `));
  }
  out.push(...eventLines(o.events, `${indent}  `));
  return out;
}

/** The text for one Certificate. */
export function renderExplanation(e: CertificateExplanation): string {
  const out: string[] = [];
  out.push(`Certificate ${e.namespace}/${e.name}: Ready ${e.ready}${e.notAfter ? `; not after ${e.notAfter}` : ""}`);
  out.push(...conditionLines(e.conditions, "  "));
  out.push(`  issuer ${e.issuer.label}: ${e.issuer.found ? `Ready ${e.issuer.ready}` : "not found (the certificate cannot be issued until it exists)"}`);
  if (e.issuer.found) out.push(...eventLines(e.issuer.events, "    "));
  if (e.api === "cert-manager.io/v1") {
    if (e.requests.length === 0) out.push("  certificate requests: none (nothing was requested for it since it was restored)");
    for (const r of e.requests) {
      out.push(`  certificate request ${r.name}${r.revision ? ` (revision ${r.revision})` : ""}: Ready ${r.ready}`);
      out.push(...conditionLines(r.conditions, "    "));
      if (r.orders.length === 0) out.push("    orders: none");
      for (const o of r.orders) out.push(...orderLines(o, "    "));
      out.push(...eventLines(r.events, "    "));
    }
    if (e.orders.length) out.push("  orders whose certificate request is gone:");
    for (const o of e.orders) out.push(...orderLines(o, "    "));
  } else {
    if (e.orders.length === 0) out.push("  orders: none (no ACME order was made for it since it was restored)");
    for (const o of e.orders) out.push(...orderLines(o, "  "));
  }
  out.push(...eventLines(e.events, "  "));
  return out.join("\n") + "\n";
}
