// The worker's lint: the VS Code client's ESLint and packages (vscode-client/node_modules: emulator/node keeps no
// dev dependencies of its own) and its rules, over this CommonJS JavaScript and cnikit/node/loader.js.
// `npm run lint` here runs it from the repository root (so loader.js is inside ESLint's base path) and type-checks
// the JSDoc types with the client's TypeScript (tsconfig.json).
import { createRequire } from "node:module";

const fromClient = createRequire(new URL("../../vscode-client/package.json", import.meta.url));
const js = fromClient("@eslint/js");
const tseslint = fromClient("typescript-eslint");
// Node's CommonJS globals (the client's config has the `globals` package nowhere to borrow from).
const globals = Object.fromEntries(
  ["require", "module", "__dirname", "process", "Buffer", "URL", "Request", "Response"].map((name) => [
    name,
    "readonly",
  ]),
);

export default tseslint.config(
  { ignores: ["**/node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      sourceType: "commonjs",
      globals,
      parserOptions: { project: ["./tsconfig.json"], tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      eqeqeq: ["error", "always"],
      "no-console": "error",
      // The worker handles whatever a bundle exports and a request carries: `any` is the honest type of those
      // values (tsc still checks everything typed), so the no-unsafe-* family would only flag that fact.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // CommonJS on purpose: the worker runs as it is, without a build step.
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    // node:test's test() returns a promise the runner itself awaits (as in the client's config).
    files: ["**/test/**/*.js"],
    rules: { "@typescript-eslint/no-floating-promises": "off" },
  },
  { files: ["**/*.mjs"], ...tseslint.configs.disableTypeChecked },
);
