"""Schedule triggers: cron expressions (static or from a schedule config variable) in their time zone.

A flow's schedule (spec/runtime.md §4.4) is `{value: "30 9 * * *", timezone: "America/Chicago"}` or
`{configVar: "Sync Schedule"}` whose value is `{value, schedule_type, time_zone}`. An empty time zone is UTC.
`ticks(after, until)` lists the tick times in `(after, until]`, which the clock fires in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from cnikit.definition.models import BuiltFlow
from emulator.serve.clock import TooManyEvents

MAX_TICKS = 1_000  # per flow per move of the clock: more is refused (a year of minutes is not a test)
COUNTED = 10_000  # how far a refused move is counted, to name the count without iterating a century of minutes


class ScheduleError(ValueError):
    """A schedule that cannot run: the message names the flow, the value found and what is expected."""


@dataclass(frozen=True)
class Schedule:
    """One flow's cron schedule."""

    flow: BuiltFlow
    cron: str
    time_zone: str
    source: str  # "static" or the config variable's name

    def next_tick(self, after: datetime) -> datetime:
        """The first tick after `after` (UTC)."""
        tick: datetime = croniter(self.cron, after.astimezone(ZoneInfo(self.time_zone or "UTC"))).get_next(datetime)
        return tick.astimezone(after.tzinfo)

    def ticks(self, after: datetime, until: datetime) -> list[datetime]:
        """Tick times in `(after, until]`, as UTC datetimes; raises `TooManyEvents` for more than `MAX_TICKS`."""
        zone = ZoneInfo(self.time_zone or "UTC")
        iterator = croniter(self.cron, after.astimezone(zone))
        found: list[datetime] = []
        while len(found) < COUNTED:
            tick: datetime = iterator.get_next(datetime)
            if tick > until:
                break
            found.append(tick.astimezone(until.tzinfo))
        if len(found) > MAX_TICKS:
            count = f"{len(found):,}" if len(found) < COUNTED else f"at least {COUNTED:,}"
            raise TooManyEvents(
                f"that would fire {count} ticks of flow {self.flow.name!r} (cron '{self.cron}'); at most "
                f"{MAX_TICKS:,} fire per flow in one move: advance in smaller steps, or jump with `clock set`, "
                "which fires no ticks in between"
            )
        return found


def flow_schedule(flow: BuiltFlow, config_values: dict[str, Any]) -> Schedule | None:
    """The schedule of `flow` (None when it has none); raises `ScheduleError` for an invalid one."""
    if flow.schedule is None:
        return None
    if flow.schedule.type == "configVar":
        name = flow.schedule.value
        value = config_values.get(name)
        if isinstance(value, dict):
            cron, zone = str(value.get("value") or ""), str(value.get("time_zone") or "")
            if value.get("schedule_type") == "none":
                return None
        else:
            cron, zone = str(value or ""), ""
        if not cron.strip():
            return None  # the customer has not set a schedule: the flow does not run on its own
        source = name
    else:
        cron, zone, source = flow.schedule.value, flow.schedule.time_zone or "", "static"
    if not croniter.is_valid(cron):
        where = f"config variable {source!r}" if source != "static" else "its schedule"
        raise ScheduleError(f"flow {flow.name!r}: {where} is {cron!r}, expected a cron expression like '*/5 * * * *'")
    try:
        ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"flow {flow.name!r}: time zone {zone!r} is not an IANA zone name (e.g. 'America/Chicago')"
        ) from None
    return Schedule(flow, cron, zone, source)
