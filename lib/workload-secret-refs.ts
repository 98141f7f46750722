// Every Secret a Pod, a workload's pod template or a ServiceAccount references by name (pure, over
// the objects as the API returns them). The kubelet reads these Secrets from the object's own
// namespace; deleting one breaks the Pod's next start, or its image pull.

export interface WorkloadSecretRef {
  name: string;
  /** Where in the object, in words: "volume creds", "env TOKEN of container app", "imagePullSecrets". */
  where: string;
}

type Dict = Record<string, unknown>;

function asDict(value: unknown): Dict | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Dict) : undefined;
}

function dicts(value: unknown): Dict[] {
  return Array.isArray(value) ? value.map(asDict).filter((d): d is Dict => d !== undefined) : [];
}

function nameOf(value: unknown, field = "name"): string | undefined {
  const name = asDict(value)?.[field];
  return typeof name === "string" && name !== "" ? name : undefined;
}

/** Volume plugins that name a Secret of the Pod's namespace besides `secret` and `projected` (core/v1 VolumeSource). */
const VOLUME_PLUGIN_SECRETS: Array<{ plugin: string; field: string; nameField: string }> = [
  { plugin: "azureFile", field: "", nameField: "secretName" },
  { plugin: "cephfs", field: "secretRef", nameField: "name" },
  { plugin: "cinder", field: "secretRef", nameField: "name" },
  { plugin: "csi", field: "nodePublishSecretRef", nameField: "name" },
  { plugin: "flexVolume", field: "secretRef", nameField: "name" },
  { plugin: "iscsi", field: "secretRef", nameField: "name" },
  { plugin: "rbd", field: "secretRef", nameField: "name" },
  { plugin: "scaleIO", field: "secretRef", nameField: "name" },
  { plugin: "storageos", field: "secretRef", nameField: "name" },
];

const CONTAINER_LISTS: Array<[string, string]> = [["initContainers", "init container"], ["containers", "container"], ["ephemeralContainers", "ephemeral container"]];

/** The Secrets a pod spec references, in the order of the spec: volumes, containers, imagePullSecrets. */
export function podSpecSecretRefs(spec: unknown): WorkloadSecretRef[] {
  const s = asDict(spec);
  if (!s) return [];
  const refs: WorkloadSecretRef[] = [];
  const add = (name: string | undefined, where: string): void => {
    if (name) refs.push({ name, where });
  };
  for (const volume of dicts(s.volumes)) {
    const volumeName = typeof volume.name === "string" ? volume.name : "?";
    add(nameOf(volume.secret, "secretName"), `volume ${volumeName}`);
    for (const source of dicts(asDict(volume.projected)?.sources)) add(nameOf(source.secret), `projected volume ${volumeName}`);
    for (const { plugin, field, nameField } of VOLUME_PLUGIN_SECRETS) {
      const config = asDict(volume[plugin]);
      if (config) add(nameOf(field ? config[field] : config, nameField), `volume ${volumeName} (${plugin})`);
    }
  }
  for (const [list, what] of CONTAINER_LISTS) {
    for (const container of dicts(s[list])) {
      const containerName = typeof container.name === "string" ? container.name : "?";
      for (const env of dicts(container.env)) {
        add(nameOf(asDict(env.valueFrom)?.secretKeyRef), `env ${typeof env.name === "string" ? env.name : "?"} of ${what} ${containerName}`);
      }
      for (const envFrom of dicts(container.envFrom)) add(nameOf(envFrom.secretRef), `envFrom of ${what} ${containerName}`);
    }
  }
  for (const pull of dicts(s.imagePullSecrets)) add(nameOf(pull), "imagePullSecrets");
  return refs;
}

/** Kinds whose objects reference Secrets by name for their Pods, and where their pod spec is. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  Pod: ["spec"],
  Deployment: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

export const WORKLOAD_KINDS = Object.keys(POD_SPEC_PATHS);

/** The Secrets an object of `kind` references: a pod spec's, or a ServiceAccount's `secrets` and `imagePullSecrets`. */
export function objectSecretRefs(kind: string, object: unknown): WorkloadSecretRef[] {
  const o = asDict(object);
  if (!o) return [];
  if (kind === "ServiceAccount") {
    return [
      ...dicts(o.secrets).map((s) => ({ name: nameOf(s), where: "secrets" })),
      ...dicts(o.imagePullSecrets).map((s) => ({ name: nameOf(s), where: "imagePullSecrets" })),
    ].filter((r): r is WorkloadSecretRef => r.name !== undefined);
  }
  const path = POD_SPEC_PATHS[kind];
  if (!path) return [];
  let spec: unknown = o;
  for (const field of path) spec = asDict(spec)?.[field];
  return podSpecSecretRefs(spec);
}

/** The kind and name of the object's controller (ownerReferences with controller: true), if any. */
export function controllerOf(object: unknown): { kind: string; name: string } | undefined {
  const owner = dicts(asDict(asDict(object)?.metadata)?.ownerReferences).find((r) => r.controller === true);
  return owner && typeof owner.kind === "string" && typeof owner.name === "string" ? { kind: owner.kind, name: owner.name } : undefined;
}
