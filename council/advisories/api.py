"""REST of advisories (under /api/v1, declared with its shapes)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from council.advisories import queries, services
from council.advisories import shapes as s
from council.advisories.models import Advisory
from council.advisories.serialize import advisory_json, answer_json, iso
from council.advisories.visibility import load_advisory, sight_of
from council.api.auth import api_user, authenticate
from council.api.contract import READ, endpoint
from council.db import utcnow
from council.extensions import database
from council.web import commit, db

bp = Blueprint("advisories_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def _audience(data: Any) -> dict[str, Any] | None:
    return None if data is None else data.model_dump(exclude_none=True)


@endpoint(bp, "/advisories", "POST", body=s.NewAdvisory, responses={201: s.Published},
          summary="Publish an advisory (the national CERT; a sectoral CERT within its own tree)",
          refusal="The advisory was not published.")
def publish(data: s.NewAdvisory) -> Any:
    advisory = services.publish(db(), actor=api_user(), title=data.title, tlp=data.tlp, severity=data.severity,
                                body=data.body, audience=_audience(data.audience), ack_hours=data.ack_hours,
                                cves=data.cves, products=data.products, actions=data.recommended_actions)
    commit()
    return {"id": advisory.id, "ref": advisory.ref, "version": advisory.version,
            "ack_due_at": iso(advisory.ack_due_at)}, 201


@endpoint(bp, "/advisories", "GET", query=s.AdvisoriesQuery, responses={200: s.Advisories}, errors=(*READ, 422),
          summary="Advisories in the caller's reach, their organisation's unacknowledged ones first")
def list_advisories(args: s.AdvisoriesQuery) -> Any:
    user, now = api_user(), utcnow()
    found = queries.listed(db(), user, now=now, q=args.q, severity=args.severity, cve=args.cve,
                           product=args.product, status=args.status)
    return {"advisories": [advisory_json(db(), item.advisory, sight, item.mine, now, full=False)
                           for item in found if (sight := sight_of(db(), user, item.advisory)) is not None]}


@endpoint(bp, "/advisories/<int:advisory_id>", "GET", responses={200: s.AdvisoryOut},
          summary="One advisory with its versions (404 when not in the caller's reach); records the first read")
def get_advisory(advisory_id: int) -> Any:
    user, now = api_user(), utcnow()
    advisory, sight = load_advisory(db(), user, advisory_id)
    log_read(advisory_id)
    return advisory_json(db(), advisory, sight, services.current_row(db(), advisory, user.org_id), now)


def log_read(advisory_id: int) -> None:
    """The first read of an audience organisation (a GET's own session is read-only)."""
    with database().transaction() as session:
        user = session.merge(api_user(), load=False)
        advisory, sight = load_advisory(session, user, advisory_id)
        services.log_read(session, user=user, advisory=advisory, sight=sight)


@endpoint(bp, "/advisories/<int:advisory_id>/versions", "POST", body=s.NewVersion, responses={201: s.Published},
          summary="Publish the next version (the publisher); a higher severity asks everyone to acknowledge again",
          refusal="No new version was written.")
def new_version(advisory_id: int, data: s.NewVersion) -> Any:
    changes = data.model_dump(exclude_unset=True, exclude={"audience", "note"})
    if "recommended_actions" in changes:
        changes["actions"] = changes.pop("recommended_actions")
    changes = {k: v for k, v in changes.items() if v is not None}
    advisory, reack = services.new_version(db(), actor=api_user(), advisory_id=advisory_id, changes=changes,
                                           audience=_audience(data.audience), note=data.note)
    commit()
    return {"id": advisory.id, "ref": advisory.ref, "version": advisory.version,
            "ack_due_at": iso(advisory.ack_due_at), "reack": reack}, 201


@endpoint(bp, "/advisories/<int:advisory_id>/ack", "POST", body=s.Ack, responses={200: s.Acked},
          summary="Acknowledge for the caller's organisation (once per round), or update its status",
          refusal="Your answer was not recorded.")
def acknowledge(advisory_id: int, data: s.Ack) -> Any:
    row = services.acknowledge(db(), actor=api_user(), advisory_id=advisory_id, applicable=data.applicable,
                               status=data.status, comment=data.comment)
    version = db().get(Advisory, advisory_id).version  # type: ignore[union-attr]
    commit()
    return {**(answer_json(row, utcnow()) or {}), "advisory_id": advisory_id, "version": version}


@endpoint(bp, "/advisories/<int:advisory_id>/matrix", "GET", query=s.MatrixQuery, responses={200: s.Matrix},
          errors=(401, 403, 404, 422), extra_content={200: {"text/csv": {"schema": {"type": "string"}}}},
          summary="Each audience organisation's delivery, first read, acknowledgement, applicability and status "
                  "(the publisher and the national CERT); ?format=csv for a spreadsheet")
def matrix(advisory_id: int, args: s.MatrixQuery) -> Any:
    advisory, rows, helps = queries.matrix(db(), actor=api_user(), advisory_id=advisory_id, now=utcnow())
    if args.format == "csv":
        return queries.matrix_csv(advisory, rows, iso)
    return {"advisory_id": advisory.id, "ref": advisory.ref, "version": advisory.version,
            "round": advisory.ack_round, "orgs": queries.matrix_json(rows, iso), "help": [help_json(h) for h in helps]}


def help_json(h: Any) -> dict[str, Any]:
    return {"id": h.id, "org_id": h.org_id, "org": h.org.name, "version": h.version, "comment": h.comment,
            "requested_by": h.requested_by.name, "requested_at": iso(h.requested_at),
            "resolved_at": iso(h.resolved_at)}


@endpoint(bp, "/advisories/<int:advisory_id>/help/<int:help_id>", "POST", body=s.HelpToggle,
          responses={200: s.HelpOut}, summary="Mark an organisation's request for help resolved, or open again "
          "(the publisher)", refusal="Not changed.")
def resolve_help(advisory_id: int, help_id: int, data: s.HelpToggle) -> Any:
    row = services.resolve_help(db(), actor=api_user(), advisory_id=advisory_id, help_id=help_id,
                                resolved=data.resolved)
    commit()
    return help_json(row)
