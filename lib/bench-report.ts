// The benchmark's arithmetic over plain data: the parts of a `pulumi up` from its event log, the
// medians and spread of the pairs, the ratios, the goal checks and the tables. No I/O here.

/** One line of `pulumi up --event-log`, with the moment this process read it (ms since the epoch). */
export interface StampedEvent {
  at: number;
  event: EngineEvent;
}

/** The fields of a Pulumi engine event the report reads. */
export interface EngineEvent {
  timestamp?: number;
  resourcePreEvent?: { metadata?: { urn?: string; type?: string; op?: string } };
  resOutputsEvent?: { metadata?: { urn?: string; type?: string; op?: string } };
}

/** The parts of the upgrade, as the program declares them (components' type tokens). */
export const UP_PARTS = [
  { part: "removal", type: "cert-manager-upgrade:index:LegacyReleaseRemoval" },
  { part: "crds", type: "cert-manager-upgrade:index:CertManagerCrds" },
  { part: "release", type: "cert-manager-upgrade:index:CertManagerRelease" },
  { part: "webhookWait", type: "cert-manager-upgrade:index:WebhookReadiness" },
  { part: "restore", type: "cert-manager-upgrade:index:RestoredResources" },
] as const;

export type UpPart = (typeof UP_PARTS)[number]["part"];

export interface Span {
  /** Seconds from the start of `pulumi up`. */
  start: number;
  end: number;
}

const COMPONENT_TYPES = new Set<string>([...UP_PARTS.map((p) => p.type), "pulumi:pulumi:Stack"]);

/** The type chain of a URN: `urn:pulumi:stack::project::parent$child::name` → [parent, child]. */
export function urnTypes(urn: string): string[] {
  const parts = urn.split("::");
  return parts.length >= 4 ? parts[2].split("$") : [];
}

/**
 * When each part of the upgrade ran: from the first step of a resource under its component to the
 * last such step's end, in seconds since `startMs`. Component registrations themselves are left
 * out (the program constructs every component at once, long before its resources can be created).
 * `programStart` is the time until the first resource's step: engine start, the program's start
 * and the preview `pulumi up` runs first.
 */
export function upParts(events: StampedEvent[], startMs: number): { programStart?: number; parts: Partial<Record<UpPart, Span>>; lastRestoreEnd?: number } {
  const parts: Partial<Record<UpPart, Span>> = {};
  let firstStep: number | undefined;
  for (const { at, event } of events) {
    const pre = event.resourcePreEvent?.metadata;
    const out = event.resOutputsEvent?.metadata;
    const meta = pre ?? out;
    if (!meta?.urn) continue;
    // Previews (`pulumi up` runs one first) report steps too, without outputs; only the update's count.
    const types = urnTypes(meta.urn);
    const own = types[types.length - 1];
    if (COMPONENT_TYPES.has(own)) continue;
    const seconds = (at - startMs) / 1000;
    if (pre && firstStep === undefined) firstStep = seconds;
    for (const { part, type } of UP_PARTS) {
      if (!types.includes(type)) continue;
      const span = parts[part];
      if (pre) parts[part] = span ? { start: Math.min(span.start, seconds), end: Math.max(span.end, seconds) } : { start: seconds, end: seconds };
      else if (span) span.end = Math.max(span.end, seconds);
    }
  }
  return { programStart: firstStep, parts, lastRestoreEnd: parts.restore?.end };
}

const isPrelude = (e: StampedEvent): boolean => (e.event as { preludeEvent?: unknown }).preludeEvent !== undefined;
const isSummary = (e: StampedEvent): boolean => (e.event as { summaryEvent?: unknown }).summaryEvent !== undefined;

/**
 * Keeps the update's events only: `pulumi up` without --skip-preview runs its preview first and logs
 * its steps too. Each run opens with a prelude event; the update is the last one. Without a second
 * prelude (the preview's log rewritten before it was read whole), the first summary ends the preview.
 */
export function updateEvents(events: StampedEvent[]): StampedEvent[] {
  const preludes = events.flatMap((e, i) => (isPrelude(e) ? [i] : []));
  if (preludes.length >= 2) return events.slice(preludes[preludes.length - 1]);
  const firstSummary = events.findIndex(isSummary);
  if (firstSummary < 0) return events;
  const rest = events.slice(firstSummary + 1);
  return rest.some((e) => e.event.resourcePreEvent) ? rest : events;
}

/**
 * How long the preview that `pulumi up` runs before the update took, from the start of `up`: until
 * the update's prelude, else the first of two summary events (undefined: no preview, or its events
 * not seen).
 */
