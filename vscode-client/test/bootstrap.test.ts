import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import {
  bundledWheel,
  ensurePrivateCnikit,
  findPython,
  installCommand,
  versionMismatch,
  type Runner,
} from "../src/bootstrap";
import { tempDir } from "./helpers";

const WHEEL = "cnikit-0.1.0-py3-none-any.whl";

/** A fake runner that answers `python -c` with a version, and makes `-m venv` / `pip install` create files. */
function fakeRunner(versions: Record<string, string>, calls: string[][]): Runner {
  return (command, args) => {
    calls.push([command, ...args]);
    if (args[0] === "-c") {
      const version = versions[command];
      return version ? Promise.resolve(`${version}\n`) : Promise.reject(new Error(`${command}: not found`));
    }
    if (args[0] === "-m" && args[1] === "venv") {
      mkdirSync(join(args[2], "bin"), { recursive: true });
      writeFileSync(join(args[2], "bin", "python"), "");
    }
    if (args[1] === "pip") writeFileSync(join(command, "..", "cnikit"), "");
    return Promise.resolve("");
  };
}

test("the first Python >= 3.11 is chosen; missing and older ones are skipped", async () => {
  const run = fakeRunner({ "/old/python": "3.10", python3: "3.12" }, []);
  assert.equal(await findPython(["", "/missing/python", "/old/python", "python3", "python"], run), "python3");
  assert.equal(await findPython(["/old/python"], run), undefined);
});

test("the private environment is created once, with the bundled wheel, and reused while the wheel is the same", async () => {
  const storage = tempDir();
  const calls: string[][] = [];
  const progress: string[] = [];
  const options = {
    storage,
    wheel: `/ext/bundled/${WHEEL}`,
    pythons: ["python3"],
    progress: (message: string) => progress.push(message),
    run: fakeRunner({ python3: "3.11" }, calls),
    platform: "linux" as const,
  };
  const cnikit = await ensurePrivateCnikit(options);
  assert.equal(cnikit, join(storage, "venv", "bin", "cnikit"));
  assert.deepEqual(calls.slice(1), [
    ["python3", "-m", "venv", join(storage, "venv")],
    [
      join(storage, "venv", "bin", "python"),
      "-m",
      "pip",
      "install",
      "--disable-pip-version-check",
      "--upgrade",
      options.wheel,
    ],
  ]);
  assert.deepEqual(progress, [
    "Creating a Python environment with python3…",
    `Installing ${WHEEL} and its dependencies…`,
  ]);
  assert.equal(readFileSync(join(storage, "venv", ".cnikit-wheel"), "utf8"), WHEEL);

  calls.length = 0;
  assert.equal(await ensurePrivateCnikit(options), cnikit);
  assert.deepEqual(calls, [], "nothing runs when the environment holds this wheel");

  const next = { ...options, wheel: "/ext/bundled/cnikit-0.2.0-py3-none-any.whl" };
  await ensurePrivateCnikit(next);
  assert.deepEqual(
    calls.map((call: string[]) => call.slice(1, 4)),
    [["-m", "pip", "install"]],
    "a new wheel upgrades the environment in place",
  );
});

test("without Python 3.11+ the reason names what was tried and the setting to use", async () => {
  await assert.rejects(
    ensurePrivateCnikit({
      storage: tempDir(),
      wheel: `/ext/bundled/${WHEEL}`,
      pythons: ["", "python3", "python"],
      progress: () => undefined,
      run: fakeRunner({ python3: "3.9" }, []),
    }),
    /no Python 3\.11 or newer was found \(tried , python3, python\); install one, or set "python\.defaultInterpreterPath"/,
  );
});

test("the bundled wheel is found in the extension's bundled/ folder", () => {
  const extension = tempDir();
  assert.equal(bundledWheel(extension), undefined);
  assert.equal(bundledWheel(undefined), undefined);
  mkdirSync(join(extension, "bundled"));
  writeFileSync(join(extension, "bundled", WHEEL), "");
  assert.equal(bundledWheel(extension), join(extension, "bundled", WHEEL));
});

test("the install command installs the bundled wheel into the workspace .venv, where the extension looks", () => {
  assert.equal(
    installCommand(`/ext/bundled/${WHEEL}`, "linux"),
    `python3 -m venv .venv && .venv/bin/pip install "/ext/bundled/${WHEEL}"`,
  );
  assert.equal(
    installCommand("C:\\ext\\w.whl", "win32"),
    'py -3 -m venv .venv && .venv\\Scripts\\pip install "C:\\ext\\w.whl"',
  );
});

test("a different major or minor version is reported with how to update; a patch difference is not", () => {
  assert.equal(versionMismatch("0.1.0", "0.1.7", "x"), undefined);
  assert.equal(versionMismatch("0.1.0", undefined, "x"), undefined);
  assert.equal(
    versionMismatch("0.2.0", "0.1.0", "pip install -U cnikit.whl"),
    "cnikit 0.1.0 is running, but this extension is 0.2.0: some features may not work. Update cnikit with: pip install -U cnikit.whl",
  );
});
