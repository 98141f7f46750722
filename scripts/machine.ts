// `npm run machine`: what the project's commands need from this machine, installed where it can be
// (Debian packages, as root) and otherwise named, before anything starts. npm test, npm run demo,
// npm run cluster and npm run test:e2e run it first.
import { CliError, EXIT_OK, UsageError, parseCommandLine, runMain } from "../lib/cli";
import { Need, RequirementsError, ensureRequirements } from "../harness/requirements";
import { toolchainBuilt } from "../lib/local-run";

const USAGE = `Usage: npm run machine -- --for test|cluster|demo|e2e

Checks that this machine has what the command needs (openssl and jq for the tests; setpriv and
openssl for the local control plane; root, ip and mount for cert-manager's pods on Kubernetes 1.15;
Go when the toolchain is not built yet, and a free 10.250.0.0/16), installs the missing Debian
packages when it runs as root with apt-get (CMU_INSTALL_PACKAGES=no turns that off), and otherwise
names what is missing and what to do, in one line.

  --for COMMAND   test (npm test), cluster (npm run cluster), demo (npm run demo on 1.15),
                  e2e (npm run test:e2e)
Exit codes: 0 everything is there, 1 something is missing, 2 usage.`;

const NEEDS: Record<string, Need[]> = {
  test: ["unit-tests"],
  cluster: ["control-plane"],
  demo: ["control-plane", "pod-networks"],
  e2e: ["unit-tests", "control-plane", "pod-networks"],
};

runMain("machine", async () => {
  const args = parseCommandLine(process.argv.slice(2), { for: { type: "string" } }, USAGE);
  const needs = NEEDS[args.for ?? ""];
  if (!needs) throw new UsageError(`--for ${args.for ?? "(missing)"}: expected one of ${Object.keys(NEEDS).join(", ")}`);
  const building = args.for !== "test" && !toolchainBuilt(args.for === "cluster" ? [] : ["cert-manager", "pebble"]);
  try {
    ensureRequirements([...needs, ...(building ? ["toolchain-build" as const] : [])], { log: (line) => process.stderr.write(`machine: ${line}\n`) });
  } catch (err) {
    if (err instanceof RequirementsError) throw new CliError(err.message);
    throw err;
  }
  return EXIT_OK;
});
