// Conditions of cert-manager objects (pure).
import { KubeObject } from "./types";

export function readyCondition(obj: KubeObject): { status: string; reason?: string; message?: string } | undefined {
  const conditions = obj.status?.conditions;
  if (!Array.isArray(conditions)) return undefined;
  const ready = conditions.find((c) => typeof c === "object" && c !== null && (c as { type?: unknown }).type === "Ready") as
    | { status?: unknown; reason?: unknown; message?: unknown }
    | undefined;
  if (!ready) return undefined;
  return {
    status: String(ready.status ?? "Unknown"),
    reason: typeof ready.reason === "string" ? ready.reason : undefined,
    message: typeof ready.message === "string" ? ready.message : undefined,
  };
}
