// The Pulumi program's entry point (Pulumi.yaml `main`): index.ts, loaded through tsx
// (lib/load-typescript.cjs). Pulumi's own TypeScript support (ts-node) type-checks the whole program
// on every run (about 4 s here) and transpiles each file anew; tsx transpiles with esbuild and keeps
// the result, and `npm test` type-checks.
"use strict";
module.exports = require("../lib/load-typescript.cjs")(require("node:path").join(__dirname, "..", "index.ts"));
