"""Applying council.access to rows: the viewer of a user, the facts of a room,
and the same rule as a SQL filter for lists (deny by default)."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from council.access import RoomFacts, Viewer, role_in
from council.auth.assurance import red_cleared
from council.auth.models import User
from council.errors import NotFound
from council.orgs.models import Organization
from council.rooms.models import Room, RoomMember, RoomOrg

_VIEWERS = "council_viewers"


def ancestors(session: Session, org_id: int) -> frozenset[int]:
    """The parents of ``org_id`` up to the root (cycles are refused on write; guarded here)."""
    seen: list[int] = []
    current = session.get(Organization, org_id)
    while current is not None and current.parent_id is not None and current.parent_id not in seen:
        seen.append(current.parent_id)
        current = session.get(Organization, current.parent_id)
    return frozenset(seen)


def viewer_of(session: Session, user: User, *, before_step_up: bool = False) -> Viewer:
    """The viewer of ``user`` in this session. ``before_step_up``: as if the second factor
    were verified — for the places that then ask for it (a room's page and socket join,
    the API's guard) and for lists of rooms, which name a RED room the person has yet to open."""
    cleared = before_step_up or red_cleared(session, user)
    cache: dict[tuple[int, int, bool], Viewer] = session.info.setdefault(_VIEWERS, {})
    key = (user.id, user.org_id, cleared)
    if key not in cache:
        cache[key] = Viewer(user.id, user.org_id, ancestors(session, user.org_id), user.active, cleared)
    return cache[key]


def facts_of(room: Room) -> RoomFacts:
    return RoomFacts(room.tlp, frozenset(room.org_ids), {m.user_id: m.role for m in room.members},
                     named_only=room.is_exercise)


def role_of(session: Session, user: User, room: Room, *, before_step_up: bool = False) -> str | None:
    return role_in(viewer_of(session, user, before_step_up=before_step_up), facts_of(room))


_ROOMS = "council_rooms"


def load_visible(session: Session, user: User, room_id: int, *, before_step_up: bool = False) -> tuple[Room, str]:
    """The room and the user's role in it; NotFound if absent *or* invisible
    (``before_step_up``: see :func:`viewer_of`).

    The room is kept referenced for the session's life: the identity map holds
    rows weakly, and a post path that loads the room, drops it and asks again
    (the answer to the poster) would otherwise reload it with its members and
    organisations — three queries per post."""
    room = session.get(Room, room_id)
    if room is not None:
        session.info.setdefault(_ROOMS, {})[room.id] = room
    role = role_of(session, user, room, before_step_up=before_step_up) if room is not None else None
    if room is None or role is None:
        raise NotFound(_("No such room."))
    return room, role


def visible_filter(viewer: Viewer, tlp: ColumnElement[str] | None = None) -> ColumnElement[bool]:
    """SQL twin of access.can_see, for lists and counts. ``tlp``: the marking of an item
    in the room to apply instead of the room's (an indicator's, never looser than it)."""
    marking = Room.tlp if tlp is None else tlp
    if not viewer.active:
        return false()
    if not viewer.red_cleared:
        closed = [Room.tlp != "RED"] if tlp is None else [Room.tlp != "RED", tlp != "RED"]
        return and_(*closed, visible_filter(replace(viewer, red_cleared=True), tlp))
    named = exists(select(RoomMember.room_id).where(
        RoomMember.room_id == Room.id, RoomMember.user_id == viewer.user_id))
    in_orgs = exists(select(RoomOrg.room_id).where(
        RoomOrg.room_id == Room.id, RoomOrg.org_id == viewer.org_id))
    above = {viewer.org_id, *viewer.org_ancestors}
    in_or_below = exists(select(RoomOrg.room_id).where(
        RoomOrg.room_id == Room.id, RoomOrg.org_id.in_(above)))
    return or_(
        named,
        and_(Room.kind != "exercise", or_(
            marking.in_(("CLEAR", "GREEN")),
            and_(marking == "AMBER", in_or_below),
            and_(marking == "AMBER+STRICT", in_orgs),
        )),
    )
