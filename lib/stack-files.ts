// Stack files (`Pulumi.<stack>.yaml`, one per cluster): checking one without Pulumi, and writing a
// new one with every default filled in (pure apart from reading the file to check).
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { defaultBackupPath } from "./backup";
import { CONFIG_NAMESPACE, CONFIG_SCHEMA, ConfigError, Settings, parseSettings } from "./settings";

export interface StackFileProblem {
  file: string;
  /** The config key concerned, e.g. "cert-manager-upgrade:context" (absent for whole-file problems). */
  key?: string;
  /** 1-based line in the file, where known. */
  line?: number;
  /** One line naming the file and, where there is one, the key. */
  message: string;
}

/** Top-level keys Pulumi itself writes into a stack file. */
const STACK_FILE_KEYS = new Set(["config", "encryptionsalt", "secretsprovider", "encryptedkey", "environment"]);

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Line of `key:` in the file's text (the first occurrence), for messages. */
function lineOfKey(text: string, key: string): number | undefined {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const re = new RegExp(`^\\s*["']?${escaped}["']?\\s*:`);
  const index = text.split("\n").findIndex((l) => re.test(l));
  return index >= 0 ? index + 1 : undefined;
}

/**
 * How Pulumi hands a stack file's value to the program: strings as they are, everything else
 * (objects, arrays, booleans, numbers, null) as JSON. A `secure:` value stands for a string.
 */
export function rawConfigValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (isPlainObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string") return "[secret]";
  return JSON.stringify(value) ?? "null";
}

/** The stack file's raw config under our namespace (keys in full), as `parseSettings` takes it. */
export function rawConfigOf(config: Record<string, unknown>): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) raw[key] = rawConfigValue(value);
  return raw;
}

/**
 * Checks a stack file the way the program will read it, without Pulumi or a cluster: YAML syntax,
 * unknown keys and wrong types (lib/settings.ts), a kube context (one stack per cluster), a chart
 * source, a backup file. Returns every problem found; an empty list means the file is fine.
 */
export function validateStackFile(file: string): StackFileProblem[] {
  const problems: StackFileProblem[] = [];
  const add = (message: string, key?: string, line?: number): void => {
    problems.push({ file, key, line, message });
  };

  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    add(`${file}: cannot read the stack file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    return problems;
  }

  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (err) {
    const mark = (err as yaml.YAMLException).mark;
    const line = mark ? mark.line + 1 : undefined;
    const reason = (err as yaml.YAMLException).reason ?? (err as Error).message.split("\n")[0];
    add(`${file}${line ? `:${line}` : ""}: not valid YAML: ${reason}`, undefined, line);
    return problems;
  }

  if (doc === undefined || doc === null) doc = {};
  if (!isPlainObject(doc)) {
    add(`${file}: a stack file must be a mapping with a \`config:\` section, not ${Array.isArray(doc) ? "a list" : typeof doc}`);
    return problems;
  }
  for (const key of Object.keys(doc)) {
    if (!STACK_FILE_KEYS.has(key)) {
      add(`${file}:${lineOfKey(text, key) ?? 1}: unknown top-level key ${key} (expected config, or what Pulumi writes: ${[...STACK_FILE_KEYS].filter((k) => k !== "config").join(", ")})`, key, lineOfKey(text, key));
    }
  }
  const configValue = doc.config ?? {};
  if (!isPlainObject(configValue)) {
    add(`${file}:${lineOfKey(text, "config") ?? 1}: \`config:\` must be a mapping of keys like ${CONFIG_NAMESPACE}:backupFile, not ${Array.isArray(configValue) ? "a list" : JSON.stringify(configValue)}`, "config", lineOfKey(text, "config"));
    return problems;
  }

  // Every key on its own, so that one run names every bad key (parseSettings stops at the first).
  const valid: Record<string, string> = {};
  const placeholder = { [`${CONFIG_NAMESPACE}:backupFile`]: "placeholder.yaml" };
  for (const [fullKey, value] of Object.entries(configValue)) {
    const line = lineOfKey(text, fullKey);
    const where = `${file}${line ? `:${line}` : ""}`;
    if (!fullKey.includes(":")) {
      add(`${where}: config key ${fullKey} has no namespace: write it as ${CONFIG_NAMESPACE}:${fullKey}`, fullKey, line);
      continue;
    }
    if (!fullKey.startsWith(`${CONFIG_NAMESPACE}:`)) {
      valid[fullKey] = rawConfigValue(value); // another namespace (e.g. kubernetes:...): not ours to judge
      continue;
    }
    if (value === null || value === undefined) {
      add(`${where}: config key ${fullKey} has no value: remove it or give it a value`, fullKey, line);
      continue;
    }
    const raw = rawConfigValue(value);
    try {
      parseSettings({ ...placeholder, [fullKey]: raw }, where);
      valid[fullKey] = raw;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      add(err.message, fullKey, line);
    }
  }

  let settings: Settings | undefined;
  try {
    settings = parseSettings(valid, file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // Only a missing required key can fail here (every present key passed above): backupFile.
    add(err.message, `${CONFIG_NAMESPACE}:backupFile`);
  }
  const keyProblem = (key: string): boolean => problems.some((p) => p.key === `${CONFIG_NAMESPACE}:${key}`);
  const context = configValue[`${CONFIG_NAMESPACE}:context`];
  if (context === undefined || (typeof context === "string" && context.trim() === "")) {
    add(`${file}: config key ${CONFIG_NAMESPACE}:context is missing: each stack upgrades one cluster and must name its kube context (\`npm run add-cluster -- --context NAME\` writes it)`, `${CONFIG_NAMESPACE}:context`);
  }
  if (settings && !settings.chart && !(settings.chartRepository && settings.chartVersion) && !keyProblem("chart") && !keyProblem("chartRepository") && !keyProblem("chartVersion")) {
    add(`${file}: no chart source: set ${CONFIG_NAMESPACE}:chart, or ${CONFIG_NAMESPACE}:chartRepository and ${CONFIG_NAMESPACE}:chartVersion`, `${CONFIG_NAMESPACE}:chart`);
  }
  return problems;
}

