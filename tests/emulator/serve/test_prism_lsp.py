"""The language server's cloud workflow against a local `cnikit serve` (no cloud, no login): the status bar says
"local emulator", and "Test in Prismatic" runs on the emulator through the same client code as in the cloud,
signed in with the project's local token."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from cnikit.local_token import local_token
from emulator.serve import Server
from tests.server.conftest import close, copy_fixture, launch
from tests.server.test_platform_commands import status_after
from tests.server.test_run_commands import plain

IMPORT = "mutation($d: String!) { importIntegration(input: { definition: $d }) { integration { id } } }"


async def test_the_editor_tests_a_flow_on_a_local_serve(tmp_path: Path) -> None:
    root = copy_fixture("lsp-platform", tmp_path)
    server = Server(root, port=0)
    server.start()
    try:
        answer = httpx.post(
            f"{server.url}/api",
            json={"query": IMPORT, "variables": {"d": "name: Cloud Workflow\n"}},
            headers={"Authorization": f"Bearer {local_token(root)}"},
        ).json()
        integration_id = answer["data"]["importIntegration"]["integration"]["id"]
        (root / ".spectral" / "prism.json").write_text(json.dumps({"integrationId": integration_id}))
        env: dict[str, str | None] = {
            "PRISMATIC_URL": server.url,
            "PYTHON_KEYRING_BACKEND": "tests.fakes.keyring.MemoryKeyring",
        }
        session = await launch([root], config_file=tmp_path / "cnikit-config.yml", env=env)
        try:
            status = await status_after(session, 0, lambda p: p["user"] is not None)
            assert status["organization"] == "local emulator (cnikit serve)" and status["url"] == server.url
            payload = root / ".spectral" / "flows" / "flow-1" / "payloads" / "order.json"
            started = await session.command(
                "cnikit.server.testIntegration", {"flow": "flow-1", "payload": str(payload)}
            )
            execution_id = plain(started)["executionId"]
            update = await session.notification(
                "cnikit/executionUpdated",
                lambda p: plain(p)["execution"]["id"] == execution_id and plain(p)["execution"]["status"] != "running",
            )
            assert plain(update)["execution"]["status"] == "succeeded"
            output = plain(
                await session.command(
                    "cnikit.server.getStepOutput",
                    {"executionId": execution_id, "step": "onExecution", "source": "cloud"},
                )
            )
            assert json.loads(output["json"]) == {"order": 7}
        finally:
            await close(session)
    finally:
        server.stop()
