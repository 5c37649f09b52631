"""Pages: the council decision register (with exports) and a room's decision log."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from council.api.shapes import parse_args
from council.auth.login import current_account
from council.db import utcnow
from council.decisions import services
from council.decisions.api import register_filters
from council.decisions.export import register_rows, rows_as_csv, rows_as_json
from council.decisions.shapes import RegisterQuery
from council.extensions import database
from council.orgs.services import list_orgs
from council.web import db
from council.work import WorkItem

bp = Blueprint("decisions", __name__)


@bp.get("/decisions")
def register() -> Any:
    filters = register_filters(parse_args(RegisterQuery, request.args, form=True))
    rows = services.register(db(), actor=current_account(), **filters)
    follow_ups: dict[int, Any] = {}
    for decision, _room in rows:
        for extra in services.JSON_EXTRAS:
            if (found := extra(db(), decision).get("follow_up")) is not None:
                follow_ups[decision.id] = found
    return render_template("council/decisions/register.html", rows=rows, orgs=list_orgs(db()),
                           args=request.args, query=request.query_string.decode(), follow_ups=follow_ups)


@bp.get("/decisions/export.<fmt>")
def export(fmt: str) -> Any:
    if fmt not in ("csv", "json"):
        return render_template("error.html", status=404, title=_("Not found"), text=_("Export as csv or json.")), 404
    actor = current_account()
    rows = services.register(db(), actor=actor, **register_filters(parse_args(RegisterQuery, request.args, form=True)))
    with database().transaction() as session:
        services.record_export(session, actor=actor, fmt=fmt, count_=len(rows), filters=request.args.to_dict())
    if fmt == "csv":
        return rows_as_csv(register_rows(db(), rows))
    return rows_as_json({"decisions": [services.decision_json(db(), d, r, history=True) for d, r in rows]})


@bp.get("/rooms/<int:room_id>/decisions")
def room_log(room_id: int) -> Any:
    actor = current_account()
    room, decisions = services.list_for_room(db(), actor=actor, room_id=room_id)
    items = [services.decision_json(db(), d, room, history=True) for d in decisions]
    return render_template("council/decisions/log.html", room=room, decisions=items)


def decisions_waiting(session: Any, user: Any) -> list[WorkItem]:
    """"My work": open decisions where the user's organisation has no position yet."""
    rows = services.register(session, actor=user, status="open")
    now = utcnow()
    return [WorkItem("Position", d.title, f"/rooms/{r.id}#decision-{d.id}", r.title, d.deadline,
                     bool(d.deadline and d.deadline < now), r.is_exercise)
            for d, r in rows
            if user.org_id in r.org_ids and not any(p.current and p.org_id == user.org_id for p in d.positions)]


def room_boot(session: Any, user: Any, room: Any, _role: str) -> dict[str, Any]:
    """The room page's decisions (those the viewer may see), newest first."""
    _room, decisions = services.list_for_room(session, actor=user, room_id=room.id)
    return {"decisions": [services.decision_json(session, d, room) for d in decisions]}
