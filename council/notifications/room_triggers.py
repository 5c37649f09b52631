"""What room events tell people: mentions, assigned actions, rooms opened or
shared with an organisation, people named in a room; and owed sitreps (a sweep).

Every recipient is someone who may see the room *and* the event in full: a
mention inside a narrower tier (staff notes, a stricter decision) reaches only
that tier.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.access import TLP_ORDER
from council.auth.models import User
from council.db import utcnow
from council.errors import NotFound
from council.notifications.mentions import members_of, resolve
from council.notifications.services import Note, notify
from council.rooms.audience import audiences_of, view_for
from council.rooms.models import Room
from council.rooms.visibility import load_visible

SNIPPET = 400
ORG_MENTIONS = 5
TAG = re.compile(r"<[^>]+>")


def plain(html: str) -> str:
    """The text of sanitised HTML, for a notification's body (never markdown source)."""
    return " ".join(unescape(TAG.sub(" ", html)).split())


def room_ref(room: Room) -> str:
    return f"room R-{room.id}"


def sees_room(session: Session, user: User, room_id: int) -> str | None:
    """Subject "room:<id>": the room's marking now, or None."""
    try:
        room, _role = load_visible(session, user, room_id)
    except NotFound:
        return None
    return room.tlp


def sees_event(session: Session, user: User, event_id: int) -> str | None:
    """Subject "event:<id>": the event as this person may see it now — in full (not a
    stub or a redacted tier), and not since redacted; its marking, or None."""
    from council.rooms.models import RoomEvent
    from council.rooms.stream import serialize

    event = session.get(RoomEvent, event_id)
    if event is None or event.redacted_seq is not None:
        return None
    room = session.get(Room, event.room_id)
    if room is None:
        return None
    full = serialize(event, room)
    return _marking(room, full) if _sees_event(session, user, room, full) else None


def sees_decision(session: Session, user: User, decision_id: int) -> str | None:
    """Subject "decision:<id>": the decision's marking if the person may see it now."""
    from council.decisions.models import Decision

    decision = session.get(Decision, decision_id)
    room = session.get(Room, decision.room_id) if decision is not None else None
    if decision is None or room is None or not _sees_decision(session, user, room, decision):
        return None
    return decision.tlp if TLP_ORDER.get(decision.tlp, 0) > TLP_ORDER[room.tlp] else room.tlp


def _sees_event(session: Session, user: User, room: Room, full: dict[str, Any]) -> bool:
    try:
        room, role = load_visible(session, user, room.id)
    except NotFound:
        return False
    form = view_for(full, audiences_of(session, user, room, role))
    return form.get("body_html") == full.get("body_html") and form.get("kind") == full.get("kind")


def _marking(room: Room, full: dict[str, Any]) -> str:
    tlp = full.get("tlp")
    return tlp if isinstance(tlp, str) and TLP_ORDER.get(tlp, -1) > TLP_ORDER[room.tlp] else room.tlp


def _note(room: Room, full: dict[str, Any], kind: str, title: str, *, body: str = "", urgent: bool = False,
          dedupe: str | None = None, subject: str | None = None) -> Note:
    """About this event (asked again before mail: the person must still see it in full)."""
    return Note(kind=kind, title=title, url=f"/rooms/{room.id}#seq-{full['seq']}",
                subject=subject or f"event:{full['id']}",
                ref=room_ref(room), tlp=_marking(room, full), exercise=room.is_exercise, urgent=urgent,
                body=body[:SNIPPET], dedupe_key=dedupe)


def on_room_event(session: Session, room: Room, full: dict[str, Any], actor: User | None) -> None:
    """Called by the room stream for every event, inside its transaction."""
    kind = full["kind"]
    html = full.get("body_html") or ""
    if "@" in html:
        _mentions(session, room, full, actor, html)
    if kind == "action":
        _action(session, room, full, actor)
    elif kind == "status":
        orgs = (full.get("changes") or {}).get("orgs")
        if orgs:
            added = sorted(set(orgs[1]) - set(orgs[0] or []))
            _opened(session, room, full, actor, members_of(session, added), opened=full.get("op") == "opened")
    elif kind == "decision" and full.get("op") in ("proposed", "superseded"):
        _position_wanted(session, room, full, actor)
    elif kind == "member" and full.get("op") == "add":
        user = session.get(User, full.get("user_id"))
        if user is not None:
            _opened(session, room, full, actor, [user], opened=False, named=True)


def _mentions(session: Session, room: Room, full: dict[str, Any], actor: User | None, html: str) -> None:
    found = resolve(session, html)
    if not found:
        return
    who = actor.name if actor else "The platform"
    body = plain(html)
    # An edit that keeps a mention does not ring again; one that adds a person rings them.
    message = f"{room.id}:{full.get('edits') or full['seq']}"
    people = [u for u in found.people if _sees_event(session, u, room, full)]
    notify(session, _note(room, full, "mention", f"{who} mentioned you in {room.title}", body=body,
                          dedupe=f"mention:{message}"), people, actor=actor)
    for org in found.orgs[:ORG_MENTIONS]:  # a message never rings more than a few organisations
        members = [u for u in members_of(session, [org.id]) if u not in found.people
                   and _sees_event(session, u, room, full)]
        notify(session, _note(room, full, "mention_org", f"{who} mentioned {org.name} in {room.title}",
                              body=body, dedupe=f"mention:{message}"), members, actor=actor)


