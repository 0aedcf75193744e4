"""Whatever TypeScript (or garbage) a project holds, the analyser returns a model and never fails internally.

Two generators: well-formed programs built from a small expression grammar (so the resolver is exercised:
imports, spreads, factories, recursion, enums …), and random soups of CNI code fragments (so the parser's error
recovery and the notes are).
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cnikit.analysis import Analyzer

_leaf = st.sampled_from(
    [
        '"Name"',
        '"k"',
        "'é\\u00e9'",
        "42",
        "-1.5",
        "true",
        "null",
        "undefined",
        "a",
        "b",
        "c",
        "ns",
        "other",
        "E.B",
        "E",
        "ns.list",
        "ns.missing",
        "process.env.X",
        "`plain`",
        "(p) => p",
        "async function named() {}",
    ]
)


def _compound(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(st.sampled_from(["name", "stableKey", "flows", '"Page"', "elements", "[b]", "1"]), inner).map(
        lambda kv: f"{kv[0]}: {kv[1]}"
    )
    member = st.one_of(pair, inner.map(lambda e: f"...{e}"), st.just("a"), st.just("get g() { return 1; }"))
    return st.one_of(
        st.lists(member, max_size=4).map(lambda items: "{ " + ", ".join(items) + " }"),
        st.lists(st.one_of(inner, inner.map(lambda e: f"...{e}")), max_size=4).map(lambda i: "[" + ", ".join(i) + "]"),
        st.tuples(st.sampled_from(["flow", "configPage", "configVar", "g", "ns.h", "Object.values", "f"]), inner).map(
            lambda call: f"{call[0]}({call[1]})"
        ),
        st.tuples(inner, inner).map(lambda t: f"f({t[0]}, {t[1]})"),
        st.tuples(inner, st.sampled_from(["name", "length", "elements", "0"])).map(lambda t: f"({t[0]}).{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"({t[0]})[{t[1]}]"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]} + {t[1]}"),
        inner.map(lambda e: f"`x${{{e}}}y`"),
        inner.map(lambda e: f"({e} as any)"),
        inner.map(lambda e: f"{e}!"),
    )


_expr = st.recursive(_leaf, _compound, max_leaves=12)


@st.composite
def _project(draw: st.DrawFn) -> tuple[str, str]:
    e = lambda: draw(_expr)  # noqa: E731
    index = f"""
import {{ integration, flow, configPage, configVar }} from "@prismatic-io/spectral";
import * as ns from "./other";
import other, {{ list as a }} from "./other";
enum E {{ A = "a", B = 2, C }}
const b = {e()};
let c = {e()};
{draw(st.sampled_from(["", "c = 1;", "c.push(b);", "b.x = 1;"]))}
function f(x: unknown, {{ y, z = x }}: any = {{}}, ...rest: unknown[]) {{ return {e()}; }}
const g = (p: any): any => ({e()});
context.configVars[{e()}];
context.invokeFlow({e()});
export default integration({{ name: {e()}, flows: {e()}, configPages: {e()}, componentRegistry: {e()} }});
"""
    other = f"""
import * as self from "./other";
import {{ flow }} from "@prismatic-io/spectral";
export * from "./index";
export const list = [{e()}, ...self.list];
export const h = (q: any) => {e()};
export default {e()};
"""
    return index, other


_soup = st.lists(
    st.sampled_from(
        [
            'import { integration, flow } from "@prismatic-io/spectral";',
            'import * as ns from "./other";',
            "export default integration({",
            "export * from",
            "flow({",
            'name: "N",',
            "...ns,",
            "[`${b}`]: 1,",
            "})",
            "}",
            "]",
            ")",
            ",",
            "const a = ",
            "enum E { A = 1, B }",
            "context.configVars[a]",
            "<div>{a}</div>",
            '"\\u{1F600}\\x41"',
            "é",
            "\0",
        ]
    ),
    max_size=40,
).map(" ".join)


def _check(tmp_path: Path, index: str, other: str) -> None:
    root = tmp_path / "fuzz"
    (root / ".spectral").mkdir(parents=True, exist_ok=True)
    overlays = {root / "src" / "index.ts": index, root / "src" / "other.ts": other}
    analyzer = Analyzer()
    model = analyzer.analyze(root, overlays=overlays)
    assert not [note.message for note in model.notes if "internal error" in note.message]
    assert analyzer.analyze(root, overlays=overlays) == model  # again, from the caches: the same model


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(project=_project())
def test_generated_programs_never_break_the_resolver(tmp_path: Path, project: tuple[str, str]) -> None:
    _check(tmp_path, *project)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(index=_soup, other=_soup)
def test_random_fragments_never_break_the_analyser(tmp_path: Path, index: str, other: str) -> None:
    _check(tmp_path, index, other)
