// Issue 19, item 5, on the real control plane (Kubernetes 1.34) with the real engine and provider:
// the kubeconfig given to Pulumi reaches kube-apiserver only through an HTTP proxy (its server name
// resolves at the proxy alone, as an internal name behind a corporate proxy does). `pulumi up` must
// remove the old release, install 0.6 and restore every object, every step going through the proxy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as dns from "node:dns/promises";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import * as yaml from "js-yaml";
import { parseBackup } from "../../lib/backup-format";
import { LocalCluster, PulumiCli, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";
import { buildRestorePlan } from "../../lib/plan";
import { objectLabel } from "../../lib/types";
import { certManagerObjectLabels, legacyCrdPresent } from "../support/cluster-objects";
import { HttpProxy } from "../support/http-proxy";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
/** In kube-apiserver's certificate (harness/control-plane.ts), and resolved by nothing on this machine but the proxy. */
const PROXY_ONLY_NAME = "kubernetes.default.svc.cluster.local";

describe("behind an HTTP proxy (proxy-url, Kubernetes 1.34)", { concurrency: false }, () => {
  let env: NodeJS.ProcessEnv;
  let cluster: LocalCluster;
  let kc: k8s.KubeConfig;
  let cli: PulumiCli;
  let planned: string[];
  let proxied: string;
  const proxy = new HttpProxy({ [PROXY_ONLY_NAME]: "127.0.0.1" });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-proxy-"));
  const backupFile = path.join(work, "backups", "cert-manager-backup.yaml");

  const script = (name: string, args: string[]): Promise<RunResult> => run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env });

  before(async () => {
    await assert.rejects(dns.lookup(PROXY_ONLY_NAME), `${PROXY_ONLY_NAME} must not resolve here, or going around the proxy would go unnoticed`);
    env = await toolchainEnv({ build: true });
    cluster = await startCluster(path.join(work, "cluster"), env, { kubernetesVersion: "1.34" });
    const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, "legacy-state"), "--namespaces", "2", "--certificates-per-namespace", "30"]);
    assert.equal(seeded.code, 0, seeded.stderr);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    const b = await script("backup", ["--kubeconfig", cluster.kubeconfig, "--out", backupFile]);
    assert.equal(b.code, 0, b.stderr);
    planned = buildRestorePlan(parseBackup(fs.readFileSync(backupFile))).restore.map((r) => objectLabel(r)).sort();
    await proxy.start();
    // The cluster's own kubeconfig, its server renamed to the proxy-only name and proxy-url set.
    const config = yaml.load(fs.readFileSync(cluster.kubeconfig, "utf8")) as { clusters: Array<{ cluster: Record<string, unknown> }> };
    for (const c of config.clusters) {
      c.cluster.server = `https://${PROXY_ONLY_NAME}:${cluster.apiserverPort}`;
      c.cluster["proxy-url"] = proxy.url;
    }
    proxied = path.join(work, "proxied.kubeconfig");
    fs.writeFileSync(proxied, yaml.dump(config), { mode: 0o600 });
    cli = new PulumiCli(env, "proxied", path.join(work, "pulumi"), path.join(work, "Pulumi.proxied.yaml"));
    await cli.init({ backupFile, kubeconfig: proxied, context: cluster.context, chart: CHART_066, mapApiVersions: "true",
      acknowledgeUnsupportedKubernetes: "true", webhook: "false", skipAwait: "true" });
  });

  after(async () => {
    await proxy.close();
    await cluster?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test("`pulumi up` through the proxy: the old release goes, 0.6 is installed, every object is restored", async () => {
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    assert.equal(up.code, 0, `pulumi up: ${up.stdout.slice(-3000)}${up.stderr}`);
    assert.equal(await legacyCrdPresent(kc), false, "the old release's CRDs are gone");
    assert.deepEqual(await certManagerObjectLabels(kc, { exceptNamespace: "cert-manager" }), planned, "every object restored");
    assert.ok(proxy.connects.length > 0, "the proxy saw CONNECTs");
    assert.deepEqual([...new Set(proxy.connects)], [`${PROXY_ONLY_NAME}:${cluster.apiserverPort}`], "to kube-apiserver only");
    process.stderr.write(`proxy: ${proxy.connects.length} CONNECT(s) for ${planned.length} restored object(s) and the rest of the run\n`);
    const again = await cli.run(["preview", "--expect-no-changes"]);
    assert.equal(again.code, 0, `a further run would change something: ${again.stdout.slice(-3000)}${again.stderr}`);
  });
});
