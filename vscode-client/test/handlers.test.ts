import assert from "node:assert/strict";
import { test } from "node:test";

import { Handlers, type Host, type InputOptions, type PickItem, type ServerApi, type Ui } from "../src/handlers";
import type { StatusParams } from "../src/protocol";
import { flowNodes, integrationNodes, executionNodes } from "../src/trees";
import { parseLogsQuery } from "../src/uris";
import { NOW, execution, flow } from "./helpers";

/** A value, an Error (rejects), or a function of the arguments. */
type Answer = unknown;

/**
 * A scripted editor: `picks` and `inputs` answer prompts in order (a function picks by label), `buttons` answers
 * messages with actions. Everything shown is recorded.
 */
class ScriptedUi implements Ui {
  shown: string[] = [];
  pickPrompts: { placeholder: string; labels: string[] }[] = [];
  inputPrompts: InputOptions[] = [];
  opened: string[] = [];
  terminals: { name: string; shellPath: string; shellArgs: string[]; cwd: string | undefined }[] = [];
  logs: string[] = [];
  focused = 0;

  constructor(
    private readonly picks: (string | undefined)[] = [],
    private readonly inputs: (string | undefined)[] = [],
    private readonly buttons: (string | undefined)[] = [],
  ) {}

  private message(kind: string, message: string): Promise<string | undefined> {
    this.shown.push(`${kind}: ${message}`);
    return Promise.resolve(this.buttons.shift());
  }
  info(message: string): Promise<string | undefined> {
    return this.message("info", message);
  }
  warn(message: string): Promise<string | undefined> {
    return this.message("warn", message);
  }
  error(message: string): Promise<string | undefined> {
    return this.message("error", message);
  }
  pick<T>(items: PickItem<T>[], placeholder: string): Promise<T | undefined> {
    this.pickPrompts.push({ placeholder, labels: items.map((i) => i.label) });
    const label = this.picks.shift();
    return Promise.resolve(items.find((item) => item.label === label)?.value);
  }
  input(options: InputOptions): Promise<string | undefined> {
    this.inputPrompts.push(options);
    return Promise.resolve(this.inputs.shift());
  }
  openExternal(url: string): Promise<void> {
    this.opened.push(`external ${url}`);
    return Promise.resolve();
  }
  openFile(path: string): Promise<void> {
    this.opened.push(`file ${path}`);
    return Promise.resolve();
  }
  openDocument(uri: string, language?: string): Promise<void> {
    this.opened.push(`document ${uri} as ${language}`);
    return Promise.resolve();
  }
  runInTerminal(name: string, spec: { shellPath: string; shellArgs: string[] }, cwd: string | undefined): void {
    this.terminals.push({ name, ...spec, cwd });
  }
  focusExecutionResults(): Promise<void> {
    this.focused += 1;
    return Promise.resolve();
  }
  revealInExplorer(path: string): Promise<void> {
    this.opened.push(`reveal ${path}`);
    return Promise.resolve();
  }
  copy(text: string): Promise<void> {
    this.opened.push(`clipboard ${text}`);
    return Promise.resolve();
  }
  log(line: string): void {
    this.logs.push(line);
  }
  showOutput(): void {
    this.logs.push("<output shown>");
  }
}

/** A server answering from a table (an Error rejects, as an LSP error would); records calls. */
class FakeServer implements ServerApi {
  calls: [string, Record<string, unknown> | undefined][] = [];
  constructor(private readonly answers: Record<string, Answer>) {}
  execute<T>(command: string, args?: object): Promise<T> {
    const record = args as Record<string, unknown> | undefined;
    this.calls.push([command, record]);
    const answer = this.answers[command];
    const value = typeof answer === "function" ? (answer as (a: typeof record) => unknown)(record) : answer;
    if (value === undefined) return Promise.reject(new Error(`unexpected server command ${command}`));
    return value instanceof Error ? Promise.reject(value) : Promise.resolve(value as T);
  }
  called(command: string): Record<string, unknown> | undefined {
    return this.calls.find(([c]) => c === command)?.[1];
  }
}

