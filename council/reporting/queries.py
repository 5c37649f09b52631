"""Lists of incidents as a person may see them, and the statistics export."""

from __future__ import annotations

from typing import Any

from flask import Response
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from council import csvfile
from council.auth.models import User
from council.db import utcnow
from council.reporting.models import Incident, IncidentStage, Regime
from council.reporting.serialize import incident_json
from council.reporting.visibility import sight_of, visible_filter

LIST_MAX = 500


def listed(session: Session, user: User, *, status: str | None = None, sector: str | None = None,
           overdue: bool = False, exercise: bool | None = None, relation: str | None = None) -> list[dict[str, Any]]:
    """The incidents ``user`` may see, newest first, as each may be seen (full or stub)."""
    stmt = select(Incident).where(visible_filter(user))
    if sector is not None:
        stmt = stmt.where(Incident.sector == sector)
    if exercise is not None:
        stmt = stmt.where((Incident.type == "test") if exercise else (Incident.type != "test"))
    if relation == "reporter":
        stmt = stmt.where(Incident.reporter_org_id == user.org_id)
    elif relation == "reviewer":
        stmt = stmt.where(Incident.reviewer_org_id == user.org_id)
    elif relation == "national":
        stmt = stmt.where(Incident.national_org_id == user.org_id, Incident.reporter_org_id != user.org_id,
                          Incident.reviewer_org_id != user.org_id)
    now = utcnow()
    # The filters in SQL first (a superset: drill clocks and hidden stages are judged below),
    # so that LIST_MAX cuts the filtered list, not the whole one.
    stage = select(IncidentStage.id).where(IncidentStage.incident_id == Incident.id)
    if overdue:
        stmt = stmt.where(stage.where(IncidentStage.status == "pending", or_(
            IncidentStage.due_at < now, IncidentStage.due_t.is_not(None))).exists())
    if status == "open":
        stmt = stmt.where(stage.where(IncidentStage.status != "accepted").exists())
    elif status == "complete":
        stmt = stmt.where(~stage.join(Regime, Regime.id == IncidentStage.regime_id).where(
            IncidentStage.status != "accepted", Regime.audience == "chain").exists())
    out = []
    for incident in session.scalars(stmt.order_by(Incident.created_at.desc(), Incident.id.desc()).limit(LIST_MAX)):
        sight = sight_of(user, incident)
        if sight is None:
            continue
        shown = incident_json(session, incident, sight, now, summary=True)
        if (status and shown["status"] != status) or (overdue and not shown["overdue"]):
            continue
        out.append(shown)
    return out


def stats_csv(rows: list[dict[str, Any]], stages: list[str], _zone: str) -> Response:
    columns = ["month", "sector", "class", "count", "late_share", *[f"median_hours_{s}" for s in stages]]
    flat = [{"month": r["month"], "sector": r["sector"] or "", "class": r["class"], "count": r["count"],
             "late_share": "" if r["late_share"] is None else r["late_share"],
             **{f"median_hours_{s}": "" if r["median_hours"][s] is None else r["median_hours"][s] for s in stages}}
            for r in rows]
    return csvfile.download(csvfile.write(columns, flat), "incident-statistics.csv")


def drill_incidents(session: Session, room_id: int) -> list[Incident]:
    """The test incidents a drill's injects started, counting in that room's exercise clock,
    for its after-action report (read by the report's authors, not per viewer)."""
    return list(session.scalars(select(Incident).where(Incident.clock_room_id == room_id)
                                .order_by(Incident.reporter_org_id, Incident.id)))
