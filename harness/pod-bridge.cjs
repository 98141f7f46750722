// Runs inside a pod's network namespace (harness/pod-network.ts): listens on 127.0.0.1:PORT there
// and forwards each connection to a Unix socket the harness serves in the root namespace, which
// forwards to 127.0.0.1:PORT of the host. A pathname Unix socket is reached through the file
// system, not the network, so it crosses the namespace boundary; TCP on loopback does not.
// Plain CommonJS with Node's own modules only: it starts in ~50 ms and needs nothing the machine
// may lack (it replaced socat, which a new machine did not have).
"use strict";
const net = require("node:net");

const [port, socketPath] = process.argv.slice(2);
if (!/^\d+$/.test(port ?? "") || !socketPath) {
  process.stderr.write("usage: node pod-bridge.cjs PORT UNIX_SOCKET\n");
  process.exit(2);
}

const server = net.createServer((conn) => {
  const upstream = net.connect(socketPath);
  conn.pipe(upstream).pipe(conn);
  const close = () => {
    conn.destroy();
    upstream.destroy();
  };
  conn.on("error", close);
  upstream.on("error", (err) => {
    process.stderr.write(`pod-bridge :${port}: ${socketPath}: ${err.message}\n`);
    close();
  });
  conn.on("close", close);
  upstream.on("close", close);
});
server.on("error", (err) => {
  process.stderr.write(`pod-bridge: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
  process.exit(1);
});
server.listen(Number(port), "127.0.0.1", () => {
  // The harness waits for this line before it starts the pod.
  process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => process.exit(0));
