// One Ctrl-C reaches a script twice (the terminal's SIGINT, and tsx passing its own on): the stop
// must run to its end; only a later Ctrl-C ends the process at once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";

const CHILD = `
const { untilInterrupted } = require(${JSON.stringify(path.resolve(__dirname, "..", "lib", "cli.ts"))});
(async () => {
  // What runs (a control plane) keeps a script alive; signal listeners alone do not.
  const alive = setInterval(() => {}, 1000);
  const interrupted = untilInterrupted(Number(process.argv[1]));
  process.stdout.write("running\\n");
  await interrupted;
  process.stdout.write("stopping\\n");
  await new Promise((r) => setTimeout(r, 800));
  process.stdout.write("stopped\\n");
  clearInterval(alive);
})();
`;

function run(absorbMs: number, secondAfterMs: number): Promise<{ out: string; code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "-e", CHILD, String(absorbMs)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d;
      if (out === "running\n") {
        child.kill("SIGINT");
        setTimeout(() => child.kill("SIGINT"), secondAfterMs);
      }
    });
    child.on("close", (code, signal) => resolve({ out, code, signal }));
  });
}

test("a second SIGINT right after the first is taken too: the stop runs to its end", async () => {
  const r = await run(2000, 100);
  assert.equal(r.out, "running\nstopping\nstopped\n");
  assert.equal(r.code, 0);
});

test("a SIGINT after the absorbing window ends the process at once (no listener left)", async () => {
  const r = await run(100, 400);
  assert.equal(r.out, "running\nstopping\n");
  assert.equal(r.signal, "SIGINT");
});
