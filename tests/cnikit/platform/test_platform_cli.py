"""The platform commands as a user runs them, against the fake stack."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cnikit.cli import app
from cnikit.platform.client import PrismaticClient
from cnikit.settings import load_settings
from tests.fakes.browser import Browser
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic

runner = CliRunner()


def cli(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def project(tmp_path: Path, fake: FakePrismatic, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A CNI project linked to an imported integration with one payload file per content type; cwd is inside it."""
    integration = fake.add_integration()
    fake.quick = True
    root = tmp_path / "todo-sync"
    payloads = root / ".spectral" / "flows" / "flow-1" / "payloads"
    payloads.mkdir(parents=True)
    (root / ".spectral" / "prism.json").write_text(json.dumps({"integrationId": integration.id}))
    (payloads / "order.json").write_text(
        json.dumps({"headers": {"prismatic-debug": "false"}, "data": {"order": 7}, "contentType": "application/json"})
    )
    (payloads / "order-xml.json").write_text(
        json.dumps({"headers": [], "data": "<order id='7'/>", "contentType": "application/xml"})
    )
    monkeypatch.chdir(root)
    return root


def _login(browser: Browser) -> None:
    async def go() -> None:
        async with PrismaticClient(load_settings()) as client:
            await client.login(browser)

    asyncio.run(go())


def test_me_test_results_open_wizard_logout(
    fake: FakePrismatic, env: MemoryKeyring, project: Path, browser: Browser
) -> None:
    _login(browser)
    code, out, _ = cli("me")
    assert code == 0
    assert "Name: Ada Lovelace" in out and "Organization: Acme Corp" in out and f"Endpoint URL: {fake.url}" in out
    assert "Authentication: Keyring" in out and "Profile: default" in out

    # -p is the payload, as in prism's `flows:test -p`; the project is the path argument or --project.
    code, out, _ = cli("test", str(project), "--flow", "flow-1", "-p", "order-xml", "--tail", "--sync")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("Started a test of Flow 1 (flow-1): execution ")
    assert any(line.endswith("[INFO] [onTrigger] Trigger received the payload") for line in lines)
    assert any(line.endswith("[WARN] [onExecution] Almost done") for line in lines)
    assert "── onTrigger" in lines and "<order id='7'/>" in lines
    assert lines[-1].startswith("Execution COMPLETED in ")
    execution = next(iter(fake.executions.values()))
    assert execution.request["payload"] == "<order id='7'/>"

    code, out, _ = cli("results", "--flow", "flow-1", "--logs", "--project", str(project))
    assert code == 0
    assert execution.id in out.splitlines()[0] and "COMPLETED" in out and "integration flow test" in out
    assert "[INFO] Execution started" in out and '"processed": true' in out

    integration = next(iter(fake.integrations.values()))
    code, out, _ = cli("open", "--no-browser")
    assert out.strip() == f"{fake.url}/designer/{integration.id}/"
    code, out, _ = cli("wizard", "--no-browser")
    assert out.strip() == f"{fake.url}/configure-instance/{integration.system_instance_id}/?reconfigure=true"

    code, out, _ = cli("logout")
    assert (code, out.strip()) == (0, "Successfully logged out.")
    code, _, err = cli("me")
    assert code == 1 and err.strip() == f"Error: Not logged in to {fake.url}. Run `cnikit login` first."


def test_errors_are_one_line(fake: FakePrismatic, env: MemoryKeyring, project: Path, browser: Browser) -> None:
    _login(browser)
    next(iter(fake.integrations.values())).config_state = "NEEDS_USER_LEVEL_CONFIGURATION"
    code, _, err = cli("test", "--flow", "flow-1")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "not fully configured (NEEDS_USER_LEVEL_CONFIGURATION)" in err and "/configure-instance/" in err
    code, _, err = cli("test", "--flow", "flow-1", "--payload", "missing")
    assert code == 1 and err.startswith("Error: ") and len(err.strip().splitlines()) == 1
    (project / ".spectral" / "prism.json").unlink()
    code, _, err = cli("results")
    assert code == 1 and "Run `cnikit import` first." in err


def test_a_broken_prism_json_is_named_not_taken_for_a_missing_import(
    fake: FakePrismatic, env: MemoryKeyring, project: Path, browser: Browser
) -> None:
    _login(browser)
    prism_json = project / ".spectral" / "prism.json"
    prism_json.write_text('{"integrationId": "SW50ZWdyYXRpb246MQ",}')
    code, _, err = cli("open", "--no-browser")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert f"{prism_json} is not readable JSON (" in err and "line 1 column" in err
    assert "Run `cnikit import` first" not in err
    assert prism_json.read_text() == '{"integrationId": "SW50ZWdyYXRpb246MQ",}'  # left as the user had it


def test_tenants_list_and_switch(fake: FakePrismatic, env: MemoryKeyring, project: Path, browser: Browser) -> None:
    fake.tenants.append({"tenantId": "tenant-beta", "url": "", "orgName": "Beta Ltd", "awsRegion": "eu-west-1"})
    _login(browser)
    code, out, _ = cli("tenants")
    assert out.splitlines()[0].startswith("✓ tenant-acme  Acme Corp")
    assert out.splitlines()[1].startswith("  tenant-beta  Beta Ltd")
    code, out, _ = cli("tenants", "switch", "tenant-beta")
    assert (code, out.strip()) == (0, "Switched to Beta Ltd")
    code, out, _ = cli("tenants", "switch", "tenant-beta")
    assert out.strip() == "Already on selected tenant."
    code, _, err = cli("tenants", "jump")
    assert code == 1 and "Unknown action 'jump'" in err


