// What a merge would do to one cluster: the read-only backup pre-step into a temporary folder, then
// `pulumi preview --json`, summarized for a reviewer (terminal, and Markdown for the pull request).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { takeBackup } from "../lib/backup";
import { parseBackup } from "../lib/backup-format";
import { CliError, EXIT_FAILED, EXIT_OK, Progress, UsageError, parseCommandLine, runMain } from "../lib/cli";
import { loadKubeConfig } from "../lib/kube";
import { run } from "../lib/local-run";
import { buildRestorePlan } from "../lib/plan";
import { planOptions } from "../lib/preflight";
import { PreviewJsonError, PreviewSummary, previewPlanWarnings, renderMarkdown, renderText, summarizePreview } from "../lib/preview-summary";
import { PROJECT_ROOT, describePath, projectPath } from "../lib/project-path";
import { CONFIG_NAMESPACE, parseSettings } from "../lib/settings";
import { isValidStackName, rawConfigOf, validateStackFile } from "../lib/stack-files";
import { targetWiring } from "../lib/targets";

const USAGE = `Usage: npm run preview -- --stack NAME [--markdown FILE] [--kubeconfig PATH]

Shows what \`pulumi up -s NAME\` would do to the stack's cluster, destructive steps first. Reads and
checks Pulumi.<stack>.yaml, takes the backup pre-step read-only into a temporary folder (the
cluster is only read; backups/ is not touched), then runs
  pulumi preview --json --stack NAME --config-file <copy using that backup> --non-interactive
in the project, and prints a summary: the first error, the destructive steps (the removal of the
0.4 release and what it deletes, CRD changes, deletes and replacements), changes counted by type,
the Secrets copied (names only, never data), the objects restored, warnings. For a stack with
targetVersion v1.1.1 also: what each issuer becomes in cert-manager.io/v1, the TLS Secrets' and
Ingresses' annotations renamed, and v1.1.1's re-issue count (0.6.2's prediction is left out).

  --stack NAME        the stack (required): its config is Pulumi.<stack>.yaml
  --markdown FILE     also write the summary as Markdown for a pull request comment (written on
                      failure too, with the error)
  --kubeconfig PATH   kubeconfig holding the stack's context (default: the stack's kubeconfig key,
                      else $KUBECONFIG or ~/.kube/config); the preview uses the same file
  --dir DIR           folder holding Pulumi.<stack>.yaml (default: the project)
  --from-json FILE    summarize a saved \`pulumi preview --json\` output instead (no cluster, no pulumi)
  --save-json FILE    keep the raw \`pulumi preview --json\` output (mode 0600)

Environment: PULUMI_BACKEND_URL (required: the state backend holding the stack), and what the
backend and secrets provider need (PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE, ...).
A relative path is relative to the project folder (where Pulumi.yaml is), as in stack config.
Exit codes: 0 preview succeeded, 1 failed (the summary names the first error), 2 usage.`;

function writeMarkdown(file: string | undefined, model: PreviewSummary, stack: string): void {
  if (!file) return;
  fs.mkdirSync(path.dirname(projectPath(file)), { recursive: true });
  fs.writeFileSync(projectPath(file), renderMarkdown(model, stack));
}

/** A model holding only an error, for failures before the preview ran. */
function failureModel(message: string, planWarnings: string[] = []): PreviewSummary {
  return summarizePreview({ diagnostics: [{ severity: "error", message }] }, planWarnings);
}

/** The last line of pulumi's stderr that says what went wrong. */
function pulumiFailureLine(stderr: string, code: number): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const line = [...lines].reverse().find((l) => /^error:/i.test(l)) ?? lines[lines.length - 1] ?? `pulumi preview exited with code ${code}`;
  return line.replace(/^error:\s*/i, "");
}

/** Every string in the model with `from` replaced by `to`. */
function replaceText<T>(value: T, from: string, to: string): T {
  if (typeof value === "string") return value.split(from).join(to) as T;
  if (Array.isArray(value)) return value.map((v) => replaceText(v, from, to)) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceText(v, from, to)])) as T;
  }
  return value;
}

interface Target {
  stack: string;
  stackFile: string;
  args: { kubeconfig?: string; "from-json"?: string; "save-json"?: string };
}

