"""A real kill -9 of the server in the middle of a run: once it is back, every overdue
inject is released, and none twice (the clock's anchor and the claimed rows are in
the database; the scheduler runs inside ``python -m council.server``)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from council.db import utcnow
from council.extensions import database
from exercises.models import ExerciseInject
from exercises.runs import services as runs
from tests.conftest import make_app
from tests.exercises.helpers import inject, make_people, make_run, make_scenario, released_counts
from tests.factories import Factory

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECRET = "restart-test-secret-key"
START_TIMEOUT_S = 20.0
RELEASE_TIMEOUT_S = 15.0
POLL_S = 0.05  # waiting on another process: there is no event to await


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(db_path: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m council.server`` on the database file, in gevent mode; returns once /healthz answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "FLASK_"))}
    env.update({"COUNCIL_DATABASE_URL": f"sqlite:///{db_path}", "COUNCIL_SECRET_KEY": SECRET,
                "COUNCIL_ASYNC_MODE": "gevent", "PYTHONUNBUFFERED": "1"})
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "council.server", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/healthz"
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(POLL_S)
    process.kill()
    process.wait()
    raise RuntimeError(f"the server did not start within {START_TIMEOUT_S:.0f} s:\n{log.read_text(errors='replace')}")


def statuses(app, exercise_id: int) -> dict[str, str]:
    session = database(app).session(write=False)
    try:
        rows = session.execute(select(ExerciseInject.msel_id, ExerciseInject.status)
                               .where(ExerciseInject.exercise_id == exercise_id))
        return dict(rows.all())
    finally:
        session.close()


def test_injects_are_released_once_after_a_kill_9(tmp_path: Path, template_db: Path) -> None:
    shutil.copy(template_db, tmp_path / "council.db")
    app = make_app(tmp_path, template_db, COUNCIL_SECRET_KEY=SECRET)  # the same file the server serves
    log = tmp_path / "server.log"
    server, _url = serve(tmp_path / "council.db", log)
    try:
        make = Factory(app)
        people = make_people(make)
        scenario = make_scenario(make, people.director, rows=(
            inject("R0", "T+00:00", "At STARTEX"), inject("R1", "T+00:01", "One minute in"),
            inject("R2", "T+00:02", "Two minutes in")))
        ex = make_run(make, people, scenario, speed=60)  # T+00:01 is 1 s of wall time, T+00:02 is 2 s
        started_at = utcnow()
        make.run(runs.clock_op, actor=people.director, exercise_id=ex.id, op="start", now=started_at)
        server.kill()  # SIGKILL: no shutdown of any kind
        server.wait()
        assert server.returncode == -9

        # No server: wait past the last offset (whatever was released before the kill stays released).
        while utcnow() < started_at + timedelta(seconds=2.5):
            time.sleep(POLL_S)
        before_restart = statuses(app, ex.id)
        assert set(before_restart) == {"R0", "R1", "R2"}
        assert sum(status == "released" for status in before_restart.values()) <= 3

        server, _url = serve(tmp_path / "council.db", log)
        deadline = time.monotonic() + RELEASE_TIMEOUT_S
        while time.monotonic() < deadline and set(statuses(app, ex.id).values()) != {"released"}:
            time.sleep(POLL_S)
        assert statuses(app, ex.id) == {"R0": "released", "R1": "released", "R2": "released"}, log.read_text()

        # Give the restarted scheduler a few more passes: still exactly one event per inject.
        settle = time.monotonic() + 1.0
        while time.monotonic() < settle:
            time.sleep(POLL_S)
        assert released_counts(app, ex.room_id) == Counter({"R0": 1, "R1": 1, "R2": 1})
        session = database(app).session(write=False)
        try:
            rows = session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id)).all()
            # Released by the schedule (no controller), each at or after its T+.
            assert all(r.released_by_id is None and r.released_t_s >= r.offset_s for r in rows)
        finally:
            session.close()
    finally:
        if server.poll() is None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        database(app).dispose()
