"""Stage deadlines: the arithmetic, and the clock a test incident counts in.

A stage's clock starts at detection, at awareness (detection when unknown), or
when the previous stage of its regime was first submitted. Real incidents count
in wall time; a test incident started by an exercise inject counts in that
drill's exercise time, so the drill's speed and pauses apply (the exercise
slice registers the clock: council never imports exercises).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

AMBER_SHARE = 0.25  # under a quarter of the allowed time left: amber


@dataclass(frozen=True)
class DrillClock:
    """An exercise clock, as the reporting slice needs it."""

    t_plus: Callable[[datetime], float]  # exercise seconds at a wall time
    wall_at: Callable[[float], datetime | None]  # wall time of an exercise second (running only)
    state: str  # planned | running | paused | ended | stopped


ClockProvider = Callable[[Session, int], DrillClock | None]
RunningRooms = Callable[[Session], set[int]]  # rooms whose drill clock is running now
PROVIDERS: list[ClockProvider] = []
RUNNING: list[RunningRooms] = []


def register_clock(provider: ClockProvider, running: RunningRooms) -> None:
    if provider not in PROVIDERS:
        PROVIDERS.append(provider)
    if running not in RUNNING:
        RUNNING.append(running)


def running_rooms(session: Session) -> set[int]:
    """Rooms whose drill clock runs: only their test incidents' stages can fall due."""
    out: set[int] = set()
    for provider in RUNNING:
        out |= provider(session)
    return out


def drill_clock(session: Session, room_id: int | None) -> DrillClock | None:
    if room_id is None:
        return None
    for provider in PROVIDERS:
        clock = provider(session, room_id)
        if clock is not None:
            return clock
    return None


def start_of(clock: str, detected: Any, aware: Any, previous_submitted: Any) -> Any:
    """When a stage's clock starts (a datetime, or T+ seconds for drills); None: not yet."""
    if clock == "detection":
        return detected
    if clock == "awareness":
        return aware if aware is not None else detected
    return previous_submitted


def due(start: Any, hours: float) -> Any:
    if start is None:
        return None
    if isinstance(start, datetime):
        return start + timedelta(hours=hours)
    return float(start) + hours * 3600


@dataclass(frozen=True)
class StageClock:
    """What a countdown shows: how long is left, and its colour."""

    due_at: datetime | None  # wall time (for a paused drill: None)
    remaining_s: float | None  # of the clock it counts in (exercise seconds for drills)
    share_left: float | None
    colour: str  # green | amber | red | done | revision | waiting
    overdue: bool


def stage_clock(stage: Any, now: datetime, clock: DrillClock | None) -> StageClock:
    """The countdown of one stage row (IncidentStage) at ``now``. Only a stage never
    submitted can be overdue: one returned for revision met (or missed: ``late``) its
    deadline when first submitted, and a revision has no clock of its own."""
    if stage.status in ("submitted", "accepted"):
        return StageClock(stage.due_at if clock is None else _wall(clock, stage.due_t), None, None, "done", False)
    if stage.status == "revision":
        return StageClock(stage.due_at if clock is None else _wall(clock, stage.due_t), None, None, "revision", False)
    total = stage.hours * 3600
    if clock is None:
        if stage.due_at is None:
            return StageClock(None, None, None, "waiting", False)
        remaining = (stage.due_at - now).total_seconds()
        due_at = stage.due_at
    else:
        if stage.due_t is None:
            return StageClock(None, None, None, "waiting", False)
        remaining = stage.due_t - clock.t_plus(now)
        due_at = _wall(clock, stage.due_t)
    share = max(0.0, remaining / total) if total else 0.0
    if remaining < 0:
        return StageClock(due_at, remaining, 0.0, "red", True)
    return StageClock(due_at, remaining, share, "amber" if share < AMBER_SHARE else "green", False)


def _wall(clock: DrillClock, t: float | None) -> datetime | None:
    return None if t is None else clock.wall_at(t)
