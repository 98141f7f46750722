// The stack setting leaveOut: checked against the backup, applied to the plan, shown in the preview
// summary and in verify (issue 19, item 1, step 3).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { checkLeaveOut, describeLeftOut, leaveOutCommand, parseLeftOutLine, withoutLeftOut } from "../lib/leave-out";
import { buildRestorePlan } from "../lib/plan";
import { renderMarkdown, renderText, summarizePreview } from "../lib/preview-summary";
import { ConfigError, parseSettings } from "../lib/settings";
import { objectLabel } from "../lib/types";
import { verifyAgainstBackup } from "../lib/verify";
import { seedPreview } from "./support/preview-json";
import { ownBackup, seedObjects } from "./support/fixtures";

const parsed = parseBackup(ownBackup(seedObjects()).text, "b.yaml");
const WHERE = "config key cert-manager-upgrade:leaveOut in Pulumi.dev.yaml";

test("leaveOut is a list of strings, empty by default", () => {
  const base = { "cert-manager-upgrade:backupFile": "b.yaml" };
  assert.deepEqual(parseSettings(base).leaveOut, []);
  assert.deepEqual(parseSettings({ ...base, "cert-manager-upgrade:leaveOut": '["ClusterIssuer/x"]' }).leaveOut, ["ClusterIssuer/x"]);
  assert.throws(() => parseSettings({ ...base, "cert-manager-upgrade:leaveOut": "ClusterIssuer/x" }), /cert-manager-upgrade:leaveOut .* must be an array/);
});

test("every entry must name an Issuer, ClusterIssuer or Certificate of the backup: otherwise one line naming the key and the entries", () => {
  assert.deepEqual(checkLeaveOut(["Certificate/test/ivan-test-cert", "ClusterIssuer/letsencrypt-staging", "Certificate/test/ivan-test-cert"], parsed, "b.yaml", WHERE),
    ["ClusterIssuer/letsencrypt-staging", "Certificate/test/ivan-test-cert"], "the backup's order, once each");
  assert.throws(() => checkLeaveOut(["ClusterIssuer/letsencrypt-staging", "Certificate/ivan-test-cert", "ClusterIssuer/default/letsencrypt-prod"], parsed, "b.yaml", WHERE), (e: Error) => {
    assert.ok(e instanceof ConfigError);
    assert.doesNotMatch(e.message, /\n/);
    assert.equal(e.message, `${WHERE} names "Certificate/ivan-test-cert", "ClusterIssuer/default/letsencrypt-prod", which b.yaml does not hold as an Issuer, ClusterIssuer or Certificate; ` +
      "an entry is Kind/namespace/name (ClusterIssuer/name), e.g. Certificate/default/wonder-app-cert: fix or remove it");
    return true;
  });
});

test("the plan is built without the left-out objects; their Secrets are not copied", () => {
  const plan = buildRestorePlan(withoutLeftOut(parsed, ["ClusterIssuer/letsencrypt-staging", "Certificate/test/ivan-test-cert"]));
  assert.deepEqual(plan.restore.map((r) => objectLabel(r)), ["ClusterIssuer/letsencrypt-prod", "Certificate/default/wonder-app-cert"]);
  assert.ok(!plan.secretsToCopy.some((s) => s.name === "cert-manager-setup-staging-private-key"));
  assert.equal(withoutLeftOut(parsed, []), parsed);
});

test("the program's line reads back, and the preview summary shows the objects as left out on purpose", () => {
  const line = describeLeftOut(["ClusterIssuer/letsencrypt-staging", "Certificate/test/ivan-test-cert"], "backups/dev/b.yaml")!;
  assert.deepEqual(parseLeftOutLine(line), ["ClusterIssuer/letsencrypt-staging", "Certificate/test/ivan-test-cert"]);
  assert.equal(describeLeftOut([], "b.yaml"), undefined);
  const json = seedPreview() as { diagnostics?: unknown[] };
  json.diagnostics = [...(json.diagnostics ?? []), { severity: "warning", message: `warning: ${line}\n` }];
  const model = summarizePreview(json);
  assert.deepEqual(model.leftOut, ["ClusterIssuer/letsencrypt-staging", "Certificate/test/ivan-test-cert"]);
  const text = renderText(model, "dev");
  assert.match(text, /LEFT OUT ON PURPOSE \(2\): the stack setting leaveOut names them: they are not restored, and they go with the old CRDs/);
  assert.match(text, /\n {2}ClusterIssuer\/letsencrypt-staging\n {2}Certificate\/test\/ivan-test-cert\n/);
  assert.match(renderMarkdown(model, "dev"), /### Left out on purpose \(2\)[\s\S]*- `ClusterIssuer\/letsencrypt-staging`/);
  assert.deepEqual(summarizePreview(seedPreview()).leftOut, []);
  assert.doesNotMatch(renderText(summarizePreview(seedPreview()), "dev"), /LEFT OUT/);
});

test("verify: a left-out object that is not in the cluster is a note, not a difference", () => {
  const leaveOut = ["ClusterIssuer/letsencrypt-staging"];
  const plan = buildRestorePlan(withoutLeftOut(parsed, leaveOut));
  const objects = new Map(plan.restore.map((r) => [objectLabel(r), structuredClone(r.object)]));
  const live = { objects, tlsSecrets: new Map([["default/wonder-app-cert", {}], ["test/ivan-test-cert", {}]]), copiedSecrets: new Map(plan.secretsToCopy.map((s) => [s.name, { present: true, sameAsSource: true }])), webhookEnabled: false };
  const report = verifyAgainstBackup(plan, parsed.objects, live, { namespace: "cert-manager", allowPending: true, leaveOut });
  assert.deepEqual(report.differences.filter((d) => d.object.includes("letsencrypt-staging")), []);
  assert.equal(report.rows.find((r) => r.name === "letsencrypt-staging")!.check, "left out on purpose");
  assert.ok(report.notes.some((n) => n.object === "ClusterIssuer/letsencrypt-staging" && /left out on purpose \(leaveOut\)/.test(n.message)));
  // Without the option it is what it is: not in the cluster.
  const full = buildRestorePlan(parsed);
  assert.ok(verifyAgainstBackup(full, parsed.objects, live, { namespace: "cert-manager", allowPending: true }).differences.some((d) => d.object === "ClusterIssuer/letsencrypt-staging" && d.message === "not in the cluster"));
});

test("the fix names the command that leaves an object out", () => {
  assert.equal(leaveOutCommand("Certificate/default/x", 2), "pulumi config set --path 'leaveOut[2]' Certificate/default/x");
});
