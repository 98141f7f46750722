// The harness's process layer: real child processes (sh, sleep, node), no cluster.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { HarnessProcess, OWNER_VARIABLE, killOrphans, processStartTime, waitUntilReady } from "../harness/processes";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-harness-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function running(pid: number): boolean {
  const state = fs.existsSync(`/proc/${pid}/stat`) ? fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] : undefined;
  return state !== undefined && state !== "Z";
}

async function until(what: string, check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("harness processes", () => {
  test("the pid is the program's own: it is alive at once and becomes the program without forking", async () => {
    for (let i = 0; i < 30; i++) {
      const p = await HarnessProcess.start({ name: "sleeper", command: "sleep", args: ["30"], logFile: path.join(work, "sleep.log"), env: process.env });
      try {
        assert.equal(p.exitStatus, undefined, "alive right after start, whatever /proc shows mid-exec");
        // setpriv execs the program in the same process: that very pid ends up running sleep.
        await until(`pid ${p.pid} to run sleep`, () => {
          const cmdline = fs.existsSync(`/proc/${p.pid}/cmdline`) ? fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0") : [];
          return cmdline[0] === "sleep" && cmdline[1] === "30";
        }, 5000);
      } finally {
        await p.kill();
      }
      assert.ok(!running(p.pid));
    }
  });

  test("a process that dies during startup is reported at once with its exit status and log", async () => {
    const log = path.join(work, "fails.log");
    const p = await HarnessProcess.start({ name: "fails", command: "sh", args: ["-c", "echo listen tcp 127.0.0.1:1: bind: address already in use >&2; exit 3"], logFile: log, env: process.env });
    const started = Date.now();
    await assert.rejects(waitUntilReady(p, async () => "not yet", 60_000), (err: Error) => {
      assert.match(err.message, /^fails exited with status 3 during startup/);
      assert.match(err.message, /bind: address already in use/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000, "did not wait for the timeout");
  });

  test("a process killed by a signal that wrote nothing says so, instead of an empty log tail", async () => {
    const p = await HarnessProcess.start({ name: "silent", command: "sleep", args: ["30"], logFile: path.join(work, "silent.log"), env: process.env });
    setTimeout(() => process.kill(p.pid, "SIGKILL"), 200);
    await assert.rejects(waitUntilReady(p, async () => "no answer", 60_000), /silent killed by SIGKILL during startup[\s\S]*silent wrote no log/);
  });

  test("on timeout the last check's reason is printed", async () => {
    const p = await HarnessProcess.start({ name: "slow", command: "sleep", args: ["30"], logFile: path.join(work, "slow.log"), env: process.env });
    await assert.rejects(waitUntilReady(p, async () => "HTTP 500: [-]etcd failed", 600), /slow not ready after 1s \(last check: HTTP 500: \[-\]etcd failed\)/);
    await p.kill();
  });

  test("stop() sends TERM and waits for the exit", async () => {
    const p = await HarnessProcess.start({ name: "term", command: "sleep", args: ["30"], logFile: path.join(work, "term.log"), env: process.env });
    const status = await p.stop();
    assert.equal(status.signal, "SIGTERM");
    assert.ok(!running(p.pid));
  });

  test("what the harness starts dies with its owner, even when the owner is killed with SIGKILL", async () => {
    const owner = spawn(process.execPath, ["--import", "tsx", "-e", `
      const { HarnessProcess } = require(${JSON.stringify(path.resolve(__dirname, "..", "harness", "processes.ts"))});
      HarnessProcess.start({ name: "child", command: "sleep", args: ["300"], logFile: ${JSON.stringify(path.join(work, "child.log"))}, env: process.env })
        .then((p) => { process.stdout.write(String(p.pid) + "\\n"); setInterval(() => undefined, 1000); });
    `], { stdio: ["ignore", "pipe", "inherit"] });
    const pid = await new Promise<number>((resolve) => owner.stdout.once("data", (d: Buffer) => resolve(Number(d.toString().trim()))));
    assert.ok(running(pid), "the child runs while its owner runs");
    owner.kill("SIGKILL");
    await until(`pid ${pid} to die with its owner`, () => !running(pid));
  });

  test("leftovers of an owner that is gone are found and killed; others' processes are not", async () => {
    const ghostOwner = spawn("true");
    await new Promise((r) => ghostOwner.on("exit", r));
    const orphan = spawn("sleep", ["300"], { env: { ...process.env, [OWNER_VARIABLE]: `${ghostOwner.pid}/12345` }, detached: true, stdio: "ignore" });
    const mine = spawn("sleep", ["300"], { env: { ...process.env, [OWNER_VARIABLE]: `${process.pid}/${processStartTime(process.pid)}` }, detached: true, stdio: "ignore" });
    await until("both started", () => running(orphan.pid!) && running(mine.pid!));
    try {
      assert.ok(killOrphans() >= 1);
      await until("the orphan to be killed", () => orphan.exitCode !== null || orphan.signalCode !== null);
      assert.ok(running(mine.pid!), "a process whose owner runs is left alone");
    } finally {
      mine.kill("SIGKILL");
      orphan.kill("SIGKILL");
    }
  });
});
