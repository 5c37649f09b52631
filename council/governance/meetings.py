"""Meetings of the council: convening, the agenda, attendance per seat and quorum.

A meeting's conversation is a room of kind ``meeting`` on the same engine as
incident rooms, under the same TLP rules: its participating organisations are
the seated ones, its named members the seats' representatives (the chair's and
secretary's as leads). Attendance is recorded per seat — present, and who sat
in it (the primary or an alternate) — as an ``attendance`` room event, so the
quorum shown in every browser follows the stream.

A meeting's seats are those held on its day by the organisations convened
into its room (a seat created later is not in the room, so it counts neither
towards quorum nor as a voter). Positions on decisions in a meeting room are
counted per seat (:data:`council.decisions.services.ELECTORATES`), each cast
by one of the seat's representatives, while the meeting is open; closing it
closes its room. Attendance is the record of who sat; decisions count the
positions of the seats (their own quorum), not the attendance.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.db import utcnow
from council.decisions.services import Electorate
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.governance.models import AGENDA_LINKS, MEETING_KINDS, AgendaItem, Attendance, Meeting, Seat
from council.governance.offices import current_seats, holds_office, office_holders, seat_of
from council.notifications.services import Note, notify
from council.notifications.subjects import marking_for
from council.rooms.models import TLPS, Room
from council.rooms.stream import Draft, append, iso
from council.rooms.visibility import load_visible

AGENDA_MAX = 30
AGENDA_TITLE_MAX = 300
LINK_URLS = {"room": "/rooms/{}", "incident": "/incidents/{}", "advisory": "/advisories/{}",
             "report": "/reports/{}", "corrective": "/actions/{}"}
SUBJECT_OF = {"room": "room", "incident": "incident", "advisory": "advisory", "report": "report",
              "corrective": "corrective", "decision": "decision"}


def parse_start(value: Any, tz: Any) -> datetime:
    """When a meeting starts: ISO 8601, wall time read in ``tz``."""
    from council.rooms.kinds import parse_time

    try:
        when = parse_time(value, "starts_at", tz)
    except Invalid as err:
        raise Invalid(_("The meeting was not convened."), err.fields) from None
    if when is None:
        raise Invalid(_("The meeting was not convened."), {"starts_at": _("When the meeting starts.")})
    return when


def may_convene(session: Session, user: User) -> bool:
    return holds_office(session, user, ("secretary", "chair"))


def _parse_link(session: Session, actor: User, link: Any, index: int) -> str | None:
    if link in (None, ""):
        return None
    field = f"agenda.{index}.link"
    if not isinstance(link, str) or ":" not in link:
        raise Invalid(_("The meeting was not convened."),
                      {field: _("kind:id, kind one of %(kinds)s.", kinds=", ".join(AGENDA_LINKS))})
    kind, _sep, raw = link.partition(":")
    if kind not in AGENDA_LINKS or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise Invalid(_("The meeting was not convened."),
                      {field: _("kind:id, kind one of %(kinds)s.", kinds=", ".join(AGENDA_LINKS))})
    if marking_for(session, actor, f"{SUBJECT_OF[kind]}:{int(raw)}") is None:
        # Invisible and absent read the same: nothing of what exists leaks.
        raise Invalid(_("The meeting was not convened."),
                      {field: _("No %(kind)s %(id)s that you can see.", kind=kind, id=int(raw))})
    return f"{kind}:{int(raw)}"


def convene(session: Session, *, actor: User, title: str, kind: str, starts_at: datetime,
            agenda: list[dict[str, Any]], tlp: str = "AMBER+STRICT", now: datetime | None = None) -> Meeting:
    """Convene a meeting (the secretary or the chair) with its own room."""
    from council.rooms.services import create_room, name_members

    if not may_convene(session, actor):
        raise Forbidden(_("Only the council's secretary or chair convenes a meeting."))
    now = now or utcnow()
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = _("A title is required.")
    elif len(title) > 200:
        errors["title"] = _("At most 200 characters.")
    if kind not in MEETING_KINDS:
        errors["kind"] = _("Use one of: %(choices)s.", choices=", ".join(MEETING_KINDS))
    if tlp not in TLPS:
        errors["tlp"] = _("Use one of: %(choices)s.", choices=", ".join(TLPS))
    if len(agenda) > AGENDA_MAX:
        errors["agenda"] = _("At most %(num)s agenda items.", num=AGENDA_MAX)
    if errors:
        raise Invalid(_("The meeting was not convened."), errors)
    items = []
    for i, item in enumerate(agenda):
        text = item.get("title")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            raise Invalid(_("The meeting was not convened."), {f"agenda.{i}.title": _("Each agenda item has a title.")})
        if len(text) > AGENDA_TITLE_MAX:
            raise Invalid(_("The meeting was not convened."),
                          {f"agenda.{i}.title": _("At most %(num)s characters.", num=AGENDA_TITLE_MAX)})
        link = _parse_link(session, actor, item.get("link"), i)
        items.append(AgendaItem(position=i + 1, title=text, link=link))
    seats = current_seats(session, starts_at.date())
    if not seats:
        raise Conflict(_("No seat is held on that day: seat the council's members first."))
    room = create_room(session, actor=actor, title=f"Council meeting — {title}"[:200], severity="medium",
                       tlp=tlp, org_ids=sorted({s.org_id for s in seats}),
                       summary=_room_summary(title, kind, starts_at, items), kind="meeting", now=now)
    leads = {u.id for u in office_holders(session, ("chair", "secretary"))}
    name_members(session, room=room, actor=actor, members=[
        (r.user, "lead" if r.user_id in leads else "member") for s in seats for r in s.representatives
        if r.user.active])
    for member in room.members:
        if member.user_id in leads:
            member.role = "lead"
    meeting = Meeting(title=title, kind=kind, starts_at=starts_at, room_id=room.id, convened_by_id=actor.id,
                      convened_at=now)
    meeting.agenda = items
    session.add(meeting)
    session.flush()
    append(session, room=room, kind="meeting", actor=actor, draft=Draft(
        data={"op": "convened", "meeting_id": meeting.id, "title": title, "kind": kind,
              "starts_at": iso(starts_at), "agenda": [{"title": a.title, "link": a.link} for a in items],
              "quorum": quorum(session, meeting)},
        audit={"op": "convened", "meeting_id": meeting.id, "kind": kind}), now=now)
    people = [r.user for s in seats for r in s.representatives]
    notify(session, Note(kind="council_meeting", title=f"Council meeting convened: {title}",
                         url=f"/council/meetings/{meeting.id}", subject=f"room:{room.id}", tlp=tlp,
                         urgent=kind == "extraordinary", body=f"{MEETING_KINDS[kind]} meeting, "
                         f"{starts_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC.", dedupe_key=f"meeting:{meeting.id}"),
           people, actor=actor, now=now)
    return meeting


def _room_summary(title: str, kind: str, starts_at: datetime, items: list[AgendaItem]) -> str:
    lines = [f"**{MEETING_KINDS[kind]} meeting of the CERT Council** — {starts_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
             "", "Agenda:", ""]
    lines += [f"{a.position}. {a.title}" for a in items]
    return "\n".join(lines)


def load_meeting(session: Session, actor: User, meeting_id: int) -> tuple[Meeting, Room, str]:
    """The meeting, its room and the actor's role; NotFound unless its room is visible."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(_("No such meeting."))
    room, role = load_visible(session, actor, meeting.room_id)
    return meeting, room, role


