// Runs index.ts under Pulumi's runtime mocks and records every resource registration with its
// dependencies, so tests can assert the resource graph (types, names, inputs, order, options).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterFacts } from "../../lib/cluster";
import type { TargetMetadata } from "../../lib/target-metadata";
import { kubectlApplied } from "../../lib/legacy-seed";
import { decodeObjects } from "../../lib/restore-batch";

const PROJECT_ROOT = path.resolve(__dirname, "..", "..") + path.sep;

export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const SOURCE_SECRET_VALUE = "c2VlZC1zZWNyZXQtdmFsdWUtZG8tbm90LXByaW50"; // base64 of a value no output may show
export const SOURCE_SECRET_PLAINTEXT = Buffer.from(SOURCE_SECRET_VALUE, "base64").toString("utf8");

/** A Secret as the API server returns it. */
export interface LiveSecret {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; uid?: string };
  type?: string;
  data?: Record<string, string>;
}

/** A Secret created with `kubectl apply -f`, as most are: its annotation holds its data too. */
export function kubectlAppliedSecret(namespace: string, name: string, data: Record<string, string> = { "tls.key": SOURCE_SECRET_VALUE }, type = "Opaque"): LiveSecret {
  const applied: LiveSecret = kubectlApplied({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace } as LiveSecret["metadata"], type, data });
  return { ...applied, metadata: { ...applied.metadata, uid: `uid-${namespace}-${name}` } };
}

export interface Registration {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  parent: string;
  /** Inputs as plain values (secrets unwrapped). */
  inputs: Record<string, any>;
  /** Inputs as sent to the engine, secret markers included. */
  rawInputs: Record<string, any>;
  dependencies: string[];
  additionalSecretOutputs: string[];
  retainOnDelete: boolean;
  /** The deleteBeforeReplace option, and the replacementTrigger value (undefined when none). */
  deleteBeforeReplace: boolean;
  replacementTrigger: unknown;
  protect: boolean;
  /** Names of the aliases the resource declares (old names it answers to). */
  aliases: string[];
  /** The `import` option: the id of an existing object to take over ("" when none). */
  importId: string;
}

export interface ProgramRun {
  registrations: Registration[];
  /** Secrets read from the cluster, by the program or through the engine. */
  reads: Array<{ type: string; name: string; id: string }>;
  /** Resources read through the engine (`.get`): Pulumi stores each whole object, inputs and outputs, in the state. */
  engineReads: Array<{ type: string; name: string; id: string }>;
  outputs: Record<string, any>;
  /** What the program logged with pulumi.log.info / warn (shown by preview). */
  logs: Array<{ severity: "info" | "warn"; message: string }>;
  byName(name: string): Registration;
  /** Names of the resources a registration depends on. */
  dependencyNames(name: string): string[];
}

/** A kubeconfig the program can load; nothing contacts its server under mocks. */
export function writeKubeconfig(dir: string): string {
  const file = path.join(dir, "kubeconfig");
  fs.writeFileSync(file, [
    "apiVersion: v1", "kind: Config", "current-context: test-context",
    "clusters: [{name: test, cluster: {server: 'https://127.0.0.1:1'}}]",
    "users: [{name: test, user: {token: dummy}}]",
    "contexts: [{name: test-context, context: {cluster: test, user: test}}]", "",
  ].join("\n"));
  return file;
}

/** A local chart archive for the `chart` key: the program checks that it exists; nothing reads it under mocks. */
export function writeChart(dir: string): string {
  const file = path.join(dir, "cert-manager-v0.6.6.tgz");
  fs.writeFileSync(file, "");
  return file;
}

function unwrap(value: any): any {
  return JSON.parse(JSON.stringify(value ?? {}));
}

/**
 * Runs index.ts under mocks with recorded cluster facts. `liveSecrets` ("namespace/name" → object)
 * are the Secrets the cluster returns when read; by default every Secret asked for exists,
 * created with `kubectl apply` and holding SOURCE_SECRET_VALUE. `secretKeys`: the config keys set
 * with `pulumi config set --secret`. `secretUsersFromCluster`: the cleanup's Pods, workloads and
 * ServiceAccounts are read from the kubeconfig's server (a FakeKubeApi), not taken as none.
 * `restoreRecord`: the data of the record ConfigMap of restored objects (none by default).
 */
