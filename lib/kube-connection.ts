// How the restore's own HTTP client (lib/restore-batch-apply.ts) reaches the API server the way
// client-go (the Pulumi provider) and @kubernetes/client-node (the preflight) do: through the
// cluster's `proxy-url`, with credentials taken per request from a cache that is refreshed when an
// exec plugin's credential expires, every minute for a token file, and once on a 401.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { Duplex } from "node:stream";
import type * as k8s from "@kubernetes/client-node";

// ---------------------------------------------------------------- proxy (pure)

/** How requests reach the server: directly, tunnelled with CONNECT through an HTTP proxy (https servers), or forwarded by it (http servers). */
export type ProxyRoute = { kind: "direct" } | { kind: "tunnel"; proxy: URL } | { kind: "forward"; proxy: URL };

/** The proxy as it may be printed: scheme, host and port, never its user or password. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/**
 * Why the restore cannot use a cluster's `proxy-url`, as one line, or undefined when it can (none,
 * or an http:// proxy). client-go also takes https:// and socks5:// proxies; the restore's client
 * does not, and must refuse them before anything is deleted rather than connect around them.
 */
export function unsupportedProxy(cluster: { name: string; proxyUrl?: string } | null | undefined): string | undefined {
  const raw = cluster?.proxyUrl;
  if (!raw) return undefined;
  let proxy: URL;
  try {
    proxy = new URL(raw);
  } catch {
    return `the proxy-url of cluster ${cluster.name} in the kubeconfig is not a URL: fix it (http://HOST:PORT)`;
  }
  if (proxy.protocol === "http:") return undefined;
  return `the proxy-url of cluster ${cluster.name} in the kubeconfig is a ${proxy.protocol.replace(/:$/, "")} proxy (${describeProxy(proxy)}), which the restore step cannot use: ` +
    "only http:// proxies (HTTP CONNECT) are supported; use one, or remove proxy-url where the API server can be reached directly";
}

/** The route to `server` for the cluster's `proxy-url` (throws unsupportedProxy's line for a proxy the client cannot use). */
export function proxyRoute(server: URL, cluster: { name: string; proxyUrl?: string }): ProxyRoute {
  const refusal = unsupportedProxy(cluster);
  if (refusal) throw new Error(refusal);
  if (!cluster.proxyUrl) return { kind: "direct" };
  const proxy = new URL(cluster.proxyUrl);
  return server.protocol === "https:" ? { kind: "tunnel", proxy } : { kind: "forward", proxy };
}

/** The Proxy-Authorization header for a proxy URL with a user (and password), as client-go sends it. */
export function proxyAuthorization(proxy: URL): string | undefined {
  if (!proxy.username && !proxy.password) return undefined;
  return `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString("base64")}`;
}

/** A connection failure, reworded to name the proxy it went through (its code kept, so retries still see it). */
export function proxyFailure(err: Error & { code?: string }, proxy: URL, cluster: string): Error {
  const wrapped = new Error(`through the proxy ${describeProxy(proxy)} (proxy-url of cluster ${cluster}): ${err.message}`) as Error & { code?: string; viaProxy?: boolean };
  if (err.code) wrapped.code = err.code;
  wrapped.viaProxy = true;
  return wrapped;
}

/**
 * An https.Agent whose connections are tunnels through an HTTP proxy (CONNECT host:port, then TLS
 * inside): keep-alive and the socket limit work as for a direct agent, so one CONNECT serves many
 * requests.
 */
export class TunnelingAgent extends https.Agent {
  /** `connectTimeoutMs`: a proxy that does not answer a CONNECT fails the request like a server that does not answer. */
  constructor(private readonly proxy: URL, private readonly clusterName: string, options: https.AgentOptions, private readonly connectTimeoutMs = 30_000) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs & { host?: string; port?: number | string }, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const target = `${options.host}:${options.port}`;
    const auth = proxyAuthorization(this.proxy);
    const connect = http.request({
      method: "CONNECT", host: this.proxy.hostname, port: this.proxy.port || 80, path: target, agent: false, setHost: false,
      headers: { Host: target, ...(auth ? { "Proxy-Authorization": auth } : {}) },
    });
    const fail = (err: Error): void => callback?.(proxyFailure(err, this.proxy, this.clusterName), undefined as unknown as Duplex);
    connect.once("connect", (response, socket) => {
      connect.removeAllListeners();
      if (response.statusCode !== 200) {
        socket.destroy();
        fail(Object.assign(new Error(`the proxy answered ${response.statusCode} ${response.statusMessage ?? ""} to CONNECT ${target}`.trim()), { code: "EPROXYREFUSED" }));
        return;
      }
      callback?.(null, super.createConnection({ ...options, socket } as http.ClientRequestArgs) as Duplex);
    });
    connect.once("error", fail);
    connect.setTimeout(this.connectTimeoutMs, () => connect.destroy(Object.assign(new Error(`no answer to CONNECT ${target} (ETIMEDOUT)`), { code: "ETIMEDOUT" })));
    connect.end();
    return undefined;
  }
}

