"""The clock's rules without a server: refused moves change nothing, `set` jumps, a backlog is skipped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from emulator.serve.clock import Clock, TooManyEvents

START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def minutes(fired: list[str]) -> Clock:
    """A frozen clock with a source ticking every minute that refuses more than 10 ticks at once."""
    clock = Clock(START, frozen=True)

    def every_minute(after: datetime, until: datetime) -> list[tuple[datetime, object]]:
        count = int((until - after).total_seconds() // 60)
        if count > 10:
            raise TooManyEvents(f"that would fire {count} ticks")
        ticks = [after + timedelta(minutes=n + 1) for n in range(count)]
        return [(tick, lambda when: fired.append(f"tick {when:%H:%M}")) for tick in ticks]

    clock.add_source(every_minute)  # type: ignore[arg-type]
    return clock


def test_a_refused_advance_fires_nothing_and_leaves_the_clock_and_its_timers_alone() -> None:
    fired: list[str] = []
    clock = minutes(fired)
    clock.call_at(START + timedelta(minutes=1), lambda _when: fired.append("retry"), "retry")
    with pytest.raises(TooManyEvents, match="that would fire 11 ticks"):
        clock.advance(timedelta(minutes=11))
    assert fired == [] and clock.now() == START and [label for _, label in clock.pending()] == ["retry"]
    clock.advance(timedelta(minutes=2))
    assert fired == ["retry", "tick 12:01", "tick 12:02"]  # same time: the earlier registered first


def test_set_jumps_over_ticks_but_runs_the_timers_due_by_then() -> None:
    fired: list[str] = []
    clock = minutes(fired)
    clock.call_at(START + timedelta(hours=1), lambda _when: fired.append("retry"), "retry")
    clock.set(START + timedelta(days=1))
    assert fired == ["retry"] and clock.now() == START + timedelta(days=1)
    clock.advance(timedelta(minutes=1))
    assert fired == ["retry", "tick 12:01"]  # ticks resume from the new time


def test_a_real_time_backlog_too_long_to_replay_is_skipped() -> None:
    fired: list[str] = []
    clock = minutes(fired)
    clock._base += timedelta(hours=3)  # as if the machine had slept for three hours
    assert clock.fire_due() == [] and fired == []
    clock.advance(timedelta(minutes=1))
    assert fired == ["tick 15:01"]


@pytest.mark.parametrize("when", ["9000-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00"])
def test_the_clock_stays_before_the_year_9000(when: str) -> None:
    clock = Clock(START, frozen=True)
    with pytest.raises(ValueError, match="the clock stays before 9000-01-01T00:00:00Z"):
        clock.set(datetime.fromisoformat(when))
    with pytest.raises(ValueError, match="the clock stays before 9000-01-01T00:00:00Z"):
        clock.advance(timedelta(days=999_999_999))
    assert clock.now() == START
