// Offline: validate a backup and show what the upgrade will restore, copy and warn about.
import { readBackupFile } from "../lib/backup-file";
import { parseBackup } from "../lib/backup-format";
import { EXIT_FAILED, EXIT_OK, parseCommandLine, renderTable, runMain, UsageError } from "../lib/cli";
import { buildRestorePlan, planToJson, unknownWarnings } from "../lib/plan";
import { describePrediction, parseGoDuration } from "../lib/reissue-prediction";
import { TARGET_VERSIONS, TargetVersion } from "../lib/settings";
import { buildTargetPlanReport, renderTargetPlan, targetPlanToJson } from "../lib/target-plan-report";
import { targetWiring } from "../lib/targets";

const USAGE = `Usage: npm run plan -- --backup FILE [--target VERSION] [--json] [--legacy-namespace NS] [--namespace NS] [--cluster-resource-namespace NS] [--expect-missing NAMES] [--renew-before-expiry-duration D] [--renewal-margin D]

Validates a backup (this project's, or \`kubectl get -o yaml --all-namespaces issuer,clusterissuer,certificates\`
output, or multi-document YAML) without touching a cluster, and prints what will be restored in
which order, which Secrets will be copied from where to where, what cert-manager 0.6.2 will issue
anew and which ACME accounts it will register (with the reason for each), the warnings and the errors.
With --target v1.1.1: the objects as cert-manager v1.1.1 gets them (cert-manager.io/v1, counted per
kind), each issuer's conversion, what the conversion or v1.1.1's webhook refuses (object, field, rule,
fix), the TLS Secrets' annotations renamed (when the backup records them), and what v1.1.1 will issue
anew and register.

  --backup FILE           the backup to read (required)
  --target VERSION        the cert-manager to upgrade to, as the stack's targetVersion: ${TARGET_VERSIONS.join(" or ")}
                          (default: v0.6.2); --target-version is the same
  --json                  print exactly one JSON object on stdout (use \`npm run -s plan\`: without -s, npm
                          prints its own "> ..." banner lines on stdout first)
  --legacy-namespace NS   where the old release kept ClusterIssuer Secrets (default: kube-system)
  --namespace NS          the new release's namespace (default: cert-manager)
  --cluster-resource-namespace NS
                          where 0.6 reads ClusterIssuer Secrets, when the stack's chart values set
                          clusterResourceNamespace (default: the --namespace)
  --expect-missing NAMES  ClusterIssuer Secrets that will not be copied, comma-separated (the stack's
                          expectedMissingSecrets): an ACME account key among them means a new account
  --renew-before-expiry-duration D
                          the 0.6.2 controller's flag of that name, when the release sets it (Go
                          duration, e.g. 720h; default 720h = 30 days); a Certificate's
                          spec.renewBefore takes precedence (v0.6.2 only: v1.1.1 has no such flag)
  --renewal-margin D      how long after now the upgrade may run (Go duration; default 168h = 7 days):
                          a certificate whose renewal window opens within it "may be issued"

A relative path is relative to the project folder (where Pulumi.yaml is), as in stack config.
With --target v1.1.1, anything the conversion or v1.1.1's webhook refuses makes the backup invalid.
Exit codes: 0 valid, 1 invalid, 2 usage.`;

/** A flag's Go duration in milliseconds; undefined when the flag is not given. */
function durationFlag(name: string, value: string | undefined, example: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = parseGoDuration(value);
  if (ms === undefined || ms < 0) throw new UsageError(`--${name} ${JSON.stringify(value)} is not a Go duration such as ${example}`);
  return ms;
}

