"""Checks on icon files: `integration({ iconPath })` and connection `icons`. Paths are relative to the built
output, and the build copies `assets/` into it, so the file must be `assets/<path>` — and a real PNG, which is what
`prism integrations:import` accepts.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from cnikit.analysis.checks import CheckContext, check
from cnikit.analysis.checks._common import get, obj_at
from cnikit.diagnostics import Diagnostic, Severity
from cnikit.model import JsString

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ASSETS = "assets"
BUILT = "dist"


def icons(ctx: CheckContext) -> Iterator[tuple[str, JsString]]:
    """(what the icon is for, its path value) for every icon path written as a known string."""
    integration = ctx.project.integration
    if integration is None:
        return
    value = get(integration.obj, "iconPath")
    if isinstance(value, JsString) and value.span:
        yield "integration iconPath", value
    for var in integration.all_config_vars():
        if var.helper != "connectionConfigVar":
            continue
        for key in ("oauth2ConnectionIconPath", "avatarPath"):
            value = get(obj_at(var.obj, "icons"), key)
            if isinstance(value, JsString) and value.span:
                yield f'icons.{key} of connection "{var.name}"', value


def _file(ctx: CheckContext, value: str) -> Path | None:
    """The icon file: in assets/ (copied into the build) or already in the built output; None when in neither."""
    for folder in (ASSETS, BUILT):
        path = (ctx.root / folder / value).resolve()
        if path.is_file():
            return path
    return None


@check("CNI811", Severity.ERROR, "icon file not found in assets/")
def icon_missing(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an icon path with no file in assets/: prism import rejects a missing icon (official-tooling B.1)."""
    for what, value in icons(ctx):
        if _file(ctx, value.value) is None and value.span:
            yield ctx.report(
                value.span,
                f'{what} "{value.value}" does not exist: expected {ASSETS}/{value.value.removeprefix("./")} (icon '
                "paths are relative to the built output, and the build copies assets/ into it).",
            )


@check("CNI812", Severity.ERROR, "icon file is not a PNG")
def icon_not_png(ctx: CheckContext) -> Iterator[Diagnostic]:
    """Catch an icon that is not a real PNG (by name or by signature): prism import accepts only PNG (official-tooling
    B.1)."""
    for what, value in icons(ctx):
        path = _file(ctx, value.value)
        if path is None or value.span is None:
            continue
        if not value.value.lower().endswith(".png"):
            yield ctx.report(value.span, f'{what} "{value.value}" must be a .png file (prism import accepts only PNG).')
            continue
        with path.open("rb") as file:
            head = file.read(len(PNG_SIGNATURE))
        if head != PNG_SIGNATURE:
            yield ctx.report(
                value.span,
                f'{what} "{value.value}" is named .png but is not a PNG image (its first bytes are not the PNG '
                "signature); export it as PNG.",
            )
