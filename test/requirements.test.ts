// What the harness needs from the machine: the pure check, and the demo stopping on it before it
// starts anything (a machine without socat once made the demo wait ten minutes for nothing).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { cannotRunReason } from "../harness/kubelet";
import { MachineFacts, describeMissing, missingRequirements, probeMachine } from "../harness/requirements";
import { runTsx } from "./support/run-tsx";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "cmu-requirements-"));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function facts(over: Partial<MachineFacts> = {}): MachineFacts {
  return {
    commands: { openssl: true, jq: true, setpriv: true, ip: true, mount: true, go: true, bash: true },
    uid: 0, networkNamespaces: true, podSubnetInUse: [], ...over,
  };
}

/** A PATH holding every command of this one but `without`. */
function pathWithout(without: string[]): string {
  const bin = fs.mkdtempSync(path.join(work, "bin-"));
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (!dir || !fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (without.includes(name) || fs.existsSync(path.join(bin, name))) continue;
      fs.symlinkSync(path.join(dir, name), path.join(bin, name));
    }
  }
  return bin;
}

describe("machine requirements", () => {
  test("a complete machine lacks nothing, for every need", () => {
    assert.deepEqual(missingRequirements(["unit-tests", "control-plane", "pod-networks", "toolchain-build"], facts()), []);
  });

  test("each missing command is named once, with its Debian package", () => {
    const missing = missingRequirements(["unit-tests", "control-plane", "pod-networks"], facts({ commands: { openssl: false, jq: true, setpriv: true, ip: false, mount: true } }));
    assert.deepEqual(missing.map((m) => m.debianPackage), ["openssl", "iproute2"]);
    assert.equal(describeMissing(missing),
      "this machine lacks openssl (makes the tests' certificates), ip (creates the pods' network namespaces and links): apt-get install openssl iproute2");
  });

  test("only what the command needs counts: no pods, no root and no ip needed", () => {
    assert.deepEqual(missingRequirements(["control-plane"], facts({ uid: 1000, commands: { openssl: true, setpriv: true, ip: false } })), []);
  });

  test("pods need root, network namespaces and a free pod subnet; Go only to build", () => {
    const missing = missingRequirements(["pod-networks", "toolchain-build"], facts({ uid: 1000, networkNamespaces: false, podSubnetInUse: ["10.250.1.0/24 dev eth1"], commands: { ip: true, mount: true, go: false, bash: true } }));
    assert.deepEqual(missing.map((m) => m.what.split(" (")[0]), ["go", "root", "network namespaces", "a free 10.250.0.0/16"]);
    assert.match(describeMissing(missing), /^this machine lacks go .*: install Go 1\.24 or newer and put it on PATH; run as root; .*free 10\.250\.0\.0\/16/);
  });

  test("the probe reads PATH: a command left out of it is missing", () => {
    const probed = probeMachine(["unit-tests"], { PATH: pathWithout(["jq"]) });
    assert.equal(probed.commands.jq, false);
    assert.equal(probed.commands.openssl, true);
  });

  test("npm run demo names what is missing within its first step and starts nothing", async () => {
    const ran = await runTsx("demo.ts", [], { env: { PATH: pathWithout(["openssl", "ip"]), CMU_INSTALL_PACKAGES: "no", TMPDIR: work } });
    assert.equal(ran.code, 1, ran.output);
    const lines = ran.stderr.trim().split("\n");
    assert.equal(lines.length, 1, ran.stderr);
    assert.match(lines[0], /^demo: nothing was started: this machine lacks openssl .*ip .*: apt-get install openssl iproute2$/);
    assert.doesNotMatch(ran.stdout, /==> toolchain|==> local control plane/);
    assert.deepEqual(fs.readdirSync(work).filter((f) => f.startsWith("cmu-demo-")), [], "no work folder");
  });
});

describe("a pod that cannot run", () => {
  test("an exec failure fails at once; a crash is restarted until it loops", () => {
    assert.match(cannotRunReason({ code: 127, signal: null }, 0, "sh: 6: exec: /x/cert-manager-controller: not found") ?? "", /could not be run/);
    assert.match(cannotRunReason({ code: 255, signal: null }, 0, 'exec of "socat" failed: No such file or directory') ?? "", /network namespace could not run it/);
    assert.equal(cannotRunReason({ code: 255, signal: null }, 0, "F1203 leaderelection lost"), undefined, "klog.Fatal's 255 is a crash");
    assert.equal(cannotRunReason({ code: 1, signal: null }, 3, ""), undefined);
    assert.match(cannotRunReason({ code: 1, signal: null }, 4, "") ?? "", /crashed 5 times in a row/);
    assert.equal(cannotRunReason({ code: null, signal: "SIGKILL" }, 0, ""), undefined);
  });
});
