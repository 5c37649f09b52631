"""Plugging exercises into the core: kinds, audiences, pages, API, job, demo."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from council import labels
from council.app import add_nav
from council.auth.models import User
from council.dashboard import add_card
from council.labels import label
from council.reporting.clocks import DrillClock, register_clock
from council.rooms.models import Room
from council.rooms.routes import add_room_extension
from council.scheduler import add_job
from council.work import add_work, name_kinds
from exercises import work
from exercises.models import Exercise, ExerciseInject, Observation, TeamResponse
from exercises.runs import kinds
from exercises.runs import services as runs
from exercises.vocab import CAPABILITIES, DIFFICULTIES, INJECT_TYPES, RATINGS, STAFF


def room_boot(session: Session, user: User, room: Room, _role: str) -> dict[str, Any]:
    """The exercise as this person sees it, for the room page's exercise panel."""
    if not room.is_exercise:
        return {}
    ex = runs.exercise_for_room(session, room.id)
    part = runs.role_of(ex, user) if ex is not None else None
    if ex is None or part is None:
        return {}
    out: dict[str, Any] = {"exercise": runs.exercise_json(session, ex, part),
                           "role_label": label(part.role, "exercise_role")}
    injects = list(session.scalars(select(ExerciseInject).where(
        ExerciseInject.exercise_id == ex.id, ExerciseInject.status == "released")))
    responses = list(session.scalars(select(TeamResponse).where(
        TeamResponse.inject_id.in_([i.id for i in injects]))))
    state = [{"inject_id": r.inject_id, "msel_id": next(i.msel_id for i in injects if i.id == r.inject_id),
              "team_id": r.team_id, "acked": r.acked_at is not None, "responded": r.responded_at is not None}
             for r in responses]
    if part.role in STAFF:
        out["responses"] = state
        rows = session.scalars(select(Observation).where(Observation.exercise_id == ex.id).order_by(Observation.id))
        out["observations"] = [observation_json(o) for o in rows]
    elif part.role == "player":
        mine = [i for i in injects if part.team_id in json.loads(i.team_ids)]
        out["inbox"] = [runs.inject_json(i, staff=False) for i in mine]
        out["responses"] = [s for s in state if s["team_id"] == part.team_id]
    return out


def observation_json(o: Observation) -> dict[str, Any]:
    return {"observation_id": o.id, "seq": o.seq, "rating": o.rating, "finding": o.finding,
            "objective_id": o.objective_id, "capability": o.capability, "msel_id": o.msel_id, "team_id": o.team_id,
            "t_plus_s": o.t_plus_s, "evidence_seq": o.evidence_seq, "body_html": o.body_html,
            "evaluator": o.evaluator.name}


def exercises_card(session: Session, user: User) -> dict[str, Any] | None:
    mine = [(e, p) for e, p in runs.list_exercises(session, actor=user) if e.state in ("planned", "running", "paused")]
    if not mine:
        return None
    return {"template": "exercises/_card.html", "exercises": mine}


