import assert from "node:assert/strict";
import { test } from "node:test";

import { Uri } from "vscode";

import { logsUri, parseLogsQuery, parseStepQuery, sanitizeName, stepUri } from "../src/uris";

const awkward = { project: "/ws/my proj/ä?#%", executionId: "ex/1?a=b&c#d", source: "local" as const };

test("a logs URI names the tab after the execution and round-trips every field", () => {
  const text = logsUri(awkward);
  assert.match(text, /^cnikit-logs:\/ex_1_a_b_c_d\.log\?[A-Za-z0-9_-]+$/);
  const uri = Uri.parse(text);
  assert.deepEqual(parseLogsQuery(uri.query), awkward);
});

test("a step URI names the tab after the step and round-trips the step name", () => {
  const ref = { ...awkward, source: "cloud" as const, step: "Fetch todos (page 1)" };
  const text = stepUri(ref);
  assert.match(text, /^cnikit-step:\/ex_1_a_b_c_d\/Fetch_todos__page_1_\.json\?/);
  assert.deepEqual(parseStepQuery(Uri.parse(text).query), ref);
});

test("the query survives percent-decoding (its alphabet needs no escaping)", () => {
  const query = Uri.parse(logsUri(awkward)).query;
  assert.equal(decodeURIComponent(query), query);
});

test("foreign or damaged queries are refused, not guessed", () => {
  assert.equal(parseLogsQuery(""), null);
  assert.equal(parseLogsQuery("not-base64-json"), null);
  assert.equal(
    parseLogsQuery(Buffer.from('{"project":"/p","executionId":"e","source":"mars"}').toString("base64url")),
    null,
  );
  assert.equal(parseStepQuery(Uri.parse(logsUri(awkward)).query), null, "a logs ref is not a step ref");
});

test("names are sanitised to plain file names with a fallback", () => {
  assert.equal(sanitizeName("a b/c.json", "x"), "a_b_c.json");
  assert.equal(sanitizeName("", "step"), "step");
});
