"""Pages of the scenario library: browse, create, import, edit the MSEL, version, duplicate."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage, MultiDict

from council import csvfile
from council.api.shapes import NotJson, parse_args, parse_json
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.errors import Invalid
from council.orgs.models import SECTORS
from council.web import commit, db, flash_errors
from exercises.models import Scenario
from exercises.scenarios import msel
from exercises.scenarios import services as scenarios
from exercises.scenarios.shapes import ScenarioDoc, ScenariosQuery
from exercises.vocab import CAPABILITIES, DELIVERIES, DIFFICULTIES, INJECT_TYPES, MSEL_HEADERS, RATINGS

bp = Blueprint("scenarios", __name__, url_prefix="/scenarios")


def _csrf_ok() -> bool:
    if ActionForm().validate_on_submit():
        return True
    flash(_("The form expired. Reload the page and try again."), "error")
    return False


def meta_from_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The scenario fields a form may set, by name (nothing else is read)."""
    objectives = []
    for line in (form.get("objectives") or "").splitlines():
        if line.strip():
            ident, _sep, text = line.partition(":")
            objectives.append({"id": ident.strip(), "text": text.strip()})
    try:
        duration = int(form.get("duration_min") or 120)
    except ValueError:
        duration = -1
    return {"title": form.get("title", ""), "summary": form.get("summary", ""),
            "sectors": form.getlist("sectors"), "threat": form.get("threat", ""),
            "difficulty": form.get("difficulty", "intermediate"), "duration_min": duration,
            "objectives": objectives, "capabilities": form.getlist("capabilities")}


def _context(**extra: Any) -> dict[str, Any]:
    return {"sectors": SECTORS, "capabilities": CAPABILITIES, "difficulties": DIFFICULTIES,
            "inject_types": INJECT_TYPES, "deliveries": DELIVERIES, "ratings": RATINGS,
            "action_form": ActionForm(), "loads": json.loads, "format_offset": msel.format_offset, **extra}


@bp.get("/")
def library() -> Any:
    """The library; scenarios the viewer plays in a run of show their title only (until ENDEX)."""
    args = parse_args(ScenariosQuery, request.args, form=True)
    found = scenarios.list_scenarios(db(), sector=args.sector, capability=args.capability)
    hidden = scenarios.played_families(db(), current_account())
    runs = {s.id: len(scenarios.runs_of(db(), s)) for s in found}
    return render_template("exercises/scenarios/library.html", **_context(
        scenarios=found, runs=runs, hidden=hidden, sector=args.sector, capability=args.capability))


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    values: dict[str, Any] = {"difficulty": "intermediate", "duration_min": 120}
    if request.method == "POST" and _csrf_ok():
        values = meta_from_form(request.form)
        try:
            scenario = scenarios.create_scenario(db(), actor=current_account(), fields=values)
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Scenario created. Add its injects (MSEL) next."), "success")
            return redirect(url_for("scenarios.injects", scenario_id=scenario.id))
    return render_template("exercises/scenarios/edit.html", **_context(scenario=None, values=values))


@bp.route("/import", methods=["GET", "POST"])
def import_file() -> Any:
    """Import an MSEL CSV or a scenario JSON file. A refusal writes nothing and shows
    the page again with every reason (bad rows with their row and column)."""
    rows: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST" and _csrf_ok():
        try:
            scenario = _import_upload(request.files.get("file"), request.form.get("title", ""))
        except scenarios.MselInvalid as err:
            flash(err.message, "error")
            rows, status = err.rows, 422
        except Invalid as err:
            flash_errors(err)
            status = 422
        except NotJson:
            flash(_("The file is not valid JSON (or is nested too deeply): export a scenario as JSON "
                    "and import that file."), "error")
            status = 400
        else:
            commit()
            flash(ngettext("Imported %(num)d inject.", "Imported %(num)d injects.", len(scenario.injects)), "success")
            return redirect(url_for("scenarios.show", scenario_id=scenario.id))
        db().rollback()
    return render_template("exercises/scenarios/import.html", **_context(rows=rows, headers=MSEL_HEADERS)), status


def _import_upload(upload: FileStorage | None, title: str) -> Scenario:
    """A .json file is a scenario export (parsed by its shape); anything else an MSEL CSV."""
    raw = upload.read() if upload else b""
    if not raw:
        raise Invalid(_("Choose a file to import."), {"file": _("Required.")})
    try:
        text = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError:
        raise Invalid(_("The file must be UTF-8."), {"file": _("Not UTF-8.")}) from None
    if ((upload and upload.filename) or "").lower().endswith(".json"):
        doc = parse_json(ScenarioDoc, text, _("The scenario was not imported."))
        return scenarios.import_json(db(), actor=current_account(), doc=doc)
    return scenarios.import_csv(db(), actor=current_account(), title=title.strip() or "Imported MSEL", text=text)


