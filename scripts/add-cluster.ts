// One stack per cluster: writes Pulumi.<stack>.yaml for a kube context, every default filled in.
import * as fs from "node:fs";
import * as path from "node:path";
import { defaultBackupPath } from "../lib/backup";
import { CliError, EXIT_OK, UsageError, parseCommandLine, runMain } from "../lib/cli";
import { loadKubeConfig } from "../lib/kube";
import { PROJECT_ROOT, describePath, projectPath } from "../lib/project-path";
import { isValidStackName, renderStackFile, stackNameFromContext, validateStackFile } from "../lib/stack-files";

const USAGE = `Usage: npm run add-cluster -- --context NAME [--kubeconfig PATH] [--stack NAME] [--dir DIR] [--force]

Writes the stack file Pulumi.<stack>.yaml for the cluster of a kube context: every key of the
schema with its default (as in Pulumi.dev.yaml, commented), the context, and the backup file
backups/<context>/cert-manager-backup.yaml where \`npm run backup -- --context NAME\` puts it.
Nothing on the cluster is read or changed; the context must exist in the kubeconfig.

  --context NAME      kube context of the cluster (required)
  --kubeconfig PATH   kubeconfig holding the context (default: $KUBECONFIG or ~/.kube/config)
  --stack NAME        stack name (default: the context, with characters other than letters,
                      digits, '-', '_' and '.' replaced by '-')
  --dir DIR           where to write (default: the project, beside Pulumi.yaml)
  --force             replace an existing stack file

Then: commit the file; pull requests show this cluster's preview as a comment.
A relative path is relative to the project folder (where Pulumi.yaml is), as in stack config.
Exit codes: 0 written, 1 failed (nothing written), 2 usage.`;

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_.,:/@%+=-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

runMain("add-cluster", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    context: { type: "string" },
    kubeconfig: { type: "string" },
    stack: { type: "string" },
    dir: { type: "string" },
    force: { type: "boolean", default: false },
  }, USAGE);
  if (!args.context) throw new UsageError("--context NAME is required");
  const stack = args.stack ?? stackNameFromContext(args.context);
  if (!stack) throw new UsageError(`cannot make a stack name from context ${JSON.stringify(args.context)}: pass --stack NAME`);
  if (!isValidStackName(stack)) throw new UsageError(`--stack ${JSON.stringify(stack)} is not a valid stack name: use letters, digits, '-', '_' and '.'`);

  // The context must exist (nothing is requested from the cluster).
  loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });

  const dir = projectPath(args.dir ?? ".");
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new CliError(`--dir ${describePath(args.dir ?? ".")} is not a directory`);
  const file = path.join(dir, `Pulumi.${stack}.yaml`);
  const relative = path.relative(PROJECT_ROOT, file);
  const shown = relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
  if (fs.existsSync(file) && !args.force) {
    throw new CliError(`${shown} already exists: pass --force to replace it (or --stack NAME for another stack)`);
  }

  const text = renderStackFile({ stack, context: args.context, kubeconfig: args.kubeconfig ? projectPath(args.kubeconfig) : undefined });
  const temp = path.join(dir, `.Pulumi.${stack}.yaml.${process.pid}.tmp`);
  fs.writeFileSync(temp, text, { mode: 0o644 });
  try {
    const problems = validateStackFile(temp);
    if (problems.length) throw new CliError(`the new stack file does not validate: ${problems[0].message}`);
    fs.renameSync(temp, file);
  } finally {
    fs.rmSync(temp, { force: true });
  }

  const backup = defaultBackupPath(args.context);
  process.stdout.write(
    [
      `add-cluster: wrote ${shown} (stack ${stack}, context ${args.context})`,
      `add-cluster: next: npm run backup -- --context ${shellQuote(args.context)}${args.kubeconfig ? ` --kubeconfig ${shellQuote(args.kubeconfig)}` : ""}   (writes ${backup})`,
      `add-cluster:       pulumi stack init ${stack}   (once per state backend), then commit ${path.basename(file)}`,
    ].join("\n") + "\n",
  );
  return EXIT_OK;
});
