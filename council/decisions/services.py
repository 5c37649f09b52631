"""Decisions: propose, take positions, close, supersede, and the register.

Every step is a ``decision`` room event (the kind registered below), so it is
on the room's stream, audited with it, and live for everyone in the room who
may see the decision's TLP marking. REST and socket posts both land in
:func:`prepare_decision`; the deadline job closes overdue decisions through
:func:`close_due` with the same closing code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, object_session

from council.access import can_see, is_lead, not_looser
from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.decisions.models import DEFAULT_OPTIONS, RULES, TYPES, Decision, DecisionPosition
from council.decisions.rules import Tally, count, positions_for
from council.decisions.shapes import DecisionPost
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.rooms.audience import register_restriction
from council.rooms.kinds import ACTION_SOURCES, parse_time
from council.rooms.models import TLPS, ActionItem, Room
from council.rooms.stream import Draft, KindSpec, PostContext, append, iso, register_kind
from council.rooms.visibility import facts_of, load_visible, viewer_of, visible_filter
from council.text import render_markdown

OPTION_MAX, OPTIONS_MAX = 120, 8


# --- what other slices plug in (the council's governance) ------------------------------

@dataclass(frozen=True)
class Electorate:
    """Who takes positions in rooms of one kind, when it is not "every participating
    organisation": in a council meeting, the organisations holding a current seat."""

    orgs: Callable[[Session, Room], set[int]]
    # An error text when this person may not cast their organisation's position, else None.
    may_cast: Callable[[Session, Room, User], str | None]


ELECTORATES: dict[str, Electorate] = {}
# Per decision type other than operational: checks and completes a proposal's fields
# (addressee, level…); raises Invalid/Forbidden; returns the columns to set.
TYPE_RULES: dict[str, Callable[[PostContext, dict[str, Any]], dict[str, Any]]] = {}
# Told of every decision closed (adopted or not), in its transaction: the crisis level
# follows an adopted crisis-level decision, minutes follow the decision adopting them.
ON_CLOSE: list[Callable[[Session, Decision, Room, User | None, datetime], None]] = []
# Extra fields of a decision's JSON (a recommendation's follow-up).
JSON_EXTRAS: list[Callable[[Session, Decision], dict[str, Any]]] = []


def electorate(session: Session, room: Room) -> set[int]:
    """The organisations whose positions count in ``room``."""
    rule = ELECTORATES.get(room.kind)
    return rule.orgs(session, room) if rule else set(room.org_ids)


def decision_visible(session: Session, user: User, decision: Decision, room: Room) -> bool:
    return can_see(viewer_of(session, user), replace(facts_of(room), tlp=decision.tlp))


def load_decision(session: Session, actor: User, room_id: int, decision_id: int) -> tuple[Room, str, Decision]:
    """Room, role and decision; NotFound unless the decision is in that room *and* visible."""
    room, role = load_visible(session, actor, room_id)
    decision = session.get(Decision, decision_id)
    if decision is None or decision.room_id != room.id or not decision_visible(session, actor, decision, room):
        raise NotFound(_("No such decision."))
    return room, role, decision


def options_of(decision: Decision) -> list[str]:
    return list(json.loads(decision.options))


def current_positions(decision: Decision) -> list[DecisionPosition]:
    return [p for p in decision.positions if p.current]


def live_tally(decision: Decision, room: Room, chair_choice: str | None = None) -> Tally:
    """Positions of the electorate only: a seat whose term ended no longer counts."""
    session = object_session(room)
    voters = electorate(session, room) if session is not None else set(room.org_ids)
    return count({p.org_id: p.position for p in current_positions(decision) if p.org_id in voters},
                 options=options_of(decision), rule=decision.rule, eligible=len(voters),
                 quorum_pct=room.decision_quorum_pct, chair_choice=chair_choice)


def dissent(decision: Decision, chosen: str | None) -> list[dict[str, Any]]:
    """Objecting organisations (and, when an option was adopted, those that chose another)."""
    out = []
    for p in current_positions(decision):
        if p.position == "object" or (chosen and p.position not in (chosen, "abstain", "support")):
            out.append({"org_id": p.org_id, "org": p.org.name, "position": p.position,
                        "comment": p.comment, "comment_html": p.comment_html})
    return out


def linked_actions(session: Session, decision: Decision) -> list[ActionItem]:
    return list(session.scalars(select(ActionItem).where(ActionItem.source == f"decision:{decision.id}")
                                .order_by(ActionItem.id)))


