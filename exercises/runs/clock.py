"""The exercise clock, as pure arithmetic over (state, T+ at anchor, anchor wall time, speed).

T+ is never stored as a ticking number: it is computed from the anchor, so
every process and every client that asks gets the same T+, a pause stops it,
and a server restart (even a kill -9) loses nothing: the anchor is in the
database and the clock has simply kept running meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from council.timefmt import tplus

TRANSITIONS = {
    "start": ("planned",),
    "pause": ("running",),
    "resume": ("paused",),
    "end": ("running", "paused"),
    "stop": ("planned", "running", "paused"),
}


@dataclass(frozen=True)
class Clock:
    state: str  # planned | running | paused | ended | stopped
    t_s: float  # T+ at the anchor
    wall: datetime | None  # the anchor's wall time (running only)
    speed: float

    def t_plus(self, now: datetime) -> float:
        if self.state == "running" and self.wall is not None:
            return self.t_s + max(0.0, (now - self.wall).total_seconds()) * self.speed
        return self.t_s

    def wall_at(self, t_plus: float) -> datetime | None:
        """When (wall time) the clock reaches ``t_plus``, if it is running."""
        from datetime import timedelta

        if self.state != "running" or self.wall is None:
            return None
        return self.wall + timedelta(seconds=max(0.0, t_plus - self.t_s) / self.speed)


class ClockError(ValueError):
    pass


def apply(clock: Clock, op: str, now: datetime) -> Clock:
    """The clock after ``op`` (start, pause, resume, end, stop) at ``now``."""
    if op not in TRANSITIONS:
        raise ClockError(f"unknown clock operation {op!r}")
    if clock.state not in TRANSITIONS[op]:
        raise ClockError(f"cannot {op} an exercise that is {clock.state}")
    t = clock.t_plus(now)
    if op == "start":
        return replace(clock, state="running", t_s=0.0, wall=now)
    if op == "pause":
        return replace(clock, state="paused", t_s=t, wall=None)
    if op == "resume":
        return replace(clock, state="running", t_s=t, wall=now)
    return replace(clock, state="ended" if op == "end" else "stopped", t_s=t, wall=None)


format_t = tplus  # one spelling of exercise time, shared with reporting's drill clocks
