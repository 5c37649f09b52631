"""Rooms: create, list, read; the lead's changes go through the event stream.

Room creation writes the room and its first events (opened, members) in one
transaction, so even seq 1 is part of the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.auth.services import find_user
from council.db import utcnow
from council.errors import Invalid
from council.orgs.models import Organization
from council.rooms.kinds import check_member_org
from council.rooms.models import SEVERITIES, TLPS, ActionItem, Room, RoomEvent, RoomMember, RoomOrg
from council.rooms.stream import Draft, append
from council.rooms.visibility import load_visible, viewer_of, visible_filter
from council.text import render_markdown


def create_room(
    session: Session, *, actor: User, title: Any, severity: Any, tlp: Any, org_ids: Any,
    summary: Any = "", member_emails: Any = None, kind: str = "incident", now: datetime | None = None,
) -> Room:
    """Open a room; the creator becomes its lead and their organisation participates.

    ``now`` is for trusted callers writing history (seeds, imports); interfaces never pass it.
    """
    errors: dict[str, str] = {}
    if not isinstance(title, str) or not title.strip():
        errors["title"] = _("A title is required.")
    elif len(title.strip()) > 200:
        errors["title"] = _("At most 200 characters.")
    if not isinstance(summary, str) or len(summary) > 20_000:
        errors["summary"] = _("Text of at most 20,000 characters.")
    if severity not in SEVERITIES:
        errors["severity"] = _("Use one of: %(choices)s.", choices=", ".join(SEVERITIES))
    if tlp not in TLPS:
        errors["tlp"] = _("Use one of: %(choices)s.", choices=", ".join(TLPS))
    orgs: list[Organization] = []
    if not isinstance(org_ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in org_ids):
        errors["orgs"] = _("A list of organisation ids.")
    else:
        orgs = list(session.scalars(select(Organization).where(Organization.id.in_(org_ids))))
        if len(orgs) != len(set(org_ids)):
            errors["orgs"] = _("Unknown organisation id(s).")
    members: list[User] = []
    if member_emails is not None:
        if not isinstance(member_emails, list) or not all(isinstance(e, str) for e in member_emails):
            errors["members"] = _("A list of email addresses.")
        else:
            for email in member_emails:
                user = find_user(session, email)
                if user is None or not user.active:
                    errors["members"] = _("No active user with email %(email)s.", email=repr(email))
                    break
                if user.id != actor.id and user not in members:
                    members.append(user)
    if errors:
        raise Invalid(_("The room was not created."), errors)

    org_set = {o.id for o in orgs} | {actor.org_id}
    for user in members:
        check_member_org(session, user, tlp, org_set)
    room = Room(kind=kind, title=title.strip(), summary=summary.strip(),
                summary_html=render_markdown(summary), severity=severity, tlp=tlp, created_by_id=actor.id)
    if now is not None:
        room.created_at = room.updated_at = now
    room.orgs = [RoomOrg(org_id=i) for i in sorted(org_set)]
    room.members = [RoomMember(user_id=actor.id, role="lead")] + [
        RoomMember(user_id=u.id, role="member") for u in members
    ]
    session.add(room)
    session.flush()
    names = {o.id: o.name for o in session.scalars(select(Organization).where(Organization.id.in_(org_set)))}
    append(session, room=room, kind="status", actor=actor, now=now, draft=Draft(
        data={"op": "opened", "changes": {
            "title": [None, room.title], "severity": [None, severity], "tlp": [None, tlp],
            "status": [None, "open"], "orgs": [[], sorted(org_set)],
        }, "org_names": names},
        audit={"op": "opened", "title": room.title, "tlp": tlp, "kind": kind},
    ))
    for member in room.members:
        user = session.get(User, member.user_id)
        assert user is not None
        append(session, room=room, kind="member", actor=actor, now=now, draft=Draft(
            data={"op": "add", "user_id": user.id, "user": user.name, "org": user.org.name,
                  "role": member.role, "old_role": None},
            audit={"op": "add", "user_id": user.id, "role": member.role},
        ))
    return room


def list_rooms(
    session: Session, *, actor: User, kind: str | None = "incident", status: str | None = None,
    tlp: str | None = None, mine: bool = False, limit: int = 200, before_step_up: bool = False,
) -> list[Room]:
    """Rooms the actor may see, newest activity first (the SQL twin of access.can_see).
    ``kind`` None: incident and exercise rooms alike. ``before_step_up``: with the TLP:RED
    rooms a browser session has yet to open (lists that name them, never their content)."""
    stmt = select(Room).where(visible_filter(viewer_of(session, actor, before_step_up=before_step_up)))
    if kind is not None:
        stmt = stmt.where(Room.kind == kind)
    if status in ("open", "monitoring", "closed"):
        stmt = stmt.where(Room.status == status)
    elif status == "active":
        stmt = stmt.where(Room.status != "closed")
    if tlp in TLPS:
        stmt = stmt.where(Room.tlp == tlp)
    if mine:
        stmt = stmt.where(Room.members.any(RoomMember.user_id == actor.id))
    return list(session.scalars(stmt.order_by(Room.updated_at.desc(), Room.id.desc()).limit(limit)))


def count_rooms(session: Session, *, actor: User, kind: str = "incident") -> dict[str, int]:
    viewer = viewer_of(session, actor, before_step_up=True)  # counted as the room list shows them
    stmt = (select(Room.status, func.count()).where(Room.kind == kind, visible_filter(viewer))
            .group_by(Room.status))
    return {status: n for status, n in session.execute(stmt).all()}


def get_room(session: Session, *, actor: User, room_id: int) -> tuple[Room, str]:
    return load_visible(session, actor, room_id)


def list_actions(session: Session, *, actor: User, room_id: int) -> list[ActionItem]:
    room, _role = load_visible(session, actor, room_id)
    return list(session.scalars(select(ActionItem).where(ActionItem.room_id == room.id).order_by(ActionItem.id)))


@dataclass(frozen=True)
class SitrepState:
    org_id: int
    org: str
    state: str  # "reported" | "due" | "overdue" | "none" (no cadence)
    last_seq: int | None
    last_at: datetime | None


def cycle_bounds(anchor: datetime, cadence: timedelta, now: datetime) -> tuple[int, datetime, datetime]:
    """(index, start, end) of the reporting cycle containing ``now``."""
    index = max(0, int((now - anchor) / cadence))
    start = anchor + index * cadence
    return index, start, start + cadence


def sitrep_status(session: Session, *, actor: User, room_id: int, now: datetime | None = None) -> list[SitrepState]:
    """Per participating organisation: reported in this cycle, due, or overdue
    (missed the whole previous cycle)."""
    room, _role = load_visible(session, actor, room_id)
    now = now or utcnow()
    latest: dict[int, tuple[int, datetime]] = {}
    rows = session.execute(
        select(RoomEvent.seq, RoomEvent.created_at, RoomEvent.data)
        .where(RoomEvent.room_id == room.id, RoomEvent.kind == "sitrep").order_by(RoomEvent.seq)
    )
    import json

    for seq, created_at, data in rows:
        latest[int(json.loads(data)["org_id"])] = (seq, created_at)
    result = []
    for link in sorted(room.orgs, key=lambda o: o.org.name):
        seq, at = latest.get(link.org_id, (None, None))
        state = "none"
        if room.sitrep_cadence_min and room.sitrep_anchor:
            cadence = timedelta(minutes=room.sitrep_cadence_min)
            index, start, _end = cycle_bounds(room.sitrep_anchor, cadence, now)
            if at is not None and at >= start:
                state = "reported"
            elif index >= 1 and (at is None or at < start - cadence):
                state = "overdue"
            else:
                state = "due"
        result.append(SitrepState(link.org_id, link.org.name, state, seq, at))
    return result


def name_members(session: Session, *, room: Room, actor: User, members: list[tuple[User, str]]) -> None:
    """Name people in a room with their roles, each a ``member`` event.

    For slices that decide who belongs themselves (an exercise names its
    controllers, players…); the lead's own changes go through the member kind.
    """
    from council import realtime

    present = {m.user_id for m in room.members}
    for user, role in members:
        if user.id in present:
            continue
        room.members.append(RoomMember(user_id=user.id, role=role))
        present.add(user.id)
        session.flush()
        append(session, room=room, kind="member", actor=actor, draft=Draft(
            data={"op": "add", "user_id": user.id, "user": user.name, "org": user.org.name, "role": role,
                  "old_role": None},
            audit={"op": "add", "user_id": user.id, "role": role},
        ))
    realtime.recheck_room(session, room.id)
