"""Append to and verify the hash-chained audit record.

Each row's hash is SHA-256 over a canonical JSON encoding of the row including
the previous row's hash. The append happens in the caller's transaction, so
the record and the change it records commit or vanish together.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from council.audit.models import AuditEntry, AuditHead
from council.db import utcnow
from council.observability.instruments import AUDIT_APPEND

GENESIS = "0" * 64


_FIELDS = ("id", "at", "actor_id", "actor_label", "actor_org_id", "action", "target_type", "target_id",
           "room_id", "details", "prev_hash")


def canonical(entry: AuditEntry | Mapping[str, Any]) -> bytes:
    """The bytes a row's hash covers; stable across engines and Python versions.
    ``entry`` is a stored row or the values of one about to be written."""
    row = entry if isinstance(entry, Mapping) else {name: getattr(entry, name) for name in _FIELDS}
    doc = {name: row[name] for name in _FIELDS}
    doc["at"] = row["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    doc["details"] = json.loads(row["details"])
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(entry: AuditEntry | Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


_HEAD = "council_audit_head"


def _head(session: Session) -> AuditHead:
    """The chain's head row, read (and on PostgreSQL locked) once per transaction:
    the lock is held to commit, so later appends in the same transaction (a
    group-committed batch of posts) keep the object instead of asking again.
    The cache is dropped when any transaction (or savepoint) ends, see below."""
    head = session.info.get(_HEAD)
    if head is None:
        head = session.info[_HEAD] = _load_head(session)
    return head


_HEAD_ROW = select(AuditHead).where(AuditHead.id == 1)
_HEAD_ROW_LOCKED = _HEAD_ROW.with_for_update()


def _load_head(session: Session) -> AuditHead:
    # No autoflush: the head row is only changed through the object read here, and
    # pending changes (a room's seq) are flushed once, at commit, with the audit rows.
    with session.no_autoflush:
        locked = session.get_bind().dialect.name != "sqlite"
        head = session.scalars(_HEAD_ROW_LOCKED if locked else _HEAD_ROW).one_or_none()
    if head is None:
        head = AuditHead(id=1, last_id=0, last_hash=GENESIS, count=0)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    *,
    action: str,
    actor: Any = None,
    target_type: str = "",
    target_id: object = "",
    details: dict[str, Any] | None = None,
    room_id: int | None = None,
    actor_label: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one row. ``actor`` is a User or None (anonymous/system).

    The row joins the transaction's pending rows, written in one INSERT when the
    session next flushes (before any query that could read them, and at commit):
    an ORM object per row cost a unit-of-work pass each, on every chat post."""
    started = time.perf_counter()
    head = _head(session)
    row: dict[str, Any] = {
        "id": head.last_id + 1,
        "at": at or utcnow(),
        "actor_id": getattr(actor, "id", None),
        "actor_label": actor_label if actor_label is not None else getattr(actor, "email", "system"),
        "actor_org_id": getattr(actor, "org_id", None),
        "action": action,
        "target_type": target_type,
        "target_id": str(target_id) if target_id not in (None, "") else "",
        "room_id": room_id,
        "details": json.dumps(details or {}, sort_keys=True, separators=(",", ":"), default=str),
        "prev_hash": head.last_hash,
    }
    row["hash"] = compute_hash(row)
    # The head changes with every row, so the session is dirty and will flush.
    head.last_id = row["id"]
    head.last_hash = row["hash"]
    head.count += 1
    session.info.setdefault(_PENDING, []).append(row)
    AUDIT_APPEND.observe(time.perf_counter() - started)


_PENDING = "council_audit_pending"
_INSERT_ROWS = insert(AuditEntry)


@event.listens_for(Session, "before_flush")
def _write_pending(session: Session, _context: Any, _instances: Any) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        session.connection().execute(_INSERT_ROWS, rows)


@event.listens_for(Session, "after_transaction_end")
def _drop_pending(session: Session, _transaction: Any) -> None:
    # Whatever is still pending when a transaction ends was never written: a
    # commit flushes first, and a savepoint flushes what was pending when it
    # began, so these rows belong to what was rolled back (or closed unwritten).
    session.info.pop(_PENDING, None)
    session.info.pop(_HEAD, None)


@dataclass(frozen=True)
class Verification:
    ok: bool
    count: int
    last_hash: str
    bad_id: int | None = None
    reason: str = ""


def _rows(session: Session) -> Iterator[AuditEntry]:
    yield from session.scalars(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=2000)
    )


def verify(session: Session) -> Verification:
    """Recompute the chain; report the first row that does not fit.

    Catches a changed row (its hash), an inserted or deleted row in the middle
    (ids and prev_hash links), and a deleted tail (the head still names it).
    """
    prev_hash, expected_id, count = GENESIS, 1, 0
    for row in _rows(session):
        if row.id != expected_id:
            why = "row(s) missing before it" if row.id > expected_id else "unexpected row id"
            return Verification(False, count, prev_hash, row.id, why)
        if row.prev_hash != prev_hash:
            return Verification(False, count, prev_hash, row.id, "prev_hash does not match the row before")
        try:
            intact = compute_hash(row) == row.hash
        except (ValueError, TypeError):  # details no longer JSON: tampered with
            intact = False
        if not intact:
            return Verification(False, count, prev_hash, row.id, "content does not match its hash")
        prev_hash, expected_id, count = row.hash, row.id + 1, count + 1
        session.expunge(row)
    head = session.get(AuditHead, 1)
    last_id = expected_id - 1
    if head is not None and head.last_id > last_id:
        return Verification(
            False, count, prev_hash, head.last_id, "row(s) missing at the end of the chain"
        )
    if head is not None and head.last_id < last_id:
        return Verification(
            False, count, prev_hash, head.last_id + 1, "row(s) after the recorded end of the chain"
        )
    if head is not None and head.last_hash != prev_hash:
        return Verification(False, count, prev_hash, last_id, "last row does not match the recorded tip")
    return Verification(True, count, prev_hash)
