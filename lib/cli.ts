// Command-line plumbing shared by scripts/: argument parsing, one-line errors, exit codes, progress.
import { parseArgs, ParseArgsConfig } from "node:util";

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** An expected failure: printed as one line, no stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_FAILED) {
    super(message);
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values<T extends Options> = {
  [K in keyof T]: T[K]["type"] extends "boolean" ? boolean | undefined : string | undefined;
};

export function parseCommandLine<T extends Options>(argv: string[], options: T, usage: string): Values<T> {
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message.split("\n")[0]} (see --help)`);
  }
  if (values.help) {
    process.stdout.write(usage.endsWith("\n") ? usage : usage + "\n");
    process.exit(EXIT_OK);
  }
  return values as Values<T>;
}

/** Runs a command's main function, turning every failure into one line and an exit code. */
export function runMain(name: string, main: () => Promise<number>): void {
  // A reader that stops early (`| head`) is not a failure of ours.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? EXIT_OK);
    throw err;
  });
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      if (err instanceof CliError) {
        process.stderr.write(`${name}: ${err.message}\n`);
        process.exitCode = err.exitCode;
      } else {
        const message = err instanceof Error ? err.message : String(err);
        process.stderr.write(`${name}: unexpected failure: ${message.split("\n")[0]}\n`);
        if (process.env.CMU_DEBUG) process.stderr.write(`${(err as Error)?.stack ?? ""}\n`);
        process.exitCode = EXIT_FAILED;
      }
      // A request left hanging on a dead connection must not keep a failed command alive.
      process.exit(process.exitCode);
    },
  );
}

/** A progress line on stderr, at most once a second, the first after a second has passed. */
export class Progress {
  private readonly started = Date.now();
  private lastPrinted = 0;
  private printedAny = false;
  constructor(private readonly name: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(message: string): void {
    const now = Date.now();
    if (now - this.started < 1000 || now - this.lastPrinted < 1000) return;
    this.lastPrinted = now;
    this.write(message);
  }

  done(message: string): void {
    if (this.printedAny || Date.now() - this.started >= 1000) this.write(message);
  }

  private write(message: string): void {
    const seconds = ((Date.now() - this.started) / 1000).toFixed(1);
    this.printedAny = true;
    this.stream.write(`${this.name}: ${message} (${seconds}s)\n`);
  }
}

/** Renders rows as a left-aligned table like `kubectl get`. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] + 3))).join("").trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

/**
 * Resolves on the first SIGINT or SIGTERM, listened for from the call on (call it before printing
 * that Ctrl-C stops a thing, or an early Ctrl-C takes the signal's default action). One Ctrl-C
 * reaches a script twice (the terminal's, and tsx passing its own on): the one that comes within
 * `absorbMs` of the first is taken too, so the stop runs to its end; a later one finds no listener
 * here and ends the process at once (the harness's own handler still stops what it started).
 */
export function untilInterrupted(absorbMs = 2000): Promise<void> {
  return new Promise<void>((resolve) => {
    let first = 0;
    const onSignal = () => {
      if (first === 0) {
        first = Date.now();
        setTimeout(() => {
          process.removeListener("SIGINT", onSignal);
          process.removeListener("SIGTERM", onSignal);
        }, absorbMs).unref();
      }
      resolve();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
