"""Import: build with the project's package manager (DEBUG stripped), then `prism integrations:import`."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from cnikit.platform.client import PrismaticClient
from cnikit.platform.importer import ImportFailed
from cnikit.settings import load_settings
from tests.fakes.keyring import MemoryKeyring
from tests.fakes.prismatic import FakePrismatic

FIXTURES = Path(__file__).parents[2] / "fixtures"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "import-project"
    shutil.copytree(FIXTURES / "import-project", root)
    (root / "node_modules").mkdir()
    return root


@pytest.fixture
def prism_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    record = tmp_path / "prism-call.json"
    monkeypatch.setenv("PATH", f"{FIXTURES / 'fake-prism'}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_PRISM_RECORD", str(record))
    monkeypatch.setenv("DEBUG", "true")  # must be stripped from the build and from prism
    return record


@pytest.fixture
def logged_in(fake: FakePrismatic, env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> FakePrismatic:
    monkeypatch.setenv("PRISM_REFRESH_TOKEN", fake.issue_refresh_token())
    return fake


async def test_import_builds_then_runs_prism_and_records_the_id(
    logged_in: FakePrismatic, project: Path, prism_on_path: Path
) -> None:
    lines: list[str] = []
    async with PrismaticClient(load_settings(project)) as client:
        integration_id = await client.import_integration(project, on_output=lines.append)
    assert integration_id == "SW50ZWdyYXRpb246ZmFrZQ=="
    call = json.loads(prism_on_path.read_text())
    assert call == {
        "argv": ["integrations:import"],
        "cwd": str(project.resolve()),
        "url": logged_in.url,
        "has_token": True,
        "debug": None,
        "dist": True,  # built before prism ran
    }
    assert json.loads((project / ".spectral" / "prism.json").read_text()) == {
        "note": "kept",
        "integrationId": "SW50ZWdyYXRpb246ZmFrZQ==",
    }
    assert "Publishing component definition..." in lines


async def test_prism_failure_and_polluted_stdout_are_reported(
    logged_in: FakePrismatic, project: Path, prism_on_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with PrismaticClient(load_settings(project)) as client:
        monkeypatch.setenv("FAKE_PRISM_FAIL", "1")
        with pytest.raises(ImportFailed, match=r"exit code 2: Error: Failed to import integration: Invalid definition"):
            await client.import_integration(project, on_output=lambda _: None)
        monkeypatch.delenv("FAKE_PRISM_FAIL")
        monkeypatch.setenv("FAKE_PRISM_STDOUT", "integration:\n  name: yaml printed by DEBUG")
        with pytest.raises(ImportFailed, match="where an integration id was expected"):
            await client.import_integration(project, on_output=lambda _: None)
    assert json.loads((project / ".spectral" / "prism.json").read_text()) == {"note": "kept"}


async def test_missing_prism_says_how_to_install_it(
    logged_in: FakePrismatic, project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bin_dir = tmp_path / "bin"  # node, npm and sh for the build, but no prism and no npx
    bin_dir.mkdir()
    for tool in ("node", "npm", "sh"):
        found = shutil.which(tool)
        assert found
        (bin_dir / tool).symlink_to(found)
    monkeypatch.setenv("PATH", str(bin_dir))
    async with PrismaticClient(load_settings(project)) as client:
        with pytest.raises(ImportFailed, match=r"npm install -g @prismatic-io/prism"):
            await client.import_integration(project, on_output=lambda _: None)
    assert (project / "dist" / "index.js").is_file()  # the build ran first, as the extension does


async def test_missing_dependencies_are_offered_and_declining_changes_nothing(
    logged_in: FakePrismatic, project: Path, prism_on_path: Path
) -> None:
    shutil.rmtree(project / "node_modules")
    asked: list[str] = []

    def decline(manager: str) -> bool:
        asked.append(manager)
        return False

    async with PrismaticClient(load_settings(project)) as client:
        with pytest.raises(ImportFailed, match=r"Dependencies are not installed\. Run 'npm install' in .* and try"):
            await client.import_integration(project, confirm_install=decline, on_output=lambda _: None)
    assert asked == ["npm"]
    assert not (project / "dist").exists() and not prism_on_path.exists()


async def test_a_failing_build_imports_nothing(logged_in: FakePrismatic, project: Path, prism_on_path: Path) -> None:
    (project / "build.js").write_text("console.error('src/index.ts(3,1): error TS1005'); process.exit(1);\n")
    async with PrismaticClient(load_settings(project)) as client:
        with pytest.raises(ImportFailed, match=r"Build failed, nothing was imported.*error TS1005"):
            await client.import_integration(project, on_output=lambda _: None)
    assert not prism_on_path.exists()