def meeting_of_room(session: Session, room_id: int) -> Meeting | None:
    return session.scalars(select(Meeting).where(Meeting.room_id == room_id)).first()


def list_meetings(session: Session, actor: User) -> list[tuple[Meeting, Room]]:
    from council.rooms.visibility import viewer_of, visible_filter

    rows = session.execute(select(Meeting, Room).join(Room, Room.id == Meeting.room_id)
                           .where(visible_filter(viewer_of(session, actor)))
                           .order_by(Meeting.starts_at.desc(), Meeting.id.desc()))
    return [(m, r) for m, r in rows.all()]


# --- attendance and quorum -----------------------------------------------------------

def meeting_seats(session: Session, meeting: Meeting, room: Room | None = None) -> list[Seat]:
    """The seats of a meeting: held on its day by the organisations convened into its room.
    A past meeting keeps the seats it had, whatever the register says today."""
    room = room or session.get(Room, meeting.room_id)
    orgs = room.org_ids if room is not None else set()
    return [s for s in current_seats(session, meeting.starts_at.date()) if s.org_id in orgs]


def quorum_needed(seats: int, pct: int = 50) -> int:
    return max(1, math.ceil(seats * pct / 100)) if seats else 1


def quorum(session: Session, meeting: Meeting) -> dict[str, Any]:
    """Seats present of the meeting's seats; quorum as for decisions: at least half."""
    room = session.get(Room, meeting.room_id)
    seats = meeting_seats(session, meeting, room)
    pct = room.decision_quorum_pct if room is not None else 50
    seat_ids = {s.id for s in seats}
    present = sum(1 for a in meeting.attendance if a.present and a.seat_id in seat_ids)
    needed = quorum_needed(len(seats), pct)
    return {"seats": len(seats), "present": present, "needed": needed, "met": bool(seats) and present >= needed}


