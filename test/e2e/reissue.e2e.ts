// Issue 10, item 8 on a real API server with the real Pulumi engine and provider: the backup records
// each certificate's facts, and after the upgrade `npm run verify` fails, naming the Certificate, once
// its TLS Secret holds another certificate for the same names (a re-issue). Item 9 too: an object
// edited after the backup stops the preview. The run uses a KUBECONFIG list (item 10): no kubeconfig
// key in the stack, the cluster's context defined only in the list's second file.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { parseBackup } from "../../lib/backup-format";
import { LocalCluster, PulumiCli, ROOT, RunResult, run, startCluster, toolchainEnv } from "../../lib/local-run";
import { certManagerAnnotations, certificateFacts } from "../../lib/tls-facts";
import { filesUnder } from "../support/leak-check";
import { markerLeaks } from "../support/secret-scan";

const CHART_066 = path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.6.6.tgz");
const MARKER = `e2e-reissue-${process.pid}-do-not-print`;
const NODE = path.join(ROOT, "node_modules", ".bin", "node");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");

let env: NodeJS.ProcessEnv;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-e2e-reissue-"));
const clusters: LocalCluster[] = [];
const logs: string[] = [];

function script(name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return run(NODE, [TSX, path.join(ROOT, "scripts", `${name}.ts`), ...args], { env: { ...env, ...extraEnv } }).then((r) => {
    logs.push(r.stdout, r.stderr);
    return r;
  });
}

/** A kubeconfig file that comes first in the KUBECONFIG list: another cluster, no current context. */
function decoyKubeconfig(): string {
  const file = path.join(work, "decoy-kubeconfig");
  fs.writeFileSync(file, [
    "apiVersion: v1", "kind: Config",
    "clusters: [{name: decoy, cluster: {server: 'https://127.0.0.1:1'}}]",
    "users: [{name: decoy, user: {token: decoy}}]",
    "contexts: [{name: decoy, context: {cluster: decoy, user: decoy}}]", "",
  ].join("\n"), { mode: 0o600 });
  return file;
}

/** The same names as `pem`'s certificate, another key and another certificate: what a re-issue leaves in the Secret. */
function reissue(pem: string): { crt: string; key: string } {
  const facts = certificateFacts(Buffer.from(pem).toString("base64"));
  assert.ok(!("problem" in facts), "the seeded certificate parses");
  const dir = fs.mkdtempSync(path.join(work, "reissue-"));
  const san = facts.dnsNames.length ? ["-addext", `subjectAltName=${facts.dnsNames.map((d) => `DNS:${d}`).join(",")}`] : [];
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "90", "-subj", `/CN=${facts.commonName}`, ...san,
    "-keyout", path.join(dir, "tls.key"), "-out", path.join(dir, "tls.crt")], { stdio: "ignore" });
  return { crt: fs.readFileSync(path.join(dir, "tls.crt"), "utf8"), key: fs.readFileSync(path.join(dir, "tls.key"), "utf8") };
}

before(async () => {
  env = await toolchainEnv({ build: true, echo: true });
});

