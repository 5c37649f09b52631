"""SQLite stays the embedded default: WAL, a busy timeout, and writers queued
on the write lock, so 20 concurrent writers never see "database is locked"."""

from __future__ import annotations

import threading

from sqlalchemy import func, select, text

from council.audit.services import verify
from council.auth.models import User
from council.extensions import database
from council.rooms import stream
from council.rooms.models import RoomEvent

WRITERS = 20
POSTS = 10


def test_the_sqlite_database_runs_in_wal_mode_with_a_busy_timeout(app):
    with database(app).session(write=False) as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert s.execute(text("PRAGMA busy_timeout")).scalar_one() >= 5000


def test_twenty_concurrent_writers_post_without_database_is_locked(app, make):
    lead = make.user(org=make.org("Writers CERT"))
    room = make.room(lead)
    people = [lead] + [make.user(org=lead.org) for _ in range(WRITERS - 1)]
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(user_id: int, n: int) -> None:
        try:
            barrier.wait(10)
            for i in range(POSTS):
                with app.app_context(), database(app).transaction() as s:
                    event, created = stream.post(s, actor=s.get(User, user_id), room_id=room.id, kind="message",
                                                 payload={"body": f"writer {n} post {i}"}, client_id=f"w{n}-{i}")
                    assert created
                    seq = event.seq
                with lock:
                    seqs.append(seq)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(p.id, n)) for n, p in enumerate(people)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    with database(app).session(write=False) as s:
        first = s.scalar(select(func.min(RoomEvent.seq)).where(RoomEvent.room_id == room.id,
                                                              RoomEvent.kind == "message"))
        assert sorted(seqs) == list(range(first, first + WRITERS * POSTS))
        assert verify(s).ok
