"""Drafting an after-action report for a big exercise: 200 injects and 5,000 room events.

Plays an exercise through the services on a fresh SQLite database (injects
released on schedule, every team acknowledging and answering, evaluator
observations, chat), ends it, then times the draft: the record-reading and
section building alone (draft_exercise, median of several runs) and the
whole start_report (draft + writing the report) once.

    .venv/bin/python bench/report_draft.py [--injects 200] [--events 5000] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from bench.scratch import scratch_app
from council.actors import SYSTEM
from council.auth.services import create_user
from council.db import utcnow
from council.extensions import database
from council.orgs.services import create_org
from council.rooms.models import Room, RoomEvent
from council.rooms.stream import post
from exercises.models import Exercise, ExerciseInject
from exercises.reports.draft import draft_exercise
from exercises.reports.services import start_report
from exercises.runs import services as runs
from exercises.scenarios import services as scenarios


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--injects", type=int, default=200)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = scratch_app("council-draft-")
    built = time.perf_counter()
    with database(app).transaction() as s:
        orgs = [create_org(s, actor=SYSTEM, name=f"Team CERT {i}", tier="sectoral") for i in range(4)]
        director = create_user(s, actor=SYSTEM, email="d@bench.example", name="Director", org_id=orgs[0].id,
                               role="member", password="bench-password-123")
        evaluator = create_user(s, actor=SYSTEM, email="e@bench.example", name="Evaluator", org_id=orgs[0].id,
                                role="member", password="bench-password-123")
        players = {o.name: [create_user(s, actor=SYSTEM, email=f"p{i}@bench.example", name=f"Player {i}",
                                        org_id=o.id, role="member", password="bench-password-123").email]
                   for i, o in enumerate(orgs)}
        rows = [{"msel_id": str(i + 1), "offset": f"T+{(i // 60):02d}:{i % 60:02d}", "title": f"Inject {i + 1}",
                 "message": "Situation update with **details**.", "to": "all", "objectives": "O1",
                 "capability": "coordination"} for i in range(args.injects)]
        scenario = scenarios.create_scenario(s, actor=director, fields={
            "title": "Draft bench", "objectives": [{"id": "O1", "text": "Coordinate"}],
            "capabilities": ["coordination", "analysis"]}, injects=rows)
        ex = runs.create_exercise(s, actor=director, scenario_id=scenario.id, title="Draft bench run",
                                  org_ids=[o.id for o in orgs], evaluators=[evaluator.email], players=players, speed=1)
        ex_id, room_id = ex.id, ex.room_id
    start = utcnow() - timedelta(hours=6)
    with database(app).transaction() as s:
        from council.auth.models import User

        director = s.get(User, director.id)
        runs.clock_op(s, actor=director, exercise_id=ex_id, op="start", now=start)
        runs.release_due(s, now=start + timedelta(hours=5))
    with database(app).transaction() as s:
        ex = s.get(Exercise, ex_id)
        injects = list(s.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex_id)))
        people = {p.team_id: s.get(User, p.user_id) for p in ex.people if p.role == "player"}
        ev = s.get(User, evaluator.id)
        for n, inject in enumerate(injects):
            at = inject.released_at
            for k, player in enumerate(people.values()):
                post(s, actor=player, room_id=room_id, kind="ack", payload={"inject_seq": inject.released_seq},
                     now=at + timedelta(seconds=30 + k * 20))
                post(s, actor=player, room_id=room_id, kind="response", now=at + timedelta(seconds=90 + k * 30),
                     payload={"inject_seq": inject.released_seq, "body": f"Team {k} acts on inject {n}."})
            if n % 4 == 0:
                post(s, actor=ev, room_id=room_id, kind="observation", now=at + timedelta(seconds=120), payload={
                    "rating": "PSMU"[n % 4], "body": f"Observation on inject {n}.", "objective_id": "O1",
                    "capability": "coordination", "msel_id": inject.msel_id, "team_id": list(people)[n % 4]})
        total = s.scalar(select(func.count()).select_from(RoomEvent).where(RoomEvent.room_id == room_id))
        players_list = list(people.values())
        i = 0
        while total < args.events:
            post(s, actor=players_list[i % 4], room_id=room_id, kind="message", payload={"body": f"Chat {i}"},
                 now=start + timedelta(seconds=i))
            total += 1
            i += 1
        runs.clock_op(s, actor=s.get(User, director.id), exercise_id=ex_id, op="end",
                      now=start + timedelta(hours=5, minutes=30))
    print(f"built: {args.injects} injects, {total} room events in {time.perf_counter() - built:.1f} s")
    timings = []
    session = database(app).session(write=False)
    for _ in range(args.runs):
        session.expunge_all()
        ex = session.get(Exercise, ex_id)
        room = session.get(Room, room_id)
        t0 = time.perf_counter()
        draft = draft_exercise(session, ex, room, ZoneInfo("Asia/Karachi"))
        timings.append((time.perf_counter() - t0) * 1000)
    session.close()
    with database(app).transaction() as s:
        t0 = time.perf_counter()
        report = start_report(s, actor=s.get(User, director.id), room_id=room_id, timezone="Asia/Karachi")
        s.flush()
        whole = (time.perf_counter() - t0) * 1000
        sections = len(report.sections)
    print(f"draft_exercise: median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms "
          f"over {args.runs} runs ({len(draft.sections['timeline'].splitlines())} timeline rows)")
    print(f"start_report (draft + write {sections} sections and the suggested actions): {whole:.0f} ms")


if __name__ == "__main__":
    main()
