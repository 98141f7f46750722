// A target's CRD manifest file (cert-manager v1.1.1's legacy CRDs): read and checked before the
// program declares anything, so that a missing or wrong file stops the preview, not the upgrade
// halfway (pure, apart from reading the file).
import * as fs from "node:fs";
import * as yaml from "js-yaml";

export interface CrdDocument {
  apiVersion: "apiextensions.k8s.io/v1beta1" | "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { group: string; names: { kind: string; plural: string } } & Record<string, unknown>;
}

export class CrdManifestError extends Error {}

/**
 * The CRDs of `text`; every document must be a CustomResourceDefinition, and together they must
 * define each kind of `required` ("group/Kind").
 */
export function parseCrdManifest(text: string, where: string, required: readonly string[]): CrdDocument[] {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (err) {
    throw new CrdManifestError(`${where} is not YAML (${(err as Error).message.split("\n")[0]})`);
  }
  const crds: CrdDocument[] = [];
  for (const [i, d] of docs.entries()) {
    const doc = d as Partial<CrdDocument>;
    if (doc?.kind !== "CustomResourceDefinition" || (doc.apiVersion !== "apiextensions.k8s.io/v1beta1" && doc.apiVersion !== "apiextensions.k8s.io/v1") || typeof doc.metadata?.name !== "string" || typeof doc.spec?.group !== "string") {
      throw new CrdManifestError(`${where}: document ${i + 1} is not a CustomResourceDefinition (apiextensions.k8s.io/v1beta1 or v1) with a name and a group`);
    }
    crds.push(doc as CrdDocument);
  }
  const defined = new Set(crds.map((c) => `${c.spec.group}/${c.spec.names?.kind}`));
  const missing = required.filter((r) => !defined.has(r));
  if (missing.length > 0) throw new CrdManifestError(`${where} does not define ${missing.join(", ")}`);
  return crds;
}

export function readCrdManifest(file: string, where: string, required: readonly string[]): CrdDocument[] {
  return parseCrdManifest(fs.readFileSync(file, "utf8"), where, required);
}
