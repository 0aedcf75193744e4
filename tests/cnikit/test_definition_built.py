"""`cnikit check --built`: spectral's load errors placed on the source, and the static model held to the build."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cnikit.analysis import analyze_project
from cnikit.analysis.checks.built import check_built, compare_definition
from cnikit.definition.build import build_with_project_script
from cnikit.definition.loading import load_definition
from cnikit.definition.models import parse_definition_yaml
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import Span

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


def text_at(span: Span) -> str:
    """The source text a span covers."""
    lines = span.file.read_text().splitlines()
    if span.line == span.end_line:
        return lines[span.line][span.col : span.end_col]
    return "\n".join(
        [lines[span.line][span.col :], *lines[span.line + 1 : span.end_line], lines[span.end_line][: span.end_col]]
    )


def found(diagnostics: list[Diagnostic]) -> list[tuple[str, str]]:
    """(code, text at the span) of each diagnostic, sorted."""
    return sorted((d.code, text_at(d.span)) for d in diagnostics)


@pytest.mark.parametrize(
    "project",
    [
        REPO / "examples" / "todo-sync",
        FIXTURES / "definition-all-kinds",
        FIXTURES / "definition-multi-file",
        FIXTURES / "definition-computed-names",
        FIXTURES / "definition-value-forms",
        FIXTURES / "definition-registry-references",
        FIXTURES / "definition-connection-inputs",
    ],
    ids=lambda path: path.name,
)
def test_static_model_and_built_definition_agree(project: Path) -> None:
    assert check_built(project) == []


def test_check_built_compares_with_the_model_it_is_given() -> None:
    # `cnikit check --built` passes the model it analysed already; that model, not a fresh analysis, is compared.
    project = FIXTURES / "definition-all-kinds"
    other = analyze_project(FIXTURES / "definition-connection-inputs")
    bundle = build_with_project_script(project)
    diagnostics = check_built(project, model=other, bundle=bundle)
    assert ("CNI940", '"Definition Connection Inputs"') in found(diagnostics)
    assert check_built(project, bundle=bundle) == []


def test_what_the_analyser_marks_unknown_is_not_reported() -> None:
    project = FIXTURES / "definition-computed-names"
    model = analyze_project(project)
    assert model.integration is not None
    # The analyser cannot evaluate `words.join(" ")` or the generated pages …
    assert [flow.name for flow in model.integration.flows] == [None, "Fixed Name"]
    assert not model.integration.config_pages_complete
    # … which the build does have, so reporting them as missing from the source would be a false alarm.
    built = load_definition(build_with_project_script(project))
    assert [flow.name for flow in built.flows] == ["Sync Contacts", "Fixed Name"]
    assert [page.name for page in built.config_pages] == ["Alpha", "Beta", "Options"]
    assert compare_definition(model, built) == []


def test_a_build_of_other_code_disagrees_everywhere_it_differs() -> None:
    # The build script bundles src/legacy.ts, so the build is not what src/index.ts (the analyser's view) says.
    diagnostics = check_built(FIXTURES / "definition-build-entry-differs")
    assert {d.severity for d in diagnostics} == {Severity.WARNING}
    assert found(diagnostics) == [
        ("CNI910", '"Order Webhook"'),
        ("CNI911", "flows"),
        ("CNI913", '"import-orders"'),
        ("CNI914", '{ value: "0 * * * *", timezone: "Europe/Paris" }'),
        ("CNI923", "Settings"),
        ("CNI930", '"Batch Size"'),
        ("CNI933", '"picklist"'),
        ("CNI934", '["us", "eu"]'),
    ]
    messages = {d.code: d.message for d in diagnostics}
    assert messages["CNI913"].startswith(
        'flow "Import Orders" has stable key "import-orders" in the source but "orders-import" in the build'
    )
    assert messages["CNI914"].startswith(
        'flow "Import Orders" is scheduled "0 * * * *" in Europe/Paris in the source '
        'but "0 * * * *" in America/New_York in the build'
    )
    assert messages["CNI911"].startswith('the built definition has a flow "Legacy Export" the source does not')


def test_duplicate_config_var_key_is_spectrals_error_on_the_second_key() -> None:
    project = FIXTURES / "definition-duplicate-config-var-key"
    [diagnostic] = check_built(project)
    assert (diagnostic.code, diagnostic.severity) == ("CNI901", Severity.ERROR)
    assert diagnostic.message == ('Duplicate config var key: "Api Region" (thrown while dist/index.js was loaded)')
    source = (project / "src" / "index.ts").read_text().splitlines()
    second = max(number for number, line in enumerate(source) if '"Api Region"' in line)
    assert (diagnostic.span.file, diagnostic.span.line) == (project / "src" / "index.ts", second)
    assert text_at(diagnostic.span) == '"Api Region"'


def test_flow_errors_are_placed_on_the_flow_name() -> None:
    [diagnostic] = check_built(FIXTURES / "definition-singleton-without-schedule")
    assert diagnostic.code == "CNI901"
    assert diagnostic.message.startswith(
        "Nightly Export is configured for singletonExecutions but has no schedule. "
        "Unscheduled flows cannot be configured for singleton executions."
    )
    # "Nightly" is also a flow, and a prefix of the name in the message: the longer name wins.
    assert text_at(diagnostic.span) == '"Nightly Export"'


def test_lifecycle_hooks_without_on_trigger_are_placed_on_that_flow() -> None:
    [diagnostic] = check_built(FIXTURES / "definition-lifecycle-without-trigger")
    assert diagnostic.code == "CNI901"
    assert diagnostic.message.startswith('Invalid trigger configuration detected: { "componentRef": {')
    assert "\n" not in diagnostic.message
    assert text_at(diagnostic.span) == '"Subscribe Webhooks"'


def test_an_error_of_the_projects_own_code_points_into_the_bundle() -> None:
    project = FIXTURES / "definition-top-level-throws"
    [diagnostic] = check_built(project)
    assert diagnostic.code == "CNI901"
    assert re.fullmatch(
        r"Expected property name or '\}' in JSON at position 2.*? \(thrown while dist/index\.js was loaded\)"
        r" at dist/index\.js:\d+:\d+",
        diagnostic.message,
    )
    # The analyser cannot place it, so it goes on the integration() call.
    assert diagnostic.span.file == project / "src" / "index.ts"
    assert text_at(diagnostic.span) == "integration"


def test_registry_errors_are_placed_on_the_reference() -> None:
    [diagnostic] = check_built(FIXTURES / "definition-unknown-registry-entry")
    assert diagnostic.code == "CNI901"
    assert diagnostic.message.startswith(
        'Component with key "acme" does not have an entry with key "newOrders" in the component registry.'
    )
    assert text_at(diagnostic.span) == '"newOrders"'


def test_a_registry_trigger_is_told_apart_from_generated_and_default_ones() -> None:
    built = load_definition(build_with_project_script(FIXTURES / "definition-registry-references"))
    [flow] = built.flows
    assert flow.trigger_kind == "component"
    assert (flow.trigger.component_key, flow.trigger.key, flow.trigger.is_public) == ("acme", "newOrder", True)
    assert flow.trigger_inputs["event"]["value"] == "order.created"
    store = built.config_var("Acme Store")
    assert store is not None and store.data_source_key == "listStores"


def test_a_bundle_without_a_definition_is_an_error(tmp_path: Path) -> None:
    (tmp_path / ".spectral").mkdir()
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.ts").write_text('export default { name: "not an integration" };\n')
    write = "const fs = require('fs'); fs.mkdirSync('dist', { recursive: true }); "
    write += "fs.writeFileSync('dist/index.js', 'module.exports = { default: {} };');"
    (tmp_path / "package.json").write_text(json.dumps({"name": "plain", "scripts": {"build": f'node -e "{write}"'}}))
    [diagnostic] = check_built(tmp_path)
    assert (diagnostic.code, diagnostic.severity) == ("CNI902", Severity.ERROR)
    assert "has no default export with codeNativeIntegrationYAML" in diagnostic.message
    assert (diagnostic.span.file, diagnostic.span.line, diagnostic.span.col) == (tmp_path / "src" / "index.ts", 0, 0)


def test_a_failing_build_is_an_error_on_the_build_script() -> None:
    project = FIXTURES / "definition-build-fails"
    [diagnostic] = check_built(project)
    assert (diagnostic.code, diagnostic.severity) == ("CNI900", Severity.ERROR)
    assert diagnostic.span.file == project / "package.json"
    assert text_at(diagnostic.span) == '"build"'
    assert diagnostic.message.startswith(f"'npm run build' failed with exit code 1 in {project}")
    assert 'Expected "}" but found ")"' in diagnostic.message
    assert "src/index.ts:5:" in diagnostic.message


class TestComparison:
    """Each disagreement, on the real definition of definition-all-kinds changed in one place."""

    project = FIXTURES / "definition-all-kinds"

    def compare(self, change: dict[str, object]) -> list[tuple[str, str]]:
        raw = parse_definition_yaml((self.project / "spectral-10.31.1.yaml").read_text()).raw
        for path, value in change.items():
            *parents, last = path.split(".")
            target: object = raw
            for part in parents:
                target = target[int(part)] if isinstance(target, list) else target[part]  # type: ignore[index]
            target[int(last) if isinstance(target, list) else last] = value  # type: ignore[index]
        built = parse_definition_yaml(yaml.safe_dump(raw))
        return found(compare_definition(analyze_project(self.project), built))

    def test_unchanged_agrees(self) -> None:
        assert self.compare({}) == []

    def test_integration_name(self) -> None:
        assert self.compare({"name": "Renamed"}) == [("CNI940", '"Definition All Kinds"')]

    def test_flow_order(self) -> None:
        raw = parse_definition_yaml((self.project / "spectral-10.31.1.yaml").read_text()).raw
        flows = raw["flows"]
        assert self.compare({"flows": [flows[1], flows[0], *flows[2:]]}) == [("CNI912", "flows")]

    def test_trigger_kind(self) -> None:
        webhook = {"key": "webhook", "component": {"key": "webhook-triggers", "version": "LATEST", "isPublic": True}}
        assert self.compare({"flows.0.steps.0.action": webhook}) == [("CNI915", "onTrigger")]

    def test_schedule_from_config_var(self) -> None:
        assert self.compare({"flows.3.steps.0.schedule.value": "Other Schedule"}) == [
            ("CNI914", '{ configVar: "Sync Schedule" }')
        ]

    def test_page_order_and_missing_page(self) -> None:
        raw = parse_definition_yaml((self.project / "spectral-10.31.1.yaml").read_text()).raw
        pages = raw["configPages"]
        assert self.compare({"configPages": [pages[1], pages[0]]}) == [("CNI922", "configPages")]
        assert self.compare({"configPages": [pages[1]]}) == [("CNI920", "Connections")]

    def test_extra_page(self) -> None:
        raw = parse_definition_yaml((self.project / "spectral-10.31.1.yaml").read_text()).raw
        extra = {"name": "Advanced", "elements": []}
        assert self.compare({"configPages": [*raw["configPages"], extra]}) == [("CNI921", "configPages")]

    def test_html_element(self) -> None:
        assert self.compare({"configPages.1.elements.0.value": "<h2>Changed</h2>"}) == [("CNI923", "Options")]

    def test_config_var_fields(self) -> None:
        # requiredConfigVars: 0 Api Connection, 1 Target Name, 2 Mode, 3 Enabled, 4 Sync Schedule, 5 Mapping, 6 Tags
        assert self.compare(
            {
                "requiredConfigVars.1.stableKey": "target",
                "requiredConfigVars.2.defaultValue": "slow",
                "requiredConfigVars.3.dataType": "string",
                "requiredConfigVars.4.timeZone": "UTC",
                "requiredConfigVars.5.codeLanguage": "xml",
                "requiredConfigVars.6.collectionType": "keyvaluelist",
            }
        ) == [
            ("CNI932", '"target-name"'),
            ("CNI933", '"boolean"'),
            ("CNI934", '"America/Chicago"'),
            ("CNI934", '"fast"'),
            ("CNI934", '"json"'),
            ("CNI934", '"valuelist"'),
        ]

    def test_extra_config_var(self) -> None:
        raw = parse_definition_yaml((self.project / "spectral-10.31.1.yaml").read_text()).raw
        extra = {**raw["requiredConfigVars"][1], "key": "Hidden", "stableKey": "hidden"}
        assert self.compare({"requiredConfigVars": [*raw["requiredConfigVars"], extra]}) == [("CNI931", "configPages")]


def test_cnikit_check_built_reports_load_errors_and_fails() -> None:
    project = FIXTURES / "definition-duplicate-config-var-key"
    cnikit = Path(sys.executable).parent / "cnikit"
    result = subprocess.run(
        [str(cnikit), "check", "--built", "--select", "CNI9", "--no-color", str(project.relative_to(REPO))],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr
    assert (
        "tests/fixtures/definition-duplicate-config-var-key/src/index.ts:14:9 CNI901 "
        'Duplicate config var key: "Api Region" (thrown while dist/index.js was loaded)'
    ) in result.stdout
