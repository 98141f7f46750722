// `npm run demo -- --target`: a bad value or a v1.1.1 demo on a Kubernetes it does not run on is one
// usage line, exit 2, before anything starts (no work folder); the help names the target.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runTsx } from "./support/run-tsx";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-demo-usage-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe("npm run demo -- --target", () => {
  test("an unknown target, and v1.1.1 on Kubernetes 1.34: one line, exit 2, nothing started; --help names both targets", async () => {
    const [unknown, newer, help] = await Promise.all([
      runTsx("demo.ts", ["--target", "v1.5.5"], { env: { TMPDIR: work } }),
      runTsx("demo.ts", ["--target", "v1.1.1", "--kubernetes", "1.34"], { env: { TMPDIR: work } }),
      runTsx("demo.ts", ["--help"], { env: { TMPDIR: work } }),
    ]);
    assert.equal(unknown.code, 2, unknown.output);
    assert.deepEqual(unknown.stderr.trim().split("\n"), ["demo: --target v1.5.5: expected one of v0.6.2, v1.1.1"]);
    assert.equal(newer.code, 2, newer.output);
    assert.deepEqual(newer.stderr.trim().split("\n"), ["demo: --target v1.1.1 runs on --kubernetes 1.15 only (cert-manager v1.1.1's legacy CRDs are for Kubernetes 1.15 and older), not 1.34"]);
    for (const r of [unknown, newer]) assert.doesNotMatch(r.stdout, /==>/, "no step started");
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.startsWith("cmu-demo-")), [], "no work folder");
    assert.equal(help.code, 0, help.output);
    assert.match(help.stdout, /^Usage: npm run demo -- \[--target v0\.6\.2\|v1\.1\.1\]/);
  });
});
