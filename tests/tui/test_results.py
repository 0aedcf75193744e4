"""The executions screens, driven with Pilot against a real emulator store (SQLite) with deterministic data."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import OptionList, Select, Static

from cnikit.payloads import Payload
from cnikit.platform.client import PrismaticClient
from emulator.sources import LocalSource
from emulator.store import Store
from tests.fakes.browser import Browser
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic
from tests.tui.conftest import make_app
from tests.tui.seed import FLOWS, NOW, iso, record_execution, seed
from tui.screens.execution import ExecutionScreen
from tui.screens.help import HelpScreen
from tui.screens.results import ResultsScreen
from tui.screens.run_flow import RunFlowScreen
from tui.widgets.log_view import LogView
from tui.widgets.output_view import OutputView


async def reloaded_until(screen: ResultsScreen, done: Callable[[], bool], timeout: float = 60) -> None:
    """Wait for the screen's reloads (events, no sleeping) until `done()` holds."""

    async def wait() -> None:
        while not done():
            screen.reloaded.clear()
            await screen.reloaded.wait()

    await asyncio.wait_for(wait(), timeout)


async def opened_execution(pilot: Pilot[Any]) -> ExecutionScreen:
    """Open the selected execution (Enter) and return its screen."""
    await pilot.press("enter")
    detail = pilot.app.screen
    assert isinstance(detail, ExecutionScreen)
    return detail


async def updated_until(detail: ExecutionScreen, done: Callable[[], bool], timeout: float = 60) -> None:
    """Wait for the execution screen's updates until `done()` holds; clear `detail.updated` before causing them."""

    async def wait() -> None:
        while not done():
            await detail.updated.wait()
            detail.updated.clear()

    await asyncio.wait_for(wait(), timeout)


async def test_lists_newest_first_and_opens_steps_logs_and_output(tmp_path: Path) -> None:
    seed(tmp_path, 30)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.table.row_count == 30
        assert screen.table.current is not None and screen.table.current.id == "exec-000030"

        await pilot.press("down", "down", "enter")
        detail = app.screen
        assert isinstance(detail, ExecutionScreen)
        assert detail.row.id == "exec-000028"
        steps = detail.query_one("#steps", OptionList)
        assert [steps.get_option_at_index(i).id for i in range(steps.option_count)] == ["onTrigger", "onExecution"]
        assert detail.query_one(LogView).line_count == 2

        await pilot.press("down", "o")
        output = json.loads(detail.query_one(OutputView).text)
        assert output == {"data": {"synced": 28, "items": ["a", "b"]}}

        await pilot.press("escape")
        assert app.screen is screen


async def test_filters_by_status_and_by_flow(tmp_path: Path) -> None:
    seed(tmp_path, 30)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await pilot.press("s")  # opens the status filter
        await pilot.pause()  # the options overlay is mounted
        await pilot.press("end", "enter")  # the last status: failed
        assert screen.table.query_filter.status == "failed"
        assert screen.table.row_count == 6
        assert all(screen.table.row_at(i).status == "failed" for i in range(6))  # type: ignore[union-attr]

        flows = screen.query_one("#filter-flow", Select)
        # Offered at once: the flows of the newest executions.
        assert {value for _, value in flows._options} >= {name for _, name, _ in FLOWS}
        flows.value = "Nightly Sync"
        await pilot.pause()
        rows = [screen.table.row_at(i) for i in range(screen.table.row_count)]
        assert rows and all(row is not None and row.flow == "Nightly Sync" and row.status == "failed" for row in rows)
        assert screen.table.has_focus


async def test_new_executions_appear_while_the_screen_is_open(tmp_path: Path) -> None:
    seed(tmp_path, 5)
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)):
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        # Another process (here: another connection) records an execution, as `cnikit run` would.
        with Store.open(tmp_path) as other:
            record_execution(other, 6, started=NOW - timedelta(seconds=1))
        await reloaded_until(screen, lambda: screen.table.row_count == 6, timeout=10)
        assert screen.table.row_at(0) is not None and screen.table.row_at(0).id == "exec-000006"  # type: ignore[union-attr]


