"""The exercise clock as pure arithmetic: T+ from an anchor, pauses, speed, end states."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from exercises.runs.clock import Clock, ClockError, apply, format_t

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def planned(speed: float = 1.0) -> Clock:
    return Clock("planned", 0.0, None, speed)


def test_a_planned_clock_stands_at_zero():
    clock = planned()
    assert clock.t_plus(at(0)) == clock.t_plus(at(3600)) == 0.0
    assert clock.wall_at(60) is None


def test_start_anchors_t_zero_at_now_and_runs_in_real_time():
    clock = apply(planned(), "start", at(0))
    assert (clock.state, clock.t_s, clock.wall, clock.speed) == ("running", 0.0, at(0), 1.0)
    assert clock.t_plus(at(0)) == 0.0
    assert clock.t_plus(at(90)) == 90.0
    assert clock.t_plus(at(-5)) == 0.0  # a reader whose clock lags never sees negative T+


def test_pause_freezes_t_plus_and_resume_continues_from_it():
    running = apply(planned(), "start", at(0))
    paused = apply(running, "pause", at(100))
    assert (paused.state, paused.t_s, paused.wall) == ("paused", 100.0, None)
    assert paused.t_plus(at(100)) == paused.t_plus(at(10_000)) == 100.0

    resumed = apply(paused, "resume", at(500))
    assert (resumed.state, resumed.t_s, resumed.wall) == ("running", 100.0, at(500))
    assert resumed.t_plus(at(500)) == 100.0
    assert resumed.t_plus(at(530)) == 130.0  # the 400 s pause is not counted


def test_speed_60_turns_ten_wall_seconds_into_ten_minutes():
    clock = apply(planned(speed=60), "start", at(0))
    assert clock.t_plus(at(10)) == 600.0
    paused = apply(clock, "pause", at(10))
    assert paused.t_plus(at(1000)) == 600.0
    resumed = apply(paused, "resume", at(1000))
    assert resumed.t_plus(at(1001)) == 660.0


def test_wall_at_says_when_the_clock_reaches_a_t_plus():
    clock = apply(planned(speed=60), "start", at(0))
    assert clock.wall_at(600) == at(10)
    assert clock.wall_at(0) == at(0)
    resumed = apply(apply(clock, "pause", at(5)), "resume", at(100))  # 300 s T+ at wall 100
    assert resumed.wall_at(600) == at(105)
    assert resumed.wall_at(120) == at(100)  # already past: now
    assert apply(resumed, "pause", at(101)).wall_at(900) is None  # paused: no wall time


def test_end_keeps_the_final_t_plus():
    clock = apply(planned(), "start", at(0))
    ended = apply(clock, "end", at(3600))
    assert (ended.state, ended.t_s, ended.wall) == ("ended", 3600.0, None)
    assert ended.t_plus(at(99_999)) == 3600.0
    paused = apply(apply(planned(), "start", at(0)), "pause", at(60))
    assert apply(paused, "end", at(600)).t_plus(at(700)) == 60.0


def test_stop_works_from_planned_running_and_paused():
    from_planned = apply(planned(), "stop", at(30))
    running = apply(planned(), "start", at(0))
    from_running = apply(running, "stop", at(60))
    from_paused = apply(apply(running, "pause", at(20)), "stop", at(90))
    assert [(c.state, c.wall, c.t_plus(at(9999))) for c in (from_planned, from_running, from_paused)] == [
        ("stopped", None, 0.0), ("stopped", None, 60.0), ("stopped", None, 20.0)]


@pytest.mark.parametrize(("ops", "op"), [
    ((), "pause"), ((), "resume"), ((), "end"),
    (("start",), "start"), (("start",), "resume"),
    (("start", "pause"), "pause"), (("start", "pause"), "start"),
    (("start", "end"), "start"), (("start", "end"), "pause"), (("start", "end"), "resume"),
    (("start", "end"), "end"), (("start", "end"), "stop"),
    (("stop",), "start"), (("stop",), "resume"), (("stop",), "stop"), (("stop",), "end"),
])
def test_invalid_transitions_raise(ops, op):
    clock = planned()
    for done in ops:
        clock = apply(clock, done, at(0))
    with pytest.raises(ClockError, match=f"cannot {op} an exercise that is {clock.state}"):
        apply(clock, op, at(10))


def test_unknown_operations_raise():
    with pytest.raises(ClockError, match="unknown clock operation 'rewind'"):
        apply(planned(), "rewind", at(0))


def test_apply_never_changes_the_clock_it_is_given():
    clock = apply(planned(), "start", at(0))
    apply(clock, "pause", at(50))
    assert (clock.state, clock.t_s, clock.wall) == ("running", 0.0, at(0))


def test_format_t():
    assert [format_t(s) for s in (0, 59.9, 61, 3600, 90_061)] == [
        "T+00:00:00", "T+00:00:59", "T+00:01:01", "T+01:00:00", "T+25:01:01"]
