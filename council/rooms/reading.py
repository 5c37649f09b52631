"""How far people have read their rooms: unread counts for the rooms list.

A read mark is personal state, not part of a room's record: it is kept in
``room_reads``, never as a room event or an audit row. Unread counts what
others wrote that a person would see in the feed (messages, sitreps,
decisions, timeline entries, action items, injects…), not system lines.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.db import utcnow
from council.errors import Invalid
from council.rooms.models import Room, RoomEvent, RoomRead
from council.rooms.visibility import load_visible

UNREAD_KINDS = ("message", "timeline", "action", "sitrep", "decision", "inject", "response")


def mark_read(session: Session, *, actor: User, room_id: int, seq: Any) -> int:
    """Record that ``actor`` has read ``room_id`` up to ``seq``; never moves back."""
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise Invalid(_("Not recorded."), {"seq": _("A sequence number (0 or more).")})
    room, _role = load_visible(session, actor, room_id)
    seq = min(seq, room.last_seq)
    row = session.get(RoomRead, (actor.id, room.id))
    if row is None:
        session.add(RoomRead(user_id=actor.id, room_id=room.id, last_seq=seq))
    elif seq > row.last_seq:
        row.last_seq, row.updated_at = seq, utcnow()
    else:
        return row.last_seq
    return seq


def read_seq(session: Session, user: User, room_id: int) -> int:
    row = session.get(RoomRead, (user.id, room_id))
    return row.last_seq if row else 0


def unread_counts(session: Session, user: User, rooms: list[Room]) -> dict[int, int]:
    """Per room (already checked visible): events by others after the reader's mark."""
    if not rooms:
        return {}
    ids = [r.id for r in rooms]
    stmt = (
        select(RoomEvent.room_id, func.count())
        .select_from(RoomEvent)
        .outerjoin(RoomRead, and_(RoomRead.room_id == RoomEvent.room_id, RoomRead.user_id == user.id))
        .where(RoomEvent.room_id.in_(ids), RoomEvent.kind.in_(UNREAD_KINDS),
               RoomEvent.seq > func.coalesce(RoomRead.last_seq, 0),
               func.coalesce(RoomEvent.author_id, 0) != user.id)
        .group_by(RoomEvent.room_id)
    )
    return {room_id: n for room_id, n in session.execute(stmt).all()}