// ---------------------------------------------------------------- credentials

/** client-go re-reads a token file at most once a minute (transport.NewCachedFileTokenSource). */
export const TOKEN_FILE_PERIOD_MS = 60_000;

/**
 * A kubeconfig user as lib/kube.ts loads it: @kubernetes/client-node's, plus client-go's `tokenFile`
 * (absolute). With a token file, the kubeconfig's `token` moves to `fallbackToken`: client-go sends
 * the file's token, and the inline one only while the file cannot be read.
 */
export type KubeUser = k8s.User & { tokenFile?: string; fallbackToken?: string };

export interface Credential {
  /** "provider": an auth-provider (OIDC, GCP, Azure) that @kubernetes/client-node refreshes itself, asked per request. */
  source: "static" | "tokenFile" | "exec" | "provider";
  /** The Authorization header's value, if any. */
  authorization?: string;
  /** A client certificate and key from an exec plugin (PEM). */
  cert?: string;
  key?: string;
  /** When it was obtained (ms since the epoch). */
  obtainedAt: number;
  /** An exec credential's expirationTimestamp (ms since the epoch); none: valid until refused. */
  expiresAt?: number;
}

/** Whether a cached credential must be obtained again before the next request (client-go's rules). */
export function credentialStale(credential: Pick<Credential, "source" | "obtainedAt" | "expiresAt">, now: number): boolean {
  if (credential.source === "tokenFile") return now - credential.obtainedAt >= TOKEN_FILE_PERIOD_MS;
  if (credential.source === "exec") return credential.expiresAt !== undefined && now > credential.expiresAt;
  return credential.source === "provider";
}

/** What an exec plugin printed (an ExecCredential), checked; throws one line that never includes the output. */
export function parseExecCredential(stdout: string, plugin: string, now: number): Credential {
  let parsed: { kind?: unknown; status?: { token?: unknown; clientCertificateData?: unknown; clientKeyData?: unknown; expirationTimestamp?: unknown } };
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`the exec credential plugin ${plugin} did not print an ExecCredential (not JSON)`);
  }
  const status = parsed?.status;
  if (parsed?.kind !== "ExecCredential" || !status || typeof status !== "object") throw new Error(`the exec credential plugin ${plugin} did not print an ExecCredential with a status`);
  const token = typeof status.token === "string" && status.token !== "" ? status.token : undefined;
  const cert = typeof status.clientCertificateData === "string" && status.clientCertificateData !== "" ? status.clientCertificateData : undefined;
  const key = typeof status.clientKeyData === "string" && status.clientKeyData !== "" ? status.clientKeyData : undefined;
  if (!token && !cert && !key) throw new Error(`the exec credential plugin ${plugin} returned neither a token nor a client certificate`);
  if (!cert !== !key) throw new Error(`the exec credential plugin ${plugin} returned only a client certificate or only a key, not both`);
  let expiresAt: number | undefined;
  if (status.expirationTimestamp !== undefined && status.expirationTimestamp !== null) {
    expiresAt = typeof status.expirationTimestamp === "string" ? Date.parse(status.expirationTimestamp) : NaN;
    if (Number.isNaN(expiresAt)) throw new Error(`the exec credential plugin ${plugin} returned an expirationTimestamp that is not a time`);
  }
  return { source: "exec", authorization: token ? `Bearer ${token}` : undefined, cert, key, obtainedAt: now, expiresAt };
}

interface ExecConfig {
  command?: string;
  args?: string[];
  env?: Array<{ name: string; value: string }> | null;
  apiVersion?: string;
}

