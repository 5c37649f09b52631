"""The mail outbox worker: claim, send after commit, record; and digests.

Every process runs it (scheduler.py); rows are claimed with a conditional
UPDATE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so each mail is sent by one
process. While the SMTP server is away, rows go back to ``pending`` with a
growing delay (10 s … 15 min) and are never dropped. A process that dies while
sending leaves its claims; after ``LEASE`` another process takes them (the mail
keeps its Message-ID, so a receiver can drop a duplicate of that rare case).

Before anything is sent, access is asked again: a recipient who may no longer
see what a notification is about gets nothing (the row is ``withdrawn``).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from council.auth.models import User
from council.config import Settings
from council.db import Database, utcnow
from council.extensions import database, settings
from council.notifications import mail as m
from council.notifications.kinds import DIGEST_PERIOD_S
from council.notifications.models import MailOutbox, Notification
from council.notifications.subjects import marking_for, stricter

log = logging.getLogger("council.mail")
WORKER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
BATCH = 50
LEASE = timedelta(minutes=5)
BUDGET_S = 60.0  # one pass sends for at most a minute: far inside the lease
DIGEST_MAX = 200  # items in one digest; more wait for the next
BACKOFF_MAX_S = 900


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_MAX_S, 5 * 2 ** max(1, attempts)))


def _locked(session: Session, stmt):  # type: ignore[no-untyped-def]
    """Rows another process is claiming are skipped, not waited for (PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def claim(session: Session, *, now: datetime, limit: int = BATCH, worker: str = WORKER) -> list[int]:
    """Take up to ``limit`` due rows (and stale claims of dead processes) for this worker."""
    due = or_(and_(MailOutbox.status == "pending", MailOutbox.next_attempt_at <= now),
              and_(MailOutbox.status == "sending", MailOutbox.claimed_at < now - LEASE))
    ids = list(session.scalars(_locked(session, select(MailOutbox.id).where(due).order_by(MailOutbox.id)
                                       .limit(limit))))
    if not ids:
        return []
    session.execute(update(MailOutbox).where(MailOutbox.id.in_(ids), due).values(
        status="sending", claimed_by=worker, claimed_at=now))
    return list(session.scalars(select(MailOutbox.id).where(
        MailOutbox.id.in_(ids), MailOutbox.claimed_by == worker, MailOutbox.claimed_at == now)))


@dataclass
class Prepared:
    row_id: int
    mail: m.Mail | None  # None: nothing left the recipient may see: withdraw
    message_id: str


def prepare(session: Session, row: MailOutbox, *, base_url: str, max_tlp: str, sender: str) -> Prepared:
    """The mail as its recipient may read it *now*: access asked again, and each item
    at the stricter of its marking when written and its subject's marking today.
    A mail to an address outside the platform goes as it was queued."""
    msg_id = row.message_id or m.new_message_id(sender)
    if row.user_id is None:
        return Prepared(row.id, m.Mail(row.to_address, row.subject_line, row.body_text), msg_id)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return Prepared(row.id, None, msg_id)
    if row.notification_id is not None:
        n = session.get(Notification, row.notification_id)
        current = marking_for(session, user, n.subject) if n is not None else None
        if n is None or current is None:
            return Prepared(row.id, None, msg_id)
        return Prepared(row.id, m.single(user.email, n, stricter(n.tlp, current), base_url=base_url,
                                         max_tlp=max_tlp), msg_id)
    ids = json.loads(row.digest_ids or "[]")
    items = []
    for n in session.scalars(select(Notification).where(Notification.id.in_(ids)).order_by(Notification.id)):
        current = marking_for(session, user, n.subject) if n.read_at is None else None
        if current is not None:
            items.append((n, stricter(n.tlp, current)))
    if not items:
        return Prepared(row.id, None, msg_id)
    return Prepared(row.id, m.digest(user.email, items, base_url=base_url, max_tlp=max_tlp), msg_id)


def _record(db: Database, row_id: int, state: str, error: str, subject: str, worker: str) -> bool:
    """Write one mail's outcome at once, if this worker still holds its claim (a claim
    taken over after the lease is the other worker's to record)."""
    with db.transaction() as session:
        row = session.scalar(_locked(session, select(MailOutbox).where(
            MailOutbox.id == row_id, MailOutbox.claimed_by == worker, MailOutbox.status == "sending")))
        if row is None:
            return False
        done = utcnow()
        row.subject_line = subject or row.subject_line
        if state == "sent":
            row.status, row.sent_at, row.last_error = "sent", done, ""
        elif state == "retry":
            row.attempts += 1
            row.status, row.last_error, row.next_attempt_at = "pending", error[:500], done + backoff(row.attempts)
        else:
            row.status, row.last_error = state, error[:500]
            row.attempts += 1 if state == "failed" else 0
    return True


def deliver(app: Flask, now: datetime | None = None, *, budget_s: float = BUDGET_S,
            worker: str = WORKER) -> dict[str, int]:
    """One pass: claim due mail, send it over one SMTP connection, record each outcome
    as soon as it is known. Returns counts (sent, retry, failed, withdrawn).

    A pass never outlasts ``budget_s`` (well under the lease): what it has not reached
    goes back to the queue untouched. If the server cannot be reached, the pass stops at
    once and every claimed mail waits for its next attempt; a mail that cannot be built
    or is refused for good fails alone, never the batch."""
    conf = settings(app)
    counts = {"sent": 0, "retry": 0, "failed": 0, "withdrawn": 0}
    if conf.mail is None:
        return counts
    db = database(app)
    with db.transaction() as session:
        ids = claim(session, now=now or utcnow(), worker=worker)
    started = time.monotonic()
    box: list[m.Connection | None] = [None]  # the SMTP session, opened at the first mail that needs it
    try:
        for index, row_id in enumerate(ids):
            if index and time.monotonic() - started > budget_s:  # at least one mail per pass
                _release(db, ids[index:], worker)
                break
            state, error, subject = _send_one(db, conf, row_id, box)
            if state == "unreachable":
                for rest in ids[index:]:
                    if _record(db, rest, "retry", error, "", worker):
                        counts["retry"] += 1
                break
            if _record(db, row_id, state, error, subject, worker):
                counts[state] += 1
    finally:
        if box[0] is not None:
            box[0].close()
    if counts["retry"]:
        log.warning("mail: %d waiting for the SMTP server", counts["retry"])
    return counts


def _send_one(db: Database, conf: Settings, row_id: int, box: list[m.Connection | None]) -> tuple[str, str, str]:
    """(state, error, subject) of one claimed mail; ``box`` holds the open connection."""
    assert conf.mail is not None
    try:
        with db.transaction() as session:
            row = session.get(MailOutbox, row_id)
            if row is None:
                return "withdrawn", "", ""
            p = prepare(session, row, base_url=conf.base_url, max_tlp=conf.mail_max_tlp, sender=conf.mail.sender)
            row.message_id = p.message_id  # fixed before the first attempt: a receiver can drop a duplicate
        if p.mail is None:
            return "withdrawn", "", ""
        msg = m.message(p.mail, conf.mail.sender, p.message_id)
    except Exception as exc:  # a mail that cannot be built fails alone
        log.exception("mail %s could not be built", row_id)
        return "failed", f"could not be built: {type(exc).__name__}: {exc}", ""
    if box[0] is None:
        try:
            box[0] = m.Connection(conf.mail)
        except m.Transient as exc:
            return "unreachable", str(exc), p.mail.subject
    try:
        box[0].send(msg)
        return "sent", "", p.mail.subject
    except m.Permanent as exc:
        return "failed", str(exc), p.mail.subject
    except (m.Transient, Exception) as exc:  # the session may be broken: the next mail opens a new one
        box[0].close()
        box[0] = None
        return "retry", str(exc) or type(exc).__name__, p.mail.subject


def _release(db: Database, ids: list[int], worker: str) -> None:
    """Give back claims this pass did not reach (no attempt is counted)."""
    with db.transaction() as session:
        session.execute(update(MailOutbox).where(MailOutbox.id.in_(ids), MailOutbox.claimed_by == worker,
                                                 MailOutbox.status == "sending").values(status="pending"))


def make_digests(session: Session, now: datetime | None = None) -> int:
    """Gather each person's waiting digest notifications into one outbox row once
    the oldest has waited its period (an hour, a day); returns rows written."""
    now = now or utcnow()
    written = 0
    for mode, period in DIGEST_PERIOD_S.items():
        due = session.execute(select(Notification.user_id).where(Notification.mail == mode)
                              .group_by(Notification.user_id)
                              .having(func.min(Notification.created_at) <= now - timedelta(seconds=period))).all()
        for (user_id,) in due:
            ids = list(session.scalars(_locked(session, select(Notification.id).where(
                Notification.user_id == user_id, Notification.mail == mode).order_by(Notification.id)
                .limit(DIGEST_MAX))))
            if not ids:
                continue
            taken = session.execute(update(Notification).where(
                Notification.id.in_(ids), Notification.mail == mode).values(mail="digested")).rowcount
            if taken != len(ids):  # another process got there first (SQLite has one writer: never)
                continue
            session.add(MailOutbox(user_id=user_id, digest_ids=json.dumps(ids), next_attempt_at=now,
                                   created_at=now))
            written += 1
    return written


def backlog(session: Session) -> dict[str, object]:
    """What the admin page shows: counts per state, the oldest waiting, recent failures."""
    counts = dict(session.execute(select(MailOutbox.status, func.count()).group_by(MailOutbox.status)).all())
    oldest = session.scalar(select(func.min(MailOutbox.created_at)).where(
        MailOutbox.status.in_(("pending", "sending"))))
    problems = list(session.scalars(select(MailOutbox).where(
        or_(MailOutbox.status == "failed", and_(MailOutbox.status == "pending", MailOutbox.attempts > 0)))
        .order_by(MailOutbox.id.desc()).limit(50)))
    return {"counts": counts, "oldest": oldest, "problems": problems}


def retry_failed(session: Session, row_id: int | None = None) -> int:
    """Put failed mail (one, or all) back in the queue (an admin fixed the cause)."""
    stmt = update(MailOutbox).where(MailOutbox.status == "failed")
    if row_id is not None:
        stmt = stmt.where(MailOutbox.id == row_id)
    return session.execute(stmt.values(status="pending", next_attempt_at=utcnow(), last_error="")).rowcount or 0
