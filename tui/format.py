"""Small text formatters shared by the screens: relative times, durations, status icons, byte sizes."""

from __future__ import annotations

from datetime import UTC, datetime

STATUS_ICONS: dict[str, tuple[str, str]] = {
    "succeeded": ("✔", "$success"),
    "failed": ("✘", "$error"),
    "running": ("●", "$warning"),
    "queued": ("…", "$secondary"),
}

SEVERITY_STYLES: dict[str, str] = {
    "error": "bold $error",
    "warn": "$warning",
    "info": "$foreground",
    "debug": "$text-muted",
    "metric": "$secondary",
}


INVOKE_LABELS: dict[str, str] = {
    "INTEGRATION_FLOW_TEST": "test",
    "INTEGRATION_ENDPOINT_TEST": "endpoint test",
    "WEBHOOK": "webhook",
    "SCHEDULED": "schedule",
    "CROSS_FLOW": "cross-flow",
    "DEPLOY_FLOW": "deploy",
    "TEAR_DOWN_FLOW": "teardown",
}


def invoke_label(invoke_type: str) -> str:
    """A short name for the platform's invoke types (`INTEGRATION_FLOW_TEST` → `test`); others as they are."""
    return INVOKE_LABELS.get(invoke_type, invoke_type.lower().replace("_", " "))


def status_icon(status: str) -> tuple[str, str]:
    """The icon and content style of an execution status."""
    return STATUS_ICONS.get(status, ("?", "$text-muted"))


def relative_time(moment: datetime, now: datetime) -> str:
    """`12s ago`, `5m ago`, `3h ago`, `2d ago`, or the date for anything older than a week."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    if seconds < 0:
        return "just now"
    if seconds < 60:
        return f"{int(seconds)}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h ago"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d ago"
    return moment.strftime("%Y-%m-%d")


def duration(ms: float | None) -> str:
    """`850ms`, `1.2s`, `3m 05s`; `—` when unknown or still running."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f}ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f}s"
    minutes, seconds = divmod(int(ms // 1000), 60)
    return f"{minutes}m {seconds:02d}s"


def byte_size(size: int) -> str:
    """`512 B`, `1.5 KiB`, `2.0 MiB`."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


def fit(text: str, width: int) -> str:
    """`text` cut or padded to exactly `width` cells (an ellipsis marks a cut)."""
    if width <= 0:
        return ""
    if len(text) > width:
        return text[: width - 1] + "…"
    return text.ljust(width)
