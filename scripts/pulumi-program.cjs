// The Pulumi program's entry point (Pulumi.yaml `main`): index.ts, loaded through tsx
// (lib/load-typescript.cjs). Pulumi's own TypeScript support (ts-node) type-checks the whole program
// on every run (about 4 s here) and transpiles each file anew; tsx transpiles with esbuild and keeps
// the result, and `npm test` type-checks.
"use strict";
const path = require("node:path");
// pulumi runs this with the `node` first on PATH, not the project's Node 24: an older one fails deep
// inside a dependency (Kubernetes client: `Cannot read properties of undefined (reading 'bind')` on Node 20).
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  const { RunError } = require("@pulumi/pulumi/errors");
  throw new RunError(`this program needs Node 22 or newer, and pulumi ran it with Node ${process.versions.node} (${process.execPath}, the first \`node\` on PATH): ` +
    `put the project's Node 24 first, \`export PATH="${path.join(__dirname, "..", "node_modules", ".bin")}:$PATH"\`, then run pulumi again; nothing was changed`);
}
module.exports = require("../lib/load-typescript.cjs")(path.join(__dirname, "..", "index.ts"));
