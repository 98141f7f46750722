// Issue 20: cert-manager v1.1.1's webhook validation of the converted objects
// (lib/targets/v1.1.1/validation.ts), checked against what v1.1.1's own Go validation says
// (test/fixtures/webhook-v1.1.1-cases.json, recorded by test/fixtures/webhook-v1.1.1-validate.go.txt).
import { test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateV111, validateV111Errors, v111FieldErrorText, validNameserverV111 } from "../lib/targets/v1.1.1/validation";

interface RecordedCase { kind: "ClusterIssuer" | "Issuer" | "Certificate"; spec: unknown; webhook: string[]; converted?: boolean }
const { cases } = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "webhook-v1.1.1-cases.json"), "utf8")) as { cases: RecordedCase[] };

test("every recorded case gives the messages cert-manager v1.1.1's own validation gives, in its order", () => {
  assert.ok(cases.length > 80);
  for (const c of cases) {
    const ours = validateV111Errors({ kind: c.kind, metadata: { name: "x" }, spec: c.spec as Record<string, unknown> }).map(v111FieldErrorText);
    if (c.webhook.some((m) => m.startsWith("DECODE "))) assert.ok(ours.length > 0, JSON.stringify(c.spec));
    else assert.deepEqual(ours, c.webhook, JSON.stringify(c.spec));
  }
});

test("the converted seed and every converted 0.6 DNS-01 provider type pass v1.1.1's own validation", () => {
  const converted = cases.filter((c) => c.converted);
  assert.ok(converted.length >= 20);
  for (const c of converted) assert.deepEqual(c.webhook, [], JSON.stringify(c.spec));
  const solverTypes = new Set(converted.flatMap((c) => ((c.spec as { acme?: { solvers?: Array<{ dns01?: Record<string, unknown> }> } }).acme?.solvers ?? []).flatMap((s) => Object.keys(s.dns01 ?? {}))));
  for (const t of ["akamai", "cloudDNS", "cloudflare", "route53", "azureDNS", "digitalocean", "acmeDNS", "rfc2136"]) assert.ok(solverTypes.has(t), t);
});

test("a finding names the object, the rule as the webhook words it, and a fix", () => {
  const findings = validateV111({ apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: "c", namespace: "n" }, spec: { secretName: "s", issuerRef: { name: "i" }, dnsNames: ["a"], privateKey: { algorithm: "RSA", size: 1024 } } });
  assert.equal(findings.length, 1);
  assert.equal(findings[0].object, "Certificate/n/c");
  assert.equal(findings[0].field, "spec.privateKey.size");
  assert.match(findings[0].rule, /spec.privateKey.size: Invalid value: 1024: must be between 2048 & 8192 for rsa keyAlgorithm/);
  assert.match(findings[0].fix, /before the upgrade/);
  assert.equal(validateV111({ kind: "ClusterIssuer", metadata: { name: "x" }, spec: {} })[0].object, "ClusterIssuer/x");
});

test("v1.1.1 takes a hostname as an RFC2136 nameserver (0.6.2 took only IP addresses)", () => {
  assert.equal(validNameserverV111("dns.example.com"), true);
  assert.equal(validNameserverV111("dns.example.com:5353"), true);
  assert.equal(validNameserverV111("[::1]"), true);
  assert.equal(validNameserverV111("::1"), false);
  assert.equal(validNameserverV111(":53"), false);
  assert.equal(validNameserverV111(""), false);
});
