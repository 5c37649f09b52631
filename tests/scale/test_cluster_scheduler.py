"""Scheduled injects are released exactly once with two processes running
the scheduler: each release claims its row (UPDATE … WHERE status IN
('pending', 'held')) under PostgreSQL's row locks, so the loser of a race
sees the row already taken and releases nothing."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from council.audit.services import verify
from council.auth.models import User
from council.db import utcnow
from council.extensions import database
from council.rooms.models import RoomEvent
from exercises.models import ExerciseInject
from exercises.runs import services as runs
from exercises.scenarios.services import create_scenario
from tests.scale.conftest import Cluster, Person, World

OFFSETS = ["T+00:00"] * 6 + ["T+00:01"] * 6 + ["T+00:02"] * 6


def make_exercise(world: World, *, speed: int = 60) -> tuple[int, int, Person]:
    director = world.person()
    rows = [{"msel_id": f"I{i:02d}", "offset": off, "title": f"Inject {i}", "message": f"Inject **{i}**"}
            for i, off in enumerate(OFFSETS, 1)]
    with database(world.app).transaction() as s:
        actor = s.get(User, director.id)
        scenario = create_scenario(s, actor=actor, fields={"title": "Race"}, injects=rows)
        ex = runs.create_exercise(s, actor=actor, scenario_id=scenario.id, title="Race run",
                                  org_ids=[world.org_id], speed=speed)
        ex_id, room_id = ex.id, ex.room_id
    return ex_id, room_id, director


def start(world: World, ex_id: int, director: Person) -> None:
    with database(world.app).transaction() as s:
        runs.clock_op(s, actor=s.get(User, director.id), exercise_id=ex_id, op="start")


def released(world: World, ex_id: int) -> list[ExerciseInject]:
    with world.session() as s:
        return list(s.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex_id,
                                                           ExerciseInject.status == "released")))


def assert_once(world: World, ex_id: int, room_id: int) -> None:
    with world.session() as s:
        injects = list(s.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex_id)))
        events = list(s.scalars(select(RoomEvent).where(RoomEvent.room_id == room_id, RoomEvent.kind == "inject")))
        assert verify(s).ok
    assert {i.status for i in injects} == {"released"}
    assert len(events) == len(OFFSETS)
    assert sorted(e.seq for e in events) == sorted(i.released_seq for i in injects)
    by_msel = sorted(e.body for e in events)
    assert len(set(by_msel)) == len(OFFSETS)  # no inject released twice


def test_two_processes_running_the_scheduler_release_each_inject_exactly_once(cluster: Cluster, world: World):
    cluster.start(2)
    ex_id, room_id, director = make_exercise(world)
    start(world, ex_id, director)
    deadline = time.monotonic() + 20
    while len(released(world, ex_id)) < len(OFFSETS) and time.monotonic() < deadline:
        time.sleep(0.2)  # the two processes' schedulers work on their own clock
    time.sleep(1.0)  # a few more scheduler ticks on both processes: nothing more may happen
    assert_once(world, ex_id, room_id)
    logs = cluster.logs()
    assert "scheduled job" not in logs, logs  # no job failed on PostgreSQL (decision deadlines neither)


def test_racing_release_passes_at_the_same_instant_release_each_inject_once(world: World):
    """No luck involved: eight threads run release_due at the same moment (a barrier),
    each in its own transaction, long after every inject fell due."""
    ex_id, room_id, director = make_exercise(world)
    start(world, ex_id, director)
    later = utcnow() + timedelta(minutes=10)
    barrier = threading.Barrier(8)
    results: list[list[tuple[int, str]]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with world.app.app_context(), database(world.app).transaction() as s:
                barrier.wait(10)
                results.append(runs.release_due(s, later))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    flat = [r for group in results for r in group]
    assert len(flat) == len(set(flat)) == len(OFFSETS)
    assert_once(world, ex_id, room_id)