def superseded_by(session: Session, decision: Decision) -> int | None:
    return session.scalar(select(Decision.id).where(Decision.supersedes_id == decision.id))


def _position_json(p: DecisionPosition) -> dict[str, Any]:
    return {"id": p.id, "org_id": p.org_id, "org": p.org.name, "position": p.position, "comment": p.comment,
            "comment_html": p.comment_html, "user": {"id": p.user_id, "name": p.user.name},
            "at": iso(p.created_at), "seq": p.seq, "current": p.current, "replaces": p.replaces_id}


def decision_json(session: Session, decision: Decision, room: Room, *, history: bool = False) -> dict[str, Any]:
    closed = decision.status == "closed"
    tally = json.loads(decision.tally) if closed else live_tally(decision, room).as_dict()
    out: dict[str, Any] = {
        "id": decision.id, "room": room.id, "room_title": room.title, "exercise": room.is_exercise,
        "title": decision.title, "background": decision.background, "background_html": decision.background_html,
        "options": options_of(decision), "positions_allowed": list(positions_for(options_of(decision))),
        "rule": decision.rule, "tlp": decision.tlp, "deadline": iso(decision.deadline), "status": decision.status,
        "proposed_by": {"id": decision.proposed_by_id, "name": decision.proposed_by.name,
                        "org": decision.proposed_by.org.name},
        "proposed_at": iso(decision.proposed_at), "proposed_seq": decision.proposed_seq,
        "supersedes": decision.supersedes_id, "superseded_by": superseded_by(session, decision),
        "quorum_pct": room.decision_quorum_pct, "eligible_orgs": _eligible(session, room),
        "type": decision.type, "addressee": decision.addressee, "addressee_org_id": decision.addressee_org_id,
        "level": decision.level, "subject": decision.subject, "counted_per": "seat" if room.kind in ELECTORATES
        else "organisation",
        "tally": tally, "outcome": decision.outcome, "chosen_option": decision.chosen_option,
        "rationale": decision.rationale, "rationale_html": decision.rationale_html,
        "closed_at": iso(decision.closed_at), "closed_seq": decision.closed_seq,
        "positions": [_position_json(p) for p in current_positions(decision)],
        "dissent": dissent(decision, decision.chosen_option) if closed else [],
        "actions": [{"id": a.id, "title": a.title, "status": a.status} for a in linked_actions(session, decision)],
    }
    for extra in JSON_EXTRAS:
        out.update(extra(session, decision))
    if history:
        out["history"] = [_position_json(p) for p in decision.positions]
    return out


def _eligible(session: Session, room: Room) -> list[dict[str, Any]]:
    from council.orgs.models import Organization

    ids = electorate(session, room)
    if ids == room.org_ids:
        return [{"id": o.org_id, "name": o.org.name} for o in room.orgs]
    names = dict(session.execute(select(Organization.id, Organization.name).where(Organization.id.in_(ids))).all())
    return [{"id": i, "name": names[i]} for i in sorted(ids, key=lambda i: names.get(i, ""))]


# --- the "decision" event kind ------------------------------------------------

def _text(payload: dict[str, Any], name: str, max_len: int, *, required: bool = False) -> str:
    value = payload.get(name) or ""
    if not isinstance(value, str):
        raise Invalid(_("The decision was not accepted."), {name: _("Must be text.")})
    value = value.strip()
    if required and not value:
        raise Invalid(_("The decision was not accepted."), {name: _("Required.")})
    if len(value) > max_len:
        raise Invalid(_("The decision was not accepted."), {name: _("At most %(num)s characters.", num=max_len)})
    return value


def _event(session: Session, decision: Decision, room: Room, op: str, **extra: Any) -> dict[str, Any]:
    return {"op": op, "decision_id": decision.id, "tlp": decision.tlp,
            "decision": decision_json(session, decision, room), **extra}