const STATUS: StatusParams = {
  user: null,
  organization: null,
  url: "https://app.prismatic.io",
  activeProject: "/ws/todo",
  activeIntegration: "todo",
};

function setup(answers: Record<string, Answer>, ui: ScriptedUi, status: StatusParams | null = STATUS) {
  const server = new FakeServer(answers);
  const refreshed: string[] = [];
  const host: Host = {
    status: () => status,
    cnikitPath: () => "/ws/.venv/bin/cnikit",
    workspaceFolders: () => ["/ws"],
    prismaticUrlSetting: () => "",
    refresh: (view) => refreshed.push(view),
    setLocalServerRunning: (running) => refreshed.push(`local-server ${running}`),
    restartServer: () => Promise.resolve(),
  };
  const handlers = new Handlers(server, ui, host);
  const run = (id: keyof ReturnType<Handlers["table"]>, arg?: unknown) =>
    handlers.guard(id, () => handlers.table()[id](arg));
  return { server, handlers, refreshed, run };
}

const FLOWS = [flow("sync-todos", ["empty", "big"], "Sync Todos"), flow("nightly", [], "Nightly")];

test("Run Flow Locally from the palette: pick a flow, pick a payload, run, and watch the results", async () => {
  const ui = new ScriptedUi(["Sync Todos", "big.json"]);
  const { server, refreshed, run } = setup(
    {
      "cnikit.server.listFlows": FLOWS,
      "cnikit.server.runLocally": { executionId: "e1", status: "succeeded" },
    },
    ui,
  );
  await run("cnikit.runLocally");
  assert.deepEqual(ui.pickPrompts, [
    { placeholder: "Select a flow to run locally", labels: ["Sync Todos", "Nightly"] },
    { placeholder: "Select a payload file to use for testing", labels: ["empty.json", "big.json", "No Payload"] },
  ]);
  assert.deepEqual(server.called("cnikit.server.runLocally"), {
    flow: "sync-todos",
    payload: "/ws/todo/.spectral/flows/sync-todos/payloads/big.json",
  });
  assert.equal(ui.focused, 1);
  assert.deepEqual(refreshed, ["executions"]);
  assert.deepEqual(ui.shown, [], "a successful run needs no notification");
});

test("Escape on the payload pick cancels the run (the official extension would run without one)", async () => {
  const ui = new ScriptedUi(["Sync Todos", undefined]);
  const { server, run } = setup({ "cnikit.server.listFlows": FLOWS }, ui);
  await run("cnikit.runLocally");
  assert.equal(server.called("cnikit.server.runLocally"), undefined);
  assert.deepEqual(ui.shown, []);
});

test("'No Payload' runs with the trigger's default payload; a flow without payload files asks nothing", async () => {
  const ui = new ScriptedUi(["Sync Todos", "No Payload", "Nightly"]);
  const { server, run } = setup(
    { "cnikit.server.listFlows": FLOWS, "cnikit.server.runLocally": { executionId: "e", status: "succeeded" } },
    ui,
  );
  await run("cnikit.runLocally");
  await run("cnikit.runLocally");
  const runs = server.calls.filter(([c]) => c === "cnikit.server.runLocally").map(([, a]) => a);
  assert.deepEqual(runs, [{ flow: "sync-todos" }, { flow: "nightly" }]);
  assert.equal(ui.pickPrompts.length, 3);
});

test("a failed local run says so and offers its logs", async () => {
  const ui = new ScriptedUi(["Nightly"], [], ["Show Logs"]);
  const { run } = setup(
    { "cnikit.server.listFlows": FLOWS, "cnikit.server.runLocally": { executionId: "e9", status: "failed" } },
    ui,
  );
  await run("cnikit.runLocally");
  assert.deepEqual(ui.shown, ['error: Flow "Nightly" failed when run locally.']);
  assert.equal(ui.opened.length, 1);
  const [, uri, , language] = ui.opened[0].split(" ");
  assert.equal(language, "cnikit-log");
  assert.deepEqual(parseLogsQuery(uri.split("?")[1]), { project: "/ws/todo", executionId: "e9", source: "local" });
});

