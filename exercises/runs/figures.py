"""Figures of a run: acknowledgement and response times per team and inject.

Times are wall-clock seconds from an inject's release to a team's first
acknowledgement and first response: what people did, whatever the speed.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.decisions.models import Decision
from exercises.models import Exercise, ExerciseInject, Team, TeamResponse


@dataclass(frozen=True)
class TeamFigures:
    team_id: int
    team: str
    addressed: int
    acked: int
    responded: int
    missed: int  # addressed, released, and never acknowledged nor answered
    ack_median_s: float | None
    ack_max_s: float | None
    response_median_s: float | None
    response_max_s: float | None
    per_inject: list[dict[str, Any]]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def team_figures(session: Session, ex: Exercise) -> list[TeamFigures]:
    injects = list(session.scalars(select(ExerciseInject).where(
        ExerciseInject.exercise_id == ex.id, ExerciseInject.status == "released").order_by(ExerciseInject.released_at)))
    rows = {(r.inject_id, r.team_id): r for r in session.scalars(
        select(TeamResponse).where(TeamResponse.inject_id.in_([i.id for i in injects])))}
    out = []
    for team in session.scalars(select(Team).where(Team.exercise_id == ex.id).order_by(Team.id)):
        acks: list[float] = []
        answers: list[float] = []
        per: list[dict[str, Any]] = []
        addressed = missed = 0
        for inject in injects:
            if team.id not in json.loads(inject.team_ids) or inject.released_at is None:
                continue
            addressed += 1
            row = rows.get((inject.id, team.id))
            ack = (row.acked_at - inject.released_at).total_seconds() if row and row.acked_at else None
            answer = (row.responded_at - inject.released_at).total_seconds() if row and row.responded_at else None
            if ack is not None:
                acks.append(ack)
            if answer is not None:
                answers.append(answer)
            if ack is None and answer is None:
                missed += 1
            per.append({"msel_id": inject.msel_id, "title": inject.title, "released_t_s": inject.released_t_s,
                        "ack_s": None if ack is None else round(ack, 1),
                        "response_s": None if answer is None else round(answer, 1)})
        out.append(TeamFigures(team.id, team.name, addressed, len(acks), len(answers), missed, _median(acks),
                               round(max(acks), 1) if acks else None, _median(answers),
                               round(max(answers), 1) if answers else None, per))
    return out


def headline(session: Session, ex: Exercise) -> dict[str, Any]:
    """The figures a scenario page shows per run, side by side."""
    teams = team_figures(session, ex)
    acks = [p["ack_s"] for t in teams for p in t.per_inject if p["ack_s"] is not None]
    answers = [p["response_s"] for t in teams for p in t.per_inject if p["response_s"] is not None]
    released = session.scalar(select(func.count()).select_from(ExerciseInject).where(
        ExerciseInject.exercise_id == ex.id, ExerciseInject.status == "released")) or 0
    total = session.scalar(select(func.count()).select_from(ExerciseInject).where(
        ExerciseInject.exercise_id == ex.id)) or 0
    decisions = session.scalar(select(func.count()).select_from(Decision).where(
        Decision.room_id == ex.room_id, Decision.status == "closed")) or 0
    return {"released": released, "total": total, "ack_median_s": _median(acks),
            "response_median_s": _median(answers), "decisions": decisions,
            "missed": sum(t.missed for t in teams), "teams": len(teams)}
