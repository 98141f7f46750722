// Why a Certificate is not Ready, from what the cluster says (pure: live objects and events in, text
// out): its conditions, its issuer's Ready condition, its Orders and their Challenges as cert-manager
// 0.6.2 makes them, and the Events about each. What `npm run explain` prints instead of sending the
// user to the controller's log (the seed's step 10).
//
// How 0.6.2 links them (pkg/issuer/acme/issue.go buildOrder, pkg/controller/acmeorders/sync.go
// buildChallenge): an Order is named `<certificate>-<hash>` in the Certificate's namespace, with a
// controller owner reference to the Certificate and the label acme.cert-manager.io/certificate-name;
// a Challenge is named `<order>-<i>`, owned by its Order, labelled acme.cert-manager.io/order-name.
import { readyCondition } from "./conditions";
import { KubeObject, objectLabel } from "./types";

export const CERTIFICATE_NAME_LABEL = "acme.cert-manager.io/certificate-name";
export const ORDER_NAME_LABEL = "acme.cert-manager.io/order-name";

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
  certificates: KubeObject[];
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

export interface CertificateExplanation {
  namespace: string;
  name: string;
  ready: string;
  conditions: Condition[];
  notAfter?: string;
  issuer: { label: string; found: boolean; ready: string; conditions: Condition[]; events: EventLine[] };
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

/** The Challenges of an Order: same namespace, owned by it or labelled with its name. */
export function challengesOf(order: KubeObject, challenges: KubeObject[]): KubeObject[] {
  const ns = order.metadata?.namespace;
  const name = order.metadata?.name ?? "";
  return challenges
    .filter((c) => c.metadata?.namespace === ns && (ownedBy(c, "Order", name, order.metadata?.uid) || c.metadata?.labels?.[ORDER_NAME_LABEL] === name))
    .sort((a, b) => str(a.metadata?.name).localeCompare(str(b.metadata?.name)));
}

export function explainCertificate(certificate: KubeObject, input: ExplainInput): CertificateExplanation {
  const namespace = certificate.metadata?.namespace ?? "";
  const name = certificate.metadata?.name ?? "";
  const issuerRef = certificate.spec?.issuerRef as { kind?: unknown; name?: unknown } | undefined;
  const issuerKind = str(issuerRef?.kind) || "Issuer";
  const issuerName = str(issuerRef?.name);
  const issuerNamespace = issuerKind === "ClusterIssuer" ? "" : namespace;
  const issuer = (issuerKind === "ClusterIssuer" ? input.clusterIssuers : input.issuers).find(
    (i) => i.metadata?.name === issuerName && (issuerKind === "ClusterIssuer" || i.metadata?.namespace === namespace),
  );
  const orders = ordersOf(certificate, input.orders).map((o): OrderExplanation => {
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
  });
  return {
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

/** The text for one Certificate. */
export function renderExplanation(e: CertificateExplanation): string {
  const out: string[] = [];
  out.push(`Certificate ${e.namespace}/${e.name}: Ready ${e.ready}${e.notAfter ? `; not after ${e.notAfter}` : ""}`);
  out.push(...conditionLines(e.conditions, "  "));
  out.push(`  issuer ${e.issuer.label}: ${e.issuer.found ? `Ready ${e.issuer.ready}` : "not found (the certificate cannot be issued until it exists)"}`);
  if (e.issuer.found) out.push(...eventLines(e.issuer.events, "    "));
  if (e.orders.length === 0) {
    out.push("  orders: none (no ACME order was made for it since it was restored)");
  }
  for (const o of e.orders) {
    out.push(`  order ${o.name}: state ${o.state}${o.reason ? ` (${o.reason})` : ""}`);
    if (o.challenges.length === 0) out.push("    challenges: none");
    for (const c of o.challenges) {
      out.push(`    challenge ${c.name}: ${c.type} for ${c.dnsName || "?"}, state ${c.state}, presented ${c.presented}, processing ${c.processing}${c.reason ? `: ${c.reason}` : ""}`);
      out.push(...eventLines(c.events, "      "));
    }
    out.push(...eventLines(o.events, "    "));
  }
  out.push(...eventLines(e.events, "  "));
  return out.join("\n") + "\n";
}