test("a local run that fails later (the server answers 'running' first) is reported once, with its error", async () => {
  const ui = new ScriptedUi(["Nightly"]);
  const { handlers, run } = setup(
    { "cnikit.server.listFlows": FLOWS, "cnikit.server.runLocally": { executionId: "e7", status: "running" } },
    ui,
  );
  await run("cnikit.runLocally");
  assert.deepEqual(ui.shown, []);
  await handlers.onExecutionUpdated(execution({ id: "other", status: "failed" }));
  await handlers.onExecutionUpdated(execution({ id: "e7", status: "running", endedAt: null }));
  assert.deepEqual(ui.shown, [], "neither someone else's execution nor progress is a failure");
  await handlers.onExecutionUpdated(
    execution({ id: "e7", status: "failed", error: "TypeError: x is undefined\n  at perform" }),
  );
  await handlers.onExecutionUpdated(execution({ id: "e7", status: "failed", error: "again" }));
  assert.deepEqual(ui.shown, ['error: Flow "Nightly" failed when run locally: TypeError: x is undefined']);
});

test("the inline Run button of a payload item runs that flow with that payload, no questions asked", async () => {
  const ui = new ScriptedUi();
  const { server, run } = setup(
    { "cnikit.server.listFlows": FLOWS, "cnikit.server.runLocally": { executionId: "e", status: "succeeded" } },
    ui,
  );
  const [syncNode] = flowNodes(FLOWS, "/ws/todo");
  await run("cnikit.runLocally", syncNode.children[0]);
  assert.deepEqual(server.called("cnikit.server.runLocally"), {
    project: "/ws/todo",
    flow: "sync-todos",
    payload: "/ws/todo/.spectral/flows/sync-todos/payloads/empty.json",
  });
  assert.deepEqual(ui.pickPrompts, []);
});

test("Test Integration with no flows says so; an unknown flow names the known ones", async () => {
  const ui = new ScriptedUi();
  const { run } = setup({ "cnikit.server.listFlows": [] }, ui);
  await run("cnikit.integrations.test");
  assert.deepEqual(ui.shown, ["error: No flows available for this integration."]);
  const ui2 = new ScriptedUi();
  const second = setup({ "cnikit.server.listFlows": FLOWS }, ui2);
  await second.run("cnikit.integrations.test", { project: "/ws/todo", flow: "missing" });
  assert.deepEqual(ui2.shown, [
    'error: Flow "missing" was not found in this integration (its flows: sync-todos, nightly).',
  ]);
});

test("Test Integration sends the flow and payload to Prismatic and shows the server's reason on failure", async () => {
  const ui = new ScriptedUi(["Sync Todos", "empty.json"]);
  const { server, run } = setup(
    {
      "cnikit.server.listFlows": FLOWS,
      "cnikit.server.testIntegration": new Error("User is not logged in. Please login first."),
    },
    ui,
  );
  await run("cnikit.integrations.test");
  assert.equal(server.called("cnikit.server.testIntegration")?.flow, "sync-todos");
  assert.deepEqual(ui.shown, ["error: User is not logged in. Please login first."]);
  assert.match(ui.logs[0], /cnikit.integrations.test failed: User is not logged in/);
});

test("only one cloud test runs at a time", async () => {
  const ui = new ScriptedUi();
  let release: (value: unknown) => void = () => undefined;
  const { run } = setup(
    {
      "cnikit.server.listFlows": FLOWS,
      "cnikit.server.testIntegration": () => new Promise((resolve) => (release = resolve)),
    },
    ui,
  );
  const first = run("cnikit.integrations.test", { flow: "nightly" });
  await new Promise((resolve) => setImmediate(resolve));
  await run("cnikit.integrations.test", { flow: "nightly" });
  assert.deepEqual(ui.shown, ["warn: A flow test is already running; wait for it to finish."]);
  release({ executionId: "c1" });
  await first;
  assert.deepEqual(ui.shown.slice(1), ["info: Integration flow test started in Prismatic (execution c1)."]);
});

