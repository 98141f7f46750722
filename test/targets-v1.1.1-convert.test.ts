// Issue 20: the backup's 0.4/0.6 objects converted to cert-manager v1.1.1's cert-manager.io/v1
// (lib/targets/v1.1.1/convert.ts): the old ACME format as solvers with selectors, checked against
// v1.1.1's solver selection; Certificate fields moved; refusals named before anything is deleted.
import { describe, test } from "node:test";
import * as assert from "node:assert/strict";
import { parseBackup } from "../lib/backup-format";
import { convertBackup, convertCertificate, convertIssuer, renderConversion, selectSolverV111 } from "../lib/targets/v1.1.1/convert";
import { targetV111 } from "../lib/targets/v1.1.1";
import { validateV111 } from "../lib/targets/v1.1.1/validation";
import type { TargetFinding } from "../lib/targets/target";
import { BackupObject, KubeObject } from "../lib/types";
import { cm, seedBytes } from "./support/fixtures";

function bo(o: KubeObject): BackupObject {
  const kind = o.kind as BackupObject["kind"];
  return { kind, namespace: kind === "ClusterIssuer" ? "" : String(o.metadata?.namespace), name: String(o.metadata?.name), object: o };
}

const ACME = { email: "ops@example.com", server: "https://acme-v02.api.letsencrypt.org/directory", privateKeySecretRef: { name: "le-key" } };
const R53 = { name: "r53", route53: { region: "eu-west-1", accessKeyID: "AKIA1", secretAccessKeySecretRef: { name: "aws", key: "secret" } } };

function acmeCert(ns: string, name: string, issuer: string, domains: string[], config: unknown[], extra: Record<string, unknown> = {}): BackupObject {
  return bo(cm("Certificate", name, ns, { secretName: `${name}-tls`, dnsNames: domains, issuerRef: { kind: "ClusterIssuer", name: issuer }, acme: { config }, ...extra }));
}

type Solver = { selector?: { dnsNames?: string[] }; http01?: { ingress: Record<string, unknown> }; dns01?: Record<string, unknown> };
function solversOf(o: KubeObject): Solver[] {
  return ((o.spec?.acme as { solvers?: Solver[] }).solvers) ?? [];
}

