import assert from "node:assert/strict";
import { test } from "node:test";
import { PairMeasure, StampedEvent, figure, previewInUp, formatSeconds, median, ratio, renderGoals, renderMarkdown, spread, summarize, upParts, updateEvents, urnTypes } from "../lib/bench-report";

test("median: the middle value, or the mean of the two middle ones; unsorted input", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.ok(Number.isNaN(median([])));
});

test("spread and ratio", () => {
  assert.deepEqual(spread([5, 2, 9]), { min: 2, max: 9 });
  assert.equal(ratio(30, 20), 1.5);
  assert.ok(Number.isNaN(ratio(1, 0)));
  assert.deepEqual(figure([3, undefined, 1, NaN, 2]), { median: 2, min: 1, max: 3, n: 3 });
  assert.equal(figure([undefined]), undefined);
  assert.equal(formatSeconds({ median: 12.34, min: 11.9, max: 13.04, n: 3 }), "12.3 s (11.9–13.0)");
  assert.equal(formatSeconds({ median: 12.34, min: 12.34, max: 12.34, n: 1 }), "12.3 s");
});

const STACK = "urn:pulumi:bench::cert-manager-upgrade::pulumi:pulumi:Stack::cert-manager-upgrade-bench";
const urn = (chain: string, name: string) => `urn:pulumi:bench::cert-manager-upgrade::${chain}::${name}`;
const pre = (at: number, u: string): StampedEvent => ({ at, event: { resourcePreEvent: { metadata: { urn: u } } } });
const out = (at: number, u: string): StampedEvent => ({ at, event: { resOutputsEvent: { metadata: { urn: u } } } });

test("urnTypes: the type chain of a URN", () => {
  assert.deepEqual(urnTypes(urn("a:b:C$d:e:F", "x")), ["a:b:C", "d:e:F"]);
  assert.deepEqual(urnTypes("not a urn"), []);
});

test("upParts: each part spans its resources' steps, components' own registrations left out; restore end is the last batch's end", () => {
  const removal = "cert-manager-upgrade:index:LegacyReleaseRemoval";
  const restore = "cert-manager-upgrade:index:RestoredResources";
  const events: StampedEvent[] = [
    pre(1_000, STACK),
    pre(1_100, urn(removal, "legacy-release")), // the component, constructed at once
    pre(1_100, urn(restore, "restored")),
    pre(3_000, urn(`${removal}$pulumi-nodejs:dynamic:Resource`, "legacy-release-delete")),
    out(9_000, urn(`${removal}$pulumi-nodejs:dynamic:Resource`, "legacy-release-delete")),
    pre(12_000, urn(`${restore}$pulumi-nodejs:dynamic:Resource`, "batch-1")),
    pre(12_500, urn(`${restore}$pulumi-nodejs:dynamic:Resource`, "batch-2")),
    out(14_000, urn(`${restore}$pulumi-nodejs:dynamic:Resource`, "batch-2")),
    out(15_500, urn(`${restore}$pulumi-nodejs:dynamic:Resource`, "batch-1")),
    out(16_000, urn(restore, "restored")), // registerOutputs of the component
  ];
  const t = upParts(events, 0);
  assert.equal(t.programStart, 3);
  assert.deepEqual(t.parts.removal, { start: 3, end: 9 });
  assert.deepEqual(t.parts.restore, { start: 12, end: 15.5 });
  assert.equal(t.lastRestoreEnd, 15.5);
  assert.equal(t.parts.crds, undefined);
});

test("updateEvents: the preview's steps that `pulumi up` logs first are left out", () => {
  const child = urn("cert-manager-upgrade:index:CertManagerCrds$kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition", "certificates");
  const events: StampedEvent[] = [pre(1, child), { at: 2, event: { summaryEvent: {} } as never }, pre(5, child), out(6, child), { at: 7, event: { summaryEvent: {} } as never }];
  assert.deepEqual(updateEvents(events).map((e) => e.at), [5, 6, 7]);
  // With --skip-preview (one summary at the end) everything is the update.
  assert.equal(updateEvents(events.slice(2)).length, 3);
  // The preview's time: its summary, from the start of `up`; none without a preview.
  assert.equal(previewInUp(events, 0), 0.002);
  assert.equal(previewInUp(events.slice(2), 0), undefined);
});

