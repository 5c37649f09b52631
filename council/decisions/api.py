"""REST for decisions: under /api/v1/rooms/<id>/decisions… and the register."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request

from council.api.auth import api_user, authenticate
from council.api.routes import body, int_arg
from council.decisions import services
from council.decisions.export import register_rows, rows_as_csv
from council.errors import Invalid
from council.extensions import database
from council.rooms import stream
from council.rooms.kinds import parse_time
from council.web import commit, db

bp = Blueprint("decisions_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def _step(room_id: int, payload: dict[str, Any]) -> Any:
    """Post one decision step through the room's stream; answer with the decision."""
    event, created = stream.post(db(), actor=api_user(), room_id=room_id, kind="decision", payload=payload,
                                 client_id=payload.get("client_id"))
    commit()
    room, _role, decision = services.load_decision(db(), api_user(), room_id, int(
        json.loads(event.data)["decision_id"]))
    return {**services.decision_json(db(), decision, room), "event_seq": event.seq}, 201 if created else 200


@bp.get("/rooms/<int:room_id>/decisions")
def list_decisions(room_id: int) -> Any:
    room, decisions = services.list_for_room(db(), actor=api_user(), room_id=room_id)
    return {"decisions": [services.decision_json(db(), d, room) for d in decisions]}


@bp.post("/rooms/<int:room_id>/decisions")
def propose(room_id: int) -> Any:
    data = body()
    payload = {k: data.get(k) for k in ("title", "background", "options", "rule", "deadline", "tlp", "tz",
                                         "supersedes", "client_id") if k in data}
    return _step(room_id, {**payload, "op": "propose"})


@bp.get("/rooms/<int:room_id>/decisions/<int:decision_id>")
def get_decision(room_id: int, decision_id: int) -> Any:
    room, _role, decision = services.load_decision(db(), api_user(), room_id, decision_id)
    return services.decision_json(db(), decision, room, history=True)


@bp.post("/rooms/<int:room_id>/decisions/<int:decision_id>/positions")
def cast(room_id: int, decision_id: int) -> Any:
    data = body()
    payload = {k: data.get(k) for k in ("position", "comment", "replaces", "client_id") if k in data}
    return _step(room_id, {**payload, "op": "position", "decision_id": decision_id})


@bp.post("/rooms/<int:room_id>/decisions/<int:decision_id>/close")
def close(room_id: int, decision_id: int) -> Any:
    data = body()
    payload = {k: data.get(k) for k in ("rationale", "choice", "client_id") if k in data}
    return _step(room_id, {**payload, "op": "close", "decision_id": decision_id})


@bp.post("/rooms/<int:room_id>/decisions/<int:decision_id>/supersede")
def supersede(room_id: int, decision_id: int) -> Any:
    data = body()
    payload = {k: data.get(k) for k in ("title", "background", "options", "rule", "deadline", "tlp", "tz",
                                         "client_id") if k in data}
    return _step(room_id, {**payload, "op": "propose", "supersedes": decision_id})


def register_filters() -> dict[str, Any]:
    """The register's filters from the query string (shared with the page and exports)."""
    org = int_arg("org")
    date_from = parse_time(request.args.get("from") or None, "from")
    date_to = parse_time(request.args.get("to") or None, "to")
    status, outcome = request.args.get("status") or None, request.args.get("outcome") or None
    if status not in (None, "open", "closed"):
        raise Invalid("Bad filter.", {"status": "open or closed."})
    if outcome not in (None, "adopted", "rejected", "no_quorum"):
        raise Invalid("Bad filter.", {"outcome": "adopted, rejected or no_quorum."})
    return {"status": status, "outcome": outcome, "org_id": org, "date_from": date_from, "date_to": date_to}


@bp.get("/decisions")
def decision_register() -> Any:
    filters = register_filters()
    rows = services.register(db(), actor=api_user(), **filters)
    fmt = request.args.get("format")
    if fmt in ("csv", "json"):
        audit_export(fmt, len(rows))
    if fmt == "csv":
        return rows_as_csv(register_rows(db(), rows))
    return {"decisions": [services.decision_json(db(), d, r) for d, r in rows]}


def audit_export(fmt: str, rows: int) -> None:
    """Exports are audited; a GET's own session is read-only, so in a short write of its own."""
    with database().transaction() as session:
        services.record_export(session, actor=api_user(), fmt=fmt, count_=rows, filters=request.args.to_dict())