describe("the seed's backup", () => {
  const parsed = parseBackup(seedBytes(), "seed");
  const result = convertBackup(parsed.objects);

  test("every object becomes cert-manager.io/v1, in restore order, with no Orders, Challenges or status", () => {
    assert.deepEqual(result.objects.map((o) => `${o.apiVersion} ${o.kind}/${o.metadata?.name}`), [
      "cert-manager.io/v1 ClusterIssuer/letsencrypt-prod",
      "cert-manager.io/v1 ClusterIssuer/letsencrypt-staging",
      "cert-manager.io/v1 Certificate/wonder-app-cert",
      "cert-manager.io/v1 Certificate/ivan-test-cert",
    ]);
    for (const o of result.objects) {
      assert.equal(o.status, undefined);
      assert.equal(o.metadata?.uid, undefined);
      assert.equal(o.metadata?.resourceVersion, undefined);
    }
    assert.deepEqual(result.refusals, []);
  });

  test("letsencrypt-prod: the Certificates' http01 and dns01 configs become two solvers with dnsNames selectors", () => {
    const prod = result.objects[0];
    assert.deepEqual(prod.spec, {
      acme: {
        email: "ops@example.com",
        server: "https://acme-v02.api.letsencrypt.org/directory",
        privateKeySecretRef: { name: "cert-manager-setup-production-private-key" },
        solvers: [
          { selector: { dnsNames: ["wonder-app.example.com"] }, http01: { ingress: { class: "nginx" } } },
          { selector: { dnsNames: ["ivan-test.example.com"] }, dns01: { cloudDNS: { project: "example-project", serviceAccountSecretRef: { name: "clouddns-service-account", key: "service-account.json" } } } },
        ],
      },
    });
  });

  test("letsencrypt-staging (http01: {} and no Certificate) becomes one http01 solver without selector", () => {
    assert.deepEqual(solversOf(result.objects[1]), [{ http01: { ingress: {} } }]);
  });

  test("the Certificates lose spec.acme and name the issuer in group cert-manager.io; ownerReferences stay", () => {
    const ivan = result.objects[3];
    assert.deepEqual(ivan.spec, { dnsNames: ["ivan-test.example.com"], secretName: "ivan-test-cert", issuerRef: { name: "letsencrypt-prod", kind: "ClusterIssuer", group: "cert-manager.io" } });
    assert.equal((ivan.metadata?.ownerReferences as Array<{ kind: string }>)[0].kind, "Ingress");
  });

  test("the reviewer sees what each issuer was and becomes, and that http01 was not enabled on letsencrypt-prod", () => {
    const text = renderConversion(result.views).join("\n");
    assert.match(text, /ClusterIssuer\/letsencrypt-prod:\n/);
    assert.match(text, /was: dns01 provider 'clouddns': cloudDNS example-project/);
    assert.match(text, /was: Certificate default\/wonder-app-cert: wonder-app.example.com → http01 ingress class nginx/);
    assert.match(text, /now: solvers\[0\]: http01 ingress class nginx, selector dnsNames \[wonder-app.example.com\]/);
    assert.match(text, /now: solvers\[1\]: dns01 cloudDNS example-project, selector dnsNames \[ivan-test.example.com\]/);
    assert.match(text, /note: http01 ingress class nginx for wonder-app.example.com: the old issuer has no spec.acme.http01/);
    assert.match(text, /account key Secret cert-manager-setup-production-private-key \(kept: with the Secret copied, v1.1.1 registers with the existing key and gets the existing account back; no new account\)/);
    assert.match(text, /ClusterIssuer\/letsencrypt-staging:[^]*note: no Certificate uses this issuer's http01 \(new Ingress, no class\): kept without selector\n?/);
  });

  test("the converted objects pass v1.1.1's validation", () => {
    for (const o of result.objects) assert.deepEqual(validateV111(o), [], `${o.kind}/${o.metadata?.name}`);
  });

  test("v1.1.1 picks, for each Certificate's domain, the solver its old acme.config chose", () => {
    const solvers = solversOf(result.objects[0]);
    assert.equal(selectSolverV111(solvers, "wonder-app.example.com"), 0);
    assert.equal(selectSolverV111(solvers, "ivan-test.example.com"), 1);
    assert.equal(selectSolverV111(solvers, "other.example.com"), -1, "no solver without selector: an unknown domain has none");
  });
});

describe("issuer conversion", () => {
  const issuer = bo(cm("ClusterIssuer", "le", undefined, { acme: { ...ACME, skipTLSVerify: true, http01: { serviceType: "NodePort" }, dns01: { providers: [R53, { name: "cf", cnameStrategy: "Follow", cloudflare: { email: "a@b.c", apiKeySecretRef: { name: "cf", key: "k" } } }] } } }));

  test("all Certificates agree: one solver without selector; unused providers follow without selector", () => {
    const certs = [
      acmeCert("a", "one", "le", ["a.example", "b.example"], [{ domains: ["a.example", "b.example"], dns01: { provider: "r53" } }]),
      acmeCert("b", "two", "le", ["c.example"], [{ domains: ["c.example"], dns01: { provider: "r53" } }]),
    ];
    const refusals: TargetFinding[] = [];
    const { object, view } = convertIssuer(issuer, certs, refusals);
    assert.deepEqual(refusals, []);
    const acme = object.spec?.acme as Record<string, unknown>;
    assert.equal(acme.skipTLSVerify, true);
    assert.deepEqual(acme.solvers, [
      { dns01: { route53: { accessKeyID: "AKIA1", secretAccessKeySecretRef: { name: "aws", key: "secret" }, region: "eu-west-1" } } },
      { http01: { ingress: { serviceType: "NodePort" } } },
      { dns01: { cnameStrategy: "Follow", cloudflare: { email: "a@b.c", apiKeySecretRef: { name: "cf", key: "k" } } } },
    ]);
    assert.match(view.notes.join("\n"), /not used by any Certificate/);
    for (const d of ["a.example", "b.example", "c.example"]) assert.equal(selectSolverV111(acme.solvers as unknown[], d), 0);
    assert.deepEqual(validateV111(object), []);
  });

  test("Certificates differ: each solver gets the domains that used it; v1.1.1 selects by dnsNames ahead of match-all solvers", () => {
    const certs = [
      acmeCert("a", "web", "le", ["www.example", "example"], [{ domains: ["www.example"], http01: { ingress: "web-ing" } }, { domains: ["example"], http01: { ingressClass: "nginx" } }]),
      acmeCert("a", "wild", "le", ["*.example"], [{ domains: ["*.example"], dns01: { provider: "r53" } }]),
    ];
    const { object } = convertIssuer(issuer, certs);
    const solvers = solversOf(object);
    assert.deepEqual(solvers.slice(0, 3), [
      { selector: { dnsNames: ["www.example"] }, http01: { ingress: { name: "web-ing", serviceType: "NodePort" } } },
      { selector: { dnsNames: ["example"] }, http01: { ingress: { class: "nginx", serviceType: "NodePort" } } },
      { selector: { dnsNames: ["*.example"] }, dns01: { route53: { accessKeyID: "AKIA1", secretAccessKeySecretRef: { name: "aws", key: "secret" }, region: "eu-west-1" } } },
    ]);
    // The unused cloudflare provider comes after, without selector: it never wins over a dnsNames match.
    assert.equal(solvers.length, 4);
    assert.equal(solvers[3].selector, undefined);
    assert.equal(selectSolverV111(solvers, "www.example"), 0);
    assert.equal(selectSolverV111(solvers, "example"), 1);
    assert.equal(selectSolverV111(solvers, "*.example", {}, ["dns-01"]), 2);
    assert.equal(selectSolverV111(solvers, "new.example"), 3);
  });

  test("a domain named by two Certificates with the same solver is listed once", () => {
    const certs = [
      acmeCert("a", "x", "le", ["same.example"], [{ domains: ["same.example"], dns01: { provider: "r53" } }]),
      acmeCert("b", "y", "le", ["same.example", "h.example"], [{ domains: ["same.example"], dns01: { provider: "r53" } }, { domains: ["h.example"], http01: {} }]),
    ];
    const solvers = solversOf(convertIssuer(issuer, certs).object);
    assert.deepEqual(solvers[0].selector, { dnsNames: ["same.example"] });
    assert.deepEqual(solvers[1].selector, { dnsNames: ["h.example"] });
  });

  test("ca, selfSigned and vault issuers move to their v1 fields", () => {
    assert.deepEqual(convertIssuer(bo(cm("Issuer", "ca", "n", { ca: { secretName: "ca-pair" } })), []).object.spec, { ca: { secretName: "ca-pair" } });
    assert.deepEqual(convertIssuer(bo(cm("Issuer", "ss", "n", { selfSigned: {} })), []).object.spec, { selfSigned: {} });
    const vault = convertIssuer(bo(cm("Issuer", "v", "n", { vault: { server: "https://vault", path: "pki/sign/x", auth: { tokenSecretRef: { name: "", key: "" }, appRole: { path: "approle", roleId: "r", secretRef: { name: "role", key: "secretId" } } } } })), []).object;
    assert.deepEqual(vault.spec, { vault: { server: "https://vault", path: "pki/sign/x", auth: { appRole: { path: "approle", roleId: "r", secretRef: { name: "role", key: "secretId" } } } } });
    assert.deepEqual(validateV111(vault), []);
    const issuerObject = convertIssuer(bo(cm("Issuer", "ss", "n", { selfSigned: {} })), []).object;
    assert.equal(issuerObject.apiVersion, "cert-manager.io/v1");
    assert.equal(issuerObject.metadata?.namespace, "n");
  });

  test("each DNS-01 provider type takes its v1 name (clouddns → cloudDNS, azuredns → azureDNS, acmedns → acmeDNS)", () => {
    const providers = [
      { name: "ak", akamai: { serviceConsumerDomain: "d", clientTokenSecretRef: { name: "s", key: "t" }, clientSecretSecretRef: { name: "s", key: "c" }, accessTokenSecretRef: { name: "s", key: "a" } } },
      { name: "az", azuredns: { clientID: "id", clientSecretSecretRef: { name: "az", key: "k" }, subscriptionID: "sub", tenantID: "t", resourceGroupName: "rg", hostedZoneName: "example" } },
      { name: "do", digitalocean: { tokenSecretRef: { name: "do", key: "token" } } },
      { name: "ad", acmedns: { host: "https://auth.acme-dns.io", accountSecretRef: { name: "ad", key: "acmedns.json" } } },
      { name: "rf", rfc2136: { nameserver: "10.0.0.53", tsigKeyName: "k", tsigAlgorithm: "HMACSHA256", tsigSecretSecretRef: { name: "tsig", key: "secret" } } },
    ];
    const old = bo(cm("ClusterIssuer", "many", undefined, { acme: { ...ACME, dns01: { providers } } }));
    const certs = providers.map((p) => acmeCert("n", p.name, "many", [`${p.name}.example`], [{ domains: [`${p.name}.example`], dns01: { provider: p.name } }]));
    const refusals: TargetFinding[] = [];
    const { object } = convertIssuer(old, certs, refusals);
    assert.deepEqual(refusals, []);
    // Solvers follow the Certificates in namespace/name order (ad, ak, az, do, rf).
    assert.deepEqual(solversOf(object).map((s) => Object.keys(s.dns01 ?? {})[0]), ["acmeDNS", "akamai", "azureDNS", "digitalocean", "rfc2136"]);
    assert.deepEqual(solversOf(object)[2].dns01, { azureDNS: { clientID: "id", clientSecretSecretRef: { name: "az", key: "k" }, subscriptionID: "sub", tenantID: "t", resourceGroupName: "rg", hostedZoneName: "example" } });
    assert.deepEqual(validateV111(object), []);
  });
});

describe("refusals: what cannot be converted faithfully, named with a fix", () => {
  const issuer = bo(cm("ClusterIssuer", "le", undefined, { acme: { ...ACME, dns01: { providers: [R53] } } }));

  test("a Certificate whose acme.config names a DNS provider the issuer lacks", () => {
    const refusals: TargetFinding[] = [];
    convertIssuer(issuer, [acmeCert("ns", "c", "le", ["x.example"], [{ domains: ["x.example"], dns01: { provider: "gone" } }])], refusals);
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0].object, "Certificate/ns/c");
    assert.match(refusals[0].rule, /names provider 'gone', which ClusterIssuer\/le does not have/);
    assert.match(refusals[0].fix, /add provider 'gone'/);
  });

  test("two Certificates solving the same domain differently", () => {
    const refusals: TargetFinding[] = [];
    convertIssuer(issuer, [
      acmeCert("a", "first", "le", ["x.example"], [{ domains: ["x.example"], dns01: { provider: "r53" } }]),
      acmeCert("b", "second", "le", ["x.example"], [{ domains: ["x.example"], http01: { ingressClass: "nginx" } }]),
    ], refusals);
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0].object, "Certificate/b/second");
    assert.match(refusals[0].rule, /x.example is solved with http01 ingress class nginx here but with dns01 provider 'r53' by Certificate a\/first/);
  });

  test("a field v1 has no place for, and an http01 config with both ingress and ingressClass", () => {
    const result = convertBackup([
      issuer,
      acmeCert("a", "odd", "le", ["x.example"], [{ domains: ["x.example"], http01: { ingress: "i", ingressClass: "nginx" } }], { futureField: true }),
    ]);
    assert.deepEqual(result.refusals.map((r) => `${r.object} ${r.field}`).sort(), ["Certificate/a/odd spec.acme.config[0].http01", "Certificate/a/odd spec.futureField"]);
  });

  test("a Certificate with acme.config whose issuer is not in the backup", () => {
    const result = convertBackup([acmeCert("a", "orphan", "missing", ["x.example"], [{ domains: ["x.example"], http01: {} }])]);
    assert.equal(result.refusals.length, 1);
    assert.match(result.refusals[0].rule, /its issuer ClusterIssuer\/missing is not in the backup/);
  });

  test("the target interface returns the same", () => {
    const result = targetV111.convert([issuer, acmeCert("ns", "c", "le", ["x.example"], [{ domains: ["x.example"], dns01: { provider: "gone" } }])]);
    assert.equal(result.refusals.length, 1);
    assert.equal(targetV111.crdGroups.certmanager, "cert-manager.io/v1");
    assert.equal(targetV111.crdGroups.acme, "acme.cert-manager.io/v1");
  });
});

