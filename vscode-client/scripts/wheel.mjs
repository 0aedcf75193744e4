// Builds the cnikit wheel the extension carries (bundled/cnikit-<version>-py3-none-any.whl) from this checkout,
// with the checkout's .venv Python (or $PYTHON), so the .vsix can install its own server (src/bootstrap.ts).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const repo = join(root, "..");
const venvPython = join(repo, ".venv", "bin", "python");
const python = process.env.PYTHON ?? (existsSync(venvPython) ? venvPython : "python3");
const out = join(root, "bundled");
rmSync(out, { recursive: true, force: true });
mkdirSync(out);
execFileSync(python, ["-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, repo], { stdio: "inherit" });
rmSync(join(repo, "build"), { recursive: true, force: true }); // setuptools' in-tree scratch folder
const wheels = readdirSync(out).filter((name) => name.endsWith(".whl"));
if (wheels.length !== 1) throw new Error(`expected one wheel in ${out}, found: ${wheels.join(", ") || "none"}`);
console.log(`bundled ${wheels[0]}`);
