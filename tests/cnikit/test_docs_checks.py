"""docs/checks.md lists every CNI1xx–CNI9xx check of the registry, with the summary `cnikit check --list` prints."""

from __future__ import annotations

import re
from pathlib import Path

from cnikit.analysis.checks import load_checks

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "checks.md"


def test_every_check_of_families_1_to_9_is_in_the_catalogue_with_its_summary() -> None:
    rows = {
        match["code"]: (match["severity"], match["summary"])
        for match in re.finditer(
            r"^\| (?P<code>CNI\d{3}) \| (?P<severity>\w+) \| (?P<summary>[^|]+?) \|", CATALOGUE.read_text(), re.M
        )
    }
    registered = {code: info for code, (info, _) in load_checks().items() if code[3] != "0"}
    assert sorted(rows) == sorted(registered)
    for code, info in registered.items():
        assert rows[code] == (info.severity.value, info.summary), code
