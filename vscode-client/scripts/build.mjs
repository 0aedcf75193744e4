// Bundles the extension (dist/extension.js, `vscode` external) and, with --tests, every test/*.test.ts
// into out/test/ with `vscode` aliased to the in-memory mock, so node's test runner needs no VS Code.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const withTests = process.argv.includes("--tests");
const production = process.argv.includes("--production");

await build({
  entryPoints: [join(root, "src/extension.ts")],
  outfile: join(root, "dist/extension.js"),
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode"],
  sourcemap: !production,
  minify: production,
  logLevel: "warning",
});

if (withTests) {
  const testDir = join(root, "test");
  rmSync(join(root, "out"), { recursive: true, force: true });
  await build({
    entryPoints: readdirSync(testDir)
      .filter((name) => name.endsWith(".test.ts"))
      .map((name) => join(testDir, name)),
    outdir: join(root, "out/test"),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node18",
    // Everything is bundled, vscode-languageclient included, so its `require("vscode")` gets the mock too.
    alias: { vscode: join(testDir, "vscode.mock.ts") },
    sourcemap: "inline",
    logLevel: "warning",
  });
}