export async function runProgram(config: Record<string, string>, facts: ClusterFacts, preview = false,
  options: { liveSecrets?: Record<string, LiveSecret>; secretKeys?: string[]; secretUsersFromCluster?: boolean; restoreRecord?: Record<string, string>; targetMetadata?: TargetMetadata } = {}): Promise<ProgramRun> {
  const { liveSecrets, secretKeys, restoreRecord } = options;
  const registrations: Registration[] = [];
  const reads: ProgramRun["reads"] = [];
  const engineReads: ProgramRun["engineReads"] = [];
  const liveSecret = (namespace: string, name: string): LiveSecret | undefined =>
    structuredClone(liveSecrets ? liveSecrets[`${namespace}/${name}`] : kubectlAppliedSecret(namespace, name));
  await pulumi.runtime.setMocks({
    newResource(args: pulumi.runtime.MockResourceArgs) {
      const state: Record<string, any> = { ...args.inputs };
      if (args.id) engineReads.push({ type: args.type, name: args.name, id: args.id });
      if (args.type === "kubernetes:core/v1:Secret" && args.id) {
        reads.push({ type: args.type, name: args.name, id: args.id });
        const [namespace, name] = args.id.split("/");
        const live = liveSecret(namespace, name);
        if (!live) throw new Error(`Secret ${args.id} not found`);
        return { id: args.id, state: live };
      }
      if (args.type === "kubernetes:helm.sh/v3:Release") state.status = { status: "deployed", version: "v0.6.6", revision: 1, name: args.inputs.name };
      if (args.type === "pulumi-nodejs:dynamic:Resource") Object.assign(state, { completedAt: "2026-11-28T00:00:00Z", removed: [], readyAt: "2026-11-28T00:00:00Z", deleted: [] });
      if (args.type.startsWith("kubernetes:")) state.metadata = { ...(args.inputs.metadata ?? {}), name: args.inputs.metadata?.name ?? args.name };
      return { id: `${args.name}-id`, state };
    },
    call(args: pulumi.runtime.MockCallArgs) {
      return args.inputs;
    },
  }, "cert-manager-upgrade", "test", preview);

  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) => {
    const entry: Registration = {
      type: req.getType(),
      name: req.getName(),
      urn: "",
      custom: req.getCustom(),
      parent: req.getParent(),
      inputs: {},
      rawInputs: req.getObject()?.toJavaScript() ?? {},
      dependencies: req.getDependenciesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
      retainOnDelete: req.getRetainondelete?.() ?? false,
      deleteBeforeReplace: req.getDeletebeforereplace?.() ?? false,
      replacementTrigger: req.hasReplacementTrigger?.() ? req.getReplacementTrigger().toJavaScript() : undefined,
      protect: req.getProtect?.() ?? false,
      aliases: (req.getAliasesList?.() ?? []).map((a: any) => a.getSpec?.()?.getName?.() || a.getUrn?.() || ""),
      importId: req.getImportid?.() ?? "",
    };
    entry.inputs = unwrap(stripSecrets(entry.rawInputs));
    registrations.push(entry);
    return register(req, (err: unknown, res: any) => {
      if (res) entry.urn = res.getUrn();
      callback(err, res);
    });
  };

  const logs: ProgramRun["logs"] = [];
  const { info, warn } = pulumi.log;
  pulumi.log.info = async (message: string) => { logs.push({ severity: "info", message }); };
  pulumi.log.warn = async (message: string) => { logs.push({ severity: "warn", message }); };
  pulumi.runtime.setAllConfig(config, secretKeys);
  // A fresh copy of the program each run, so that one test file can run it with several configs.
  for (const file of Object.keys(require.cache)) {
    if (file.startsWith(PROJECT_ROOT) && !file.includes(`${path.sep}node_modules${path.sep}`) && !file.includes(`${path.sep}test${path.sep}`)) delete require.cache[file];
  }
  const stackInputs = require("../../lib/stack-inputs");
  stackInputs.clusterReader.inspect = async () => facts;
  // The cleanup's read of the legacy namespace's Pods, workloads and ServiceAccounts: none there,
  // unless the test points the kubeconfig at a stand-in API server that serves them.
  if (!options.secretUsersFromCluster) stackInputs.clusterReader.legacySecretUsers = async () => ({ objects: [] });
  stackInputs.clusterReader.readSecret = async (_kc: unknown, namespace: string, name: string) => {
    reads.push({ type: "kubernetes:core/v1:Secret", name, id: `${namespace}/${name}` });
    return liveSecret(namespace, name);
  };
  // The record of restored objects (lib/restore-record.ts): none unless the test gives one.
  stackInputs.clusterReader.readRestoreRecord = async () => structuredClone(restoreRecord);
  // A converting target's read of TLS Secrets' and Ingresses' metadata: none unless the test gives some.
  stackInputs.clusterReader.targetMetadata = async () => structuredClone(options.targetMetadata ?? { secrets: [], ingresses: [] });
  let exported: unknown;
  try {
    exported = await require("../../index");
  } catch (err) {
    // Tests of the gates look at what was declared before the failure.
    (err as { registrations?: Registration[] }).registrations = registrations;
    throw err;
  } finally {
    Object.assign(pulumi.log, { info, warn });
  }
  const outputs: Record<string, any> = {};
  for (const [k, v] of Object.entries(exported as Record<string, unknown>)) outputs[k] = await resolve(v);
  // Let every registration started by the program finish.
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));

  const run: ProgramRun = {
    registrations,
    reads,
    engineReads,
    outputs,
    logs,
    byName(name) {
      // A component and its main child share a name: the child is what tests look at.
      const r = registrations.find((x) => x.name === name && x.custom) ?? registrations.find((x) => x.name === name);
      if (!r) throw new Error(`no resource named ${name}; have: ${registrations.map((x) => x.name).join(", ")}`);
      return r;
    },
    dependencyNames(name) {
      const urns = new Set(run.byName(name).dependencies);
      return registrations.filter((x) => urns.has(x.urn)).map((x) => x.name).sort();
    },
  };
  return run;
}

