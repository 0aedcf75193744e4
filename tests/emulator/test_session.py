"""`emulator.session`: one payload rule, one error mapping, the execution feed, state snapshots; and the views'
one JSON conversion (`emulator.views.jsonable`)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.session import Session, SessionError
from emulator.store import NewExecution, Store
from emulator.views import execution_detail

Project = Callable[[str], Path]


def received(session: Session, payload: str | None, **options: object) -> object:
    outcome = session.run("Echo", payload, **options)  # type: ignore[arg-type]
    assert outcome.succeeded, outcome.error
    return outcome.result["data"]["received"]


def test_one_payload_rule(project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project("emu-no-trigger")
    (root / "cases").mkdir()
    (root / "cases" / "order.json").write_text(json.dumps({"data": {"order": 7}}))  # official format
    (root / "raw.json").write_text(json.dumps({"raw": True}))  # any other JSON: a raw body
    monkeypatch.chdir(tmp_path)  # paths are relative to the project, not to where the command runs
    with Session(root) as session:
        assert received(session, "hello") == {"hello": "world"}  # a payload name
        assert received(session, "cases/order.json") == {"order": 7}  # relative to the project
        assert received(session, str(root / "cases" / "order.json")) == {"order": 7}  # absolute
        assert received(session, "raw.json") == {"raw": True}
        assert received(session, '{"inline": 1}') == {"inline": 1}  # an inline body
        assert received(session, "-", stdin=io.BytesIO(b'{"piped": 2}')) == {"piped": 2}
        assert received(session, None) is None  # an empty body
        with pytest.raises(SessionError, match="only the command line has"):
            session.run("Echo", "-")
        with pytest.raises(SessionError, match=r"no payload 'nope'.*its payloads: hello") as missing:
            session.run("Echo", "nope")
        assert missing.value.refused and "nothing was run or recorded" in missing.value.text
        assert session.store.count_executions() == 7  # the refused runs recorded nothing


def test_engine_faults_are_one_line_session_errors(project: Project) -> None:
    root = project("emu-no-trigger")
    with Session(root) as session:
        with pytest.raises(SessionError, match="No flow 'Nope'") as unknown:
            session.run("Nope")
        assert "\n" not in unknown.value.message
        with pytest.raises(SessionError, match="no execution"):
            session.detail("missing")
    (root / "src" / "index.ts").write_text("export default {\n")
    with Session(root) as broken, pytest.raises(SessionError, match="the project does not build: ") as failed:
        broken.prepare(rebuild=True)
    assert "\n" not in failed.value.message


def test_the_feed_yields_new_executions_and_log_lines_once(project: Project) -> None:
    root = project("emu-no-trigger")
    with Session(root) as session:
        session.run("Echo", "hello")  # before the feed: not reported
        feed = session.feed()
        assert feed.poll() == []
        with Session(root) as other:  # another process, as far as the store can tell: its own connection
            ran = other.run("Echo", "hello")
        items = feed.poll()
        assert items and {item.execution_id for item in items} == {ran.execution_id}
        assert [item.kind for item in items][-1] == "execution"
        last = items[-1].execution
        assert last is not None and last.status == "succeeded" and last.seq == 2
        assert any(item.kind == "log" and item.log and item.log.message == "run 2" for item in items)
        assert feed.poll() == []


def test_state_snapshots_round_trip_and_refuse_invalid_ones(project: Project) -> None:
    root = project("emu-no-trigger")
    with Session(root) as session:
        level = session.set_state("integration", "cursor", 5)
        assert level == {"cursor": 5}
        snapshot = session.export_state()
        assert [entry["value"] for entry in snapshot["levels"]] == [{"cursor": 5}]
        session.set_state("integration", "cursor", None)  # null deletes the key
        assert session.import_state(snapshot) == 1
        assert session.export_state() == snapshot
        with pytest.raises(SessionError, match=r"levels\[0\]: value must be a JSON object; nothing was changed"):
            session.import_state({"version": 1, "levels": [{"level": "integrationState", "scope": "x", "value": 1}]})
        assert session.export_state() == snapshot
        with pytest.raises(SessionError, match="flow state belongs to one flow"):
            session.set_state("flow", "k", 1)


def test_bytes_are_tagged_base64_in_every_view(tmp_path: Path) -> None:
    with Store(tmp_path / "emulator.sqlite") as store:
        store.begin_execution(NewExecution("e1", "i", "echo", "Echo", "INTEGRATION_FLOW_TEST", {}))
        store.finish_execution("e1", status="succeeded", result={"data": b"\x00\xff"}, steps=[])
        document = execution_detail(store, store.get_execution("e1")).to_json()
    assert document["result"] == {"data": {"$cnikit$": "bytes", "base64": "AP8="}}
    assert "b'" not in json.dumps(document)