def _propose(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    session, room = ctx.session, ctx.room
    title = _text(payload, "title", 300, required=True)
    background = _text(payload, "background", 20_000)
    rule = payload.get("rule", "majority")
    if rule not in RULES:
        raise Invalid(_("The decision was not accepted."),
                      {"rule": _("Use one of: %(choices)s.", choices=", ".join(RULES))})
    tlp = payload.get("tlp") or room.tlp
    if tlp not in TLPS or not not_looser(tlp, room.tlp):
        raise Invalid(_("The decision was not accepted."),
                      {"tlp": _("A marking at least as strict as the room's TLP:%(tlp)s.", tlp=room.tlp)})
    options = payload.get("options") or list(DEFAULT_OPTIONS)
    if (not isinstance(options, list) or not 2 <= len(options) <= OPTIONS_MAX
            or not all(isinstance(o, str) and o.strip() and len(o) <= OPTION_MAX for o in options)):
        raise Invalid(_("The decision was not accepted."),
                      {"options": _("Between 2 and %(most)s options of at most %(num)s characters.",
                                    most=OPTIONS_MAX, num=OPTION_MAX)})
    options = [o.strip() for o in options]
    reserved = {"object", "abstain", "support"} & set(options)
    if len(set(options)) != len(options) or (reserved and options != list(DEFAULT_OPTIONS)):
        raise Invalid(_("The decision was not accepted."),
                      {"options": _("Options must differ and not be named support, object or abstain.")})
    deadline = parse_time(payload.get("deadline"), "deadline", payload.get("tz"))
    if deadline is not None and deadline <= ctx.now:
        raise Invalid(_("The decision was not accepted."), {"deadline": _("The deadline must be in the future.")})
    old: Decision | None = None
    if payload.get("supersedes") is not None:
        old_id = payload.get("supersedes")
        old = session.get(Decision, old_id) if isinstance(old_id, int) else None
        if old is None or old.room_id != room.id or not decision_visible(session, ctx.actor, old, room):
            raise Invalid(_("The decision was not accepted."), {"supersedes": _("No such decision in this room.")})
        if old.status != "closed":
            raise Conflict(_("Only a closed decision can be superseded; close it first."))
        if superseded_by(session, old) is not None:
            raise Conflict(_("That decision has already been superseded."))
    kind = payload.get("type") or (old.type if old else "operational")
    if old is not None:
        if kind != old.type:
            raise Invalid(_("The decision was not accepted."),
                          {"type": _("A decision superseding #%(id)s keeps its type (%(type)s).",
                                     id=old.id, type=old.type)})
        # What it is about carries over unless said again.
        payload = {"addressee": old.addressee, "addressee_org_id": old.addressee_org_id, "level": old.level,
                   **{k: v for k, v in payload.items() if v is not None}}
    if kind not in TYPES:
        raise Invalid(_("The decision was not accepted."),
                      {"type": _("Use one of: %(choices)s.", choices=", ".join(TYPES))})
    for name in ("addressee", "addressee_org_id", "level"):
        if payload.get(name) is not None and kind == "operational":
            raise Invalid(_("The decision was not accepted."), {name: _("Only a council decision takes this field.")})
    extra: dict[str, Any] = {}
    if kind != "operational":
        rules = TYPE_RULES.get(kind)
        if rules is None:
            raise Invalid(_("The decision was not accepted."), {"type": _("Council decisions are not enabled here.")})
        extra = rules(ctx, payload)
    decision = Decision(room_id=room.id, title=title, background=background,
                        background_html=render_markdown(background), options=json.dumps(options), rule=rule,
                        tlp=tlp, deadline=deadline, proposed_by_id=ctx.actor.id, proposed_at=ctx.now,
                        supersedes_id=old.id if old else None, type=kind, **extra)
    decision.proposed_by = ctx.actor
    session.add(decision)
    session.flush()

    def _stamp(event: Any) -> None:
        decision.proposed_seq = event.seq

    op = "superseded" if old else "proposed"
    data = _event(session, decision, room, op, **({"supersedes": old.id} if old else {}))
    # No title in the audit row: it carries the decision's marking, and the audit page shows a
    # row's details to every admin who can see the room (the record keeps the id).
    return Draft(data=data, after=_stamp, audit={"op": op, "decision_id": decision.id, "type": kind,
                                                 "rule": rule, "tlp": tlp, "supersedes": old.id if old else None})


def _open_decision(ctx: PostContext, payload: dict[str, Any]) -> Decision:
    decision_id = payload.get("decision_id")
    decision = ctx.session.get(Decision, decision_id) if isinstance(decision_id, int) else None
    if decision is None or decision.room_id != ctx.room.id or not decision_visible(
            ctx.session, ctx.actor, decision, ctx.room):
        raise NotFound(_("No such decision."))
    if decision.status == "closed":
        raise Conflict(_("The decision is closed; its record can no longer change."))
    if decision.deadline is not None and decision.deadline <= ctx.now:
        raise Conflict(_("The deadline has passed; the decision is being closed."))
    return decision


def _position(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    session, room, actor = ctx.session, ctx.room, ctx.actor
    decision = _open_decision(ctx, payload)
    rule = ELECTORATES.get(room.kind)
    if rule is not None:
        refusal = rule.may_cast(session, room, actor)
        if refusal:
            raise Forbidden(refusal)
    elif actor.org_id not in room.org_ids:
        raise Forbidden(_("Positions are cast per participating organisation; yours does not participate."))
    position = payload.get("position")
    allowed = positions_for(options_of(decision))
    if position not in allowed:
        raise Invalid(_("The position was not accepted."),
                      {"position": _("Use one of: %(choices)s.", choices=", ".join(allowed))})
    comment = _text(payload, "comment", 5000)
    current = next((p for p in current_positions(decision) if p.org_id == actor.org_id), None)
    replaces = payload.get("replaces")
    if current is not None and replaces != current.id:
        raise Conflict(_("%(org)s already has a position (%(position)s, by %(name)s). "
                         "To change it, send replaces=%(id)s.", org=actor.org.name, position=current.position,
                         name=current.user.name, id=current.id))
    if current is None and replaces is not None:
        raise Conflict(_("Your organisation has no position to replace."))
    if current is not None:
        # Clear the flag in the database before inserting, so the partial
        # unique index sees one current row at every moment.
        session.execute(update(DecisionPosition).where(DecisionPosition.id == current.id).values(current=False))
        current.current = False
    row = DecisionPosition(decision_id=decision.id, org_id=actor.org_id, user_id=actor.id, position=position,
                           comment=comment, comment_html=render_markdown(comment),
                           replaces_id=current.id if current else None, created_at=ctx.now)
    row.org, row.user = actor.org, actor
    decision.positions.append(row)
    session.flush()

    def _stamp(event: Any) -> None:
        row.seq = event.seq

    data = _event(session, decision, room, "position", org_id=actor.org_id, org=actor.org.name,
                  position=position, changed=current is not None)
    return Draft(data=data, after=_stamp, audit={"op": "position", "decision_id": decision.id,
                                                 "org_id": actor.org_id, "position": position,
                                                 "changed": current is not None})


def finish(session: Session, decision: Decision, room: Room, *, actor: User | None, rationale: str,
           chair_choice: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """Freeze the tally and outcome (the decision is immutable from here)."""
    tally = live_tally(decision, room, chair_choice)
    decision.status, decision.outcome, decision.chosen_option = "closed", tally.outcome, tally.chosen
    decision.tally = json.dumps(tally.as_dict(), separators=(",", ":"))
    decision.rationale, decision.rationale_html = rationale, render_markdown(rationale)
    decision.closed_at, decision.closed_by_id = now or utcnow(), actor.id if actor else None
    session.flush()
    for listener in ON_CLOSE:
        listener(session, decision, room, actor, decision.closed_at)
    return _event(session, decision, room, "closed", outcome=tally.outcome, chosen_option=tally.chosen)


def _close(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    if not is_lead(ctx.role):
        raise Forbidden(_("Only the room's lead closes a decision."))
    decision = _open_decision(ctx, payload) if payload.get("decision_id") is not None else None
    if decision is None:
        raise NotFound(_("No such decision."))
    rationale = _text(payload, "rationale", 20_000, required=True)
    choice = payload.get("choice")
    if decision.rule == "chair":
        allowed = ["adopted", "rejected"] if options_of(decision) == list(DEFAULT_OPTIONS) else [
            *options_of(decision), "rejected"]
        if choice not in allowed:
            raise Invalid(_("The decision was not closed."),
                          {"choice": _("Under the chair rule the lead decides: one of %(choices)s.",
                                       choices=", ".join(allowed))})
    elif choice is not None:
        raise Invalid(_("The decision was not closed."), {"choice": _("Only the chair rule takes a choice at close.")})
    data = finish(ctx.session, decision, ctx.room, actor=ctx.actor, rationale=rationale, chair_choice=choice,
                  now=ctx.now)

    def _stamp(event: Any) -> None:
        decision.closed_seq = event.seq

    return Draft(data=data, after=_stamp, audit={"op": "closed", "decision_id": decision.id,
                                                 "outcome": decision.outcome, "chosen": decision.chosen_option})


OPS = {"propose": _propose, "position": _position, "close": _close}


def prepare_decision(ctx: PostContext, payload: dict[str, Any]) -> Draft:
    op = payload.get("op")
    if op not in OPS:
        raise Invalid(_("The decision step was not accepted."), {"op": _("Use one of: propose, position, close.")})
    return OPS[op](ctx, payload)


def restriction(full: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]] | None:
    """Decision events carry the decision's marking: they reach only those who clear it."""
    tlp = full.get("tlp")
    return None if tlp in (None, "CLEAR", "GREEN") else [(f"tlp:{tlp}", full)]


def action_source(ctx: PostContext, value: Any) -> str:
    """An action item spawned from a decision of this room (linked both ways)."""
    decision = ctx.session.get(Decision, value) if isinstance(value, int) else None
    if decision is None or decision.room_id != ctx.room.id or not decision_visible(
            ctx.session, ctx.actor, decision, ctx.room):
        raise Invalid(_("The action was not accepted."), {"decision_id": _("No such decision in this room.")})
    return f"decision:{decision.id}"


register_kind(KindSpec("decision", prepare_decision, DecisionPost))
register_restriction("decision", restriction)
ACTION_SOURCES["decision_id"] = action_source


# --- reading ----------------------------------------------------------------------

def list_for_room(session: Session, *, actor: User, room_id: int) -> tuple[Room, list[Decision]]:
    room, _role = load_visible(session, actor, room_id)
    decisions = session.scalars(select(Decision).where(Decision.room_id == room.id).order_by(Decision.id.desc()))
    return room, [d for d in decisions if decision_visible(session, actor, d, room)]


def register(
    session: Session, *, actor: User, status: str | None = None, outcome: str | None = None,
    org_id: int | None = None, date_from: datetime | None = None, date_to: datetime | None = None,
    include_exercises: bool = False, type_: str | None = None, public: bool = False,
) -> list[tuple[Decision, Room]]:
    """Every decision the actor may see across rooms (incident and council meeting rooms;
    exercises only when asked). ``public``: the council's public record — adopted
    decisions marked TLP:CLEAR only."""
    from council.rooms.models import RoomOrg

    stmt = (select(Decision, Room).join(Room, Room.id == Decision.room_id)
            .where(visible_filter(viewer_of(session, actor))))
    if not include_exercises:
        stmt = stmt.where(Room.kind.in_(("incident", "meeting")))
    if type_ in TYPES:
        stmt = stmt.where(Decision.type == type_)
    if public:
        stmt = stmt.where(Decision.tlp == "CLEAR", Decision.outcome == "adopted")
    if status in ("open", "closed"):
        stmt = stmt.where(Decision.status == status)
    if outcome in ("adopted", "rejected", "no_quorum"):
        stmt = stmt.where(Decision.outcome == outcome)
    if org_id is not None:
        stmt = stmt.where(Room.orgs.any(and_(RoomOrg.org_id == org_id)))
    if date_from is not None:
        stmt = stmt.where(Decision.proposed_at >= date_from)
    if date_to is not None:
        stmt = stmt.where(Decision.proposed_at < date_to)
    rows = session.execute(stmt.order_by(Decision.proposed_at.desc(), Decision.id.desc())).all()
    return [(d, r) for d, r in rows if decision_visible(session, actor, d, r)]


def record_export(session: Session, *, actor: User, fmt: str, count_: int, filters: dict[str, Any]) -> None:
    record(session, action="decision.export", actor=actor, target_type="register",
           details={"format": fmt, "rows": count_, "filters": filters})


# --- the deadline ---------------------------------------------------------------------

def close_due(session: Session, now: datetime | None = None) -> list[int]:
    """Close every open decision whose deadline has passed, once, whatever the
    number of processes running this job: rows are claimed under a lock
    (FOR UPDATE SKIP LOCKED on PostgreSQL; the single write lock on SQLite)
    and re-checked before closing."""
    now = now or utcnow()
    stmt = select(Decision).where(Decision.status == "open", Decision.deadline.is_not(None),
                                  Decision.deadline <= now).order_by(Decision.id).limit(50)
    if session.get_bind().dialect.name != "sqlite":
        # OF decisions: the eager joins (proposer, their org) are outer joins, which
        # PostgreSQL refuses to lock ("nullable side of an outer join").
        stmt = stmt.with_for_update(skip_locked=True, of=Decision)
    closed = []
    for decision in session.scalars(stmt).all():
        if decision.status != "open":
            continue
        room = session.get(Room, decision.room_id)
        assert room is not None
        why = ("The chair did not decide before the deadline." if decision.rule == "chair"
               else f"Closed automatically at the deadline under the {decision.rule} rule.")
        data = finish(session, decision, room, actor=None, rationale=why,
                      chair_choice="rejected" if decision.rule == "chair" else None)
        event = append(session, room=room, kind="decision", actor=None, draft=Draft(
            data=data, audit={"op": "closed", "decision_id": decision.id, "outcome": decision.outcome,
                              "automatic": True}))
        decision.closed_seq = event.seq
        closed.append(decision.id)
    return closed
