// Running the real Pulumi engine offline: a local file backend, no update checks, no plugin downloads.
import * as fs from "node:fs";
import * as path from "node:path";

export interface OfflineEnv {
  /** Folder of the local file backend (state), outside the repository. */
  backendDir: string;
  passphrase?: string;
}

/** Environment for every `pulumi` run the project starts: nothing reaches for the network. */
export function offlinePulumiEnv(opts: OfflineEnv): Record<string, string> {
  fs.mkdirSync(opts.backendDir, { recursive: true });
  return {
    // metadata=skip: without it the file backend rewrites a `<stack>.json.attrs` sidecar in place
    // (truncate, then write) at every checkpoint, and a `pulumi up` killed in between leaves it
    // empty: every later command then fails with "failed to load checkpoint: EOF" (seen in the
    // kill-and-resume test). The checkpoint itself is written to a temporary file and renamed.
    PULUMI_BACKEND_URL: `file://${path.resolve(opts.backendDir)}?metadata=skip`,
    PULUMI_CONFIG_PASSPHRASE: opts.passphrase ?? process.env.PULUMI_CONFIG_PASSPHRASE ?? "local-demo-passphrase",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
  };
}