async function preview({ stack, stackFile, args }: Target): Promise<PreviewSummary> {
  if (!fs.existsSync(stackFile)) {
    throw new CliError(`${stackFile} does not exist: add the cluster first with \`npm run add-cluster -- --context NAME --stack ${stack}\``);
  }
  const problems = validateStackFile(stackFile);
  if (problems.length) {
    throw new CliError(`${problems.length === 1 ? "1 problem" : `${problems.length} problems`} in ${path.basename(stackFile)}: ${problems.map((p) => p.message).join("; ")}`);
  }
  if (args["from-json"]) {
    let text: string;
    try {
      text = fs.readFileSync(projectPath(args["from-json"]), "utf8");
    } catch (err) {
      throw new CliError(`cannot read ${describePath(args["from-json"])}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    try {
      return summarizePreview(text);
    } catch (err) {
      if (err instanceof PreviewJsonError) throw new CliError(`${args["from-json"]}: ${err.message}`);
      throw err;
    }
  }
  if (!process.env.PULUMI_BACKEND_URL) {
    throw new CliError(`PULUMI_BACKEND_URL is not set: set it to the state backend that holds stack ${stack} (e.g. s3://bucket/prefix, file:///path, https://api.pulumi.com)`);
  }

  const doc = yaml.load(fs.readFileSync(stackFile, "utf8")) as { config?: Record<string, unknown> } | null;
  const config = { ...(doc?.config ?? {}) };
  const settings = parseSettings(rawConfigOf(config), path.basename(stackFile));
  const kubeconfigArg = args.kubeconfig ?? settings.kubeconfig;
  const kubeconfig = kubeconfigArg ? projectPath(kubeconfigArg) : undefined;
  const kc = loadKubeConfig({ kubeconfig: kubeconfigArg, context: settings.context });

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-preview-"));
  try {
    // The pre-step, read-only: a fresh backup of this cluster into the temporary folder.
    const backupFile = path.join(tmp, "backup", "cert-manager-backup.yaml");
    const progress = new Progress("preview");
    await takeBackup(kc, { out: backupFile, legacyNamespace: settings.legacyNamespace, force: false, pageSize: 500 }, progress);
    progress.done("backup taken");
    const plan = buildRestorePlan(parseBackup(fs.readFileSync(backupFile), backupFile), planOptions(settings));
    const planWarnings = previewPlanWarnings(plan, targetWiring(settings.targetVersion).converts);

    // The stack's config as it is, but reading that backup (and the kubeconfig used for it).
    config[`${CONFIG_NAMESPACE}:backupFile`] = backupFile;
    if (kubeconfig) config[`${CONFIG_NAMESPACE}:kubeconfig`] = kubeconfig;
    const configFile = path.join(tmp, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(configFile, yaml.dump({ ...(doc ?? {}), config }, { lineWidth: -1, noRefs: true }), { mode: 0o600 });

    const env: NodeJS.ProcessEnv = { ...process.env };
    env.PULUMI_SKIP_UPDATE_CHECK ??= "true";
    progress.update("running pulumi preview");
    let result;
    try {
      result = await run("pulumi", ["preview", "--json", "--stack", stack, "--config-file", configFile, "--non-interactive"], { cwd: PROJECT_ROOT, env });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new CliError(code === "ENOENT" ? "the pulumi CLI is not on PATH: install it (or run scripts/toolchain.sh and put its bin folder on PATH)" : `cannot run pulumi: ${(err as Error).message}`);
    }
    if (args["save-json"]) fs.writeFileSync(projectPath(args["save-json"]), result.stdout, { mode: 0o600 });

    let model: PreviewSummary;
    try {
      model = summarizePreview(result.stdout, planWarnings);
    } catch {
      // No JSON at all (e.g. the stack does not exist): the reason is on stderr.
      let line = pulumiFailureLine(result.stderr, result.code);
      if (/no stack named/i.test(line)) line += `: create it once with \`pulumi stack init ${stack}\` against this backend`;
      return failureModel(line, planWarnings);
    }
    if (result.code !== 0 && !model.error) {
      model.error = { message: pulumiFailureLine(result.stderr, result.code), detail: [], count: 1 };
    }
    // The temporary backup is gone after this command: name the stack's own backup file instead,
    // which `npm run backup` writes before `pulumi up`.
    return replaceText(model, backupFile, settings.backupFile);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

runMain("preview", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    stack: { type: "string" },
    markdown: { type: "string" },
    kubeconfig: { type: "string" },
    dir: { type: "string" },
    "from-json": { type: "string" },
    "save-json": { type: "string" },
  }, USAGE);
  if (!args.stack) throw new UsageError("--stack NAME is required");
  if (!isValidStackName(args.stack)) throw new UsageError(`--stack ${JSON.stringify(args.stack)} is not a valid stack name`);
  const stack = args.stack;
  const stackFile = path.join(projectPath(args.dir ?? "."), `Pulumi.${stack}.yaml`);

  let model: PreviewSummary;
  try {
    model = await preview({ stack, stackFile, args });
  } catch (err) {
    // The pull request comment says why there is no preview; the terminal gets the one line.
    const message = err instanceof Error ? err.message.split("\n")[0] : String(err);
    writeMarkdown(args.markdown, failureModel(message), stack);
    throw err;
  }
  writeMarkdown(args.markdown, model, stack);
  process.stdout.write(renderText(model, stack));
  if (model.error) {
    process.stderr.write(`preview: the preview of stack ${stack} failed: ${model.error.message}\n`);
    return EXIT_FAILED;
  }
  return EXIT_OK;
});
