// A forward HTTP proxy on 127.0.0.1, as a corporate proxy in front of an API server: CONNECT
// tunnels (https servers) and absolute-URI requests (http servers), each one counted.
import * as http from "node:http";
import * as net from "node:net";
import type { AddressInfo } from "node:net";

export class HttpProxy {
  /** "host:port" of every CONNECT, in arrival order. */
  readonly connects: string[] = [];
  /** The absolute URL of every forwarded (non-CONNECT) request. */
  readonly forwarded: string[] = [];
  private server?: http.Server;
  private readonly sockets = new Set<net.Socket>();

  /**
   * `hosts`: names only the proxy can resolve (name → address), as a corporate proxy resolves
   * internal names its clients cannot: a client that goes around the proxy fails to connect.
   */
  constructor(private readonly hosts: Record<string, string> = {}) {}

  private resolve(host: string): string {
    return this.hosts[host] ?? host;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      this.forwarded.push(req.url ?? "");
      let target: URL;
      try {
        target = new URL(req.url ?? "");
      } catch {
        res.writeHead(400).end("a proxy wants an absolute URL");
        return;
      }
      const upstream = http.request({ host: this.resolve(target.hostname), port: target.port, path: target.pathname + target.search, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    server.on("connect", (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      this.connects.push(req.url ?? "");
      const [host, port] = (req.url ?? "").split(":");
      const upstream = net.connect(Number(port), this.resolve(host), () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      this.sockets.add(upstream);
      upstream.on("close", () => this.sockets.delete(upstream));
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    server.on("connection", (socket: net.Socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops every connection, tunnels included (a proxy going down). */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
