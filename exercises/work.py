""""My work" of the exercise slice: sign-offs waiting for me, injects waiting for my
team's response, and my organisation's corrective actions that are due or overdue."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.work import WorkItem
from exercises.models import Exercise, ExerciseInject, Participant, TeamResponse
from exercises.reports import actions as ca_register
from exercises.reports.models import Report, ReportReviewer

DUE_SOON = timedelta(days=14)


def reviews_waiting(session: Session, user: User) -> list[WorkItem]:
    rows = session.execute(select(Report).join(ReportReviewer, ReportReviewer.report_id == Report.id)
                           .where(ReportReviewer.user_id == user.id, ReportReviewer.state == "pending",
                                  Report.status == "review").order_by(Report.submitted_at))
    return [WorkItem("Sign-off", r.title, f"/reports/{r.id}", "After-action report", None, False,
                     r.kind == "exercise") for (r,) in rows.all()]


def injects_waiting(session: Session, user: User) -> list[WorkItem]:
    """Injects released to the player's team in a running exercise, not answered yet."""
    out = []
    parts = session.execute(select(Participant, Exercise).join(Exercise, Exercise.id == Participant.exercise_id)
                            .where(Participant.user_id == user.id, Participant.role == "player",
                                   Exercise.state.in_(("running", "paused"))))
    for part, ex in parts.all():
        answered = {r.inject_id for r in session.scalars(select(TeamResponse).where(
            TeamResponse.team_id == part.team_id, TeamResponse.responded_at.is_not(None)))}
        for inject in session.scalars(select(ExerciseInject).where(
                ExerciseInject.exercise_id == ex.id, ExerciseInject.status == "released")
                .order_by(ExerciseInject.released_seq)):
            if part.team_id in json.loads(inject.team_ids) and inject.id not in answered:
                out.append(WorkItem("Inject", inject.title, f"/rooms/{ex.room_id}#seq-{inject.released_seq}",
                                    ex.title, inject.released_at, False, True))
    return out


def corrective_actions_due(session: Session, user: User) -> list[WorkItem]:
    today = date.today()
    out = []
    for ca, _report in ca_register.register(session, actor=user, org_id=user.org_id):
        if ca.status not in ("open", "in_progress") or ca.due_date is None or ca.due_date > today + DUE_SOON:
            continue
        due = datetime.combine(ca.due_date, time(23, 59), tzinfo=UTC)
        out.append(WorkItem("Corrective action", f"{ca.code} {ca.action or ca.area}", f"/actions/{ca.id}",
                            "Improvement plan", due, ca_register.is_overdue(ca, today)))
    return out
