"""REST for scenarios and exercise runs (under /api/v1, in the OpenAPI document)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from council.api.auth import api_user, authenticate
from council.api.routes import body
from council.errors import Invalid
from council.web import commit, db
from exercises.runs import services as runs
from exercises.scenarios import msel
from exercises.scenarios import services as scenarios
from exercises.vocab import CONTROLLER_ONLY

bp = Blueprint("exercises_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def scenario_json(s: Any, *, injects: bool = False) -> dict[str, Any]:
    out = {"id": s.id, "family_id": s.family_id, **scenarios.export_json(s)}
    if not injects:
        out.pop("injects")
        out["inject_count"] = len(s.injects)
    return out


@bp.get("/scenarios")
def list_scenarios() -> Any:
    found = scenarios.list_scenarios(db(), sector=request.args.get("sector"),
                                     capability=request.args.get("capability"))
    return {"scenarios": [scenario_json(s) for s in found]}


@bp.post("/scenarios")
def import_scenario_json() -> Any:
    try:
        scenario = scenarios.import_json(db(), actor=api_user(), doc=body())
    except scenarios.MselInvalid as err:
        return {"error": err.message, "rows": err.rows}, 422
    commit()
    return {"id": scenario.id, "injects": len(scenario.injects)}, 201


@bp.post("/scenarios/import")
def import_scenario_csv() -> Any:
    title = request.args.get("title", "").strip()
    if not title:
        raise Invalid("Name the scenario: ?title=…", {"title": "Required."})
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        return {"error": "The MSEL must be UTF-8.", "rows": [{"row": 1, "column": "", "message": "not UTF-8"}]}, 422
    try:
        scenario = scenarios.import_csv(db(), actor=api_user(), title=title, text=text)
    except scenarios.MselInvalid as err:
        return {"error": err.message, "rows": err.rows}, 422
    commit()
    return {"id": scenario.id, "injects": len(scenario.injects)}, 201


@bp.get("/scenarios/<int:scenario_id>")
def get_scenario(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    out = scenario_json(scenario, injects=True)
    if scenarios.playing(db(), api_user(), scenario):
        for row in out["injects"]:
            for field in CONTROLLER_ONLY:
                row.pop(field, None)
    return out


@bp.get("/scenarios/<int:scenario_id>/msel.csv")
def msel_csv(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    scenarios.require_msel_reader(db(), api_user(), scenario)
    return Response(msel.to_csv(scenario.injects), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="msel-{scenario.id}-v{scenario.version}.csv"'})


@bp.post("/exercises")
def create_exercise() -> Any:
    data = body()
    ex = runs.create_exercise(
        db(), actor=api_user(), scenario_id=data.get("scenario_id"), title=data.get("title"),
        org_ids=data.get("orgs"), controllers=data.get("controllers"), evaluators=data.get("evaluators"),
        players=data.get("players"), observers=data.get("observers"), speed=data.get("speed", 1),
        tlp=data.get("tlp", "AMBER"))
    commit()
    return {"id": ex.id, "room_id": ex.room_id}, 201


@bp.get("/exercises/<int:exercise_id>")
def get_exercise(exercise_id: int) -> Any:
    ex, part = runs.load_exercise(db(), api_user(), exercise_id)
    return runs.exercise_json(db(), ex, part)


@bp.post("/exercises/<int:exercise_id>/<any(start, pause, resume, end, stop):op>")
def clock(exercise_id: int, op: str) -> Any:
    data = request.get_json(silent=True) or {}
    reason = data.get("reason", "") if isinstance(data, dict) else ""
    ex = runs.clock_op(db(), actor=api_user(), exercise_id=exercise_id, op=op,
                       reason=reason if isinstance(reason, str) else "")
    commit()
    return {"state": ex.state, "t_plus_s": round(runs.t_plus(ex), 3)}


@bp.post("/exercises/<int:exercise_id>/injects/<msel_id>/release")
def release(exercise_id: int, msel_id: str) -> Any:
    inject = runs.release_now(db(), actor=api_user(), exercise_id=exercise_id, msel_id=msel_id)
    commit()
    return runs.inject_json(inject, staff=True)


@bp.post("/exercises/<int:exercise_id>/injects/<msel_id>/hold")
def hold(exercise_id: int, msel_id: str) -> Any:
    data = request.get_json(silent=True) or {}
    held = data.get("held", True) if isinstance(data, dict) else True
    inject = runs.set_held(db(), actor=api_user(), exercise_id=exercise_id, msel_id=msel_id, held=bool(held))
    commit()
    return runs.inject_json(inject, staff=True)


@bp.post("/exercises/<int:exercise_id>/injects/<msel_id>/edit")
def edit(exercise_id: int, msel_id: str) -> Any:
    inject = runs.edit_inject(db(), actor=api_user(), exercise_id=exercise_id, msel_id=msel_id, fields=body())
    commit()
    return runs.inject_json(inject, staff=True)


@bp.post("/exercises/<int:exercise_id>/injects")
def adhoc(exercise_id: int) -> Any:
    inject = runs.adhoc_inject(db(), actor=api_user(), exercise_id=exercise_id, fields=body())
    commit()
    return runs.inject_json(inject, staff=True), 201
