"""REST endpoints of the core. Each one: parse (by its declared shapes), call one
service, commit once, answer. council/api/contract.py writes the OpenAPI document
from the same declarations."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from council.api.auth import api_user, authenticate
from council.api.contract import READ, WRITE, endpoint
from council.api.shapes import NOT_JSON, NotJson
from council.auth import mfa
from council.auth.login import second_factor_mark
from council.auth.people import person_json, search_people
from council.auth.shapes import SecondFactorStatus
from council.errors import Invalid
from council.extensions import settings
from council.orgs.services import list_orgs
from council.rooms import reading, stream
from council.rooms import services as rooms
from council.rooms import shapes as s
from council.rooms.audience import audiences_of
from council.rooms.serialize import action_json, room_json, sitrep_json
from council.rooms.stream import iso
from council.text import render_markdown
from council.web import commit, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def body() -> dict[str, Any]:
    """The JSON object of a request without a declared shape (slices moving over to shapes)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        # 400, not 422: the request is not the API's language at all.
        raise NotJson(_(NOT_JSON))
    return data


def int_arg(name: str, default: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Invalid(_("Bad query parameter."), {name: _("Must be a whole number.")}) from None
    if not 0 <= value < 2**63:
        raise Invalid(_("Bad query parameter."), {name: _("A whole number from 0 to 2^63 - 1.")})
    return value


@endpoint(bp, "/orgs", "GET", summary="Organisations of the council", responses={200: s.Orgs})
def orgs() -> Any:
    return {"orgs": [{"id": o.id, "name": o.name, "kind": o.kind, "tier": o.tier, "sector": o.sector,
                      "parent_id": o.parent_id}
                     for o in list_orgs(db())]}


@endpoint(bp, "/me/mfa", "GET", summary="The caller's second factor: enrolled, required, verified in this session",
          responses={200: SecondFactorStatus}, errors=(401,))
def my_second_factor() -> Any:
    user = api_user()
    state = mfa.status(db(), user, settings().mfa)
    by_token = request.headers.get("Authorization", "").startswith("Bearer ")
    return {"enrolled": state.enrolled, "required": state.required,
            "confirmed_at": iso(state.confirmed_at) if state.confirmed_at else None,
            "recovery_codes_left": state.recovery_left,
            "verified_in_session": not by_token and mfa.session_verified(db(), user, second_factor_mark())}


@endpoint(bp, "/people", "GET", summary="People the caller may name (search as you type)", query=s.PeopleQuery,
          responses={200: s.People}, errors=(*READ, 422))
def people(args: s.PeopleQuery) -> Any:
    found = search_people(db(), actor=api_user(), q=args.q, room_id=args.room)
    return {"people": [person_json(u) for u in found]}


@endpoint(bp, "/rooms", "POST", summary="Open a room (the caller becomes its lead)", body=s.NewRoom,
          responses={201: s.Room}, refusal=_l("The room was not created."))
def create_room(data: s.NewRoom) -> Any:
    room = rooms.create_room(db(), actor=api_user(), title=data.title, summary=data.summary,
                             severity=data.severity, tlp=data.tlp, org_ids=data.orgs, member_emails=data.members)
    commit()
    return room_json(room, "lead"), 201


@endpoint(bp, "/rooms", "GET", summary="Rooms visible to the caller, with their unread counts", query=s.RoomsQuery,
          responses={200: s.Rooms}, errors=(*READ, 422))
def list_rooms(args: s.RoomsQuery) -> Any:
    found = rooms.list_rooms(db(), actor=api_user(), status=args.status, tlp=args.tlp, mine=args.mine,
                             kind=None if args.kind == "all" else args.kind)
    unread = reading.unread_counts(db(), api_user(), found)
    return {"rooms": [{**room_json(r), "unread": unread.get(r.id, 0)} for r in found]}


@endpoint(bp, "/rooms/<int:room_id>", "GET", summary="One room", responses={200: s.Room})
def get_room(room_id: int) -> Any:
    room, role = rooms.get_room(db(), actor=api_user(), room_id=room_id)
    return room_json(room, role)


@endpoint(bp, "/rooms/<int:room_id>/events", "GET", summary="Events after `since` (or before `before`), oldest first",
          query=s.EventsQuery, responses={200: s.Events}, errors=(*READ, 422))
def list_events(room_id: int, args: s.EventsQuery) -> Any:
    room, role = rooms.get_room(db(), actor=api_user(), room_id=room_id)
    events, more = stream.list_events(db(), room, since=args.since, before=args.before, limit=args.limit)
    audiences = audiences_of(db(), api_user(), room, role)
    return {"events": stream.serialize_page(db(), events, room, audiences), "latest_seq": room.last_seq,
            "has_more": more}


@endpoint(bp, "/rooms/<int:room_id>/events", "POST", body=stream.posted_shape,
          summary="Post an event; a repeated client_id returns the first event (200)",
          responses={201: s.Event, 200: s.Event}, refusal=_l("The event was not accepted."))
def post_event(room_id: int, data: Any) -> Any:
    payload = data.given()
    event, created = stream.post(db(), actor=api_user(), room_id=room_id, kind=payload["kind"], payload=payload,
                                 client_id=payload.get("client_id"))
    commit()
    return stream.shown_to_poster(db(), api_user(), event), 201 if created else 200


@endpoint(bp, "/rooms/<int:room_id>/read", "POST", body=s.ReadMark, responses={200: s.Read},
          summary="The caller has read the room up to seq (unread counts; never moves back)", errors=WRITE)
def mark_read(room_id: int, data: s.ReadMark) -> Any:
    seq = reading.mark_read(db(), actor=api_user(), room_id=room_id, seq=data.seq)
    commit()
    return {"room": room_id, "seq": seq}


@endpoint(bp, "/rooms/<int:room_id>/actions", "GET", summary="Action items, current state",
          responses={200: s.Actions})
def list_actions(room_id: int) -> Any:
    return {"actions": [action_json(a) for a in rooms.list_actions(db(), actor=api_user(), room_id=room_id)]}


@endpoint(bp, "/rooms/<int:room_id>/sitreps", "GET", summary="Sitrep state per participating organisation",
          responses={200: s.Sitreps})
def sitreps(room_id: int) -> Any:
    return {"orgs": [sitrep_json(x) for x in rooms.sitrep_status(db(), actor=api_user(), room_id=room_id)]}


@endpoint(bp, "/preview", "POST", summary="Render markdown through the platform's sanitiser", body=s.Preview,
          responses={200: s.PreviewOut}, errors=(400, 401, 422))
def preview(data: s.Preview) -> Any:
    return {"html": render_markdown(data.body)}


@endpoint(bp, "/openapi.json", "GET", summary="This document", public=True, responses={200: None}, errors=())
def openapi() -> Any:
    from council.api.openapi import document

    return document()
