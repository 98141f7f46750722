// The pre-step: back up cert-manager objects before `pulumi up` removes the old release.
import { defaultBackupPath, takeBackup } from "../lib/backup";
import { EXIT_OK, Progress, UsageError, parseCommandLine, runMain } from "../lib/cli";
import { loadKubeConfig } from "../lib/kube";
import { projectPath } from "../lib/project-path";

const USAGE = `Usage: npm run backup -- [--context NAME] [--kubeconfig PATH] [--out FILE] [--legacy-namespace NS] [--force]

Backs up every Issuer, ClusterIssuer and Certificate (Orders and Challenges are recorded, not
kept) across all namespaces, page by page, with the cluster's identity, an inventory of the
Secrets the issuers reference (names and keys, never values) and each TLS certificate's public
facts (serial, SHA-256 fingerprint, expiry, names, key type; never a key). The file stays
applyable with \`kubectl apply -f\`.

  --context NAME          kube context (default: the kubeconfig's current context)
  --kubeconfig PATH       kubeconfig file (default: $KUBECONFIG or ~/.kube/config)
  --out FILE              where to write (default: backups/<context>/cert-manager-backup.yaml)
  --legacy-namespace NS   namespace of the old release and its ClusterIssuer Secrets (default: kube-system)
  --page-size N           objects per list request (default: 500)
  --force                 write even when the backup would be empty or smaller than the existing one

An existing backup is never deleted: it is renamed with its timestamp before the new one takes its place.
A relative path is relative to the project folder (where Pulumi.yaml is), as in stack config.
Exit codes: 0 written, 1 failed (nothing replaced), 2 usage.`;

runMain("backup", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    context: { type: "string" },
    kubeconfig: { type: "string" },
    out: { type: "string" },
    "legacy-namespace": { type: "string", default: "kube-system" },
    "page-size": { type: "string", default: "500" },
    force: { type: "boolean", default: false },
  }, USAGE);
  const pageSize = Number(args["page-size"]);
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new UsageError(`--page-size must be a positive whole number, not ${args["page-size"]}`);

  const kc = loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  const out = args.out ?? defaultBackupPath(kc.getCurrentContext());
  const progress = new Progress("backup");
  const result = await takeBackup(kc, { out: projectPath(out), legacyNamespace: args["legacy-namespace"]!, force: args.force!, pageSize }, progress);

  const c = result.meta.counts;
  const missing = result.meta.secrets.filter((s) => !s.exists);
  const lines = [
    // As written (relative: to the project), the form a stack's backupFile takes.
    `backup: wrote ${out}: ${c.ClusterIssuer} clusterissuers, ${c.Issuer} issuers, ${c.Certificate} certificates` +
      ` (${c.Order} orders, ${c.Challenge} challenges recorded, not kept)`,
    `backup: cluster ${result.meta.cluster.server} (${result.meta.cluster.serverVersion}), kube-system uid ${result.meta.cluster.kubeSystemUID}`,
    `backup: ${result.meta.secrets.length} referenced secrets inventoried` + (missing.length ? `, ${missing.length} missing: ${missing.map((s) => `${s.namespace}/${s.name}`).join(", ")}` : ""),
  ];
  const certs = result.meta.tlsCertificates ?? [];
  const unreadable = certs.filter((c) => c.problem);
  if (certs.length) {
    lines.push(`backup: ${certs.length} TLS certificates recorded (serial, SHA-256 fingerprint, expiry; never a key)` +
      (unreadable.length ? `, ${unreadable.length} unreadable: ${unreadable.slice(0, 3).map((c) => `${c.namespace}/${c.secretName} (${c.problem})`).join(", ")}` : ""));
  }
  const keyIssues = certs.filter((c) => c.keyProblem || c.keyMatchesCertificate === false);
  if (keyIssues.length) {
    lines.push(`backup: ${keyIssues.length} TLS keys cert-manager 0.6.2 cannot use (it will issue those certificates anew): ` +
      keyIssues.slice(0, 3).map((c) => `${c.namespace}/${c.secretName} (${c.keyProblem ?? "tls.key is not the certificate's key"})`).join(", ") + (keyIssues.length > 3 ? ` and ${keyIssues.length - 3} more` : ""));
  }
  const chainIssues = certs.filter((c) => c.chainProblem);
  if (chainIssues.length) {
    lines.push(`backup: ${chainIssues.length} tls.crt that cert-manager 0.6.2 cannot read whole (it will issue those certificates anew): ` +
      chainIssues.slice(0, 3).map((c) => `${c.namespace}/${c.secretName} (${c.chainProblem})`).join(", ") + (chainIssues.length > 3 ? ` and ${chainIssues.length - 3} more` : ""));
  }
  const accountKeys = result.meta.acmeAccountKeys ?? [];
  if (accountKeys.length) {
    const unusable = accountKeys.filter((a) => a.keyType !== "RSA PRIVATE KEY");
    lines.push(`backup: ${accountKeys.length} ACME account keys recorded (PEM block type only; never a key)` +
      (unusable.length ? `, ${unusable.length} that cert-manager 0.6.2 cannot use: ${unusable.slice(0, 3).map((a) => `${a.secretNamespace}/${a.secretName} (${!a.secretExists ? "missing: a new account would be registered" : a.keyType ?? "no PEM key"})`).join(", ")}` : ""));
  }
  if (result.meta.missingTlsSecrets.length) lines.push(`backup: ${result.meta.missingTlsSecrets.length} certificates have no TLS secret yet (they will be issued anew)`);
  lines.push(`backup: \`npm run plan -- --backup ${out}\` says what cert-manager 0.6.2 will issue anew or register`);
  if (result.previous) lines.push(`backup: previous backup kept as ${result.previous}`);
  if (result.retries.length) lines.push(`backup: retried ${result.retries.length} requests: ${result.retries.join("; ")}`);
  process.stdout.write(lines.join("\n") + "\n");
  return EXIT_OK;
});
