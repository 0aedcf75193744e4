import assert from "node:assert/strict";
import { test } from "node:test";

import type { StatusParams } from "../src/protocol";
import { integrationItem, userItem } from "../src/status";

const loggedIn: StatusParams = {
  user: { name: "Ada Lovelace", email: "ada@example.com" },
  organization: "Acme",
  url: "https://app.prismatic.io",
  activeProject: "/ws/todo-sync",
  activeIntegration: "Todo Sync",
};

test("logged in: the organisation is shown and the tooltip has name, email and endpoint", () => {
  const item = userItem(loggedIn);
  assert.equal(item.text, "$(account) Acme");
  assert.match(item.tooltip, /Ada Lovelace/);
  assert.match(item.tooltip, /ada@example\.com/);
  assert.match(item.tooltip, /https:\/\/app\.prismatic\.io/);
  assert.equal(item.command, "cnikit.me");
  assert.equal(userItem({ ...loggedIn, organization: null }).text, "$(account) Logged in");
});

test("logged out (or no status yet): clicking starts the login", () => {
  for (const status of [null, { ...loggedIn, user: null }]) {
    const item = userItem(status);
    assert.equal(item.text, "$(account) Not logged in");
    assert.equal(item.command, "cnikit.login");
  }
});

test("the integration item shows the active integration and selects another on click", () => {
  const item = integrationItem(loggedIn, "running");
  assert.equal(item.text, "$(symbol-namespace) Todo Sync");
  assert.match(item.tooltip, /\/ws\/todo-sync/);
  assert.equal(item.command, "cnikit.integrations.select");
  assert.equal(
    integrationItem({ ...loggedIn, activeIntegration: null }, "running").text,
    "$(symbol-namespace) todo-sync",
  );
  assert.equal(
    integrationItem({ ...loggedIn, activeProject: null }, "running").text,
    "$(symbol-namespace) No integration",
  );
});

test("a missing or stopped server is visible in the status bar and one click away from a fix", () => {
  assert.equal(integrationItem(loggedIn, "missing").text, "$(warning) cnikit not found");
  assert.equal(integrationItem(loggedIn, "missing").command, "cnikit.restartServer");
  assert.equal(integrationItem(null, "stopped").command, "cnikit.restartServer");
  assert.match(integrationItem(null, "starting").text, /sync~spin/);
});
