// `npm run cluster`: a throwaway control plane on 127.0.0.1 for trying things by hand. It runs in
// the foreground and stops when this command ends (Ctrl-C), so nothing outlives it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KUBERNETES_VERSIONS, KubernetesVersion } from "../harness/control-plane";
import { CliError, EXIT_OK, UsageError, parseCommandLine, runMain, untilInterrupted } from "../lib/cli";
import { RequirementsError, ensureRequirements } from "../harness/requirements";
import { startCluster, toolchainBuilt, toolchainEnv } from "../lib/local-run";
import { projectPath } from "../lib/project-path";

const USAGE = `Usage: npm run cluster -- [--kubernetes 1.15|1.34] [--dir PATH]

Starts etcd, kube-apiserver and kube-controller-manager on 127.0.0.1 (free ports; no scheduler, no
kubelet: no pod runs), prints the KUBECONFIG to use, and keeps them running until Ctrl-C (or
SIGTERM), then stops them. They also die if this command is killed. Binaries come from
scripts/toolchain.sh (built first if missing: slow the first time).

  --kubernetes V   1.15 (default: what clusters running cert-manager 0.4 run) or 1.34
  --dir PATH       state folder (certificates, logs, kubeconfig; default: a new folder under $TMPDIR)
Exit codes: 0 stopped cleanly, 1 failed to start, 2 usage.`;

function parseKubernetesVersion(value: string): KubernetesVersion {
  if (!KUBERNETES_VERSIONS.includes(value as KubernetesVersion)) throw new UsageError(`--kubernetes ${value}: expected one of ${KUBERNETES_VERSIONS.join(", ")}`);
  return value as KubernetesVersion;
}

runMain("cluster", async () => {
  const args = parseCommandLine(process.argv.slice(2), { dir: { type: "string" }, kubernetes: { type: "string", default: "1.15" } }, USAGE);
  const kubernetesVersion = parseKubernetesVersion(args.kubernetes!);
  // Listen before anything is printed: a Ctrl-C that comes right after the KUBECONFIG line must
  // stop the cluster, not kill this process with the signal's default action.
  const interrupted = untilInterrupted();
  const dir = projectPath(args.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "cmu-cluster-")));
  try {
    ensureRequirements([...(toolchainBuilt() ? [] : ["toolchain-build" as const]), "control-plane"], { log: (line) => process.stderr.write(`cluster: ${line}\n`) });
  } catch (err) {
    if (err instanceof RequirementsError) throw new CliError(`nothing was started: ${err.message}`);
    throw err;
  }
  const env = await toolchainEnv({ build: true, echo: true });
  const log = (line: string) => process.stderr.write(`cluster: ${line}\n`);
  const cluster = await startCluster(dir, env, { log, kubernetesVersion }).catch((err: Error) => {
    throw new CliError(err.message);
  });
  process.stdout.write(`export KUBECONFIG=${cluster.kubeconfig}\n`);
  log("running; Ctrl-C stops it");
  await interrupted;
  log("stopping");
  await cluster.stop();
  log("stopped");
  return EXIT_OK;
});