after(async () => {
  for (const c of clusters) await c.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

describe("a certificate re-issued after the upgrade", { concurrency: false }, () => {
  let cluster: LocalCluster;
  let kc: k8s.KubeConfig;
  let kubeconfigList: string;
  let backupFile: string;
  let cli: PulumiCli;

  before(async () => {
    cluster = await startCluster(path.join(work, "reissue"), env);
    clusters.push(cluster);
    const seeded = await script("seed-legacy", ["--kubeconfig", cluster.kubeconfig, "--state", path.join(work, "legacy-state"),
      "--namespaces", "1", "--certificates-per-namespace", "3", "--secret-marker", MARKER]);
    assert.equal(seeded.code, 0, seeded.stderr);
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    kubeconfigList = [path.join(work, "no-such-kubeconfig"), decoyKubeconfig(), cluster.kubeconfig].join(path.delimiter);
  });

  test("the backup records the TLS certificate's facts, read from a KUBECONFIG list", async () => {
    backupFile = path.join(work, "backups", "reissue", "cert-manager-backup.yaml");
    const b = await script("backup", ["--out", backupFile], { KUBECONFIG: kubeconfigList });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.match(b.stdout, new RegExp(`^backup: cluster ${kc.getCurrentCluster()!.server.replace(/[.]/g, "\\.")} `, "m"));
    const meta = parseBackup(fs.readFileSync(backupFile)).meta!;
    assert.equal(meta.format, "cert-manager-upgrade/backup@2");
    const wonder = meta.tlsCertificates!.find((c) => c.namespace === "default" && c.certificate === "wonder-app-cert")!;
    const live = await kc.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace: "default", name: "wonder-app-cert" });
    // With the key check the backup makes (the key parsed in memory, only the verdict kept).
    const facts = certificateFacts(live.data!["tls.crt"], live.data!["tls.key"], true);
    // And, since issue 20, the Secret's cert-manager annotations (what v1.1.1 compares once renamed).
    assert.deepEqual({ ...wonder }, { namespace: "default", certificate: "wonder-app-cert", secretName: "wonder-app-cert", ...facts, annotations: certManagerAnnotations(live.metadata?.annotations) });
    assert.equal(wonder.commonName, "wonder-app.example.com");
    assert.equal(wonder.keyType, "PRIVATE KEY", "openssl req -newkey writes PKCS#8");
    assert.match(wonder.keyProblem ?? "", /PKCS#8.*cert-manager 0\.6\.2 cannot read/, "the backup says 0.6.2 cannot use that key");
    const text = fs.readFileSync(backupFile, "utf8");
    assert.ok(!text.includes(live.data!["tls.key"].slice(0, 40)) && !text.includes(live.data!["tls.crt"].slice(40, 80)), "no key and no certificate in the backup");
  });

  test("an object edited after the backup stops the preview, naming it; undone, the preview passes", async () => {
    cli = new PulumiCli({ ...env, KUBECONFIG: kubeconfigList }, "reissue", path.join(work, "reissue-pulumi"), path.join(work, "Pulumi.reissue.yaml"));
    await cli.init({ backupFile, chart: CHART_066, mapApiVersions: "true", acknowledgeUnsupportedKubernetes: "true", skipAwait: "true", webhook: "false" });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const target = { group: "certmanager.k8s.io", version: "v1alpha1", namespace: "team-00", plural: "certificates", name: "svc-001" };
    const patch = (labels: Record<string, string | null>) => custom.patchNamespacedCustomObject({ ...target, body: { metadata: { labels } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
    await patch({ "edited-after-backup": "yes" });
    const stopped = await cli.run(["preview"]);
    logs.push(stopped.stdout, stopped.stderr);
    assert.notEqual(stopped.code, 0);
    assert.match(stopped.stdout + stopped.stderr, /backup coverage check failed: 1 object\(s\) changed in the cluster since .* was taken \(Certificate\/team-00\/svc-001 \(labels, annotations or ownerReferences\)\); .*take the backup again/);
    await patch({ "edited-after-backup": null });
    const passes = await cli.run(["preview"]);
    logs.push(passes.stdout, passes.stderr);
    assert.equal(passes.code, 0, passes.stdout.slice(-3000) + passes.stderr);
  });

  test("after the upgrade verify passes; once wonder-app-cert's certificate is replaced it fails, naming it", async () => {
    const up = await cli.run(["up", "--yes", "--skip-preview"]);
    logs.push(up.stdout, up.stderr);
    assert.equal(up.code, 0, up.stdout.slice(-3000) + up.stderr);

    const before = await script("verify", ["--backup", backupFile, "--allow-pending"], { KUBECONFIG: kubeconfigList });
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.match(before.stdout, /^default\s+Certificate\s+wonder-app-cert\s+True → pending\s+wonder-app-cert\s+20\d\d-\S+\s+ok$/m);
    assert.doesNotMatch(before.stdout, /records no certificate fingerprints/);

    // A re-issue: the Secret keeps its name and the certificate its names; the certificate and key are new.
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const secret = await core.readNamespacedSecret({ namespace: "default", name: "wonder-app-cert" });
    const fresh = reissue(Buffer.from(secret.data!["tls.crt"], "base64").toString("utf8"));
    secret.data = { "tls.crt": Buffer.from(fresh.crt).toString("base64"), "tls.key": Buffer.from(fresh.key).toString("base64") };
    await core.replaceNamespacedSecret({ namespace: "default", name: "wonder-app-cert", body: secret });

    const after = await script("verify", ["--backup", backupFile, "--allow-pending"], { KUBECONFIG: kubeconfigList });
    assert.equal(after.code, 1, after.stdout + after.stderr);
    const differences = after.stdout.split("\n").filter((l) => l.startsWith("DIFFERENCE "));
    assert.equal(differences.length, 1, after.stdout);
    assert.match(differences[0], /^DIFFERENCE Certificate\/default\/wonder-app-cert: TLS certificate in Secret wonder-app-cert replaced since the backup \(was serial [0-9A-F]+, .*now serial [0-9A-F]+, .*\): it was re-issued$/);
    assert.match(after.stdout, /^verify: 1 differences$/m);
    for (const line of fresh.key.split("\n").filter((l) => l && !l.startsWith("-----"))) assert.ok(!after.stdout.includes(line) && !after.stderr.includes(line), "verify printed the key");
  });

  test("no seeded secret value in the backup, the outputs, or the Pulumi state", () => {
    // The shared scanner: plaintext, base64 at every alignment, and nested or gzipped encodings.
    const texts: Array<[string, string]> = [
      ["backup", fs.readFileSync(backupFile, "latin1")],
      ...filesUnder(path.join(work, "reissue-pulumi", "backend")),
      ["command output", logs.join("\n")],
    ];
    assert.deepEqual(markerLeaks(texts, MARKER), []);
  });
});