export function previewInUp(events: StampedEvent[], startMs: number): number | undefined {
  const preludes = events.filter(isPrelude);
  if (preludes.length >= 2) return (preludes[preludes.length - 1].at - startMs) / 1000;
  const summaries = events.filter(isSummary);
  return summaries.length >= 2 ? (summaries[0].at - startMs) / 1000 : undefined;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function spread(values: number[]): { min: number; max: number } {
  return values.length === 0 ? { min: NaN, max: NaN } : { min: Math.min(...values), max: Math.max(...values) };
}

export function ratio(numerator: number, denominator: number): number {
  return denominator > 0 ? numerator / denominator : NaN;
}

/** What one pair measured (seconds, MiB). Absent figures were not measured (e.g. no server-side apply on 1.15). */
export interface PairMeasure {
  size: number;
  objects: number;
  pair: number;
  /** Which side ran first, e.g. "kubectl (backup, sanitized), then pulumi up"; older runs: "up, kubectl backup, …". */
  order: string;
  preview: number;
  up: number;
  programStart?: number;
  previewInUp?: number;
  parts: Partial<Record<UpPart, number>>;
  unmanagedWindow?: number;
  controllerReady?: number;
  kubectlBackup: number;
  kubectlSanitized: number;
  kubectlServerSide?: number;
  /** Peak RSS per part of the process tree under `pulumi up`, and the whole tree's peak (MiB). */
  memory: Record<string, number>;
}

export interface Figure {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function figure(values: Array<number | undefined>): Figure | undefined {
  const present = values.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
  if (present.length === 0) return undefined;
  return { median: median(present), ...spread(present), n: present.length };
}

export interface SizeSummary {
  size: number;
  objects: number;
  pairs: number;
  figures: Record<string, Figure>;
  /** Ratio of the medians, and each pair's own ratio's median and spread. */
  upOverKubectlBackup: { ofMedians: number; pairs: Figure | undefined };
  /** How many pairs ran the `pulumi up` side first and how many the kubectl side (PairMeasure.order). */
  firstSide: { pulumi: number; kubectl: number };
  goals: GoalCheck[];
}

export interface GoalCheck {
  goal: string;
  target: number;
  measured: number;
  met: boolean;
  /** How far off, as a factor of the target (1.2: 20 % over). */
  over: number;
}

/** The goals of issue 21 for a size; none below 1,000 certificates. */
export function goalsFor(size: number): { upOverKubectl: number; unmanagedSeconds: number; totalMemoryMiB: number } | undefined {
  if (size >= 10_000) return { upOverKubectl: 1.0, unmanagedSeconds: 60, totalMemoryMiB: 2048 };
  if (size >= 1_000) return { upOverKubectl: 1.5, unmanagedSeconds: 15, totalMemoryMiB: 2048 };
  return undefined;
}

function check(goal: string, target: number, measured: number | undefined): GoalCheck | undefined {
  if (measured === undefined || !Number.isFinite(measured)) return undefined;
  return { goal, target, measured, met: measured <= target, over: measured / target };
}

export function summarize(pairs: PairMeasure[]): SizeSummary[] {
  const sizes = [...new Set(pairs.map((p) => p.size))].sort((a, b) => a - b);
  return sizes.map((size) => {
    const mine = pairs.filter((p) => p.size === size);
    const figures: Record<string, Figure> = {};
    const put = (key: string, values: Array<number | undefined>) => {
      const f = figure(values);
      if (f) figures[key] = f;
    };
    put("preview", mine.map((p) => p.preview));
    put("up", mine.map((p) => p.up));
    put("programStart", mine.map((p) => p.programStart));
    put("previewInUp", mine.map((p) => p.previewInUp));
    const partNames = [...new Set(mine.flatMap((p) => Object.keys(p.parts)))];
    for (const part of partNames) put(`part.${part}`, mine.map((p) => p.parts[part as UpPart]));
    put("unmanagedWindow", mine.map((p) => p.unmanagedWindow));
    put("controllerReady", mine.map((p) => p.controllerReady));
    put("kubectlBackup", mine.map((p) => p.kubectlBackup));
    put("kubectlSanitized", mine.map((p) => p.kubectlSanitized));
    put("kubectlServerSide", mine.map((p) => p.kubectlServerSide));
    const roles = [...new Set(mine.flatMap((p) => Object.keys(p.memory)))];
    for (const role of roles) put(`memory.${role}`, mine.map((p) => p.memory[role]));
    const pairRatios = figure(mine.map((p) => ratio(p.up, p.kubectlBackup)));
    const ofMedians = ratio(figures.up?.median ?? NaN, figures.kubectlBackup?.median ?? NaN);
    const goals = goalsFor(size);
    const checks = goals ? [
      check(`whole pulumi up ≤ ${goals.upOverKubectl}× kubectl apply -f of the backup`, goals.upOverKubectl, ofMedians),
      check(`unmanaged window ≤ ${goals.unmanagedSeconds} s`, goals.unmanagedSeconds, figures.unmanagedWindow?.median),
      check(`all processes of pulumi up ≤ ${goals.totalMemoryMiB} MiB`, goals.totalMemoryMiB, figures["memory.total"]?.median),
    ].filter((c): c is GoalCheck => c !== undefined) : [];
    const kubectlFirst = mine.filter((p) => p.order.startsWith("kubectl")).length;
    return { size, objects: mine[0].objects, pairs: mine.length, figures, upOverKubectlBackup: { ofMedians, pairs: pairRatios }, firstSide: { pulumi: mine.length - kubectlFirst, kubectl: kubectlFirst }, goals: checks };
  });
}

/** `12.3 s (11.9–13.0)`: the median and, with more than one pair, the spread. */
export function formatSeconds(f: Figure | undefined): string {
  if (!f) return "–";
  const m = f.median.toFixed(1);
  return f.n > 1 ? `${m} s (${f.min.toFixed(1)}–${f.max.toFixed(1)})` : `${m} s`;
}

export function formatMiB(f: Figure | undefined): string {
  if (!f) return "–";
  return f.n > 1 ? `${Math.round(f.median)} MiB (${Math.round(f.min)}–${Math.round(f.max)})` : `${Math.round(f.median)} MiB`;
}

export function formatRatio(r: number): string {
  return Number.isFinite(r) ? r.toFixed(2) : "–";
}

const PART_LABELS: Record<string, string> = {
  programStart: "start: engine, program, the preview `up` runs first, until the first step",
  previewInUp: "— of which the preview `up` runs first",
  "part.removal": "removal (release, old CRDs and their objects, waited for)",
  "part.crds": "0.6 CRDs",
  "part.release": "Helm release v0.6.6",
  "part.webhookWait": "webhook wait",
  "part.restore": "restore (batches)",
};

/** The README's tables: one column per size, one row per figure (medians, spread in brackets). */
export function renderMarkdown(summaries: SizeSummary[]): string {
  const header = `| | ${summaries.map((s) => `${s.size.toLocaleString("en")} certificates (${s.objects.toLocaleString("en")} objects), ${s.pairs} pair${s.pairs === 1 ? "" : "s"}`).join(" | ")} |`;
  const rule = `| --- |${summaries.map(() => " --- |").join("")}`;
  const row = (label: string, cell: (s: SizeSummary) => string) => `| ${label} | ${summaries.map(cell).join(" | ")} |`;
  const lines = [header, rule,
    row("pairs run `pulumi up` first / kubectl first (each side on its own fresh cluster)", (s) => `${s.firstSide.pulumi} / ${s.firstSide.kubectl}`),
    row("`pulumi preview`", (s) => formatSeconds(s.figures.preview)),
    row("**whole `pulumi up`**", (s) => `**${formatSeconds(s.figures.up)}**`),
    ...Object.entries(PART_LABELS).map(([key, label]) => row(`— ${label}`, (s) => formatSeconds(s.figures[key]))),
    row("`kubectl apply -f` of the backup (as the seed does it)", (s) => formatSeconds(s.figures.kubectlBackup)),
    row("`kubectl apply -f` of the sanitized objects the restore sends", (s) => formatSeconds(s.figures.kubectlSanitized)),
    row("`kubectl apply --server-side` of them", (s) => formatSeconds(s.figures.kubectlServerSide)),
    row("**`pulumi up` / `kubectl apply -f` backup** (ratio of medians; pairs' ratios)", (s) => `**${formatRatio(s.upOverKubectlBackup.ofMedians)}**${s.upOverKubectlBackup.pairs && s.upOverKubectlBackup.pairs.n > 1 ? ` (${formatRatio(s.upOverKubectlBackup.pairs.min)}–${formatRatio(s.upOverKubectlBackup.pairs.max)})` : ""}`),
    row("**unmanaged window** (old CRDs deleted → last object restored)", (s) => `**${formatSeconds(s.figures.unmanagedWindow)}**`),
    row("until the 0.6.2 controller reported Ready on every object (after `up`)", (s) => formatSeconds(s.figures.controllerReady)),
  ];
  const roles = [...new Set(summaries.flatMap((s) => Object.keys(s.figures).filter((k) => k.startsWith("memory.")).map((k) => k.slice(7))))];
  const order = ["engine", "languageHost", "program", "kubernetesProvider", "dynamicProvider", "other", "total"];
  roles.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  // A role seen only as a process that had exited (no memory left) says nothing.
  for (const role of roles.filter((r) => summaries.some((s) => (s.figures[`memory.${r}`]?.max ?? 0) > 0))) lines.push(row(`peak RSS: ${role === "total" ? "**all processes of `pulumi up` at once**" : role}`, (s) => formatMiB(s.figures[`memory.${role}`])));
  return lines.join("\n") + "\n";
}

/** The goals, one line each: met, or missed by how much. */
export function renderGoals(summaries: SizeSummary[]): string {
  const lines: string[] = [];
  for (const s of summaries) {
    for (const g of s.goals) {
      const measured = g.goal.startsWith("whole") ? formatRatio(g.measured) : g.goal.includes("MiB") ? `${Math.round(g.measured)} MiB` : `${g.measured.toFixed(1)} s`;
      lines.push(`${s.size.toLocaleString("en")} certificates: ${g.goal}: ${measured} — ${g.met ? "met" : `missed by ${Math.round((g.over - 1) * 100)} %`}`);
    }
  }
  return lines.join("\n") + (lines.length ? "\n" : "");
}
