// What the end-to-end tests of the v1.1.1 target share: reading what cert-manager v1.1.1 reports
// (cert-manager.io/v1 Ready conditions, acme.cert-manager.io/v1 Orders by Certificate), and seeding
// a 0.4.1 cluster as 0.4.1 left it (its issuer annotations on TLS Secrets, a certificate inside its
// renewal window).
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as k8s from "@kubernetes/client-node";
import type { ReadyState } from "../../harness/cert-manager";

const PLURALS_V1 = { ClusterIssuer: "clusterissuers", Issuer: "issuers", Certificate: "certificates" } as const;
export type V1Object = { metadata: { name: string; namespace?: string; uid: string; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string }> }; spec?: Record<string, unknown>; status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }>; state?: string } };

export const DAY_MS = 24 * 3600 * 1000;

/** readyStates for cert-manager.io/v1: what v1.1.1 reports. */
export async function readyStatesV1(kc: k8s.KubeConfig): Promise<Map<string, ReadyState>> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const out = new Map<string, ReadyState>();
  for (const [kind, plural] of Object.entries(PLURALS_V1) as Array<[ReadyState["kind"], string]>) {
    const list = await custom.listClusterCustomObject({ group: "cert-manager.io", version: "v1", plural });
    for (const o of list.items as V1Object[]) {
      const c = o.status?.conditions?.find((x) => x.type === "Ready");
      out.set(`${kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, {
        kind, namespace: o.metadata.namespace ?? "", name: o.metadata.name, ready: c?.status ?? "", reason: c?.reason ?? "", message: c?.message ?? "",
        lastTransitionTime: c?.lastTransitionTime ?? "", uid: o.metadata.uid,
      });
    }
  }
  return out;
}

/** v1.1.1's Orders, each with the Certificate of its CertificateRequest (annotation cert-manager.io/certificate-name). */
export async function ordersV1(kc: k8s.KubeConfig): Promise<Array<{ certificate: string; atServer: boolean; state: string }>> {
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const requests = (await custom.listClusterCustomObject({ group: "cert-manager.io", version: "v1", plural: "certificaterequests" })).items as V1Object[];
  const certificateOf = new Map(requests.map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, r.metadata.annotations?.["cert-manager.io/certificate-name"] ?? "?"]));
  const orders = (await custom.listClusterCustomObject({ group: "acme.cert-manager.io", version: "v1", plural: "orders" })).items as Array<V1Object & { status?: { url?: string; state?: string } }>;
  return orders.map((o) => {
    const request = o.metadata.ownerReferences?.find((r) => r.kind === "CertificateRequest")?.name ?? "?";
    return { certificate: `${o.metadata.namespace}/${certificateOf.get(`${o.metadata.namespace}/${request}`) ?? "?"}`, atServer: Boolean(o.status?.url), state: o.status?.state ?? "" };
  });
}

/** A PKCS#1 key and a certificate for `domain` valid from `notBefore` to `notAfter` (openssl ca: `req -x509` cannot backdate). */
export function backdatedCertificate(workDir: string, domain: string, notBefore: Date, notAfter: Date): { crt: string; key: string } {
  const dir = fs.mkdtempSync(path.join(workDir, "ca-"));
  const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, "").replace(/\.\d+Z$/, "Z");
  fs.writeFileSync(path.join(dir, "index.txt"), "");
  fs.writeFileSync(path.join(dir, "serial"), `${crypto.randomBytes(8).toString("hex")}\n`);
  fs.writeFileSync(path.join(dir, "ca.cnf"), ["[ ca ]", "default_ca = CA_default", "[ CA_default ]", `database = ${dir}/index.txt`, `new_certs_dir = ${dir}`, `serial = ${dir}/serial`,
    "default_md = sha256", "policy = policy_any", "copy_extensions = copy", "unique_subject = no", "[ policy_any ]", "commonName = supplied", ""].join("\n"));
  const key = path.join(dir, "tls.key");
  execFileSync("openssl", ["genrsa", "-traditional", "-out", key, "2048"], { stdio: "ignore" });
  execFileSync("openssl", ["req", "-new", "-key", key, "-subj", `/CN=${domain}`, "-addext", `subjectAltName=DNS:${domain}`, "-out", path.join(dir, "req.csr")], { stdio: "ignore" });
  execFileSync("openssl", ["ca", "-batch", "-config", path.join(dir, "ca.cnf"), "-selfsign", "-keyfile", key, "-in", path.join(dir, "req.csr"),
    "-startdate", stamp(notBefore), "-enddate", stamp(notAfter), "-notext", "-out", path.join(dir, "tls.crt")], { stdio: "ignore" });
  const out = { crt: fs.readFileSync(path.join(dir, "tls.crt"), "utf8"), key: fs.readFileSync(key, "utf8") };
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");
export const x509 = (d: Record<string, string>): crypto.X509Certificate => new crypto.X509Certificate(Buffer.from(d["tls.crt"], "base64"));

/** The certificate the tests renew: issued 70 days ago, 10 days left, solved over HTTP-01 with `ingressClass` at letsencrypt-prod. */
export interface RenewalDue { namespace: string; name: string; secret: string; domain: string }

/** Adds a certificate inside its renewal window, as 0.4.1 left it (its Secret's key line prefixed with `marker` for the leak searches). */
export async function seedRenewalDue(kc: k8s.KubeConfig, workDir: string, due: RenewalDue, ingressClass: string, marker: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const now = Date.now();
  const pair = backdatedCertificate(workDir, due.domain, new Date(now - 70 * DAY_MS), new Date(now + 10 * DAY_MS));
  await core.createNamespacedSecret({ namespace: due.namespace, body: { metadata: { name: due.secret }, type: "kubernetes.io/tls", data: { "tls.crt": b64(pair.crt), "tls.key": b64(`${marker}\n${pair.key}`) } } });
  await custom.createNamespacedCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", namespace: due.namespace, plural: "certificates", body: {
    apiVersion: "certmanager.k8s.io/v1alpha1", kind: "Certificate", metadata: { name: due.name, namespace: due.namespace },
    spec: { secretName: due.secret, dnsNames: [due.domain], issuerRef: { kind: "ClusterIssuer", name: "letsencrypt-prod" },
      acme: { config: [{ http01: { ingressClass }, domains: [due.domain] }] } },
    status: { conditions: [{ type: "Ready", status: "True", reason: "CertIssued", message: "Certificate issued successfully", lastTransitionTime: new Date(now - 70 * DAY_MS).toISOString().replace(/\.\d+Z$/, "Z") }] },
  } });
}

/**
 * The annotations 0.4.1 wrote on every TLS Secret it issued into (pkg/controller/certificates/sync.go):
 * written on the Secrets of the cluster's certmanager.k8s.io Certificates. Returns each Secret's
 * issuer, `namespace/secret` → issuerRef.
 */
export async function annotateAsLegacyIssued(kc: k8s.KubeConfig): Promise<Map<string, { name: string; kind: string }>> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const issuerOfSecret = new Map<string, { name: string; kind: string }>();
  const certificates = (await custom.listClusterCustomObject({ group: "certmanager.k8s.io", version: "v1alpha1", plural: "certificates" })).items as V1Object[];
  for (const c of certificates) {
    const spec = c.spec as { secretName: string; issuerRef: { name: string; kind?: string } };
    const key = `${c.metadata.namespace}/${spec.secretName}`;
    issuerOfSecret.set(key, { name: spec.issuerRef.name, kind: spec.issuerRef.kind || "Issuer" });
    const secret = await core.readNamespacedSecret({ namespace: c.metadata.namespace!, name: spec.secretName }).catch(() => undefined);
    if (!secret) continue;
    await core.patchNamespacedSecret({ namespace: c.metadata.namespace!, name: spec.secretName, body: { metadata: { annotations: {
      "certmanager.k8s.io/issuer-name": spec.issuerRef.name, "certmanager.k8s.io/issuer-kind": spec.issuerRef.kind || "Issuer" } } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch));
  }
  return issuerOfSecret;
}
