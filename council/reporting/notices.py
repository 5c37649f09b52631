"""Who the reporting chain tells: the reviewer of a submission, the reporter of a
revision request, an overdue stage or a deadline drawing near (through the
notification service, which asks access again before any mail goes out)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.db import utcnow
from council.errors import NotFound
from council.notifications.mentions import members_of
from council.notifications.services import Note, notify
from council.reporting.models import Incident, IncidentStage
from council.reporting.visibility import load_incident


def sees_incident(session: Session, user: User, incident_id: int) -> str | None:
    """The incident's marking now, or None when the person may not see it."""
    try:
        incident, _sight = load_incident(session, user, incident_id)
    except NotFound:
        return None
    return incident.tlp


def _note(incident: Incident, kind: str, title: str, *, urgent: bool = False, dedupe: str | None = None,
          body: str = "") -> Note:
    return Note(kind=kind, title=title, url=f"/incidents/{incident.id}", subject=f"incident:{incident.id}",
                ref=f"incident {incident.ref}", tlp=incident.tlp, exercise=incident.is_test,
                urgent=urgent and not incident.is_test, body=body, dedupe_key=dedupe)


def tell(session: Session, incident: Incident, actor: User | None, op: str, stage: IncidentStage | None,
         decision: str | None = None) -> None:
    """Called by services.announce for every change of an incident."""
    if stage is None:
        return
    where = f"{incident.ref} — {stage.title} ({stage.regime.title})"
    if op == "stage_submitted":
        notify(session, _note(incident, "review_requested", f"Review waits: {where}",
                              body=f"{incident.title}{' (late)' if stage.late else ''}"),
               members_of(session, [incident.reviewer_org_id]), actor=actor)
    elif op == "stage_reviewed" and decision == "revision":
        notify(session, _note(incident, "stage_due", f"Returned for revision: {where}",
                              body=stage.review_comment[:400]),
               members_of(session, [incident.reporter_org_id]), actor=actor)
    elif op == "stage_overdue":
        notify(session, _note(incident, "stage_overdue", f"Overdue: {where}", urgent=True,
                              dedupe=f"stage_overdue:{stage.id}", body=incident.title),
               members_of(session, [incident.reporter_org_id]), actor=actor)


def stages_due_soon(session: Session, now: datetime | None = None) -> int:
    """Remind the reporter once when a wall-clock stage has a quarter of its time (at
    most two hours) left. Drill stages run on the exercise clock and are left to it."""
    now = now or utcnow()
    written = 0
    rows = session.execute(select(IncidentStage, Incident).join(Incident, Incident.id == IncidentStage.incident_id)
                           .where(and_(IncidentStage.status == "pending", IncidentStage.due_at.is_not(None),
                                       IncidentStage.due_at > now, IncidentStage.overdue_at.is_(None)))
                           .order_by(IncidentStage.due_at).limit(500)).all()
    for stage, incident in rows:
        left = stage.due_at - now  # type: ignore[operator]
        window = min(stage.hours * 3600 / 4, 7200)
        if left.total_seconds() > window:
            continue
        hours = max(1, round(left.total_seconds() / 3600))
        written += len(notify(session, _note(
            incident, "stage_due", f"Due within {hours} h: {incident.ref} — {stage.title} ({stage.regime.title})",
            dedupe=f"stage_due:{stage.id}", body=incident.title), members_of(session, [incident.reporter_org_id]),
            now=now))
    return written
