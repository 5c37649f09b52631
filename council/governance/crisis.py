"""The national cyber-crisis level (and each exercise's own level).

The level changes only by an adopted council decision of type ``crisis-level``
(decisions call :func:`follow_decision` when one closes), or provisionally by
the chair in an emergency (:func:`set_provisional`). A provisional change must
be ratified by such a decision before ``ratify_by``; the sweep flags it overdue
to the chair and secretary once (a claimed UPDATE, as for every clock here).

Reaching a level mobilises what the level asks for: the national coordination
room (opened, or the open one linked) with the seats' representatives, its
sitrep cadence, and a notification to every seat. An exercise's level lives in
its own rows (``exercise_room_id``), is announced in the exercise room only,
marked EXERCISE, and never touches the national one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.decisions.models import Decision
from council.errors import Forbidden, Invalid, NotFound
from council.governance.models import CrisisChange, CrisisLevel
from council.governance.offices import current_seats, holds_office, office_holders
from council.notifications.services import Note, notify
from council.rooms.models import Room
from council.rooms.stream import Draft, append, iso

# (level, name, description, national room, sitrep cadence in minutes)
DEFAULT_LEVELS: tuple[tuple[int, str, str, bool, int | None], ...] = (
    (0, "Normal", "No national cyber crisis: routine operations.", False, None),
    (1, "Elevated", "A heightened threat or an incident of national interest: watch and share.", False, None),
    (2, "High", "A significant incident affecting several sectors: national coordination.", True, 720),
    (3, "Severe", "A major incident disrupting essential services: the council coordinates.", True, 240),
    (4, "Critical", "A national cyber crisis: all hands, continuous coordination.", True, 120),
)
REASON_MAX = 2000
# Who controls an exercise's own level besides its room's leads: the exercises module
# registers its controllers here (council never imports exercises).
EXERCISE_CONTROLLERS: list[Callable[[Session, Room, User], bool]] = []


def levels(session: Session) -> list[CrisisLevel]:
    """The configured scale; the default one until any is configured."""
    rows = list(session.scalars(select(CrisisLevel).order_by(CrisisLevel.level)))
    if rows:
        return rows
    return [CrisisLevel(level=n, name=name, description=text, requires_room=room, sitrep_cadence_min=cadence,
                        notify_seats=True) for n, name, text, room, cadence in DEFAULT_LEVELS]


def level_def(session: Session, level: int) -> CrisisLevel:
    for row in levels(session):
        if row.level == level:
            return row
    known = ", ".join(str(r.level) for r in levels(session))
    raise Invalid(_("The crisis level was not changed."),
                  {"level": _("Use one of the configured levels: %(levels)s.", levels=known)})


def latest(session: Session, exercise_room_id: int | None = None) -> CrisisChange | None:
    scope = (CrisisChange.exercise_room_id.is_(None) if exercise_room_id is None
             else CrisisChange.exercise_room_id == exercise_room_id)
    return session.scalars(select(CrisisChange).where(scope)
                           .order_by(CrisisChange.set_at.desc(), CrisisChange.id.desc()).limit(1)).first()


@dataclass(frozen=True)
class Current:
    level: int
    name: str
    description: str
    since: datetime | None
    decision_id: int | None
    provisional: bool
    ratify_by: datetime | None
    overdue: bool
    coordination_room_id: int | None
    exercise: bool

    def as_dict(self) -> dict[str, Any]:
        return {"level": self.level, "name": self.name, "description": self.description,
                "since": iso(self.since), "decision_id": self.decision_id, "provisional": self.provisional,
                "ratify_by": iso(self.ratify_by), "overdue": self.overdue,
                "coordination_room_id": self.coordination_room_id, "exercise": self.exercise}


def current(session: Session, exercise_room_id: int | None = None, now: datetime | None = None) -> Current:
    """The level now: 0 (the scale's lowest) until anything was ever set."""
    row = latest(session, exercise_room_id)
    now = now or utcnow()
    scale = {r.level: r for r in levels(session)}
    if row is None:
        base = scale[min(scale)]
        return Current(base.level, base.name, base.description, None, None, False, None, False, None,
                       exercise_room_id is not None)
    spec = scale.get(row.level)
    pending = row.provisional and row.ratified_at is None
    return Current(row.level, spec.name if spec else f"Level {row.level}", spec.description if spec else "",
                   row.set_at, row.decision_id or row.ratified_by_decision_id, pending,
                   row.ratify_by if pending else None, bool(pending and row.ratify_by and row.ratify_by <= now),
                   row.coordination_room_id, exercise_room_id is not None)


def history(session: Session, exercise_room_id: int | None = None, limit: int = 50) -> list[CrisisChange]:
    scope = (CrisisChange.exercise_room_id.is_(None) if exercise_room_id is None
             else CrisisChange.exercise_room_id == exercise_room_id)
    return list(session.scalars(select(CrisisChange).where(scope)
                                .order_by(CrisisChange.set_at.desc(), CrisisChange.id.desc()).limit(limit)))


def change_json(session: Session, row: CrisisChange) -> dict[str, Any]:
    names = {r.level: r.name for r in levels(session)}
    return {"id": row.id, "level": row.level, "name": names.get(row.level, f"Level {row.level}"),
            "previous_level": row.previous_level, "reason": row.reason, "provisional": row.provisional,
            "decision_id": row.decision_id, "set_by": row.set_by.name if row.set_by else None,
            "set_at": iso(row.set_at), "ratify_by": iso(row.ratify_by), "ratified_at": iso(row.ratified_at),
            "ratified_by_decision_id": row.ratified_by_decision_id, "overdue_flagged_at": iso(row.overdue_flagged_at),
            "coordination_room_id": row.coordination_room_id, "exercise_room_id": row.exercise_room_id}


# --- changing it -------------------------------------------------------------------

def may_control_exercise(session: Session, room: Room, user: User, role: str | None) -> bool:
    return room.is_exercise and (role == "lead" or any(fn(session, room, user) for fn in EXERCISE_CONTROLLERS))


def _exercise_room(session: Session, actor: User, room_id: int) -> Room:
    from council.rooms.visibility import load_visible

    room, role = load_visible(session, actor, room_id)
    if not room.is_exercise:
        raise Invalid(_("The crisis level was not changed."),
                      {"exercise_room_id": _("Not an exercise room: the national level is the council's.")})
    if not may_control_exercise(session, room, actor, role):
        raise Forbidden(_("Only the exercise's director and controllers set its level."))
    return room


def set_provisional(session: Session, *, actor: User, level: int, reason: str, ratify_hours: int,
                    exercise_room_id: int | None = None, now: datetime | None = None) -> CrisisChange:
    """The chair's emergency change, to be ratified by a council decision in time."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("The crisis level was not changed."), {"reason": _("Say why: the council will ratify it.")})
    if len(reason) > REASON_MAX:
        raise Invalid(_("The crisis level was not changed."),
                      {"reason": _("At most %(num)s characters.", num=REASON_MAX)})
    room = None
    if exercise_room_id is not None:
        room = _exercise_room(session, actor, exercise_room_id)
    elif not holds_office(session, actor, ("chair",)):
        raise Forbidden(_("Only the chair changes the national crisis level provisionally; "
                        "otherwise it changes by a council decision."))
    level_def(session, level)
    return _apply(session, level=level, reason=reason, actor=actor, provisional=True, decision=None,
                  room=room, now=now, ratify_by=now + timedelta(hours=ratify_hours))


def follow_decision(session: Session, decision: Decision, room: Room, actor: User | None, now: datetime) -> None:
    """A crisis-level decision closed: when adopted, the level it names becomes the level
    (national from a council meeting, the exercise's own from an exercise room)."""
    if decision.type != "crisis-level" or decision.outcome != "adopted" or decision.level is None:
        return
    scale = {r.level for r in levels(session)}
    if decision.level not in scale:
        return  # the scale changed since it was proposed; the record shows the decision, nothing moves
    # The level is read by everyone; the decision may be marked for fewer: its title is the
    # reason only when it is as open as the level itself.
    reason = decision.title if decision.tlp in ("CLEAR", "GREEN") else f"By council decision #{decision.id}."
    _apply(session, level=decision.level, reason=reason, actor=actor or decision.proposed_by,
           provisional=False, decision=decision, room=room if room.is_exercise else None, now=now, ratify_by=None)


def _apply(session: Session, *, level: int, reason: str, actor: User, provisional: bool,
           decision: Decision | None, room: Room | None, now: datetime, ratify_by: datetime | None) -> CrisisChange:
    scope_id = room.id if room is not None else None
    before = latest(session, scope_id)
    previous = before.level if before else min(r.level for r in levels(session))
    if before is not None and before.provisional and before.ratified_at is None and decision is not None:
        # Any adopted crisis-level decision settles a pending provisional change.
        before.ratified_at, before.ratified_by_decision_id = now, decision.id
    row = CrisisChange(exercise_room_id=scope_id, level=level, previous_level=previous, reason=reason,
                       provisional=provisional, decision_id=decision.id if decision else None, set_by_id=actor.id,
                       set_at=now, ratify_by=ratify_by)
    row.set_by = actor
    session.add(row)
    session.flush()
    spec = level_def(session, level)
    if room is not None:
        _announce(session, room, row, spec, actor)
    else:
        _mobilise(session, row, spec, before, actor)
    record(session, action="council.crisis_level", actor=actor, target_type="crisis_level", target_id=row.id,
           room_id=scope_id, details={"level": level, "previous": previous, "provisional": provisional,
                                      "decision_id": row.decision_id, "exercise": room is not None,
                                      "ratify_by": iso(ratify_by)})
    return row


def _announce(session: Session, room: Room, row: CrisisChange, spec: CrisisLevel, actor: User | None) -> None:
    append(session, room=room, kind="crisis", actor=actor, draft=Draft(
        data={"op": "level", "level": row.level, "name": spec.name, "previous_level": row.previous_level,
              "provisional": row.provisional, "decision_id": row.decision_id, "reason": row.reason,
              "exercise": room.is_exercise, "ratify_by": iso(row.ratify_by)},
        audit={"op": "level", "level": row.level}))


def _mobilise(session: Session, row: CrisisChange, spec: CrisisLevel, before: CrisisChange | None,
              actor: User) -> None:
    seats = current_seats(session)
    if spec.requires_room:
        room = None
        if before is not None and before.coordination_room_id:
            room = session.get(Room, before.coordination_room_id)
            if room is not None and room.status == "closed":
                room = None
        if room is None:
            room = _open_coordination_room(session, row, spec, seats, actor)
        elif spec.sitrep_cadence_min and room.sitrep_cadence_min != spec.sitrep_cadence_min:
            room.sitrep_cadence_min, room.sitrep_anchor = spec.sitrep_cadence_min, row.set_at
        row.coordination_room_id = room.id
        _announce(session, room, row, spec, actor)
    # Stepping down below a room level leaves the room as it is (its lead closes it), unlinked.
    if spec.notify_seats:
        people = {r.user_id: r.user for s in seats for r in s.representatives}
        marker = " (provisional, to be ratified)" if row.provisional else ""
        notify(session, Note(
            kind="crisis_level", title=f"National cyber-crisis level {row.level} · {spec.name}{marker}",
            url="/council", subject="", urgent=True, body=row.reason[:500],
            dedupe_key=f"crisis:{row.id}"), people.values(), actor=actor, now=row.set_at)


def _open_coordination_room(session: Session, row: CrisisChange, spec: CrisisLevel, seats: list[Any],
                            actor: User) -> Room:
    from council.rooms.services import create_room, name_members

    org_ids = sorted({s.org_id for s in seats})
    room = create_room(session, actor=actor, title=f"National coordination — level {row.level} {spec.name}",
                       severity="critical" if row.level >= 4 else "high", tlp="AMBER", org_ids=org_ids,
                       summary=f"Opened when the national cyber-crisis level became {row.level} ({spec.name}).\n\n"
                               f"{row.reason}")
    leads = {u.id for u in office_holders(session, ("chair", "secretary"))}
    people = [(r.user, "lead" if r.user_id in leads else "member") for s in seats for r in s.representatives
              if r.user.active]
    name_members(session, room=room, actor=actor, members=people)
    for member in room.members:
        if member.user_id in leads and member.role != "lead":
            member.role = "lead"
    if spec.sitrep_cadence_min:
        room.sitrep_cadence_min, room.sitrep_anchor = spec.sitrep_cadence_min, row.set_at
    session.flush()
    return room


# --- the ratification clock ------------------------------------------------------------

def sweep(session: Session, now: datetime | None = None) -> list[int]:
    """Flag provisional changes past their ratification time, once, to the chair and secretary."""
    now = now or utcnow()
    flagged = []
    due = session.scalars(select(CrisisChange).where(
        CrisisChange.provisional.is_(True), CrisisChange.ratified_at.is_(None),
        CrisisChange.overdue_flagged_at.is_(None), CrisisChange.ratify_by <= now).order_by(CrisisChange.id)
        .limit(50)).all()
    for row in due:
        claimed = session.execute(update(CrisisChange).where(
            CrisisChange.id == row.id, CrisisChange.overdue_flagged_at.is_(None),
            CrisisChange.ratified_at.is_(None)).values(overdue_flagged_at=now))
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        newest = latest(session, row.exercise_room_id)
        if newest is None or newest.id != row.id:
            continue  # superseded since by another change: nothing left to ratify
        spec = level_def(session, row.level)
        if row.exercise_room_id is not None:
            room = session.get(Room, row.exercise_room_id)
            if room is not None:
                append(session, room=room, kind="crisis", actor=None, draft=Draft(
                    data={"op": "ratification_overdue", "level": row.level, "name": spec.name,
                          "exercise": True, "ratify_by": iso(row.ratify_by)},
                    audit={"op": "ratification_overdue", "change_id": row.id}))
        else:
            notify(session, Note(
                kind="ratification_due", urgent=True, url="/council",
                title=f"Ratification overdue: crisis level {row.level} · {spec.name} set provisionally",
                body="The council has not ratified the chair's provisional change in time: convene and decide.",
                dedupe_key=f"ratify:{row.id}"), office_holders(session, ("chair", "secretary")), now=now)
        record(session, action="council.crisis_level.overdue", target_type="crisis_level", target_id=row.id,
               room_id=row.exercise_room_id, details={"level": row.level, "ratify_by": iso(row.ratify_by)}, at=now)
        flagged.append(row.id)
    return flagged


def require_visible_change(session: Session, change_id: int) -> CrisisChange:
    row = session.get(CrisisChange, change_id)
    if row is None or row.exercise_room_id is not None:
        raise NotFound(_("No such change."))
    return row
