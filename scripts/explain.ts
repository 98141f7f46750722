// After the upgrade: why a Certificate is not Ready, from the cluster itself (conditions, issuer,
// Orders, Challenges, Events), instead of the controller's log.
import * as k8s from "@kubernetes/client-node";
import { CliError, EXIT_OK, Progress, UsageError, parseCommandLine, runMain } from "../lib/cli";
import { ExplainApi, ExplainInput, KubeEvent, ServedCertificates, apiOfTarget, chooseExplainApi, explainCertificate, renderExplanation, selectCertificates } from "../lib/explain";
import { RetryLog, describeKubeError, loadKubeConfig, statusCode, withRetry } from "../lib/kube";
import { TARGET_VERSIONS } from "../lib/settings";
import { KubeObject } from "../lib/types";

const USAGE = `Usage: npm run explain -- [--certificate NAMESPACE/NAME | --namespace NS] [--target VERSION] [--context NAME] [--kubeconfig PATH]

Shows why a Certificate is not Ready: its conditions (reason and message), its issuer's Ready
condition, what cert-manager made to issue it, and the Events about each of them. For cert-manager
0.6.2 (certmanager.k8s.io/v1alpha1): the ACME Orders made for the Certificate. For v1.1.1
(cert-manager.io/v1): its CertificateRequests (Ready condition) and the Orders
(acme.cert-manager.io/v1) made for each. Orders come with their Challenges (type, DNS name, state,
presented, processing, reason). The API is the one the cluster serves (when it serves both: the one
holding Certificates, cert-manager.io/v1 when both do).
Without --certificate: every Certificate that is not Ready (in --namespace when given).
Read-only; prints nothing secret (no Secret is read).

  --certificate NS/NAME   the Certificate to explain, e.g. test/ivan-test-cert
  --namespace NS          only Certificates in this namespace (without --certificate)
  --target VERSION        read the API of this cert-manager, as the stack's targetVersion: ${TARGET_VERSIONS.join(" or ")}
                          (v0.6.2: certmanager.k8s.io/v1alpha1; v1.1.1: cert-manager.io/v1); default: detected
  --context NAME          kube context (default: current)
  --kubeconfig PATH       kubeconfig file (default: $KUBECONFIG or ~/.kube/config)

A relative path is relative to the project folder (where Pulumi.yaml is), as in stack config.
Exit codes: 0 explained (or every Certificate is Ready), 1 the Certificate does not exist or the
cluster cannot be read, 2 usage.`;

const PAGE = 500;

/** Every object of a custom kind, page by page; served false when the cluster does not serve it (404 on the first page). */
async function listAll(kc: k8s.KubeConfig, group: string, version: string, plural: string, log: RetryLog): Promise<{ items: KubeObject[]; served: boolean }> {
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const items: KubeObject[] = [];
  let token: string | undefined;
  do {
    let page: { items?: KubeObject[]; metadata?: { continue?: string } };
    try {
      page = await withRetry(`list ${plural}.${group}`, () => api.listClusterCustomObject({ group, version, plural, limit: PAGE, _continue: token }), log);
    } catch (err) {
      if (statusCode(err) === 404 && token === undefined) return { items, served: false };
      throw new CliError(`listing ${plural}.${group} failed: ${describeKubeError(err)}`);
    }
    items.push(...(page.items ?? []));
    token = page.metadata?.continue || undefined;
  } while (token);
  return { items, served: true };
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
    target: { type: "string" },
  }, USAGE);
  const wanted = args.target === undefined ? undefined : apiOfTarget(args.target);
  if (args.target !== undefined && !wanted) throw new UsageError(`--target ${JSON.stringify(args.target)} is not a target: use ${TARGET_VERSIONS.join(" or ")}`);
  if (args.certificate !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(args.certificate)) {
    throw new UsageError(`--certificate ${JSON.stringify(args.certificate)} must be NAMESPACE/NAME, e.g. test/ivan-test-cert`);
  }
  if (args.certificate && args.namespace) throw new UsageError("--certificate and --namespace cannot be used together (--certificate names its namespace)");

  const kc = loadKubeConfig({ kubeconfig: args.kubeconfig, context: args.context });
  const log = new RetryLog();
  const progress = new Progress("explain");
  let api: ExplainApi;
  let certificates: { items: KubeObject[]; served: boolean };
  if (wanted) {
    api = wanted;
    certificates = await listAll(kc, api.group, api.version, "certificates", log);
    if (!certificates.served) throw new CliError(`the cluster does not serve certificates.${api.group} (${api.name}, what cert-manager ${api.target} reads): leave --target out to use the API it serves`);
  } else {
    const v1 = await listAll(kc, "cert-manager.io", "v1", "certificates", log);
    const old = await listAll(kc, "certmanager.k8s.io", "v1alpha1", "certificates", log);
    const served: ServedCertificates = {
      "cert-manager.io/v1": v1.served ? v1.items.length : "not served",
      "certmanager.k8s.io/v1alpha1": old.served ? old.items.length : "not served",
    };
    const chosen = chooseExplainApi(served);
    if ("error" in chosen) throw new CliError(chosen.error);
    api = chosen.api;
    certificates = api.name === "cert-manager.io/v1" ? v1 : old;
    if (chosen.note) process.stdout.write(`explain: ${chosen.note}\n`);
  }
  const { selected, error } = selectCertificates(certificates.items, { certificate: args.certificate, namespace: args.namespace });
  if (error) throw new CliError(`${error}; \`kubectl get certificates --all-namespaces\` lists them`);
  if (selected.length === 0) {
    process.stdout.write(`explain: every Certificate${args.namespace ? ` in ${args.namespace}` : ""} is Ready (${certificates.items.length} checked)\n`);
    return EXIT_OK;
  }
  progress.update(`reading issuers, orders, challenges and events for ${selected.length} certificates`);
  const [issuers, clusterIssuers, requests, orders, challenges] = [
    await listAll(kc, api.group, api.version, "issuers", log),
    await listAll(kc, api.group, api.version, "clusterissuers", log),
    api.requests ? await listAll(kc, api.group, api.version, "certificaterequests", log) : { items: [], served: true },
    await listAll(kc, api.acmeGroup, api.acmeVersion, "orders", log),
    await listAll(kc, api.acmeGroup, api.acmeVersion, "challenges", log),
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
    api,
    certificates: certificates.items,
    certificateRequests: requests.items,
    issuers: issuers.items,
    clusterIssuers: clusterIssuers.items,
    orders: orders.items,
    challenges: challenges.items,
    events,
  };
  const texts = selected.map((c) => renderExplanation(explainCertificate(c, input)));
  process.stdout.write(`explain: ${selected.length} Certificate${selected.length === 1 ? "" : "s"} as ${api.name} (${api.servedBy})\n`);
  process.stdout.write(texts.join("\n"));
  if (!requests.served) process.stdout.write(`note: the cluster does not serve certificaterequests.${api.group}: no certificate requests to show\n`);
  if (!orders.served) process.stdout.write(`note: the cluster does not serve orders.${api.acmeGroup} (${api.acmeGroup}/${api.acmeVersion}): no orders or challenges to show\n`);
  if (log.count) process.stdout.write(`explain: retried ${log.count} requests: ${log.entries.join("; ")}\n`);
  return EXIT_OK;
});
