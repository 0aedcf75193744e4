"""Checks on config pages and config variables (CNI3xx, cnikit/analysis/checks/config_vars.py)."""

from __future__ import annotations

from pathlib import Path

from tests.cnikit.checks.support import (
    FamilyTests,
    FixTests,
    SpectralTests,
    case,
    spectral_error,
)

FAMILY = "CNI3"

# Each fixture shows one problem; the test asserts every diagnostic of the project (code, range, message).
TRIGGERS = [
    case(
        "check-duplicate-config-var-key",
        (
            "CNI301",
            "src/index.ts",
            11,
            7,
            ('Duplicate config var key: "Item Limit"'),
        ),
    ),
    case(
        "check-config-var-in-both-page-groups",
        (
            "CNI302",
            "src/index.ts",
            14,
            7,
            (
                'Duplicate config var key: "Item Limit" is on config page "Settings" and on user level config '
                'page "My Settings". spectral does not detect this: the user level one silently replaces the '
                "other. Rename one of them."
            ),
        ),
    ),
    case(
        "check-duplicate-config-var-stable-key",
        (
            "CNI303",
            "src/index.ts",
            7,
            43,
            (
                'Duplicate config var stableKey "item-limit": "Item Limit" on config page "Settings" already uses'
                ' it. A stable key identifies one config variable across renames: give "Page Size" its own.'
            ),
        ),
    ),
    case(
        "check-config-var-without-stable-key",
        (
            "CNI304",
            "src/index.ts",
            7,
            7,
            (
                'Config variable "Sync Notes" has no stableKey; every config variable needs one, or a rename '
                "loses the values customers saved."
            ),
        ),
    ),
    case(
        "check-credential-data-type",
        (
            "CNI305",
            "src/index.ts",
            7,
            68,
            (
                'dataType "credential" of config variable "Acme Token" is not a config variable type; expected '
                "one of string, date, timestamp, picklist, code, boolean, number, schedule, objectSelection, "
                "objectFieldMap, jsonForm, htmlElement. Credentials are connections: use connectionConfigVar({ "
                'dataType: "connection", inputs }).'
            ),
        ),
    ),
    case(
        "check-picklist-without-values",
        (
            "CNI306",
            "src/index.ts",
            6,
            64,
            ('Picklist "Priority" has no pickList; add pickList: ["…"] with its options.'),
        ),
    ),
    case(
        "check-picklist-default",
        (
            "CNI307",
            "src/index.ts",
            10,
            23,
            (
                'defaultValue "Hihg" of picklist "Priority" is not one of its pickList values ("Low", "Medium", '
                '"High"). Did you mean "High"?'
            ),
        ),
    ),
    case(
        "check-picklist-value-too-long",
        (
            "CNI308",
            "src/index.ts",
            11,
            11,
            ('Picklist "Completed Action" has a value of 82 characters; picklist values may be at most 64 characters.'),
        ),
    ),
    case(
        "check-code-without-language",
        (
            "CNI309",
            "src/index.ts",
            8,
            19,
            ('Code config variable "Field Mapping" has no codeLanguage; set it to one of json, xml, html.'),
        ),
    ),
    case(
        "check-collection-type-on-schedule",
        (
            "CNI310",
            "src/index.ts",
            6,
            104,
            (
                '"Sync Schedules" is a schedule and cannot be a list: collectionType is only allowed for string, '
                "date, timestamp, picklist, code, boolean and number values. Remove collectionType."
            ),
        ),
    ),
    case(
        "check-organization-var-without-default",
        (
            "CNI311",
            "src/index.ts",
            10,
            38,
            (
                '"Partner Id" is visible to your organization only, but has no defaultValue: customers cannot set'
                " it, so your team would have to set it for every instance. Add a defaultValue."
            ),
        ),
    ),
    case(
        "check-unknown-visibility",
        (
            "CNI312",
            "src/index.ts",
            10,
            38,
            (
                'permissionAndVisibilityType "organisation" of "Partner Id" is not one of customer, embedded, '
                'organization. Did you mean "organization"?'
            ),
        ),
    ),
    case(
        "check-object-selection-config-var",
        (
            "CNI313",
            "src/index.ts",
            7,
            78,
            (
                '"Objects To Sync" is an objectSelection, which always comes from a data source; define it with '
                'dataSourceConfigVar({ dataSourceType: "objectSelection", perform }) instead of configVar.'
            ),
        ),
    ),
    case(
        "check-schedule-var-invalid-cron",
        (
            "CNI314",
            "src/index.ts",
            9,
            23,
            (
                'Schedule "Sync Schedule" has an invalid cron defaultValue "*/5 * * *": expected 5 fields (minute'
                " hour day-of-month month day-of-week), found 4."
            ),
        ),
    ),
    case(
        "check-schedule-var-time-zone",
        (
            "CNI315",
            "src/index.ts",
            10,
            19,
            (
                'Schedule "Sync Schedule" timeZone "Europe/Berln" is not an IANA time zone: did you mean '
                '"Europe/Berlin"?'
            ),
        ),
    ),
    case(
        "check-dotted-config-var-name",
        (
            "CNI316",
            "src/index.ts",
            6,
            7,
            (
                'Config variable name "Acme.com Region" contains ".", which makes references to it ambiguous '
                "(some components fail with \"Cannot read properties of undefined (reading 'key')\"); use only "
                "letters, digits and spaces."
            ),
        ),
    ),
    case(
        "check-boolean-string-default",
        (
            "CNI317",
            "src/index.ts",
            6,
            99,
            ('Boolean "Sync Archived" has the string defaultValue "false"; use the boolean false.'),
        ),
    ),
    case(
        "check-page-without-elements",
        (
            "CNI318",
            "src/index.ts",
            4,
            3,
            (
                'Config page "Settings" has no elements (its keys "Item Limit" look like elements); put its '
                "config variables inside elements: { … }."
            ),
        ),
    ),
    case(
        "check-html-element-script",
        (
            "CNI319",
            "src/index.ts",
            6,
            24,
            (
                'HTML element "<h2>Help</h2>" on config page "Settings" contains a <script>; the wizard shows '
                "helper text, it does not run scripts. Remove it."
            ),
        ),
    ),
    case(
        "check-config-var-key-also-scoped",
        (
            "CNI301",
            "src/index.ts",
            6,
            7,
            ('Duplicate config var key: "Acme Connection"'),
        ),
    ),
]

