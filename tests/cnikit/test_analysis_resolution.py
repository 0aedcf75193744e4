"""The analyser resolves `export default integration({...})` through each language feature (one fixture each).

Spans are asserted against the fixture text itself: `where(path, needle)` finds the needle and gives its 0-based
line and character column, so the assertions say "the span covers this exact text".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cnikit.analysis import analyze_project
from cnikit.analysis.analyzer import Analyzer
from cnikit.analysis.resolver import Resolver
from cnikit.model import (
    Integration,
    JsArray,
    JsCall,
    JsEnv,
    JsMember,
    JsObject,
    JsString,
    JsUndefined,
    JsUnknown,
    ProjectModel,
    Span,
    is_known,
)

FIXTURES = Path(__file__).parents[1] / "fixtures"


def fixture(name: str) -> Path:
    return (FIXTURES / name).resolve()


def where(path: Path, needle: str, nth: int = 0) -> Span:
    """The span of the nth occurrence of `needle` in `path` (0-based lines, character columns)."""
    text = path.read_text(encoding="utf-8")
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    before = text[:index]
    line = before.count("\n")
    col = index - (before.rfind("\n") + 1)
    end = before + needle
    end_line = end.count("\n")
    end_col = len(end) - (end.rfind("\n") + 1)
    return Span(file=path, line=line, col=col, end_line=end_line, end_col=end_col)


def integration_of(name: str) -> tuple[ProjectModel, Integration]:
    model = analyze_project(fixture(name))
    assert model.integration is not None, model.notes
    return model, model.integration


def test_scaffold_layout_resolves_flows_pages_and_registry_across_files() -> None:
    model, integration = integration_of("analysis-scaffold")
    src = fixture("analysis-scaffold") / "src"

    assert integration.name == "Acme Sync"
    assert integration.span == where(src / "index.ts", _call_text(src / "index.ts", "integration({"))
    assert [(f.name, f.stable_key) for f in integration.flows] == [
        ("List Items", "list-items"),
        ("Nightly Sync", "nightly-sync"),
    ]
    assert integration.flows_complete
    list_items = integration.flows[0]
    assert list_items.name_span == where(src / "flows.ts", '"List Items"')
    assert list_items.stable_key_span == where(src / "flows.ts", '"list-items"')
    assert list_items.key == "listItems"

    assert [page.title for page in integration.config_pages] == ["Connections", "Options"]
    connections, options = integration.config_pages
    assert connections.title_span == where(src / "configPages.ts", "Connections")
    (connection,) = connections.config_vars
    assert (connection.name, connection.helper, connection.data_type, connection.stable_key) == (
        "Acme Connection",
        "connectionConfigVar",
        "connection",
        "acme-connection",
    )
    assert connection.name_span == where(src / "configPages.ts", '"Acme Connection"')
    assert (connection.page, connection.page_index) == ("Connections", 0)
    assert [(h.key, h.html) for h in options.html_elements] == [("<h2>Options</h2>", "<h2>Choose how to sync</h2>")]
    base_url = options.config_vars[0]
    assert (base_url.name, base_url.data_type, base_url.page_index) == ("Acme Base URL", "string", 1)
    default = base_url.obj.get("defaultValue") if base_url.obj else None
    assert isinstance(default, JsString) and default.span == where(src / "configPages.ts", '"https://api.acme.test"')

    assert integration.component_registry == []
    assert integration.config_vars_complete
    assert set(model.files) == {
        src / name for name in ("index.ts", "flows.ts", "configPages.ts", "componentRegistry.ts")
    }
    assert model.notes == []


def _call_text(path: Path, start: str) -> str:
    """From `start` to the matching closing parenthesis (the whole call expression)."""
    text = path.read_text(encoding="utf-8")
    begin = text.index(start)
    depth = 0
    for index in range(begin, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return text[begin : index + 1]
    raise AssertionError("unbalanced")


def test_reexports_star_exports_default_as_and_index_files_are_followed() -> None:
    _, integration = integration_of("analysis-reexports")
    flows_dir = fixture("analysis-reexports") / "src" / "flows"

    assert [f.name for f in integration.flows] == ["Alpha", "Beta", "Gamma"]
    assert integration.flows_complete
    # Each flow points at its definition, in the file that defines it.
    assert integration.flows[1].name_span == where(flows_dir / "beta.ts", '"Beta"')
    assert integration.flows[2].name_span == where(flows_dir / "gamma.ts", '"Gamma"')
    # `import * as pages from "./pages/index.js"` → pages/index.ts → `export { configPages } from "./pages"`.
    (page,) = integration.config_pages
    assert page.title == "Settings"
    assert [(v.name, v.stable_key) for v in page.config_vars] == [("Region", "region")]


def test_spreads_merge_arrays_and_objects_later_keys_winning() -> None:
    _, integration = integration_of("analysis-spreads")
    src = fixture("analysis-spreads") / "src" / "index.ts"

    assert [f.name for f in integration.flows] == ["First", "Second"]
    assert integration.flows_complete
    # Integer-like keys first (ascending), then the others where first written; a repeated key keeps its first
    # position and takes its last value.
    assert [page.title for page in integration.config_pages] == ["1", "2", "10", "Extra", "Main"]
    assert [page.index for page in integration.config_pages] == [0, 1, 2, 3, 4]
    extra, page = integration.config_pages[3:]
    assert [v.name for v in extra.config_vars] == ["Replaced"]
    assert page.complete
    shared, override = page.config_vars
    assert (shared.name, shared.data_type, shared.stable_key) == ("Shared Var", "string", "shared-var")
    # `{ ...shared, dataType: "boolean" }`: the later key wins.
    assert (override.name, override.data_type) == ("Override", "boolean")
    visibility = override.obj.get("permissionAndVisibilityType") if override.obj else None
    assert isinstance(visibility, JsString) and visibility.value == "customer"
    assert visibility.span == where(src, '"customer"')


def test_constants_templates_enums_computed_keys_and_type_wrappers() -> None:
    _, integration = integration_of("analysis-constants")
    src = fixture("analysis-constants") / "src"

    assert integration.name == "acme Constants"  # ("acme" + " Constants") as string
    (flow,) = integration.flows  # `exportFlow!` and `flow({...} satisfies …)`
    assert (flow.name, flow.stable_key) == ("acme Export", "acme-export")
    # The name comes from a template literal in constants.ts, the key from an enum member there.
    assert flow.name_span == where(src / "constants.ts", "`${PREFIX} Export`")
    assert flow.stable_key_span == where(src / "constants.ts", '"acme-export"')
    # A substitution that is not a constant (`${2 * 1}`) makes the whole template unknown.
    assert isinstance(flow.obj.get("description"), JsUnknown)
    (page,) = integration.config_pages
    assert page.title == "acme Settings"  # computed key from a template literal
    (var,) = page.config_vars
    assert (var.name, var.stable_key) == ("API Base", "acme-api")  # computed key [API_VAR]
    default = var.obj.get("defaultValue") if var.obj else None
    assert isinstance(default, JsString) and default.value == "https://acme.test"


def test_namespace_imports_object_values_and_spectral_as_a_namespace() -> None:
    _, integration = integration_of("analysis-namespace-import")

    # A module namespace lists its exports in sorted order, as Object.values sees them.
    assert [f.name for f in integration.flows] == ["Alpha", "Zeta"]
    assert integration.flows_complete


def test_unresolvable_values_are_unknown_or_incomplete_never_guessed() -> None:
    _, integration = integration_of("analysis-unresolvable")

    assert integration.name is None  # `let name` is reassigned
    assert isinstance(integration.obj.get("name"), JsUnknown)
    description = integration.obj.get("description")
    assert isinstance(description, JsEnv) and description.name == "DESCRIPTION"
    # `...moreFlows` comes from a package: the list is incomplete.
    extra, overridden, made = integration.flows
    assert extra.name == "Extra"
    assert not integration.flows_complete
    # `makeFlow("Made")` is expanded: the name is its argument, the stable key (`name.toLowerCase()`) is unknown.
    assert (made.name, made.stable_key) == ("Made", None)
    assert isinstance(made.obj.get("stableKey"), JsUnknown)
    # A spread from a package after `name` may overwrite it: the name is unknown, onExecution (after it) is not.
    assert overridden.name is None and isinstance(overridden.obj.get("name"), JsUnknown)
    assert overridden.obj.get("onExecution") is not None and is_known(overridden.obj.get("onExecution"))
    assert not overridden.obj.complete
    page, later = integration.config_pages
    # The conditional spread after `Known` may add more variables and may overwrite `Known` itself.
    (known,) = page.config_vars
    assert (known.name, known.helper, known.stable_key) == ("Known", "unknown", None)
    assert not page.complete
    (dynamic,) = later.config_vars
    assert dynamic.stable_key is None  # a conditional expression
    assert not integration.user_level_config_pages_complete  # an array mutated with push
    assert not integration.config_vars_complete


def test_wrappers_activated_connections_user_level_scoped_and_component_registry() -> None:
    _, integration = integration_of("analysis-registry")
    src = fixture("analysis-registry") / "src" / "index.ts"

    connections, channels = integration.config_pages
    slack, shared = connections.config_vars
    assert (slack.helper, slack.stable_key, slack.data_type) == ("wrapper", "slack-connection", "connection")
    assert isinstance(slack.wrapper, JsCall)
    assert (slack.wrapper.callee, slack.wrapper.source) == ("slackOauth2", "./manifests/slack/connections/oauth2")
    assert slack.obj is not None and "clientId" in slack.obj.props
    assert slack.span == where(src, _call_text(src, 'slackOauth2("slack-connection"'))
    # What the wrapper returns — the reference spectral sees — is kept beside its options argument.
    assert slack.reference is not None and slack.reference.str_value("stableKey") == "slack-connection"
    connection = slack.reference.get("connection")
    assert isinstance(connection, JsObject)
    assert (connection.str_value("component"), connection.str_value("key")) == ("slack", "oauth2")
    assert (shared.helper, shared.data_type, shared.stable_key) == (
        "customerActivatedConnection",
        "connection",
        "shared-crm",
    )
    channel, notes = channels.config_vars
    assert (channel.helper, channel.stable_key) == ("wrapper", "slack-channel")
    assert channel.data_type is None  # a data source's type lives in the manifest, not in the call
    assert channel.is_data_source and channel.reference is not None and "dataSource" in channel.reference.props
    assert notes.reference is None and shared.reference is None  # not wrappers
    assert (notes.helper, notes.data_type) == ("literal", "string")

    (ulc_page,) = integration.user_level_config_pages
    assert ulc_page.user_level and [v.name for v in ulc_page.config_vars] == ["Nickname"]
    assert ulc_page.config_vars[0].user_level
    (vault,) = integration.scoped_config_vars
    assert (vault.name, vault.helper, vault.scoped, vault.data_type) == (
        "Org Vault",
        "organizationActivatedConnection",
        True,
        "connection",
    )
    assert [v.name for v in integration.all_config_vars()] == [
        "Slack Connection",
        "Shared CRM",
        "Channel",
        "Notes",
        "Nickname",
        "Org Vault",
    ]

    assert integration.component_registry is not None
    slack_manifest, legacy = integration.component_registry
    assert slack_manifest.key == "slack"
    assert isinstance(slack_manifest.value, JsObject)
    assert slack_manifest.actions == ["postMessage"]
    assert slack_manifest.connections == ["oauth2"]
    assert slack_manifest.data_sources == ["selectChannels"]
    assert slack_manifest.triggers == []
    assert (slack_manifest.component_key, slack_manifest.public) == ("slack", True)
    # `onTrigger: slackEventsTrigger({...})` is the reference object the wrapper returns, placed at the call;
    # its `component` is the generated getter's registry lookup by manifest key and visibility.
    (only,) = integration.flows
    trigger = only.obj.get("onTrigger")
    assert isinstance(trigger, JsObject)
    assert trigger.span == where(src, _call_text(src, "slackEventsTrigger({"))
    assert trigger.str_value("key") == "events"
    lookup = trigger.get("component")
    assert isinstance(lookup, JsCall) and lookup.callee == "findUserDefinedComponentKey"
    assert [(arg.kind, getattr(arg, "value", None)) for arg in lookup.args] == [("string", "slack"), ("boolean", True)]
    values = trigger.get("values")
    assert isinstance(values, JsObject) and "channel" in values.props
    # A legacy manifest from an npm package is not read: its contents are unknown.
    assert isinstance(legacy.value, JsMember) and legacy.value.source == "@component-manifests/legacy"
    assert legacy.actions is None


def test_config_var_references_and_invoke_flow_with_spans_of_the_names() -> None:
    model = analyze_project(fixture("analysis-references"))
    src = fixture("analysis-references") / "src" / "index.ts"

    refs = {(ref.name, ref.form): ref.span for ref in model.config_var_refs}
    assert refs == {
        ("Run Schedule", "schedule"): where(src, "Run Schedule"),
        ("Index Var", "index"): where(src, "Index Var"),
        ("MemberVar", "member"): where(src, "MemberVar"),
        ("BoundVar", "member"): where(src, "BoundVar"),
        ("Quoted Var", "destructure"): where(src, "Quoted Var"),
        ("Plain", "destructure"): where(src, "Plain"),
        # On a line with non-ASCII characters before it: columns count characters, not bytes.
        ("Ünïcode Var", "index"): where(src, "Ünïcode Var"),
        ("Property Var", "configVar-property"): where(src, "Property Var"),
        ("ParamVar", "destructure"): where(src, "ParamVar"),
    }
    # The first "Sibling" in the file is the one inside invokeFlow("Sibling", …).
    assert [(inv.name, inv.span) for inv in model.flow_invocations] == [("Sibling", where(src, "Sibling"))]


def test_import_cycles_and_self_references_end_as_unknown() -> None:
    _, integration = integration_of("analysis-import-cycle")
    src = fixture("analysis-import-cycle") / "src"

    assert integration.name == "Cycle"
    assert [f.name for f in integration.flows] == ["From A via B", "From A"]
    analyzer = Analyzer()
    analyzer.analyze(fixture("analysis-import-cycle"))
    from cnikit.analysis.analyzer import _Run

    resolver = Resolver(_Run(analyzer, {}))
    for file, name in ((src / "a.ts", "selfish"), (src / "b.ts", "loopy"), (src / "a.ts", "circular")):
        value = resolver.export_value(file, name)
        assert isinstance(value, JsUnknown), (name, value)
        assert value.reason


@pytest.mark.parametrize(
    ("scenario", "kind", "needle", "message"),
    [
        ("analysis-syntax-error", "syntax-error", None, "Syntax error: missing `)`"),
        ("analysis-no-entry", "no-entry", None, "No src/index.ts"),
        ("analysis-not-integration", "no-entry", None, "is an object; expected `export default integration"),
        ("analysis-missing-import", "unresolved-import", '"./flowz"', 'Cannot find "./flowz" imported by index.ts'),
    ],
)
def test_notes_say_what_went_wrong_and_where(scenario: str, kind: str, needle: str | None, message: str) -> None:
    model = analyze_project(fixture(scenario))
    (note,) = model.notes
    assert note.kind == kind
    assert message in note.message
    if needle is not None:
        assert note.span == where(fixture(scenario) / "src" / "index.ts", needle)


def test_syntax_error_is_located_and_the_rest_is_still_analysed() -> None:
    model, integration = integration_of("analysis-syntax-error")
    flows = fixture("analysis-syntax-error") / "src" / "flows.ts"

    (note,) = model.notes
    # `if (value {`: the parser expects `)` right after `value`.
    after_value = where(flows, "if (value")
    assert (note.span.file, note.span.line, note.span.col) == (flows, after_value.line, after_value.end_col)
    # The broken file still yields its flow and its references; the other files are analysed as usual.
    assert [f.name for f in integration.flows] == ["Broken"]
    assert [v.name for v in integration.all_config_vars()] == ["Real Var"]
    assert [ref.name for ref in model.config_var_refs] == ["Missing Var"]


def test_every_known_value_is_known_and_spans_point_into_the_project() -> None:
    """Across all fixtures: complete means known, and every span names a file the analyser read."""
    for scenario in sorted(p.name for p in FIXTURES.glob("analysis-*")):
        model = analyze_project(fixture(scenario))
        if model.integration is None:
            continue
        for flow in model.integration.flows:
            assert flow.span is not None and flow.span.file in model.files
        for var in model.integration.all_config_vars():
            assert var.name_span is not None and var.name_span.file in model.files
            if var.obj is not None and var.obj.complete:
                assert is_known(var.obj)


def test_destructuring_default_export_through_identifiers_and_tsx_files() -> None:
    model, integration = integration_of("analysis-destructuring")
    src = fixture("analysis-destructuring") / "src"

    main, other = integration.flows
    # Nested object and array patterns give each name its own value, pointing at the literal.
    assert (main.name, main.stable_key) == ("Main Flow", "main-flow")
    assert main.stable_key_span == where(src / "settings.ts", '"main-flow"')
    # A pattern default (`{ missing = "fallback" }`) depends on the value: unknown.
    assert isinstance(main.obj.get("description"), JsUnknown)
    # `export { other as default }` in a .tsx file (JSX parsed with the TSX grammar).
    assert (other.name, other.stable_key) == ("Other Flow", "other-flow")
    assert other.span is not None and other.span.file == src / "view.tsx"
    assert [(ref.name, ref.span) for ref in model.config_var_refs] == [("Region", where(src / "view.tsx", "Region"))]
    assert model.notes == []


def test_names_given_by_module_level_constants_unless_a_local_hides_them() -> None:
    model = analyze_project(fixture("analysis-constant-references"))
    src = fixture("analysis-constant-references") / "src" / "index.ts"

    assert [(ref.name, ref.form, ref.span) for ref in model.config_var_refs] == [
        ("Acme Connection", "index", where(src, "CONNECTION", nth=1)),  # the first is in the import
        ("Region", "index", where(src, "Vars.Region")),
        ("Acme Label", "index", where(src, "`${PREFIX} Label`")),
        # `(name) => context.configVars[name]`: the parameter hides the module's `name`; nothing is recorded.
    ]
    # Inside `for (const SIBLING of …)` the loop variable hides the constant; after the loop it is the constant.
    # `invokeFlow(context.flow.name)` (recursion) is not a constant.
    assert [(inv.name, inv.span) for inv in model.flow_invocations] == [("Sibling", where(src, "SIBLING", nth=3))]


def test_the_projects_own_factory_functions_are_expanded_with_their_arguments() -> None:
    _, integration = integration_of("analysis-factories")
    src = fixture("analysis-factories") / "src"

    contacts, deals = integration.flows
    # `syncFlow("Contacts", "sync-contacts")`: the flow's span is the call; the name is built in the factory
    # from the argument; the stable key is the argument itself, at the call site.
    assert (contacts.name, contacts.stable_key) == ("Sync Contacts", "sync-contacts")
    assert contacts.span == where(src / "index.ts", 'syncFlow("Contacts", "sync-contacts")')
    assert contacts.stable_key_span == where(src / "index.ts", '"sync-contacts"')
    assert contacts.name_span == where(src / "factories.ts", "`Sync ${name}`")
    # `factories.syncFlow("Deals")` through a namespace import; the default parameter sees `name`.
    assert (deals.name, deals.stable_key) == ("Sync Deals", "5-default")
    # `complicated("Other")` is not a single expression: unknown, so the list of flows is incomplete.
    assert not integration.flows_complete

    (page,) = integration.config_pages
    assert page.obj is not None and page.obj.str_value("tagline") == "Made by a factory"
    region, team = page.config_vars
    assert (region.name, region.helper, region.stable_key, region.data_type) == (
        "Region",
        "configVar",
        "region",
        "string",
    )
    default = region.obj.get("defaultValue") if region.obj else None
    assert isinstance(default, JsString) and default.span == where(src / "index.ts", '"us"')
    # A destructured parameter property that the argument lacks is `undefined`, as in JavaScript.
    assert team.obj is not None and isinstance(team.obj.get("defaultValue"), JsUndefined)

    # A factory that spreads a call of itself stops expanding instead of looping.
    labels = integration.obj.get("labels")
    assert isinstance(labels, JsArray) and not labels.complete


def test_conditions_decided_by_constants_and_left_alone_otherwise() -> None:
    _, integration = integration_of("analysis-constants")
    src = fixture("analysis-constants") / "src" / "index.ts"

    labels = integration.obj.get("labels")  # BETA ? ["beta"] : ["stable", !BETA && "ga"]
    assert isinstance(labels, JsArray) and labels.span == where(src, '["stable", !BETA && "ga"]')
    assert [item.value for item in labels.items if isinstance(item, JsString)] == ["stable", "ga"]
    assert integration.obj.str_value("category") == "Sales"  # REGION ?? "Sales", REGION undefined
    assert integration.obj.str_value("version") == "1.0"  # (PREFIX && "1.0") || "0.0"
    # `process.env.PROFILE || "default"`: the environment is known only when building.
    assert isinstance(integration.obj.get("instanceProfile"), JsUnknown)
