// Which Secrets a Pod, a workload's pod template or a ServiceAccount references (pure, plain objects).
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { objectSecretRefs, podSpecSecretRefs } from "../lib/workload-secret-refs";

describe("podSpecSecretRefs", () => {
  test("secret and projected volumes, volume plugins' Secrets, env, envFrom and imagePullSecrets, in every kind of container", () => {
    const spec = {
      volumes: [
        { name: "creds", secret: { secretName: "route53-credentials" } },
        { name: "bundle", projected: { sources: [{ configMap: { name: "ca" } }, { secret: { name: "acme-key" } }] } },
        { name: "data", emptyDir: {} },
        { name: "ceph", cephfs: { monitors: ["m"], secretRef: { name: "ceph-secret" } } },
        { name: "share", azureFile: { secretName: "azure-secret", shareName: "s" } },
        { name: "csi", csi: { driver: "d", nodePublishSecretRef: { name: "csi-secret" } } },
      ],
      initContainers: [{ name: "init", envFrom: [{ configMapRef: { name: "cfg" } }, { secretRef: { name: "init-env" } }] }],
      containers: [{ name: "external-dns", env: [
        { name: "PLAIN", value: "not a reference" },
        { name: "FROM_MAP", valueFrom: { configMapKeyRef: { name: "cfg", key: "k" } } },
        { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "route53-credentials", key: "secret" } } },
      ] }],
      ephemeralContainers: [{ name: "debug", envFrom: [{ secretRef: { name: "debug-env" } }] }],
      imagePullSecrets: [{ name: "registry" }],
    };
    assert.deepEqual(podSpecSecretRefs(spec), [
      { name: "route53-credentials", where: "volume creds" },
      { name: "acme-key", where: "projected volume bundle" },
      { name: "ceph-secret", where: "volume ceph (cephfs)" },
      { name: "azure-secret", where: "volume share (azureFile)" },
      { name: "csi-secret", where: "volume csi (csi)" },
      { name: "init-env", where: "envFrom of init container init" },
      { name: "route53-credentials", where: "env AWS_SECRET_ACCESS_KEY of container external-dns" },
      { name: "debug-env", where: "envFrom of ephemeral container debug" },
      { name: "registry", where: "imagePullSecrets" },
    ]);
  });

  test("nothing, or what is not a pod spec, references nothing; empty names are no reference", () => {
    assert.deepEqual(podSpecSecretRefs(undefined), []);
    assert.deepEqual(podSpecSecretRefs("x"), []);
    assert.deepEqual(podSpecSecretRefs({ volumes: "x", containers: [null, { name: "c", env: [{ name: "E", valueFrom: { secretKeyRef: { name: "" } } }] }] }), []);
  });
});

describe("objectSecretRefs", () => {
  const template = (name: string) => ({ spec: { containers: [{ name: "c", envFrom: [{ secretRef: { name } }] }] } });
  test("a Pod's spec, a workload's pod template, a CronJob's job template, a ServiceAccount's secrets and imagePullSecrets", () => {
    assert.deepEqual(objectSecretRefs("Pod", template("p")), [{ name: "p", where: "envFrom of container c" }]);
    for (const kind of ["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"]) {
      assert.deepEqual(objectSecretRefs(kind, { spec: { template: template(kind) } }), [{ name: kind, where: "envFrom of container c" }], kind);
    }
    assert.deepEqual(objectSecretRefs("CronJob", { spec: { jobTemplate: { spec: { template: template("cron") } } } }), [{ name: "cron", where: "envFrom of container c" }]);
    assert.deepEqual(objectSecretRefs("ServiceAccount", { secrets: [{ name: "sa-token" }], imagePullSecrets: [{ name: "registry" }] }), [
      { name: "sa-token", where: "secrets" },
      { name: "registry", where: "imagePullSecrets" },
    ]);
  });

  test("other kinds reference nothing here", () => {
    assert.deepEqual(objectSecretRefs("ConfigMap", { spec: { template: template("x") } }), []);
  });
});
