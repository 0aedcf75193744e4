"""The commands end to end: `cnikit serve` in its own process, `cnikit clock` and `cnikit instance` talking to it."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

CNIKIT = [str(Path(sys.executable).parent / "cnikit")]  # the console script, as a user runs it


@pytest.fixture
def running(project: Callable[[str], Path]) -> Iterator[Callable[..., tuple[str, list[str]]]]:
    processes: list[subprocess.Popen[str]] = []

    def start(name: str, *args: str) -> tuple[str, list[str]]:
        root = project(name)
        process = subprocess.Popen(
            [*CNIKIT, "serve", str(root), "--port", "0", "--no-watch", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        processes.append(process)
        assert process.stdout is not None
        table = []
        for line in process.stdout:  # the table ends with the admin API line
            table.append(line.rstrip())
            if line.startswith("admin API:"):
                break
        match = re.search(r"(http://127\.0\.0\.1:\d+)/__cnikit/health", table[-1])
        assert match, table
        return match.group(1), table

    yield start
    for process in processes:
        process.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("cnikit serve did not stop on Ctrl-C")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CNIKIT, *args], capture_output=True, text=True, timeout=120)


def test_serve_prints_its_urls_and_answers_webhooks(running: Callable[..., tuple[str, list[str]]]) -> None:
    url, table = running("serve-webhooks")
    rows = {line.split()[0]: line for line in table[1:-1]}
    assert set(rows) == {"Echo", "Answer", "Confirm"}
    answer_url = rows["Answer"].split()[-1]
    assert answer_url.startswith(f"{url}/trigger/") and "sync" in rows["Answer"]
    assert httpx.post(answer_url, json={"reply": {"ok": 1}}).json() == {"ok": 1}


def test_clock_advance_fires_schedules_of_the_running_server(running: Callable[..., tuple[str, list[str]]]) -> None:
    url, _table = running("serve-schedule", "--frozen-clock")
    done = cli("clock", "advance", "90m", "--url", url, "--json")
    assert done.returncode == 0, done.stderr
    fired = [tick for tick in json.loads(done.stdout)["fired"] if tick["flow"] == "Configured"]
    assert len(fired) == 6  # every 15 minutes for 90 minutes
    shown = cli("clock", "show", "--url", url)
    assert "next Configured:" in shown.stdout


def test_clock_advance_explains_bad_input_and_a_missing_server() -> None:
    bad = cli("clock", "advance", "soon", "--url", "http://127.0.0.1:9")
    assert bad.returncode == 2 and "expected a duration like 90m" in bad.stderr
    missing = cli("clock", "advance", "5m", "--url", "http://127.0.0.1:9")
    assert missing.returncode == 2 and "no cnikit serve at http://127.0.0.1:9" in missing.stderr


def test_instance_deploy_and_remove(running: Callable[..., tuple[str, list[str]]]) -> None:
    url, _table = running("serve-lifecycle")
    deployed = cli("instance", "deploy", "--url", url)
    assert deployed.returncode == 0, deployed.stderr
    assert "Hooked Events onInstanceDeploy: ok" in deployed.stdout and "started execution" in deployed.stdout
    removed = cli("instance", "remove", "--url", url)
    assert removed.returncode == 0 and "Hooked Events onInstanceDelete: ok" in removed.stdout


def test_clock_set_refuses_a_past_time_and_a_non_time(running: Callable[..., tuple[str, list[str]]]) -> None:
    url, _table = running("serve-schedule", "--frozen-clock")
    now = json.loads(cli("clock", "show", "--url", url, "--json").stdout)["now"]

    past = cli("clock", "set", "2000-01-15T15:00:00Z", "--url", url)
    assert past.returncode == 2
    assert past.stderr.strip() == (
        f"error: the clock only moves forward; it is at {now[:19]}Z, asked for 2000-01-15T15:00:00Z"
    )
    bad = cli("clock", "set", "notadate", "--url", url)
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        "error: expected an ISO 8601 time with a zone, like 2027-01-15T15:00:00Z, found 'notadate'"
    )


def test_serve_blames_the_host_or_the_port_whichever_is_wrong(project: Callable[[str], Path]) -> None:
    root = project("serve-webhooks")
    bad_host = subprocess.run(
        [*CNIKIT, "serve", str(root), "--host", "999.1.1.1", "--port", "0", "--no-watch"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad_host.returncode == 2
    assert bad_host.stderr.startswith("error: cannot listen on 999.1.1.1: Name or service not known; --host must be")
    assert "--port" not in bad_host.stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [*CNIKIT, "serve", str(root), "--port", str(port), "--no-watch"],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert busy.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}:" in busy.stderr and "pick another --port" in busy.stderr


def test_clock_refuses_out_of_range_moves_with_one_line_and_exit_2(
    running: Callable[..., tuple[str, list[str]]],
) -> None:
    url, _table = running("serve-schedule", "--frozen-clock")
    before = json.loads(cli("clock", "show", "--url", url, "--json").stdout)["now"]
    refused = {
        ("advance", "99999999999d"): "'99999999999d' is too long a duration",
        ("advance", "10000000000m"): "the clock stays before 9000-01-01T00:00:00Z",
        ("set", "9999-12-31T23:59:59Z"): "the clock stays before 9000-01-01T00:00:00Z",
        ("advance", "17h"): "would fire 1,020 ticks of flow 'Slow Singleton'",
    }
    for (command, value), message in refused.items():
        done = cli("clock", command, value, "--url", url)
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert json.loads(cli("clock", "show", "--url", url, "--json").stdout)["now"] == before


def test_state_changing_commands_need_the_served_projects_token(
    running: Callable[..., tuple[str, list[str]]],
) -> None:
    url, _table = running("serve-lifecycle")
    project = Path(httpx.get(f"{url}/__cnikit/health").json()["project"])
    token_file = project / ".spectral" / "local" / "token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    refused = httpx.post(f"{url}/__cnikit/instance/remove")
    assert refused.status_code == 401
    token_file.unlink()  # as if another user ran the server: its token cannot be read
    done = cli("instance", "remove", "--url", url)
    assert done.returncode == 2 and f"no local token in {project}/.spectral/local/token" in done.stderr
