// Reading a backup file from disk for a command; kept apart from the Kubernetes client so that
// offline commands (plan) start fast.
import * as fs from "node:fs";
import { CliError } from "./cli";
import { describePath, projectPath } from "./project-path";

/** Reads a backup file for a command (a relative path: in the project); an unreadable file is one clear line. */
export function readBackupFile(file: string): Buffer {
  try {
    return fs.readFileSync(projectPath(file));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file (take one with `npm run backup`)" : code ?? (err as Error).message;
    throw new CliError(`cannot read backup ${describePath(file)}: ${why}`);
  }
}
