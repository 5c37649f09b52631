"""Inject release accuracy: 200 injects at 60x, released by the real server's scheduler.

Builds a fresh SQLite database with a scenario of N injects (one every
``--every`` seconds of exercise time), creates a run at the given speed,
starts `python -m council.server` (gevent, its scheduler running), STARTEX
through the services, waits until every inject is released, and reports how
late each release was against its due wall time (offset / speed after
STARTEX): p50, p99 and max in ms, plus any inject released twice or never.

    .venv/bin/python bench/release_accuracy.py [--injects 200] [--speed 60] [--every 30]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from council import create_app  # noqa: E402
from council.actors import SYSTEM  # noqa: E402
from council.auth.services import create_user  # noqa: E402
from council.extensions import database  # noqa: E402
from council.migrate import upgrade  # noqa: E402
from council.orgs.services import create_org  # noqa: E402
from council.rooms.models import RoomEvent  # noqa: E402
from exercises.models import Exercise, ExerciseInject  # noqa: E402
from exercises.runs import services as runs  # noqa: E402
from exercises.scenarios import services as scenarios  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--injects", type=int, default=200)
    parser.add_argument("--speed", type=float, default=60)
    parser.add_argument("--every", type=int, default=30, help="seconds of exercise time between injects")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="council-release-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    env = {**os.environ, "COUNCIL_DATABASE_URL": url, "COUNCIL_SECRET_KEY": "bench", "COUNCIL_ASYNC_MODE": "gevent"}
    app = create_app({"COUNCIL_DATABASE_URL": url, "COUNCIL_SECRET_KEY": "bench", "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": str(tmp)})
    with database(app).transaction() as s:
        org = create_org(s, actor=SYSTEM, name="Bench CERT", tier="national")
        director = create_user(s, actor=SYSTEM, email="d@bench.example", name="Director", org_id=org.id,
                               role="member", password="bench-password-123")
        create_user(s, actor=SYSTEM, email="p@bench.example", name="Player", org_id=org.id, role="member",
                    password="bench-password-123")  # the organisation's team needs a player
        rows = [{"msel_id": str(i + 1), "offset": f"T+{(i + 1) * args.every // 3600:02d}:"
                 f"{(i + 1) * args.every % 3600 // 60:02d}", "title": f"Inject {i + 1}", "to": "all"}
                for i in range(args.injects)]
        # Offsets at minute resolution: spread the injects evenly over the minutes they cover.
        scenario = scenarios.create_scenario(s, actor=director, fields={"title": "Release bench"}, injects=rows)
        ex = runs.create_exercise(s, actor=director, scenario_id=scenario.id, title="Bench run", org_ids=[org.id],
                                  speed=args.speed)
        ex_id, director_id = ex.id, director.id
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "council.server", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        with database(app).transaction() as s:
            from council.auth.models import User

            runs.clock_op(s, actor=s.get(User, director_id), exercise_id=ex_id, op="start")
        session = database(app).session(write=False)
        last_offset = max(r["offset"] for r in rows)
        budget = args.injects * args.every / args.speed + 30
        started = time.monotonic()
        while time.monotonic() - started < budget:
            released = session.scalar(select(func.count()).select_from(ExerciseInject).where(
                ExerciseInject.exercise_id == ex_id, ExerciseInject.status == "released"))
            session.rollback()
            if released == args.injects:
                break
            time.sleep(0.5)
        ex = session.get(Exercise, ex_id)
        start = ex.started_at
        lateness = []
        for inject in session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex_id)):
            if inject.released_at is None:
                continue
            due = start + timedelta(seconds=inject.offset_s / ex.speed)
            lateness.append((inject.released_at - due).total_seconds() * 1000)
        events = session.execute(select(RoomEvent.data).where(RoomEvent.room_id == ex.room_id,
                                                              RoomEvent.kind == "inject")).scalars().all()
        session.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    lateness.sort()
    import json

    counts: dict[str, int] = {}
    for data in events:
        msel = json.loads(data)["msel_id"]
        counts[msel] = counts.get(msel, 0) + 1
    twice = sum(1 for c in counts.values() if c > 1)
    print(f"injects {args.injects} at {args.speed:g}x (last offset {last_offset}); released {len(lateness)}, "
          f"never {args.injects - len(counts)}, twice {twice}")
    print(f"lateness vs due: p50 {statistics.median(lateness):.0f} ms, "
          f"p99 {lateness[int(len(lateness) * 0.99) - 1]:.0f} ms, max {lateness[-1]:.0f} ms, "
          f"min {lateness[0]:.0f} ms")


if __name__ == "__main__":
    main()