def record_attendance(session: Session, *, actor: User, meeting_id: int, org_id: int, present: bool,
                      user_id: int | None = None, now: datetime | None = None) -> Attendance:
    """The secretary (or chair, or the room's lead) records who sits in a seat."""
    meeting, room, _role = load_meeting(session, actor, meeting_id)
    if not holds_office(session, actor, ("secretary", "chair")):
        raise Forbidden(_("The secretary records attendance."))
    if meeting.status == "closed":
        raise Conflict(_("The meeting is closed; its attendance is part of the record."))
    now = now or utcnow()
    seat = next((s for s in meeting_seats(session, meeting, room) if s.org_id == org_id), None)
    if seat is None:
        raise Invalid(_("Attendance was not recorded."),
                      {"org_id": _("That organisation holds no seat at this meeting.")})
    reps = {r.user_id: r for r in seat.representatives}
    if present and user_id is None:
        primary = next((r for r in seat.representatives if r.role == "primary"), None)
        user_id = primary.user_id if primary else None
    if user_id is not None and user_id not in reps:
        raise Invalid(_("Attendance was not recorded."),
                      {"user_id": _("Not a representative of %(org)s's seat (its primary or an alternate).",
                                    org=seat.org.name)})
    if present and user_id is None:
        raise Invalid(_("Attendance was not recorded."), {"user_id": _("Name who sits in the seat.")})
    row = next((a for a in meeting.attendance if a.seat_id == seat.id), None)
    if row is None:
        row = Attendance(seat_id=seat.id, org_id=seat.org_id, recorded_by_id=actor.id)
        row.seat = seat
        meeting.attendance.append(row)
    row.present, row.user_id = present, (user_id if present else None)
    row.recorded_at, row.recorded_by_id = now, actor.id
    session.flush()
    sitter = reps[user_id].user if present and user_id is not None else None
    append(session, room=room, kind="attendance", actor=actor, draft=Draft(
        data={"op": "attendance", "meeting_id": meeting.id, "seat_id": seat.id, "org_id": seat.org_id,
              "org": seat.org.name, "present": present, "user_id": row.user_id,
              "user": sitter.name if sitter else None, "as": reps[user_id].role if sitter and user_id else None,
              "quorum": quorum(session, meeting)},
        audit={"op": "attendance", "meeting_id": meeting.id, "seat_id": seat.id, "present": present,
               "user_id": row.user_id}), now=now)
    return row


