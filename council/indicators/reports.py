"""An incident report's own indicators: what the reporter found before any room exists,
and what its reviewer adds. Seen under the report's rule (council/indicators/visibility.py);
added by anyone who reads the report in full; carried into the report's room, when it
is escalated, by one explicit act (:func:`share_to_room`) — the room is often wider than
the report's chain, so nothing crosses on its own."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.indicators.models import Indicator, marking
from council.indicators.queries import also_in
from council.indicators.services import check_fields, check_many, insert_many, report_sees, writable_room
from council.reporting.models import Incident
from council.reporting.visibility import FULL_FORWARD, Sight, load_incident
from council.rooms.models import Room


def readable_report(session: Session, actor: User, incident_id: int) -> tuple[Incident, Sight]:
    """The report, when the actor reads it in full (a stub reader sees no indicators: 404)."""
    incident, sight = load_incident(session, actor, incident_id)
    if not sight.full:
        raise NotFound(_("No such incident."))
    return incident, sight


def list_for_report(session: Session, *, actor: User, incident_id: int,
                    include_retired: bool = True) -> tuple[Incident, list[Indicator]]:
    incident, sight = readable_report(session, actor, incident_id)
    stmt = select(Indicator).where(Indicator.incident_id == incident.id).order_by(Indicator.id.desc())
    if not include_retired:
        stmt = stmt.where(Indicator.status == "active")
    return incident, [i for i in session.scalars(stmt) if report_sees(sight, incident, i.tlp)]


def add_to_report(session: Session, *, actor: User, incident_id: int, given: dict[str, Any]) -> Indicator:
    incident, _sight = readable_report(session, actor, incident_id)
    added, _skipped = insert_many(session, incident, actor, [check_fields(incident, given, session, actor)])
    if not added:
        raise Conflict(_("This report already holds that indicator."))
    return added[0]


def add_many_to_report(session: Session, *, actor: User, incident_id: int, items: list[dict[str, Any]],
                       tlp: str | None = None) -> tuple[list[Indicator], int]:
    """The reviewed results of a paste, all valid or none written."""
    incident, _sight = readable_report(session, actor, incident_id)
    return insert_many(session, incident, actor, check_many(session, actor, incident, items, tlp))


def extract_for_report(session: Session, *, actor: User, incident_id: int, text: str) -> list[dict[str, Any]]:
    """Indicators found in a pasted text, with whether the report already holds each."""
    from council.indicators.extract import extract
    from council.indicators.values import defang

    incident, held = list_for_report(session, actor=actor, incident_id=incident_id)
    known = {(i.type, i.value) for i in held}
    found = extract(text)
    probes = [Indicator(id=-n - 1, incident_id=incident.id, type=t, value=v) for n, (t, v) in enumerate(found)]
    for probe in probes:
        probe.incident = incident
    hints = also_in(session, actor, probes)
    return [{"type": t, "value": v, "defanged": defang(t, v), "known": (t, v) in known,
             "also_in": len(hints.get(p.id, []))} for (t, v), p in zip(found, probes, strict=True)]


def share_to_room(session: Session, *, actor: User, incident_id: int) -> tuple[Room, list[Indicator], int]:
    """Copy the report's active indicators into the room it was escalated to (a writer of
    that room who reads the report in full does it). Each keeps its marking, made no
    looser than the room's; one the actor could not see in the room stays behind
    (counted as skipped), as do those the room holds already and those the reporter's
    marking keeps from the reviewer's hand (:func:`_may_carry`)."""
    incident, _sight = readable_report(session, actor, incident_id)
    if incident.room_id is None:
        raise Conflict(_("%(ref)s is not linked to a room yet: escalate it first.", ref=incident.ref))
    try:
        room = writable_room(session, actor, incident.room_id)
    except NotFound:
        raise Forbidden(_("Share into a room you take part in.")) from None
    _incident, held = list_for_report(session, actor=actor, incident_id=incident.id, include_retired=False)
    fields, refused = [], 0
    for ind in held:
        if not _may_carry(actor, incident, ind):
            refused += 1
            continue
        given = {"type": ind.type, "value": ind.value, "tlp": marking(ind.tlp, room.tlp),
                 "confidence": ind.confidence, "description": ind.description,
                 "tags": [*_tags(ind), incident.ref.lower()],
                 "first_seen": ind.first_seen.isoformat() if ind.first_seen else None,
                 "last_seen": ind.last_seen.isoformat() if ind.last_seen else None,
                 "origin": f"incident:{incident.ref}"}
        try:
            fields.append(replace(check_fields(room, given, session, actor), source_org_id=ind.source_org_id))
        except Invalid:
            refused += 1
    added, duplicates = insert_many(session, room, actor, fields, op="shared")
    return room, added, duplicates + refused


def _may_carry(actor: User, incident: Incident, indicator: Indicator) -> bool:
    """The reporter's instruction holds in the room too: an indicator marked beyond what the
    report forwards in full (AMBER+STRICT, RED) goes into a room by the hand of the reporter
    or of the organisation that added it, or with the reporter's consent to forward in full —
    never by the reviewer alone with what the reporter found."""
    return (actor.org_id in (incident.reporter_org_id, indicator.source_org_id) or incident.consent_full
            or marking(indicator.tlp, incident.tlp) in FULL_FORWARD)


def _tags(indicator: Indicator) -> list[str]:
    import json

    return list(json.loads(indicator.tags))[:19]