def register_labels() -> None:
    """The words readers see for the exercise slice's stored values."""
    from exercises.reports.models import ELEMENTS

    labels.register("exercise_state", {"planned": "Planned", "running": "Running", "paused": "Paused",
                                       "ended": "Ended (ENDEX)", "stopped": "Stopped (emergency)"})
    labels.register("exercise_role", {"director": "Director", "controller": "Controller", "evaluator": "Evaluator",
                                      "player": "Player", "observer": "Observer"})
    labels.register("delivery", {"room": "In the room", "email": "E-mail", "phone": "Phone call", "media": "Media",
                                 "document": "Document"})
    labels.register("inject_type", {t: t.capitalize() for t in INJECT_TYPES})
    labels.register("inject_status", {"pending": "Pending", "held": "Held", "released": "Released",
                                      "cancelled": "Cancelled"})
    labels.register("release", {"auto": "On schedule", "manual": "By a controller"})
    labels.register("capability", dict(CAPABILITIES))
    labels.register("rating", {k: f"{k} — {v}" for k, v in RATINGS.items()})
    labels.register("finding", {"strength": "Strength", "improvement": "Area for improvement"})
    labels.register("difficulty", {d: d.capitalize() for d in DIFFICULTIES})
    labels.register("report_status", {"draft": "Draft", "review": "In review", "published": "Published"})
    labels.register("report_kind", {"exercise": "Exercise", "incident": "Incident"})
    labels.register("review_state", {"pending": "Pending", "approved": "Signed off",
                                     "changes_requested": "Changes requested"})
    labels.register("ca_status", {"open": "Open", "in_progress": "In progress", "done": "Done",
                                  "cancelled": "Cancelled"})
    labels.register("element", {e: e.capitalize() for e in ELEMENTS})
    labels.register("ca_relation", {"validates": "Validates", "reappeared": "Reappeared",
                                    "shown_fixed": "Shown fixed"})
    labels.register("event_kind", {"inject": "Inject", "clock": "Clock", "ack": "Acknowledgement",
                                   "response": "Response", "observation": "Observation"})


def drill_clock(session: Session, room_id: int) -> DrillClock | None:
    """The exercise clock of an exercise room, for reporting's test incidents."""
    ex = runs.exercise_for_room(session, room_id)
    if ex is None:
        return None
    clock = runs.clock_of(ex)

    def wall_at(t: float) -> datetime | None:
        """When the running clock shows (or showed) ``t``: a past deadline keeps its own time."""
        if clock.state != "running" or clock.wall is None:
            return None
        return clock.wall + timedelta(seconds=(t - clock.t_s) / clock.speed)

    return DrillClock(t_plus=clock.t_plus, wall_at=wall_at, state=ex.state)


def running_drill_rooms(session: Session) -> set[int]:
    return set(session.scalars(select(Exercise.room_id).where(Exercise.state == "running")))


def register(app: Flask) -> None:
    from exercises.api import bp as api_bp
    from exercises.reports.api import bp as reports_api_bp
    from exercises.reports.routes import actions_bp
    from exercises.reports.routes import bp as reports_bp
    from exercises.runs.routes import bp as exercises_bp
    from exercises.scenarios.routes import bp as scenarios_bp

    kinds.register()
    register_labels()
    register_clock(drill_clock, running_drill_rooms)
    for bp in (scenarios_bp, exercises_bp, reports_bp, actions_bp, api_bp, reports_api_bp):
        app.register_blueprint(bp)
    app.extensions["csrf"].exempt(api_bp)
    app.extensions["csrf"].exempt(reports_api_bp)
    add_nav(app, _l("Exercises"), "exercises.index", "exercises.")
    add_nav(app, _l("Scenarios"), "scenarios.library", "scenarios.")
    add_nav(app, _l("Reports"), "reports.library", "reports.")
    add_nav(app, _l("Corrective actions"), "actions.register", "actions.")
    add_card(app, exercises_card)
    name_kinds("Sign-off", "Inject", "Corrective action")
    for provider in (work.reviews_waiting, work.injects_waiting, work.corrective_actions_due):
        add_work(app, provider)
    add_room_extension(app, boot=room_boot, panel="exercises/_panel.html", script="js/exercises.js",
                       panel_first=True)
    add_job(app, "inject releases", 0.5, runs.release_due, wake=runs.next_due)
    from council.notifications.subjects import register_subject
    from exercises import notices

    register_subject("report", notices.sees_report)
    register_subject("corrective", notices.sees_corrective)
    from council.governance.crisis import EXERCISE_CONTROLLERS
    from exercises.runs.services import controls_exercise

    if controls_exercise not in EXERCISE_CONTROLLERS:
        EXERCISE_CONTROLLERS.append(controls_exercise)
    add_job(app, "corrective actions overdue", 3600.0, notices.corrective_overdue)
    from exercises.demo import seed

    app.extensions.setdefault("council_demo_seeders", []).append(seed)