test("updateEvents: each run opens with a prelude; the update is the last run, even when the preview's summary was never read", () => {
  const child = urn("cert-manager-upgrade:index:CertManagerCrds$kubernetes:apiextensions.k8s.io/v1beta1:CustomResourceDefinition", "certificates");
  const prelude = (at: number): StampedEvent => ({ at, event: { preludeEvent: {} } as never });
  // The preview's summary lost (its log rewritten by the update before the tail was read).
  const events: StampedEvent[] = [prelude(0), pre(1, child), prelude(4000), pre(5000, child), out(6000, child), { at: 7000, event: { summaryEvent: {} } as never }];
  assert.deepEqual(updateEvents(events).map((e) => e.at), [4000, 5000, 6000, 7000]);
  assert.equal(upParts(updateEvents(events), 0).parts.crds?.start, 5);
  assert.equal(previewInUp(events, 0), 4);
  // One run only (--skip-preview): all of it is the update, no preview time.
  assert.equal(updateEvents(events.slice(2)).length, 4);
  assert.equal(previewInUp(events.slice(2), 0), undefined);
});

function pair(size: number, n: number, up: number, kubectlBackup: number, unmanagedWindow: number, total: number): PairMeasure {
  return { size, objects: size + 3, pair: n, order: n % 2 === 1 ? "pulumi up, then kubectl (backup, sanitized)" : "kubectl (backup, sanitized), then pulumi up", preview: 1, up, parts: { restore: up / 2 }, unmanagedWindow, kubectlBackup, kubectlSanitized: kubectlBackup / 2, memory: { engine: 100, total } };
}

test("summarize: medians per size, the ratio of the medians and the pairs' own ratios, goals met or missed by how much", () => {
  const summaries = summarize([
    pair(1000, 1, 30, 20, 10, 900), pair(1000, 2, 24, 20, 20, 1000), pair(1000, 3, 27, 10, 14, 950),
    pair(10000, 1, 100, 80, 70, 2500),
  ]);
  assert.deepEqual(summaries.map((s) => s.size), [1000, 10000]);
  const [small, large] = summaries;
  assert.deepEqual(small.figures.up, { median: 27, min: 24, max: 30, n: 3 });
  assert.equal(small.figures.kubectlBackup.median, 20);
  assert.equal(small.upOverKubectlBackup.ofMedians, 27 / 20);
  // Each pair's ratio: 1.5, 1.2, 2.7.
  assert.deepEqual(small.upOverKubectlBackup.pairs, { median: 1.5, min: 1.2, max: 2.7, n: 3 });
  const goal = (s: typeof small, word: string) => s.goals.find((g) => g.goal.includes(word))!;
  assert.equal(goal(small, "kubectl").met, true); // 1.35 ≤ 1.5
  assert.equal(goal(small, "unmanaged").met, true); // median 14 ≤ 15
  assert.equal(goal(small, "MiB").met, true);
  assert.equal(goal(large, "kubectl").met, false); // 1.25 > 1.0
  assert.equal(goal(large, "kubectl").over, 1.25);
  assert.equal(goal(large, "unmanaged").met, false);
  assert.equal(goal(large, "MiB").met, false); // 2500 > 2048
  const goals = renderGoals(summaries);
  assert.match(goals, /10,000 certificates: whole pulumi up ≤ 1× kubectl apply -f of the backup: 1\.25 — missed by 25 %/);
  assert.match(goals, /1,000 certificates: unmanaged window ≤ 15 s: 14\.0 s — met/);
  const table = renderMarkdown(summaries);
  assert.match(table, /\| \*\*whole `pulumi up`\*\* \| \*\*27\.0 s \(24\.0–30\.0\)\*\* \| \*\*100\.0 s\*\* \|/);
  assert.match(table, /\*\*1\.35\*\* \(1\.20–2\.70\)/);
  // Pairs 1 and 3 ran pulumi first, pair 2 kubectl first.
  assert.deepEqual(small.firstSide, { pulumi: 2, kubectl: 1 });
  assert.match(table, /\| pairs run `pulumi up` first \/ kubectl first \(each side on its own fresh cluster\) \| 2 \/ 1 \| 1 \/ 0 \|/);
  // No goals below 1,000 certificates.
  assert.deepEqual(summarize([pair(100, 1, 5, 1, 3, 500)])[0].goals, []);
});
