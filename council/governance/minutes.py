"""Minutes: drafted from the meeting's record, edited by the secretary, adopted by
the council at a later meeting (a decision whose subject is ``minutes:<id>``).

Adopted minutes never change again; the audit row of their adoption carries the
SHA-256 of the adopted text, so the record shows what was adopted even to
someone who later reads a copy.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.access import TLP_ORDER
from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.decisions.models import Decision
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.governance.meetings import load_meeting, quorum
from council.governance.models import MEETING_KINDS, OFFICES, Meeting, Minutes
from council.governance.offices import holds_office
from council.rooms.models import ActionItem, Room
from council.rooms.stream import iso
from council.text import render_markdown

BODY_MAX = 100_000


def _when(dt: datetime | None) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if dt else "—"


def _cell(text: Any) -> str:
    return " ".join(str(text or "").replace("|", "\\|").split())


def draft_text(session: Session, meeting: Meeting, room: Room) -> str:
    """The meeting's record as Markdown: attendance, agenda, decisions with positions, actions."""
    from council.decisions.services import current_positions

    lines = [f"# Minutes — {meeting.title}", "",
             f"{MEETING_KINDS.get(meeting.kind, meeting.kind)} meeting of the CERT Council, "
             f"{_when(meeting.starts_at)}. Convened by {meeting.convened_by.name}. Marking: TLP:{room.tlp}.", "",
             "## Attendance", "", "| Seat | Office | Present | Represented by |", "|---|---|---|---|"]
    for a in sorted(meeting.attendance, key=lambda a: a.seat.org.name):
        rep = next((r for r in a.seat.representatives if r.user_id == a.user_id), None)
        who = f"{a.user.name} ({rep.role})" if a.present and a.user and rep else "—"
        lines.append(f"| {_cell(a.seat.org.name)} | {OFFICES.get(a.seat.office, a.seat.office)} | "
                     f"{'yes' if a.present else 'no'} | {_cell(who)} |")
    q = quorum(session, meeting)
    lines += ["", f"Seats present: {q['present']} of {q['seats']} (quorum {q['needed']}: "
              f"{'met' if q['met'] else 'not met'}).", "", "## Agenda", ""]
    # Titles only: what an item links to may be seen by fewer people than the minutes are.
    lines += [f"{item.position}. {item.title}" for item in meeting.agenda]
    decisions = list(session.scalars(select(Decision).where(Decision.room_id == room.id).order_by(Decision.id)))
    # A decision marked stricter than the room is read by fewer people than the minutes:
    # they name it and its outcome only, and send the reader to the decision itself.
    withheld = {d.id for d in decisions if TLP_ORDER[d.tlp] > TLP_ORDER[room.tlp]}
    lines += ["", "## Decisions", ""]
    if not decisions:
        lines.append("No decision was taken.")
    for d in decisions:
        if d.id in withheld:
            lines += [f"### #{d.id} (marked TLP:{d.tlp})", "",
                      f"Outcome: **{d.outcome or 'open'}**. Its record is in the meeting room, for those "
                      f"cleared for TLP:{d.tlp}.", ""]
            continue
        outcome = d.outcome or "open"
        chosen = f" — {d.chosen_option}" if d.chosen_option else ""
        extra = (f", addressed to {d.addressee}" if d.addressee else "") + (
            f", level {d.level}" if d.level is not None else "")
        lines.append(f"### #{d.id} {d.title}")
        lines.append("")
        lines.append(f"Type: {d.type}{extra}. Rule: {d.rule}. Outcome: **{outcome}**{chosen}.")
        if d.tally and d.status == "closed":
            tally = json.loads(d.tally)
            lines.append(f"Positions: {tally.get('participated', 0)} of {tally.get('eligible', 0)} seats; "
                         + ", ".join(f"{k} {v}" for k, v in (tally.get("counts") or {}).items()) + ".")
        if current_positions(d):
            lines.append("")
        for p in current_positions(d):
            comment = f" — {_cell(p.comment)}" if p.comment else ""
            lines.append(f"- {p.org.name}: {p.position}{comment}")
        if d.rationale:
            lines += ["", f"Rationale: {_cell(d.rationale)}"]
        lines.append("")
    actions = list(session.scalars(select(ActionItem).where(ActionItem.room_id == room.id).order_by(ActionItem.id)))
    lines += ["## Action items", ""]
    if not actions:
        lines.append("None.")
    for a in actions:
        if a.source and a.source.startswith("decision:") and int(a.source.partition(":")[2]) in withheld:
            lines.append(f"- An action from decision #{a.source.partition(':')[2]} (marked TLP), {a.status}")
            continue
        owner = a.assignee_org.name if a.assignee_org else (a.assignee_user.name if a.assignee_user else "unassigned")
        due = f", due {_when(a.due_at)}" if a.due_at else ""
        lines.append(f"- {a.title} — {owner}{due} ({a.status})")
    return "\n".join(lines).strip() + "\n"


