"""Checks on connections (CNI4xx, cnikit/analysis/checks/connections.py), on real fixture projects."""

from __future__ import annotations

from tests.cnikit.checks.support import (
    FamilyTests,
    FixTests,
    SpectralTests,
    case,
    found,
)

FAMILY = "CNI4"

# Each fixture shows one problem; the test asserts every diagnostic of the project (code, range, message).
TRIGGERS = [
    case(
        "check-connection-not-on-first-page",
        (
            "CNI401",
            "src/index.ts",
            11,
            7,
            (
                'Connection "Acme Connection" is on config page "Connections" (page 2); connections must be on '
                'the first config page ("Settings"), where later pages can use them in data sources.'
            ),
        ),
    ),
    case(
        "check-wrapper-connection-not-on-first-page",  # written with a generated manifest wrapper
        (
            "CNI401",
            "src/index.ts",
            15,
            7,
            (
                'Connection "Acme Connection" is on config page "Connections" (page 2); connections must be on '
                'the first config page ("Settings"), where later pages can use them in data sources.'
            ),
        ),
    ),
    case(
        "check-on-prem-inputs-without-config",
        (
            "CNI402",
            "src/index.ts",
            6,
            7,
            (
                "Connection acme-connection has onPremControlled inputs but no onPremConnectionConfig value set. "
                "Please set an onPremConnectionConfig value for the connection."
            ),
        ),
    ),
    case(
        "check-on-prem-config-without-inputs",
        (
            "CNI403",
            "src/index.ts",
            9,
            33,
            (
                "Connection acme-connection has onPremConnectionConfig set but no onPremControlled inputs. The "
                "connection will not be valid without onPremControlled inputs (host, port)."
            ),
        ),
    ),
    case(
        "check-oauth2-missing-inputs",
        (
            "CNI404",
            "src/index.ts",
            9,
            21,
            (
                'OAuth 2.0 authorization code connection "Acme Connection" is missing the inputs scopes and '
                "clientSecret; it needs authorizeUrl, tokenUrl, scopes, clientId, clientSecret."
            ),
        ),
    ),
    case(
        "check-pkce-client-credentials",
        (
            "CNI405",
            "src/index.ts",
            10,
            9,
            (
                'Connection "Acme Connection" sets oauth2PkceMethod, which only applies to OAuth 2.0 '
                "authorization code connections (oauth2Type: OAuth2Type.AuthorizationCode)."
            ),
        ),
    ),
    case(
        "check-unknown-input-type",
        (
            "CNI406",
            "src/index.ts",
            11,
            45,
            (
                'Input "apiKey" of connection "Acme Connection" has type "pasword"; expected one of string, '
                'password, text, data, boolean, template. Did you mean "password"?'
            ),
        ),
    ),
    case(
        "check-hidden-input-without-default",
        (
            "CNI407",
            "src/index.ts",
            10,
            73,
            (
                'Input "baseUrl" of connection "Acme Connection" is hidden (shown: false) but has no default; a '
                "hidden input always uses its default, so it would always be empty."
            ),
        ),
    ),
    case(
        "check-org-activated-connection-on-page",
        (
            "CNI408",
            "src/index.ts",
            6,
            7,
            (
                '"Acme Connection" is an organization-activated connection on config page "Connections"; it '
                "belongs in integration({ scopedConfigVars }) (exported from src/index.ts), not on a config page."
            ),
        ),
    ),
    case(
        "check-activated-connection-on-user-level-page",
        (
            "CNI409",
            "src/index.ts",
            21,
            7,
            (
                "A connection activated once by the organization or the customer does not belong on a user level "
                'config page, which asks each person for their own. Move "Acme Shared Connection" on user level '
                'config page "My Connections".'
            ),
        ),
    ),
    case(
        "check-connection-without-inputs",
        (
            "CNI410",
            "src/index.ts",
            6,
            7,
            (
                'Connection "Acme Connection" has neither inputs (an inline connection) nor connection: { '
                "component, key } (a component's connection); add one of them."
            ),
        ),
    ),
    case(
        "check-secret-input-as-string",
        (
            "CNI411",
            "src/index.ts",
            11,
            57,
            (
                'Input "clientSecret" of connection "Acme Connection" holds a secret but has type "string", so it'
                ' is shown in clear text; use type "password".'
            ),
        ),
    ),
    case(
        "check-template-input-without-value",
        (
            "CNI412",
            "src/index.ts",
            11,
            47,
            (
                'Template input "baseUrl" of connection "Acme Connection" has no templateValue; a template input '
                'is computed from the others, e.g. templateValue: "https://{{#domain}}.acme.com/oauth/token".'
            ),
        ),
    ),
    case(
        "check-template-placeholder",
        (
            "CNI413",
            "src/index.ts",
            11,
            74,
            (
                'templateValue of "baseUrl" in connection "Acme Connection" uses {{#domian}}, but the connection '
                'has no such input; did you mean "domain"?'
            ),
        ),
    ),
    case(
        "check-literal-secret-default",
        (
            "CNI414",
            "src/index.ts",
            11,
            96,
            (
                'Input "apiKey" of connection "Acme Connection" has its secret written in the source; read it '
                "from the environment instead (default: process.env.X, kept in .env and out of version control)."
            ),
        ),
    ),
]

# The near-miss of each check: check-clean's first page holds an on-prem connection with onPremControlled host and
# port, an OAuth 2.0 authorization-code connection with all five inputs and PKCE, hidden inputs with defaults, a
# password-typed clientSecret, a component connection and a customer-activated connection; an organization-activated
# connection sits in scopedConfigVars; the user level page holds a plain variable.
NEAR_MISSES = {code: "check-clean" for code in [f"CNI4{n:02}" for n in range(1, 15)]}

# OAuth 2.0 inputs built by templateConnectionInputs(...) cannot be listed statically.
SILENCED = [("check-unknown-values", "CNI404")]

# spectral throws these very messages when the integration loads (C.3 #16, #17; and its user level page rule).
SPECTRAL = [
    ("check-on-prem-inputs-without-config", "CNI402"),
    ("check-on-prem-config-without-inputs", "CNI403"),
    ("check-activated-connection-on-user-level-page", "CNI409"),
]

FIXES = [
    (
        "check-template-placeholder",
        "CNI413",
        "src/index.ts",
        11,
        [
            '          baseUrl: { label: "Base URL", type: "template", '
            'templateValue: "https://{{#domain}}.acme.com/api" },'
        ],
    ),
    (
        "check-unknown-input-type",
        "CNI406",
        "src/index.ts",
        11,
        ['          apiKey: { label: "API Key", type: "password", required: true },'],
    ),
    (
        "check-secret-input-as-string",
        "CNI411",
        "src/index.ts",
        11,
        ['          clientSecret: { label: "Client Secret", type: "password", required: true },'],
    ),
]


def test_wrapper_connection_on_the_first_page_is_fine() -> None:
    assert found("check-wrapper-clean", select=["CNI401"]) == []


class TestFamily(FamilyTests, FixTests, SpectralTests):
    """The tests every check family shares (tests/cnikit/checks/support.py), on this family's cases."""

    family = FAMILY
    triggers = TRIGGERS
    near_misses = NEAR_MISSES
    silenced = SILENCED
    fixes = FIXES
    spectral = SPECTRAL
