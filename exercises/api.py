"""REST for scenarios and exercise runs (under /api/v1). Each endpoint: parse (by
its declared shapes), call one service, commit once, answer; council/api/contract.py
writes the OpenAPI document from the same declarations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, request
from flask_babel import gettext as _
from pydantic import BaseModel

from council import csvfile
from council.api.auth import api_user, authenticate
from council.api.contract import READ, WRITE, endpoint
from council.api.shapes import NotJson, not_json, parse_json
from council.web import commit, db
from exercises.models import Scenario
from exercises.runs import services as runs
from exercises.runs import shapes as r
from exercises.scenarios import msel
from exercises.scenarios import services as scenarios
from exercises.scenarios import shapes as s

bp = Blueprint("exercises_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)

M = TypeVar("M", bound=BaseModel)
CSV = {"text/csv": {"schema": {"type": "string"}}}
IMPORTED = {201: s.Imported, 422: s.MselRefused}
INJECT = {200: r.Inject}
OPTIONAL = "The body may be left out (or be empty): the defaults apply."


def optional_body(model: type[M]) -> M:
    """A body a client may leave out (then the defaults apply); sent, it is a JSON
    object of ``model`` like any declared body (malformed or nested too deep: 400)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return model()
    if not request.is_json:
        raise NotJson(not_json())
    return parse_json(model, raw)  # type: ignore[no-any-return]


def optional_json(model: type[BaseModel]) -> dict[str, Any]:
    """The OpenAPI content of an optional body (``raw_body=``)."""
    return {"application/json": {"schema": model.model_json_schema()}}


# --- scenarios ------------------------------------------------------------------------------

def scenario_json(scenario: Scenario, *, injects: bool = False) -> dict[str, Any]:
    out = {"id": scenario.id, "family_id": scenario.family_id, **scenarios.export_json(scenario)}
    if not injects:
        out.pop("injects")
        out["inject_count"] = len(scenario.injects)
    return out


def hidden_json(scenario: Scenario) -> dict[str, Any]:
    """What a player or observer of an unfinished run of it sees: title and summary."""
    return {"id": scenario.id, "family_id": scenario.family_id, "version": scenario.version,
            "title": scenario.title, "summary": scenario.summary, "msel_hidden": True,
            "reason": _(scenarios.MSEL_HIDDEN)}


def _imported(make: Callable[[], Scenario]) -> Any:
    """Answer an import: 201 with the new id, or 422 with every bad row (nothing written)."""
    try:
        scenario = make()
    except scenarios.MselInvalid as err:
        return {"error": err.message, "rows": err.rows}, 422
    commit()
    return {"id": scenario.id, "injects": len(scenario.injects)}, 201


@endpoint(bp, "/scenarios", "GET", summary="The scenario library (latest versions)", query=s.ScenariosQuery,
          responses={200: s.Scenarios}, errors=(*READ, 422),
          description="Scenarios the caller plays or observes in an unfinished run of show their title and summary "
                      "only (`msel_hidden`).")
def list_scenarios(args: s.ScenariosQuery) -> Any:
    found = scenarios.list_scenarios(db(), sector=args.sector, capability=args.capability)
    hidden = scenarios.played_families(db(), api_user())
    return {"scenarios": [hidden_json(x) if x.family_id in hidden else scenario_json(x) for x in found]}


@endpoint(bp, "/scenarios", "POST", summary="Import a scenario as JSON (metadata and MSEL rows)", body=s.ScenarioDoc,
          responses=IMPORTED, refusal="The scenario was not imported.",
          description="A wrong-typed field is 422 with `fields`; bad MSEL rows are 422 with `rows`.")
def import_scenario_json(data: s.ScenarioDoc) -> Any:
    return _imported(lambda: scenarios.import_json(db(), actor=api_user(), doc=data))


@endpoint(bp, "/scenarios/import", "POST", summary="Import an MSEL CSV as a new scenario; any bad row imports nothing",
          query=s.CsvImportQuery, raw_body=CSV, responses=IMPORTED, errors=(401, 413, 422))
def import_scenario_csv(args: s.CsvImportQuery) -> Any:
    try:
        text = request.get_data(cache=False).decode("utf-8")
    except UnicodeDecodeError:
        return {"error": "The MSEL must be UTF-8.", "rows": [{"row": 1, "column": "", "message": "not UTF-8"}]}, 422
    return _imported(lambda: scenarios.import_csv(db(), actor=api_user(), title=args.title, text=text))


@endpoint(bp, "/scenarios/<int:scenario_id>", "GET", summary="A scenario with its MSEL (JSON export)",
          responses={200: s.FullScenario | s.HiddenScenario},
          description="A player or observer of an unfinished run of it gets its title and summary only.")
