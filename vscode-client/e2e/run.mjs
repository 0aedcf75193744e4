// `make e2e`: the packaged extension in a real VS Code workbench (code-server, see setup.sh) driven by headless
// Chromium through puppeteer-core. A throwaway profile where cnikit is on no path (so the extension installs its
// bundled wheel), copies of a fixture project and of examples/todo-sync, and through the UI only: activation,
// Problems, completion, hover, code lenses, a local run and its logs/steps, the trees, the status bar, the
// palette, the output channel and a clean extension-host log. A PNG per step goes to e2e/shots/.
// code-server and all its children are stopped by PID at the end, whatever happens.
/* global document -- the functions given to page.waitForFunction/evaluate run in the browser */
import { spawn, spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

const here = import.meta.dirname;
const client = join(here, "..");
const repo = join(client, "..");
const cache = join(here, ".cache");
const shots = join(here, "shots");
const require = createRequire(join(cache, "package.json"));
const puppeteer = require("puppeteer-core");
const entry = join(cache, "node_modules", "code-server", "out", "node", "entry.js");
const vsix = join(client, "cnikit.vsix");
const manifest = JSON.parse(readFileSync(join(client, "package.json"), "utf8"));
const PORT = 20000 + (process.pid % 20000);
const INSTALL_TIMEOUT = 300_000; // the first start pip-installs cnikit's dependencies into the private venv
const STEP_TIMEOUT = 60_000;

const tmp = mkdtempSync(join(tmpdir(), "cnikit-vscode-e2e-"));
const data = join(tmp, "data");
const config = join(tmp, "config.yaml");
const started = Date.now();
let server;
let browser;
let page;

function log(message) {
  console.log(`[e2e ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

/** A copy of a project (the workbench auto-saves edits), resolving its packages from the original install. */
function copyProject(source, target, nodeModules) {
  const skip = (path) => !/[/\\](node_modules|local)$/.test(path);
  cpSync(source, target, { recursive: true, filter: skip });
  symlinkSync(nodeModules, join(target, "..", "node_modules"), "dir");
}

// --- process hygiene: code-server's extension hosts outlive the browser, so stop them by PID -----------------
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const parent = Number(readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1].split(" ")[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    } catch {
      // exited meanwhile
    }
  }
  const all = [];
  const walk = (p) => (children.get(p) ?? []).forEach((c) => (all.push(c), walk(c)));
  walk(pid);
  return all;
}

function stopServer() {
  if (!server?.pid) return;
  const pids = [server.pid, ...descendants(server.pid)];
  for (const signal of ["SIGTERM", "SIGKILL"]) {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  }
  server = undefined;
}

async function cleanUp() {
  await browser?.close().catch(() => undefined);
  stopServer();
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void cleanUp().then(() => process.exit(1)));

// --- the workbench -------------------------------------------------------------------------------------------
function env() {
  // cnikit must be on no path: drop every PATH folder holding a cnikit, and the repo's .venv.
  const path = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((dir) => dir && !existsSync(join(dir, "cnikit")) && !dir.startsWith(join(repo, ".venv")));
  return {
    ...process.env,
    PATH: path.join(delimiter),
    VIRTUAL_ENV: "",
    XDG_CACHE_HOME: join(tmp, "cache"), // cnikit's Node side installs on first use, here
    PIP_CACHE_DIR: process.env.PIP_CACHE_DIR ?? join(process.env.HOME ?? tmp, ".cache", "pip"),
  };
}

function codeServer(args) {
  return [entry, "--config", config, "--user-data-dir", data, "--extensions-dir", join(tmp, "extensions"), ...args];
}

async function startServer(folder) {
  server = spawn(
    "node",
    codeServer(["--disable-telemetry", "--disable-update-check", "--disable-workspace-trust", folder]),
    {
      env: env(),
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const output = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`code-server did not start:\n${output.join("")}`)), STEP_TIMEOUT);
    const onData = (chunk) => {
      output.push(String(chunk));
      if (/HTTP server listening on/.test(output.join(""))) {
        clearTimeout(timer);
        resolve();
      }
    };
    server.stdout.on("data", onData);
    server.stderr.on("data", onData);
    server.on("exit", (code) => reject(new Error(`code-server exited (${code}):\n${output.join("")}`)));
  });
}

let shotNumber = 0;
async function shot(name) {
  shotNumber += 1;
  await page.screenshot({ path: join(shots, `${String(shotNumber).padStart(2, "0")}-${name}.png`) });
}

/** Waits until some element matching `selector` has text (or aria-label) matching `pattern`; returns that text. */
async function waitText(selector, pattern, timeout = STEP_TIMEOUT) {
  const handle = await page
    .waitForFunction(
      (sel, source, flags) => {
        const re = new RegExp(source, flags);
        for (const el of document.querySelectorAll(sel)) {
          const text = `${el.textContent ?? ""} ${el.getAttribute("aria-label") ?? ""}`;
          if (re.test(text)) return text;
        }
        return false;
      },
      { timeout, polling: 200 },
      selector,
      pattern.source,
      pattern.flags,
    )
    .catch(async (error) => {
      await shot(`FAILED-waiting-for-${pattern.source.replace(/[^a-zA-Z0-9]+/g, "_").slice(0, 40)}`);
      const seen = await page.evaluate(
        (sel) => [...document.querySelectorAll(sel)].map((el) => (el.textContent ?? "").slice(0, 200)),
        selector,
      );
      throw new Error(`${selector} never showed ${pattern}: ${error.message}; it showed: ${JSON.stringify(seen)}`);
    });
  return handle.jsonValue();
}

/** Waits until no element matching `selector` has text matching `pattern`. */
async function waitNoText(selector, pattern, timeout = STEP_TIMEOUT) {
  await page.waitForFunction(
    (sel, source) => ![...document.querySelectorAll(sel)].some((el) => new RegExp(source).test(el.textContent ?? "")),
    { timeout, polling: 200 },
    selector,
    pattern.source,
  );
}

async function keys(...combo) {
  for (const key of combo.slice(0, -1)) await page.keyboard.down(key);
  await page.keyboard.press(combo.at(-1));
  for (const key of combo.slice(0, -1).reverse()) await page.keyboard.up(key);
}

/**
 * A real mouse click (the workbench reacts to mouse events, not to element.click()) on the matching element, or
 * on its `inner` descendant (e.g. a tree row's twistie).
 */
async function clickText(selector, pattern, inner) {
  await waitText(selector, pattern);
  const box = await page.evaluate(
    (sel, source, flags, innerSel) => {
      const row = [...document.querySelectorAll(sel)].find((e) =>
        new RegExp(source, flags).test(`${e.textContent ?? ""} ${e.getAttribute("aria-label") ?? ""}`),
      );
      const el = innerSel ? row.querySelector(innerSel) : row;
      el.scrollIntoView({ block: "nearest" });
      const rect = el.getBoundingClientRect();
      return { x: rect.x + Math.min(rect.width / 2, 40), y: rect.y + rect.height / 2 };
    },
    selector,
    pattern.source,
    pattern.flags,
    inner,
  );
  await page.mouse.click(box.x, box.y);
}

/**
 * Clicks until `expect` shows: a tree redraws when an execution updates, and a click that lands on the row
 * being replaced is lost. Returns the text `expect` matched.
 */
async function clickUntil(selector, pattern, expectSelector, expectPattern, inner) {
  for (let attempt = 1; ; attempt += 1) {
    await clickText(selector, pattern, inner);
    try {
      return await waitText(expectSelector, expectPattern, attempt < 3 ? 10_000 : STEP_TIMEOUT);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Runs a command through the command palette (F1) by its full title. */
async function palette(title) {
  await keys("F1");
  await page.waitForSelector(".quick-input-widget input", { visible: true });
  await page.keyboard.type(title);
  // The focused row, once filtered: hidden rows of an earlier pick stay in the DOM.
  await waitText(".quick-input-list .monaco-list-row.focused", new RegExp(escape(title)));
  await page.keyboard.press("Enter");
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

async function openFile(relative) {
  await keys("Control", "p");
  await page.waitForSelector(".quick-input-widget input", { visible: true });
  await page.keyboard.type(relative);
  await waitText(".quick-input-list .monaco-list-row.focused", new RegExp(escape(relative.split("/").pop())));
  await page.keyboard.press("Enter");
  await waitText(".tab.active", new RegExp(escape(relative.split("/").pop())));
}

async function gotoLine(line) {
  await keys("Control", "g");
  await page.keyboard.type(String(line));
  await page.keyboard.press("Enter");
}

async function load(folder) {
  await page.goto(`http://127.0.0.1:${PORT}/?folder=${encodeURIComponent(folder)}`, { waitUntil: "domcontentloaded" });
  await page.waitForSelector(".monaco-workbench", { timeout: STEP_TIMEOUT });
}

// --- the scenario ------------------------------------------------------------------------------------------
async function main() {
  rmSync(shots, { recursive: true, force: true });
  mkdirSync(shots, { recursive: true });
  mkdirSync(join(data, "User"), { recursive: true });
  writeFileSync(config, `bind-addr: 127.0.0.1:${PORT}\nauth: none\ncert: false\n`);
  writeFileSync(
    join(data, "User", "settings.json"),
    JSON.stringify({
      "security.workspace.trust.enabled": false,
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "extensions.ignoreRecommendations": true,
      "telemetry.telemetryLevel": "off",
      "editor.autoClosingBrackets": "never",
      "editor.autoClosingQuotes": "never",
      "editor.quickSuggestions": { other: false, comments: false, strings: false },
      "editor.acceptSuggestionOnEnter": "off",
      "editor.suggestOnTriggerCharacters": false,
      "files.autoSave": "afterDelay",
      "files.autoSaveDelay": 100,
      "typescript.disableAutomaticTypeAcquisition": true,
    }),
  );
  const greeter = join(tmp, "projects", "greeter");
  const todo = join(tmp, "examples", "todo-sync");
  mkdirSync(join(tmp, "projects"));
  mkdirSync(join(tmp, "examples"));
  copyProject(
    join(repo, "tests", "fixtures", "lsp-run-locally"),
    greeter,
    join(repo, "tests", "fixtures", "node_modules"),
  );
  copyProject(join(repo, "examples", "todo-sync"), todo, join(repo, "examples", "todo-sync", "node_modules"));

  log(`installing ${vsix} into a throwaway profile (${tmp})`);
  const installed = spawnSync("node", codeServer(["--install-extension", vsix]), { env: env(), encoding: "utf8" });
  if (installed.status !== 0) throw new Error(`--install-extension failed: ${installed.stderr}${installed.stdout}`);
  await startServer(greeter);
  log(`code-server on 127.0.0.1:${PORT}`);
  browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
    defaultViewport: { width: 1440, height: 900 },
  });
  page = await browser.newPage();
  await load(greeter);
  await shot("workbench");

  // Activation on `.spectral`, with cnikit on no path: the bundled wheel is installed (with progress), then started.
  await waitText(
    ".notifications-toasts, .statusbar-item",
    /Installing cnikit-.*\.whl|Creating a Python environment/,
    INSTALL_TIMEOUT,
  );
  await shot("installing-bundled-cnikit");
  log("the extension is installing its bundled cnikit");
  await waitText(".statusbar-item", /Run Locally/, INSTALL_TIMEOUT);
  await waitText(".statusbar-item", /Not logged in/);
  await shot("status-bar");
  log("activated: the status bar shows the login state and the active integration");

  // Code lenses above each flow.
  await openFile("src/index.ts");
  for (const lens of [/Run locally/, /Test in Prismatic/, /\+ Payload/, /Executions/]) {
    await waitText(".codelens-decoration", lens);
  }
  await shot("code-lenses");
  log("code lenses: Run locally, Test in Prismatic, + Payload, Executions");

  // A bad configVars reference: CNI701 in the Problems panel, gone once fixed.
  await gotoLine(9);
  await keys("End");
  await keys("Enter");
  await page.keyboard.type('const probe = context.configVars["Nope"];');
  await keys("Control", "Shift", "m");
  await waitText(".part.panel", /cnikit\(?CNI701/);
  await shot("problems-cni701");
  log("Problems: cnikit(CNI701)");
  await page.click(".monaco-editor .view-lines"); // back to the editor (the cursor stays where it was)
  await gotoLine(10);
  await keys("End");
  await keys("Shift", "Home");
  await page.keyboard.type('const probe = context.configVars["Greeting"];');
  await waitNoText(".part.panel", /CNI701/);
  await shot("problems-cleared");
  log("Problems: CNI701 cleared once fixed");

  // Hover on the variable (keyboard: Ctrl+K Ctrl+I shows the hover at the cursor).
  await keys("End");
  for (let i = 0; i < 5; i += 1) await keys("ArrowLeft");
  await keys("Control", "k");
  await keys("Control", "i");
  await waitText(".monaco-hover", /Greeting/);
  await shot("hover");
  log("hover shows the config variable");
  await keys("Escape");

  // Completion inside configVars[" offers the variables.
  await keys("End");
  await keys("Enter");
  await page.keyboard.type('const other = context.configVars["');
  await keys("Control", "Space");
  await waitText(".suggest-widget .monaco-list-row", /Greeting/);
  await shot("completion");
  log("completion offers Greeting");
  await keys("Escape");
  await keys("Control", "Shift", "k"); // drop the unfinished line again

  // "Run locally" from a lens: a succeeded execution in Execution Results, whose logs and steps open.
  await clickText(".codelens-decoration a", /Run locally/);
  await waitText(".quick-input-list .monaco-list-row", /ada\.json/); // the payload to run with
  await shot("run-locally-payload-pick");
  await keys("Enter");
  const row = await waitText(".monaco-list-row", /Greet · [0-9.]+m?s · local run/);
  await shot("execution-results");
  log(`Execution Results: ${row.trim()}`);
  const logsTab = await clickUntil(
    ".monaco-list-row",
    /Greet · [0-9.]+m?s · local run/,
    ".tab.active",
    /Greet #\d+ \d\d:\d\d:\d\d/, // the number the Execution Results view shows, and the time
  );
  if (/b'|[A-Za-z0-9_-]{20,}/.test(logsTab)) throw new Error(`unreadable logs tab title: ${logsTab}`);
  await waitText(".editor-instance .view-lines", /Hello,\sAda/);
  await shot("execution-logs");
  log(`logs open as "${logsTab.trim()}"`);
  await clickUntil(
    ".monaco-list-row",
    /Greet · [0-9.]+m?s · local run/,
    ".monaco-list-row",
    /^\s*onExecution/,
    ".monaco-tl-twistie",
  );
  const stepTab = await clickUntil(".monaco-list-row", /^\s*onExecution/, ".tab.active", /onExecution/);
  if (/b'/.test(stepTab) || !/Greet/.test(stepTab)) throw new Error(`unreadable step tab title: ${stepTab}`);
  const stepText = await waitText(".editor-instance .view-lines", /greeting/);
  if (/b'/.test(stepText)) throw new Error(`step output shows bytes: ${stepText}`);
  await shot("step-output");
  log(`step output opens as "${stepTab.trim()}"`);

  // The Test Payloads tree lists the payload files.
  await waitText(".monaco-list-row", /ada\.json/);
  await shot("test-payloads");
  log("Test Payloads lists ada.json");

  // The palette lists every contributed command.
  const hidden = new Set(
    (manifest.contributes.menus.commandPalette ?? []).filter((m) => m.when === "false").map((m) => m.command),
  );
  const wanted = manifest.contributes.commands
    .filter((c) => !hidden.has(c.command))
    .map((c) => `${c.category}: ${c.title}`);
  const listed = new Set();
  for (const category of new Set(manifest.contributes.commands.map((c) => c.category))) {
    await keys("F1");
    await page.waitForSelector(".quick-input-widget input", { visible: true });
    await page.keyboard.type(`${category}: `);
    await waitText(".quick-input-list .monaco-list-row", new RegExp(`${category}: `));
    for (let page_ = 0; page_ < 4; page_ += 1) {
      // The list is virtual: collect what is drawn, page down, collect again.
      const rows = await page.$$eval(".quick-input-list .monaco-list-row", (els) =>
        els.map((el) => el.getAttribute("aria-label") ?? ""),
      );
      for (const row of rows) listed.add(row.split(",")[0].trim());
      await keys("PageDown");
    }
    await keys("Escape");
  }
  const missing = wanted.filter((title) => ![...listed].some((row) => row.startsWith(title)));
  if (missing.length > 0)
    throw new Error(`not in the palette: ${missing.join("; ")} (listed: ${[...listed].join("; ")})`);
  log("the palette lists every contributed command");

  // The output channel shows the private install and the server start.
  await palette("cnikit: Show Output");
  await waitText(".part.panel .monaco-editor .view-lines", /INFO|WARNING|Starting/);
  // The channel's full text (the view draws only its visible lines) is the file VS Code keeps for it.
  const channel = readdirSync(join(data, "logs"), { recursive: true })
    .map(String)
    .find((name) => /output_logging_.*[/\\]\d+-cnikit\.log$/.test(name));
  const text = channel ? readFileSync(join(data, "logs", channel), "utf8") : "";
  for (const line of [
    /Installing cnikit-[\d.]+-py3-none-any\.whl/,
    /Starting \S+cnikit lsp \(found via private environment/,
  ]) {
    if (!line.test(text)) throw new Error(`the cnikit output channel lacks ${line}:\n${text.slice(0, 2000)}`);
  }
  await shot("output-channel");
  log("the output channel shows the server start");

  // examples/todo-sync opened at the workspace root: the trees of a real project, without a " ." location.
  await load(todo);
  await waitText(".statusbar-item", /Todo Sync/, STEP_TIMEOUT);
  await palette("Prismatic: Focus on Integrations View");
  const integration = await waitText(".monaco-list-row", /Todo Sync/);
  if (/Todo Sync\s*\.\s*$/.test(integration.trim())) throw new Error(`root project shown with a ".": ${integration}`);
  await waitText(".monaco-list-row", /todo-created\.json/);
  await waitText(".monaco-list-row", /report\.json/);
  await shot("todo-sync-trees");
  log("todo-sync: Integrations and Test Payloads trees");

  // No error from the extension in the extension-host logs (VS Code's own, e.g. its telemetry failing offline or
  // a host shut down by the page load above, are not ours). An entry is a timestamped line and its stack lines.
  const logs = join(data, "logs");
  const hostLogs = readdirSync(logs, { recursive: true })
    .map(String)
    .filter((name) => /exthost\d*[/\\](remote)?exthost\.log$/.test(name));
  if (hostLogs.length === 0) throw new Error(`no extension-host log under ${logs}`);
  for (const name of hostLogs) {
    const entries = readFileSync(join(logs, name), "utf8").split(/\n(?=\d{4}-\d\d-\d\d )/);
    const ours = entries.filter((entry) => /\[error\]/.test(entry) && /cnikit/i.test(entry));
    if (ours.length > 0) throw new Error(`errors in ${name}:\n${ours.join("\n")}`);
  }
  log(`no error in ${hostLogs.length} extension-host log(s)`);
}

try {
  await main();
  log(`passed; screenshots in ${shots}`);
} catch (error) {
  console.error(`e2e FAILED: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
  if (process.exitCode !== 1) rmSync(tmp, { recursive: true, force: true });
  else console.error(`kept ${tmp} for inspection`);
}
