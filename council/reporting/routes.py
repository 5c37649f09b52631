"""Pages of incident reporting: our reports and the reviewer's desk, a new report
(from a room, pre-filled), an incident with its clocks, the sectoral queue, the
national board, statistics and the regimes."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from council.api.shapes import parse_args
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.auth.models import User
from council.db import utcnow
from council.errors import DomainError, Forbidden, Invalid
from council.extensions import database, settings
from council.orgs.models import SECTORS
from council.reporting import prefill, regimes, services, stats
from council.reporting.models import NOTIFICATION_TYPES
from council.reporting.queries import listed, stats_csv
from council.reporting.serialize import incident_json
from council.reporting.shapes import BoardQuery, IncidentsQuery, StatsQuery
from council.reporting.taxonomy import taxonomy
from council.reporting.visibility import load_incident
from council.rooms.models import TLPS, Room
from council.rooms.services import get_room
from council.web import commit, db, flash_errors

bp = Blueprint("reporting", __name__, url_prefix="/incidents")


@bp.get("/")
def index() -> Any:
    user = current_account()
    args = parse_args(IncidentsQuery, request.args, form=True)
    common = {"status": args.status, "sector": args.sector, "overdue": args.overdue == "1",
              "exercise": None if args.exercise is None else args.exercise == "1"}
    return render_template(
        "council/reporting/index.html", ours=listed(db(), user, relation="reporter", **common),
        reviewing=listed(db(), user, relation="reviewer", **common),
        forwarded=listed(db(), user, relation="national", **common) if user.org.tier == "national" else [],
        args=request.args, sectors=SECTORS, is_national=user.org.tier == "national")


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    user = current_account()
    room = None
    room_id = request.values.get("room", type=int)
    if room_id:
        room, role = get_room(db(), actor=user, room_id=room_id)
        if role not in ("lead", "member"):
            raise Forbidden(_("File an incident from a room you write in."))
    values = prefill.from_room(db(), user, room) if room is not None else {"tlp": "AMBER", "type": "incident"}
    if request.method == "POST":
        form = request.form
        values = {k: form.get(k, "") for k in ("title", "type", "detected_at", "aware_at", "description", "tlp",
                                               "class", "users_affected", "services", "duration_h")}
        values.update({"cross_sector": bool(form.get("cross_sector")), "cross_border": bool(form.get("cross_border")),
                       "critical_infrastructure": bool(form.get("critical_infrastructure")),
                       "regimes": form.getlist("regimes")})
        try:
            incident, _created = services.file_incident(
                db(), actor=user, title=values["title"], type=values["type"], detected_at=values["detected_at"],
                aware_at=values["aware_at"] or None, tz=settings().timezone, description=values["description"],
                tlp=values["tlp"], classification=_classification(values["class"]), impact=_impact(values),
                cross_sector=values["cross_sector"], cross_border=values["cross_border"],
                regime_keys=values["regimes"] or None, room_id=room.id if room else None,
                client_id=form.get("client_id") or None)
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Filed as %(ref)s. Your reviewer is %(reviewer)s.", ref=incident.ref,
                    reviewer=incident.reviewer_org.name), "success")
            return redirect(url_for("reporting.show", incident_id=incident.id))
    applying = regimes.applying_to(db(), user.org.sector)
    return render_template("council/reporting/new.html", values=values, room=room, tlps=TLPS,
                           types=NOTIFICATION_TYPES, taxonomy=taxonomy(), regimes=regimes.current(db()),
                           applying={r.key for r in applying}, action_form=ActionForm(),
                           reviewer=services.chain_of(db(), user.org)[0]), 422 if request.method == "POST" else 200


def _classification(value: str) -> dict[str, str] | None:
    if not value or "/" not in value:
        return None
    class_key, _sep, type_key = value.partition("/")
    return {"class": class_key, "type": type_key}


def _impact(values: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, cast in (("users_affected", int), ("duration_h", float)):
        raw = str(values.get(key) or "").strip()
        if raw:
            try:
                number = cast(raw)
            except ValueError:
                raise Invalid(_("The incident was not filed."), {key: _("A number.")}) from None
            if not 0 <= number < 10**12:
                raise Invalid(_("The incident was not filed."), {key: _("A number from 0.")})
            out[key] = number
    if values.get("services"):
        out["services"] = str(values["services"])[:2000]
    if values.get("critical_infrastructure"):
        out["critical_infrastructure"] = True
    return out


@bp.get("/<int:incident_id>")
def show(incident_id: int) -> Any:
    user = current_account()
    incident, sight = load_incident(db(), user, incident_id)
    with database().transaction() as session:  # reads by other organisations are logged
        reader = session.merge(user, load=False)
        services.log_read(session, user=reader, incident=session.merge(incident, load=False), sight=sight)
    shown = incident_json(db(), incident, sight, utcnow())
    reads = services.reads_of(db(), actor=user, incident_id=incident.id) if sight.relation == "reporter" else []
    room = prefill.linked_room(db(), user, incident) if sight.full else None
    drafts = prefill.stage_drafts(db(), user, incident) if sight.relation == "reporter" else {}
    panels = [(panel, data) for panel, context in current_app.extensions.get("council_incident_ext", [])
              if (data := context(db(), user, incident, sight)) is not None]
    return render_template("council/reporting/show.html", incident=incident, shown=shown, sight=sight, reads=reads,
                           room=room, drafts=drafts, action_form=ActionForm(), boot={"incident": shown},
                           panels=panels)


def add_incident_extension(app: Flask, *, panel: str, context: Any) -> None:
    """Let another slice add a section to the incident page: ``context(session, user,
    incident, sight)`` gives the section's data (None: not shown to this reader), which
    the ``panel`` template reads as ``extension``."""
    app.extensions.setdefault("council_incident_ext", []).append((panel, context))


def _act(incident_id: int, fn: Any, done: Any, **kwargs: Any) -> Any:
    """Run one service from a form: on success ``done(result)`` says what happened and
    where to go; a refusal goes back to the incident with its reason."""
    try:
        result = fn(db(), actor=current_account(), incident_id=incident_id, **kwargs)
    except DomainError as err:
        if err.status == 404:
            raise
        flash_errors(err)
        db().rollback()
        return redirect(url_for("reporting.show", incident_id=incident_id))
    commit()
    message, target = done(result)
    flash(message, "success")
    return redirect(target)


def _at_stage(incident_id: int) -> Any:
    return lambda stage: url_for("reporting.show", incident_id=incident_id) + f"#stage-{stage.id}"


@bp.post("/<int:incident_id>/stages/<key>")
def submit(incident_id: int, key: str) -> Any:
    fields = {k[6:]: v for k, v in request.form.items() if k.startswith("field_") and v}
    where = _at_stage(incident_id)
    return _act(incident_id, services.submit_stage, lambda stage: (
        _("Submitted — after its deadline: marked late.") if stage.late else _("Submitted."), where(stage)),
        key=key, body=request.form.get("body", ""), fields=fields, regime_key=request.form.get("regime") or None)


@bp.post("/<int:incident_id>/stages/<key>/review")
def review(incident_id: int, key: str) -> Any:
    where = _at_stage(incident_id)
    return _act(incident_id, services.review_stage, lambda stage: (
        _("Accepted: forwarded up the chain.") if stage.status == "accepted"
        else _("Revision requested: the reporter is told why."), where(stage)),
        key=key, decision=request.form.get("decision"), comment=request.form.get("comment", ""),
        regime_key=request.form.get("regime") or None)


@bp.post("/<int:incident_id>/consent")
def consent(incident_id: int) -> Any:
    return _act(incident_id, services.consent, lambda _incident: (
        _("Consent recorded: the national CERT may read the report in full."),
        url_for("reporting.show", incident_id=incident_id)), forward="full")


@bp.post("/<int:incident_id>/room")
def room(incident_id: int) -> Any:
    linked = request.form.get("room_id", type=int)
    return _act(incident_id, services.open_room, lambda opened: (
        _("Room linked.") if linked else _("Coordination room opened and linked."),
        url_for("rooms.show", room_id=opened.id)), room_id=linked)


@bp.get("/queue")
def queue() -> Any:
    user = current_account()
    desk = stats.queue(db(), user)
    return render_template("council/reporting/queue.html", desk=desk, now=utcnow())


@bp.get("/board")
def board() -> Any:
    user = current_account()
    if user.org.tier != "national":
        raise Forbidden(_("The national board is the national CERT's."))
    args = parse_args(BoardQuery, request.args, form=True)
    days = None if args.days == "all" else int(args.days)
    return render_template("council/reporting/board.html", board=stats.board(db(), user, days=days),
                           stage_titles=regimes.stage_titles(db()))


@bp.get("/stats")
def statistics() -> Any:
    user = current_account()
    args = parse_args(StatsQuery, request.args, form=True)
    rows, order = stats.statistics_rows(db(), user, year=args.year)
    if args.format == "csv":
        return stats_csv(rows, order, settings().timezone)
    if args.format == "json":
        from flask import jsonify

        return jsonify({"rows": rows, "stages": order})
    return render_template("council/reporting/stats.html", rows=rows, stages=order, year=args.year,
                           stage_titles=regimes.stage_titles(db()))


@bp.get("/regimes")
def regime_list() -> Any:
    user = current_account()
    return render_template("council/reporting/regimes.html", regimes=regimes.current(db()),
                           may_edit=regimes.may_edit(user), stages_of=regimes.stages_of, loads=json.loads)


@bp.route("/regimes/<key>/edit", methods=["GET", "POST"])
def regime_edit(key: str) -> Any:
    user = current_account()
    if not regimes.may_edit(user):
        raise Forbidden(_("Only administrators of the national CERT edit reporting regimes."))
    current = None if key == "new" else regimes.by_key(db(), key)
    if request.method == "POST":
        form = request.form
        try:
            regime = regimes.save_version(
                db(), actor=user, key=form.get("key", "").strip(), title=form.get("title", ""),
                sectors=form.getlist("sectors"), audience=form.get("audience", "chain"),
                description=form.get("description", ""), stages=parse_stage_lines(form.get("stages", "")))
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Saved as version %(version)s. Incidents filed from now on use it.", version=regime.version),
                  "success")
            return redirect(url_for("reporting.regime_list"))
    return render_template("council/reporting/regime_edit.html", regime=current, sectors=SECTORS,
                           stage_lines=stage_lines(current), form=request.form, action_form=ActionForm(),
                           loads=json.loads)


def stage_lines(regime: Any) -> str:
    if regime is None:
        return ""
    return "\n".join(f"{s['key']} | {s['title']} | {s['hours']:g} | {s['clock']} | {', '.join(s['fields'])}"
                     for s in regimes.stages_of(regime))


def parse_stage_lines(text: str) -> list[dict[str, Any]]:
    """One stage a line: ``key | title | hours | clock | field, field``."""
    out = []
    for n, line in enumerate(filter(str.strip, text.splitlines()), start=1):
        parts = [p.strip() for p in line.split("|")]
        if len(parts) < 4:
            raise Invalid(_("The regime was not saved."),
                          {"stages": _("Line %(n)s: key | title | hours | clock | fields.", n=n)})
        try:
            hours = float(parts[2])
        except ValueError:
            raise Invalid(_("The regime was not saved."),
                          {"stages": _("Line %(n)s: hours must be a number.", n=n)}) from None
        out.append({"key": parts[0], "title": parts[1], "hours": hours, "clock": parts[3],
                    "fields": [f.strip() for f in (parts[4] if len(parts) > 4 else "").split(",") if f.strip()]})
    return out


def room_boot(session: Session, user: User, room: Room, _role: str) -> dict[str, Any]:
    """The room page's incidents: the linked reports the viewer may see, with their clocks."""
    now = utcnow()
    return {"incidents": [incident_json(session, i, s, now, summary=True)
                          for i, s in services.incidents_of_room(session, user, room.id)],
            "file_incident_url": url_for("reporting.new", room=room.id)}