/** A Pulumi stack name made from a kube context: letters, digits, `-`, `_` and `.` only. */
export function stackNameFromContext(context: string): string {
  return context.replace(/[^A-Za-z0-9_.-]+/g, "-").replace(/^[-.]+|[-.]+$/g, "").replace(/-{2,}/g, "-");
}

export function isValidStackName(name: string): boolean {
  return /^[A-Za-z0-9_.-]+$/.test(name) && !/^\.+$/.test(name);
}

export interface NewStackFile {
  stack: string;
  context: string;
  /** The kubeconfig the context was found in; written as a comment only (CI brings its own). */
  kubeconfig?: string;
}

/** Comments above each key of a new stack file (the schema's description for the rest). */
const KEY_COMMENTS: Partial<Record<keyof Settings, string[]>> = {
  backupFile: [
    "The pre-step's backup of THIS cluster: `npm run backup -- --context CONTEXT` writes it here. The",
    "upgrade refuses a backup that is missing, invalid, empty, or taken from another cluster.",
  ],
  context: ["Which cluster: a kube context (checked against the kubeconfig when this file was written)."],
  kubeconfig: ["A kubeconfig file other than $KUBECONFIG (CI passes its own with `npm run preview -- --kubeconfig`)."],
  legacyReleaseName: ["The old release, as in the seed: `cert-manager` 0.4.1 in kube-system."],
  tillerNamespace: [
    "Installed with Helm 2? Where Tiller kept its release records (ConfigMaps, or Secrets with",
    "--storage=secret); only records of the 0.4 chart are removed.",
  ],
  namespace: ["The new release: cert-manager 0.6.2, chart v0.6.6, in its own labelled namespace."],
  chart: ["Offline, install a chart archive instead of the repository:"],
  values: ["Chart values, merged over the seed's resources."],
  webhook: ["Keep the webhook; restore waits until it accepts objects (at most webhookTimeoutSeconds)."],
  mapApiVersions: [
    "Kubernetes 1.16+ no longer serves the chart's apps/v1beta1 etc.; preview names what is missing.",
    "Set true to map them to served versions at install.",
  ],
  acknowledgeUnsupportedKubernetes: [
    "For test clusters only: cert-manager 0.6.2 cannot work on Kubernetes 1.22+ (its Ingress and",
    "SubjectAccessReview APIs are gone); preview stops there unless this is true.",
  ],
  expectedMissingSecrets: ["ClusterIssuer Secrets you know are absent (not copied; otherwise preview stops on them)."],
  cleanupLegacySecrets: ["The seed's last step: delete the copied Secrets from kube-system once everything is restored."],
  allowCrdDeletion: ["Never let `pulumi destroy` delete the CRDs (that would delete every certificate object)."],
  reapply: ["Restored objects are never overwritten or re-created; list those to write again from the backup, or [\"*\"]."],
};

/** Keys written commented out, with an example value. */
const COMMENTED_EXAMPLES: Partial<Record<keyof Settings, string>> = {
  kubeconfig: "~/.kube/config",
  chart: "charts/cert-manager-v0.6.6.tgz",
};

function yamlEntry(key: string, value: unknown, commented = false): string[] {
  const text = yaml.dump({ [key]: value }, { lineWidth: -1, noRefs: true }).trimEnd();
  return text.split("\n").map((l) => `  ${commented ? "# " : ""}${l}`);
}

/**
 * A new stack file for one cluster, like Pulumi.dev.yaml: every key of the schema with its default
 * (or commented out where it has none), the context set, the backup where `npm run backup` puts it.
 */
export function renderStackFile(opts: NewStackFile): string {
  const backupFile = defaultBackupPath(opts.context).split(path.sep).join("/");
  const lines = [
    `# Stack of the cluster of kube context ${JSON.stringify(opts.context)}: \`pulumi preview -s ${opts.stack}\` shows and`,
    `# \`pulumi up -s ${opts.stack}\` applies its upgrade. Written by \`npm run add-cluster\`; every key lives under`,
    `# \`${CONFIG_NAMESPACE}:\` and is declared with its type, default and description in Pulumi.yaml.`,
    "# A relative path (backupFile, kubeconfig, chart) is relative to the project folder, where Pulumi.yaml is.",
    "# Pull requests get a preview of this stack as a comment (.github/workflows/preview.yml).",
    "config:",
  ];
  const settings: Record<string, unknown> = { backupFile, context: opts.context };
  for (const [key, spec] of Object.entries(CONFIG_SCHEMA) as [keyof Settings, (typeof CONFIG_SCHEMA)[keyof Settings]][]) {
    const comment = KEY_COMMENTS[key];
    lines.push(...(comment ?? [spec.description]).map((c) => `  # ${c}`));
    const fullKey = `${CONFIG_NAMESPACE}:${key}`;
    if (settings[key] !== undefined) {
      lines.push(...yamlEntry(fullKey, settings[key]));
    } else if (spec.default !== undefined) {
      lines.push(...yamlEntry(fullKey, spec.default));
    } else {
      const example = key === "kubeconfig" && opts.kubeconfig ? opts.kubeconfig : COMMENTED_EXAMPLES[key] ?? "";
      lines.push(...yamlEntry(fullKey, example, true));
    }
  }
  return lines.join("\n") + "\n";
}
