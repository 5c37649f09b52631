"""A small council to back up (orgs, people, rooms with events, evidence files, a sample),
the write load that runs while the backup is taken, and what a restore is compared by."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select, text

from council.audit.services import verify
from council.evidence.models import EvidenceFile
from council.evidence.services import upload_file
from council.evidence.storage import BlobStore
from council.extensions import database, settings
from council.rooms.models import Room
from tests.factories import Factory

EVIDENCE = (b"2026-12-01 10:02 beacon to 203.0.113.7\n" * 40, b"%PDF-1.4 ransom note\n", b"MZ\x90\x00 not really")


@dataclass
class Council:
    lead: Any
    member: Any
    rooms: list[Any]


def seed_council(make: Factory) -> Council:
    national = make.org("National CERT B", tier="national")
    bank = make.org("Banking CERT B", parent=national)
    lead = make.user("lead@backup.example", org=bank)
    member = make.user("member@backup.example", org=national)
    rooms = [make.room(lead, title=f"Room {n}", tlp="AMBER", orgs=(national,)) for n in range(2)]
    for n in range(5):
        make.event(lead, rooms[n % 2], body=f"before the backup {n}")
    store = BlobStore(settings(make.app).files_dir)
    for n, content in enumerate(EVIDENCE):
        make.run(upload_file, actor=lead, store=store, max_bytes=1 << 20, subject="room",
                 subject_id=rooms[n % 2].id, content=io.BytesIO(content), name=f"evidence-{n}.bin",
                 sample=n == 2)
    return Council(lead, member, rooms)


class WriteLoad:
    """A thread posting events to a room until stopped: the backup is taken while it writes."""

    def __init__(self, make: Factory, council: Council) -> None:
        self.make, self.council = make, council
        self.posted = 0
        self.first = threading.Event()
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            while not self.stop.is_set():
                self.make.event(self.council.member, self.council.rooms[self.posted % 2],
                                body=f"during the backup {self.posted}")
                self.posted += 1
                self.first.set()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
            self.first.set()


@contextmanager
def write_load(make: Factory, council: Council) -> Iterator[WriteLoad]:
    load = WriteLoad(make, council)
    load.thread.start()
    assert load.first.wait(30), "the writer never posted"
    try:
        yield load
    finally:
        # A few more posts after the backup: the snapshot must not include them.
        target = load.posted + 3
        while load.posted < target and load.error is None and load.thread.is_alive():
            load.first.clear()
            load.first.wait(5)
        load.stop.set()
        load.thread.join(30)
    assert load.error is None, load.error


def table_counts(app: Flask, names: list[str]) -> dict[str, int]:
    """Rows in each named table, counted here (not by the code under test)."""
    with database(app).session(write=False) as s:
        quote = s.get_bind().dialect.identifier_preparer.quote
        return {name: s.execute(text(f"SELECT count(*) FROM {quote(name)}")).scalar_one() for name in names}


def room_seqs(app: Flask) -> dict[str, int]:
    with database(app).session(write=False) as s:
        return {str(i): seq for i, seq in s.execute(select(Room.id, Room.last_seq).order_by(Room.id))}


def audit_tip(app: Flask) -> tuple[bool, int, str]:
    with database(app).session(write=False) as s:
        result = verify(s)
    return result.ok, result.count, result.last_hash


def stored_evidence(app: Flask) -> list[tuple[str, bool, bool]]:
    """(sha256, sample, content present in this app's store) for every evidence row."""
    store = BlobStore(settings(app).files_dir)
    with database(app).session(write=False) as s:
        rows = s.execute(select(EvidenceFile.sha256, EvidenceFile.sample).order_by(EvidenceFile.id)).all()
    return [(sha, sample, store.exists(sha, sample)) for sha, sample in rows]


def files_under(root: str | Path) -> list[str]:
    base = Path(root)
    return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file()) if base.exists() else []