test("Create Flow Payload validates the name, asks before overwriting, then opens the new file", async () => {
  const ui = new ScriptedUi(["Sync Todos"], ["big"], ["Yes"]);
  const { server, refreshed, run } = setup(
    {
      "cnikit.server.listFlows": FLOWS,
      "cnikit.server.createFlowPayload": { path: "/ws/todo/.spectral/flows/sync-todos/payloads/big.json" },
    },
    ui,
  );
  await run("cnikit.flows.createPayload");
  const validate = ui.inputPrompts[0].validate;
  assert.equal(validate(""), "Payload name is required");
  assert.equal(validate("bad name!"), "Payload name can only contain letters, numbers, hyphens, and underscores");
  assert.equal(validate("good_name-2"), undefined);
  assert.deepEqual(server.called("cnikit.server.createFlowPayload"), {
    stableKey: "sync-todos",
    name: "big",
    overwrite: true,
  });
  assert.deepEqual(ui.shown, [
    'warn: Payload file "big.json" already exists. Do you want to overwrite it?',
    "info: Payload created successfully for flow: Sync Todos",
  ]);
  assert.deepEqual(ui.opened, ["file /ws/todo/.spectral/flows/sync-todos/payloads/big.json"]);
  assert.deepEqual(refreshed, ["flows"]);
});

test("declining to overwrite a payload file changes nothing", async () => {
  const ui = new ScriptedUi([], ["empty"], ["No"]);
  const { server, run } = setup({ "cnikit.server.listFlows": FLOWS }, ui);
  await run("cnikit.flows.createPayload", { project: "/ws/todo", stableKey: "sync-todos" });
  assert.equal(server.called("cnikit.server.createFlowPayload"), undefined);
});

test("a '+ Payload' code lens asks for the name in VS Code; one with a name goes to the server as is", async () => {
  const ui = new ScriptedUi([], ["fresh"]);
  const { server, handlers } = setup(
    { "cnikit.server.listFlows": FLOWS, "cnikit.server.createFlowPayload": { path: "/p/fresh.json" } },
    ui,
  );
  const lens = handlers.interceptLens("cnikit.server.createFlowPayload", { project: "/ws/todo", stableKey: "nightly" });
  assert.ok(lens);
  await lens();
  assert.deepEqual(server.called("cnikit.server.createFlowPayload"), {
    project: "/ws/todo",
    stableKey: "nightly",
    name: "fresh",
    overwrite: false,
  });
  assert.equal(handlers.interceptLens("cnikit.server.createFlowPayload", { stableKey: "x", name: "n" }), undefined);
  assert.equal(handlers.interceptLens("cnikit.server.listFlows", {}), undefined);
});

test("the 'Executions (n)' lens focuses the Execution Results view", async () => {
  const ui = new ScriptedUi();
  const { handlers } = setup({}, ui);
  await handlers.interceptLens("cnikit.server.executionResults", { project: "/ws/todo" })?.();
  assert.equal(ui.focused, 1);
});

test("Config Wizard opens cnikit's TUI screen in a terminal, with the resolved cnikit", async () => {
  const ui = new ScriptedUi();
  const { server, run } = setup(
    {
      "cnikit.server.configWizard": (args: Record<string, unknown> | undefined) => ({
        command: ["cnikit", "tui", "--screen", "wizard", String(args?.project)],
      }),
    },
    ui,
  );
  await run("cnikit.configWizard");
  assert.deepEqual(server.called("cnikit.server.configWizard"), { project: "/ws/todo" });
  assert.deepEqual(ui.terminals, [
    {
      name: "cnikit: Config Wizard",
      shellPath: "/ws/.venv/bin/cnikit",
      shellArgs: ["tui", "--screen", "wizard", "/ws/todo"],
      cwd: "/ws/todo",
    },
  ]);
});