def get_scenario(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    if scenarios.playing(db(), api_user(), scenario):
        return hidden_json(scenario)
    return scenario_json(scenario, injects=True)


@endpoint(bp, "/scenarios/<int:scenario_id>/msel.csv", "GET", summary="The MSEL as CSV (safe to open in a spreadsheet)",
          responses={200: None}, extra_content={200: CSV}, errors=(401, 403, 404))
def msel_csv(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    scenarios.require_msel_reader(db(), api_user(), scenario)
    return csvfile.download(msel.to_csv(scenario.injects), msel.csv_name(scenario))


# --- runs -----------------------------------------------------------------------------------

@endpoint(bp, "/exercises", "POST", summary="Create a run from a scenario version (the caller directs it)",
          body=r.NewExercise, responses={201: r.Created},
          refusal="The exercise was not created.")
def create_exercise(data: r.NewExercise) -> Any:
    ex = runs.create_exercise(
        db(), actor=api_user(), scenario_id=data.scenario_id, title=data.title, org_ids=data.orgs,
        controllers=data.controllers, evaluators=data.evaluators, players=data.players, observers=data.observers,
        speed=data.speed, tlp=data.tlp)
    commit()
    return {"id": ex.id, "room_id": ex.room_id}, 201


@endpoint(bp, "/exercises/<int:exercise_id>", "GET", summary="The run as the caller may see it (staff: the MSEL)",
          responses={200: r.StaffExerciseOut | r.ExerciseOut})
def get_exercise(exercise_id: int) -> Any:
    ex, part = runs.load_exercise(db(), api_user(), exercise_id)
    return runs.exercise_json(db(), ex, part)


def _clock(op: str) -> Callable[[int], Any]:
    def view(exercise_id: int) -> Any:
        data = optional_body(r.ClockChange)
        ex = runs.clock_op(db(), actor=api_user(), exercise_id=exercise_id, op=op, reason=data.reason)
        commit()
        return {"state": ex.state, "t_plus_s": round(runs.t_plus(ex), 3)}

    view.__name__ = f"clock_{op}"
    return view


for _op, _summary in (("start", "STARTEX"), ("pause", "Pause the clock"), ("resume", "Resume the clock"),
                      ("end", "ENDEX"), ("stop", "Real-world emergency stop (director), with a reason")):
    endpoint(bp, f"/exercises/<int:exercise_id>/{_op}", "POST", summary=_summary, raw_body=optional_json(r.ClockChange),
             description=OPTIONAL, responses={200: r.ClockState}, errors=WRITE)(_clock(_op))


@endpoint(bp, "/exercises/<int:exercise_id>/injects/<msel_id>/release", "POST", responses=INJECT,
          summary="Release now (early, held or during a pause)", errors=(401, 403, 404, 409))
def release(exercise_id: int, msel_id: str) -> Any:
    inject = runs.release_now(db(), actor=api_user(), exercise_id=exercise_id, msel_id=msel_id)
    commit()
    return runs.inject_json(inject, staff=True)


@endpoint(bp, "/exercises/<int:exercise_id>/injects/<msel_id>/hold", "POST", responses=INJECT,
          summary="Hold or un-hold an inject", raw_body=optional_json(r.Hold), description=OPTIONAL)
def hold(exercise_id: int, msel_id: str) -> Any:
    data = optional_body(r.Hold)
    inject = runs.set_held(db(), actor=api_user(), exercise_id=exercise_id, msel_id=msel_id, held=data.held)
    commit()
    return runs.inject_json(inject, staff=True)


@endpoint(bp, "/exercises/<int:exercise_id>/injects/<msel_id>/edit", "POST", body=r.InjectChange,
          responses=INJECT, summary="Edit before release", refusal="The inject was not changed.")
def edit(exercise_id: int, msel_id: str, data: r.InjectChange) -> Any:
    inject = runs.edit_inject(db(), actor=api_user(), exercise_id=exercise_id, msel_id=msel_id, fields=data.given())
    commit()
    return runs.inject_json(inject, staff=True)


@endpoint(bp, "/exercises/<int:exercise_id>/injects", "POST", body=r.InjectChange, responses={201: r.Inject},
          summary="Write and release an ad-hoc inject", refusal="The inject was not written.")
def adhoc(exercise_id: int, data: r.InjectChange) -> Any:
    inject = runs.adhoc_inject(db(), actor=api_user(), exercise_id=exercise_id, fields=data.given())
    commit()
    return runs.inject_json(inject, staff=True), 201
