// The pull request summary of `pulumi preview --json`: order of sections, what each holds, never a
// Secret's data; and `npm run preview` on saved JSON and on the failures before a preview runs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  PreviewJsonError,
  RESTORED_LISTED,
  UNKNOWN_VALUE,
  cleanMessage,
  headline,
  markdownMarker,
  previewPlanWarnings,
  renderMarkdown,
  renderText,
  summarizePreview,
  urnName,
  urnType,
} from "../lib/preview-summary";
import { parseBackup } from "../lib/backup-format";
import { buildRestorePlan } from "../lib/plan";
import { renderStackFile } from "../lib/stack-files";
import { ownBackup, seedObjects } from "./support/fixtures";
import { LEGACY_WILL_DELETE, PLANTED_KEY, PLANTED_SECRET, SECRET_NAMES, failedPreview, restoredBatch, restoredObject, seedPreview, step } from "./support/preview-json";
import { runTsx } from "./support/run-tsx";

const PLAN_WARNINGS = [
  // The program logs the plan's warnings too: the summary shows each once.
  "Certificate/test/ivan-test-cert: was not Ready before the upgrade (reason Failed): it will not be Ready afterwards either",
  "Certificate/default/wonder-app-cert: its TLS Secret did not exist at backup time: it will be issued anew (Let's Encrypt rate limits)",
];

/** Positions of the headings in order; fails when one is missing or out of order. */
function assertInOrder(text: string, headings: (string | RegExp)[]): void {
  let last = -1;
  for (const h of headings) {
    const at = typeof h === "string" ? text.indexOf(h) : text.search(h);
    assert.ok(at >= 0, `"${h}" is in:\n${text}`);
    assert.ok(at > last, `"${h}" comes after the previous section:\n${text}`);
    last = at;
  }
}

function assertNoSecretData(where: string, text: string): void {
  for (const planted of [PLANTED_SECRET, PLANTED_KEY, "tls.key", "service-account.json"]) {
    assert.ok(!text.includes(planted), `${where} shows ${planted}`);
  }
}

describe("summarizePreview: the seed's first preview", () => {
  const model = summarizePreview(seedPreview(), PLAN_WARNINGS);

  test("no error; the removal of the 0.4 release with what it deletes", () => {
    assert.equal(model.error, undefined);
    assert.ok(model.legacyRemoval);
    assert.equal(model.legacyRemoval.name, "legacy-release-delete-0.4-release");
    assert.equal(model.legacyRemoval.op, "create");
    assert.deepEqual(model.legacyRemoval.willDelete, LEGACY_WILL_DELETE);
    assert.equal(model.legacyRemoval.objectsDeletedWithCrds, 4);
    assert.match(model.legacyRemoval.summary ?? "", /^DELETES 8 objects of the 0\.4 release/);
  });

  test("destructive: the five CRDs (created), nothing else", () => {
    assert.deepEqual(
      model.destructive.map((d) => `${d.op} ${d.what}`),
      ["certificates", "challenges", "clusterissuers", "issuers", "orders"].map((p) => `create CustomResourceDefinition ${p}.certmanager.k8s.io`),
    );
  });

  test("counts by type: components, the stack and the provider left out; reads not counted", () => {
    const counts = Object.fromEntries(model.counts.map((c) => [c.type, c.create]));
    assert.deepEqual(counts, {
      "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition": 5,
      "kubernetes:core/v1:Namespace": 1,
      "kubernetes:core/v1:Secret": 3,
      "kubernetes:helm.sh/v3:Release": 1,
      // The removal, the webhook readiness, and two batches of restored objects (issue 13).
      "pulumi-nodejs:dynamic:Resource": 4,
    });
    assert.deepEqual(model.totals, { create: 14, update: 0, delete: 0, replace: 0 });
  });

  test("the Secrets copied: names and their source, the -source- reads left out", () => {
    assert.deepEqual(model.secretsCopied, SECRET_NAMES.map((name) => ({ namespace: "cert-manager", name, from: `kube-system/${name}`, op: "create" })));
  });

  test("the objects restored, ClusterIssuers first", () => {
    assert.deepEqual(model.restoredByKind, { ClusterIssuer: 2, Certificate: 2 });
    assert.deepEqual(model.restored.map((r) => `${r.kind} ${r.namespace}/${r.name}`), [
      "ClusterIssuer /letsencrypt-prod",
      "ClusterIssuer /letsencrypt-staging",
      "Certificate default/wonder-app-cert",
      "Certificate test/ivan-test-cert",
    ]);
  });

  test("warnings: the diagnostics' and the plan's, each once", () => {
    assert.deepEqual(model.warnings, PLAN_WARNINGS);
  });

  test("no Secret data in the model", () => {
    assertNoSecretData("the model", JSON.stringify(model));
  });
});

