import assert from "node:assert/strict";
import { test } from "node:test";

import { terminalSpec } from "../src/terminal";

test("a bare cnikit runs the executable the client resolved", () => {
  assert.deepEqual(terminalSpec(["cnikit", "tui", "--screen", "wizard", "/ws/todo"], "/ws/.venv/bin/cnikit"), {
    shellPath: "/ws/.venv/bin/cnikit",
    shellArgs: ["tui", "--screen", "wizard", "/ws/todo"],
  });
});

test("a path from the server is kept, and nothing is invented when cnikit was not resolved", () => {
  assert.equal(terminalSpec(["/opt/cnikit/bin/cnikit", "tui"], "/other/cnikit").shellPath, "/opt/cnikit/bin/cnikit");
  assert.equal(terminalSpec(["cnikit", "tui"], undefined).shellPath, "cnikit");
});

test("an empty command is an error, not a blank terminal", () => {
  assert.throws(() => terminalSpec([], "/x"), /empty command/);
});
