// Helm post-renderer: reads rendered manifests on stdin, writes them with retired API versions mapped.
import { mapManifest } from "../lib/api-versions";

const chunks: Buffer[] = [];
process.stdin.on("data", (c: Buffer) => chunks.push(c));
process.stdin.on("end", () => {
  try {
    const result = mapManifest(Buffer.concat(chunks).toString("utf8"));
    process.stdout.write(result.yaml);
    if (process.env.CMU_POSTRENDER_LOG) process.stderr.write(result.mapped.map((m) => `mapped ${m}\n`).join(""));
  } catch (err) {
    process.stderr.write(`map-kube-apis: ${(err as Error).message.split("\n")[0]}\n`);
    process.exitCode = 1;
  }
});