test("Select Integration picks among the workspace's projects and reports the switch", async () => {
  const projects = [
    { project: "/ws/a", name: "a", active: true, integrationId: null },
    { project: "/ws/b", name: "b", active: false, integrationId: null },
  ];
  const ui = new ScriptedUi(["b"]);
  const { server, refreshed, run } = setup(
    { "cnikit.server.listProjects": projects, "cnikit.server.selectIntegration": { project: "/ws/b", name: "b" } },
    ui,
  );
  await run("cnikit.integrations.select");
  assert.deepEqual(ui.pickPrompts, [{ placeholder: "Select an integration to switch to", labels: ["a", "b"] }]);
  assert.deepEqual(server.called("cnikit.server.selectIntegration"), { project: "/ws/b" });
  assert.deepEqual(ui.shown, ["info: Switched to: b"]);
  assert.deepEqual(refreshed, ["integrations", "flows", "executions"]);
  // Clicking an item selects it directly.
  await run("cnikit.integrations.select", integrationNodes(projects, ["/ws"])[0].command?.arguments?.[0]);
  assert.deepEqual(server.calls.at(-1), ["cnikit.server.selectIntegration", { project: "/ws/a" }]);
});

test("Select Integration in a workspace without projects warns instead of showing an empty pick", async () => {
  const ui = new ScriptedUi();
  const { run } = setup({ "cnikit.server.listProjects": [] }, ui);
  await run("cnikit.integrations.select");
  assert.deepEqual(ui.shown, ["error: No integrations found in workspace."]);
  assert.deepEqual(ui.pickPrompts, []);
});

test("Login opens the authorize URL and says 'Login complete!' when the status reports the user", async () => {
  const ui = new ScriptedUi();
  const { handlers, run } = setup(
    { "cnikit.server.login": { authorizeUrl: "https://auth.example/authorize?x=1" } },
    ui,
  );
  await run("cnikit.login");
  assert.deepEqual(ui.opened, ["external https://auth.example/authorize?x=1"]);
  await handlers.onStatus({ ...STATUS, user: null });
  assert.deepEqual(ui.shown, []);
  await handlers.onStatus({ ...STATUS, user: { name: "Ada", email: "ada@example.com" } });
  await handlers.onStatus({ ...STATUS, user: { name: "Ada", email: "ada@example.com" } });
  assert.deepEqual(ui.shown, ["info: Login complete!"], "said once");
});

test("Me writes name, email, organisation and endpoint to the output", async () => {
  const ui = new ScriptedUi();
  const { run } = setup(
    {
      "cnikit.server.me": {
        name: "Ada",
        email: "ada@example.com",
        organization: "Acme",
        url: "https://app.prismatic.io",
      },
    },
    ui,
  );
  await run("cnikit.me");
  assert.deepEqual(ui.logs, [
    "<output shown>",
    "Name: Ada",
    "Email: ada@example.com",
    "Organization: Acme",
    "Endpoint URL: https://app.prismatic.io",
  ]);
});

test("Prismatic URL refuses an invalid URL, ignores an unchanged one and offers to log in to a new one", async () => {
  const ui = new ScriptedUi([], ["https://app.prismatic.io/", "https://eu.prismatic.io"], ["Login"]);
  const { server, run } = setup(
    {
      "cnikit.server.prismaticUrl": { url: "https://eu.prismatic.io" },
      "cnikit.server.login": { authorizeUrl: "https://auth/x" },
    },
    ui,
  );
  await run("cnikit.prismaticUrl");
  const validate = ui.inputPrompts[0].validate;
  assert.equal(ui.inputPrompts[0].value, "https://app.prismatic.io");
  assert.equal(validate("not a url"), "Please enter a valid URL");
  assert.equal(validate("ftp://x"), "Please enter a valid URL");
  assert.equal(validate("https://eu.prismatic.io"), undefined);
  assert.equal(server.calls.length, 0, "unchanged URL: nothing sent");
  await run("cnikit.prismaticUrl");
  assert.deepEqual(server.called("cnikit.server.prismaticUrl"), { url: "https://eu.prismatic.io" });
  assert.deepEqual(ui.shown, ["info: Prismatic URL updated successfully!"]);
  assert.deepEqual(ui.opened, ["external https://auth/x"]);
});

