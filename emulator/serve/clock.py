"""The emulator's clock: real time by default, frozen or moved on demand, so schedules and retries fire on it.

Every time-based trigger (cron ticks, retry delays) is an *event source* on the clock. `advance` (and real time
passing) fires every event that became due, in chronological order, exactly once — `cnikit clock advance 90m` runs
an hour and a half of schedules in an instant, deterministically. A source may refuse a move that would fire too
many of its events (`TooManyEvents`): `advance` is then refused before anything fires, and the clock stays put.
`set` jumps: the sources' events in between (schedule ticks) do not fire; one-off events (retries) due by then do.

The clock stays before `LATEST` (year 9000): later times are refused, so date arithmetic never overflows.
"""

from __future__ import annotations

import heapq
import itertools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

Callback = Callable[[datetime], None]
Source = Callable[[datetime, datetime], list[tuple[datetime, Callback]]]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)", re.IGNORECASE)
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
LATEST = datetime(9000, 1, 1, tzinfo=UTC)  # far enough for any test, far from datetime.max (no overflow in cron math)


def parse_duration(text: str) -> timedelta:
    """`90m`, `1h30m`, `2d`, `45s` → a timedelta; raises ValueError saying what is expected."""
    cleaned = text.strip().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if not cleaned or "".join(f"{n}{u}" for n, u in parts).lower() != cleaned.lower():
        raise ValueError(f"expected a duration like 90m, 1h30m, 2d or 45s (units ms, s, m, h, d, w), found {text!r}")
    try:
        return timedelta(seconds=sum(float(n) * _UNITS[u.lower()] for n, u in parts))
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration: the clock stays before {_iso(LATEST)}") from None


def parse_time(text: str) -> datetime:
    """`2027-01-15T15:00:00Z` (ISO 8601 with a zone) → an aware datetime; raises ValueError saying what is expected."""
    expected = f"expected an ISO 8601 time with a zone, like 2027-01-15T15:00:00Z, found {text!r}"
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(expected) from None
    if when.tzinfo is None:
        raise ValueError(expected)
    return when


class TooManyEvents(ValueError):
    """A source refuses a move of the clock that would fire too many of its events; the message names the count."""


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(order=True)
class _Timer:
    when: datetime
    seq: int
    callback: Callback = field(compare=False)
    label: str = field(compare=False, default="")
    cancelled: bool = field(compare=False, default=False)


class Timer:
    """A handle on a one-off event: `cancel()` it before it fires."""

    def __init__(self, entry: _Timer) -> None:
        self._entry = entry

    @property
    def when(self) -> datetime:
        """When it fires."""
        return self._entry.when

    def cancel(self) -> None:
        """It will not fire."""
        self._entry.cancelled = True


class Clock:
    """Virtual time. `frozen=False` (the default) follows real time from `start`; `frozen=True` moves only on demand.

    Callbacks run on the thread that moved the clock, in time order; they must be quick (submit work, don't do it).
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self.frozen = frozen
        self._base = (start or datetime.now(UTC)).astimezone(UTC)
        self._base_mono = time.monotonic()
        self._fired_until = self._base
        self._timers: list[_Timer] = []
        self._seq = itertools.count()
        self._sources: list[Source] = []
        self._lock = threading.RLock()
        self._fire_lock = threading.Lock()

    def now(self) -> datetime:
        """The current virtual time (UTC)."""
        with self._lock:
            if self.frozen:
                return self._base
            return self._base + timedelta(seconds=time.monotonic() - self._base_mono)

    def add_source(self, source: Source) -> None:
        """`source(after, until)` lists the events due in `(after, until]` each time the clock moves."""
        with self._lock:
            self._sources.append(source)

    def call_at(self, when: datetime, callback: Callback, label: str = "") -> Timer:
        """Fire `callback(when)` once the clock reaches `when`."""
        entry = _Timer(when.astimezone(UTC), next(self._seq), callback, label)
        with self._lock:
            heapq.heappush(self._timers, entry)
        return Timer(entry)

    def pending(self) -> list[tuple[datetime, str]]:
        """The one-off events still to fire (when, label), soonest first."""
        with self._lock:
            return sorted((t.when, t.label) for t in self._timers if not t.cancelled)

    def advance(self, delta: timedelta) -> list[datetime]:
        """Move forward by `delta` and fire what became due; returns the times of the events fired.

        Raises ValueError (the clock unchanged, nothing fired) for a negative `delta`, a time at or past `LATEST`,
        or a move a source refuses (`TooManyEvents`).
        """
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._fire_lock:
            now = self.now()
            try:
                target = _in_range(now + delta)
            except OverflowError:
                raise ValueError(f"the clock stays before {_iso(LATEST)}; advancing {delta} goes past it") from None
            events = self._source_events(self._fired_until, target)  # may refuse: nothing has moved yet
            self._move_to(target)
            return self._fire(events + self._timers_due(target), target)

    def set(self, when: datetime) -> list[datetime]:
        """Jump forward to `when`: schedule ticks in between do not fire, one-off events (retries) due by then do.

        Raises ValueError, the clock unchanged, for a time before now or at or past `LATEST`.
        """
        with self._fire_lock:
            now = self.now()
            try:
                target = _in_range(when.astimezone(UTC))
            except OverflowError:
                raise ValueError(f"the clock stays before {_iso(LATEST)}, asked for {when.isoformat()}") from None
            if target < now:
                raise ValueError(f"the clock only moves forward; it is at {_iso(now)}, asked for {_iso(target)}")
            self._move_to(target)
            return self._fire(self._timers_due(target), target)

    def fire_due(self) -> list[datetime]:
        """Fire every event due by now (real time passing), oldest first, each once; returns their times.

        When a source refuses (say the machine slept for days under a every-minute schedule), the clock skips its
        events, as `set` does, rather than firing a backlog.
        """
        with self._fire_lock:
            until = self.now()
            try:
                events = self._source_events(self._fired_until, until)
            except TooManyEvents:
                events = []
            return self._fire(events + self._timers_due(until), until)

    def _move_to(self, when: datetime) -> None:
        with self._lock:
            self._base = when
            self._base_mono = time.monotonic()

    def _source_events(self, after: datetime, until: datetime) -> list[tuple[datetime, int, Callback]]:
        with self._lock:
            sources = list(self._sources)
        events: list[tuple[datetime, int, Callback]] = []
        for source in sources:
            events.extend((when, next(self._seq), callback) for when, callback in source(after, until))
        return events

    def _timers_due(self, until: datetime) -> list[tuple[datetime, int, Callback]]:
        due: list[tuple[datetime, int, Callback]] = []
        with self._lock:
            while self._timers and self._timers[0].when <= until:
                timer = heapq.heappop(self._timers)
                if not timer.cancelled:
                    due.append((timer.when, timer.seq, timer.callback))
        return due

    def _fire(self, events: list[tuple[datetime, int, Callback]], until: datetime) -> list[datetime]:
        fired: list[datetime] = []
        for when, _seq, callback in sorted(events, key=lambda event: (event[0], event[1])):
            callback(when)
            fired.append(when)
        self._fired_until = until
        return fired


def _in_range(when: datetime) -> datetime:
    if when >= LATEST:
        raise ValueError(f"the clock stays before {_iso(LATEST)}, asked for {_iso(when)}")
    return when
