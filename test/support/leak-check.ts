// Reads what the end-to-end tests search for secret markers: every file under a folder (the Pulumi
// file backend: stacks, history, backups), named by path, for markerLeaks().
import * as fs from "node:fs";
import * as path from "node:path";

/** [path, text] of every file under `dir` (none when it does not exist). */
export function filesUnder(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push([p, fs.readFileSync(p, "latin1")]);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}