describe("certificate conversion", () => {
  test("key fields move to spec.privateKey as v1 spells them; organization to spec.subject", () => {
    const old = bo(cm("Certificate", "c", "n", {
      secretName: "c-tls", commonName: "c.example", dnsNames: ["c.example", "www.c.example"], organization: ["Example Ltd"],
      duration: "2160h", renewBefore: "360h", isCA: false, keyAlgorithm: "ecdsa", keySize: 384, keyEncoding: "pkcs8",
      ipAddresses: ["10.0.0.1"], usages: ["server auth"], issuerRef: { name: "ca" },
      acme: { config: [{ domains: ["c.example"], http01: {} }] },
    }, { status: { conditions: [] } }));
    const refusals: TargetFinding[] = [];
    const v1 = convertCertificate(old, refusals);
    assert.deepEqual(refusals, []);
    assert.deepEqual(v1, {
      apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "c", namespace: "n" },
      spec: {
        subject: { organizations: ["Example Ltd"] }, commonName: "c.example", duration: "2160h", renewBefore: "360h",
        dnsNames: ["c.example", "www.c.example"], ipAddresses: ["10.0.0.1"], secretName: "c-tls",
        issuerRef: { name: "ca", group: "cert-manager.io" }, usages: ["server auth"],
        privateKey: { algorithm: "ECDSA", size: 384, encoding: "PKCS8" },
      },
    });
    assert.deepEqual(validateV111(v1), []);
  });

  test("rsa becomes RSA; an unknown keyAlgorithm is refused", () => {
    assert.deepEqual(convertCertificate(bo(cm("Certificate", "c", "n", { secretName: "s", dnsNames: ["a"], issuerRef: { name: "i" }, keyAlgorithm: "rsa", keySize: 4096 }))).spec?.privateKey, { algorithm: "RSA", size: 4096 });
    const refusals: TargetFinding[] = [];
    convertCertificate(bo(cm("Certificate", "c", "n", { secretName: "s", dnsNames: ["a"], issuerRef: { name: "i" }, keyAlgorithm: "dsa" })), refusals);
    assert.equal(refusals[0].field, "spec.keyAlgorithm");
  });
});