function runExecPlugin(exec: ExecConfig, now: () => number): Promise<Credential> {
  const command = exec.command ?? "";
  if (!command) return Promise.reject(new Error("the kubeconfig's exec credential plugin names no command"));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const e of exec.env ?? []) env[e.name] = e.value;
  // As client-go: the plugin learns the API version wanted and that nobody can answer a prompt.
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion: exec.apiVersion ?? "client.authentication.k8s.io/v1beta1", kind: "ExecCredential", spec: { interactive: false } });
  return new Promise((resolve, reject) => {
    execFile(command, exec.args ?? [], { env, timeout: 60_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "not found" : `${err.killed ? "killed" : `exit code ${err.code}`}${stderr.trim() ? `: ${stderr.trim().split("\n")[0].slice(0, 200)}` : ""}`;
        reject(new Error(`the exec credential plugin ${command} failed (${why}): run it by hand, or check the kubeconfig's exec section`));
        return;
      }
      try {
        resolve(parseExecCredential(stdout, command, now()));
      } catch (parseErr) {
        reject(parseErr);
      }
    });
  });
}

/**
 * The credential of one kubeconfig user, obtained when needed: a static token or user/password once;
 * an exec plugin's again after its expirationTimestamp; a token file again after a minute; either
 * at once after the server refused it (401). Concurrent requests share one refresh (one plugin run).
 */
export class KubeCredentials {
  private cached?: Credential;
  private pending?: Promise<Credential>;

  /** `authProvider` answers for a user with an auth-provider section: the library's own Authorization header. */
  constructor(private readonly user: KubeUser | null, private readonly authProvider: () => Promise<string | undefined>, private readonly now: () => number = Date.now) {}

  /** Whether obtaining the credential again can change it (worth retrying a 401 with). */
  get refreshable(): boolean {
    return Boolean(this.user?.exec || this.user?.tokenFile || this.user?.authProvider);
  }

  current(): Promise<Credential> {
    if (this.cached && !credentialStale(this.cached, this.now())) return Promise.resolve(this.cached);
    return this.obtain();
  }

  /** After `used` was refused: obtains a new one unless another request did already; false when nothing can change. */
  async renewAfterRefusal(used: Credential): Promise<boolean> {
    if (!this.refreshable) return false;
    if (this.cached === used) this.cached = undefined;
    await this.current();
    return true;
  }

  private obtain(): Promise<Credential> {
    this.pending ??= this.fetch().then(
      (c) => {
        this.cached = c;
        this.pending = undefined;
        return c;
      },
      (err: unknown) => {
        this.pending = undefined;
        throw err;
      },
    );
    return this.pending;
  }

  private async fetch(): Promise<Credential> {
    const user = this.user;
    if (user?.exec) return runExecPlugin(user.exec as ExecConfig, this.now);
    if (user?.authProvider) return { source: "provider", authorization: await this.authProvider(), obtainedAt: this.now() };
    if (user?.tokenFile) {
      let token: string;
      try {
        token = fs.readFileSync(user.tokenFile, "utf8").trim();
      } catch (err) {
        // client-go keeps the last token it read (or the kubeconfig's own) when the file cannot be read.
        const fallback = this.cached?.authorization ?? (user.fallbackToken ? `Bearer ${user.fallbackToken}` : undefined);
        if (fallback) return { source: "tokenFile", authorization: fallback, obtainedAt: this.now() };
        throw new Error(`the token file ${user.tokenFile} of kubeconfig user ${user.name} cannot be read (${(err as NodeJS.ErrnoException).code ?? "unreadable"})`);
      }
      return { source: "tokenFile", authorization: `Bearer ${token}`, obtainedAt: this.now() };
    }
    if (user?.token) return { source: "static", authorization: `Bearer ${user.token}`, obtainedAt: this.now() };
    if (user?.username) return { source: "static", authorization: `Basic ${Buffer.from(`${user.username}:${user.password ?? ""}`).toString("base64")}`, obtainedAt: this.now() };
    return { source: "static", obtainedAt: this.now() };
  }
}

/**
 * client-go's `tokenFile` for @kubernetes/client-node, which knows only a `token-file` read once at
 * load: the preflight and the commands then send the same token the restore and the provider send.
 */
export class TokenFileAuthenticator {
  private readonly byUser = new Map<string, KubeCredentials>();

  isAuthProvider(user: KubeUser): boolean {
    return Boolean(user.tokenFile) && !user.exec && !user.authProvider;
  }

  async applyAuthentication(user: KubeUser, opts: { headers?: Record<string, unknown> }): Promise<void> {
    let credentials = this.byUser.get(user.name);
    if (!credentials) {
      credentials = new KubeCredentials(user, async () => undefined);
      this.byUser.set(user.name, credentials);
    }
    const { authorization } = await credentials.current();
    if (authorization) (opts.headers ??= {}).Authorization = authorization;
  }
}
