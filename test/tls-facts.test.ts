// The public facts of a TLS certificate, for certificates as ACME servers issue them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { certificateFacts } from "../lib/tls-facts";

test("a certificate with an empty subject (what Pebble and Let's Encrypt issue for a CSR without CN, as cert-manager v1.1.1 sends for dnsNames only): facts without a common name, not a crash", () => {
  const pem = execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "/dev/null", "-subj", "/", "-addext", "subjectAltName=DNS:renew-app.example.com", "-days", "1"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
  const facts = certificateFacts(Buffer.from(pem).toString("base64"));
  assert.ok(!("problem" in facts) || facts.problem === undefined, JSON.stringify(facts));
  const f = facts as { commonName?: string; dnsNames: string[]; serial: string };
  assert.equal(f.commonName, undefined);
  assert.deepEqual(f.dnsNames, ["renew-app.example.com"]);
  assert.match(f.serial, /^[0-9A-F]+$/);
});
