/**
 * Finding CNI projects for activation: a walk for `.spectral` directories that, unlike `workspaceContains`,
 * does not respect .gitignore (a gitignored `.spectral` must still enable the extension — official A.5).
 */

import { readdir } from "node:fs/promises";
import { join } from "node:path";

export const SPECTRAL_DIR = ".spectral";
/** Folders never worth descending into. */
export const SKIPPED_DIRS = new Set(["node_modules", "dist", ".git", ".vscode"]);
export const MAX_DEPTH = 5;

/**
 * Every `.spectral` directory under `root`, at most `maxDepth` levels down (root entries are depth 0).
 * Unreadable folders are skipped silently; stops early once `limit` directories are found.
 */
export async function findSpectralDirectories(
  root: string,
  maxDepth: number = MAX_DEPTH,
  limit: number = Number.POSITIVE_INFINITY,
): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    if (depth > maxDepth || found.length >= limit) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (found.length >= limit) return;
      if (!entry.isDirectory()) continue;
      const path = join(dir, entry.name);
      if (entry.name === SPECTRAL_DIR) {
        found.push(path);
      } else if (!SKIPPED_DIRS.has(entry.name)) {
        await walk(path, depth + 1);
      }
    }
  };
  await walk(root, 0);
  return found;
}

/** True when any of the folders holds a CNI project. */
export async function containsCniProject(roots: string[]): Promise<boolean> {
  for (const root of roots) {
    if ((await findSpectralDirectories(root, MAX_DEPTH, 1)).length > 0) return true;
  }
  return false;
}
