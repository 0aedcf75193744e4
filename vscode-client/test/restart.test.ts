import assert from "node:assert/strict";
import { test } from "node:test";

import { CrashPolicy } from "../src/restart";

test("a crashed server is restarted, but a crash loop is stopped with a clear message", () => {
  const policy = new CrashPolicy(5, 180_000);
  for (let i = 0; i < 4; i += 1) assert.deepEqual(policy.onCrash(i * 1000), { restart: true });
  const fifth = policy.onCrash(5000);
  assert.equal(fifth.restart, false);
  assert.match(fifth.message ?? "", /stopped 5 times in 3 minutes/);
  assert.match(fifth.message ?? "", /cnikit: Restart Language Server/);
});

test("crashes older than the window are forgotten, and a manual restart resets the budget", () => {
  const policy = new CrashPolicy(3, 60_000);
  policy.onCrash(0);
  policy.onCrash(1000);
  assert.equal(policy.onCrash(70_000).restart, true, "the first two crashes left the window");
  policy.onCrash(71_000);
  assert.equal(policy.onCrash(72_000).restart, false);
  policy.reset();
  assert.equal(policy.onCrash(73_000).restart, true);
});
