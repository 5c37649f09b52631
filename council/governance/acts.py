"""The council's own decisions: recommendations, advice and crisis-level decisions.

Only the council acts as the council: these types are decided in a council
meeting's room — counted per seat, proposed by a representative of a seat,
while the meeting is open — or rehearsed in an exercise room by the exercise's
own people, whose acts never leave it. The seats decide: the chair rule (the
lead decides alone) is not for the council's acts. An adopted recommendation is tracked to its outcome
(pending → accepted / rejected, by whom, when).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.decisions.models import Decision
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.governance.crisis import level_def
from council.governance.models import RecommendationOutcome
from council.governance.offices import holds_office, seat_of
from council.notifications.mentions import members_of
from council.notifications.services import Note, notify
from council.orgs.models import Organization
from council.rooms.models import Room
from council.rooms.stream import PostContext, iso

FOLLOW_UP = ("pending", "accepted", "rejected")


def _refuse(field: str, text: str) -> Invalid:
    return Invalid(_("The decision was not accepted."), {field: text})


def _council_only(ctx: PostContext, payload: dict[str, Any]) -> None:
    from council.governance.meetings import meeting_closed

    if ctx.room.kind not in ("meeting", "exercise"):
        raise _refuse("type", _("The council's acts are decided in a council meeting, counted per seat "
                              "(an exercise rehearses them in its own room)."))
    if payload.get("rule") == "chair":
        raise _refuse("rule", _("The seats decide the council's acts: majority, two-thirds or consensus."))
    if ctx.room.is_exercise:
        return
    seat = seat_of(ctx.session, ctx.actor)
    if seat is None or seat.org_id not in ctx.room.org_ids:
        raise Forbidden(_("Only the council acts as the council: you represent no seat at this meeting."))
    if meeting_closed(ctx.session, ctx.room):
        raise Conflict(_("The meeting is closed: its decisions are part of the record."))


def recommendation(ctx: PostContext, payload: dict[str, Any]) -> dict[str, Any]:
    _council_only(ctx, payload)
    addressee = (payload.get("addressee") or "").strip()
    org_id = payload.get("addressee_org_id")
    org = ctx.session.get(Organization, org_id) if isinstance(org_id, int) else None
    if org_id is not None and org is None:
        raise _refuse("addressee_org_id", _("No such organisation."))
    if payload.get("level") is not None:
        raise _refuse("level", _("Only a crisis-level decision takes a level."))
    if not addressee and org is None:
        raise _refuse("addressee", _("A recommendation names its addressee, e.g. Federal Government."))
    return {"addressee": addressee or (org.name if org else None), "addressee_org_id": org.id if org else None}


def advice(ctx: PostContext, payload: dict[str, Any]) -> dict[str, Any]:
    _council_only(ctx, payload)
    if payload.get("level") is not None:
        raise _refuse("level", _("Only a crisis-level decision takes a level."))
    if payload.get("addressee_org_id") is not None:
        raise _refuse("addressee_org_id", _("Advice goes to the CERTs; name them in the addressee text if need be."))
    return {"addressee": (payload.get("addressee") or "").strip() or "CERTs"}


def crisis_level(ctx: PostContext, payload: dict[str, Any]) -> dict[str, Any]:
    _council_only(ctx, payload)
    level = payload.get("level")
    if not isinstance(level, int) or isinstance(level, bool):
        raise _refuse("level", _("A crisis-level decision names the level it sets."))
    for name in ("addressee", "addressee_org_id"):
        if payload.get(name) is not None:
            raise _refuse(name, _("A crisis-level decision has no addressee."))
    try:
        level_def(ctx.session, level)
    except Invalid as err:
        raise _refuse("level", err.fields.get("level", _("Unknown level."))) from None
    return {"level": level}


def on_close(session: Session, decision: Decision, room: Room, actor: User | None, now: datetime) -> None:
    """An adopted recommendation starts pending, and its addressee organisation is told."""
    if decision.type != "recommendation" or decision.outcome != "adopted" or room.is_exercise:
        return
    by = actor or decision.proposed_by
    session.add(RecommendationOutcome(decision_id=decision.id, status="pending", recorded_by_id=by.id,
                                      recorded_at=now))
    if decision.addressee_org_id:
        notify(session, Note(kind="recommendation", title=f"Council recommendation: {decision.title}"[:300],
                             url=f"/rooms/{room.id}#decision-{decision.id}", subject=f"decision:{decision.id}",
                             tlp=decision.tlp, dedupe_key=f"recommendation:{decision.id}"),
               members_of(session, [decision.addressee_org_id]), actor=actor, now=now)


def outcome_of(session: Session, decision_id: int) -> RecommendationOutcome | None:
    return session.scalars(select(RecommendationOutcome).where(RecommendationOutcome.decision_id == decision_id)
                           .order_by(RecommendationOutcome.id.desc()).limit(1)).first()


def follow_up_json(session: Session, decision: Decision) -> dict[str, Any]:
    if decision.type != "recommendation":
        return {}
    row = outcome_of(session, decision.id)
    if row is None:
        return {"follow_up": None}
    return {"follow_up": {"status": row.status, "decided_by": row.decided_by,
                          "decided_on": row.decided_on.isoformat() if row.decided_on else None, "note": row.note,
                          "recorded_by": row.recorded_by.name, "recorded_at": iso(row.recorded_at)}}


def record_outcome(session: Session, *, actor: User, decision_id: int, status: str, decided_by: str = "",
                   decided_on: date | None = None, note: str = "",
                   now: datetime | None = None) -> RecommendationOutcome:
    """The secretary (or chair) records what became of an adopted recommendation."""
    from council.decisions.services import decision_visible

    decision = session.get(Decision, decision_id)
    room = session.get(Room, decision.room_id) if decision is not None else None
    if decision is None or room is None or not decision_visible(session, actor, decision, room):
        raise NotFound(_("No such decision."))
    if decision.type != "recommendation" or decision.outcome != "adopted":
        raise Conflict(_("Only an adopted recommendation is followed up."))
    if not holds_office(session, actor, ("secretary", "chair")):
        raise Forbidden(_("The secretary records what became of the council's recommendations."))
    if status not in FOLLOW_UP:
        raise Invalid(_("The follow-up was not recorded."),
                      {"status": _("Use one of: %(choices)s.", choices=", ".join(FOLLOW_UP))})
    if status != "pending" and not decided_by.strip():
        raise Invalid(_("The follow-up was not recorded."), {"decided_by": _("Say who accepted or rejected it.")})
    if len(decided_by.strip()) > 200 or len(note.strip()) > 2000:
        raise Invalid(_("The follow-up was not recorded."), {"decided_by" if len(decided_by.strip()) > 200 else "note":
                                                          _("Too long (200 characters for who, 2,000 for the note).")})
    row = RecommendationOutcome(decision_id=decision.id, status=status, decided_by=decided_by.strip(),
                                decided_on=decided_on, note=note.strip(), recorded_by_id=actor.id,
                                recorded_at=now or utcnow())
    row.recorded_by = actor
    session.add(row)
    session.flush()
    record(session, action="council.recommendation.follow_up", actor=actor, target_type="decision",
           target_id=decision.id, room_id=room.id,
           details={"status": status, "decided_on": decided_on.isoformat() if decided_on else None})
    return row
