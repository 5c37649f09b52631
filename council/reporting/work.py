""""My work" of incident reporting: stages my organisation owes, submissions it must review."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.db import utcnow
from council.reporting import clocks
from council.reporting.models import Incident, IncidentStage
from council.work import WorkItem


def stages_owed(session: Session, user: User) -> list[WorkItem]:
    now = utcnow()
    rows = session.execute(select(Incident, IncidentStage).join(IncidentStage, IncidentStage.incident_id == Incident.id)
                           .where(Incident.reporter_org_id == user.org_id,
                                  IncidentStage.status.in_(("pending", "revision")),
                                  or_(IncidentStage.due_at.is_not(None), IncidentStage.due_t.is_not(None),
                                      IncidentStage.status == "revision"))
                           .order_by(IncidentStage.due_at.asc().nulls_last(), IncidentStage.id).limit(50)).all()
    out = []
    for incident, stage in rows:
        shown = clocks.stage_clock(stage, now, clocks.drill_clock(session, incident.clock_room_id))
        if shown.colour == "waiting":
            continue
        what = "Stage report" + (" (revision)" if stage.status == "revision" else "")
        out.append(WorkItem(what, f"{incident.ref} {stage.title}", f"/incidents/{incident.id}#stage-{stage.id}",
                            incident.title, shown.due_at, shown.overdue, incident.is_test))
    return out


def reviews_owed(session: Session, user: User) -> list[WorkItem]:
    rows = session.execute(select(Incident, IncidentStage).join(IncidentStage, IncidentStage.incident_id == Incident.id)
                           .where(Incident.reviewer_org_id == user.org_id, IncidentStage.status == "submitted")
                           .order_by(IncidentStage.submitted_at).limit(50)).all()
    return [WorkItem("Review", f"{i.ref} {s.title}", f"/incidents/{i.id}#stage-{s.id}", i.title, None, False,
                     i.is_test) for i, s in rows]