def _openapi() -> None:
    from council.api.openapi import ERRORS, WRITE_ERRORS, _json, _ok, add_paths

    ref = {"$ref": "#/components/schemas/Decision"}
    room = {"name": "room_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    dec = {"name": "decision_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    proposal = {"type": "object", "required": ["title"], "properties": {
        "title": {"type": "string", "maxLength": 300}, "background": {"type": "string"},
        "options": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 8,
                    "description": "Default approve / reject (positions support / object / abstain)"},
        "rule": {"type": "string", "enum": ["chair", "majority", "two-thirds", "consensus"]},
        "deadline": {"type": "string", "format": "date-time"}, "tz": {"type": "string"},
        "tlp": {"type": "string", "description": "Never looser than the room's"},
        "client_id": {"type": "string"}}}
    add_paths({
        "/rooms/{room_id}/decisions": {
            "get": {"summary": "Decisions of a room visible to the caller", "parameters": [room],
                    "responses": {"200": _ok({"type": "object", "properties": {
                        "decisions": {"type": "array", "items": ref}}}), **ERRORS}},
            "post": {"summary": "Propose a decision (lead or member)", "parameters": [room],
                     "requestBody": {"required": True, **_json(proposal)},
                     "responses": {"201": _ok(ref, "Proposed"), **WRITE_ERRORS}}},
        "/rooms/{room_id}/decisions/{decision_id}": {"get": {
            "summary": "One decision with the history of positions", "parameters": [room, dec],
            "responses": {"200": _ok(ref), **ERRORS}}},
        "/rooms/{room_id}/decisions/{decision_id}/positions": {"post": {
            "summary": "Cast or change your organisation's position (replaces: the current position's id)",
            "parameters": [room, dec], "requestBody": {"required": True, **_json({"type": "object",
                "required": ["position"], "properties": {
                    "position": {"type": "string"}, "comment": {"type": "string"},
                    "replaces": {"type": "integer"}, "client_id": {"type": "string"}}})},
            "responses": {"201": _ok(ref, "Position recorded"), **WRITE_ERRORS}}},
        "/rooms/{room_id}/decisions/{decision_id}/close": {"post": {
            "summary": "Close (lead): outcome, tally and dissent are frozen", "parameters": [room, dec],
            "requestBody": {"required": True, **_json({"type": "object", "required": ["rationale"], "properties": {
                "rationale": {"type": "string"},
                "choice": {"type": "string", "description": "Chair rule only: adopted, rejected or an option"},
                "client_id": {"type": "string"}}})},
            "responses": {"201": _ok(ref, "Closed"), **WRITE_ERRORS}}},
        "/rooms/{room_id}/decisions/{decision_id}/supersede": {"post": {
            "summary": "Propose a new decision that supersedes this closed one", "parameters": [room, dec],
            "requestBody": {"required": True, **_json(proposal)},
            "responses": {"201": _ok(ref, "Proposed"), **WRITE_ERRORS}}},
        "/decisions": {"get": {
            "summary": "The council decision register (incident rooms); format=csv|json exports (audited)",
            "parameters": [
                {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "closed"]}},
                {"name": "outcome", "in": "query",
                 "schema": {"type": "string", "enum": ["adopted", "rejected", "no_quorum"]}},
                {"name": "org", "in": "query", "schema": {"type": "integer"}},
                {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["csv", "json"]}}],
            "responses": {"200": {"description": "Decisions (JSON), or the CSV export", "content": {
                "application/json": {"schema": {"type": "object", "properties": {
                    "decisions": {"type": "array", "items": ref}}}},
                "text/csv": {"schema": {"type": "string"}}}}, **ERRORS}}},
    }, {"Decision": {"type": "object", "required": ["id", "room", "title", "rule", "tlp", "status", "tally"],
                     "properties": {
                         "id": {"type": "integer"}, "room": {"type": "integer"}, "title": {"type": "string"},
                         "options": {"type": "array", "items": {"type": "string"}},
                         "rule": {"type": "string"}, "tlp": {"type": "string"},
                         "status": {"type": "string", "enum": ["open", "closed"]},
                         "outcome": {"type": ["string", "null"], "enum": ["adopted", "rejected", "no_quorum", None]},
                         "chosen_option": {"type": ["string", "null"]}, "tally": {"type": "object"},
                         "positions": {"type": "array", "items": {"type": "object"}},
                         "dissent": {"type": "array", "items": {"type": "object"}},
                         "supersedes": {"type": ["integer", "null"]},
                         "superseded_by": {"type": ["integer", "null"]},
                         "actions": {"type": "array", "items": {"type": "object"}}}}})


_openapi()
