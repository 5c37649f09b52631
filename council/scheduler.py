"""Timed jobs (decision deadlines, later exercise injects), one loop per process.

Every process that serves runs this loop; the jobs themselves claim their
rows in the database (row locks / the SQLite write lock, state re-checked
under the lock), so a job's work happens once however many processes run it.
Each run is its own short transaction; queued events go out after commit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from council import realtime
from council.db import utcnow
from council.extensions import database, socketio
from council.observability.instruments import SCHEDULER_LAG

log = logging.getLogger("council.scheduler")
TICK_S = 0.5
MIN_SLEEP_S = 0.005


@dataclass
class Job:
    name: str
    every_s: float
    run: Callable[[Session], Any]
    # Optional: the wall time of the job's next piece of work, so the loop
    # wakes for it instead of waiting for the next tick (inject releases).
    wake: Callable[[Session], datetime | None] | None = None
    next_at: float = 0.0


def add_job(app: Flask, name: str, every_s: float, run: Callable[[Session], Any],
            wake: Callable[[Session], datetime | None] | None = None) -> None:
    app.extensions.setdefault("council_jobs", []).append(Job(name, every_s, run, wake))


@dataclass
class Worker:
    """Slow work between short transactions of its own (SMTP): it runs in its own
    background task, so a mail server that hangs never holds up inject releases."""

    name: str
    every_s: float
    run: Callable[[Flask], Any]


def add_worker(app: Flask, name: str, every_s: float, run: Callable[[Flask], Any]) -> None:
    app.extensions.setdefault("council_workers", []).append(Worker(name, every_s, run))


def run_due(app: Flask, now: float | None = None) -> float:
    """Run every job whose time has come (one pass; tests call this directly).

    Returns how long the loop may sleep before some job has work again.
    """
    now = time.monotonic() if now is None else now
    for job in app.extensions.get("council_jobs", []):
        if now < job.next_at:
            continue
        if job.next_at:  # how late it runs after it was due (its first run has no due time)
            SCHEDULER_LAG.labels(job.name).observe(now - job.next_at)
        job.next_at = now + job.every_s
        try:
            with app.app_context(), database(app).transaction(after_commit=realtime.flush) as session:
                job.run(session)
                wake_at = job.wake(session) if job.wake is not None else None
            if wake_at is not None:
                job.next_at = min(job.next_at, now + max(0.0, (wake_at - utcnow()).total_seconds()))
        except Exception as exc:  # a failing job must not stop the others, nor the loop
            from council.web import is_db_unavailable

            if is_db_unavailable(exc):  # the next tick tries again; no traceback every 0.2 s
                log.warning("scheduled job %s skipped: database unavailable", job.name)
            else:
                log.exception("scheduled job %s failed", job.name)
    jobs = app.extensions.get("council_jobs", [])
    soonest = min((job.next_at for job in jobs), default=time.monotonic() + TICK_S)
    return min(TICK_S, max(MIN_SLEEP_S, soonest - time.monotonic()))


def start(app: Flask) -> None:
    """Run the jobs in a background task of the configured async mode."""
    io = socketio(app)

    def loop() -> None:
        log.info("scheduler started: %s", ", ".join(j.name for j in app.extensions.get("council_jobs", [])))
        while True:
            io.sleep(run_due(app))

    io.start_background_task(loop)
    for worker in app.extensions.get("council_workers", []):
        io.start_background_task(_work, app, io, worker)


def _work(app: Flask, io: Any, worker: Worker) -> None:
    log.info("worker started: %s", worker.name)
    while True:
        try:
            with app.app_context():
                worker.run(app)
        except Exception as exc:  # the worker keeps going; the next pass tries again
            from council.web import is_db_unavailable

            if is_db_unavailable(exc):
                log.warning("worker %s skipped: database unavailable", worker.name)
            else:
                log.exception("worker %s failed", worker.name)
        io.sleep(worker.every_s)
