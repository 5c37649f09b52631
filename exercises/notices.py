"""What the exercise slice tells people, through council's notification service:
an inject awaiting my team's response, a sign-off asked of me, and (a daily
sweep) my organisation's overdue corrective actions. All of it is EXERCISE
marked when it comes from a drill."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.db import utcnow
from council.errors import NotFound
from council.notifications.mentions import members_of
from council.notifications.services import Note, notify
from exercises.models import Exercise, ExerciseInject, Participant
from exercises.reports.models import CorrectiveAction, Report


def sees_report(session: Session, user: User, report_id: int) -> str | None:
    """The report's marking now, or None when the person may not read it."""
    from exercises.reports.services import get_report

    try:
        report = get_report(session, user, report_id)
    except NotFound:
        return None
    return report.tlp


def sees_corrective(session: Session, user: User, action_id: int) -> str | None:
    """A corrective action is seen by those who may read its report (the council links them in agendas)."""
    from exercises.reports.models import CorrectiveAction

    action = session.get(CorrectiveAction, action_id)
    return None if action is None else sees_report(session, user, action.report_id)


def inject_released(session: Session, ex: Exercise, inject: ExerciseInject, room_tlp: str, seq: int,
                    event_id: int) -> None:
    teams = set(json.loads(inject.team_ids or "[]"))
    players = [p.user for p in session.scalars(select(Participant).where(
        Participant.exercise_id == ex.id, Participant.role == "player")) if p.team_id in teams]
    notify(session, Note(kind="inject_awaiting", title=f"Inject {inject.msel_id} awaits your team: {inject.title}",
                         url=f"/rooms/{ex.room_id}#seq-{seq}", subject=f"event:{event_id}",
                         ref=f"exercise room R-{ex.room_id}", tlp=inject.tlp or room_tlp, exercise=True,
                         dedupe_key=f"inject:{inject.id}"), players)


def signoff_requested(session: Session, report: Report, actor: User, reviewers: list[User]) -> None:
    notify(session, Note(kind="review_requested", title=f"Sign-off asked of you: {report.title}",
                         url=f"/reports/{report.id}", subject=f"report:{report.id}", ref=f"report {report.id}",
                         tlp=report.tlp, exercise=report.kind == "exercise"), reviewers, actor=actor)


def corrective_overdue(session: Session, now: datetime | None = None) -> int:
    """Once per action and due date: the responsible organisation hears it is overdue."""
    today = (now or utcnow()).date()
    written = 0
    rows = session.execute(select(CorrectiveAction, Report).join(Report, Report.id == CorrectiveAction.report_id)
                           .where(CorrectiveAction.number.is_not(None), CorrectiveAction.due_date < today,
                                  CorrectiveAction.status.in_(("open", "in_progress")),
                                  CorrectiveAction.responsible_org_id.is_not(None)).limit(500)).all()
    for ca, report in rows:
        due: date = ca.due_date  # type: ignore[assignment]
        note = Note(kind="corrective_overdue", title=f"Corrective action {ca.code} overdue since {due}",
                    url=f"/actions/{ca.id}", subject=f"report:{report.id}", ref=f"report {report.id}",
                    tlp=report.tlp, exercise=report.kind == "exercise", body=(ca.action or ca.area)[:400],
                    dedupe_key=f"ca_overdue:{ca.id}:{due}")
        written += len(notify(session, note, members_of(session, [ca.responsible_org_id or 0]), now=now))
    return written
