"""REST of incident reporting (under /api/v1, declared with its shapes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_babel import gettext as _

from council.api.auth import api_user, authenticate
from council.api.contract import READ, endpoint
from council.db import utcnow
from council.errors import Forbidden
from council.extensions import database, settings
from council.reporting import clocks, regimes, services, stats
from council.reporting import shapes as s
from council.reporting.serialize import incident_json, stage_json
from council.reporting.visibility import load_incident
from council.rooms.services import get_room
from council.web import commit, db

bp = Blueprint("reporting_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


@endpoint(bp, "/regimes", "GET", summary="The reporting regimes in force (their current versions)",
          responses={200: s.Regimes})
def list_regimes() -> Any:
    return {"regimes": [regimes.regime_json(r) for r in regimes.current(db())]}


@endpoint(bp, "/regimes", "POST", summary="Write the next version of a regime (national CERT administrators)",
          body=s.RegimeVersion, responses={201: s.RegimeOut}, refusal="The regime was not saved.")
def save_regime(data: s.RegimeVersion) -> Any:
    fields = data.given()
    regime = regimes.save_version(db(), actor=api_user(), key=data.key, title=data.title, sectors=data.sectors,
                                  audience=data.audience, description=data.description,
                                  stages=fields["stages"])
    commit()
    return regimes.regime_json(regime), 201


@endpoint(bp, "/incidents", "POST", summary="File an incident for the caller's organisation "
          "(a repeated client_id returns the first, 200)", body=s.NewIncident,
          responses={201: s.IncidentOut, 200: s.IncidentOut}, refusal="The incident was not filed.")
def file_incident(data: s.NewIncident) -> Any:
    actor = api_user()
    room_id = None
    if data.room_id is not None:
        room, role = get_room(db(), actor=actor, room_id=data.room_id)
        if role not in ("lead", "member"):
            raise Forbidden(_("File an incident from a room you write in."))
        room_id = room.id
    given = data.given()
    incident, created = services.file_incident(
        db(), actor=actor, title=data.title, type=data.type, detected_at=data.detected_at, aware_at=data.aware_at,
        tz=data.tz, description=data.description, tlp=data.tlp,
        classification=given.get("classification") and {"class": data.classification.class_,
                                                         "type": data.classification.type},
        impact=given.get("impact"), cross_sector=data.cross_sector, cross_border=data.cross_border,
        regime_keys=data.regimes, client_id=data.client_id, room_id=room_id)
    commit()
    incident, sight = load_incident(db(), actor, incident.id)
    return incident_json(db(), incident, sight, utcnow()), 201 if created else 200


@endpoint(bp, "/incidents", "GET", summary="Incidents the caller may see (stubs where only a stub may be seen)",
          query=s.IncidentsQuery, responses={200: s.Incidents}, errors=(*READ, 422))
def list_incidents(args: s.IncidentsQuery) -> Any:
    from council.reporting.queries import listed

    found = listed(db(), api_user(), status=args.status, sector=args.sector, overdue=args.overdue == "1",
                   exercise=None if args.exercise is None else args.exercise == "1")
    return {"incidents": found}


@endpoint(bp, "/incidents/<int:incident_id>", "GET", summary="One incident (404 if not visible; a stub when "
          "only a stub may be seen)", responses={200: s.IncidentOut})
def get_incident(incident_id: int) -> Any:
    actor = api_user()
    incident, sight = load_incident(db(), actor, incident_id)
    log_read(incident.id)
    return incident_json(db(), incident, sight, utcnow())


def log_read(incident_id: int) -> None:
    """Reads by other organisations are logged (a GET's own session is read-only)."""
    with database().transaction() as session:
        user = session.merge(api_user(), load=False)
        incident, sight = load_incident(session, user, incident_id)
        services.log_read(session, user=user, incident=incident, sight=sight)


@endpoint(bp, "/rooms/<int:room_id>/incidents", "GET", responses={200: s.Incidents},
          summary="The incident reports linked to a room that the caller may see (with their clocks)")
def room_incidents(room_id: int) -> Any:
    actor = api_user()
    room, _role = get_room(db(), actor=actor, room_id=room_id)
    now = utcnow()
    return {"incidents": [incident_json(db(), i, sight, now, summary=True)
                          for i, sight in services.incidents_of_room(db(), actor, room.id)]}


@endpoint(bp, "/incidents/<int:incident_id>/stages/<key>", "POST", body=s.StageSubmission,
          summary="Submit a stage (the reporter's organisation); after its deadline it is marked late",
          responses={201: s.Submitted}, refusal="The stage was not submitted.")
def submit_stage(incident_id: int, key: str, data: s.StageSubmission) -> Any:
    stage = services.submit_stage(db(), actor=api_user(), incident_id=incident_id, key=key, body=data.body,
                                  fields=data.fields, regime_key=data.regime)
    commit()
    from council.rooms.stream import iso

    return {"status": "submitted", "late": stage.late, "submitted_at": iso(stage.submitted_at)}, 201


@endpoint(bp, "/incidents/<int:incident_id>/stages/<key>/review", "POST", body=s.StageReview,
          summary="Accept a submission (forwarding it up the chain) or request a revision (the reviewer)",
          responses={200: s.StageReviewed}, refusal="Not reviewed.")
def review_stage(incident_id: int, key: str, data: s.StageReview) -> Any:
    actor = api_user()
    stage = services.review_stage(db(), actor=actor, incident_id=incident_id, key=key, decision=data.decision,
                                  comment=data.comment, regime_key=data.regime)
    commit()
    incident, sight = load_incident(db(), actor, incident_id)
    return stage_json(stage, sight, utcnow(), clocks.drill_clock(db(), incident.clock_room_id))


@endpoint(bp, "/incidents/<int:incident_id>/consent", "POST", body=s.Consent, responses={200: s.ConsentOut},
          summary="The reporter consents to forwarding an AMBER+STRICT or RED report in full")
def consent(incident_id: int, data: s.Consent) -> Any:
    incident = services.consent(db(), actor=api_user(), incident_id=incident_id, forward=data.forward)
    commit()
    return {"id": incident.id, "ref": incident.ref, "consent_full": incident.consent_full}


@endpoint(bp, "/incidents/<int:incident_id>/room", "POST", body=s.RoomLink, responses={201: s.RoomOut},
          summary="Open a coordination room from the incident, or link a room you lead (reviewer, national CERT)")
def open_room(incident_id: int, data: s.RoomLink) -> Any:
    room = services.open_room(db(), actor=api_user(), incident_id=incident_id, room_id=data.room_id)
    commit()
    return {"room_id": room.id}, 201


@endpoint(bp, "/incidents/<int:incident_id>/reads", "GET", responses={200: s.Reads},
          summary="Who of other organisations read the report, and when (the reporter's organisation)",
          errors=(401, 403, 404))
def reads(incident_id: int) -> Any:
    from council.rooms.stream import iso

    rows = services.reads_of(db(), actor=api_user(), incident_id=incident_id)
    return {"reads": [{"org_id": r.org_id, "org": r.org.name, "user_id": r.user_id, "user": r.user.name,
                       "at": iso(r.at), "full": r.full} for r in rows]}


@endpoint(bp, "/incidents/board", "GET", query=s.BoardQuery, responses={200: s.Board}, errors=(*READ, 403, 422),
          summary="The national board: stage states by sector, class and stage (national CERT; no drills)")
def national_board(args: s.BoardQuery) -> Any:
    user = api_user()
    if user.org.tier != "national":
        raise Forbidden(_("The national board is the national CERT's."))
    return stats.board(db(), user, days=None if args.days == "all" else int(args.days))


@endpoint(bp, "/incidents/stats", "GET", query=s.StatsQuery, responses={200: s.Stats}, errors=(*READ, 422),
          summary="Per month × sector × class: counts, median hours to each stage, share late (no drills)",
          extra_content={200: {"text/csv": {"schema": {"type": "string"}}}})
def statistics(args: s.StatsQuery) -> Any:
    rows, order = stats.statistics_rows(db(), api_user(), year=args.year)
    if args.format == "csv":
        from council.reporting.queries import stats_csv

        return stats_csv(rows, order, settings().timezone)
    return {"rows": rows, "stages": order}