def _action(session: Session, room: Room, full: dict[str, Any], actor: User | None) -> None:
    changes = full.get("changes") or {}
    created = full.get("op") == "create"
    title = full.get("title") or "An action"
    due = f" (due {full['due_at'][:16].replace('T', ' ')} UTC)" if full.get("due_at") else ""
    if full.get("assignee_user_id") and (created or "assignee_user_id" in changes):
        user = session.get(User, full["assignee_user_id"])
        if user is not None and _sees_event(session, user, room, full):
            notify(session, _note(room, full, "action_assigned", f"Action assigned to you: {title}{due}",
                                  body=f"In {room.title}"), [user], actor=actor)
    if full.get("assignee_org_id") and (created or "assignee_org_id" in changes):
        people = [u for u in members_of(session, [full["assignee_org_id"]])
                  if u.id != full.get("assignee_user_id") and _sees_event(session, u, room, full)]
        org = full.get("assignee_org") or "your organisation"
        notify(session, _note(room, full, "action_assigned", f"Action assigned to {org}: {title}{due}",
                              body=f"In {room.title}"), people, actor=actor)


def _opened(session: Session, room: Room, full: dict[str, Any], actor: User | None, people: list[User], *,
            opened: bool, named: bool = False) -> None:
    if named:
        title = f"You were named in {room.title}"
    else:
        title = f"{'Room opened' if opened else 'Room shared'} with your organisation: {room.title}"
    critical = room.severity == "critical" and not room.is_exercise
    note = _note(room, full, "room_opened", f"[{room.severity.upper()}] {title}", body=plain(room.summary_html),
                 urgent=critical, dedupe=f"room_opened:{room.id}", subject=f"room:{room.id}")
    notify(session, note, people, actor=actor)


def _position_wanted(session: Session, room: Room, full: dict[str, Any], actor: User | None) -> None:
    decision = full.get("decision") or {}
    orgs = [o["id"] for o in decision.get("eligible_orgs", [])]
    people = [u for u in members_of(session, orgs) if _sees_event(session, u, room, full)]
    deadline = decision.get("deadline")
    due = f" (by {deadline[:16].replace('T', ' ')} UTC)" if deadline else ""
    notify(session, _note(room, full, "position_requested", f"Your organisation's position is asked: "
                          f"{decision.get('title', 'a decision')}{due}", body=f"In {room.title}",
                          dedupe=f"position:{full.get('decision_id')}",
                          subject=f"decision:{full.get('decision_id')}"), people, actor=actor)


def positions_owed(session: Session, now: datetime | None = None) -> int:
    """Two hours before a decision's deadline, tell the members of each eligible
    organisation that has not taken a position yet (once per decision and organisation)."""
    from council.decisions.models import Decision
    from council.decisions.services import current_positions

    now = now or utcnow()
    written = 0
    soon = session.scalars(select(Decision).where(Decision.status == "open", Decision.deadline.is_not(None),
                                                  Decision.deadline > now,
                                                  Decision.deadline <= now + timedelta(hours=2)))
    for decision in soon:
        room = session.get(Room, decision.room_id)
        if room is None:
            continue
        taken = {p.org_id for p in current_positions(decision)}
        for org_id in sorted(set(room.org_ids) - taken):
            people = [u for u in members_of(session, [org_id]) if _sees_decision(session, u, room, decision)]
            note = Note(kind="position_requested", title=f"Deadline near, no position yet: {decision.title}",
                        url=f"/rooms/{room.id}", subject=f"decision:{decision.id}", ref=room_ref(room),
                        tlp=decision.tlp, exercise=room.is_exercise,
                        body=f"Closes {decision.deadline:%Y-%m-%d %H:%M} UTC, in {room.title}.",
                        dedupe_key=f"position_near:{decision.id}:{org_id}")
            written += len(notify(session, note, people, now=now))
    return written


def _sees_decision(session: Session, user: User, room: Room, decision: Any) -> bool:
    from council.decisions.services import decision_visible

    return sees_room(session, user, room.id) and decision_visible(session, user, decision, room)


def sitreps_owed(session: Session, now: datetime | None = None) -> int:
    """Tell each participating organisation whose sitrep is due or overdue in an
    open room (once per cycle and state). Returns notifications written."""
    from council.rooms.services import cycle_bounds

    now = now or utcnow()
    written = 0
    rooms = session.scalars(select(Room).where(Room.status != "closed", Room.sitrep_cadence_min.is_not(None),
                                               Room.sitrep_anchor.is_not(None)))
    for room in rooms:
        cadence = timedelta(minutes=room.sitrep_cadence_min or 0)
        index, _start, end = cycle_bounds(room.sitrep_anchor, cadence, now)
        for state in _sitrep_states(session, room, now):
            if state.state not in ("due", "overdue") or (state.state == "due" and end - now > cadence / 4):
                continue
            note = Note(kind="sitrep_due", title=(f"Sitrep {'overdue' if state.state == 'overdue' else 'due'}"
                                                  f" from {state.org}: {room.title}"),
                        url=f"/rooms/{room.id}", subject=f"room:{room.id}", ref=room_ref(room), tlp=room.tlp,
                        exercise=room.is_exercise, body=f"The next situation report is due by "
                        f"{end:%Y-%m-%d %H:%M} UTC.", dedupe_key=f"sitrep:{room.id}:{state.org_id}:{index}:"
                        f"{state.state}")
            written += len(notify(session, note, members_of(session, [state.org_id]), now=now))
    return written


def _sitrep_states(session: Session, room: Room, now: datetime) -> list[Any]:
    from council.rooms.services import sitrep_status

    lead = next((m.user_id for m in room.members if m.role == "lead"), None)
    user = session.get(User, lead) if lead else None
    if user is None:
        return []
    try:
        return sitrep_status(session, actor=user, room_id=room.id, now=now)
    except NotFound:
        return []
