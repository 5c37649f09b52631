"""JSON shapes of incidents as a viewer may see them (REST, pages and the room share them).

The national CERT sees the content of a stage only once the reviewer accepted it
(forwarding is of accepted submissions), and a stub viewer sees no content at all.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from council.reporting import clocks
from council.reporting.models import Incident, IncidentStage
from council.reporting.taxonomy import class_titles, type_title
from council.reporting.visibility import Sight
from council.rooms.stream import iso


def classification(incident: Incident) -> dict[str, str]:
    return {"class": incident.class_key, "type": incident.type_key,
            "class_title": class_titles().get(incident.class_key, incident.class_key),
            "type_title": type_title(incident.class_key, incident.type_key)}


def stage_json(stage: IncidentStage, sight: Sight, now: datetime, clock: clocks.DrillClock | None,
               summary: bool = False) -> dict[str, Any]:
    shown = clocks.stage_clock(stage, now, clock)
    out: dict[str, Any] = {
        "regime": stage.regime.key, "regime_version": stage.regime.version, "key": stage.key,
        "title": stage.title, "hours": stage.hours, "clock": stage.clock, "due_at": iso(shown.due_at),
        "due_t": stage.due_t, "status": stage.status, "late": stage.late, "overdue": shown.overdue,
        "colour": shown.colour, "remaining_s": shown.remaining_s, "submitted_at": iso(stage.submitted_at),
        "reviewed_at": iso(stage.reviewed_at), "asks": _asks(stage),
    }
    content = not summary and sight.full and (sight.relation != "national" or stage.status == "accepted")
    if content:
        out.update({"body": stage.body, "body_html": stage.body_html, "fields": json.loads(stage.fields or "{}"),
                    "review_comment": stage.review_comment})
    return out


def _asks(stage: IncidentStage) -> list[str]:
    """The fields the stage's regime asks for (its version's definition)."""
    for definition in json.loads(stage.regime.stages):
        if definition["key"] == stage.key:
            return list(definition.get("fields") or [])
    return []


def visible_stages(incident: Incident, sight: Sight) -> list[IncidentStage]:
    return [s for s in incident.stages if not sight.chain_only or s.regime.audience == "chain"]


def status_of(stages: list[IncidentStage]) -> str:
    """open while any stage (of those the viewer sees) is not accepted; complete once every one is."""
    return "complete" if stages and all(s.status == "accepted" for s in stages) else "open"


def incident_json(session: Session, incident: Incident, sight: Sight, now: datetime,
                  summary: bool = False) -> dict[str, Any]:
    """The incident as ``sight`` allows; ``summary`` (lists, rooms) without the report's
    content, so that every read of content is an opening of the incident, logged."""
    clock = clocks.drill_clock(session, incident.clock_room_id)
    seen = visible_stages(incident, sight)
    stages = [stage_json(s, sight, now, clock, summary) for s in seen]
    common: dict[str, Any] = {
        "id": incident.id, "ref": incident.ref, "stub": sight.stub, "type": incident.type, "tlp": incident.tlp,
        "sector": incident.sector, "classification": classification(incident), "exercise": incident.is_test,
        "detected_at": iso(incident.detected_at), "created_at": iso(incident.created_at),
        "status": status_of(seen), "overdue": any(s["overdue"] for s in stages), "relation": sight.relation,
        "stages": stages,
    }
    if sight.stub:
        return common
    out = {**common, "title": incident.title, "aware_at": iso(incident.aware_at),
            "cross_sector": incident.cross_sector, "cross_border": incident.cross_border,
            "reporter_org_id": incident.reporter_org_id, "reporter_org": incident.reporter_org.name,
            "reviewer_org_id": incident.reviewer_org_id, "reviewer_org": incident.reviewer_org.name,
            "national_org_id": incident.national_org_id, "consent_full": incident.consent_full,
            "forwarded_at": iso(incident.forwarded_at), "room_id": incident.room_id,
            "regimes": [{"key": r.key, "version": r.version, "title": r.title} for r in incident.regimes]}
    if not summary:
        out.update({"description": incident.description, "description_html": incident.description_html,
                    "impact": json.loads(incident.impact or "{}")})
    return out