def test_switching_to_a_tenant_that_is_not_yours_fails_with_the_ones_you_have(
    fake: FakePrismatic, env: MemoryKeyring, project: Path, browser: Browser
) -> None:
    _login(browser)  # the fake has one tenant
    code, out, _ = cli("tenants", "switch")
    assert (code, out.strip()) == (0, "Only one tenant available to your account.")
    code, _, err = cli("tenants", "switch", "tenant-nope")
    assert code == 1
    assert err.strip() == "Error: Tenant 'tenant-nope' is not one of yours; available: Acme Corp (tenant-acme)"


def test_url_show_and_set(fake: FakePrismatic, env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRISMATIC_URL")
    code, out, _ = cli("url")
    assert out.strip() == "https://app.prismatic.io"
    code, _, err = cli("url", "not a url")
    assert code == 1 and "is not a valid URL" in err
    code, out, _ = cli("url", "https://app.eu-west-1.prismatic.io/")
    assert code == 0
    assert cli("url")[1].strip() == "https://app.eu-west-1.prismatic.io"


def test_login_as_a_user_runs_it_with_the_encrypted_file_keyring(
    fake: FakePrismatic, env: MemoryKeyring, tmp_path: Path
) -> None:
    """`cnikit login --no-browser` in a real process on a machine without an OS keyring, then `cnikit me`."""
    store = tmp_path / "secrets.cfg"
    child_env = {
        **os.environ,
        "CNIKIT_KEYRING_PASSWORD": "correct horse battery",
        "CNIKIT_KEYRING_FILE": str(store),
    }
    command = [str(Path(sys.executable).parent / "cnikit")]
    login = subprocess.Popen(
        [*command, "login", "--no-browser"],
        env=child_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert login.stdout is not None
    assert login.stdout.readline().strip() == "Open this URL in a browser to log in:"
    authorize = login.stdout.readline().strip()
    page = httpx.get(authorize, follow_redirects=True, timeout=10)  # the user's browser
    assert "Login successful!" in page.text
    rest, err = login.communicate(timeout=60)
    assert login.returncode == 0, err
    assert rest.strip() == f"Login complete! Ada Lovelace — Acme Corp ({fake.url})"

    me = subprocess.run([*command, "me"], env=child_env, capture_output=True, text=True, timeout=60, check=False)
    assert me.returncode == 0 and "Authentication: Keyring" in me.stdout
    # Without the password nothing is found (and nothing is written anywhere else).
    no_password = {k: v for k, v in child_env.items() if k != "CNIKIT_KEYRING_PASSWORD"}
    me = subprocess.run([*command, "me"], env=no_password, capture_output=True, text=True, timeout=60, check=False)
    assert me.returncode == 1 and "Not logged in" in me.stderr

    written = store.read_text()
    outputs = authorize + page.text + rest + err + me.stdout + me.stderr
    assert fake.issued and not any(token in written or token in outputs for token in fake.issued)


def test_no_token_appears_in_any_output_log_or_file_with_debug_logging(
    fake: FakePrismatic,
    env: MemoryKeyring,
    project: Path,
    browser: Browser,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: cnikit, httpx, httpcore
    fake.tenants.append({"tenantId": "tenant-beta", "url": "", "orgName": "Beta Ltd", "awsRegion": "eu-west-1"})
    _login(browser)
    outputs: list[str] = []
    for args in (
        ["me"],
        ["tenants"],
        ["tenants", "switch", "tenant-beta"],
        ["test", "--flow", "flow-1", "--payload", "order", "--tail", "--debug"],
        ["results", "--flow", "flow-1", "--logs"],
        ["wizard", "--no-browser"],
        ["open", "--no-browser"],
    ):
        code, out, err = cli(*args)
        assert code == 0, (args, err)
        outputs += [out, err]
    # Refresh on 401, then a refused refresh: the error must not carry a token either.
    fake.expire_access_tokens()
    outputs += list(cli("me")[1:])
    fake.expire_access_tokens()
    fake.revoke_refresh_tokens()
    code, out, err = cli("me")
    assert code == 1 and "Session expired. Please log in again." in err
    outputs += [out, err]
    outputs += [page for page in browser.pages] + browser.visited

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    texts = outputs + [caplog.text] + [p.read_bytes().decode("utf-8", "replace") for p in files]
    assert len(fake.issued) >= 6 and caplog.records  # tokens were issued and debug logs were written
    leaks = [t[:12] for t in fake.issued if any(t in text for text in texts)]
    assert leaks == []

    # The check can see a token when one is printed: `cnikit token` prints it on purpose.
    monkeypatch.setenv("PRISM_ACCESS_TOKEN", fake.issue_access_token())
    assert fake.issued[-1] in cli("token")[1]


def test_logout_revoke_and_the_prism_profile_note(
    fake: FakePrismatic, env: MemoryKeyring, browser: Browser, tmp_path: Path
) -> None:
    import yaml

    _login(browser)
    code, out, _ = cli("logout", "--revoke")
    assert code == 0 and out.splitlines() == ["Refresh token revoked.", "Successfully logged out."]
    assert len(fake.revoked) == 1 and env.entries == {}

    (tmp_path / "prism-config.yml").write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "defaultProfile": "default",
                "profiles": {
                    "default": {
                        "accessToken": fake.issue_access_token(),
                        "refreshToken": fake.issue_refresh_token(),
                        "prismaticUrl": fake.url,
                    }
                },
            }
        )
    )
    code, out, err = cli("logout")
    assert "still logs you in here; run `prism logout`" in err