def _require_secretary(session: Session, actor: User) -> None:
    if not holds_office(session, actor, ("secretary", "chair")):
        raise Forbidden(_("The secretary keeps the minutes."))


def minutes_of(session: Session, meeting_id: int) -> Minutes | None:
    return session.scalars(select(Minutes).where(Minutes.meeting_id == meeting_id)).first()


def load_minutes(session: Session, actor: User, minutes_id: int) -> tuple[Minutes, Meeting, Room]:
    minutes = session.get(Minutes, minutes_id)
    if minutes is None:
        raise NotFound(_("No such minutes."))
    meeting, room, _role = load_meeting(session, actor, minutes.meeting_id)
    return minutes, meeting, room


def draft(session: Session, *, actor: User, meeting_id: int, now: datetime | None = None) -> Minutes:
    """Draft (or redraft, while still a draft) the minutes from the meeting's record."""
    meeting, room, _role = load_meeting(session, actor, meeting_id)
    _require_secretary(session, actor)
    now = now or utcnow()
    minutes = minutes_of(session, meeting.id)
    text = draft_text(session, meeting, room)
    if minutes is None:
        minutes = Minutes(meeting_id=meeting.id, body=text, body_html=render_markdown(text), updated_by_id=actor.id,
                          updated_at=now)
        session.add(minutes)
    elif minutes.status != "draft":
        raise Conflict(_("The minutes are before the council (or adopted); they are no longer redrafted."))
    else:
        minutes.body, minutes.body_html = text, render_markdown(text)
        minutes.version += 1
        minutes.updated_by_id, minutes.updated_at = actor.id, now
    session.flush()
    record(session, action="council.minutes.draft", actor=actor, target_type="minutes", target_id=minutes.id,
           room_id=room.id, details={"meeting_id": meeting.id, "version": minutes.version}, at=now)
    return minutes


def edit(session: Session, *, actor: User, minutes_id: int, body: str, version: int,
         now: datetime | None = None) -> Minutes:
    minutes, meeting, room = load_minutes(session, actor, minutes_id)
    _require_secretary(session, actor)
    if minutes.status == "adopted":
        raise Conflict(_("Adopted minutes are part of the record and never change."))
    if minutes.status == "proposed":
        raise Conflict(_("The minutes are before the council for adoption; they change only if it declines them."))
    if version != minutes.version:
        raise Conflict(_("The minutes changed since you opened them (version %(version)s); reload first.",
                         version=minutes.version))
    body = (body or "").strip()
    if not body:
        raise Invalid(_("The minutes were not saved."), {"body": _("The minutes cannot be empty.")})
    if len(body) > BODY_MAX:
        raise Invalid(_("The minutes were not saved."), {"body": _("At most %(num)s characters.",
                                                                   num=format(BODY_MAX, ","))})
    minutes.body, minutes.body_html = body + "\n", render_markdown(body)
    minutes.version += 1
    minutes.updated_by_id, minutes.updated_at = actor.id, now or utcnow()
    session.flush()
    record(session, action="council.minutes.edit", actor=actor, target_type="minutes", target_id=minutes.id,
           room_id=room.id, details={"meeting_id": meeting.id, "version": minutes.version})
    return minutes