describe("v1.1.1 solver selection (pkg/controller/acmeorders/util.go)", () => {
  const all = { http01: { ingress: {} } };
  test("dnsNames beat dnsZones beat matchLabels beat no selector; the first wins a tie", () => {
    const solvers = [
      all,
      { selector: { matchLabels: { team: "a" } }, http01: { ingress: {} } },
      { selector: { dnsZones: ["example.com"] }, http01: { ingress: {} } },
      { selector: { dnsZones: ["sub.example.com"] }, http01: { ingress: {} } },
      { selector: { dnsNames: ["www.sub.example.com"] }, http01: { ingress: {} } },
      { selector: { dnsNames: ["www.sub.example.com"] }, http01: { ingress: {} } },
    ];
    assert.equal(selectSolverV111(solvers, "www.sub.example.com", { team: "a" }), 4);
    assert.equal(selectSolverV111(solvers, "x.sub.example.com", { team: "a" }), 3);
    assert.equal(selectSolverV111(solvers, "x.example.com", { team: "a" }), 2);
    assert.equal(selectSolverV111(solvers, "x.other.org", { team: "a" }), 1);
    assert.equal(selectSolverV111(solvers, "x.other.org", {}), 0);
    assert.equal(selectSolverV111([{ dns01: {} }, all], "x", {}, ["dns-01"]), 0, "a solver whose challenge type is not offered is skipped");
    assert.equal(selectSolverV111([all, { dns01: {} }], "x", {}, ["dns-01"]), 1);
  });
});
