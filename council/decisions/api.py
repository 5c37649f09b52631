"""REST for decisions: under /api/v1/rooms/<id>/decisions… and the register."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time
from typing import Any

from flask import Blueprint, request

from council.api.auth import api_user, authenticate
from council.api.contract import READ, endpoint
from council.decisions import services
from council.decisions import shapes as s
from council.decisions.export import register_rows, rows_as_csv
from council.extensions import database
from council.rooms import stream
from council.web import commit, db

bp = Blueprint("decisions_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
STEP = {201: s.Step, 200: s.Step}


def _step(room_id: int, payload: dict[str, Any]) -> Any:
    """Post one decision step through the room's stream; answer with the decision."""
    event, created = stream.post(db(), actor=api_user(), room_id=room_id, kind="decision", payload=payload,
                                 client_id=payload.get("client_id"))
    commit()
    room, _role, decision = services.load_decision(db(), api_user(), room_id, int(
        json.loads(event.data)["decision_id"]))
    return {**services.decision_json(db(), decision, room), "event_seq": event.seq}, 201 if created else 200


@endpoint(bp, "/rooms/<int:room_id>/decisions", "GET", summary="Decisions of a room visible to the caller",
          responses={200: s.Decisions})
def list_decisions(room_id: int) -> Any:
    room, decisions = services.list_for_room(db(), actor=api_user(), room_id=room_id)
    return {"decisions": [services.decision_json(db(), d, room) for d in decisions]}


@endpoint(bp, "/rooms/<int:room_id>/decisions", "POST", summary="Propose a decision (lead or member)",
          body=s.Proposal, responses=STEP)
def propose(room_id: int, data: s.Proposal) -> Any:
    return _step(room_id, {**data.given(), "op": "propose"})


@endpoint(bp, "/rooms/<int:room_id>/decisions/<int:decision_id>", "GET",
          summary="One decision with the history of positions", responses={200: s.Decision})
def get_decision(room_id: int, decision_id: int) -> Any:
    room, _role, decision = services.load_decision(db(), api_user(), room_id, decision_id)
    return services.decision_json(db(), decision, room, history=True)


@endpoint(bp, "/rooms/<int:room_id>/decisions/<int:decision_id>/positions", "POST", body=s.Position,
          summary="Cast or change your organisation's position (replaces: the current position's id)",
          responses=STEP)
def cast(room_id: int, decision_id: int, data: s.Position) -> Any:
    return _step(room_id, {**data.given(), "op": "position", "decision_id": decision_id})


@endpoint(bp, "/rooms/<int:room_id>/decisions/<int:decision_id>/close", "POST", body=s.Closing,
          summary="Close (lead): outcome, tally and dissent are frozen", responses=STEP)
def close(room_id: int, decision_id: int, data: s.Closing) -> Any:
    return _step(room_id, {**data.given(), "op": "close", "decision_id": decision_id})


@endpoint(bp, "/rooms/<int:room_id>/decisions/<int:decision_id>/supersede", "POST", body=s.Proposal,
          summary="Propose a new decision that supersedes this closed one", responses=STEP)
def supersede(room_id: int, decision_id: int, data: s.Proposal) -> Any:
    return _step(room_id, {**data.given(), "op": "propose", "supersedes": decision_id})


def register_filters(args: s.RegisterQuery) -> dict[str, Any]:
    """The register's filters (shared with the page and exports): dates are whole days, UTC."""
    def day(value: Any) -> datetime | None:
        return None if value is None else datetime.combine(value, time(), tzinfo=UTC)

    return {"status": args.status, "outcome": args.outcome, "org_id": args.org, "date_from": day(args.from_),
            "date_to": day(args.to), "type_": args.type, "public": args.public}


@endpoint(bp, "/decisions", "GET", query=s.RegisterQuery, responses={200: s.Decisions},
          summary="The council decision register (incident rooms); format=csv|json exports (audited)",
          errors=(*READ, 422), extra_content={200: {"text/csv": {"schema": {"type": "string"}}}})
def decision_register(args: s.RegisterQuery) -> Any:
    rows = services.register(db(), actor=api_user(), **register_filters(args))
    if args.format in ("csv", "json"):
        audit_export(args.format, len(rows))
    if args.format == "csv":
        return rows_as_csv(register_rows(db(), rows))
    return {"decisions": [services.decision_json(db(), d, r) for d, r in rows]}


def audit_export(fmt: str, rows: int) -> None:
    """Exports are audited; a GET's own session is read-only, so in a short write of its own."""
    with database().transaction() as session:
        services.record_export(session, actor=api_user(), fmt=fmt, count_=rows, filters=request.args.to_dict())