describe("renderers", () => {
  const model = summarizePreview(seedPreview(), PLAN_WARNINGS);

  test("text: sections in order, the deleted objects listed, no Secret data", () => {
    const text = renderText(model, "dev");
    assertInOrder(text, ["cert-manager upgrade preview of stack dev: Destructive: removes the cert-manager 0.4 release (8 objects), changes 5 CRDs.",
      "DESTRUCTIVE STEPS (6):", "REMOVAL of the cert-manager 0.4 release", "- Deployment kube-system/cert-manager", "CustomResourceDefinition certificates.certmanager.k8s.io",
      "CHANGES BY TYPE:", /kubernetes:core\/v1:Secret +3/, /TOTAL +14 +0 +0 +0/,
      "SECRETS COPIED (3, names only):", "kube-system/cert-manager-setup-production-private-key -> cert-manager/cert-manager-setup-production-private-key",
      "OBJECTS RESTORED (4: 2 ClusterIssuers, 2 Certificates):", "ClusterIssuer letsencrypt-prod", "Certificate test/ivan-test-cert",
      "WARNINGS (2):", "ivan-test-cert: was not Ready"]);
    for (const w of LEGACY_WILL_DELETE) assert.ok(text.includes(`- ${w}`), w);
    assert.doesNotMatch(text, /ERROR/);
    assertNoSecretData("the text summary", text);
  });

  test("Markdown: the marker first, headings in order, tables, no Secret data", () => {
    const md = renderMarkdown(model, "dev");
    assert.ok(md.startsWith("<!-- cert-manager-upgrade-preview:dev -->\n"), md.slice(0, 80));
    assert.equal(markdownMarker("prod-eu"), "<!-- cert-manager-upgrade-preview:prod-eu -->");
    assertInOrder(md, ["## cert-manager upgrade preview: `dev`", "**⚠️ Destructive: removes the cert-manager 0.4 release",
      "### ⚠️ Destructive steps (6)", "**Removal of the cert-manager 0.4 release**", "- `Deployment kube-system/cert-manager`",
      "| Operation | What | Pulumi resource | Why |", "| **create** | `CustomResourceDefinition certificates.certmanager.k8s.io` |",
      "### Changes by type", "| `kubernetes:core/v1:Secret` | 3 |", "| **Total** | **14** |",
      "### Secrets copied (3, names only)", "| `kube-system/clouddns-service-account` | `cert-manager/clouddns-service-account` | create |",
      "### Objects restored (4)", "2 ClusterIssuers, 2 Certificates.", "- `ClusterIssuer letsencrypt-prod`",
      "### Warnings (2)", "ivan-test-cert: was not Ready"]);
    assert.doesNotMatch(md, /### ❌ Error/);
    assertNoSecretData("the Markdown summary", md);
  });

  test("an error comes first and fails the summary; the rest still follows", () => {
    const failed = summarizePreview(failedPreview(), []);
    assert.ok(failed.error);
    assert.match(failed.error.message, /^cluster identity check failed: the backup was taken from kube-system uid 1111/);
    assert.equal(failed.error.count, 2);
    assert.deepEqual(failed.warnings, ["ClusterIssuer/letsencrypt-staging: ACME v1 server URL: cert-manager 0.6 marks it InvalidConfig"]);
    const text = renderText(failed, "dev");
    assertInOrder(text, ["The preview FAILED", "ERROR: cluster identity check failed", "(1 more error after this one)", "DESTRUCTIVE STEPS (0):", "CHANGES BY TYPE:", "WARNINGS (1):", "ACME v1"]);
    const md = renderMarkdown(failed, "dev");
    assertInOrder(md, [markdownMarker("dev"), "**❌ The preview FAILED", "### ❌ Error", "```text\ncluster identity check failed", "### ⚠️ Destructive steps (0)", "### Warnings (1)"]);
  });

  test("an error on top of planned changes still comes before the destructive steps", () => {
    const json = seedPreview();
    (json.diagnostics as unknown[]).push({ urn: "urn:pulumi:dev::cert-manager-upgrade::cert-manager-upgrade:index:CertManagerRelease$kubernetes:helm.sh/v3:Release::cert-manager", message: "<{%reset%}>chart \"cert-manager\" version \"v0.6.6\" not found in https://charts.helm.sh/stable repository<{%reset%}>\n", severity: "error" });
    const failed = summarizePreview(json, []);
    assert.equal(failed.error?.message, 'chart "cert-manager" version "v0.6.6" not found in https://charts.helm.sh/stable repository');
    assert.equal(failed.error?.resource, "cert-manager");
    assertInOrder(renderMarkdown(failed, "dev"), ["### ❌ Error", "On `cert-manager`:", "chart", "### ⚠️ Destructive steps (6)", "### Changes by type"]);
  });
});

// Issue 12: the re-issue prediction's count line is shown right after the destructive steps.
describe("re-issues by cert-manager 0.6.2 in the summary", () => {
  const COUNT = "2 certificates will be issued anew and 1 new ACME account registered by cert-manager 0.6.2 (default/wonder-app-cert, test/ivan-test-cert; account of letsencrypt-prod)";
  const model = summarizePreview(seedPreview(), [`plan: ${COUNT}`, ...PLAN_WARNINGS]);

  test("the count line is the model's reissues; it stays among the warnings too", () => {
    assert.equal(model.reissues, COUNT);
    assert.ok(model.warnings.includes(`plan: ${COUNT}`));
    assert.equal(summarizePreview(seedPreview(), PLAN_WARNINGS).reissues, undefined);
  });

  test("text and Markdown show it after the destructive steps, before the changes by type", () => {
    assertInOrder(renderText(model, "dev"), ["DESTRUCTIVE STEPS", `RE-ISSUES BY CERT-MANAGER 0.6.2: ${COUNT}`, "CHANGES BY TYPE:"]);
    assertInOrder(renderMarkdown(model, "dev"), ["### ⚠️ Destructive steps", "**Re-issues by cert-manager 0.6.2:**", "### Changes by type"]);
    assert.doesNotMatch(renderText(summarizePreview(seedPreview(), PLAN_WARNINGS), "dev"), /RE-ISSUES/);
  });
});

// Issue 19: what may be issued is part of the same count line, each certificate named under warnings.
describe("may be issued, in the summary", () => {
  const COUNT = "1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager 0.6.2 (default/wonder-app-cert); 1 certificate may be issued (apps/a)";
  const MAY = "Certificate/apps/a: may be issued anew by cert-manager 0.6.2: the certificate enters its renewal window (renewBefore 30 days) at 2026-01-05T00:00:00Z, within 7 days";
  const model = summarizePreview(seedPreview(), [`plan: ${COUNT}`, MAY, ...PLAN_WARNINGS]);

  test("the count line carries the may-be-issued count; each one is a warning with its reason", () => {
    assert.equal(model.reissues, COUNT);
    assert.ok(model.warnings.includes(MAY));
    assertInOrder(renderText(model, "dev"), [`RE-ISSUES BY CERT-MANAGER 0.6.2: ${COUNT}`, "WARNINGS", MAY]);
    assertInOrder(renderMarkdown(model, "dev"), ["1 certificate may be issued (apps/a)", "### Warnings", "may be issued anew by cert-manager 0.6.2"]);
  });

  test("a count line with only what may be issued is shown too", () => {
    const only = "no certificate will be issued anew and no new ACME account registered by cert-manager 0.6.2; 1 certificate may be issued (apps/a)";
    assert.equal(summarizePreview(seedPreview(), [`plan: ${only}`, MAY]).reissues, only);
  });
});

describe("summarizePreview: other shapes", () => {
  const stack = "prod";

  test("deletes and replacements are destructive; a replacement's three steps count once", () => {
    const secret = { parent: "cert-manager-upgrade:index:IssuerSecretCopies", type: "kubernetes:core/v1:Secret", name: "issuer-secrets-acme-key" };
    const inputs = { metadata: { name: "acme-key", namespace: "cert-manager" }, data: { key: PLANTED_SECRET } };
    const json = {
      steps: [
        step(stack, { op: "create-replacement", ...secret, inputs }),
        step(stack, { op: "replace", ...secret, inputs, old: true, extra: { replaceReasons: ["metadata.namespace"], diffReasons: ["metadata"] } }),
        step(stack, { op: "delete-replaced", ...secret, inputs }),
        step(stack, { op: "delete", type: "kubernetes:core/v1:Namespace", name: "old-namespace", inputs: { metadata: { name: "cert-manager-old" } } }),
        step(stack, { op: "same", type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", name: "crds-issuers", inputs: { metadata: { name: "issuers.certmanager.k8s.io" } } }),
        step(stack, { op: "update", type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition", name: "crds-orders", inputs: { metadata: { name: "orders.certmanager.k8s.io" } }, extra: { diffReasons: ["spec"] } }),
        step(stack, { op: "same", parent: "cert-manager-upgrade:index:LegacyReleaseRemoval", type: "pulumi-nodejs:dynamic:Resource", name: "legacy-release-delete-0.4-release", inputs: { willDelete: [] } }),
        step(stack, { op: "update", type: "kubernetes:helm.sh/v3:Release", name: "cert-manager", inputs: { name: "cert-manager" } }),
      ],
    };
    const model = summarizePreview(json);
    assert.equal(model.legacyRemoval, undefined, "a removal that already ran is not listed");
    assert.deepEqual(model.destructive.map((d) => [d.op, d.what, d.reasons.join(",")]), [
      ["replace", "Secret cert-manager/acme-key", "metadata.namespace,metadata"],
      ["delete", "Namespace cert-manager-old", ""],
      ["update", "CustomResourceDefinition orders.certmanager.k8s.io", "spec"],
    ]);
    assert.deepEqual(model.totals, { create: 0, update: 2, delete: 1, replace: 1 });
    assert.equal(model.unchanged, 2);
    assert.deepEqual(model.secretsCopied, [{ namespace: "cert-manager", name: "acme-key", from: undefined, op: "replace" }]);
    const md = renderMarkdown(model, stack);
    assert.match(md, /\*\*⚠️ Destructive: changes 1 CRD, deletes 1 resource, replaces 1 resource\./);
    assertNoSecretData("the Markdown summary", md);
    assertNoSecretData("the text summary", renderText(model, stack));
  });

  test("a re-run with nothing to do", () => {
    const json = {
      steps: [
        step(stack, { op: "same", type: "pulumi:pulumi:Stack", name: "cert-manager-upgrade-prod", custom: false }),
        step(stack, { op: "same", type: "kubernetes:core/v1:Secret", name: "issuer-secrets-acme-key", inputs: { metadata: { name: "acme-key", namespace: "cert-manager" } } }),
        step(stack, { op: "same", type: "kubernetes:certmanager.k8s.io/v1alpha1:ClusterIssuer", name: "restored-clusterissuer-x", inputs: { metadata: { name: "x" } } }),
      ],
      diagnostics: [],
    };
    const model = summarizePreview(json);
    assert.equal(model.unchanged, 2);
    assert.equal(model.secretsUnchanged, 1);
    assert.equal(model.restoredUnchanged, 1);
    const md = renderMarkdown(model, stack);
    assertInOrder(md, ["**✅ No destructive steps.**", "None: nothing is deleted or replaced.", "No changes (2 resources unchanged).", "None (1 copy already in place).", "None (1 object already restored).", "### Warnings (0)"]);
  });

  test("many restored objects: the first 20 listed, the rest counted, folded in Markdown", () => {
    const steps = Array.from({ length: 45 }, (_, i) =>
      step(stack, { op: "create", type: "kubernetes:certmanager.k8s.io/v1alpha1:Certificate", name: `restored-certificate-ns${i % 3}-cert-${i}`, inputs: { metadata: { name: `cert-${i}`, namespace: `ns${i % 3}` } } }),
    );
    steps.push(step(stack, { op: "create", type: "kubernetes:certmanager.k8s.io/v1alpha1:Issuer", name: "restored-issuer-ns0-ca", inputs: { metadata: { name: "ca", namespace: UNKNOWN_VALUE } } }));
    const model = summarizePreview({ steps });
    assert.equal(model.restored.length, 46);
    assert.deepEqual(model.restoredByKind, { Issuer: 1, Certificate: 45 });
    assert.equal(model.restored[0].namespace, "(known after apply)");
    const text = renderText(model, stack);
    assert.match(text, /OBJECTS RESTORED \(46: 1 Issuer, 45 Certificates\):/);
    assert.equal(text.split("\n").filter((l) => /^ {2}(Issuer|Certificate) /.test(l)).length, RESTORED_LISTED);
    assert.match(text, /^ {2}and 26 more$/m);
    const md = renderMarkdown(model, stack);
    assertInOrder(md, ["### Objects restored (46)", "<details>", "<summary>The first 20 objects</summary>", "- `Certificate ns0/cert-18`", "- and 26 more", "</details>"]);
    assert.ok(!md.includes("cert-19`"), "the 21st object is not listed");
  });

  test("batches (issue 13): a re-run lists only the objects that differ, an adopted one says so, the rest counted as restored", () => {
    const a = restoredObject("Certificate", "a", "team");
    const b = restoredObject("Certificate", "b", "team");
    const bDrifted = restoredObject("Certificate", "b", "team", "drifted.example.com");
    const c = restoredObject("Certificate", "c", "team");
    const ca = restoredObject("ClusterIssuer", "ca");
    const json = {
      steps: [
        // b was edited in the cluster (a refresh read it), c is new in the backup, a is as applied.
        restoredBatch(stack, "certificates/1", [a, b, c], "update", { oldObjects: [a, bDrifted] }),
        restoredBatch(stack, "clusterissuers/1", [ca], "create", { adopted: ["ClusterIssuer/ca"] }),
        restoredBatch(stack, "certificates/2", [restoredObject("Certificate", "d", "other")], "same"),
      ],
    };
    const model = summarizePreview(json);
    assert.deepEqual(model.restored.map((r) => `${r.op} ${r.kind} ${r.namespace}/${r.name}`), [
      "adopt ClusterIssuer /ca", "update Certificate team/b", "create Certificate team/c"]);
    assert.equal(model.restoredUnchanged, 2, "a and d");
    assert.equal(model.destructive.length, 0);
    const text = renderText(model, stack);
    assertInOrder(text, ["OBJECTS RESTORED (3: 1 ClusterIssuer, 2 Certificates):", "ClusterIssuer ca (exists: adopted, not duplicated)", "Certificate team/b (update)", "Certificate team/c", "(2 objects already restored)"]);
    assert.match(renderMarkdown(model, stack), /- `ClusterIssuer ca \(exists: adopted, not duplicated\)`/);
  });

  test("one-shot restore (issue 19): objects restored earlier are named as left as they are; one the stack's reapply names is listed as written again", () => {
    const a = restoredObject("Certificate", "a", "team");
    const json = {
      steps: [
        restoredBatch(stack, "certificates/1", [a], "update", { oldObjects: [a], reapply: ["Certificate/team/a"], leftAsTheyAre: ["Certificate/team/b", "Certificate/team/c"] }),
        restoredBatch(stack, "clusterissuers/1", [], "same", { leftAsTheyAre: ["ClusterIssuer/ca"] }),
      ],
    };
    const model = summarizePreview(json);
    assert.deepEqual(model.restored.map((r) => `${r.op} ${r.kind} ${r.namespace}/${r.name}`), ["reapply Certificate team/a"], "written although it equals what the batch last applied");
    assert.deepEqual(model.restoredEarlier, ["Certificate/team/b", "Certificate/team/c", "ClusterIssuer/ca"]);
    const text = renderText(model, stack);
    assertInOrder(text, ["OBJECTS RESTORED (1: 1 Certificate):", "Certificate team/a (restored earlier, written again from the backup: reapply)",
      "restored earlier: left as they are (3 objects; not written, not re-created if deleted; the stack's reapply writes one again): Certificate/team/b, Certificate/team/c, ClusterIssuer/ca"]);
    assert.match(renderMarkdown(model, stack), /Restored earlier: left as they are \(3 objects/);
  });

  test("a stack restored one resource per object before (issue 13): those resources leave the state, said plainly, not destructive", () => {
    const old = (kind: string, name: string, namespace?: string) => {
      const s = step(stack, { op: "delete", parent: "cert-manager-upgrade:index:RestoredResources", type: `kubernetes:certmanager.k8s.io/v1alpha1:${kind}`,
        name: `restored-${kind.toLowerCase()}-${namespace ? `${namespace}-` : ""}${name}`, inputs: restoredObject(kind, name, namespace) });
      (s.oldState as Record<string, unknown>).retainOnDelete = true;
      return s;
    };
    const notRetained = step(stack, { op: "delete", type: "kubernetes:certmanager.k8s.io/v1alpha1:Certificate", name: "restored-certificate-x-y", inputs: restoredObject("Certificate", "y", "x") });
    const json = {
      steps: [
        restoredBatch(stack, "clusterissuers/1", [restoredObject("ClusterIssuer", "letsencrypt-prod")]),
        restoredBatch(stack, "certificates/1", [restoredObject("Certificate", "wonder-app-cert", "default")]),
        old("ClusterIssuer", "letsencrypt-prod"),
        old("Certificate", "wonder-app-cert", "default"),
        notRetained,
      ],
    };
    const model = summarizePreview(json);
    assert.deepEqual(model.retainedRemovals.map((r) => r.what), ["ClusterIssuer letsencrypt-prod", "Certificate default/wonder-app-cert"]);
    assert.deepEqual(model.destructive.map((d) => d.what), ["Certificate x/y"], "only a delete that would really delete is destructive");
    assert.equal(model.restored.length, 2);
    const text = renderText(model, stack);
    assert.match(text, /2 resources of restored objects leave the Pulumi state \(an earlier version of this program made one per object; now batches restore them\): nothing is deleted in the cluster/);
    assert.match(text, /- Certificate default\/wonder-app-cert/);
    assert.match(headline(model), /deletes 1 resource/, "the two retained ones are not counted as deletes");
    const md = renderMarkdown(model, stack);
    assert.match(md, /nothing is deleted in the cluster/);
  });

  test("missing fields and odd values are tolerated", () => {
    for (const json of [{}, { steps: null, diagnostics: "x" }, { steps: [null, 1, "x", {}, { op: "create" }, { newState: { type: "kubernetes:core/v1:Secret" } }] }, []]) {
      const model = summarizePreview(json);
      assert.equal(model.error, undefined);
      assert.equal(model.destructive.length, 0);
      renderMarkdown(model, "x");
      renderText(model, "x");
    }
    assert.throws(() => summarizePreview("error: no stack named 'x' found"), PreviewJsonError);
    const fromText = summarizePreview(JSON.stringify(failedPreview()));
    assert.match(fromText.error?.message ?? "", /^cluster identity check failed/);
  });

  test("an unhandled exception: its message, not the stack trace", () => {
    const model = summarizePreview({
      diagnostics: [{ severity: "error", message: "Running program '/work/main' failed with an unhandled exception:\nError: boom\n    at upgrade (/work/main/index.ts:20:11)\n    at process.processTicksAndRejections (node:internal)\n" }],
    });
    assert.equal(model.error?.message, "Running program '/work/main' failed with an unhandled exception: Error: boom");
    assert.deepEqual(model.error?.detail, []);
  });

  test("URNs and messages", () => {
    const u = "urn:pulumi:dev::cert-manager-upgrade::cert-manager-upgrade:index:LegacyReleaseRemoval$pulumi-nodejs:dynamic:Resource::legacy-release-delete-0.4-release";
    assert.equal(urnName(u), "legacy-release-delete-0.4-release");
    assert.equal(urnType(u), "pulumi-nodejs:dynamic:Resource");
    assert.equal(cleanMessage("<{%fg 3%}>warning<{%reset%}> \u001b[31mred\u001b[0m\n"), "warning red");
    assert.equal(cleanMessage(`Preview failed: resource "${u}" was not successfully created`), 'Preview failed: resource "legacy-release-delete-0.4-release" was not successfully created');
  });

  test("Markdown escapes what would break a table or a heading", () => {
    const model = summarizePreview({ diagnostics: [{ severity: "warning", message: "a | b <script> *bold* `x`" }] });
    const md = renderMarkdown(model, "s");
    assert.ok(md.includes("- a \\| b \\<script\\> \\*bold\\* \\`x\\`"), md);
  });
});

describe("npm run preview", () => {
  let tmp: string;
  let dir: string;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-preview-test-"));
    dir = path.join(tmp, "stacks");
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), renderStackFile({ stack: "dev", context: "dev" }));
    fs.writeFileSync(path.join(dir, "Pulumi.broken.yaml"), "config:\n  cert-manager-upgrade:context: dev\n  cert-manager-upgrade:webhook: maybe\n");
    fs.writeFileSync(path.join(tmp, "seed.json"), JSON.stringify(seedPreview(), null, 2));
    fs.writeFileSync(path.join(tmp, "failed.json"), JSON.stringify(failedPreview()));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("summarizes a saved preview; writes the Markdown; failures write it too and exit 1", async () => {
    const md = (name: string): string => path.join(tmp, `${name}.md`);
    const [ok, failed, broken, noBackend, usage] = await Promise.all([
      runTsx("preview.ts", ["--stack", "dev", "--dir", dir, "--from-json", path.join(tmp, "seed.json"), "--markdown", md("ok")]),
      runTsx("preview.ts", ["--stack", "dev", "--dir", dir, "--from-json", path.join(tmp, "failed.json"), "--markdown", md("failed")]),
      runTsx("preview.ts", ["--stack", "broken", "--dir", dir, "--markdown", md("broken")]),
      runTsx("preview.ts", ["--stack", "dev", "--dir", dir, "--markdown", md("nobackend")]),
      runTsx("preview.ts", ["--dir", dir]),
    ]);

    assert.equal(ok.code, 0, ok.output);
    assert.match(ok.stdout, /^cert-manager upgrade preview of stack dev: Destructive: removes the cert-manager 0\.4 release/);
    assert.equal(ok.stderr, "");
    assert.ok(fs.readFileSync(md("ok"), "utf8").startsWith(markdownMarker("dev")));
    assertNoSecretData("preview's output", ok.output + fs.readFileSync(md("ok"), "utf8"));

    assert.equal(failed.code, 1, failed.output);
    assert.match(failed.stdout, /ERROR: cluster identity check failed/);
    assert.equal(failed.stderr, "preview: the preview of stack dev failed: cluster identity check failed: the backup was taken from kube-system uid 1111 but context dev is kube-system uid 2222; nothing was changed\n");
    assert.match(fs.readFileSync(md("failed"), "utf8"), /### ❌ Error\n\n```text\ncluster identity check failed/);

    assert.equal(broken.code, 1, broken.output);
    assert.match(broken.stderr, /^preview: 2 problems in Pulumi\.broken\.yaml: config key cert-manager-upgrade:webhook in .*Pulumi\.broken\.yaml:3 must be a boolean.*; config key cert-manager-upgrade:backupFile is missing/);
    assert.equal(broken.stderr.trim().split("\n").length, 1);
    assertInOrder(fs.readFileSync(md("broken"), "utf8"), [markdownMarker("broken"), "### ❌ Error", "cert-manager-upgrade:webhook"]);

    assert.equal(noBackend.code, 1, noBackend.output);
    assert.match(noBackend.stderr, /^preview: PULUMI_BACKEND_URL is not set: set it to the state backend that holds stack dev/);
    assert.match(fs.readFileSync(md("nobackend"), "utf8"), /PULUMI_BACKEND_URL is not set/);

    assert.equal(usage.code, 2, usage.output);
    assert.match(usage.stderr, /^preview: --stack NAME is required\n$/);
  });
});

describe("the legacy Secret cleanup in the summary", () => {
  const stack = "dev";
  const C = "cert-manager-upgrade:index:";
  const cleanupStep = (op: string) => step(stack, {
    op,
    parent: `${C}LegacySecretCleanup`,
    type: "pulumi-nodejs:dynamic:Resource",
    name: "legacy-secret-cleanup-delete-copied-sources",
    inputs: {
      namespace: "kube-system",
      names: ["cert-manager-setup-staging-private-key", "clouddns-service-account"],
      kept: [{ name: "cert-manager-setup-production-private-key", usedBy: ["Issuer/kube-system/legacy-acme spec.acme.privateKeySecretRef"] }],
      restoredCount: UNKNOWN_VALUE,
    },
  });
  const withCleanup = (op: string) => {
    const doc = seedPreview(stack) as { steps: unknown[] };
    return { ...doc, steps: [...doc.steps, step(stack, { op, type: `${C}LegacySecretCleanup`, name: "legacy-secret-cleanup", custom: false }), cleanupStep(op)] };
  };

  test("what it deletes and what it keeps, and why, among the destructive steps", () => {
    const model = summarizePreview(withCleanup("create"));
    assert.deepEqual(model.legacySecretCleanup, {
      op: "create",
      name: "legacy-secret-cleanup-delete-copied-sources",
      namespace: "kube-system",
      deletes: ["cert-manager-setup-staging-private-key", "clouddns-service-account"],
      keeps: [{ name: "cert-manager-setup-production-private-key", usedBy: ["Issuer/kube-system/legacy-acme spec.acme.privateKeySecretRef"] }],
    });
    const text = renderText(model, stack);
    assertInOrder(text, ["Destructive: removes the cert-manager 0.4 release (8 objects), deletes 2 copied Secrets from kube-system, changes 5 CRDs.",
      "DESTRUCTIVE STEPS (7):", "REMOVAL of the cert-manager 0.4 release",
      "CLEANUP of the copied Secrets in kube-system (legacy-secret-cleanup-delete-copied-sources): deletes 2, keeps 1",
      "- deletes kube-system/cert-manager-setup-staging-private-key", "- deletes kube-system/clouddns-service-account",
      "- keeps kube-system/cert-manager-setup-production-private-key: still used by Issuer/kube-system/legacy-acme spec.acme.privateKeySecretRef",
      "CHANGES BY TYPE:"]);
    const md = renderMarkdown(model, stack);
    assertInOrder(md, ["### ⚠️ Destructive steps (7)", "**Removal of the cert-manager 0.4 release**",
      "**Cleanup of the copied Secrets in kube-system**", "- deletes `kube-system/cert-manager-setup-staging-private-key`",
      "- keeps `kube-system/cert-manager-setup-production-private-key`: still used by Issuer/kube-system/legacy-acme spec.acme.privateKeySecretRef",
      "### Changes by type"]);
    assertNoSecretData("the cleanup summary", text + md);
  });

  test("what \"still used\" covers, and a Secret kept because Pods could not be checked", () => {
    const checked = "Issuers and Certificates, and Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and ServiceAccounts in kube-system";
    const doc = withCleanup("create") as { steps: Array<{ newState?: { inputs?: Record<string, unknown> } }> };
    const inputs = doc.steps[doc.steps.length - 1].newState!.inputs!;
    inputs.checked = checked;
    inputs.kept = [
      { name: "route53-credentials", usedBy: ["Deployment kube-system/external-dns (volume creds)"] },
      { name: "vault-token", usedBy: [], notChecked: "listing Pods (v1) in kube-system failed: HTTP 403: forbidden" },
    ];
    const model = summarizePreview(doc);
    assert.equal(model.legacySecretCleanup?.checked, checked);
    const text = renderText(model, stack);
    assertInOrder(text, ["CLEANUP of the copied Secrets in kube-system", "- keeps kube-system/route53-credentials: still used by Deployment kube-system/external-dns (volume creds)",
      "- keeps kube-system/vault-token: not checked (listing Pods (v1) in kube-system failed: HTTP 403: forbidden)", `"still used" covers ${checked}`]);
    const md = renderMarkdown(model, stack);
    assertInOrder(md, ["**Cleanup of the copied Secrets in kube-system**", "- keeps `kube-system/vault-token`: not checked (listing Pods (v1) in kube-system failed: HTTP 403: forbidden)",
      `"Still used" covers ${checked}.`]);
  });

  test("a cleanup done in an earlier run is not shown again", () => {
    const model = summarizePreview(withCleanup("same"));
    assert.equal(model.legacySecretCleanup, undefined);
  });

  test("a copy whose Secret is named like a read (x-source-y) is still a copy", () => {
    const doc = seedPreview(stack) as { steps: unknown[] };
    const copy = step(stack, { op: "create", parent: `${C}IssuerSecretCopies`, type: "kubernetes:core/v1:Secret", name: "issuer-secrets-dns-source-key",
      inputs: { metadata: { name: "dns-source-key", namespace: "cert-manager", annotations: { "cert-manager-upgrade/copied-from": "kube-system/dns-source-key" } } } });
    const model = summarizePreview({ ...doc, steps: [...doc.steps, copy] });
    assert.ok(model.secretsCopied.some((s) => s.name === "dns-source-key"), JSON.stringify(model.secretsCopied));
  });
});

// Issue 20: a stack with targetVersion v1.1.1. The program logs each issuer's conversion (info), renames
// the TLS Secrets' and Ingresses' annotations (a step of its own), and warns with v1.1.1's prediction;
// 0.6.2's prediction, which lib/plan.ts makes from the backup, must not stand beside it.
describe("a targetVersion v1.1.1 stack in the summary", () => {
  const V111_COUNT = "1 certificate will be issued anew and 0 new ACME accounts registered by cert-manager v1.1.1 (test/ivan-test-cert)";
  const OLD_COUNT = "2 certificates will be issued anew and 0 new ACME accounts registered by cert-manager 0.6.2 (default/wonder-app-cert, test/ivan-test-cert)";
  const CONVERSION = [
    "ClusterIssuer/letsencrypt-prod:",
    "  was: acme https://acme-v02.api.letsencrypt.org/directory (ops@example.com), account key Secret letsencrypt-prod",
    "  now: solvers[0]: http01 ingress class nginx, selector dnsNames [wonder-app.example.com]",
    "ClusterIssuer/letsencrypt-staging:",
    "  now: solvers[0]: http01 ingress, no selector (any domain)",
  ];
  const RENAMES = ["Secret default/wonder-app-cert: annotation certmanager.k8s.io/issuer-name → cert-manager.io/issuer-name", "Ingress test/test-ingress: annotation certmanager.k8s.io/cluster-issuer → cert-manager.io/cluster-issuer"];
  function v111Preview(renames: string[] = RENAMES, op = "create"): Record<string, unknown> {
    const json = seedPreview() as { steps: unknown[]; diagnostics?: unknown[] };
    json.steps.push(step("dev", { op, parent: "cert-manager-upgrade:index:MetadataRenames", type: "pulumi-nodejs:dynamic:Resource", name: "metadata-renames-apply", inputs: { renames: [], summary: renames } }));
    json.diagnostics = [
      ...(json.diagnostics ?? []),
      { severity: "info", message: `cert-manager v1.1.1: each issuer converted to cert-manager.io/v1:\n${CONVERSION.join("\n")}\n` },
      { severity: "warning", message: `warning: plan: ${V111_COUNT}\n` },
    ];
    return json;
  }

  test("the count line is v1.1.1's, even beside a 0.6.2 one; the conversion and the renames are read", () => {
    const model = summarizePreview(v111Preview(), [`plan: ${OLD_COUNT}`]);
    assert.equal(model.reissues, V111_COUNT);
    assert.equal(model.reissuesBy, "v1.1.1");
    assert.deepEqual(model.conversion, { version: "v1.1.1", apiVersion: "cert-manager.io/v1", lines: CONVERSION });
    assert.deepEqual(model.metadataRenames, { op: "create", lines: RENAMES });
    // A 0.6.2 stack's count line stays what it was.
    assert.equal(summarizePreview(seedPreview(), [`plan: ${OLD_COUNT}`]).reissuesBy, "0.6.2");
    // Nothing left to rename: no section.
    assert.equal(summarizePreview(v111Preview(RENAMES, "same"), []).metadataRenames, undefined);
  });

  test("text and Markdown name v1.1.1 and cert-manager.io/v1, never 0.6.2's re-issues", () => {
    const model = summarizePreview(v111Preview(), []);
    const text = renderText(model, "dev");
    assertInOrder(text, ["DESTRUCTIVE STEPS", `RE-ISSUES BY CERT-MANAGER v1.1.1: ${V111_COUNT}`, "CONVERSION TO cert-manager.io/v1 (cert-manager v1.1.1)", "  ClusterIssuer/letsencrypt-prod:\n    was: acme",
      "ANNOTATIONS RENAMED BEFORE CERT-MANAGER v1.1.1 STARTS (2, create):\n  Secret default/wonder-app-cert: annotation certmanager.k8s.io/issuer-name → cert-manager.io/issuer-name", "CHANGES BY TYPE:"]);
    assert.doesNotMatch(text, /CERT-MANAGER 0\.6\.2/);
    const md = renderMarkdown(model, "dev");
    assertInOrder(md, ["**Re-issues by cert-manager v1.1.1:**", "### Conversion to `cert-manager.io/v1` (cert-manager v1.1.1)", "```text\nClusterIssuer/letsencrypt-prod:", "### Annotations renamed before cert-manager v1.1.1 starts (2)", "### Changes by type"]);
    assert.doesNotMatch(md, /cert-manager 0\.6\.2/);
  });
});

describe("previewPlanWarnings: the backup's plan beside the program's warnings", () => {
  // wonder-app-cert's TLS Secret is missing: 0.6.2 issues it anew (a prediction warning and a count line).
  const plan = buildRestorePlan(parseBackup(ownBackup(seedObjects(), { missingTlsSecrets: ["default/wonder-app-cert"] }).text));

  test("0.6.2: the plan's warnings with its prediction; a converting target: without 0.6.2's prediction", () => {
    const of062 = previewPlanWarnings(plan, false);
    assert.ok(of062.some((w) => /^plan: .*registered by cert-manager 0\.6\.2/.test(w)), of062.join("\n"));
    assert.ok(of062.some((w) => /^Certificate\/default\/wonder-app-cert: .*issued anew by cert-manager 0\.6\.2/.test(w)));
    const converting = previewPlanWarnings(plan, true);
    assert.deepEqual(converting.filter((w) => /0\.6\.2/.test(w)), []);
    // The rest of the plan's warnings stay (ivan-test-cert was not Ready).
    assert.ok(converting.some((w) => /^Certificate\/test\/ivan-test-cert: not Ready before the upgrade/.test(w)), converting.join("\n"));
  });
});
