import assert from "node:assert/strict";
import { test } from "node:test";

import { Uri } from "vscode";

import { executionTitle, logsUri, parseLogsQuery, parseStepQuery, sanitizeName, shortId, stepUri } from "../src/uris";

const awkward = { project: "/ws/my proj/ä?#%", executionId: "ex/1?a=b&c#d", source: "local" as const };

test("a logs URI names the tab after the execution and round-trips every field", () => {
  const text = logsUri(awkward);
  assert.match(text, /^cnikit-logs:\/Execution%20%23ex1abcd\.log\?[A-Za-z0-9_-]+$/);
  const uri = Uri.parse(text);
  assert.deepEqual(parseLogsQuery(uri.query), awkward);
});

test("a step URI names the tab after the step and round-trips the step name", () => {
  const ref = { ...awkward, source: "cloud" as const, step: "Fetch todos (page 1)" };
  const text = stepUri(ref);
  assert.match(
    text,
    /^cnikit-step:\/Execution%20%23ex1abcd\/Fetch%20todos%20\(page%201\)%20%C2%B7%20Execution%20%23ex1abcd\.json\?/,
  );
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

test("names keep what is readable and lose what would break the path, with a fallback", () => {
  assert.equal(decodeURIComponent(sanitizeName("a b/c#d?.json", "x")), "a b_c#d_.json");
  assert.equal(sanitizeName("", "step"), "step");
});

test("tabs are titled with the flow, the execution's short number and its start time, never the raw id", () => {
  const id = Buffer.from("InstanceExecutionResult:1A2B3C4D-0000-4000-8000-000000000000").toString("base64");
  assert.equal(shortId(id), "1a2b3c4d");
  const startedAt = "2026-12-04T15:30:05Z";
  const time = new Date(startedAt).toTimeString().slice(0, 8);
  const ref = { project: "/p", executionId: id, source: "local" as const, flow: "Greet", startedAt };
  assert.equal(executionTitle(ref), `Greet #1a2b3c4d ${time}`);
  assert.equal(decodeURIComponent(Uri.parse(logsUri(ref)).path), `/Greet #1a2b3c4d ${time}.log`);
  assert.equal(
    decodeURIComponent(Uri.parse(stepUri({ ...ref, step: "onTrigger" })).path)
      .split("/")
      .pop(),
    `onTrigger · Greet #1a2b3c4d ${time}.json`,
  );
  // A local execution is titled with the number the Execution Results view shows (`#12`), not an id fragment.
  assert.equal(executionTitle({ ...ref, seq: 12 }), `Greet #12 ${time}`);
  assert.equal(decodeURIComponent(Uri.parse(logsUri({ ...ref, seq: 12 })).path), `/Greet #12 ${time}.log`);
});
