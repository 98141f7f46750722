// Builds the cluster the upgrade starts from, as the seed's was: the cert-manager 0.4.1 chart as a
// real Helm release in kube-system (installed by the real Pulumi engine and Kubernetes provider),
// its CRDs, the seed's issuers and certificates, and more teams' Issuers and Certificates.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { CHART_V041_API_USE, unservedApis } from "../lib/api-versions";
import { offlinePulumiEnv } from "../lib/automation";
import { CliError, EXIT_OK, Progress, UsageError, parseCommandLine, runMain } from "../lib/cli";
import { RetryLog, clusterIdentity, discoverApiVersions, loadKubeConfig, statusCode } from "../lib/kube";
import { seedLegacyObjects } from "../lib/legacy-seed";
import { PROJECT_ROOT as ROOT, projectPath } from "../lib/project-path";
import { serverSideApplyFor } from "../lib/served-apis";

const USAGE = `Usage: npm run seed-legacy -- --kubeconfig PATH [--context NAME] [--chart TGZ] [--state DIR] [--namespaces N] [--certificates-per-namespace M] [--secret-marker S] [--acme-server URL [--renewal-due]]

Installs cert-manager chart v0.4.1 as Helm release \`cert-manager\` in kube-system: as shipped where
the cluster serves its API (Kubernetes up to 1.15: apps/v1beta1, rbac v1beta1, apiextensions v1beta1
CRDs), with those API versions mapped to served ones (post-render) where it does not (discovery
decides). Then it creates the seed's ClusterIssuers letsencrypt-prod and
letsencrypt-staging with their Secrets, Certificates default/wonder-app-cert (Ready) and
test/ivan-test-cert (not Ready, owned by Ingress test/test-ingress) with TLS Secrets and Ingresses
(extensions/v1beta1 as the seed's where served, else networking.k8s.io/v1),
and N more namespaces with two Issuers and M Certificates each. Every Secret holds the marker (TLS
keys after explanatory text, as PEM allows); some are created as \`kubectl apply\` creates them, with
kubectl's last-applied-configuration annotation holding their data. Each TLS Secret of a Certificate
carries the certmanager.k8s.io/issuer-name and issuer-kind annotations 0.4.1 wrote when it issued
into it. For local clusters only.

  --chart TGZ                 the 0.4.1 chart (default: ../shared/upstream/charts/cert-manager-v0.4.1.tgz)
  --state DIR                 Pulumi state folder for the legacy release (default: .pulumi-legacy under the cache)
  --namespaces N              extra namespaces (default: 10)
  --certificates-per-namespace M   (default: 30)
  --secret-marker S           text written into every seeded Secret, the release record included (tests look for leaks)
  --acme-server URL           ACME directory for the ClusterIssuers (the harness's Pebble): keys PKCS#1 as 0.4 wrote them,
                              certificates matching their spec and 80 days from expiry, so a real cert-manager can read them
  --renewal-due               with --acme-server: one more Certificate, default/renew-app, inside its renewal window (issued
                              70 days ago, 10 days left), HTTP-01 with ingress class nginx (what the harness's ingress stand-in serves)`;

async function waitForCrds(kc: k8s.KubeConfig): Promise<void> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  for (let i = 0; i < 120; i++) {
    try {
      await custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "clusterissuers", limit: 1 });
      await custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "certificates", limit: 1 });
      return;
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  throw new Error("the 0.4.1 CRDs did not become available within 60s");
}

