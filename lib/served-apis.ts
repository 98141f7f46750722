// Which version of an API to use on a given cluster, decided from what it serves (discovery) and
// its version (pure). Clusters that still run cert-manager 0.4 run Kubernetes 1.11–1.15; the
// project also runs on newer ones, so no API version is taken for granted.

const APIREGISTRATION = "apiregistration.k8s.io";

/** apiregistration.k8s.io version for APIServices (the webhook's): v1 from Kubernetes 1.10 on. */
export function apiRegistrationVersionFor(servedApiVersions: Iterable<string>): "v1" | "v1beta1" {
  const served = new Set(servedApiVersions);
  if (served.has(`${APIREGISTRATION}/v1`)) return "v1";
  if (served.has(`${APIREGISTRATION}/v1beta1`)) return "v1beta1";
  throw new Error(`the cluster serves neither ${APIREGISTRATION}/v1 nor ${APIREGISTRATION}/v1beta1 (APIServices): is this a Kubernetes API server?`);
}

/**
 * The apiVersion to create the seed's Ingresses with, from the kinds each group version serves
 * (resource discovery: Kubernetes 1.15 serves networking.k8s.io/v1 with NetworkPolicy only).
 * extensions/v1beta1 as the seed's cluster had them wherever it is still served (up to 1.21).
 */
export function ingressApiVersionFor(kindsByGroupVersion: Record<string, string[]>): "extensions/v1beta1" | "networking.k8s.io/v1beta1" | "networking.k8s.io/v1" {
  for (const gv of ["extensions/v1beta1", "networking.k8s.io/v1", "networking.k8s.io/v1beta1"] as const) {
    if (kindsByGroupVersion[gv]?.includes("Ingress")) return gv;
  }
  throw new Error("the cluster serves no Ingress (extensions/v1beta1, networking.k8s.io/v1 or v1beta1)");
}

export interface ApplyMode {
  /** Whether the Kubernetes provider may use server-side apply (else it creates and patches client-side). */
  serverSideApply: boolean;
  /** Why, for the preview's log. */
  reason: string;
}

/**
 * Server-side apply is beta and on by default from Kubernetes 1.16; in 1.14 and 1.15 it is an alpha
 * feature gate that is off (PATCH with application/apply-patch+yaml answers 415 Unsupported Media
 * Type), and older servers lack it. The Kubernetes provider does not check: with it on, a 1.15
 * cluster fails every create. A version that cannot be read gets client-side apply, which works on
 * every server.
 */
export function serverSideApplyFor(gitVersion: string): ApplyMode {
  const m = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(gitVersion.trim());
  const major = m ? Number(m[1]) : NaN;
  const minor = m ? Number(m[2]) : NaN;
  if (!m || major === 0) {
    return { serverSideApply: false, reason: `cannot tell from the server version ${gitVersion || "(none)"} whether it serves server-side apply: client-side apply` };
  }
  if (major > 1 || minor >= 16) {
    return { serverSideApply: true, reason: `Kubernetes ${gitVersion} serves server-side apply` };
  }
  return { serverSideApply: false, reason: `Kubernetes ${gitVersion} has no server-side apply (an alpha feature, off, before 1.16): client-side apply` };
}
