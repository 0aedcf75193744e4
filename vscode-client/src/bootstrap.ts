/**
 * The private cnikit: when cnikit is on no path, the extension installs the wheel it carries (`bundled/`, built
 * from the same checkout, same version) into a virtual environment in its global storage, with the first
 * Python >= 3.11 it finds, and starts that. Like Microsoft's Python tool extensions bundle their servers.
 *
 * Plain Node (no `vscode` import): the editor glue (progress, settings) is in client.ts.
 */

import { execFile } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const MIN_PYTHON: readonly [number, number] = [3, 11];

/** Runs a program, resolving with its stdout; rejects with the last line of its stderr. */
export type Runner = (command: string, args: string[]) => Promise<string>;

export const runProcess: Runner = (command, args) =>
  new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      const lines = String(stderr).trim().split("\n");
      reject(new Error(`${command} ${args.join(" ")}: ${lines[lines.length - 1] || error.message}`));
    });
  });

/** The wheel the extension carries (`bundled/cnikit-<version>-py3-none-any.whl`), if any. */
export function bundledWheel(extensionPath: string | undefined): string | undefined {
  if (!extensionPath) return undefined;
  const folder = join(extensionPath, "bundled");
  if (!existsSync(folder)) return undefined;
  const wheel = readdirSync(folder).find((name) => /^cnikit-.*\.whl$/.test(name));
  return wheel ? join(folder, wheel) : undefined;
}

/** The command the user can paste to install cnikit into the workspace, where the extension looks first. */
export function installCommand(wheel: string | undefined, platform: NodeJS.Platform = process.platform): string {
  const target = wheel ? `"${wheel}"` : "<path to a cnikit checkout>";
  return platform === "win32"
    ? `py -3 -m venv .venv && .venv\\Scripts\\pip install ${target}`
    : `python3 -m venv .venv && .venv/bin/pip install ${target}`;
}

/** The first candidate that is Python >= 3.11 (candidates that are missing or fail are skipped). */
export async function findPython(candidates: string[], run: Runner = runProcess): Promise<string | undefined> {
  for (const candidate of candidates.filter((c) => c.trim().length > 0)) {
    try {
      const out = await run(candidate, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"]);
      const [major, minor] = out.trim().split(".").map(Number);
      if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return candidate;
    } catch {
      // not installed, or not a Python: try the next one
    }
  }
  return undefined;
}

function venvExecutable(venv: string, name: string, platform: NodeJS.Platform): string {
  return platform === "win32" ? join(venv, "Scripts", `${name}.exe`) : join(venv, "bin", name);
}

export interface PrivateInstall {
  /** The extension's global storage folder. */
  storage: string;
  wheel: string;
  /** Python candidates in order: `python.defaultInterpreterPath`, then `python3`, then `python`. */
  pythons: string[];
  progress: (message: string) => void;
  run?: Runner;
  platform?: NodeJS.Platform;
}

/**
 * `cnikit` in the private environment, installing the bundled wheel first when the environment does not hold
 * exactly that wheel yet. Rejects with a one-line reason (no Python >= 3.11, pip failed).
 */
export async function ensurePrivateCnikit(options: PrivateInstall): Promise<string> {
  const run = options.run ?? runProcess;
  const platform = options.platform ?? process.platform;
  const venv = join(options.storage, "venv");
  const cnikit = venvExecutable(venv, "cnikit", platform);
  const stamp = join(venv, ".cnikit-wheel");
  const wheelName = options.wheel.split(/[/\\]/).pop() ?? options.wheel;
  if (existsSync(cnikit) && existsSync(stamp) && readFileSync(stamp, "utf8") === wheelName) return cnikit;

  if (!existsSync(venvExecutable(venv, "python", platform))) {
    const python = await findPython(options.pythons, run);
    if (!python) {
      throw new Error(
        `no Python ${MIN_PYTHON.join(".")} or newer was found (tried ${options.pythons.join(", ")}); ` +
          'install one, or set "python.defaultInterpreterPath"',
      );
    }
    options.progress(`Creating a Python environment with ${python}…`);
    await run(python, ["-m", "venv", venv]);
  }
  options.progress(`Installing ${wheelName} and its dependencies…`);
  await run(venvExecutable(venv, "python", platform), [
    "-m",
    "pip",
    "install",
    "--disable-pip-version-check",
    "--upgrade",
    options.wheel,
  ]);
  writeFileSync(stamp, wheelName);
  return cnikit;
}

/**
 * A warning when the server's version differs from the extension's in major or minor (they are released
 * together), with how to update; undefined when they match or the server did not say.
 */
export function versionMismatch(extension: string, server: string | undefined, update: string): string | undefined {
  if (!server) return undefined;
  const majorMinor = (version: string): string => version.split(".").slice(0, 2).join(".");
  if (majorMinor(extension) === majorMinor(server)) return undefined;
  return `cnikit ${server} is running, but this extension is ${extension}: some features may not work. Update cnikit with: ${update}`;
}
