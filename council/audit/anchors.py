"""Anchors of the audit chain: its tip, signed, published where a database writer cannot reach.

The hash chain (services.py) shows an edited row, but someone who can write the
database can recompute every hash from the first changed row on, and the head,
and the chain verifies again. So the platform publishes the tip now and then —
the last row's id and hash, the row count and the time — signed with an Ed25519
key kept outside the database (signing.py), to an append-only file, to mail
addresses (through the outbox) and to the log. Once an anchor has left, changing
any row at or before the one it names changes that row's hash, and
``check`` names it.

An anchor is written even when the tip has not moved since the last one: a
steady line every period shows the anchoring itself went on (a gap in the file
is a sign too), and the file grows by a few kilobytes a day.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from council.audit import signing
from council.audit.models import AuditAnchorClock, AuditEntry, AuditHead
from council.audit.services import GENESIS
from council.config import AnchorSettings
from council.db import utcnow

log = logging.getLogger("council.audit.anchor")
VERSION = 1
KIND = "council.audit.anchor"
_FIELDS = {"v": int, "kind": str, "origin": str, "at": str, "last_id": int, "hash": str, "count": int,
           "key": str, "public_key": str, "sig": str}
_HEX = frozenset("0123456789abcdef")


class AnchorError(Exception):
    """An anchor could not be written, or an anchors file not read; the message is one line for the operator."""


@dataclass(frozen=True)
class Tip:
    last_id: int
    last_hash: str
    count: int


def tip(session: Session) -> Tip:
    """The chain's tip as committed (the head row; an empty chain is the genesis)."""
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1))
    if head is None:
        return Tip(0, GENESIS, 0)
    return Tip(head.last_id, head.last_hash, head.count)


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def signed_bytes(doc: dict[str, Any]) -> bytes:
    """What the signature covers: every field but the signature, in canonical JSON."""
    body = {k: v for k, v in doc.items() if k != "sig"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def make(t: Tip, key: Ed25519PrivateKey, *, at: datetime, origin: str) -> dict[str, Any]:
    """One signed anchor. It carries its public key and fingerprint so a reader can tell
    which key made it; a verifier still checks against a key it was given, never this one."""
    public = key.public_key()
    doc: dict[str, Any] = {"v": VERSION, "kind": KIND, "origin": origin, "at": iso(at), "last_id": t.last_id,
                           "hash": t.last_hash, "count": t.count, "key": signing.fingerprint(public),
                           "public_key": signing.public_b64(public)}
    doc["sig"] = signing.sign(key, signed_bytes(doc))
    return doc


def as_line(doc: dict[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def append_line(path: str | Path, line: str) -> None:
    """Add one line to the anchors file, opened O_APPEND: each anchor lands after the
    ones before it whichever process writes it, and nothing already there is rewritten.
    One write() per line, then fsync, so a crash leaves whole lines."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise AnchorError(f"cannot append to the anchors file {path}: {exc.strerror or exc}") from exc


def _mail_text(doc: dict[str, Any], line: str) -> str:
    return (f"The audit record of {doc['origin']} ended at row {doc['last_id']} ({doc['count']} rows) "
            f"at {doc['at']}, with hash\n{doc['hash']}\n\n"
            f"Signed with the platform's audit key {doc['key']}.\n"
            "Keep this mail. An auditor checks the record against it by saving the line below to a file\n"
            "and running: flask --app wsgi council verify-audit --anchors FILE --public-key KEY\n\n"
            f"{line}\n")


def publish(session: Session, conf: AnchorSettings, *, origin: str, at: datetime | None = None,
            trigger: str = "manual") -> dict[str, Any]:
    """Anchor the committed tip now: the file, the mail outbox (this transaction) and the log.

    Call it in a transaction of its own that records nothing, so the tip is
    committed data. The file line is written before commit: should the commit then
    fail, the line still states a true tip (only the mail and the schedule's claim
    are undone, and the next run anchors again)."""
    from council.notifications.services import mail_address

    anchored_before = os.path.exists(conf.anchors_path) and os.path.getsize(conf.anchors_path) > 0
    if not os.path.exists(conf.key_path) and anchored_before:
        # A key lost (or never copied to this host) is never silently replaced: anchors signed
        # by one key and then another would look like a forgery to the auditor.
        raise AnchorError(f"no audit signing key at {conf.key_path}, but {conf.anchors_path} holds anchors "
                          "signed before: put the key back (or move the anchors file aside to start with a new key)")
    try:
        key = signing.load_or_create(conf.key_path)
    except (signing.SigningKeyError, OSError) as exc:
        raise AnchorError(str(exc)) from exc
    at = at or utcnow()
    doc = make(tip(session), key, at=at, origin=origin)
    line = as_line(doc)
    append_line(conf.anchors_path, line)
    subject = f"Audit anchor: row {doc['last_id']} at {doc['at'][:16].replace('T', ' ')} UTC ({doc['hash'][:12]})"
    for address in conf.mail_to:
        mail_address(session, to=address, subject=subject, text=_mail_text(doc, line), now=at)
    log.info("audit anchor %s", line, extra={"audit_anchor": doc, "anchor_trigger": trigger})
    return doc


def claim(session: Session, *, now: datetime, every: timedelta) -> bool:
    """Take this period's anchor for this process: True for exactly one caller per period.

    The clock row is made if missing (insert-or-nothing, so two first runs agree),
    then moved on by a conditional UPDATE; the caller whose UPDATE changed it anchors."""
    dialect_insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(dialect_insert(AuditAnchorClock).values(id=1, next_at=now, last_at=None)
                    .on_conflict_do_nothing(index_elements=["id"]))
    moved = session.execute(update(AuditAnchorClock).where(AuditAnchorClock.id == 1, AuditAnchorClock.next_at <= now)
                            .values(next_at=now + every, last_at=now))
    return moved.rowcount == 1  # type: ignore[attr-defined]


def scheduled(session: Session, conf: AnchorSettings, *, origin: str,
              now: datetime | None = None) -> dict[str, Any] | None:
    """The scheduler's job: anchor if this period's anchor is due and this process claimed it."""
    now = now or utcnow()
    if conf.every_minutes <= 0 or not claim(session, now=now, every=timedelta(minutes=conf.every_minutes)):
        return None
    return publish(session, conf, origin=origin, at=now, trigger="scheduled")


# --- checking ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    line: int
    doc: dict[str, Any]

    @property
    def last_id(self) -> int:
        return int(self.doc["last_id"])


def read_anchors(path: str | Path) -> list[Anchor]:
    """Every anchor in a file, each checked for shape (blank lines are skipped).

    A line that is not an anchor stops the reading, naming its line: a file that
    was damaged is something to look at, not to step over."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AnchorError(f"cannot read the anchors file {path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise AnchorError(f"{path} is not a UTF-8 text file") from exc
    anchors = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            doc = json.loads(raw)
        except ValueError as exc:
            raise AnchorError(f"{path} line {number}: not JSON ({exc.msg})") from exc
        problem = _shape_problem(doc)
        if problem:
            raise AnchorError(f"{path} line {number}: not an audit anchor ({problem})")
        anchors.append(Anchor(number, doc))
    if not anchors:
        raise AnchorError(f"{path} holds no anchors")
    return anchors


def _shape_problem(doc: object) -> str:
    if not isinstance(doc, dict):
        return "not a JSON object"
    for name, kind in _FIELDS.items():
        value = doc.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{name} missing or not {'a number' if kind is int else 'text'}"
    if doc["kind"] != KIND or doc["v"] != VERSION:
        return f"kind {doc['kind']!r} version {doc['v']} is not {KIND!r} version {VERSION}"
    if doc["last_id"] < 0 or len(doc["hash"]) != 64 or not set(doc["hash"]) <= _HEX:
        return "last_id or hash out of range"
    return ""


@dataclass(frozen=True)
class AnchorCheck:
    ok: bool
    checked: int
    bad_id: int | None = None  # the first anchored row that no longer matches
    line: int | None = None  # the anchor's line in the file
    reason: str = ""
    newest: dict[str, Any] | None = None


def _signature_problem(anchor: Anchor, public: Ed25519PublicKey) -> str:
    if signing.verifies(public, signed_bytes(anchor.doc), anchor.doc["sig"]):
        return ""
    expected = signing.fingerprint(public)
    if anchor.doc["key"] != expected:
        return f"signed by key {anchor.doc['key']}, not by the verifying key {expected}"
    return f"signature does not verify with key {expected} (the line was altered)"


def _hashes(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    found: dict[int, str] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = session.execute(select(AuditEntry.id, AuditEntry.hash).where(AuditEntry.id.in_(chunk)))
        found.update((row_id, row_hash) for row_id, row_hash in rows)
    return found


def check(session: Session, anchors: list[Anchor], public: Ed25519PublicKey) -> AnchorCheck:
    """Hold the stored chain against every anchor.

    Every signature is checked first, with the key the verifier was given (the
    key named in a line is only used to say whose it is). Then each anchored row
    must still carry the anchored hash. Since a row's hash covers every row before
    it, the first anchored row that differs is reported, with the last one that
    still matches below it: the change lies between the two."""
    for anchor in anchors:
        problem = _signature_problem(anchor, public)
        if problem:
            return AnchorCheck(False, len(anchors), None, anchor.line, problem)
    stored = _hashes(session, (a.last_id for a in anchors if a.last_id > 0))
    stored[0] = GENESIS
    end = session.scalar(select(func.max(AuditEntry.id))) or 0
    newest = max(anchors, key=lambda a: (a.doc["at"], a.last_id)).doc
    differing = [a for a in anchors if stored.get(a.last_id) != a.doc["hash"]]
    if not differing:
        return AnchorCheck(True, len(anchors), newest=newest)
    first = min(differing, key=lambda a: (a.last_id, a.line))
    below = max((a.last_id for a in anchors if a.last_id < first.last_id), default=0)  # all still match
    span = f"the change lies in rows {below + 1}–{first.last_id}"
    if first.last_id in stored:
        why = f"its hash is no longer the one anchored at {first.doc['at']}; {span}"
    else:
        why = f"it is gone (the chain now ends at row {end}), anchored at {first.doc['at']}; {span}"
    return AnchorCheck(False, len(anchors), first.last_id, first.line, why, newest)
