"""Pages of rooms: the list, the new-room form and the live room."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from council.auth.assurance import red_cleared
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.auth.models import User
from council.errors import Invalid
from council.extensions import settings
from council.labels import label
from council.orgs.services import list_orgs
from council.rooms import reading, services, stream
from council.rooms.audience import audiences_of
from council.rooms.forms import TLP_HELP, RoomForm
from council.rooms.models import SEVERITIES, STATUSES, TIMELINE_CATEGORIES, TLPS, Room
from council.rooms.serialize import action_json, room_json, sitrep_json
from council.web import commit, db, flash_errors

bp = Blueprint("rooms", __name__, url_prefix="/rooms")
BootExtra = Callable[[Session, User, Room, str], dict[str, Any]]


def add_room_extension(app: Flask, *, boot: BootExtra | None = None, panel: str | None = None,
                       script: str | None = None, panel_first: bool = False) -> None:
    """Let another slice add to the room page: data in the boot JSON, a panel
    template in the side column, and an ES module whose ``install(room)`` the
    page calls before the client starts (decisions, exercises)."""
    ext = app.extensions.setdefault("council_room_ext", {"boot": [], "panels": [], "scripts": []})
    if boot:
        ext["boot"].append(boot)
    if panel:
        ext["panels"].insert(0, panel) if panel_first else ext["panels"].append(panel)
    if script:
        ext["scripts"].append(script)


@bp.get("/")
def index() -> Any:
    status = request.args.get("status", "active")
    tlp = request.args.get("tlp") or None
    mine = request.args.get("mine") == "1"
    rooms = services.list_rooms(db(), actor=current_account(), status=status, tlp=tlp, mine=mine,
                                before_step_up=True)
    unread = reading.unread_counts(db(), current_account(), rooms)
    return render_template("council/rooms/index.html", rooms=rooms, status=status, tlp=tlp, mine=mine,
                           tlps=TLPS, statuses=STATUSES, unread=unread, red_open=red_cleared(db(), current_account()))


def _form() -> RoomForm:
    form = RoomForm()
    form.orgs.choices = [(o.id, o.name) for o in list_orgs(db())]
    form.severity.choices = [(s, label(s, "severity")) for s in SEVERITIES]
    return form


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    form = _form()
    actor = current_account()
    if form.validate_on_submit():
        emails = [e for e in re.split(r"[\s,;]+", form.members.data or "") if e]
        try:
            room = services.create_room(
                db(), actor=actor, title=form.title.data, summary=form.summary.data or "",
                severity=form.severity.data, tlp=form.tlp.data, org_ids=list(form.orgs.data or []),
                member_emails=emails,
            )
        except Invalid as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Room opened. You are its lead."), "success")
            return redirect(url_for("rooms.show", room_id=room.id))
    elif request.method == "POST":
        flash(_("Check the form: a title is required."), "error")
    if not form.is_submitted():
        form.orgs.data = [actor.org_id]
    return render_template("council/rooms/new.html", form=form, tlp_help=TLP_HELP), 422 if form.errors else 200


@bp.get("/<int:room_id>")
def show(room_id: int) -> Any:
    actor = current_account()
    room, role = services.get_room(db(), actor=actor, room_id=room_id)  # (RED: the step-up came first, app.py)
    events, more = stream.list_events(db(), room, limit=50)
    boot = {
        "room": room_json(room, role),
        "me": {"id": actor.id, "name": actor.name, "org_id": actor.org_id, "org": actor.org.name},
        "events": stream.serialize_page(db(), events, room, audiences_of(db(), actor, room, role)),
        "has_more": more,
        "actions": [action_json(a) for a in services.list_actions(db(), actor=actor, room_id=room.id)],
        "sitreps": [sitrep_json(s) for s in services.sitrep_status(db(), actor=actor, room_id=room.id)],
        "orgs": [{"id": o.id, "name": o.name} for o in list_orgs(db())],
        "categories": list(TIMELINE_CATEGORIES),
        "severities": list(SEVERITIES), "statuses": list(STATUSES), "tlps": list(TLPS),
        "timezone": settings().timezone,
        "read_seq": reading.read_seq(db(), actor, room.id),
    }
    ext = current_app.extensions.get("council_room_ext", {"boot": [], "panels": [], "scripts": []})
    for extra in ext["boot"]:
        boot.update(extra(db(), actor, room, role))
    # The page's module imports these before the client starts (room/page.js).
    boot["extensions"] = [url_for("static", filename=script) for script in ext["scripts"]]
    return render_template("council/rooms/show.html", room=room, role=role, boot=boot,
                           action_form=ActionForm(), panels=ext["panels"])


def rooms_card(session: Any, user: Any) -> dict[str, Any]:
    """Dashboard card: the active rooms the user can see, theirs first."""
    active = services.list_rooms(session, actor=user, status="active", limit=50, before_step_up=True)
    mine = {r.id for r in services.list_rooms(session, actor=user, status="active", mine=True, limit=50,
                                              before_step_up=True)}
    active.sort(key=lambda r: (r.id not in mine, -r.updated_at.timestamp()))
    shown = active[:8]
    return {"template": "council/rooms/_card.html", "rooms": shown, "mine": mine, "total": len(active),
            "unread": reading.unread_counts(session, user, shown), "red_open": red_cleared(session, user)}
