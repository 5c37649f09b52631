"""The incident page's Indicators section and its forms: add one, paste to extract and
add the reviewed ones, report a sighting, retire, share into the report's room. Each
form calls one service (council/indicators/reports.py, services.py) and goes back to
the incident, as the room panel's REST calls do for rooms."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from council.access import can_write
from council.api.shapes import parse_data
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.auth.models import User
from council.errors import Invalid, NotFound
from council.indicators import queries, reports, services
from council.indicators import shapes as s
from council.indicators.models import TYPES
from council.rooms.models import TLPS
from council.rooms.visibility import load_visible
from council.web import act_from_form, db

bp = Blueprint("report_indicators", __name__)


def report_panel(session: Session, user: User, incident: Any, sight: Any) -> dict[str, Any] | None:
    """The section's data (None for a reader of the stub: no content, no indicators)."""
    if not sight.full:
        return None
    _incident, indicators = reports.list_for_report(session, actor=user, incident_id=incident.id)
    rows = queries.with_hints(session, user, [(i, None) for i in indicators])
    editors = {incident.reporter_org_id}
    for row in rows:
        row["may_edit"] = row["status"] == "active" and user.org_id in editors | {row["source_org"]["id"]}
    tlps = [t for t in TLPS[TLPS.index(incident.tlp):] if services.report_sees(sight, incident, t)]
    may_share = False
    if incident.room_id is not None:
        try:
            _room, role = load_visible(session, user, incident.room_id)
            may_share = can_write(role)
        except NotFound:  # a room the reader may not see: no button
            may_share = False
    return {"indicators": rows, "types": TYPES, "tlps": tlps, "may_share": may_share,
            "active": sum(1 for r in rows if r["status"] == "active"), "script": "js/report_indicators.js"}


def _back(incident_id: int) -> str:
    return url_for("reporting.show", incident_id=incident_id) + "#indicators"


def _number(value: str, field: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", value):  # ASCII digits only ("²" is a digit to str.isdigit)
        raise Invalid(_("The indicator was not accepted."), {field: _("A whole number.")})
    return int(value)


def _add_from_form(session: Session, *, actor: User, incident_id: int) -> None:
    form = request.form
    data: dict[str, Any] = {"type": form.get("type", ""), "value": form.get("value", ""),
                            "description": form.get("description", "")}
    if form.get("tlp"):
        data["tlp"] = form["tlp"]
    confidence = _number(form.get("confidence", ""), "confidence")
    if confidence is not None:
        data["confidence"] = confidence
    tags = [t.strip() for t in form.get("tags", "").split(",") if t.strip()]
    if tags:
        data["tags"] = tags
    given = parse_data(s.NewIndicator, data, _("The indicator was not accepted.")).given()
    reports.add_to_report(session, actor=actor, incident_id=incident_id, given=given)


@bp.post("/incidents/<int:incident_id>/indicators")
def add(incident_id: int) -> Any:
    return act_from_form(_add_from_form, _("Indicator added."), _back(incident_id), incident_id=incident_id)


@bp.post("/incidents/<int:incident_id>/indicators/paste")
def paste(incident_id: int) -> Any:
    """Step one of paste-to-extract: what was found, for review (nothing is added)."""
    text = request.form.get("text", "")
    if not text.strip() or len(text) > 200_000:
        flash(_("Paste a report, an advisory or a log (at most 200000 characters) to look through."), "error")
        return redirect(_back(incident_id))
    incident, _sight = reports.readable_report(db(), current_account(), incident_id)
    found = reports.extract_for_report(db(), actor=current_account(), incident_id=incident.id, text=text)
    panel = report_panel(db(), current_account(), incident, _sight)
    return render_template("council/indicators/report_review.html", incident=incident, found=found,
                           tlps=panel["tlps"] if panel else [], action_form=ActionForm())


def _add_picked(session: Session, *, actor: User, incident_id: int) -> None:
    picked = []
    for item in request.form.getlist("pick")[:500]:
        type_, _sep, value = item.partition("|")
        picked.append({"type": type_, "value": value})
    if not picked:
        raise Invalid(_("Nothing was added."), {"pick": _("Choose at least one indicator.")})
    reports.add_many_to_report(session, actor=actor, incident_id=incident_id, items=picked,
                               tlp=request.form.get("tlp") or None)


@bp.post("/incidents/<int:incident_id>/indicators/bulk")
def add_picked(incident_id: int) -> Any:
    return act_from_form(_add_picked, _("Indicators added."), _back(incident_id), incident_id=incident_id)


@bp.post("/incidents/<int:incident_id>/indicators/share")
def share(incident_id: int) -> Any:
    return act_from_form(reports.share_to_room, _("Indicators shared into the room."), _back(incident_id),
                         incident_id=incident_id)


def _owner_page(indicator_id: int) -> str:
    indicator, _room, _role = services.load_indicator(db(), current_account(), indicator_id)
    if indicator.incident_id is None:
        abort(404)  # a room's indicators are handled by the room's panel (REST)
    return _back(indicator.incident_id)


def _sight_from_form(session: Session, *, actor: User, indicator_id: int) -> None:
    count = _number(request.form.get("count", ""), "count") or 1
    services.report_sighting(session, actor=actor, indicator_id=indicator_id, count=min(count, 999_999_999),
                             location=request.form.get("where", "")[:200], note=request.form.get("note", "")[:1000])


@bp.post("/indicators/<int:indicator_id>/seen")
def seen(indicator_id: int) -> Any:
    return act_from_form(_sight_from_form, _("Sighting recorded."), _owner_page(indicator_id),
                         indicator_id=indicator_id)


@bp.post("/indicators/<int:indicator_id>/retire")
def retire(indicator_id: int) -> Any:
    return act_from_form(services.retire_indicator, _("Indicator retired."), _owner_page(indicator_id),
                         indicator_id=indicator_id)
