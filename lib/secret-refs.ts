// Every Secret an Issuer or ClusterIssuer names (cert-manager v0.6.2 types_issuer.go paths).

export interface SecretRef {
  name: string;
  key?: string;
  /** Where in the spec it was found, e.g. "spec.acme.dns01.providers[0].clouddns.serviceAccountSecretRef". */
  path: string;
  /** What it is for, in words a reviewer understands. */
  purpose: "acme-account-key" | "dns01-credentials" | "ca-key-pair" | "vault-token" | "vault-approle";
  /** A DNS-01 provider reference: the 0.6 webhook requires both name and key. */
  dnsProvider?: string;
}

type Dict = Record<string, unknown>;

function asDict(value: unknown): Dict | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Dict) : undefined;
}

function selector(value: unknown): { name: string; key?: string } | undefined {
  const d = asDict(value);
  if (!d || typeof d.name !== "string" || d.name === "") return undefined;
  return { name: d.name, key: typeof d.key === "string" && d.key !== "" ? d.key : undefined };
}

/** DNS-01 provider types and their secret selector fields, as in cert-manager v0.6.2. */
export const DNS_PROVIDER_SECRET_FIELDS: Record<string, string[]> = {
  akamai: ["clientTokenSecretRef", "clientSecretSecretRef", "accessTokenSecretRef"],
  clouddns: ["serviceAccountSecretRef"],
  cloudflare: ["apiKeySecretRef"],
  route53: ["secretAccessKeySecretRef"],
  azuredns: ["clientSecretSecretRef"],
  digitalocean: ["tokenSecretRef"],
  acmedns: ["accountSecretRef"],
  rfc2136: ["tsigSecretSecretRef"],
};

/** Finds the Secret references in an Issuer or ClusterIssuer spec. */
export function findSecretRefs(spec: unknown): SecretRef[] {
  const refs: SecretRef[] = [];
  const s = asDict(spec);
  if (!s) return refs;

  const acme = asDict(s.acme);
  if (acme) {
    const key = selector(acme.privateKeySecretRef);
    if (key) refs.push({ ...key, path: "spec.acme.privateKeySecretRef", purpose: "acme-account-key" });
    const providers = asDict(acme.dns01)?.providers;
    if (Array.isArray(providers)) {
      providers.forEach((provider, index) => {
        const p = asDict(provider);
        if (!p) return;
        for (const [type, fields] of Object.entries(DNS_PROVIDER_SECRET_FIELDS)) {
          const config = asDict(p[type]);
          if (!config) continue;
          for (const field of fields) {
            const ref = selector(config[field]);
            if (ref) {
              refs.push({
                ...ref,
                path: `spec.acme.dns01.providers[${index}].${type}.${field}`,
                purpose: "dns01-credentials",
                dnsProvider: typeof p.name === "string" ? p.name : type,
              });
            }
          }
        }
      });
    }
  }

  const ca = asDict(s.ca);
  if (ca && typeof ca.secretName === "string" && ca.secretName !== "") {
    refs.push({ name: ca.secretName, path: "spec.ca.secretName", purpose: "ca-key-pair" });
  }

  const auth = asDict(asDict(s.vault)?.auth);
  if (auth) {
    const token = selector(auth.tokenSecretRef);
    if (token) refs.push({ ...token, path: "spec.vault.auth.tokenSecretRef", purpose: "vault-token" });
    const appRole = selector(asDict(auth.appRole)?.secretRef);
    if (appRole) refs.push({ ...appRole, path: "spec.vault.auth.appRole.secretRef", purpose: "vault-approle" });
  }
  return refs;
}