test("Import reports the new integration id; without an active integration the server's reason is shown", async () => {
  const ui = new ScriptedUi();
  const { refreshed, run } = setup({ "cnikit.server.importIntegration": { integrationId: "SW50ZWc=" } }, ui);
  await run("cnikit.integrations.import");
  assert.deepEqual(ui.shown, ["info: Integration imported successfully! ID: SW50ZWc="]);
  assert.deepEqual(refreshed, ["integrations"]);
  const ui2 = new ScriptedUi();
  const second = setup(
    {
      "cnikit.server.importIntegration": new Error(
        "No CNI project in this workspace (a folder with .spectral/ within 5 levels)",
      ),
    },
    ui2,
    { ...STATUS, activeProject: null },
  );
  await second.run("cnikit.integrations.import");
  assert.deepEqual(second.server.calls, [["cnikit.server.importIntegration", {}]]);
  assert.deepEqual(ui2.shown, ["error: No CNI project in this workspace (a folder with .spectral/ within 5 levels)"]);
});

test("Refresh Token says when the new token expires (or just that it was refreshed)", async () => {
  const ui = new ScriptedUi();
  let expiresAt: string | null = "2026-11-29T13:00:00Z";
  const { run } = setup({ "cnikit.server.refreshToken": () => ({ expiresAt }) }, ui);
  await run("cnikit.refreshToken");
  expiresAt = null;
  await run("cnikit.refreshToken");
  assert.deepEqual(ui.shown, [
    `info: Token refreshed; it now expires at ${new Date("2026-11-29T13:00:00Z").toLocaleString()}.`,
    "info: Token refreshed.",
  ]);
});

test("Open Integration in Browser opens the designer URL the server gives", async () => {
  const ui = new ScriptedUi();
  const { run } = setup({ "cnikit.server.openInBrowser": { url: "https://app.prismatic.io/designer/SW50/" } }, ui);
  await run("cnikit.integrations.openInBrowser");
  assert.deepEqual(ui.opened, ["external https://app.prismatic.io/designer/SW50/"]);
});

test("Replay from an execution item replays that execution; cloud executions are refused", async () => {
  const ui = new ScriptedUi();
  const { server, run } = setup({ "cnikit.server.replayExecution": { executionId: "r1", status: "running" } }, ui);
  const [local, cloud] = executionNodes(
    [execution({ id: "l1" }), execution({ id: "c1", source: "cloud" })],
    "/ws/todo",
    NOW,
  );
  await run("cnikit.replayExecution", local);
  assert.deepEqual(server.called("cnikit.server.replayExecution"), { project: "/ws/todo", executionId: "l1" });
  await run("cnikit.replayExecution", cloud);
  assert.deepEqual(ui.shown, ["error: Only local executions can be replayed."]);
});

test("Replay from the palette lists local executions; with none it explains how to get one", async () => {
  const ui = new ScriptedUi(["Sync Todos · #1 · 5m ago"]);
  const { server, run } = setup(
    {
      "cnikit.server.listExecutions": [
        execution({ id: "l1", startedAt: new Date(Date.now() - 5 * 60_000).toISOString() }),
      ],
      "cnikit.server.replayExecution": { executionId: "r1", status: "running" },
    },
    ui,
  );
  await run("cnikit.replayExecution");
  assert.deepEqual(server.calls[0], ["cnikit.server.listExecutions", { source: "local", limit: 50 }]);
  assert.deepEqual(server.called("cnikit.server.replayExecution"), { project: "/ws/todo", executionId: "l1" });
  const ui2 = new ScriptedUi();
  await setup({ "cnikit.server.listExecutions": [] }, ui2).run("cnikit.replayExecution");
  assert.deepEqual(ui2.shown, ["error: There is no local execution to replay yet: run a flow locally first."]);
});