function stripSecrets(value: any): any {
  if (Array.isArray(value)) return value.map(stripSecrets);
  if (value && typeof value === "object") {
    if (value[SECRET_SIG_KEY] === SECRET_SIG) return stripSecrets(value.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripSecrets(v)]));
  }
  return value;
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

async function resolve(value: unknown): Promise<any> {
  if (pulumi.Output.isInstance(value)) return new Promise((r) => (value as pulumi.Output<unknown>).apply((v) => { r(v); return v; }));
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const out: Record<string, any> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolve(v);
    return out;
  }
  return value;
}

const tempDirs: string[] = [];

/** A folder for one test; every one of them is removed when the test process exits. */
export function tempDir(): string {
  if (tempDirs.length === 0) process.on("exit", () => tempDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-program-"));
  tempDirs.push(dir);
  return dir;
}

/** The restore's batch resources (components/restored-batch.ts), in registration order. */
export function restoredBatches(run: ProgramRun): Registration[] {
  return run.registrations.filter((r) => r.type === "pulumi-nodejs:dynamic:Resource" && typeof r.inputs.batch === "string" && r.inputs.objects);
}

export interface RestoredObjectRegistration {
  label: string;
  kind: string;
  namespace: string;
  name: string;
  object: Record<string, any>;
  /** The batch resource that restores it. */
  batch: Registration;
}

/** Every restored object, from the batches' inputs, in registration order. */
export function restoredObjects(run: ProgramRun): RestoredObjectRegistration[] {
  return restoredBatches(run).flatMap((batch) => Object.entries(decodeObjects(batch.inputs.objects as Record<string, unknown>) as Record<string, Record<string, any>>).map(([label, object]) => {
    const parts = label.split("/");
    const [kind, namespace, name] = parts.length === 2 ? [parts[0], "", parts[1]] : [parts[0], parts[1], parts.slice(2).join("/")];
    return { label, kind, namespace, name, object, batch };
  }));
}

/** The name of the batch resource restoring the object `label` ("Kind/namespace/name", "ClusterIssuer/name"). */
export function batchNameOf(run: ProgramRun, label: string): string {
  const found = restoredObjects(run).find((o) => o.label === label);
  if (!found) throw new Error(`no restored object ${label}`);
  return found.batch.name;
}