def propose_adoption(session: Session, *, actor: User, minutes_id: int, at_meeting_id: int) -> Decision:
    """Put the minutes before a later meeting: a decision in its room, adopted by the seats."""
    from council.rooms import stream

    minutes, meeting, _room = load_minutes(session, actor, minutes_id)
    _require_secretary(session, actor)
    if minutes.status != "draft":
        raise Conflict(_("These minutes are already before the council, or adopted."))
    later, later_room, _role = load_meeting(session, actor, at_meeting_id)
    if later.id == meeting.id or later.starts_at <= meeting.starts_at:
        raise Invalid(_("The minutes were not put forward."),
                      {"meeting_id": _("The council adopts minutes at a later meeting.")})
    if later.status == "closed":
        raise Conflict(_("That meeting is closed."))
    if TLP_ORDER[later_room.tlp] < TLP_ORDER[_room.tlp]:
        # Its seats must be able to read what they adopt.
        raise Invalid(_("The minutes were not put forward."), {
            "meeting_id": _("The minutes are marked TLP:%(tlp)s; put them before a meeting marked at least "
                            "as strictly (that one is TLP:%(other)s).", tlp=_room.tlp, other=later_room.tlp)})
    digest = hashlib.sha256(minutes.body.encode()).hexdigest()
    event, _created = stream.post(session, actor=actor, room_id=later_room.id, kind="decision", payload={
        "op": "propose", "title": f"Adopt the minutes of “{meeting.title}” ({meeting.starts_at:%Y-%m-%d})"[:300],
        "background": f"Minutes version {minutes.version}, SHA-256 `{digest}`: "
                      f"[read them](/council/minutes/{minutes.id}).",
        "tlp": later_room.tlp})
    decision = session.get(Decision, json.loads(event.data)["decision_id"])
    assert decision is not None
    decision.subject = f"minutes:{minutes.id}"
    minutes.status, minutes.decision_id = "proposed", decision.id
    session.flush()
    record(session, action="council.minutes.propose", actor=actor, target_type="minutes", target_id=minutes.id,
           room_id=later_room.id, details={"decision_id": decision.id, "sha256": digest, "version": minutes.version})
    return decision


def follow_decision(session: Session, decision: Decision, room: Room, actor: User | None, now: datetime) -> None:
    """The adopting decision closed: adopted → the minutes are adopted; otherwise back to a draft."""
    if not decision.subject or not decision.subject.startswith("minutes:"):
        return
    minutes = session.get(Minutes, int(decision.subject.partition(":")[2]))
    if minutes is None or minutes.decision_id != decision.id or minutes.status != "proposed":
        return
    if decision.outcome == "adopted":
        minutes.status, minutes.adopted_at = "adopted", now
        details = {"decision_id": decision.id, "sha256": hashlib.sha256(minutes.body.encode()).hexdigest(),
                   "version": minutes.version}
        record(session, action="council.minutes.adopted", actor=actor, target_type="minutes",
               target_id=minutes.id, details=details, at=now)
    else:
        minutes.status, minutes.decision_id = "draft", None
        record(session, action="council.minutes.declined", actor=actor, target_type="minutes",
               target_id=minutes.id, details={"decision_id": decision.id, "outcome": decision.outcome}, at=now)


def minutes_json(minutes: Minutes, room: Room) -> dict[str, Any]:
    return {"id": minutes.id, "meeting_id": minutes.meeting_id, "status": minutes.status, "version": minutes.version,
            "body": minutes.body, "body_html": minutes.body_html, "tlp": room.tlp,
            "updated_at": iso(minutes.updated_at), "updated_by": minutes.updated_by.name,
            "decision_id": minutes.decision_id, "adopted_at": iso(minutes.adopted_at),
            "sha256": hashlib.sha256(minutes.body.encode()).hexdigest()}
