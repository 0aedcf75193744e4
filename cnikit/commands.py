"""Commands of the core face: `cnikit check`, the linter for CNI projects.

Heavy imports (the analyser, tree-sitter, the checks) stay inside the command so `cnikit` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cnikit.report import Format, wants_color

if TYPE_CHECKING:
    from cnikit.diagnostics import Diagnostic
    from cnikit.report import RuleInfo


class UsageError(Exception):
    """Bad input on the command line: reported on stderr, exit status 2."""


def register(app: typer.Typer) -> None:
    """Add this face's commands to `app`."""
    from cnikit.scaffold import init_command

    app.command("check")(check)
    app.command("init")(init_command)


def check(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Projects or folders to check (every project below a folder; a file checks its project and "
            "reports on that file only). Default: the current folder.",
            show_default=False,
            metavar="PATH",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)] = Format.HUMAN,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            metavar="CODES",
            help="Only these codes or code prefixes (CNI3, CNI301); comma-separated or repeated.",
        ),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore", metavar="CODES", help="Skip these codes or code prefixes; comma-separated or repeated."
        ),
    ] = None,
    list_checks: Annotated[
        bool, typer.Option("--list", help="Print the catalogue of checks (code, severity, summary).")
    ] = False,
    built: Annotated[
        bool,
        typer.Option("--built", help="Also build the project and compare the built definition with the static model."),
    ] = False,
    color: Annotated[
        bool | None,
        typer.Option(
            "--color/--no-color",
            help="Colour the human output (default: when writing to a terminal).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check CNI projects for problems: exit 1 when errors were found, 0 otherwise, 2 on usage errors."""
    try:
        status = run_check(
            paths or [Path(".")],
            fmt=fmt,
            select=split_codes(select or []),
            ignore=split_codes(ignore or []),
            list_checks=list_checks,
            built=built,
            color=color,
        )
    except UsageError as error:
        typer.echo(f"cnikit check: {error}", err=True)
        raise typer.Exit(2) from None
    raise typer.Exit(status)


def split_codes(values: Sequence[str]) -> list[str]:
    """`["CNI1,CNI2", "cni301"]` → `["CNI1", "CNI2", "CNI301"]`."""
    return [part.strip().upper() for value in values for part in value.split(",") if part.strip()]


def run_check(
    paths: Sequence[Path],
    *,
    fmt: Format = Format.HUMAN,
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    list_checks: bool = False,
    built: bool = False,
    color: bool | None = None,
) -> int:
    """Run `cnikit check`; prints the report and returns the exit status (raises UsageError on bad input)."""
    from cnikit import __version__
    from cnikit.analysis import Analyzer
    from cnikit.analysis.checks import load_checks, run_checks, selected
    from cnikit.analysis.checks.built import check_built
    from cnikit.report import RuleInfo, Summary, render

    registry = load_checks()
    rules = {code: RuleInfo(code, info.severity, info.summary) for code, (info, _) in registry.items()}
    for prefix in (*select, *ignore):
        if not any(code.startswith(prefix) for code in rules):
            raise UsageError(f'no check code starts with "{prefix}"; see `cnikit check --list` for the catalogue')
    if list_checks:
        _print_catalogue([rules[code] for code in sorted(rules) if selected(code, select, ignore)], fmt)
        return 0
    targets = _targets(paths)
    analyzer = Analyzer()
    diagnostics: list[Diagnostic] = []
    files = 0
    for root, only_files in targets.items():
        model = analyzer.analyze(root)
        files += len(model.files)
        found = run_checks(model, select, ignore)
        if built:
            found.extend(check_built(root, model=model, select=select, ignore=ignore, progress=_progress))
        if only_files is not None:
            found = [d for d in found if d.span.file.resolve() in only_files]
        diagnostics.extend(found)
    diagnostics.sort(key=lambda d: (str(d.span.file), d.span.line, d.span.col, d.code))
    use_color = color if color is not None else wants_color(sys.stdout)
    report = render(
        diagnostics,
        fmt,
        base=Path.cwd(),
        summary=Summary(projects=list(targets), files=files),
        rules=rules,
        color=use_color and fmt is Format.HUMAN,
        version=__version__,
    )
    # Through echo, not sys.stdout: echo strips colour under `cnikit --no-color` unless `--color` asked for it.
    typer.echo(report, nl=False, color=True if use_color else None)
    return 1 if any(d.severity == "error" for d in diagnostics) else 0


def _progress(line: str) -> None:
    """A progress line of long work (the build of `--built`), on stderr so reports on stdout stay clean."""
    typer.secho(line, err=True, dim=True)


def _targets(paths: Sequence[Path]) -> dict[Path, set[Path] | None]:
    """Project roots to check; for roots named through a file, the files to report on (None: everything)."""
    from cnikit.project import find_project_root, find_projects, not_found_message, unmarked_project

    targets: dict[Path, set[Path] | None] = {}
    for path in paths:
        if not path.exists():
            raise UsageError(f"no such file or folder: {path}")
        if path.is_file():
            root = find_project_root(path)
            if root is None:
                raise UsageError(not_found_message(path))
            if root not in targets or targets[root] is not None:
                only = targets.get(root) or set()
                only.add(path.resolve())
                targets[root] = only
            continue
        roots = find_projects(path)
        if not roots:
            above = find_project_root(path)
            if above is None and unmarked_project(path) is not None:
                raise UsageError(not_found_message(path))
            if above is None:
                raise UsageError(
                    f"no CNI project found at or below {path} (a CNI project is a folder holding .spectral/, "
                    "searched 5 levels deep) nor above it"
                )
            roots = [above]
        for root in roots:
            targets[root] = None
    return targets


def _print_catalogue(infos: Sequence[RuleInfo], fmt: Format) -> None:
    import json

    if fmt in (Format.JSON, Format.SARIF):
        payload = [{"code": r.code, "severity": r.severity.value, "summary": r.summary} for r in infos]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return
    width = max((len(r.severity.value) for r in infos), default=7)
    for rule in infos:
        sys.stdout.write(f"{rule.code}  {rule.severity.value:<{width}}  {rule.summary}\n")
    sys.stdout.write(f"\n{len(infos)} checks.\n")