def close_meeting(session: Session, *, actor: User, meeting_id: int, now: datetime | None = None) -> Meeting:
    meeting, room, role = load_meeting(session, actor, meeting_id)
    if not (role == "lead" and holds_office(session, actor, ("secretary", "chair"))):
        raise Forbidden(_("The secretary or the chair closes the meeting."))
    if meeting.status == "closed":
        raise Conflict(_("The meeting is already closed."))
    from council.rooms.stream import post

    now = now or utcnow()
    meeting.status, meeting.closed_at = "closed", now
    append(session, room=room, kind="meeting", actor=actor, draft=Draft(
        data={"op": "closed", "meeting_id": meeting.id, "quorum": quorum(session, meeting)},
        audit={"op": "closed", "meeting_id": meeting.id}), now=now)
    if room.status != "closed":  # the room's record ends with the meeting: no more decisions in it
        post(session, actor=actor, room_id=room.id, kind="status", payload={"status": "closed"}, now=now)
    return meeting


def meeting_json(session: Session, meeting: Meeting, room: Room, viewer: User | None = None) -> dict[str, Any]:
    seats = meeting_seats(session, meeting, room)
    rows = {a.seat_id: a for a in meeting.attendance}
    agenda = []
    for item in meeting.agenda:
        url = None
        if item.link and viewer is not None:
            kind, _sep, raw = item.link.partition(":")
            if marking_for(session, viewer, f"{SUBJECT_OF[kind]}:{raw}") is not None:
                url = decision_url(session, int(raw)) if kind == "decision" else LINK_URLS[kind].format(raw)
        # The link itself only to those who may open it: a kind and id can tell that something exists.
        agenda.append({"position": item.position, "title": item.title, "link": item.link if url else None,
                       "url": url})
    return {
        "id": meeting.id, "title": meeting.title, "kind": meeting.kind, "starts_at": iso(meeting.starts_at),
        "status": meeting.status, "room_id": room.id, "tlp": room.tlp, "convened_by": meeting.convened_by.name,
        "convened_at": iso(meeting.convened_at), "closed_at": iso(meeting.closed_at), "agenda": agenda,
        "attendance": [{"seat_id": s.id, "org_id": s.org_id, "org": s.org.name, "office": s.office,
                        "present": bool(rows.get(s.id) and rows[s.id].present),
                        "user_id": rows[s.id].user_id if s.id in rows else None,
                        "user": rows[s.id].user.name if s.id in rows and rows[s.id].user else None,
                        "representatives": [{"user_id": r.user_id, "name": r.user.name, "role": r.role}
                                            for r in s.representatives]} for s in seats],
        "quorum": quorum(session, meeting),
    }


def decision_url(session: Session, decision_id: int) -> str:
    from council.decisions.models import Decision

    decision = session.get(Decision, decision_id)
    return f"/rooms/{decision.room_id}#decision-{decision_id}" if decision else "/decisions"


# --- per-seat positions ---------------------------------------------------------------

def _seated(session: Session, room: Room) -> set[int]:
    """Seats held today by the organisations convened into the room."""
    return {s.org_id for s in current_seats(session)} & room.org_ids


def meeting_closed(session: Session, room: Room) -> bool:
    meeting = meeting_of_room(session, room.id)
    return meeting is not None and meeting.status == "closed"


def _may_cast(session: Session, room: Room, user: User) -> str | None:
    seat: Seat | None = seat_of(session, user)
    if seat is None or seat.org_id not in room.org_ids:
        return _("Positions in a council meeting are cast per seat, by its representatives; "
                 "you represent no seat at this meeting.")
    if meeting_closed(session, room):
        return _("The meeting is closed: its decisions are part of the record.")
    return None


SEAT_ELECTORATE = Electorate(orgs=_seated, may_cast=_may_cast)
