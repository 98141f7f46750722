// After the upgrade: why a Certificate is not Ready, from the cluster itself (conditions, issuer,
// Orders, Challenges, Events), instead of the controller's log.
import * as k8s from "@kubernetes/client-node";
import { CliError, EXIT_OK, Progress, UsageError, parseCommandLine, runMain } from "../lib/cli";
import { ExplainInput, KubeEvent, explainCertificate, renderExplanation, selectCertificates } from "../lib/explain";
import { RetryLog, describeKubeError, listCertManagerKind, loadKubeConfig, withRetry } from "../lib/kube";
import { KubeObject } from "../lib/types";

const USAGE = `Usage: npm run explain -- [--certificate NAMESPACE/NAME | --namespace NS] [--context NAME] [--kubeconfig PATH]

Shows why a Certificate is not Ready: its conditions (reason and message), its issuer's Ready
condition, the ACME Orders cert-manager 0.6.2 made for it (state and reason) with their Challenges
(type, DNS name, state, presented, processing, reason), and the Events about each of them.
Without --certificate: every Certificate that is not Ready (in --namespace when given).
Read-only; prints nothing secret (no Secret is read).

  --certificate NS/NAME   the Certificate to explain, e.g. test/ivan-test-cert
  --namespace NS          only Certificates in this namespace (without --certificate)
  --context NAME          kube context (default: current)
  --kubeconfig PATH       kubeconfig file (default: $KUBECONFIG or ~/.kube/config)

A relative path is relative to the project folder (where Pulumi.yaml is), as in stack config.
Exit codes: 0 explained (or every Certificate is Ready), 1 the Certificate does not exist or the
cluster cannot be read, 2 usage.`;

const PAGE = 500;

async function listAll(kc: k8s.KubeConfig, plural: string, log: RetryLog): Promise<{ items: KubeObject[]; served: boolean }> {
  const items: KubeObject[] = [];
  const served = await listCertManagerKind(kc, plural, PAGE, (page) => {
    items.push(...page);
  }, log);
  return { items, served };
}

async function listEvents(kc: k8s.KubeConfig, namespace: string, log: RetryLog): Promise<KubeEvent[]> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const events: KubeEvent[] = [];
  let token: string | undefined;
  do {
    let page: k8s.CoreV1EventList;
    try {
      page = await withRetry(`list events in ${namespace}`, () => core.listNamespacedEvent({ namespace, limit: PAGE, _continue: token }), log);
    } catch (err) {
      throw new CliError(`listing Events in namespace ${namespace} failed: ${describeKubeError(err)}`);
    }
    events.push(...(page.items as unknown as KubeEvent[]));
    token = page.metadata?._continue || undefined;
  } while (token);
  return events;
}

runMain("explain", async () => {
  const args = parseCommandLine(process.argv.slice(2), {
    certificate: { type: "string" },
    namespace: { type: "string" },
    context: { type: "string" },
    kubeconfig: { type: "string" },
  }, USAGE);
  if (args.certificate !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(args.certificate)) {
    throw new UsageError(`--certificate ${JSON.stringify(args.certificate)} must be NAMESPACE/NAME, e.g. test/ivan-test-cert`);
  }
  if (args.certificate && args.namespace) throw new UsageError("--certificate and --namespace cannot be used together (--certificate names its namespace)");

  const kc = loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  const log = new RetryLog();
  const progress = new Progress("explain");
  const certificates = await listAll(kc, "certificates", log);
  if (!certificates.served) throw new CliError("the cluster does not serve certificates.certmanager.k8s.io: cert-manager's CRDs are not installed");
  const { selected, error } = selectCertificates(certificates.items, { certificate: args.certificate, namespace: args.namespace });
  if (error) throw new CliError(`${error}; \`kubectl get certificates --all-namespaces\` lists them`);
  if (selected.length === 0) {
    process.stdout.write(`explain: every Certificate${args.namespace ? ` in ${args.namespace}` : ""} is Ready (${certificates.items.length} checked)\n`);
    return EXIT_OK;
  }
  progress.update(`reading issuers, orders, challenges and events for ${selected.length} certificates`);
  const [issuers, clusterIssuers, orders, challenges] = [
    await listAll(kc, "issuers", log),
    await listAll(kc, "clusterissuers", log),
    await listAll(kc, "orders", log),
    await listAll(kc, "challenges", log),
  ];
  // Events of a namespaced object are in its namespace; those of a ClusterIssuer in "default".
  const namespaces = new Set(selected.map((c) => c.metadata?.namespace ?? ""));
  if (selected.some((c) => (c.spec?.issuerRef as { kind?: unknown } | undefined)?.kind === "ClusterIssuer")) namespaces.add("default");
  const events: KubeEvent[] = [];
  for (const ns of [...namespaces].sort()) {
    events.push(...(await listEvents(kc, ns, log)));
    progress.update(`read events of ${ns}`);
  }
  const input: ExplainInput = {
    certificates: certificates.items,
    issuers: issuers.items,
    clusterIssuers: clusterIssuers.items,
    orders: orders.items,
    challenges: challenges.items,
    events,
  };
  const texts = selected.map((c) => renderExplanation(explainCertificate(c, input)));
  process.stdout.write(texts.join("\n"));
  if (!orders.served) process.stdout.write("note: the cluster does not serve orders.certmanager.k8s.io (cert-manager 0.6's CRDs are not installed): no orders or challenges to show\n");
  if (log.count) process.stdout.write(`explain: retried ${log.count} requests: ${log.entries.join("; ")}\n`);
  return EXIT_OK;
});
