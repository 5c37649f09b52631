"""The room event stream: the one path by which anything changes in a room.

``append`` locks the room, hands out the next ``seq`` (1, 2, 3… with no gap:
the counter moves in the same transaction as the insert), writes the event
and its audit row, and queues the broadcast for after commit. A retried
``client_id`` from the same author returns the first event and queues nothing.

Event kinds register a :class:`KindSpec` (core kinds in kinds.py, exercise
kinds from exercises/): it validates the payload and renders markdown once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, Union

from flask_babel import gettext as _
from pydantic import Field
from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from council import realtime
from council.access import can_write, is_lead
from council.api.shapes import parse_data
from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.rooms.audience import audiences_of, deliveries, restricted, view_for
from council.rooms.models import Room, RoomEvent
from council.rooms.visibility import load_visible
from council.text import clean_text

CLIENT_ID_MAX = 64
PAGE_MAX = 500


@dataclass
class PostContext:
    session: Session
    actor: User
    room: Room
    role: str
    # When the event happens: now, except for records written after the fact
    # by trusted code (demo history, imports); never taken from a client.
    now: datetime = field(default_factory=utcnow)


@dataclass
class Draft:
    """What a kind makes of a payload: text, safe HTML, fields, and work to do
    once the event exists (projections that need its seq)."""

    body: str = ""
    body_html: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    after: Callable[[RoomEvent], None] | None = None
    audit: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class KindSpec:
    name: str
    prepare: Callable[[PostContext, dict[str, Any]], Draft]
    # The fields a post of this kind may carry (council/api/shapes.py): REST and socket
    # posts are validated with it before ``prepare`` sees them.
    shape: type[Any]
    lead_only: bool = False
    allowed_when_closed: bool = False
    # Optional per-kind writer check (e.g. exercise roles); returns an error text or None.
    may_post: Callable[[PostContext], str | None] | None = None


KINDS: dict[str, KindSpec] = {}


def posted_shape() -> Any:
    """What a post may be: one of the registered kinds' shapes, told apart by ``kind``."""
    return _union(tuple(spec.shape for spec in KINDS.values()))


@lru_cache(maxsize=8)
def _union(shapes: tuple[type[Any], ...]) -> Any:
    return Annotated[Union[shapes], Field(discriminator="kind")]  # noqa: UP007 (a runtime tuple of types)
Serializer = Callable[[RoomEvent, Room, dict[str, Any]], dict[str, Any]]
SERIALIZERS: list[Serializer] = []
# Told of every appended event in its transaction (the notification service's
# room triggers): (session, room, event as broadcast in full, actor).
Listener = Callable[[Session, Room, dict[str, Any], "User | None"], None]
APPENDED: list[Listener] = []


def on_append(listener: Listener) -> None:
    if listener not in APPENDED:
        APPENDED.append(listener)


def register_kind(spec: KindSpec) -> None:
    KINDS[spec.name] = spec


def iso(dt: Any) -> str | None:
    if dt is None:
        return None
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def serialize(event: RoomEvent, room: Room, current: tuple[str, str] | None = None) -> dict[str, Any]:
    """The event object of the contract, the same for REST, sockets and pages.

    ``current`` is the text of the latest edit of a message, shown in place of
    the original (the edit events keep the history).
    """
    author = event.author
    out: dict[str, Any] = {
        "room": room.id,
        "seq": event.seq,
        "kind": event.kind,
        "id": event.id,
        "author": None if author is None else {
            "id": author.id, "name": author.name, "org": author.org.name, "org_id": author.org_id,
        },
        "created_at": iso(event.created_at),
        "body": event.body,
        "body_html": event.body_html,
        "client_id": event.client_id,
        "exercise": room.is_exercise,
    }
    out.update(json.loads(event.data))
    if event.kind == "message":
        if event.redacted_seq is not None:  # the original or one of its edits: text hidden
            out["body"], out["body_html"] = "", ""
        if "edits" not in out and "redacts" not in out:
            out["edited_seq"] = event.edited_seq
            out["redacted"] = event.redacted_seq is not None
            if event.redacted_seq is None and current is not None:
                out["body"], out["body_html"] = current
    for extra in SERIALIZERS:
        out = extra(event, room, out)
    return out


