"""The emulator's clock: real time by default, frozen or moved on demand, so schedules and retries fire on it.

Every time-based trigger (cron ticks, retry delays) is an *event source* on the clock. Moving the clock forward
(`advance`, `set`, or real time passing) fires every event that became due, in chronological order, exactly once —
`cnikit clock advance 90m` runs an hour and a half of schedules in an instant, deterministically.
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


def parse_duration(text: str) -> timedelta:
    """`90m`, `1h30m`, `2d`, `45s` → a timedelta; raises ValueError saying what is expected."""
    cleaned = text.strip().replace(" ", "")
    parts = _DURATION.findall(cleaned)
    if not cleaned or "".join(f"{n}{u}" for n, u in parts).lower() != cleaned.lower():
        raise ValueError(f"expected a duration like 90m, 1h30m, 2d or 45s (units ms, s, m, h, d, w), found {text!r}")
    return timedelta(seconds=sum(float(n) * _UNITS[u.lower()] for n, u in parts))


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
        """Move forward by `delta` and fire what became due; returns the times of the events fired."""
        if delta < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._base = self.now() + delta
            self._base_mono = time.monotonic()
        return self.fire_due()

    def set(self, when: datetime) -> list[datetime]:
        """Move forward to `when` and fire what became due; raises ValueError for a time before now."""
        now = self.now()
        if when < now:
            raise ValueError(f"the clock only moves forward; it is at {_iso(now)}, asked for {_iso(when)}")
        return self.advance(when.astimezone(UTC) - now)

    def fire_due(self) -> list[datetime]:
        """Fire every event due by now, oldest first, each once; returns their times."""
        with self._fire_lock:
            until = self.now()
            after = self._fired_until
            fired: list[datetime] = []
            with self._lock:
                sources = list(self._sources)
            events: list[tuple[datetime, int, Callback]] = []
            for source in sources:
                events.extend((when, next(self._seq), callback) for when, callback in source(after, until))
            events.sort(key=lambda event: (event[0], event[1]))
            timers: list[_Timer] = []
            with self._lock:
                while self._timers and self._timers[0].when <= until:
                    timers.append(heapq.heappop(self._timers))
            merged = sorted(
                [(when, seq, cb) for when, seq, cb in events]
                + [(t.when, t.seq, t.callback) for t in timers if not t.cancelled],
                key=lambda event: (event[0], event[1]),
            )
            for when, _seq, callback in merged:
                callback(when)
                fired.append(when)
            self._fired_until = until
            return fired