runMain("seed-legacy", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    kubeconfig: { type: "string" },
    context: { type: "string" },
    chart: { type: "string", default: path.resolve(ROOT, "..", "shared", "upstream", "charts", "cert-manager-v0.4.1.tgz") },
    state: { type: "string", default: path.join(process.env.CMU_CACHE ?? path.join(process.env.HOME ?? "/tmp", ".cache", "cert-manager-upgrade"), "legacy-state") },
    namespaces: { type: "string", default: "10" },
    "certificates-per-namespace": { type: "string", default: "30" },
    "secret-marker": { type: "string", default: "seeded-secret-value" },
    "acme-server": { type: "string" },
    "renewal-due": { type: "boolean", default: false },
  }, USAGE);
  if (args["renewal-due"] && args["acme-server"] === undefined) throw new UsageError("--renewal-due needs --acme-server URL (a certificate to renew needs an ACME server that issues it)");
  if (args["acme-server"] !== undefined && !/^https:\/\/\S+$/.test(args["acme-server"])) throw new UsageError(`--acme-server ${args["acme-server"]}: an https:// URL of an ACME directory`);
  if (!args.kubeconfig) throw new UsageError("--kubeconfig PATH is required (a local cluster's, e.g. the one `npm run cluster` prints)");
  const namespaces = Number(args.namespaces);
  const perNamespace = Number(args["certificates-per-namespace"]);
  if (!Number.isInteger(namespaces) || namespaces < 0 || !Number.isInteger(perNamespace) || perNamespace < 0) throw new UsageError("--namespaces and --certificates-per-namespace take whole numbers");
  // The 0.4.1 release is installed through Pulumi's Automation API, which runs the `pulumi` CLI.
  if (spawnSync("pulumi", ["version"], { stdio: "ignore" }).error) {
    throw new CliError("seed-legacy installs cert-manager 0.4.1's chart with the pulumi CLI, which is not on PATH: build or find the toolchain with `bash scripts/toolchain.sh`, then load its environment (`eval \"$(bash scripts/toolchain.sh --print-env)\"`); nothing was created");
  }
  const kubeconfig = projectPath(args.kubeconfig);
  const kc = loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  const progress = new Progress("seed-legacy");

  const chart = projectPath(args.chart!);
  // The chart as shipped where the cluster serves what it renders; the post-render mapping only where not.
  const log = new RetryLog();
  const served = new Set(await discoverApiVersions(kc, log));
  const unserved = unservedApis(CHART_V041_API_USE, served);
  const postrender = unserved.length > 0 ? path.join(ROOT, "scripts", "postrender-map-apis") : undefined;
  const { serverVersion } = await clusterIdentity(kc, log);
  const enableServerSideApply = serverSideApplyFor(serverVersion).serverSideApply;
  const stack = await LocalWorkspace.createOrSelectStack({
    projectName: "cert-manager-legacy",
    stackName: "legacy",
    program: async () => {
      const kube = await import("@pulumi/kubernetes");
      const provider = new kube.Provider("local", { kubeconfig, context: args.context, enableServerSideApply });
      const release = new kube.helm.v3.Release("cert-manager", {
        name: "cert-manager",
        namespace: "kube-system",
        chart,
        skipAwait: true,
        postrender,
        // The release record (a Secret: base64 of gzip of the release, values included) holds the marker too.
        values: { extraEnv: [{ name: "SEED_SECRET", value: `helm-values-${args["secret-marker"]}` }] },
      }, { provider });
      return { status: release.status.status, version: release.status.version };
    },
  }, { envVars: offlinePulumiEnv({ backendDir: projectPath(args.state!) }), projectSettings: { name: "cert-manager-legacy", runtime: "nodejs" } });
  progress.update("installing chart v0.4.1 as release cert-manager in kube-system");
  const up = await stack.up({ onOutput: () => undefined }).catch((err: Error) => {
    const lines = err.message.split("\n").map((l) => l.trim());
    const reason = lines.find((l) => l.startsWith("* ")) ?? lines.find((l) => l.startsWith("error:")) ?? lines[0];
    throw new CliError(`installing the 0.4.1 release failed: ${reason}`);
  });
  process.stdout.write(`seed-legacy: release cert-manager ${String(up.outputs.version?.value)} ${String(up.outputs.status?.value)} in kube-system on Kubernetes ${serverVersion}, ` +
    `${postrender ? `mapped at install (${unserved.join(", ")} not served)` : "the chart as shipped (no API mapping)"}\n`);

  await waitForCrds(kc);
  const summary = await seedLegacyObjects(kc, { extraNamespaces: namespaces, certificatesPerNamespace: perNamespace, secretMarker: args["secret-marker"]!, acmeServer: args["acme-server"], renewalDue: args["renewal-due"] });
  progress.done("seeded");
  process.stdout.write(`seed-legacy: ${summary.clusterIssuers} clusterissuers, ${summary.issuers} issuers, ${summary.certificates} certificates, ${summary.secrets.length} secrets, ingresses ${summary.ingressApiVersion}\n`);
  return EXIT_OK;
});