# The near-miss of each check: check-clean has distinct keys and stable keys on two pages, a user level page and
# scoped variables, a picklist whose default is an option, a code variable with codeLanguage, a string valuelist, an
# organization variable with a default, an objectSelection from a data source, a valid schedule variable, a boolean
# default `false`, an HTML string element.
NEAR_MISSES = {code: "check-clean" for code in [f"CNI3{n:02}" for n in range(1, 20)]}

# Values the analyser cannot know silence the checks that read them: a pickList computed with .map(), a code
# variable whose codeLanguage may come from a spread, a "Help" element on two pages built by a function (it may be
# an HTML string, which spectral does not count as a config variable).
SILENCED = [
    ("check-unknown-values", "CNI307"),
    ("check-unknown-values", "CNI309"),
    ("check-unknown-config-vars", "CNI301"),
]

# spectral throws this very message when the integration loads (C.3 #1).
SPECTRAL = [("check-duplicate-config-var-key", "CNI301"), ("check-config-var-key-also-scoped", "CNI301")]

FIXES = [
    (
        "check-picklist-default",
        "CNI307",
        "src/index.ts",
        10,
        ['        defaultValue: "High",'],
    ),
    (
        "check-code-without-language",
        "CNI309",
        "src/index.ts",
        8,
        [
            '        dataType: "code",',
            '        codeLanguage: "json",',
            '        defaultValue: \'{ "title": "subject" }\',',
        ],
    ),
    (
        "check-unknown-visibility",
        "CNI312",
        "src/index.ts",
        10,
        ['        permissionAndVisibilityType: "organization",'],
    ),
    ("check-schedule-var-time-zone", "CNI315", "src/index.ts", 10, ['        timeZone: "Europe/Berlin",']),
    (
        "check-boolean-string-default",
        "CNI317",
        "src/index.ts",
        6,
        ['      "Sync Archived": configVar({ stableKey: "sync-archived", dataType: "boolean", defaultValue: false }),'],
    ),
]


def test_spectral_misses_a_key_in_both_page_groups(tmp_path: Path) -> None:
    """The case CNI302 exists for: spectral loads it without complaint, and one of the two variables is lost."""
    assert spectral_error("check-config-var-in-both-page-groups", tmp_path) is None


class TestFamily(FamilyTests, FixTests, SpectralTests):
    """The tests every check family shares (tests/cnikit/checks/support.py), on this family's cases."""

    family = FAMILY
    triggers = TRIGGERS
    near_misses = NEAR_MISSES
    silenced = SILENCED
    fixes = FIXES
    spectral = SPECTRAL
