// Stack configuration: one namespace, every key typed, defaulted and checked (pure).
export const CONFIG_NAMESPACE = "cert-manager-upgrade";

export type CrdVersionSetting = "auto" | "v1beta1" | "v1";

/** The cert-manager versions the program upgrades to (lib/targets/index.ts). */
export const TARGET_VERSIONS = ["v0.6.2", "v1.1.1"] as const;
export type TargetVersion = (typeof TARGET_VERSIONS)[number];

export interface Settings {
  backupFile: string;
  kubeconfig?: string;
  context?: string;
  legacyReleaseName: string;
  legacyNamespace: string;
  tillerNamespace: string;
  namespace: string;
  releaseName: string;
  chart?: string;
  chartRepository: string;
  chartVersion: string;
  values: Record<string, unknown>;
  webhook: boolean;
  webhookTimeoutSeconds: number;
  mapApiVersions: boolean;
  acknowledgeUnsupportedKubernetes: boolean;
  skipAwait: boolean;
  expectedMissingSecrets: string[];
  cleanupLegacySecrets: boolean;
  allowCrdDeletion: boolean;
  crdApiVersion: CrdVersionSetting;
  legacyRemovalTimeoutSeconds: number;
  leaveOut: string[];
  reapply: string[];
  targetVersion: TargetVersion;
  crdManifest?: string;
}

type KeyType = "string" | "integer" | "boolean" | "array" | "object";

interface KeySpec {
  type: KeyType;
  description: string;
  default?: unknown;
  required?: boolean;
  oneOf?: string[];
}

/** The seed's resources for the 0.6 controller. */
export const DEFAULT_VALUES = {
  resources: {
    requests: { cpu: "10m", memory: "50Mi" },
    limits: { cpu: "15m", memory: "100Mi" },
  },
};

/** The schema; Pulumi.yaml declares the same keys (a test keeps the two in step). */
export const CONFIG_SCHEMA: Record<keyof Settings, KeySpec> = {
  backupFile: { type: "string", required: true, description: "Backup written by `npm run backup` for this cluster (a relative path is relative to the project folder, where Pulumi.yaml is)." },
  kubeconfig: { type: "string", description: "Kubeconfig file, a relative path relative to the project folder (default: $KUBECONFIG or ~/.kube/config)." },
  context: { type: "string", description: "Kube context of the cluster this stack upgrades (default: the kubeconfig's current context)." },
  legacyReleaseName: { type: "string", default: "cert-manager", description: "Name of the old cert-manager 0.4 Helm release." },
  legacyNamespace: { type: "string", default: "kube-system", description: "Namespace of the old release; where its ClusterIssuer Secrets live." },
  tillerNamespace: { type: "string", default: "kube-system", description: "Where Tiller (Helm 2) kept its release records, if the old release was installed with Helm 2 (ConfigMaps or Secrets labelled OWNER=TILLER)." },
  namespace: { type: "string", default: "cert-manager", description: "Namespace for cert-manager 0.6 (labelled certmanager.k8s.io/disable-validation=true)." },
  releaseName: { type: "string", default: "cert-manager", description: "Name of the new Helm release." },
  chart: { type: "string", description: "Local chart directory or .tgz to install instead of the chart repository (e.g. for offline use); a relative path is relative to the project folder." },
  chartRepository: { type: "string", default: "https://charts.helm.sh/stable", description: "Chart repository holding cert-manager v0.6.6." },
  chartVersion: { type: "string", default: "v0.6.6", description: "Chart version (cert-manager 0.6.2 is chart v0.6.6)." },
  values: { type: "object", default: DEFAULT_VALUES, description: "Chart values, merged over the defaults (the seed's resources)." },
  webhook: { type: "boolean", default: true, description: "Install the 0.6 validating webhook and wait for it before restoring." },
  webhookTimeoutSeconds: { type: "integer", default: 300, description: "How long to wait for the webhook to accept objects." },
  mapApiVersions: { type: "boolean", default: false, description: "Map the chart's retired API versions (apps/v1beta1, rbac v1beta1, ...) to served ones." },
  acknowledgeUnsupportedKubernetes: { type: "boolean", default: false, description: "For test clusters only: install cert-manager 0.6.2 on a Kubernetes that no longer serves the APIs its binaries use (extensions/v1beta1 Ingress, authorization.k8s.io/v1beta1; gone in 1.22), where it cannot issue or validate anything." },
  skipAwait: { type: "boolean", default: false, description: "Do not wait for the release's Deployments to become ready." },
  expectedMissingSecrets: { type: "array", default: [], description: "ClusterIssuer Secrets known to be absent from the legacy namespace (not copied)." },
  cleanupLegacySecrets: { type: "boolean", default: false, description: "After the restore, delete the copied Secrets from the legacy namespace (the seed's last step)." },
  allowCrdDeletion: { type: "boolean", default: false, description: "Let `pulumi destroy` delete the 0.6 CRDs (and with them every certificate object)." },
  crdApiVersion: { type: "string", default: "auto", oneOf: ["auto", "v1beta1", "v1"], description: "apiextensions version for the CRDs: auto picks v1beta1 where served, else v1." },
  legacyRemovalTimeoutSeconds: { type: "integer", default: 600, description: "How long to wait for the old CRDs to be gone." },
  leaveOut: { type: "array", default: [], description: "Objects of the backup not to restore, on purpose (Kind/namespace/name, ClusterIssuer/name), e.g. one the 0.6.2 webhook rejects; each must be in the backup. Named in the preview; they go with the old CRDs." },
  reapply: { type: "array", default: [], description: "Objects restored earlier to write again from the backup (\"Kind/namespace/name\", \"ClusterIssuer/name\"), or [\"*\"] for all; otherwise a restored object is never overwritten or re-created." },
  targetVersion: { type: "string", default: "v0.6.2", oneOf: [...TARGET_VERSIONS], description: "The cert-manager to upgrade to: v0.6.2 (chart v0.6.6, the default) or v1.1.1 (the newest on Kubernetes 1.15: objects converted to cert-manager.io/v1, legacy CRDs; chart and CRDs from local files)." },
  crdManifest: { type: "string", description: "targetVersion v1.1.1: the legacy CRD manifest (YAML) to install (default: the toolchain cache's cert-manager-v1.1.1/crds.legacy.yaml); a relative path is relative to the project folder." },
};

