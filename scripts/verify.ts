// After `pulumi up`: compare the live cluster with the backup and print a table like `kubectl get`.
import { X509Certificate } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import * as k8s from "@kubernetes/client-node";
import { readBackupFile } from "../lib/backup-file";
import { parseBackup } from "../lib/backup-format";
import { CliError, EXIT_FAILED, EXIT_OK, Progress, UsageError, parseCommandLine, renderTable, runMain } from "../lib/cli";
import { RetryLog, clusterIdentity, discoverApiVersions, isObjectNotFound, listCertManagerKind, listSecrets, loadKubeConfig, readSecret, requestFailed, withRetry } from "../lib/kube";
import { apiRegistrationVersionFor } from "../lib/served-apis";
import { checkLeaveOut, withoutLeftOut } from "../lib/leave-out";
import { previousChartObjects } from "../lib/previous-release";
import { buildRestorePlan } from "../lib/plan";
import { ConfigError, TARGET_VERSIONS, TargetVersion } from "../lib/settings";
import { describeFinding, planForTarget, targetWiring } from "../lib/targets";
import { certificateFacts, isoSeconds } from "../lib/tls-facts";
import { CERTMANAGER_GROUP, CERTMANAGER_VERSION, KIND_PLURALS, KubeObject, RESTORE_KINDS, objectLabel } from "../lib/types";
import { DEFAULT_RELEASE_NAME, LiveState, verifyAgainstBackup } from "../lib/verify";

const USAGE = `Usage: npm run verify -- --backup FILE [--context NAME] [--kubeconfig PATH] [--namespace NS] [--release-name NAME] [--legacy-namespace NS] [--cluster-resource-namespace NS] [--expect-missing NAME,...] [--leave-out LABEL,...] [--allow-pending] [--target v0.6.2|v1.1.1]

After the upgrade, checks that every Issuer, ClusterIssuer and Certificate of the backup is back
with the same spec, labels and ownerReferences, Ready as before, its TLS Secret in place with the
same certificate as at backup time (serial and SHA-256 fingerprint; a different one means it was
re-issued; expiry shown), the copied issuer Secrets equal to their sources, and the 0.6 webhook's
own issuers and certificates present and Ready, and that renewals work: a Certificate of an ACME
issuer whose newest Order ended errored, invalid or expired, or that is inside its renewal window
with no valid Order since, is a difference (cert-manager 0.6.2 cannot complete an Order against an
RFC 8555 server such as Let's Encrypt today). An object not Ready before may stay not Ready.
For each Certificate not Ready now it names \`npm run explain -- --certificate NS/NAME\`, which
shows why. Prints a table and exits 1 on any difference.

  --backup FILE           the backup taken before the upgrade (required)
  --context NAME          kube context (default: current)
  --kubeconfig PATH       kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  --namespace NS          the new release's namespace (default: cert-manager)
  --release-name NAME     the new release's name, stack key releaseName (default: cert-manager);
                          the webhook's own objects are named after it
  --legacy-namespace NS   where the old release kept ClusterIssuer Secrets (default: kube-system)
  --cluster-resource-namespace NS
                          where 0.6 reads ClusterIssuer Secrets, when the stack's chart values set
                          clusterResourceNamespace (default: the --namespace)
  --expect-missing NAMES  ClusterIssuer Secrets deliberately not copied, comma-separated (the stack's
                          expectedMissingSecrets); Secrets the backup found missing need not be listed
  --leave-out LABELS      objects left out on purpose, comma-separated Kind/namespace/name (the stack's
                          leaveOut): not restored, so a note rather than MISSING
  --allow-pending         accept a Ready condition not reported yet (cert-manager's controller not running)
  --target VERSION        the stack's targetVersion: v0.6.2 (default, as above) or v1.1.1: the backup is
                          converted as the upgrade converted it (lib/targets) and compared with the live
                          cert-manager.io/v1 objects (spec as converted, labels, ownerReferences, Ready as
                          v1.1.1 reports it); a TLS certificate replaced while inside its renewal window is
                          said to be renewed, any other is re-issued (a difference); renewals are judged on
                          the acme.cert-manager.io/v1 Orders of each Certificate's CertificateRequests;
                          v1.1.1's webhook has no issuers or certificates of its own

A relative path is relative to the project folder (where Pulumi.yaml is), as in stack config.
Exit codes: 0 everything is back, 1 differences found or failure, 2 usage.`;

