/**
 * Finding the `cnikit` executable: the `cnikit.cnikitPath` setting, else a workspace `.venv`, else PATH.
 * Pure apart from the file checks it is given, so every branch is testable on a temporary directory.
 */

import { accessSync, constants, statSync } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

export interface ResolveInput {
  /** The `cnikit.cnikitPath` setting ("" when unset). */
  setting: string;
  /** Absolute paths of the workspace folders, in order. */
  workspaceFolders: string[];
  /** The PATH environment variable. */
  envPath: string | undefined;
  platform: NodeJS.Platform;
  /** Whether a path is an executable file (injected for tests). */
  isExecutable?: (path: string) => boolean;
}

export type Resolution =
  | { found: true; path: string; via: "setting" | "workspace" | "PATH"; warnings: string[] }
  | { found: false; tried: string[]; warnings: string[] };

/** True for an existing regular file the current user may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function venvCandidates(folder: string, platform: NodeJS.Platform): string[] {
  return platform === "win32"
    ? [join(folder, ".venv", "Scripts", "cnikit.exe")]
    : [join(folder, ".venv", "bin", "cnikit")];
}

function pathCandidates(envPath: string | undefined, platform: NodeJS.Platform): string[] {
  const names = platform === "win32" ? ["cnikit.exe", "cnikit.cmd", "cnikit"] : ["cnikit"];
  const sep = platform === "win32" ? ";" : delimiter;
  return (envPath ?? "")
    .split(sep)
    .filter((dir) => dir.length > 0)
    .flatMap((dir) => names.map((name) => join(dir, name)));
}

/** Where `cnikit` is, or everything that was looked at when it is nowhere. */
export function resolveCnikit(input: ResolveInput): Resolution {
  const check = input.isExecutable ?? isExecutableFile;
  const warnings: string[] = [];
  const tried: string[] = [];
  const setting = input.setting.trim();
  if (setting.length > 0) {
    const candidates = isAbsolute(setting) ? [setting] : input.workspaceFolders.map((folder) => join(folder, setting));
    for (const candidate of candidates) {
      if (check(candidate)) return { found: true, path: candidate, via: "setting", warnings };
      tried.push(candidate);
    }
    warnings.push(
      `The cnikit.cnikitPath setting points at "${setting}", which is not an executable file; ` +
        "looking in the workspace .venv and on PATH instead.",
    );
  }
  for (const folder of input.workspaceFolders) {
    for (const candidate of venvCandidates(folder, input.platform)) {
      if (check(candidate)) return { found: true, path: candidate, via: "workspace", warnings };
      tried.push(candidate);
    }
  }
  for (const candidate of pathCandidates(input.envPath, input.platform)) {
    if (check(candidate)) return { found: true, path: candidate, via: "PATH", warnings };
  }
  tried.push("every folder on PATH");
  return { found: false, tried, warnings };
}

/** The message shown when cnikit cannot be found: what was looked at and how to fix it. */
export function missingMessage(tried: string[], install: string, reason?: string): string {
  return (
    "cnikit was not found, so Prismatic diagnostics and commands are unavailable. " +
    `Looked at: ${tried.join(", ")}. ` +
    (reason ? `Installing the bundled cnikit failed: ${reason}. ` : "") +
    `Install it (Python 3.11+) into the workspace with "${install}", or put it on PATH, ` +
    `or set "cnikit.cnikitPath" to the cnikit executable.`
  );
}