export class ConfigError extends Error {}

function typeOf(value: unknown): KeyType | "other" {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "number" && Number.isInteger(value)) return "integer";
  if (Array.isArray(value)) return "array";
  if (typeof value === "object" && value !== null) return "object";
  return "other";
}

/** Pulumi hands config values over as strings; objects, arrays, numbers and booleans as JSON. */
function decode(raw: string, spec: KeySpec): unknown {
  if (spec.type === "string") return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  }
  return out;
}

/**
 * Checks raw stack config (keys like "cert-manager-upgrade:backupFile") and returns typed settings.
 * Throws a ConfigError naming the key and what is expected.
 */
export function parseSettings(rawConfig: Record<string, string>, stackFile = "the stack's config"): Settings {
  const values: Record<string, unknown> = {};
  for (const [fullKey, raw] of Object.entries(rawConfig)) {
    const [ns, key] = fullKey.includes(":") ? [fullKey.slice(0, fullKey.indexOf(":")), fullKey.slice(fullKey.indexOf(":") + 1)] : ["", fullKey];
    if (ns !== CONFIG_NAMESPACE) continue;
    const spec = (CONFIG_SCHEMA as Record<string, KeySpec>)[key];
    if (!spec) {
      const known = Object.keys(CONFIG_SCHEMA).join(", ");
      throw new ConfigError(`unknown config key ${fullKey} in ${stackFile}: expected one of ${known}`);
    }
    const value = decode(raw, spec);
    if (typeOf(value) !== spec.type) {
      throw new ConfigError(`config key ${fullKey} in ${stackFile} must be ${spec.type === "integer" ? "an integer" : `a${spec.type === "array" || spec.type === "object" ? "n" : ""} ${spec.type}`}, not ${JSON.stringify(value)}`);
    }
    if (spec.oneOf && !spec.oneOf.includes(value as string)) {
      throw new ConfigError(`config key ${fullKey} in ${stackFile} must be one of ${spec.oneOf.join(", ")}, not ${JSON.stringify(value)}`);
    }
    if (spec.type === "array" && (value as unknown[]).some((item) => typeof item !== "string")) {
      throw new ConfigError(`config key ${fullKey} in ${stackFile} must be a list of strings`);
    }
    if (spec.type === "integer" && (value as number) <= 0) {
      throw new ConfigError(`config key ${fullKey} in ${stackFile} must be a positive integer, not ${String(value)}`);
    }
    if (spec.type === "string" && (value as string).trim() === "") {
      // Pulumi.yaml declares optional strings with "" as default (the CLI requires a default).
      if (spec.required || spec.default !== undefined) {
        throw new ConfigError(`config key ${fullKey} in ${stackFile} is empty: remove it or give it a value`);
      }
      continue;
    }
    values[key] = value;
  }
  for (const [key, spec] of Object.entries(CONFIG_SCHEMA)) {
    if (values[key] === undefined) {
      if (spec.required) {
        throw new ConfigError(`config key ${CONFIG_NAMESPACE}:${key} is missing in ${stackFile}: ${spec.description} Set it with \`pulumi config set ${key} VALUE\``);
      }
      if (spec.default !== undefined) values[key] = structuredClone(spec.default);
    }
  }
  values.values = deepMerge(DEFAULT_VALUES, (values.values as Record<string, unknown>) ?? {});
  return values as unknown as Settings;
}
