"""Group commit: writes that arrive together share one transaction.

Why: under load, the fixed cost of a write transaction — SQLite's write lock
and commit, PostgreSQL's round trips and the room's row lock, reading the
audit head — was paid once per chat post and outweighed the post itself.

How: the first caller that finds no batch being written becomes the *leader*.
It yields while that makes the queue grow, so that posts already received
(their greenlets are ready to run) can queue behind it, then writes everything
queued and commits once. A unit that raises (a refused post) rolls the attempt
back, gets its error, and the others are written again without it. Then the
leader wakes its waiters with their answers, lets them hand those to their
sockets, and sends the realtime outbox (see realtime.py; the units' events in
order). Units that arrive meanwhile wait for the next batch, led by the first
of them. There is no thread or timer of its own: the same code runs under
gevent, under threads, and in tests, where a lone caller simply writes a batch
of one.

A unit is a function of the session that returns the answer for its caller,
or raises: a domain error reaches its own caller only; a failed commit reaches
every caller of the batch (nothing of it was written; clients retry with their
client ids).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.orm import Session

from council import realtime
from council.observability.instruments import BATCH_SIZE

if TYPE_CHECKING:
    from council.db import Database

T = TypeVar("T")
# A post received while a batch was written needs a turn or two of the event loop
# (its socket read, then its handler) to queue; more turns add latency, not posts.
GATHER_YIELDS = 4
MAX_BATCH = 32  # bounds how long one batch holds the write lock (SQLite) or the room row (PostgreSQL)


class _Unit(Generic[T]):
    __slots__ = ("done", "error", "lead", "value", "work")

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.done = threading.Event()
        self.lead = False
        self.value: T | None = None
        self.error: BaseException | None = None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """Runs units of write work in shared transactions (see the module docstring)."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Unit[Any]] = []
        self._busy = False
        # Figures for benchmarks and tests: batches written and units in them.
        self.batches = 0
        self.units = 0

    def run(self, work: Callable[[Session], T]) -> T:
        unit: _Unit[T] = _Unit(work)
        with self._lock:
            self._queue.append(unit)
            leader = not self._busy
            self._busy = True
        if not leader:
            try:
                unit.done.wait()
            except BaseException:  # the waiting greenlet was killed: never leave the lead unclaimed
                self._abandon(unit)
                raise
            if not unit.lead:
                return unit.result()
        self._lead()
        return unit.result()

    def _abandon(self, unit: _Unit[Any]) -> None:
        """Take ``unit`` out of the queue; if the lead was handed to it, pass it on."""
        with self._lock:
            if unit in self._queue:
                self._queue.remove(unit)
            if not unit.lead:
                return
        self._pass_lead()

    def _pass_lead(self) -> None:
        """Hand the lead to the first queued unit, or end the busy spell if none waits."""
        with self._lock:
            following = self._queue[0] if self._queue else None
            if following is None:
                self._busy = False
            else:
                following.lead = True
        if following is not None:
            following.done.set()

    def _lead(self) -> None:
        try:
            for _ in range(GATHER_YIELDS):  # let posts already received queue for this batch
                before = len(self._queue)
                time.sleep(0)
                if len(self._queue) == before:
                    break
            with self._lock:
                batch = self._queue[:self.max_batch]
                del self._queue[:self.max_batch]
            self._write(batch)
        finally:
            self._pass_lead()

    def _write(self, batch: list[_Unit[Any]]) -> None:
        try:
            pending = batch
            while pending:
                failed = self._attempt(pending)
                if failed is None:
                    break
                # Nothing of this attempt was kept: write the others again without it.
                pending = [unit for unit in pending if unit is not failed]
        finally:
            self.batches += 1
            self.units += len(batch)
            BATCH_SIZE.observe(len(batch))
            for unit in batch:
                unit.done.set()

    def _attempt(self, units: list[_Unit[Any]]) -> _Unit[Any] | None:
        """Write ``units`` in one transaction. A unit that raises rolls the whole
        attempt back and is returned (with its error) so that the caller retries
        the rest; savepoints per unit would cost two statements and a flush on
        every post to spare a rare replay."""
        session = self.db.session(write=True)
        try:
            values = []
            for unit in units:
                try:
                    values.append(unit.work(session))
                except Exception as exc:
                    session.rollback()
                    realtime.discard(session)
                    unit.error = exc
                    return unit
            session.commit()
        except BaseException as exc:  # the commit (or a rollback) failed: nothing was written
            session.rollback()
            realtime.discard(session)
            for unit in units:
                unit.value, unit.error = None, exc
            return None
        finally:
            session.close()
        for unit, value in zip(units, values, strict=True):
            unit.value = value
            unit.done.set()
        # Posters first: their answers are queued on their sockets before the
        # broadcast is, so an ack does not wait behind a write to every
        # subscriber (the leader's own answer follows the broadcast). What was
        # committed is sent even if this greenlet is killed while it yields.
        try:
            time.sleep(0)
        finally:
            realtime.flush(session)
        return None