@bp.get("/<int:scenario_id>")
def show(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    from exercises.runs.figures import headline

    if scenarios.playing(db(), current_account(), scenario):  # title and summary only, not even counts
        return render_template("exercises/scenarios/show.html", **_context(
            scenario=scenario, playing=True, hidden_reason=_(scenarios.MSEL_HIDDEN)))
    runs = [(ex, headline(db(), ex)) for ex in scenarios.runs_of(db(), scenario)]
    return render_template("exercises/scenarios/show.html", **_context(
        scenario=scenario, versions=scenarios.versions_of(db(), scenario), runs=runs,
        can_edit=scenarios.can_edit(current_account(), scenario), playing=False))


@bp.route("/<int:scenario_id>/edit", methods=["GET", "POST"])
def edit(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    scenarios.require_editor(db(), current_account(), scenario)
    values = {"title": scenario.title, "summary": scenario.summary, "sectors": json.loads(scenario.sectors),
              "threat": scenario.threat, "difficulty": scenario.difficulty, "duration_min": scenario.duration_min,
              "objectives": json.loads(scenario.objectives), "capabilities": json.loads(scenario.capabilities)}
    if request.method == "POST" and _csrf_ok():
        values = meta_from_form(request.form)
        try:
            scenarios.update_scenario(db(), actor=current_account(), scenario_id=scenario.id, fields=values)
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Scenario saved."), "success")
            return redirect(url_for("scenarios.show", scenario_id=scenario.id))
    return render_template("exercises/scenarios/edit.html", **_context(scenario=scenario, values=values))


@bp.get("/<int:scenario_id>/injects")
def injects(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    scenarios.require_editor(db(), current_account(), scenario)
    return render_template("exercises/scenarios/injects.html", **_context(scenario=scenario))


def _row_from_form() -> dict[str, str]:
    return {column: request.form.get(column, "") for column in MSEL_HEADERS}


@bp.post("/<int:scenario_id>/injects")
def add_inject(scenario_id: int) -> Any:
    if _csrf_ok():
        try:
            inject = scenarios.save_inject(db(), actor=current_account(), scenario_id=scenario_id, row=_row_from_form())
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Inject %(id)s added.", id=inject.msel_id), "success")
    return redirect(url_for("scenarios.injects", scenario_id=scenario_id))


@bp.post("/<int:scenario_id>/injects/<int:inject_id>")
def save_inject(scenario_id: int, inject_id: int) -> Any:
    if _csrf_ok():
        try:
            inject = scenarios.save_inject(db(), actor=current_account(), scenario_id=scenario_id,
                                           row=_row_from_form(), inject_id=inject_id)
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Inject %(id)s saved.", id=inject.msel_id), "success")
    return redirect(url_for("scenarios.injects", scenario_id=scenario_id) + f"#inject-{inject_id}")


@bp.post("/<int:scenario_id>/injects/<int:inject_id>/delete")
def delete_inject(scenario_id: int, inject_id: int) -> Any:
    if _csrf_ok():
        try:
            scenarios.delete_inject(db(), actor=current_account(), scenario_id=scenario_id, inject_id=inject_id)
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Inject deleted."), "success")
    return redirect(url_for("scenarios.injects", scenario_id=scenario_id))


@bp.post("/<int:scenario_id>/version")
def new_version(scenario_id: int) -> Any:
    if not _csrf_ok():
        return redirect(url_for("scenarios.show", scenario_id=scenario_id))
    copy = scenarios.new_version(db(), actor=current_account(), scenario_id=scenario_id)
    commit()
    flash(_("Version %(version)s created; earlier versions and their runs are unchanged.", version=copy.version),
          "success")
    return redirect(url_for("scenarios.show", scenario_id=copy.id))


@bp.post("/<int:scenario_id>/duplicate")
def duplicate(scenario_id: int) -> Any:
    if not _csrf_ok():
        return redirect(url_for("scenarios.show", scenario_id=scenario_id))
    copy = scenarios.duplicate(db(), actor=current_account(), scenario_id=scenario_id)
    commit()
    flash(_("Scenario duplicated: edit the copy freely."), "success")
    return redirect(url_for("scenarios.edit", scenario_id=copy.id))


@bp.get("/<int:scenario_id>/msel.csv")
def download_csv(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    scenarios.require_msel_reader(db(), current_account(), scenario)
    return csvfile.download(msel.to_csv(scenario.injects), msel.csv_name(scenario))


@bp.get("/<int:scenario_id>/scenario.json")
def download_json(scenario_id: int) -> Any:
    scenario = scenarios.get_scenario(db(), scenario_id)
    scenarios.require_msel_reader(db(), current_account(), scenario)
    name = f"scenario-{scenario.id}-v{scenario.version}.json"
    return Response(json.dumps(scenarios.export_json(scenario), indent=2, ensure_ascii=False),
                    mimetype="application/json", headers={"Content-Disposition": f'attachment; filename="{name}"'})
