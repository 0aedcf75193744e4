"""The check families' shared tests are parametrized from the cases each test class declares."""

from __future__ import annotations

import pytest

from tests.cnikit.checks.support import parametrize_family


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Give the shared family tests (tests/cnikit/checks/support.py) their cases."""
    parametrize_family(metafunc)
