"""REST endpoints. Each one: parse, call one service, commit once, answer."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from council.api.auth import api_user, authenticate
from council.auth.people import person_json, search_people
from council.errors import DomainError, Invalid
from council.orgs.services import list_orgs
from council.rooms import reading, stream
from council.rooms import services as rooms
from council.rooms.audience import audiences_of
from council.rooms.serialize import action_json, room_json, sitrep_json
from council.text import render_markdown
from council.web import commit, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        # 400, not 422: the request is not the API's language at all (the contract and openapi.py say so).
        raise DomainError("Send a JSON object (Content-Type: application/json).")
    return data


def int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise Invalid("Bad query parameter.", {name: "Must be a whole number."}) from None


@bp.get("/orgs")
def orgs() -> Any:
    return {"orgs": [{"id": o.id, "name": o.name, "tier": o.tier, "sector": o.sector, "parent_id": o.parent_id}
                     for o in list_orgs(db())]}


@bp.get("/people")
def people() -> Any:
    """Search-as-you-type behind the people pickers (``room``: who may be named in it)."""
    room_id = int_arg("room")
    found = search_people(db(), actor=api_user(), q=request.args.get("q", ""), room_id=room_id)
    return {"people": [person_json(u) for u in found]}


@bp.post("/rooms")
def create_room() -> Any:
    data = body()
    room = rooms.create_room(
        db(), actor=api_user(), title=data.get("title"), summary=data.get("summary", ""),
        severity=data.get("severity"), tlp=data.get("tlp"), org_ids=data.get("orgs"),
        member_emails=data.get("members"),
    )
    commit()
    return room_json(room, "lead"), 201


@bp.get("/rooms")
def list_rooms() -> Any:
    kind = request.args.get("kind", "incident")
    if kind not in ("incident", "exercise", "all"):
        raise Invalid("Bad query parameter.", {"kind": "incident, exercise or all."})
    found = rooms.list_rooms(db(), actor=api_user(), status=request.args.get("status"),
                             tlp=request.args.get("tlp"), mine=request.args.get("mine") in ("1", "true"),
                             kind=None if kind == "all" else kind)
    unread = reading.unread_counts(db(), api_user(), found)
    return {"rooms": [{**room_json(r), "unread": unread.get(r.id, 0)} for r in found]}


@bp.get("/rooms/<int:room_id>")
def get_room(room_id: int) -> Any:
    room, role = rooms.get_room(db(), actor=api_user(), room_id=room_id)
    return room_json(room, role)


@bp.get("/rooms/<int:room_id>/events")
def list_events(room_id: int) -> Any:
    room, role = rooms.get_room(db(), actor=api_user(), room_id=room_id)
    limit = int_arg("limit", 100)
    if limit is None or limit < 1:  # above the page maximum is served as the maximum
        raise Invalid("Bad query parameter.", {"limit": f"A whole number from 1 to {stream.PAGE_MAX}."})
    events, more = stream.list_events(db(), room, since=int_arg("since"), before=int_arg("before"),
                                      limit=limit)
    audiences = audiences_of(db(), api_user(), room, role)
    return {"events": stream.serialize_page(db(), events, room, audiences), "latest_seq": room.last_seq,
            "has_more": more}


@bp.post("/rooms/<int:room_id>/events")
def post_event(room_id: int) -> Any:
    data = body()
    event, created = stream.post(db(), actor=api_user(), room_id=room_id, kind=data.get("kind"),
                                 payload=data, client_id=data.get("client_id"))
    commit()
    return stream.shown_to_poster(db(), api_user(), event), 201 if created else 200


@bp.post("/rooms/<int:room_id>/read")
def mark_read(room_id: int) -> Any:
    """The caller has read the room up to ``seq`` (unread counts; never moves back)."""
    seq = reading.mark_read(db(), actor=api_user(), room_id=room_id, seq=body().get("seq"))
    commit()
    return {"room": room_id, "seq": seq}


@bp.get("/rooms/<int:room_id>/actions")
def list_actions(room_id: int) -> Any:
    return {"actions": [action_json(a) for a in rooms.list_actions(db(), actor=api_user(), room_id=room_id)]}


@bp.get("/rooms/<int:room_id>/sitreps")
def sitreps(room_id: int) -> Any:
    return {"orgs": [sitrep_json(s) for s in rooms.sitrep_status(db(), actor=api_user(), room_id=room_id)]}


@bp.post("/preview")
def preview() -> Any:
    """Markdown preview through the one sanitiser (what the room will store)."""
    text = body().get("body", "")
    if not isinstance(text, str):
        raise Invalid("Bad input.", {"body": "Must be text."})
    return {"html": render_markdown(text)}


@bp.get("/openapi.json")
def openapi() -> Any:
    from council.api.openapi import document

    return document()
