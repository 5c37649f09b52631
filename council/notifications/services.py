"""The notification service: domain code says what happened and to whom it may
matter; this decides who may be told, writes the notifications, queues the live
push to each person's own channel and, in the same transaction, the mail.

Nothing is sent here: the push goes out after commit (council/realtime.py), the
mail when a worker claims its outbox row (outbox.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from council import realtime
from council.auth.models import User
from council.db import utcnow
from council.errors import Invalid
from council.notifications.kinds import KINDS, MODES, mode_of
from council.notifications.models import MailOutbox, Notification, NotificationPref
from council.notifications.subjects import may_see

MAIL_ON = "council_mail_on"
BODY_MAX = 2000
PAGE = 200


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def user_channel(user_id: int) -> str:
    return f"user:{user_id}"


@dataclass(frozen=True)
class Note:
    """What happened, as every recipient will be told it."""

    kind: str
    title: str
    url: str
    subject: str = ""
    ref: str = ""
    tlp: str = "CLEAR"
    exercise: bool = False
    urgent: bool = False
    body: str = ""
    # Same key, same person: told once (sweeps and reminders pass one).
    dedupe_key: str | None = None


# Who else hears of an urgent note: (session, its recipients, now) -> more people. The
# directory registers the people on duty now in each recipient's organisation.
UrgentRoute = Callable[[Session, list[User], datetime], Iterable[User]]
URGENT_ROUTES: list[UrgentRoute] = []


def add_urgent_route(route: UrgentRoute) -> None:
    if route not in URGENT_ROUTES:
        URGENT_ROUTES.append(route)


def mail_enabled(session: Session) -> bool:
    """Whether mail is configured (set by the app on every session; no app: none)."""
    return bool(session.info.get(MAIL_ON))


def notify(session: Session, note: Note, recipients: Iterable[User], *, actor: User | None = None,
           now: datetime | None = None) -> list[int]:
    """Tell each recipient who may see ``note.subject`` now (never the actor
    themselves, never inactive people); returns the ids of the notifications written.

    An urgent note about something (a subject: a room, an incident, a check) — marked
    urgent, or of an always-urgent kind — also goes to the people each urgent route adds
    (the people on duty now in each recipient's organisation, council/directory) under
    the same rule: told once, never the actor, only if they may see the subject now.
    A note without a subject is personal (the chair's ratification reminder): never routed."""
    if note.kind not in KINDS:
        raise ValueError(f"unknown notification kind {note.kind!r}")
    now = now or utcnow()
    if URGENT_ROUTES and note.subject and (note.urgent or KINDS[note.kind].urgent):
        recipients = list(recipients)
        recipients += [u for route in URGENT_ROUTES for u in route(session, recipients, now)]
    seen: set[int] = set()
    people: list[User] = []
    for user in recipients:
        if user.id in seen or (actor is not None and user.id == actor.id):
            continue
        seen.add(user.id)
        if may_see(session, user, note.subject):
            people.append(user)
    if not people:
        return []
    if note.dedupe_key is not None:
        told = set(session.scalars(select(Notification.user_id).where(
            Notification.dedupe_key == note.dedupe_key, Notification.user_id.in_([u.id for u in people]))))
        people = [u for u in people if u.id not in told]
        if not people:
            return []
    modes = _modes(session, [u.id for u in people], note) if mail_enabled(session) else {}
    rows = [{
        "user_id": u.id, "kind": note.kind, "title": note.title[:300], "url": note.url[:500],
        "subject": note.subject, "ref": note.ref[:120], "tlp": note.tlp, "exercise": note.exercise,
        "urgent": note.urgent, "body": note.body[:BODY_MAX], "dedupe_key": note.dedupe_key,
        "mail": "" if modes.get(u.id, "never") == "never" else modes[u.id], "created_at": now, "read_at": None,
    } for u in people]
    # Core statements and plain dicts: an advisory to 500 organisations tells 1,500 people,
    # and ORM objects for each cost more than the inserts themselves.
    conn = session.connection()
    table = Notification.__table__
    if note.dedupe_key is None:
        ids = list(conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
    else:
        # Sweeps run in every process: a person another process told a moment ago is
        # skipped by the unique index, never an error that undoes the whole pass.
        dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        stmt = dialect_insert(table).on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
        written = {uid: nid for nid, uid in conn.execute(stmt.returning(table.c.id, table.c.user_id), rows)}
        rows = [row for row in rows if row["user_id"] in written]
        ids = [written[row["user_id"]] for row in rows]
    mails = [{"user_id": row["user_id"], "notification_id": nid, "status": "pending", "next_attempt_at": now,
              "created_at": now, "digest_ids": "", "attempts": 0, "claimed_by": "", "last_error": "",
              "subject_line": "", "message_id": ""}
             for nid, row in zip(ids, rows, strict=True) if row["mail"] == "immediate"]
    if mails:
        conn.execute(MailOutbox.__table__.insert(), mails)
    stamp = iso(now)
    for nid, row in zip(ids, rows, strict=True):
        red = row["tlp"] == "RED"  # the push reaches every socket of the person: RED words only on the page
        realtime.emit(session, "notification", {
            "id": nid, "kind": row["kind"], "title": red_stub() if red else row["title"], "url": row["url"],
            "created_at": stamp, "read_at": None, "tlp": row["tlp"], "exercise": row["exercise"],
            "urgent": row["urgent"], "body": "" if red else row["body"]}, to=user_channel(row["user_id"]))
    return ids


def mail_address(session: Session, *, to: str, subject: str, text: str, now: datetime | None = None) -> None:
    """Queue one mail to an address outside the platform, in the caller's transaction.

    For records the platform publishes about itself (the audit anchors), not for
    telling people: no notification, no preferences, no access asked at sending,
    so nothing marked may go this way. Sent by the same outbox worker as all mail."""
    now = now or utcnow()
    session.add(MailOutbox(user_id=None, to_address=to, subject_line=subject[:300], body_text=text,
                           next_attempt_at=now, created_at=now))


def _modes(session: Session, user_ids: list[int], note: Note) -> dict[int, str]:
    chosen = dict(session.execute(select(NotificationPref.user_id, NotificationPref.mode).where(
        NotificationPref.kind == note.kind, NotificationPref.user_id.in_(user_ids))).all())
    return {uid: mode_of(note.kind, chosen.get(uid), note.urgent) for uid in user_ids}


def red_stub() -> str:
    """What stands for a TLP:RED notification's words where the second factor was not
    verified: its live push to the bell (any of the person's sockets) and the lists of a
    browser session without the step-up."""
    return _("A TLP:RED notification: enter a code from your authenticator app to read it.")


def notification_json(n: Notification, *, red_open: bool = True) -> dict[str, Any]:
    """The contract's notification object (extended with what the bell shows)."""
    closed = n.tlp == "RED" and not red_open
    return {"id": n.id, "kind": n.kind, "title": red_stub() if closed else n.title, "url": n.url,
            "created_at": iso(n.created_at), "read_at": iso(n.read_at), "tlp": n.tlp, "exercise": n.exercise,
            "urgent": n.urgent, "body": "" if closed else n.body}


def list_for(session: Session, user: User, *, unread: bool = False, kind: str | None = None,
             before: int | None = None, limit: int = PAGE) -> list[Notification]:
    """A person's own notifications, newest first (nobody reads another's)."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    if before:
        stmt = stmt.where(Notification.id < before)
    return list(session.scalars(stmt.order_by(Notification.id.desc()).limit(max(1, min(limit, PAGE)))))


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, *, user: User, ids: list[int] | None = None, all: bool = False) -> int:
    """Mark some (only one's own; others' ids are ignored) or all as read; every
    open tab of the person hears of it."""
    if not all and not ids:
        raise Invalid(_("Nothing was marked read."), {"ids": _("Give the ids to mark read, or all: true.")})
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if not all:
        stmt = stmt.where(Notification.id.in_(ids or []))
    changed = session.execute(stmt.values(read_at=utcnow())).rowcount or 0
    realtime.emit(session, "notifications_read", {"ids": None if all else ids, "all": all,
                                                  "unread": unread_count(session, user)},
                  to=user_channel(user.id))
    return changed


def preferences(session: Session, user: User) -> dict[str, str]:
    chosen = dict(session.execute(select(NotificationPref.kind, NotificationPref.mode).where(
        NotificationPref.user_id == user.id)).all())
    return {key: mode_of(key, chosen.get(key), False) for key in KINDS}


def set_preferences(session: Session, *, user: User, modes: dict[str, Any]) -> dict[str, str]:
    errors = {}
    for key, mode in modes.items():
        if key not in KINDS:
            errors[key] = _("Unknown kind of notification.")
        elif mode not in MODES:
            errors[key] = _("Use one of: %(choices)s.", choices=", ".join(MODES))
        elif KINDS[key].urgent and mode != "immediate":
            errors[key] = _("Urgent: always sent at once.")
    if errors:
        raise Invalid(_("The settings were not saved."), errors)
    for key, mode in modes.items():
        row = session.get(NotificationPref, (user.id, key))
        if row is None:
            session.add(NotificationPref(user_id=user.id, kind=key, mode=mode))
        else:
            row.mode = mode
    session.flush()
    return preferences(session, user)
