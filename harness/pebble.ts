// Pebble, Let's Encrypt's test ACME server, on free ports of 127.0.0.1: what the legacy
// ClusterIssuers point at in the local harness. It keeps everything in memory and logs each new
// account and order; the counts the tests assert are read from that log.
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { freePorts } from "./control-plane";
import { HarnessProcess, StartError, waitUntilReady } from "./processes";

export interface PebbleOptions {
  /** State folder (config, log); created if missing. */
  dir: string;
  /** Holds CMU_PEBBLE_BIN (scripts/toolchain.sh --print-env). */
  env: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
  /**
   * Validate HTTP-01 challenges for real, at http://<domain>:<this port>/.well-known/acme-challenge/…,
   * every domain resolving to 127.0.0.1 (pebble-challtestsrv as Pebble's DNS server: the stand-in
   * for public DNS pointing at the ingress controller). Without it, Pebble takes every challenge as
   * valid (PEBBLE_VA_ALWAYS_VALID).
   */
  http01Port?: number;
}

/** What Pebble has seen so far, from its log. */
export interface PebbleCounts {
  /** Accounts in memory ("There are now N accounts in memory"). */
  accounts: number;
  /** Orders in its db ("There are now N orders in the db"). */
  orders: number;
}

/** Counts from Pebble's log text (pure: tested without Pebble). */
export function pebbleCounts(logText: string): PebbleCounts {
  const last = (re: RegExp): number => {
    let n = 0;
    for (const m of logText.matchAll(re)) n = Number(m[1]);
    return n;
  };
  return { accounts: last(/There are now (\d+) accounts in memory/g), orders: last(/There are now (\d+) orders in the db/g) };
}

export class Pebble {
  private constructor(
    readonly process: HarnessProcess,
    readonly port: number,
    readonly managementPort: number,
    /** Pebble's test CA (signs its HTTPS certificate): what a client sets SSL_CERT_FILE to. */
    readonly caFile: string,
    /** pebble-challtestsrv serving Pebble's DNS when HTTP-01 is validated for real. */
    readonly dns?: HarnessProcess,
  ) {}

  /** The ACME directory URL, as ClusterIssuers name it (spec.acme.server). */
  get directoryUrl(): string {
    return `https://127.0.0.1:${this.port}/dir`;
  }

  static async start(options: PebbleOptions): Promise<Pebble> {
    const bin = options.env.CMU_PEBBLE_BIN;
    if (!bin) throw new Error("Pebble unknown: CMU_PEBBLE_BIN is not set (scripts/toolchain.sh --only pebble builds it; --print-env sets it)");
    fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    const caFile = path.join(bin, "pebble.minica.pem");
    for (let attempt = 1; ; attempt++) {
      const [port, managementPort, freeHttpPort, tlsPort, dnsPort, dnsManagementPort] = await freePorts(6);
      const httpPort = options.http01Port ?? freeHttpPort;
      let dns: HarnessProcess | undefined;
      if (options.http01Port !== undefined) {
        // Only its DNS server: A queries answered 127.0.0.1 (its default), no AAAA, no challenge servers.
        dns = await HarnessProcess.start({
          name: "pebble-challtestsrv", command: path.join(bin, "pebble-challtestsrv"), logFile: path.join(options.dir, "challtestsrv.log"), env: options.env,
          args: ["-dnsserver", `127.0.0.1:${dnsPort}`, "-management", `127.0.0.1:${dnsManagementPort}`, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "",
            "-http01", "", "-https01", "", "-tlsalpn01", "", "-doh", ""],
        });
      }
      const config = path.join(options.dir, "pebble-config.json");
      fs.writeFileSync(config, JSON.stringify({
        pebble: {
          listenAddress: `127.0.0.1:${port}`,
          managementListenAddress: `127.0.0.1:${managementPort}`,
          certificate: path.join(bin, "localhost-cert.pem"),
          privateKey: path.join(bin, "localhost-key.pem"),
          // Where the VA would validate challenges; PEBBLE_VA_ALWAYS_VALID skips validation.
          httpPort, tlsPort,
          ocspResponderURL: "",
          externalAccountBindingRequired: false,
          retryAfter: { authz: 3, order: 5 },
          keyAlgorithm: "ecdsa",
          profiles: { default: { description: "default", validityPeriod: 7776000 } },
        },
      }, null, 2));
      const logFile = path.join(options.dir, "pebble.log");
      fs.rmSync(logFile, { force: true });
      const proc = await HarnessProcess.start({
        name: "pebble", command: path.join(bin, "pebble"), args: ["-config", config, ...(dns ? ["-dnsserver", `127.0.0.1:${dnsPort}`] : [])], logFile,
        env: {
          ...options.env,
          // Names from Pebble v2.10.3's source (va/va.go, wfe/wfe.go): no validation (unless asked
          // for), no random sleeps, no deliberately rejected nonces (5% by default), no
          // authorization reuse.
          ...(dns ? {} : { PEBBLE_VA_ALWAYS_VALID: "1" }), PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0",
        },
      });
      const pebble = new Pebble(proc, port, managementPort, caFile, dns);
      try {
        const ms = await waitUntilReady(proc, () => pebble.probe(), options.readyTimeoutMs ?? 120_000);
        options.log?.(`pebble ready in ${(ms / 1000).toFixed(1)}s: ${pebble.directoryUrl} (pid ${proc.pid})`);
        return pebble;
      } catch (err) {
        await proc.stop();
        await dns?.stop();
        if (!(err instanceof StartError && /address already in use/i.test(err.message)) || attempt >= 3) throw err;
      }
    }
  }

  private probe(): Promise<true | string> {
    return new Promise((resolve) => {
      const req = https.get(this.directoryUrl, { ca: fs.readFileSync(this.caFile), timeout: 5000, headers: { "user-agent": "cert-manager-upgrade-harness" } }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? true : `HTTP ${res.statusCode}`);
      });
      req.on("timeout", () => req.destroy(new Error("no answer within 5s")));
      req.on("error", (err) => resolve(err.message));
    });
  }

  logText(): string {
    try {
      return fs.readFileSync(this.process.logFile, "utf8");
    } catch {
      return "";
    }
  }

  counts(): PebbleCounts {
    return pebbleCounts(this.logText());
  }

  async stop(): Promise<void> {
    await this.process.stop(5000);
    await this.dns?.stop(5000);
  }
}
