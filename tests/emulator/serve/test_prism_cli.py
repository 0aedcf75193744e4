"""The unmodified prism CLI (10.4.0, pinned in tests/fixtures) against a real `cnikit serve`: the whole dev loop.

One server per module on a copy of the `prism-project` fixture, built with its own webpack config (cached by its
inputs under tests/fixtures/node_modules/.cache). prism talks to it exactly as to the platform: PRISMATIC_URL and
PRISM_ACCESS_TOKEN (the project's local token) in the environment, nothing else.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import msgpack
import pytest

from cnikit.local_token import local_token
from emulator.serve import Server

FIXTURES = Path(__file__).parents[2] / "fixtures"
NODE_MODULES = FIXTURES / "node_modules"
PRISM = NODE_MODULES / ".bin" / "prism"
CACHE = NODE_MODULES / ".cache" / "cnikit-webpack"


def webpack_dist(name: str) -> Path:
    """The fixture's `dist/`, built by webpack once per change of its inputs (sources, config, lockfile)."""
    source = FIXTURES / name
    digest = hashlib.sha256()
    inputs = [source / "webpack.config.js", source / "package.json", FIXTURES / "package-lock.json"]
    inputs += sorted((source / "src").rglob("*.ts")) + sorted((source / "assets").iterdir())
    for path in inputs:
        digest.update(path.name.encode() + path.read_bytes())
    cached = CACHE / f"{name}-{digest.hexdigest()[:16]}"
    if not (cached / "dist" / "index.js").is_file():
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / name
            shutil.copytree(source, work, ignore=shutil.ignore_patterns("local", "dist"))
            (work / "node_modules").symlink_to(NODE_MODULES)
            done = subprocess.run(["npm", "run", "build"], cwd=work, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, f"webpack failed:\n{done.stdout}\n{done.stderr}"
            shutil.rmtree(cached, ignore_errors=True)
            shutil.copytree(work / "dist", cached / "dist")
    return cached / "dist"


@dataclass
class Prism:
    """prism pointed at one server, run in its project."""

    root: Path
    env: dict[str, str]
    server: Server

    def run(self, *args: str, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(PRISM), *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check:
            assert done.returncode == 0, f"prism {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args).stdout)

    def test_flow(self, *args: str, payload: str = '{"hello": "world"}') -> list[dict[str, Any]]:
        """`flows:test … --jsonl`; the JSON lines it printed (log lines and step results)."""
        path = self.root / "payload.json"
        path.write_text(payload)
        done = self.run(
            "integrations:flows:test", "-p", str(path), "--tail-logs", "--tail-results", "--cni-auto-end",
            "--timeout", "30", "--jsonl", *args,
        )  # fmt: skip
        return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{") and line.endswith("}")]


@pytest.fixture(scope="module")
def prism(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prism]:
    root = tmp_path_factory.mktemp("prism") / "prism-project"
    shutil.copytree(FIXTURES / "prism-project", root, ignore=shutil.ignore_patterns("local", "dist"))
    (root / "node_modules").symlink_to(NODE_MODULES)
    shutil.copytree(webpack_dist("prism-project"), root / "dist")
    server = Server(root, port=0)
    server.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRISM", "DEBUG"))}
    home = tmp_path_factory.mktemp("home")  # prism reads (and may write) its profile under ~/.config/prism
    env |= {"HOME": str(home), "PRISMATIC_URL": server.url, "PRISM_ACCESS_TOKEN": local_token(root)}
    try:
        yield Prism(root, env, server)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def imported(prism: Prism) -> dict[str, Any]:
    """`integrations:list` before, then `integrations:import`: the id it printed and the list after."""
    before = prism.json("integrations:list", "--output=json")
    done = prism.run("integrations:import", timeout=120)
    integration_id = done.stdout.strip().splitlines()[0]
    return {"before": before, "id": integration_id, "after": prism.json("integrations:list", "--output=json")}


def test_me_names_the_local_server_and_the_environment_token(prism: Prism) -> None:
    out = prism.run("me").stdout
    assert f"Endpoint URL: {prism.server.url}" in out
    assert "Authentication: Environment" in out
    assert "Organization: local emulator (cnikit serve)" in out


def test_a_wrong_token_is_refused_with_the_platforms_401(prism: Prism) -> None:
    env = {**prism.env, "PRISM_ACCESS_TOKEN": "not-the-token"}
    failed = subprocess.run([str(PRISM), "me"], cwd=prism.root, env=env, capture_output=True, text=True, timeout=60)
    assert failed.returncode != 0
    assert "Unauthorized" in failed.stdout + failed.stderr
    answer = httpx.post(f"{prism.server.url}/api", json={"query": "{ authenticatedUser { name } }"})
    assert answer.status_code == 401


def test_import_lists_writes_prism_json_and_serves_the_imported_bundle(prism: Prism, imported: dict[str, Any]) -> None:
    assert imported["before"] == []
    assert [i["name"] for i in imported["after"]] == ["Prism Project"]
    assert json.loads((prism.root / ".spectral" / "prism.json").read_text())["integrationId"] == imported["id"]
    bundle = prism.server.executor.pool.bundle if prism.server.executor.pool else None
    assert bundle == prism.root / ".spectral" / "local" / "imported" / "index.js"
    said = [e.data["message"] for e in prism.server.runtime.events() if e.kind == "log"]
    assert any("serving the imported dist/index.js until the next import or a restart" in m for m in said)


def test_a_refresh_token_alongside_the_local_token_needs_no_refresh(prism: Prism) -> None:
    env = {**prism.env, "PRISM_REFRESH_TOKEN": "unused-refresh-token"}
    done = subprocess.run([str(PRISM), "me"], cwd=prism.root, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Authentication: Environment" in done.stdout


def test_a_command_outside_the_dev_loop_gets_a_clear_error(prism: Prism) -> None:
    done = prism.run("customers:list", check=False)
    assert done.returncode != 0
    assert "Cannot query field 'customers'" in done.stdout + done.stderr


def test_flows_list_pages_through_every_flow_with_local_test_urls(prism: Prism, imported: dict[str, Any]) -> None:
    flows = prism.json("integrations:flows:list", imported["id"], "--output=json", "--extended")
    assert [f["name"] for f in flows] == ["Echo", "Slow Logger", *(f"Filler {n}" for n in range(1, 11))]
    served = httpx.get(f"{prism.server.url}/__cnikit/flows").json()["flows"]
    assert [f["testUrl"] for f in flows] == [f["url"] for f in served]  # more than one page of 10, in order
    assert len({f["id"] for f in flows}) == 12


def test_flows_test_tails_logs_once_each_and_the_step_results_of_cnikit_run(
    prism: Prism, imported: dict[str, Any]
) -> None:
    lines = prism.test_flow("-n", "Echo", "-i", imported["id"])
    messages = [line["message"] for line in lines if "message" in line]
    assert [m for m in messages if m.startswith("echo")] == [
        'echo received {"hello":"world"}',
        "echo is about to answer",
    ]
    assert len(messages) == len(set(messages))
    steps = {line["stepName"]: line["result"] for line in lines if "stepName" in line}
    assert set(steps) == {"onTrigger", "onExecution"}
    output = json.loads(steps["onExecution"]["data"])
    assert output == {"echo": {"hello": "world"}, "greeting": "hello from the first import"}
    # the same execution as every face sees it
    latest = httpx.get(f"{prism.server.url}/__cnikit/executions", params={"flow": "Echo", "limit": 1}).json()
    detail = httpx.get(f"{prism.server.url}/__cnikit/executions/{latest['executions'][0]['id']}").json()
    assert {s["name"]: s["output"] for s in detail["steps"]}["onExecution"] == {"data": output}


def test_flows_test_sync_debug_and_without_integration_id(prism: Prism, imported: dict[str, Any]) -> None:
    synced = prism.test_flow("-n", "Echo", "--sync", "--debug")  # no -i: .spectral/prism.json
    steps = {line["stepName"]: line["result"] for line in synced if "stepName" in line}
    assert json.loads(steps["onExecution"]["data"])["echo"] == {"hello": "world"}
    debug_lines = [line["message"] for line in synced if "message" in line]
    assert any(m.startswith("echo received") for m in debug_lines)


def test_logs_across_several_polls_arrive_once_in_order(prism: Prism, imported: dict[str, Any]) -> None:
    lines = prism.test_flow("-n", "Slow Logger")
    ticks = [line["message"] for line in lines if line.get("message", "").startswith("tick")]
    assert ticks == ["tick 1", "tick 2", "tick 3"]


def test_a_malformed_payload_is_refused_before_anything_runs(prism: Prism, imported: dict[str, Any]) -> None:
    (prism.root / "bad.json").write_text('{"hello": ')
    done = prism.run("integrations:flows:test", "-n", "Echo", "-p", "bad.json", check=False)
    assert done.returncode != 0
    assert "malformed JSON" in done.stdout + done.stderr


def test_step_result_get_prints_the_output(prism: Prism, imported: dict[str, Any]) -> None:
    prism.test_flow("-n", "Echo")
    latest = httpx.get(f"{prism.server.url}/__cnikit/executions", params={"flow": "Echo", "limit": 1}).json()
    execution_id = latest["executions"][0]["id"]
    out = prism.run("executions:step-result:get", "-e", execution_id, "-s", "onExecution").stdout
    assert json.loads(out)["greeting"] == "hello from the first import"


def test_result_links_are_unguessable_and_bound_to_their_kind(prism: Prism, imported: dict[str, Any]) -> None:
    assert httpx.get(f"{prism.server.url}/__cnikit/prism/blob/guess").status_code == 403
    assert httpx.put(f"{prism.server.url}/__cnikit/prism/blob/guess", content=b"x").status_code == 403


def test_reimport_keeps_the_id_and_serves_the_edited_flow(prism: Prism, imported: dict[str, Any]) -> None:
    bundle = prism.root / "dist" / "index.js"
    bundle.write_text(bundle.read_text().replace("hello from the first import", "hello from the second import"))
    again = prism.run("integrations:import", timeout=120).stdout.strip().splitlines()[0]
    assert again == imported["id"]
    assert [i["name"] for i in prism.json("integrations:list", "--output=json")] == ["Prism Project"]
    lines = prism.test_flow("-n", "Echo")
    steps = {line["stepName"]: line["result"] for line in lines if "stepName" in line}
    assert json.loads(steps["onExecution"]["data"])["greeting"] == "hello from the second import"


def test_unpacked_result_is_msgpack_data_and_content_type(prism: Prism, imported: dict[str, Any]) -> None:
    token = local_token(prism.root)
    latest = httpx.get(f"{prism.server.url}/__cnikit/executions", params={"flow": "Echo", "limit": 1}).json()
    query = "query($id: ID!) { executionResult(id: $id) { stepResults { nodes { stepName resultsUrl } totalCount } } }"
    answer = httpx.post(
        f"{prism.server.url}/api",
        json={"query": query, "variables": {"id": latest["executions"][0]["id"]}},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    steps = answer["data"]["executionResult"]["stepResults"]
    assert steps["totalCount"] == 2
    blob = msgpack.unpackb(httpx.get(steps["nodes"][-1]["resultsUrl"]).content)
    assert blob["contentType"] == "application/json" and json.loads(blob["data"])["echo"] == {"hello": "world"}


def test_cnikit_cloud_commands_run_against_the_local_server(prism: Prism, imported: dict[str, Any]) -> None:
    """`cnikit me`, `test` and `results` through the platform client, signed in with the project's local token."""
    cnikit = Path(sys.executable).parent / "cnikit"
    env = {k: v for k, v in prism.env.items() if k != "PRISM_ACCESS_TOKEN"}

    def run(*args: str) -> str:
        done = subprocess.run([str(cnikit), *args], cwd=prism.root, env=env, capture_output=True, text=True, timeout=90)
        assert done.returncode == 0, f"cnikit {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    me = run("me")
    assert f"Endpoint URL: {prism.server.url} (local emulator)" in me
    assert "Organization: local emulator (cnikit serve)" in me
    assert "Authentication: Local token (.spectral/local/token)" in me
    payload = {"headers": {}, "data": {"from": "cnikit"}, "contentType": "application/json"}  # the official format
    (prism.root / "cnikit-payload.json").write_text(json.dumps(payload))
    tested = run("test", "--flow", "echo", "--payload", "cnikit-payload.json", "--tail")
    assert 'echo received {"from":"cnikit"}' in tested
    results = run("results", "--flow", "echo", "--logs")
    assert 'echo received {"from":"cnikit"}' in results
