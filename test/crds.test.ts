import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { allCrdManifests, crdManifest, CRD_FACTS } from "../lib/crds";
import { mapManifest } from "../lib/api-versions";

const UPSTREAM = path.resolve(__dirname, "..", "..", "shared", "upstream", "manifests", "00-crds-release-0.6.yaml");

function upstreamCrds(): Array<Record<string, any>> {
  return (yaml.loadAll(fs.readFileSync(UPSTREAM, "utf8")) as Array<Record<string, any>>).filter(Boolean);
}

test("the v1beta1 CRDs equal the upstream 0.6 manifest field by field", () => {
  const ours = allCrdManifests("apiextensions.k8s.io/v1beta1");
  const theirs = upstreamCrds();
  assert.equal(ours.length, 5);
  assert.deepEqual(ours.map((c) => c.metadata.name).sort(), theirs.map((c) => c.metadata.name).sort());
  for (const upstream of theirs) {
    const mine = ours.find((c) => c.metadata.name === upstream.metadata.name);
    assert.ok(mine, upstream.metadata.name);
    // Same value for every field, whatever the key order.
    assert.deepEqual(JSON.parse(JSON.stringify(mine)), upstream, upstream.metadata.name);
  }
});

test("the v1 CRDs keep names, scope, short names and printer columns, with an open schema", () => {
  const theirs = upstreamCrds();
  for (const facts of CRD_FACTS) {
    const v1 = crdManifest(facts, "apiextensions.k8s.io/v1") as any;
    const upstream = theirs.find((c) => c.spec.names.plural === facts.plural)!;
    assert.equal(v1.apiVersion, "apiextensions.k8s.io/v1");
    assert.equal(v1.metadata.name, upstream.metadata.name);
    assert.deepEqual(v1.metadata.labels, upstream.metadata.labels);
    // A v1 CRD of a *.k8s.io group is refused without it (KEP-1111); "unapproved, ..." is accepted.
    assert.match(v1.metadata.annotations["api-approved.kubernetes.io"], /^unapproved, /);
    assert.equal(v1.spec.scope, upstream.spec.scope);
    assert.deepEqual(v1.spec.names, upstream.spec.names);
    assert.equal(v1.spec.group, "certmanager.k8s.io");
    assert.equal(v1.spec.versions.length, 1);
    const version = v1.spec.versions[0];
    assert.equal(version.name, "v1alpha1");
    assert.equal(version.served, true);
    assert.equal(version.storage, true);
    assert.deepEqual(version.schema, { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } });
    assert.equal(version.subresources, undefined, "0.6 has no status subresource: status stays an ordinary field");
    const columns = (upstream.spec.additionalPrinterColumns ?? []).map(({ JSONPath, ...rest }: any) => ({ ...rest, jsonPath: JSONPath }));
    assert.deepEqual(version.additionalPrinterColumns ?? [], columns);
  }
});

test("mapping the upstream v1beta1 manifest to v1 gives our v1 CRDs", () => {
  const mapped = yaml.loadAll(mapManifest(fs.readFileSync(UPSTREAM, "utf8")).yaml).filter(Boolean) as any[];
  for (const facts of CRD_FACTS) {
    const ours = JSON.parse(JSON.stringify(crdManifest(facts, "apiextensions.k8s.io/v1")));
    const theirs = mapped.find((c) => c.spec.names.plural === facts.plural);
    assert.deepEqual(theirs, ours, facts.plural);
  }
});
