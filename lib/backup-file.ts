// Reading a backup file from disk for a command; kept apart from the Kubernetes client so that
// offline commands (plan) start fast.
import * as fs from "node:fs";
import { CliError } from "./cli";

/** Reads a backup file for a command; an unreadable file is one clear line. */
export function readBackupFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file (take one with `npm run backup`)" : code ?? (err as Error).message;
    throw new CliError(`cannot read backup ${file}: ${why}`);
  }
}
