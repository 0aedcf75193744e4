import assert from "node:assert/strict";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { installCommand } from "../src/bootstrap";
import { isExecutableFile, missingMessage, resolveCnikit } from "../src/executable";
import { tempDir } from "./helpers";

/** A fake executable (or a plain file when `executable` is false). */
function script(path: string, executable = true): string {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, "#!/bin/sh\nexit 0\n");
  chmodSync(path, executable ? 0o755 : 0o644);
  return path;
}

const base = { envPath: "", platform: "linux" as NodeJS.Platform };

test("the setting wins over the workspace .venv and PATH", () => {
  const dir = tempDir();
  const configured = script(join(dir, "tools", "cnikit"));
  script(join(dir, "ws", ".venv", "bin", "cnikit"));
  const onPath = join(dir, "bin");
  script(join(onPath, "cnikit"));
  const found = resolveCnikit({ ...base, setting: configured, workspaceFolders: [join(dir, "ws")], envPath: onPath });
  assert.deepEqual(found, { found: true, path: configured, via: "setting", warnings: [] });
});

test("a relative setting is resolved against the workspace folder", () => {
  const dir = tempDir();
  const ws = join(dir, "ws");
  const local = script(join(ws, "bin", "cnikit"));
  const found = resolveCnikit({ ...base, setting: "bin/cnikit", workspaceFolders: [ws] });
  assert.equal(found.found && found.path, local);
});

test("a wrong setting is reported and the search goes on", () => {
  const dir = tempDir();
  const venv = script(join(dir, "ws", ".venv", "bin", "cnikit"));
  const found = resolveCnikit({ ...base, setting: join(dir, "nope"), workspaceFolders: [join(dir, "ws")] });
  assert.equal(found.found && found.path, venv);
  assert.equal(found.found && found.via, "workspace");
  assert.match(found.warnings[0], /cnikit\.cnikitPath setting points at ".*nope", which is not an executable file/);
});

test("the workspace .venv comes before PATH, and the second folder's venv is found too", () => {
  const dir = tempDir();
  const venv = script(join(dir, "b", ".venv", "bin", "cnikit"));
  script(join(dir, "bin", "cnikit"));
  const found = resolveCnikit({
    ...base,
    setting: "",
    workspaceFolders: [join(dir, "a"), join(dir, "b")],
    envPath: join(dir, "bin"),
  });
  assert.deepEqual(found, { found: true, path: venv, via: "workspace", warnings: [] });
});

test("PATH is searched in order and non-executable files are skipped", () => {
  const dir = tempDir();
  script(join(dir, "first", "cnikit"), false);
  const second = script(join(dir, "second", "cnikit"));
  const found = resolveCnikit({
    ...base,
    setting: "",
    workspaceFolders: [join(dir, "ws")],
    envPath: [join(dir, "empty"), join(dir, "first"), join(dir, "second")].join(":"),
  });
  assert.deepEqual(found, { found: true, path: second, via: "PATH", warnings: [] });
  assert.equal(isExecutableFile(join(dir, "first", "cnikit")), false);
  assert.equal(isExecutableFile(dir), false, "a directory is not an executable");
});

test("Windows looks for cnikit.exe in .venv\\Scripts", () => {
  const seen: string[] = [];
  const found = resolveCnikit({
    setting: "",
    workspaceFolders: ["/ws"],
    envPath: "/x;/y",
    platform: "win32",
    isExecutable: (path) => {
      seen.push(path);
      return false;
    },
  });
  assert.equal(found.found, false);
  assert.ok(seen.includes(join("/ws", ".venv", "Scripts", "cnikit.exe")));
  assert.ok(seen.includes(join("/y", "cnikit.exe")));
});

test("when cnikit is nowhere, the message lists where it looked and how to install it", () => {
  const dir = tempDir();
  const missing = resolveCnikit({
    ...base,
    setting: "",
    workspaceFolders: [join(dir, "ws")],
    envPath: join(dir, "bin"),
  });
  assert.equal(missing.found, false);
  assert.ok(!missing.found && missing.tried.includes(join(dir, "ws", ".venv", "bin", "cnikit")));
  const message = missingMessage(
    !missing.found ? missing.tried : [],
    installCommand("/ext/bundled/cnikit-0.1.0-py3-none-any.whl"),
  );
  assert.match(message, /cnikit was not found/);
  assert.ok(message.includes(join(dir, "ws", ".venv", "bin", "cnikit")));
  assert.ok(message.includes('.venv/bin/pip install "/ext/bundled/cnikit-0.1.0-py3-none-any.whl"'));
  assert.match(message, /cnikit\.cnikitPath/);
});