runMain("plan", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    backup: { type: "string" },
    target: { type: "string" },
    "target-version": { type: "string" },
    json: { type: "boolean", default: false },
    "legacy-namespace": { type: "string", default: "kube-system" },
    namespace: { type: "string", default: "cert-manager" },
    "cluster-resource-namespace": { type: "string" },
    "expect-missing": { type: "string", default: "" },
    "renew-before-expiry-duration": { type: "string" },
    "renewal-margin": { type: "string" },
  }, USAGE);
  if (!args.backup) throw new UsageError("--backup FILE is required");
  if (args.target !== undefined && args["target-version"] !== undefined && args.target !== args["target-version"]) {
    throw new UsageError("--target and --target-version name the same setting: give one");
  }
  const targetArg = args.target ?? args["target-version"] ?? "v0.6.2";
  if (!(TARGET_VERSIONS as readonly string[]).includes(targetArg)) throw new UsageError(`--target ${JSON.stringify(targetArg)} is not a target: use ${TARGET_VERSIONS.join(" or ")}`);
  const target = targetArg as TargetVersion;
  if (target !== "v0.6.2" && args["renew-before-expiry-duration"] !== undefined) {
    throw new UsageError(`--renew-before-expiry-duration is the 0.6.2 controller's flag: cert-manager ${target} has none (a Certificate's spec.renewBefore, else 30 days)`);
  }
  const renewBeforeDefaultMs = durationFlag("renew-before-expiry-duration", args["renew-before-expiry-duration"], "720h");
  const renewalMarginMs = durationFlag("renewal-margin", args["renewal-margin"], "168h");
  const bytes = readBackupFile(args.backup);
  const backup = parseBackup(bytes, args.backup);
  const options = {
    legacyNamespace: args["legacy-namespace"]!,
    namespace: args.namespace!,
    clusterResourceNamespace: args["cluster-resource-namespace"],
    accountKeysNotCopied: args["expect-missing"]!.split(",").map((n) => n.trim()).filter(Boolean),
    renewBeforeDefaultMs,
    renewalMarginMs,
  };
  const plan = buildRestorePlan(backup, options);

  const wiring = targetWiring(target);
  if (wiring.converts) {
    const report = buildTargetPlanReport(wiring, plan, backup.objects, {
      meta: backup.meta,
      legacyNamespace: options.legacyNamespace,
      // As the program decides (lib/stack-inputs.ts): nothing is copied when the target reads the legacy namespace.
      accountKeysNotCopied: (options.clusterResourceNamespace || options.namespace) === options.legacyNamespace ? [] : options.accountKeysNotCopied,
      renewalMarginMs,
    });
    process.stdout.write(args.json ? JSON.stringify(targetPlanToJson(report)) + "\n" : renderTargetPlan(report));
    return report.valid ? EXIT_OK : EXIT_FAILED;
  }

  if (args.json) {
    process.stdout.write(JSON.stringify(planToJson(plan)) + "\n");
    return plan.valid ? EXIT_OK : EXIT_FAILED;
  }

  const out: string[] = [];
  out.push(`Restore order (${plan.restore.length} objects${plan.recordedOnly ? `; ${plan.recordedOnly} orders/challenges recorded, not restored` : ""}):`);
  out.push(renderTable(["#", "KIND", "NAMESPACE", "NAME"], plan.restore.map((r, i) => [String(i + 1), r.kind, r.namespace || "-", r.name])).trimEnd());
  out.push("");
  out.push(`Secrets to copy before any ClusterIssuer is restored (${plan.secretsToCopy.length}):`);
  if (plan.secretsToCopy.length) {
    out.push(renderTable(["NAME", "FROM", "TO", "USED BY"], plan.secretsToCopy.map((s) => [s.name, s.from, s.to, s.usedBy.join(", ")])).trimEnd());
  } else {
    out.push("  none");
  }
  if (plan.secretsInPlace.length) {
    out.push(`Secrets already where 0.6 reads them (not copied, never cleaned up) (${plan.secretsInPlace.length}):`);
    out.push(renderTable(["NAME", "NAMESPACE", "USED BY"], plan.secretsInPlace.map((s) => [s.name, s.to, s.usedBy.join(", ")])).trimEnd());
  }
  out.push("");
  out.push(`Warnings (${plan.warnings.length}):`);
  for (const w of plan.warnings) out.push(`  ${w.object}: ${w.message}`);
  const unknown = unknownWarnings(plan.prediction);
  if (unknown.length) {
    out.push(`Cannot tell what cert-manager 0.6.2 does (${plan.prediction.unknown.length}; the backup lacks the facts):`);
    for (const u of unknown) out.push(`  ${u.object}: ${u.message}`);
  }
  if (plan.renewal.length) {
    out.push(`Renewal after the upgrade (${plan.renewal.length} ACME issuer(s)):`);
    for (const r of plan.renewal) out.push(`  ${r.object}: ${r.message}`);
  }
  out.push(`Errors (${plan.errors.length}):`);
  for (const e of plan.errors) out.push(`  ${e.object}: ${e.message}`);
  out.push("");
  out.push(`plan: ${describePrediction(plan.prediction)}`);
  out.push(plan.valid ? "The backup is valid." : "The backup is NOT valid: fix the errors above before upgrading.");
  process.stdout.write(out.join("\n") + "\n");
  return plan.valid ? EXIT_OK : EXIT_FAILED;
});
