"""A change to an incident report's indicators: in the report's record (an audit row on
the incident) and, when the report is linked to a room, an ``incident`` event there
(council/reporting/kind.py) — the count and the change, never the values: the room is
often wider than the report's chain, and the event reaches only the organisations that
see indicators so marked (the reporter, its reviewer, the national CERT when the marking
or the reporter's consent lets it read them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.indicators.models import Indicator, marking
from council.reporting.models import Incident
from council.reporting.visibility import FULL_FORWARD
from council.rooms.models import Room
from council.rooms.stream import Draft, append


def audience(incident: Incident, tlp: str) -> list[int]:
    orgs = {incident.reporter_org_id, incident.reviewer_org_id}
    if incident.national_org_id and incident.forwarded_at is not None and (
            marking(tlp, incident.tlp) in FULL_FORWARD or incident.consent_full):
        orgs.add(incident.national_org_id)
    return sorted(orgs)


def emit(session: Session, incident: Incident, actor: User, op: str, tlp: str, indicators: list[Indicator],
         now: datetime, **extra: Any) -> None:
    ids = [i.id for i in indicators]
    details: dict[str, Any] = {"op": op, "tlp": tlp, "indicator_ids": ids[:200], "count": len(ids),
                               "ref": incident.ref}
    if "sighting" in extra:
        details["sighting_id"] = extra["sighting"]["id"]
    record(session, action=f"indicator.{op}", actor=actor, target_type="incident", target_id=incident.id,
           details=details, at=now)
    room = session.get(Room, incident.room_id) if incident.room_id is not None else None
    if room is None:
        return
    data = {"op": "indicators", "change": op, "count": len(ids), "incident_id": incident.id, "ref": incident.ref,
            "tlp": incident.tlp, "exercise": incident.is_test, "orgs": audience(incident, tlp)}
    append(session, room=room, kind="incident", actor=actor, now=now,
           draft=Draft(data=data, audit={"op": "indicators", "ref": incident.ref, "change": op}))
