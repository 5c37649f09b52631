"""Pages of exercise runs: my exercises, a new run; the run itself lives in its room."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.errors import Invalid
from council.orgs.services import list_orgs
from council.rooms.models import TLPS
from council.web import commit, db, flash_errors
from exercises.runs import services as runs
from exercises.runs.shapes import form_id
from exercises.scenarios import services as scenarios

bp = Blueprint("exercises", __name__, url_prefix="/exercises")


def _emails(text: str) -> list[str]:
    return [e for e in re.split(r"[\s,;]+", text or "") if e]


def players_from_form(text: str) -> dict[str, list[str]]:
    """Lines "Team name: email, email" -> {team: [emails]}."""
    teams: dict[str, list[str]] = {}
    for line in (text or "").splitlines():
        if ":" in line:
            team, _sep, emails = line.partition(":")
            if team.strip():
                teams.setdefault(team.strip(), []).extend(_emails(emails))
    return teams


@bp.get("/")
def index() -> Any:
    mine = runs.list_exercises(db(), actor=current_account())
    return render_template("exercises/runs/index.html", exercises=mine, t_plus=runs.t_plus)


def _values(form: MultiDict[str, str]) -> dict[str, Any]:
    """The fields of the creation form, as typed (shown again on the page)."""
    return {"scenario_id": form.get("scenario_id", type=int), "title": form.get("title", ""),
            "orgs": form.getlist("orgs", type=form_id),
            "controllers": form.get("controllers", ""), "evaluators": form.get("evaluators", ""),
            "observers": form.get("observers", ""), "players": form.get("players", ""),
            "speed": form.get("speed", type=float) or 0, "tlp": form.get("tlp", "AMBER")}


def _plan(values: dict[str, Any]) -> runs.ExercisePlan:
    return runs.plan_exercise(
        db(), actor=current_account(), scenario_id=values["scenario_id"], title=values["title"],
        org_ids=values["orgs"], controllers=_emails(values["controllers"]), evaluators=_emails(values["evaluators"]),
        observers=_emails(values["observers"]), players=players_from_form(values["players"]),
        speed=values["speed"], tlp=values["tlp"])


def _confirmed(plan: runs.ExercisePlan, confirm: str | None) -> bool:
    """Did the organiser confirm these very teams? Create nothing they did not see."""
    if confirm and confirm != plan.teams_key:
        flash(_("The teams changed since you saw them: check them below and create the exercise again."), "error")
    return confirm == plan.teams_key


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Two steps: "Preview teams" shows the teams and players the run will have;
    "Create exercise" creates it, if the teams are still the ones shown."""
    values: dict[str, Any] = {"scenario_id": request.args.get("scenario", type=int), "speed": 1, "tlp": "AMBER",
                              "orgs": []}
    plan: runs.ExercisePlan | None = None
    if request.method == "POST":
        values = _values(request.form)
        if not ActionForm().validate_on_submit():
            flash(_("The form expired. Reload the page and try again."), "error")
        else:
            try:
                plan = _plan(values)
                if _confirmed(plan, request.form.get("confirm")):
                    ex = runs.create_planned(db(), actor=current_account(), plan=plan)
                    commit()
                    flash(_("Exercise created. You direct it: STARTEX from the exercise panel when everyone is in."),
                          "success")
                    return redirect(url_for("rooms.show", room_id=ex.room_id))
            except Invalid as err:
                flash_errors(err)
                db().rollback()
    return render_template("exercises/runs/new.html", scenarios=scenarios.list_scenarios(db(), latest_only=False),
                           orgs=list_orgs(db()), values=values, plan=plan, tlps=TLPS, action_form=ActionForm(),
                           hidden=scenarios.played_families(db(), current_account()))


@bp.get("/<int:exercise_id>")
def show(exercise_id: int) -> Any:
    ex, _part = runs.load_exercise(db(), current_account(), exercise_id)
    return redirect(url_for("rooms.show", room_id=ex.room_id))


@bp.get("/<int:exercise_id>/wall")
def wall(exercise_id: int) -> Any:
    """The drill's wall clock for the room's big screen (participants only)."""
    ex, part = runs.load_exercise(db(), current_account(), exercise_id)
    boot = {"exercise": runs.exercise_json(db(), ex, part), "latest_seq": ex.room.last_seq}
    return render_template("exercises/runs/wall.html", ex=ex, room=ex.room, boot=boot)
