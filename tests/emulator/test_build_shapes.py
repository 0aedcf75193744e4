"""The fast build bundles the project shapes real CNI projects build with webpack + ts-loader, and each one runs.

One fixture per shape (tests/fixtures/build-*); each is built with esbuild (never the fallback) and its flow run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from emulator.executor import Executor

ExecutorFor = Callable[..., Executor]

SHAPES: dict[str, dict[str, Any]] = {
    # `import { Thing } from "../schemas/thing"` of an interface: erased, never a vendor package.
    "build-type-only-import": {"described": "t-1: widget"},
    "build-tsconfig-paths": {"greeting": "hello paths", "region": "eu-west"},
    "build-json-import": {"threshold": 7, "labels": ["low", "high"]},
    "build-import-type": {"total": 5, "currency": "EUR"},
    "build-reexported-types": {"label": "customer Acme", "statuses": ["open", "closed"], "state": "open"},
    "build-export-star": {"doubled": 42, "shouted": "STAR", "year": 1970},
    "build-default-and-named": {"formatted": "#00042", "prefix": "#", "hasUtil": "function"},
    "build-require-package": {"parsed": 42, "digest": "e5ef8ba8"},
    # copy-webpack-plugin's patterns (assets/ → the icon, a template file) are copied next to the bundle.
    "build-copied-assets": {"iconBytes": 70, "welcome": "<p>Welcome aboard</p>"},
    # The `require` condition of an `exports` map, as webpack resolves ts-loader's CommonJS output; a subpath.
    "build-exports-map": {"build": "require", "boiling": 212},
    # A package without a `require` condition is imported; its default export stays the default.
    "build-esm-only": {"slug": "hello-esm-world", "shouted": "ESM!"},
}


@pytest.mark.parametrize("fixture", sorted(SHAPES))
def test_each_shape_builds_fast_and_its_flow_runs(executor_for: ExecutorFor, fixture: str) -> None:
    executor = executor_for(fixture)
    result = executor.prepare(force_build=True)

    outcome = executor.run("Check")

    assert (result.mode, result.fallback) == ("fast", None)
    assert result.bundle == executor.root / ".spectral/local/build/index.js"
    assert outcome.succeeded, outcome.error
    assert outcome.result == {"data": SHAPES[fixture]}


def test_the_vendor_layer_holds_packages_only(executor_for: ExecutorFor) -> None:
    executor = executor_for("build-type-only-import")
    executor.prepare(force_build=True)
    build = executor.root / ".spectral/local/build"

    vendor = (build / "vendor.js").read_text()

    assert "schemas/thing" not in vendor and '"@prismatic-io/spectral": () =>' in vendor
    assert not (build / "vendor-entry.js").exists()  # generated entries are cleaned up


def test_an_edited_asset_is_copied_again(executor_for: ExecutorFor) -> None:
    executor = executor_for("build-copied-assets")
    (executor.root / "assets/icon.png").write_bytes(b"\x89PNG not really")

    assert executor.prepare().rebuilt
    outcome = executor.run("Check")

    assert outcome.result == {"data": {"iconBytes": 15, "welcome": "<p>Welcome aboard</p>"}}
