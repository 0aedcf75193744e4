import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { containsCniProject, findSpectralDirectories } from "../src/discovery";
import { tempDir } from "./helpers";

function dirs(root: string, ...paths: string[]): void {
  for (const path of paths) mkdirSync(join(root, path), { recursive: true });
}

test("finds a .spectral folder at the root and in nested monorepo packages", async () => {
  const root = tempDir();
  dirs(root, ".spectral", "packages/a/.spectral/flows", "packages/b/src");
  const found = (await findSpectralDirectories(root)).sort();
  assert.deepEqual(found, [join(root, ".spectral"), join(root, "packages/a/.spectral")]);
});

test("a gitignored .spectral still counts (workspaceContains would miss it)", async () => {
  const root = tempDir();
  dirs(root, "integration/.spectral");
  writeFileSync(join(root, ".gitignore"), ".spectral/\nintegration/\n");
  assert.equal(await containsCniProject([root]), true);
});

test("node_modules, dist, .git and .vscode are not searched", async () => {
  const root = tempDir();
  dirs(root, "node_modules/x/.spectral", "dist/.spectral", ".git/.spectral", ".vscode/.spectral");
  assert.deepEqual(await findSpectralDirectories(root), []);
  assert.equal(await containsCniProject([root]), false);
});

test("depth is limited to five levels below the folder", async () => {
  const root = tempDir();
  dirs(root, "1/2/3/4/5/.spectral", "a/b/c/d/e/f/.spectral");
  assert.deepEqual(await findSpectralDirectories(root), [join(root, "1/2/3/4/5/.spectral")]);
});

test("a missing folder finds nothing instead of failing; several roots are all searched", async () => {
  const root = tempDir();
  dirs(root, "second/.spectral");
  assert.deepEqual(await findSpectralDirectories(join(root, "absent")), []);
  assert.equal(await containsCniProject([join(root, "absent"), join(root, "second")]), true);
});
