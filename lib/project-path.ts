// Paths a user gives, in stack config or on a command line: a relative one is relative to the project
// folder (where Pulumi.yaml and the stack files are), whatever folder the process runs in (pure).
import * as os from "node:os";
import * as path from "node:path";

/**
 * The project folder, from this file's place, never from process.cwd(): Pulumi runs the program from
 * the folder of Pulumi.yaml's `main` (scripts/), not the project. The engine hands the language host
 * that folder as the program's working directory (getPwdMain in pulumi/pulumi pkg/engine/project.go:
 * `pwd = filepath.Dir(main)`), and @pulumi/pulumi's cmd/run/run.js `process.chdir(argv.pwd)`s into it
 * before loading the program; providers (Helm's among them) run from folders of their own.
 */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/**
 * The absolute path a user's path means: relative ones against the project folder; a leading `~/`
 * is the home folder (a YAML value gets no shell expansion, and the stack files' example uses it).
 */
export function projectPath(p: string, root = PROJECT_ROOT, home = os.homedir()): string {
  if (p === "~" || p.startsWith("~/")) return path.join(home, p.slice(1));
  return path.resolve(root, p);
}

/** A user's path for a message: as written and, when that differs, where it was looked for. */
export function describePath(p: string, root = PROJECT_ROOT, home = os.homedir()): string {
  const resolved = projectPath(p, root, home);
  return resolved === p ? p : `${p} (${resolved})`;
}
