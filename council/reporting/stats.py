"""Figures over the incidents a person may see: the sectoral CERT's queue, the
national board, and statistics per month × sector × class. Test incidents of
drills are never counted. Aggregates are read with one Core query each (no ORM
rows), so they stay fast over years of reports (bench/reporting_board.py)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.db import utcnow
from council.reporting.models import Incident, IncidentStage, Regime
from council.reporting.visibility import visible_filter

PENDING = ("pending", "revision")


def _real(user: User) -> Any:
    return and_(visible_filter(user), Incident.type != "test")


BOARD_DAYS = 90  # the duty desk's default window: a quarter of filings


def _stage_shown(user: User) -> Any:
    """The national CERT sees the stages of chain regimes only (unless it is the reviewer)."""
    return or_(Incident.national_org_id != user.org_id, Incident.reviewer_org_id == user.org_id,
               Regime.audience == "chain")


def board(session: Session, user: User, now: datetime | None = None,
          days: int | None = BOARD_DAYS) -> dict[str, Any]:
    """Counts by sector, class and stage state, with lateness, over the incidents the user
    sees that were filed in the last ``days`` (None: all of them). The window keeps the
    page quick over years of reports: SQLite sorts every stage row to group them."""
    now = now or utcnow()
    scope = _real(user) if days is None else and_(_real(user), Incident.created_at >= now - timedelta(days=days))
    overdue = and_(IncidentStage.status == "pending", IncidentStage.due_at.is_not(None), IncidentStage.due_at < now)
    stage_key = Regime.key + "/" + IncidentStage.key  # one regime's early warning is not another's
    base = (select(Incident.sector, Incident.class_key, stage_key,
                   func.sum(case((IncidentStage.status.in_(PENDING), 1), else_=0)),
                   func.sum(case((IncidentStage.status == "submitted", 1), else_=0)),
                   func.sum(case((IncidentStage.status == "accepted", 1), else_=0)),
                   func.sum(case((overdue, 1), else_=0)),
                   func.sum(case((IncidentStage.late.is_(True), 1), else_=0)))
            .select_from(Incident).join(IncidentStage, IncidentStage.incident_id == Incident.id)
            .join(Regime, Regime.id == IncidentStage.regime_id)
            .where(scope, _stage_shown(user))
            .group_by(Incident.sector, Incident.class_key, stage_key))
    by_sector: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_class: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_stage: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for sector, cls, stage, pending, submitted, accepted, late_open, late in session.execute(base):
        for table, key in ((by_sector, sector or "—"), (by_class, cls), (by_stage, stage)):
            row = table[key]
            row["pending"] += pending or 0
            row["submitted"] += submitted or 0
            row["accepted"] += accepted or 0
            row["overdue"] += late_open or 0
            row["late"] += late or 0
    incidents = session.scalar(select(func.count()).select_from(Incident).where(scope)) or 0
    return {"incidents": incidents, "days": days, "by_sector": _plain(by_sector), "by_class": _plain(by_class),
            "by_stage": _plain(by_stage)}


def _plain(table: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {k: dict(v) for k, v in sorted(table.items())}


def _month_and_hours(session: Session) -> tuple[Any, Any]:
    """SQL for an incident's month and the hours to a stage's first submission: computed
    by the database, so the rows are plain text and numbers (no datetime per row)."""
    if session.get_bind().dialect.name == "sqlite":
        month = func.strftime("%Y-%m", Incident.detected_at)
        hours = (func.julianday(IncidentStage.first_submitted_at) - func.julianday(Incident.detected_at)) * 24
    else:
        month = func.to_char(func.timezone("UTC", Incident.detected_at), "YYYY-MM")
        hours = func.extract("epoch", IncidentStage.first_submitted_at - Incident.detected_at) / 3600
    return month, hours


def statistics_rows(session: Session, user: User, year: int | None = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Per month × sector × class: incidents, median hours from detection to each stage's
    first submission (stages named ``regime/stage``), and the share of submissions that were late."""
    month, hours = _month_and_hours(session)
    stmt = (select(month, Incident.sector, Incident.class_key, Incident.id, Regime.key + "/" + IncidentStage.key,
                   hours, IncidentStage.late)
            .join(IncidentStage, IncidentStage.incident_id == Incident.id)
            .join(Regime, Regime.id == IncidentStage.regime_id).where(_real(user), _stage_shown(user)))
    if year is not None:
        stmt = stmt.where(Incident.detected_at >= datetime(year, 1, 1, tzinfo=UTC),
                          Incident.detected_at < datetime(year + 1, 1, 1, tzinfo=UTC))
    groups: dict[tuple[str, str | None, str], dict[str, Any]] = {}
    stages: set[str] = set()
    for when, sector, cls, incident_id, stage, took, late in session.execute(stmt):
        group = groups.get((when, sector, cls))
        if group is None:
            group = groups[(when, sector, cls)] = {"ids": set(), "hours": defaultdict(list), "submitted": 0,
                                                   "late": 0}
        group["ids"].add(incident_id)
        stages.add(stage)
        if took is not None:
            group["hours"][stage].append(took)
            group["submitted"] += 1
            group["late"] += bool(late)
    order = sorted(stages)
    rows = []
    for (when, sector, cls), group in sorted(groups.items(), key=lambda item: (item[0][0], item[0][1] or "",
                                                                                  item[0][2])):
        rows.append({"month": when, "sector": sector, "class": cls, "count": len(group["ids"]),
                     "late_share": round(group["late"] / group["submitted"], 3) if group["submitted"] else None,
                     "median_hours": {s: (round(statistics.median(group["hours"][s]), 2) if group["hours"][s]
                                          else None) for s in order}})
    return rows, order


def queue(session: Session, user: User, now: datetime | None = None) -> dict[str, list[tuple[Incident, Any]]]:
    """The reviewer's desk: submissions to review, stages overdue, submissions that came late."""
    now = now or utcnow()
    rows = session.execute(
        select(Incident, IncidentStage).join(IncidentStage, IncidentStage.incident_id == Incident.id)
        .where(Incident.reviewer_org_id == user.org_id).order_by(Incident.created_at.desc()).limit(2000)).all()
    out: dict[str, list[tuple[Incident, Any]]] = {"to_review": [], "overdue": [], "late": []}
    for incident, stage in rows:
        if stage.status == "submitted":
            out["to_review"].append((incident, stage))
        past_due = stage.overdue_at is not None or (stage.due_at is not None and stage.due_at < now)
        if stage.status == "pending" and past_due:
            out["overdue"].append((incident, stage))
        if stage.late:
            out["late"].append((incident, stage))
    return out