runMain("verify", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    backup: { type: "string" },
    context: { type: "string" },
    kubeconfig: { type: "string" },
    namespace: { type: "string", default: "cert-manager" },
    "legacy-namespace": { type: "string", default: "kube-system" },
    "release-name": { type: "string", default: DEFAULT_RELEASE_NAME },
    "expect-missing": { type: "string", default: "" },
    "cluster-resource-namespace": { type: "string" },
    "allow-pending": { type: "boolean", default: false },
    "leave-out": { type: "string", default: "" },
    target: { type: "string", default: "v0.6.2" },
  }, USAGE);
  if (!(TARGET_VERSIONS as readonly string[]).includes(args.target!)) throw new UsageError(`--target ${args.target}: expected one of ${TARGET_VERSIONS.join(", ")} (the stack's targetVersion)`);
  const target = args.target as TargetVersion;
  const v1 = target === "v1.1.1";
  if (!args.backup) throw new UsageError("--backup FILE is required");
  if (!args["release-name"]) throw new UsageError("--release-name must not be empty");
  const expectMissing = args["expect-missing"]!.split(",").map((n) => n.trim()).filter(Boolean);
  const bytes = readBackupFile(args.backup);
  const parsed = parseBackup(bytes, args.backup);
  const leaveOutArg = args["leave-out"]!.split(",").map((n) => n.trim()).filter(Boolean);
  let leaveOut: string[] = [];
  try {
    leaveOut = parsed.errors.length === 0 ? checkLeaveOut(leaveOutArg, parsed, args.backup, "--leave-out") : [];
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
  // v1.1.1 after the second hop: the 0.6 chart's own webhook issuers went with its release, never restored.
  const chartOwned = v1 ? previousChartObjects(parsed.objects, args["release-name"]!, args.namespace!) : [];
  const restorable = withoutLeftOut(parsed, [...leaveOut, ...chartOwned]);
  const plan062 = buildRestorePlan(restorable, { legacyNamespace: args["legacy-namespace"]!, namespace: args.namespace!, clusterResourceNamespace: args["cluster-resource-namespace"] });
  if (!plan062.valid) throw new CliError(`backup ${args.backup} is not valid: ${plan062.errors[0].object}: ${plan062.errors[0].message}`);
  // v1.1.1: the objects as the upgrade restored them, converted to cert-manager.io/v1 by the target.
  const converted = v1 ? planForTarget(targetWiring(target), plan062, restorable.objects, { meta: parsed.meta, legacyNamespace: args["legacy-namespace"]! }) : undefined;
  if (converted && converted.refusals.length > 0) {
    throw new CliError(`the backup cannot be converted to cert-manager ${target} as the upgrade does (${converted.refusals.length} refusals; first: ${describeFinding(converted.refusals[0])}): the upgrade to ${target} cannot have run with it`);
  }
  const plan = converted?.plan ?? plan062;
  const groupOf = v1 ? { group: "cert-manager.io", version: "v1" } : { group: CERTMANAGER_GROUP, version: CERTMANAGER_VERSION };

  const kc = loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  const log = new RetryLog();
  const progress = new Progress("verify");
  if (parsed.meta) {
    const identity = await clusterIdentity(kc, log);
    if (identity.kubeSystemUID !== parsed.meta.cluster.kubeSystemUID) {
      throw new CliError(`backup ${args.backup} comes from another cluster (${parsed.meta.cluster.server}, kube-system uid ${parsed.meta.cluster.kubeSystemUID}); this is ${identity.server} (uid ${identity.kubeSystemUID})`);
    }
  }
  const live: LiveState = { objects: new Map(), tlsSecrets: new Map(), copiedSecrets: new Map(), webhookEnabled: false };

  for (const kind of RESTORE_KINDS) {
    const served = await listCertManagerKind(kc, KIND_PLURALS[kind], 500, (items: KubeObject[]) => {
      for (const item of items) live.objects.set(objectLabel({ kind, namespace: item.metadata?.namespace ?? "", name: item.metadata?.name ?? "" }), item);
      progress.update(`read ${live.objects.size} objects`);
    }, log, groupOf);
    if (!served) throw new CliError(`the cluster does not serve ${KIND_PLURALS[kind]}.${groupOf.group}/${groupOf.version}: ${v1 ? "cert-manager v1.1.1's CRDs are not installed (is the stack's targetVersion v1.1.1?)" : "the 0.6 CRDs are not installed"}`);
  }

  // The Orders made since: whether renewals work (lib/renewal-0.6.2.ts). v1.1.1's are in
  // acme.cert-manager.io/v1 and name their Certificate through their CertificateRequest.
  live.orders = [];
  await listCertManagerKind(kc, "orders", 500, (items: KubeObject[]) => { live.orders!.push(...items); }, log, v1 ? { group: "acme.cert-manager.io", version: "v1" } : groupOf);
  if (v1) {
    live.certificateRequests = [];
    await listCertManagerKind(kc, "certificaterequests", 500, (items: KubeObject[]) => { live.certificateRequests!.push(...items); }, log, groupOf);
  }

  const wanted = new Set(plan.restore.filter((r) => r.kind === "Certificate").map((r) => `${r.namespace}/${String(r.object.spec?.secretName ?? "")}`));
  await listSecrets(kc, 500, (secrets) => {
    for (const s of secrets) {
      const key = `${s.metadata?.namespace}/${s.metadata?.name}`;
      // The certificate's public facts only; tls.key is not read.
      if (wanted.has(key)) live.tlsSecrets.set(key, { ...certificateFacts(s.data?.["tls.crt"]), notBefore: notBefore(s.data?.["tls.crt"]) });
    }
    progress.update(`checked TLS secrets`);
  }, log);

  for (const copy of plan.secretsToCopy) {
    const copied = await readSecret(kc, copy.to, copy.name, log);
    const source = await readSecret(kc, copy.from, copy.name, log);
    live.copiedSecrets.set(copy.name, {
      present: copied !== undefined,
      // The seed's last step deletes the source; then there is nothing left to compare with.
      sameAsSource: copied && source ? isDeepStrictEqual(copied.data ?? {}, source.data ?? {}) : undefined,
    });
  }

  for (const inPlace of plan.secretsInPlace) {
    // Not copied: already where 0.6 reads it. It only has to be there.
    live.copiedSecrets.set(inPlace.name, { present: (await readSecret(kc, inPlace.to, inPlace.name, log)) !== undefined, sameAsSource: undefined });
  }

  // The 0.6 webhook's APIService (v1.1.1's webhook has none, and no issuers of its own to check).
  // apiregistration.k8s.io v1 from Kubernetes 1.10 on, v1beta1 before: discovery decides.
  if (!v1) {
    const registration = apiRegistrationVersionFor(await discoverApiVersions(kc, log));
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    try {
      await withRetry("read the webhook's APIService", () => custom.getClusterCustomObject({ group: "apiregistration.k8s.io", version: registration, plural: "apiservices", name: "v1beta1.admission.certmanager.k8s.io" }), log);
      live.webhookEnabled = true;
    } catch (err) {
      if (!isObjectNotFound(err)) throw requestFailed(`reading the webhook's APIService (apiregistration.k8s.io/${registration})`, err, kc, `apiregistration.k8s.io/${registration}`);
    }
  }

  const unknown = expectMissing.filter((n) => !plan.secretsToCopy.some((s) => s.name === n));
  if (unknown.length) throw new UsageError(`--expect-missing names ${unknown.join(", ")}, which no ClusterIssuer of the backup references`);
  const report = verifyAgainstBackup(plan, parsed.objects, live, {
    namespace: args.namespace!,
    allowPending: args["allow-pending"]!,
    releaseName: args["release-name"]!,
    expectMissing,
    certificates: parsed.meta?.tlsCertificates,
    leaveOut,
    target,
  });
  process.stdout.write(renderTable(
    ["NAMESPACE", "KIND", "NAME", "READY (BEFORE → NOW)", "SECRET", "NOT AFTER", "CHECK"],
    report.rows.map((r) => [r.namespace, r.kind, r.name, r.ready, r.secret, r.notAfter, r.check]),
  ));
  for (const n of report.notes) process.stdout.write(`note: ${n.object}: ${n.message}\n`);
  // Why a certificate is not Ready is in the cluster (conditions, orders, challenges, events), not only in the controller's log.
  const clusterArgs = [args.context ? ` --context ${args.context}` : "", args.kubeconfig ? ` --kubeconfig ${args.kubeconfig}` : ""].join("");
  for (const c of report.notReady) {
    // explain reads certmanager.k8s.io objects (0.6.2's) only.
    process.stdout.write(v1
      ? `not Ready: Certificate ${c}: its conditions, CertificateRequests, Orders and Challenges (cert-manager.io/v1, acme.cert-manager.io/v1) say why\n`
      : `explain: Certificate ${c} is not Ready: \`npm run explain -- --certificate ${c}${clusterArgs}\` shows why\n`);
  }
  if (!parsed.meta?.tlsCertificates) {
    process.stdout.write(`note: ${args.backup} records no certificate fingerprints (${parsed.meta ? `format ${parsed.meta.format}` : "not written by \`npm run backup\`"}): a re-issued certificate cannot be detected\n`);
  }
  if (log.count) process.stdout.write(`verify: retried ${log.count} requests: ${log.entries.join("; ")}\n`);
  if (report.differences.length) {
    for (const d of report.differences) process.stdout.write(`DIFFERENCE ${d.object}: ${d.message}\n`);
    process.stdout.write(`verify: ${report.differences.length} differences\n`);
    return EXIT_FAILED;
  }
  const inPlace = plan.secretsInPlace.length ? ` (and ${plan.secretsInPlace.length} issuer secrets in place)` : "";
  process.stdout.write(`verify: all ${plan.restore.length} objects${v1 ? ` (cert-manager.io/v1, as converted for cert-manager ${target})` : ""} and ${plan.secretsToCopy.length} copied secrets are as in the backup${inPlace}\n`);
  return EXIT_OK;
});

/** When the certificate in tls.crt became valid: 0.6.2's renewal window is a third of the validity when renewBefore exceeds it. */
function notBefore(tlsCrt: string | undefined): string | undefined {
  try {
    return tlsCrt ? isoSeconds(new X509Certificate(Buffer.from(tlsCrt, "base64")).validFrom) : undefined;
  } catch {
    return undefined;
  }
}