test("Start/Stop Local Server report the URL and the outcome", async () => {
  const ui = new ScriptedUi([], [], ["Copy URL"]);
  const { refreshed, run } = setup(
    { "cnikit.server.startServer": { url: "http://127.0.0.1:8787" }, "cnikit.server.stopServer": { stopped: true } },
    ui,
  );
  await run("cnikit.startServer");
  await run("cnikit.stopServer");
  assert.deepEqual(ui.shown, ["info: Local server listening on http://127.0.0.1:8787", "info: Local server stopped."]);
  assert.deepEqual(ui.opened, ["clipboard http://127.0.0.1:8787"]);
  assert.deepEqual(refreshed, ["local-server true", "local-server false"]);
});

test("clicking an execution opens its logs; clicking a step opens its output as JSON", async () => {
  const ui = new ScriptedUi();
  const { run } = setup({}, ui);
  const [node] = executionNodes([execution({ id: "x/1" })], "/ws/todo", NOW);
  await run("cnikit.executionResults.openLogs", node.command?.arguments?.[0]);
  await run("cnikit.executionResults.openStep", node.children[1].command?.arguments?.[0]);
  // Tabs: the flow and the execution's short number (`#1`, as the Execution Results view shows it) and its time.
  assert.match(ui.opened[0], /^document cnikit-logs:\/Sync%20Todos%20%231%20[\d%A]+\.log\?\S+ as cnikit-log$/);
  assert.match(
    ui.opened[1],
    /^document cnikit-step:\/Sync%20Todos%20%231%20[\d%A]+\/onExecution%20%C2%B7%20Sync%20Todos/,
  );
  await run("cnikit.executionResults.openStep", {});
  assert.match(ui.shown[0], /needs a step/);
});

test("Switch Tenant lists the tenants from the server, marks the current one, and switches to the pick", async () => {
  const tenants = [
    {
      tenantId: "t-acme",
      orgName: "Acme Corp",
      url: "https://app.prismatic.io",
      awsRegion: "us-east-2",
      current: true,
    },
    {
      tenantId: "t-beta",
      orgName: "Beta Ltd",
      url: "https://app.prismatic.io",
      awsRegion: "eu-west-1",
      current: false,
    },
  ];
  const ui = new ScriptedUi(["Beta Ltd", undefined]);
  const { server, run } = setup(
    {
      "cnikit.server.switchTenant": (args?: Record<string, unknown>) =>
        args?.tenantId ? { message: `Switched to ${args.tenantId as string}` } : { tenants },
    },
    ui,
  );
  await run("cnikit.switchTenant");
  assert.deepEqual(ui.pickPrompts, [{ placeholder: "Prismatic Tenant Selection", labels: ["Acme Corp", "Beta Ltd"] }]);
  assert.deepEqual(server.calls.at(-1), ["cnikit.server.switchTenant", { tenantId: "t-beta" }]);
  assert.deepEqual(ui.shown, ["info: Switched to t-beta"]);
  await run("cnikit.switchTenant"); // cancelled pick: nothing switches, nothing is said
  assert.equal(server.calls.filter(([, args]) => args?.tenantId).length, 1);
  assert.equal(ui.shown.length, 1);
});

test("Switch Tenant with one tenant says so; Refresh Integration Details re-reads and redraws", async () => {
  const ui = new ScriptedUi();
  const { server, refreshed, run } = setup(
    {
      "cnikit.server.switchTenant": { message: "Only one tenant available to your account." },
      "cnikit.server.refreshIntegrationDetails": { configState: "FULLY_CONFIGURED", flows: ["Sync Todos"] },
    },
    ui,
  );
  await run("cnikit.switchTenant");
  assert.deepEqual(ui.shown, ["info: Only one tenant available to your account."]);
  await run("cnikit.integrationDetails.refresh");
  assert.deepEqual(server.called("cnikit.server.refreshIntegrationDetails"), { project: "/ws/todo" });
  assert.deepEqual(refreshed, ["integrations", "flows"]);
  assert.match(ui.logs.at(-1) ?? "", /FULLY_CONFIGURED, flows: Sync Todos/);
});
