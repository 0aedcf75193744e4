"""Cassettes hold no credentials (issue 13.10): credential headers masked, known secrets as placeholders, 0600.

The `emu-secrets` flow sends an inline and a registry connection's secrets as a bearer header, an API key header,
a cookie, a query parameter and a JSON body; the service answers with them too. The cassette must hold none of
them, and replay must still match — even after the secret was rotated. Faces show a trigger's credential
headers masked, while the stored request keeps them for exact replay.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from typer.testing import CliRunner

from cnikit.cli import app
from cnikit.credentials import MASK
from emulator.executor import Executor, TriggerRequest
from emulator.httpmock import cassette_path
from emulator.instance import set_connection_secret
from emulator.store import NewExecution, StepRecord, Store

ACME_KEY = "acme-S3CRET+/value=42"  # needs percent-encoding in a URL
BETA_KEY = "beta-0f9c1e7a-secret-token"


@pytest.fixture(autouse=True)
def _keyring(memory_keyring: object) -> None:
    """Secrets go to the test's in-memory keyring."""


def with_secrets(executor: Executor, acme: str = ACME_KEY, beta: str = BETA_KEY) -> Executor:
    set_connection_secret(executor.root, "Acme Connection", "apiKey", acme)
    set_connection_secret(executor.root, "Beta Connection", "apiKey", beta)
    return executor


def call(executor: Executor, base: str, http: str) -> dict[str, object]:
    outcome = executor.run("Call Api", TriggerRequest.from_body(json.dumps({"base": base}).encode()), http=http)  # type: ignore[arg-type]
    assert outcome.succeeded, outcome.error
    return dict(outcome.result["data"])


def test_a_recorded_cassette_holds_no_secret_and_replays_offline(
    executor_for: Callable[..., Executor], key_service: str
) -> None:
    executor = with_secrets(executor_for("emu-secrets"))
    assert call(executor, key_service, "record") == {"status": 200, "matched": True}

    path = cassette_path(executor.root, "call-api")
    text = path.read_text()
    for secret in (ACME_KEY, BETA_KEY, quote(ACME_KEY, safe="")):
        assert secret not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    (exchange,) = json.loads(text)["exchanges"]
    request, response = exchange["request"], exchange["response"]
    assert request["url"].endswith("/items?key=[secret:Acme Connection/apiKey:url]")
    assert {request["headers"][name] for name in ("authorization", "api-key", "cookie")} == {MASK}
    assert json.loads(request["body"]["text"])["key"] == "[secret:Beta Connection/apiKey]"
    assert response["headers"]["set-cookie"] == MASK
    assert json.loads(response["body"]["text"])["echoed"] == (
        "[secret:Acme Connection/apiKey]|[secret:Beta Connection/apiKey]"
    )

    assert call(executor, key_service, "replay") == {"status": 200, "matched": True}
    assert call(with_secrets(executor, acme="acme-rotated-key", beta="beta-rotated-key"), key_service, "replay") == {
        "status": 200,
        "matched": True,  # the placeholders are filled with today's secrets: the request still matches
    }


def test_an_old_world_readable_cassette_is_tightened_when_it_is_read(
    executor_for: Callable[..., Executor], key_service: str
) -> None:
    executor = with_secrets(executor_for("emu-secrets"))
    call(executor, key_service, "record")
    path = cassette_path(executor.root, "call-api")
    path.chmod(0o644)
    call(executor, key_service, "replay")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_trigger_step_shows_credential_headers_masked_and_the_stored_request_keeps_them(
    executor_for: Callable[..., Executor],
) -> None:
    executor = executor_for("emu-http")
    request = TriggerRequest(
        headers={"Authorization": "Bearer caller-secret-1234", "X-Api-Key": "k-5678", "Accept": "application/json"},
        body=b"{}",
    )
    outcome = executor.run("Fetch All", request)
    trigger = executor.store.steps(outcome.execution_id)[0]
    assert trigger.name == "onTrigger"
    assert trigger.result["headers"]["Authorization"] == MASK and trigger.result["headers"]["X-Api-Key"] == MASK
    assert trigger.result["headers"]["Accept"] == "application/json"
    stored = executor.store.get_execution(outcome.execution_id).request
    assert stored["headers"]["Authorization"] == "Bearer caller-secret-1234"  # exact replay needs it
    shown = CliRunner().invoke(app, ["executions", "show", outcome.execution_id, str(executor.root), "--json"])
    assert shown.exit_code == 0, shown.output
    assert "caller-secret-1234" not in shown.output and "k-5678" not in shown.output
    data = json.loads(shown.output)
    assert (
        data["request"]["headers"]["Authorization"] == MASK
        and data["steps"][0]["output"]["headers"]["X-Api-Key"] == MASK
    )


def test_trigger_steps_an_older_version_stored_unmasked_are_shown_masked(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        store.begin_execution(NewExecution("exec-1", "inst", "flow", "Flow", "WEBHOOK", {"headers": {}}))
        payload = {"headers": {"authorization": "Bearer old-secret-9876", "accept": "*/*"}, "body": {"data": {}}}
        step = StepRecord("exec-1", 1, "onTrigger", "t0", "t1", None, payload)
        store.finish_execution("exec-1", status="succeeded", steps=[step])
        (shown,) = store.steps("exec-1")
    assert shown.result["headers"] == {"authorization": "[masked]", "accept": "*/*"}