async def test_follows_a_running_execution_until_it_ends(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        record_execution(store, 1, started=NOW - timedelta(seconds=3), status="running")
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await opened_execution(pilot)
        assert detail.follow and detail.row.status == "running"
        detail.updated.clear()
        with Store.open(tmp_path) as other:
            other.finish_execution(
                "exec-000001",
                status="succeeded",
                result={"data": "done"},
                logs=[(iso(NOW), "info", "onExecution", "finished the work")],
                ended_at=iso(NOW),
            )
        await updated_until(detail, lambda: detail.row.status != "running")
        assert detail.row.status == "succeeded"
        assert not detail.follow
        assert detail.query_one(LogView).line_count == 1


async def test_follows_the_log_lines_another_process_writes_while_it_runs(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        record_execution(store, 1, started=NOW - timedelta(seconds=3), status="running")
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await opened_execution(pilot)
        detail.updated.clear()
        with Store.open(tmp_path) as other:  # what `cnikit serve` does while the execution runs
            other.append_logs(
                "exec-000001",
                [(iso(NOW), "info", "onExecution", "page 1 fetched"), (iso(NOW), "info", "onExecution", "page 2")],
            )
        view = detail.query_one(LogView)
        await updated_until(detail, lambda: view.line_count >= 2)
        assert detail.row.status == "running" and detail.follow
        assert view.line_count == 2


async def test_the_execution_screen_says_who_invoked_it_and_what_it_retries(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        record_execution(store, 1, started=NOW - timedelta(minutes=5), status="failed")
        record_execution(store, 2, started=NOW - timedelta(minutes=4))
        record_execution(store, 3, started=NOW - timedelta(minutes=1), parent_id="exec-000002", retry_of="exec-000001")
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await opened_execution(pilot)
        assert detail.row.id == "exec-000003"
        summary = str(detail.query_one("#execution-summary", Static).render())
        assert "invoked by exec-000002" in summary and "retry of exec-000001" in summary
        await pilot.press("escape", "down", "enter")
        plain = str(app.screen.query_one("#execution-summary", Static).render())
        assert "invoked by" not in plain and "retry of" not in plain


async def test_binary_output_is_shown_as_type_and_size(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        record_execution(
            store,
            1,
            started=NOW - timedelta(seconds=3),
            output={"data": b"\x89PNG" + bytes(2044), "contentType": "image/png"},
        )
    app = make_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        detail = await opened_execution(pilot)
        await pilot.press("down", "o")
        view = detail.query_one(OutputView)
        assert "Binary data: <binary image/png, 2.0 KiB>" in str(view.query_one("#output-summary").render())
        assert json.loads(view.text) == {"data": "<binary image/png, 2.0 KiB>", "contentType": "image/png"}


async def test_an_empty_project_says_how_to_get_executions(empty_project: Path) -> None:
    app = make_app(empty_project)
    async with app.run_test(size=(100, 30)):
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.table.row_count == 0
        assert "no executions yet" in str(screen.query_one("#results-empty").render())
        # Looking did not create the store.
        assert not (empty_project / ".spectral" / "local" / "emulator.sqlite").exists()


async def test_ten_thousand_executions_fetch_only_visible_pages(tmp_path: Path) -> None:
    seed(tmp_path, 10_000)
    calls: list[tuple[int, int]] = []
    app = make_app(tmp_path)
    source = app.workspace.local
    original = LocalSource.page

    def counting(self: LocalSource, query, offset, limit):  # type: ignore[no-untyped-def]
        calls.append((offset, limit))
        return original(self, query, offset, limit)

    source.page = counting.__get__(source)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.table.row_count == 10_000
        await pilot.press("end")
        assert screen.table.current is not None and screen.table.current.id == "exec-000001"
        await pilot.press("pageup")
        # Two pages of 200 rows were read (the first and the last), never the whole table.
        assert sorted({offset for offset, _ in calls}) == [0, 9800]
        assert sum(limit for _, limit in calls) <= 4 * 200


async def test_run_a_flow_with_a_payload_file_then_replay_it(
    copy_project: Callable[[str], Path], memory_keyring: MemoryKeyring
) -> None:
    root = copy_project("tui-run-echo")
    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await pilot.press("n")
        dialog = app.screen
        assert isinstance(dialog, RunFlowScreen)
        await app.workers.wait_for_complete()  # the flows are listed once the project is built
        assert dialog.query_one("#run-flow", Select).value == "Echo"
        assert str(dialog.query_one("#run-payload", Select).value).endswith("order.json")
        await pilot.press("ctrl+r")
        assert app.screen is screen
        await reloaded_until(screen, lambda: screen.table.row_count == 1 and screen.table.row_at(0).status != "running")  # type: ignore[union-attr]
        ran = screen.table.row_at(0)
        assert ran is not None and ran.flow == "Echo" and ran.status == "succeeded"

        detail = await opened_execution(pilot)
        assert any("echoing the payload" in str(line) for line in detail.query_one(LogView).lines)
        await pilot.press("down", "o")
        assert json.loads(detail.query_one(OutputView).text) == {"data": {"echoed": {"order": 42}}}
        await pilot.press("escape")

        await pilot.press("x")
        await reloaded_until(screen, lambda: screen.table.row_count == 2)
        replayed = screen.table.row_at(0)
        assert replayed is not None and replayed.replay_of == ran.id


async def test_cloud_executions_on_the_same_screens(
    stack: FakePrismatic, copy_project: Callable[[str], Path], tmp_path: Path
) -> None:
    root = copy_project("tui-run-echo")
    integration = stack.add_integration()
    stack.quick = True
    (root / ".spectral" / "prism.json").write_text(json.dumps({"integrationId": integration.id}))
    async with PrismaticClient.from_settings(root) as client:
        await client.login(Browser())
        await client.test_flow(integration.flows[0].id, Payload(data={"n": 1}))

    app = make_app(root)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        await pilot.press("c")
        await reloaded_until(screen, lambda: screen.cloud and screen.table.row_count == 1, timeout=30)
        row = screen.table.row_at(0)
        assert row is not None and row.flow == "Flow 1" and row.status == "succeeded"
        assert "cloud" in screen.source.info().label

        detail = await opened_execution(pilot)
        await asyncio.wait_for(detail.updated.wait(), timeout=30)
        assert any("Processing" in str(line) for line in detail.query_one(LogView).lines)
        await pilot.press("down", "o")
        # The platform client hands over the step result's data.
        assert json.loads(detail.query_one(OutputView).text) == {"processed": True, "received": {"n": 1}}


async def test_a_store_that_is_not_sqlite_is_reported_and_nothing_breaks(empty_project: Path) -> None:
    store = empty_project / ".spectral" / "local" / "emulator.sqlite"
    store.parent.mkdir(parents=True)
    store.write_text("not a database")
    app = make_app(empty_project)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        assert isinstance(screen, ResultsScreen)
        assert screen.table.row_count == 0
        message = str(screen.query_one("#results-empty").render())
        assert f"{store} is not a usable cnikit store (not an SQLite database): move it aside" in message
        await pilot.press("down", "enter", "f1")  # still answers keys
        assert isinstance(app.screen, HelpScreen)
    assert store.read_text() == "not a database"  # nothing the user had was touched