def serialize_page(
    session: Session, events: list[RoomEvent], room: Room, audiences: set[str] | None,
) -> list[dict[str, Any]]:
    """Serialise a page of history for a viewer with these audience keys
    (see audience.py); edited messages show their latest text (one extra
    query for the whole page, not one per message)."""
    edits = {e.edited_seq for e in events if e.edited_seq is not None and e.redacted_seq is None}
    current: dict[int, tuple[str, str]] = {}
    if edits:
        rows = session.execute(select(RoomEvent.seq, RoomEvent.body, RoomEvent.body_html).where(
            RoomEvent.room_id == room.id, RoomEvent.seq.in_(edits)))
        current = {seq: (body, html) for seq, body, html in rows}
    return [view_for(serialize(e, room, current.get(e.edited_seq) if e.edited_seq else None), audiences)
            for e in events]


_LOCKED = "council_locked_rooms"


def _lock_room(session: Session, room: Room) -> None:
    """Serialise writers of one room. PostgreSQL: a row lock. SQLite: the
    write transaction already holds the database's single write lock."""
    if session.get_bind().dialect.name != "sqlite":
        # Once per room and transaction: post() locks before its idempotency check and
        # append() again; the lock is held until commit, so a second round trip (and a
        # second refresh) inside the lock window only lengthens it.
        # Keyed by the innermost transaction: a row lock taken inside a savepoint
        # that is rolled back is released with it, so it is taken again rather
        # than assumed.
        txn = session.get_nested_transaction() or session.get_transaction()
        held = session.info.get(_LOCKED)
        if held is None or held[0] is not txn:
            held = session.info[_LOCKED] = (txn, set())
        if room.id in held[1]:
            return
        session.execute(select(Room.id).where(Room.id == room.id).with_for_update())
        session.refresh(room, ["last_seq"])
        held[1].add(room.id)


# Built once: constructing a statement costs several times more than running it
# on SQLite, and these two run for every post.
_FIND_CLIENT_ID = select(RoomEvent.id).where(
    RoomEvent.room_id == bindparam("room_id"), RoomEvent.author_id == bindparam("author_id"),
    RoomEvent.client_id == bindparam("client_id"))
_INSERT_EVENT = insert(RoomEvent)


def _existing(session: Session, room_id: int, author_id: int, client_id: str) -> RoomEvent | None:
    # A Core read: events are inserted as they are appended, so nothing pending can
    # match, and what may be pending (audit rows, the room's seq) need not be flushed for it.
    found = session.connection().execute(
        _FIND_CLIENT_ID, {"room_id": room_id, "author_id": author_id, "client_id": client_id},
    ).scalar_one_or_none()
    return None if found is None else session.get(RoomEvent, found)


def clean_client_id(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str) or len(value) > CLIENT_ID_MAX:
        raise Invalid(_("The event was not accepted."),
                      {"client_id": _("A string of at most %(num)s characters.", num=CLIENT_ID_MAX)})
    return value


def post(
    session: Session, *, actor: User, room_id: int, kind: str, payload: dict[str, Any],
    client_id: Any = None, now: datetime | None = None,
) -> tuple[RoomEvent, bool]:
    """Validate and append one event posted by ``actor``; returns (event, created).

    ``now`` is for trusted callers writing history (seeds, imports); interfaces never pass it.
    """
    room, role = load_visible(session, actor, room_id)
    spec = KINDS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        raise Invalid(_("The event was not accepted."),
                      {"kind": _("Unknown kind. Use one of: %(choices)s.", choices=", ".join(sorted(KINDS)))})
    payload = parse_data(spec.shape, {**payload, "kind": kind}, "The event was not accepted.").given()
    client_id = clean_client_id(client_id)
    if client_id is not None:
        # A retry gets the first event even if the room closed (or the poster's
        # role changed) since: it writes nothing, and a client whose ack was
        # lost must not be told its event failed.
        _lock_room(session, room)
        first = _existing(session, room.id, actor.id, client_id)
        if first is not None:
            return first, False
    ctx = PostContext(session, actor, room, role, now or utcnow())
    if spec.may_post is not None:
        problem = spec.may_post(ctx)
        if problem:
            raise Forbidden(problem)
    elif spec.lead_only and not is_lead(role):
        raise Forbidden(_("Only the room's lead may do this."))
    elif not can_write(role):
        raise Forbidden(_("Observers read, never write."))
    if room.status == "closed" and not spec.allowed_when_closed:
        raise Conflict(_("The room is closed. The lead can reopen it."))
    draft = spec.prepare(ctx, payload)
    return append(session, room=room, kind=kind, actor=actor, draft=draft, client_id=client_id, now=ctx.now), True


