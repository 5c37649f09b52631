"""REST for indicators: a room's list, add (one or many), paste-to-extract, change,
retire, sightings, search, and exchange (STIX 2.1, MISP, CSV out; STIX and MISP in)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, request

from council import csvfile
from council.api.auth import api_user, authenticate
from council.api.contract import READ, WRITE, endpoint
from council.api.shapes import NotJson, not_json
from council.extensions import database
from council.indicators import exchange, queries, reports, services
from council.indicators import shapes as s
from council.indicators.exchange import misp, stix, table
from council.web import commit, db

bp = Blueprint("indicators_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
EXPORT_ERRORS = (*READ, 409, 422)


def _one(indicator: Any) -> dict[str, Any]:
    indicator, room, _role = services.load_indicator(db(), api_user(), indicator.id)
    return queries.with_hints(db(), api_user(), [(indicator, room)])[0]


@endpoint(bp, "/rooms/<int:room_id>/indicators", "GET", summary="Indicators of a room visible to the caller",
          responses={200: s.Indicators})
def list_indicators(room_id: int) -> Any:
    room, indicators = queries.list_for_room(db(), actor=api_user(), room_id=room_id)
    return {"indicators": queries.with_hints(db(), api_user(), [(i, room) for i in indicators])}


@endpoint(bp, "/rooms/<int:room_id>/indicators", "POST", body=s.NewIndicator, responses={201: s.Added},
          summary="Add an indicator (lead or member); its value is normalised per type")
def add(room_id: int, data: s.NewIndicator) -> Any:
    indicator = services.add_indicator(db(), actor=api_user(), room_id=room_id, given=data.given())
    commit()
    return _one(indicator), 201


@endpoint(bp, "/rooms/<int:room_id>/indicators/bulk", "POST", body=s.Many, responses={201: s.AddedMany},
          summary="Add reviewed indicators in one go (all valid or none); those the room holds are skipped")
def add_bulk(room_id: int, data: s.Many) -> Any:
    extra = {k: v for k, v in data.given().items() if k in ("confidence", "tags")}
    added, skipped = services.add_many(db(), actor=api_user(), room_id=room_id, tlp=data.tlp,
                                       items=[{**p.given(), **extra} for p in data.indicators])
    commit()
    room, _role = services.load_visible(db(), api_user(), room_id)
    return {"added": queries.with_hints(db(), api_user(), [(i, room) for i in added]), "skipped": skipped}, 201


@endpoint(bp, "/rooms/<int:room_id>/indicators/extract", "POST", body=s.Paste, responses={200: s.Extracted},
          summary="Find the indicators in a pasted text, for review (nothing is added)", errors=(*READ, 400, 422))
def extract(room_id: int, data: s.Paste) -> Any:
    return {"found": queries.extract_for_room(db(), actor=api_user(), room_id=room_id, text=data.text)}


@endpoint(bp, "/indicators/<int:indicator_id>", "GET", summary="One indicator with its sightings and hints",
          responses={200: s.Indicator})
def get_indicator(indicator_id: int) -> Any:
    indicator, room, _role = services.load_indicator(db(), api_user(), indicator_id)
    return queries.with_hints(db(), api_user(), [(indicator, room)])[0]


@endpoint(bp, "/indicators/<int:indicator_id>", "PATCH", body=s.Change, responses={200: s.Indicator},
          summary="Change an indicator's marking, confidence, description, tags or times")
def change(indicator_id: int, data: s.Change) -> Any:
    indicator = services.change_indicator(db(), actor=api_user(), indicator_id=indicator_id, given=data.given())
    commit()
    return _one(indicator)


@endpoint(bp, "/indicators/<int:indicator_id>/retire", "POST", responses={200: s.Indicator},
          summary="Retire an indicator (it stays in the record, no longer active)")
def retire(indicator_id: int) -> Any:
    indicator = services.retire_indicator(db(), actor=api_user(), indicator_id=indicator_id)
    commit()
    return _one(indicator)


@endpoint(bp, "/indicators/<int:indicator_id>/sightings", "POST", body=s.NewSighting, responses={201: s.SightingOut},
          summary="Report \"seen by us\" for the caller's organisation")
def sight(indicator_id: int, data: s.NewSighting) -> Any:
    sighting = services.report_sighting(db(), actor=api_user(), indicator_id=indicator_id, seen_at=data.seen_at,
                                        count=data.count, location=data.where, note=data.note, tz=data.tz)
    commit()
    indicator, _room, _role = services.load_indicator(db(), api_user(), indicator_id)
    return {"id": sighting.id, "indicator": indicator_id, "org_id": sighting.org_id,
            "seen_at": services.iso(sighting.seen_at), "count": sighting.count, "seq": sighting.seq,
            "sightings": services.sightings_json(indicator)}, 201


@endpoint(bp, "/indicators/search", "GET", query=s.SearchQuery, responses={200: s.Indicators}, errors=(*READ, 422),
          summary="Indicators the caller may see whose value is q or begins with it (q refanged first)")
def search(args: s.SearchQuery) -> Any:
    rows = queries.search(db(), actor=api_user(), q=args.q, type_=args.type, include_retired=args.retired,
                           include_exercises=args.exercises)
    return {"indicators": queries.with_hints(db(), api_user(), rows)}


# --- an incident report's own ---------------------------------------------------------------

def _report_rows(indicators: list[Any]) -> list[dict[str, Any]]:
    return queries.with_hints(db(), api_user(), [(i, None) for i in indicators])


@endpoint(bp, "/incidents/<int:incident_id>/indicators", "GET", responses={200: s.Indicators},
          summary="Indicators of an incident report (for those who read it in full)")
def report_indicators(incident_id: int) -> Any:
    _incident, indicators = reports.list_for_report(db(), actor=api_user(), incident_id=incident_id)
    return {"indicators": _report_rows(indicators)}


@endpoint(bp, "/incidents/<int:incident_id>/indicators", "POST", body=s.NewIndicator, responses={201: s.Added},
          summary="Add an indicator to an incident report (never looser than the report's marking)")
def add_to_report(incident_id: int, data: s.NewIndicator) -> Any:
    indicator = reports.add_to_report(db(), actor=api_user(), incident_id=incident_id, given=data.given())
    commit()
    return _one(indicator), 201


@endpoint(bp, "/incidents/<int:incident_id>/indicators/bulk", "POST", body=s.Many, responses={201: s.AddedMany},
          summary="Add reviewed indicators to a report in one go (all valid or none)")
def add_bulk_to_report(incident_id: int, data: s.Many) -> Any:
    extra = {k: v for k, v in data.given().items() if k in ("confidence", "tags")}
    added, skipped = reports.add_many_to_report(db(), actor=api_user(), incident_id=incident_id, tlp=data.tlp,
                                                items=[{**p.given(), **extra} for p in data.indicators])
    commit()
    return {"added": _report_rows(added), "skipped": skipped}, 201


@endpoint(bp, "/incidents/<int:incident_id>/indicators/extract", "POST", body=s.Paste, responses={200: s.Extracted},
          summary="Find the indicators in a pasted text, for review against the report", errors=(*READ, 400, 422))
def extract_for_report(incident_id: int, data: s.Paste) -> Any:
    return {"found": reports.extract_for_report(db(), actor=api_user(), incident_id=incident_id, text=data.text)}


@endpoint(bp, "/incidents/<int:incident_id>/indicators/share", "POST", responses={201: s.Shared},
          summary="Copy the report's active indicators into the room it was escalated to")
def share_to_room(incident_id: int) -> Any:
    room, added, skipped = reports.share_to_room(db(), actor=api_user(), incident_id=incident_id)
    commit()
    return {"room": room.id, "added": queries.with_hints(db(), api_user(), [(i, room) for i in added]),
            "skipped": skipped}, 201


# --- exchange -------------------------------------------------------------------------------------

def _export(room_id: int, fmt: str, args: s.ExportQuery) -> tuple[Any, list[Any]]:
    room, indicators = exchange.for_export(db(), actor=api_user(), room_id=room_id, exercise=args.exercise)
    with database().transaction() as session:  # a GET's session reads only: the audit row in its own
        exchange.record_export(session, actor=api_user(), room_id=room.id, fmt=fmt, count=len(indicators),
                               exercise=room.is_exercise)
    return room, indicators


def _json_file(payload: Any, filename: str) -> Response:
    return Response(json.dumps(payload, indent=1, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


ANY_JSON = {200: {"application/json": {"schema": {"type": "object"}}}}


@endpoint(bp, "/rooms/<int:room_id>/export.stix.json", "GET", query=s.ExportQuery, errors=EXPORT_ERRORS,
          summary="The room's indicators and sightings as a STIX 2.1 bundle (TLP 2.0 markings)",
          responses={200: None}, extra_content=ANY_JSON)
def export_stix(room_id: int, args: s.ExportQuery) -> Any:
    room, indicators = _export(room_id, "stix", args)
    return _json_file(stix.bundle(room, indicators, exercise=room.is_exercise), f"room-{room.id}.stix.json")


@endpoint(bp, "/rooms/<int:room_id>/export.misp.json", "GET", query=s.ExportQuery, errors=EXPORT_ERRORS,
          summary="The room's indicators and sightings as a MISP event", responses={200: None},
          extra_content=ANY_JSON)
def export_misp(room_id: int, args: s.ExportQuery) -> Any:
    room, indicators = _export(room_id, "misp", args)
    return _json_file(misp.event(room, indicators, exercise=room.is_exercise), f"room-{room.id}.misp.json")


@endpoint(bp, "/rooms/<int:room_id>/indicators.csv", "GET", query=s.ExportQuery, errors=EXPORT_ERRORS,
          summary="The room's indicators as CSV (formula-neutralised)", responses={200: None},
          extra_content={200: {"text/csv": {"schema": {"type": "string"}}}})
def export_csv(room_id: int, args: s.ExportQuery) -> Any:
    room, indicators = _export(room_id, "csv", args)
    return csvfile.download(table.rows(room, indicators, exercise=room.is_exercise), f"room-{room.id}-indicators.csv")


@endpoint(bp, "/rooms/<int:room_id>/import", "POST", errors=(*WRITE, 413),
          raw_body={"application/json": {"schema": {"type": "object", "description": "A STIX 2.1 bundle or a MISP "
                                                    "event (with or without its {\"Event\": …} wrapper)"}}},
          summary="Import a STIX 2.1 bundle or MISP event: each object validated, all or nothing",
          responses={201: s.Imported, 422: s.ImportRefused})
def import_(room_id: int) -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise NotJson(not_json())
    try:
        fmt, added, skipped = exchange.import_into(db(), actor=api_user(), room_id=room_id, data=data)
    except exchange.ImportRefused as refused:
        db().rollback()
        return {"error": str(refused), "objects": [{"index": i, "message": m} for i, m in refused.errors[:500]]}, 422
    commit()
    return {"added": added, "skipped": skipped, "format": fmt}, 201
