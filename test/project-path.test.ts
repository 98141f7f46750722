import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_ROOT, describePath, projectPath } from "../lib/project-path";
import { ROOT } from "./support/fixtures";

test("the project folder is the one holding Pulumi.yaml, found from the module, not from the working directory", () => {
  assert.equal(PROJECT_ROOT, ROOT);
  assert.ok(fs.existsSync(path.join(PROJECT_ROOT, "Pulumi.yaml")));
});

test("relative paths resolve against the project folder; absolute ones stay; ~/ is the home folder", () => {
  assert.equal(projectPath("backups/prod-eu/cert-manager-backup.yaml", "/srv/upgrade", "/home/me"), "/srv/upgrade/backups/prod-eu/cert-manager-backup.yaml");
  assert.equal(projectPath("../shared/upstream/charts/cert-manager-v0.6.6.tgz", "/work/main", "/home/me"), "/work/shared/upstream/charts/cert-manager-v0.6.6.tgz");
  assert.equal(projectPath("/etc/kube/config", "/srv/upgrade", "/home/me"), "/etc/kube/config");
  assert.equal(projectPath("~/.kube/config", "/srv/upgrade", "/home/me"), "/home/me/.kube/config");
  assert.equal(projectPath("~", "/srv/upgrade", "/home/me"), "/home/me");
  // Only a leading `~/` is the home folder, as in a shell.
  assert.equal(projectPath("~other/config", "/srv/upgrade", "/home/me"), "/srv/upgrade/~other/config");
  assert.equal(projectPath(".", "/srv/upgrade", "/home/me"), "/srv/upgrade");
});

test("a path in a message: as written, and where it was looked for when that differs", () => {
  assert.equal(describePath("backups/x.yaml", "/srv/upgrade", "/home/me"), "backups/x.yaml (/srv/upgrade/backups/x.yaml)");
  assert.equal(describePath("~/.kube/config", "/srv/upgrade", "/home/me"), "~/.kube/config (/home/me/.kube/config)");
  assert.equal(describePath("/etc/kube/config", "/srv/upgrade", "/home/me"), "/etc/kube/config");
});