def shown_to_poster(session: Session, actor: User, event: RoomEvent) -> dict[str, Any]:
    """The answer to a post: the event as its poster may see it now. A post can
    end the poster's own view (a lead removing themselves from a RED room); the
    post stands and they get its least-privileged form, not "No such room"."""
    full = getattr(event, "_council_broadcast", None)  # as append() broadcast it
    if full is None:
        room = session.get(Room, event.room_id)
        assert room is not None
        full = serialize(event, room)
    if not restricted(full):
        # Everyone who sees the room sees this event whole, so the poster's
        # standing does not change the answer: no need to ask for it again
        # (the room's access and audiences were most of the answer's cost).
        return full
    try:
        room, role = load_visible(session, actor, event.room_id)
        audiences = audiences_of(session, actor, room, role)
    except NotFound:
        audiences = set()
    return view_for(full, audiences)


def append(
    session: Session, *, room: Room, kind: str, actor: User | None, draft: Draft,
    client_id: str | None = None, now: datetime | None = None,
) -> RoomEvent:
    """Write one event with the next seq, its audit row, and queue its broadcast.

    For services that have already checked the actor's rights (room creation,
    exercise clock, scheduled injects).
    """
    _lock_room(session, room)
    now = now or utcnow()
    room.last_seq += 1
    room.updated_at = now
    values: dict[str, Any] = {
        "room_id": room.id, "seq": room.last_seq, "kind": kind, "author_id": actor.id if actor else None,
        "created_at": now, "body": clean_text(draft.body), "body_html": draft.body_html, "client_id": client_id,
        "data": json.dumps(draft.data, separators=(",", ":"), default=str), "edited_seq": None,
        "redacted_seq": None,
    }
    # One Core INSERT, then the object joins the session as already persistent:
    # a unit-of-work flush per event (with the room's UPDATE, which can wait for
    # the commit) cost more than the rest of a chat post.
    values["id"] = session.connection().execute(_INSERT_EVENT, values).inserted_primary_key[0]
    event = RoomEvent(**values)
    event.author = actor
    make_transient_to_detached(event)
    session.add(event)
    if draft.after is not None:
        draft.after(event)
    record(session, action=f"room.event.{kind}", actor=actor, target_type="room", target_id=room.id,
           room_id=room.id, details={"seq": event.seq, **draft.audit}, at=now)
    full = serialize(event, room)
    # Kept on the object (not by id: a rolled-back attempt's ids are reused) for
    # the answer to the poster, so the event is serialised once.
    event._council_broadcast = full  # type: ignore[attr-defined]
    for channel, payload in deliveries(full):
        realtime.emit(session, "event", payload, to=channel)
    for listener in APPENDED:
        listener(session, room, full, actor)
    return event


def list_events(
    session: Session, room: Room, *, since: int | None = None, before: int | None = None,
    limit: int = 100,
) -> tuple[list[RoomEvent], bool]:
    """Events after ``since`` (or before ``before``), oldest first; and whether more remain."""
    limit = max(1, min(int(limit), PAGE_MAX))
    stmt = select(RoomEvent).where(RoomEvent.room_id == room.id)
    if before is not None:
        stmt = stmt.where(RoomEvent.seq < before).order_by(RoomEvent.seq.desc()).limit(limit + 1)
        rows = list(session.scalars(stmt))
        return list(reversed(rows[:limit])), len(rows) > limit
    if since is not None:
        stmt = stmt.where(RoomEvent.seq > since).order_by(RoomEvent.seq).limit(limit + 1)
        rows = list(session.scalars(stmt))
        return rows[:limit], len(rows) > limit
    # Neither: the latest page.
    stmt = stmt.order_by(RoomEvent.seq.desc()).limit(limit + 1)
    rows = list(session.scalars(stmt))
    return list(reversed(rows[:limit])), len(rows) > limit
