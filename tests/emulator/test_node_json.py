"""JSON bodies read exactly as Node reads them (issue 12.6): the flow sees what `JSON.parse` gives, what Node
rejects is a malformed payload, and nothing the flow returns breaks the store."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnikit.node import node_environment
from emulator.executor import Executor, MalformedPayload, TriggerRequest

ExecutorFor = Callable[..., Executor]

# Node's side of the comparison: one long-lived process answering one line per JSON text, with the fixture's `show`.
NODE_PARSE = r"""
const show = (value) => JSON.stringify(value, (_key, item) =>
  typeof item === "number" && (!Number.isFinite(item) || Object.is(item, -0))
    ? `number:${Object.is(item, -0) ? "-0" : item}` : item) ?? "undefined";
require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
  let answer;
  try { answer = { shown: show(JSON.parse(JSON.parse(line))) }; } catch { answer = { malformed: true }; }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
"""


class NodeParse:
    """`JSON.parse` in a real Node process."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            ["node", "-e", NODE_PARSE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=node_environment(),
            text=True,
            encoding="utf-8",
        )

    def __call__(self, text: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(text) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


@pytest.fixture
def node_parse() -> Iterator[NodeParse]:
    parser = NodeParse()
    yield parser
    parser.close()


def mirror(executor: Executor, text: str | bytes) -> dict[str, Any]:
    """What the Mirror flow saw of this JSON body (`{"malformed": True}` when the emulator refused it)."""
    body = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    try:
        outcome = executor.run("mirror", TriggerRequest.from_body(body))
    except MalformedPayload:
        return {"malformed": True}
    assert outcome.succeeded, outcome.error
    return {"shown": outcome.result["data"]["shown"]}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
number_texts = st.sampled_from(["1e999", "-1e999", "-0", "0.1", "12345678901234567890123", "1E400", "-0.0", "5e-324"])
json_texts = st.one_of(
    json_values.map(lambda value: json.dumps(value)),  # Python writes NaN/Infinity for non-finite floats: malformed
    json_values.map(lambda value: json.dumps(value, ensure_ascii=False)),
    st.builds(lambda n, v: f'{{"n": {n}, "v": {json.dumps(v)}}}', number_texts, json_values),
    st.text(min_size=1, max_size=12),  # an empty body is no JSON at all: `body.data` is null (spec/runtime.md §2.5)
    st.sampled_from(["NaN", "[Infinity]", '"\\ud800"', '{"a": "\\udc00x"}', "\ufeff{}", " [1] ", "[1,]", "{'a': 1}"]),
)


def test_bodies_reach_the_flow_as_json_parse_reads_them(executor_for: ExecutorFor, node_parse: NodeParse) -> None:
    executor = executor_for("emu-json")

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=json_texts)
    def check(text: str) -> None:
        assert mirror(executor, text) == node_parse(text), text

    check()


def test_non_finite_literals_are_malformed_and_overflow_is_infinity(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-json")
    for literal in ("NaN", "Infinity", '{"a": -Infinity}'):
        assert mirror(executor, literal) == {"malformed": True}
    assert mirror(executor, '{"big": 1e999, "small": -1e999}') == {
        "shown": '{"big":"number:Infinity","small":"number:-Infinity"}'
    }


def test_lone_surrogates_and_deep_nesting_run_and_are_stored(executor_for: ExecutorFor) -> None:
    executor = executor_for("emu-json")
    assert mirror(executor, '"\\ud800"') == {"shown": '"\\ud800"'}
    logged = [line.message for line in executor.store.logs(executor.store.list_executions(limit=1)[0].id)]
    assert "\ufffd" in logged  # Node writes a lone surrogate to its output as U+FFFD
    deep = "[" * 5000 + "]" * 5000

    outcome = executor.run("mirror", TriggerRequest.from_body(deep.encode()))

    assert outcome.succeeded, outcome.error
    assert outcome.result["data"]["shown"] == deep
    stored = executor.store.steps(outcome.execution_id)[-1].result
    depth, value = 0, stored["data"]["value"]
    while value:
        depth, value = depth + 1, value[0]
    assert depth == 4999  # the innermost [] is the last level
    notes = [line.message for line in executor.store.logs(outcome.execution_id) if line.severity == "warn"]
    assert "The onExecution result is stored as JSON in a msgpack extension: it is nested deeper" in notes[-1]
