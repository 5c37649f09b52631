"""REST for reports and corrective actions (under /api/v1, in the OpenAPI document)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, request

from council.api.auth import api_user, authenticate
from council.api.routes import body
from council.extensions import settings
from council.rooms.stream import iso
from council.web import commit, db
from exercises.reports import actions as register_svc
from exercises.reports import services
from exercises.reports.models import Report

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)


def report_json(report: Report, *, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": report.id, "family_id": report.family_id, "version": report.version, "previous_id": report.previous_id,
        "room_id": report.room_id, "exercise_id": report.exercise_id, "kind": report.kind,
        "exercise": report.kind == "exercise", "title": report.title, "tlp": report.tlp, "status": report.status,
        "published_at": iso(report.published_at), "override_reason": report.override_reason,
        "reviewers": [{"user_id": r.user_id, "name": r.user.name, "org_id": r.org_id, "org": r.org.name,
                       "state": r.state, "note": r.note} for r in report.reviewers],
        "missing_signoffs": services.missing_signoffs(report),
    }
    if full:
        out["sections"] = [{"key": s.key, "title": s.title, "body": s.body, "body_html": s.body_html,
                            "version": s.version} for s in report.sections]
        out["data"] = json.loads(report.data or "{}")
        out["corrective_actions"] = [{"id": ca.id, "code": ca.code, "area": ca.area, "action": ca.action,
                                      "capability": ca.capability, "element": ca.element,
                                      "responsible_org_id": ca.responsible_org_id, "contact": ca.contact,
                                      "start_date": str(ca.start_date or ""), "due_date": str(ca.due_date or ""),
                                      "status": ca.status} for ca in services.plan_of(db(), report)]
    return out


@bp.get("/reports")
def library() -> Any:
    args = request.args
    found = services.library(db(), actor=api_user(), kind=args.get("type") or None, sector=args.get("sector") or None,
                             year=args.get("year", type=int), capability=args.get("capability") or None,
                             org_id=args.get("org", type=int), query=args.get("q", ""))
    return {"reports": [report_json(r, full=False) for r in found]}


@bp.post("/reports")
def start() -> Any:
    report = services.start_report(db(), actor=api_user(), room_id=body().get("room_id"),
                                   timezone=settings().timezone)
    commit()
    return report_json(report), 201


@bp.get("/reports/<int:report_id>")
def get_report(report_id: int) -> Any:
    return report_json(services.get_report(db(), api_user(), report_id))


@bp.post("/reports/<int:report_id>/sections/<key>")
def save_section(report_id: int, key: str) -> Any:
    data = body()
    try:
        section = services.save_section(db(), actor=api_user(), report_id=report_id, key=key, body=data.get("body"),
                                        base_version=data.get("version"))
    except services.SectionConflict as err:
        return {"error": err.message, "current": err.current}, 409
    commit()
    return {"key": section.key, "version": section.version, "body_html": section.body_html}


@bp.post("/reports/<int:report_id>/actions")
def add_action(report_id: int) -> Any:
    ca = services.save_action(db(), actor=api_user(), report_id=report_id, fields=body())
    commit()
    return {"id": ca.id, "code": ca.code}, 201


@bp.post("/reports/<int:report_id>/submit")
def submit(report_id: int) -> Any:
    report = services.submit(db(), actor=api_user(), report_id=report_id, reviewer_emails=body().get("reviewers"))
    commit()
    return report_json(report, full=False)


@bp.post("/reports/<int:report_id>/comments")
def comment(report_id: int) -> Any:
    data = body()
    row = services.comment(db(), actor=api_user(), report_id=report_id, section_key=data.get("section"),
                           body=data.get("body"), parent_id=data.get("parent_id"))
    commit()
    return {"id": row.id, "section": row.section_key, "parent_id": row.parent_id, "body_html": row.body_html}, 201


@bp.post("/reports/<int:report_id>/review")
def review(report_id: int) -> Any:
    data = body()
    report = services.review(db(), actor=api_user(), report_id=report_id, decision=data.get("decision"),
                             note=data.get("note", ""))
    commit()
    return report_json(report, full=False)


@bp.post("/reports/<int:report_id>/publish")
def publish(report_id: int) -> Any:
    data = request.get_json(silent=True) or {}
    report = services.publish(db(), actor=api_user(), report_id=report_id,
                              override_reason=data.get("override_reason", "") if isinstance(data, dict) else "")
    commit()
    return report_json(report, full=False)


@bp.post("/reports/<int:report_id>/revise")
def revise(report_id: int) -> Any:
    copy = services.revise(db(), actor=api_user(), report_id=report_id)
    commit()
    return report_json(copy), 201


@bp.get("/corrective-actions")
def corrective_actions() -> Any:
    args = request.args
    rows = register_svc.register(db(), actor=api_user(), org_id=args.get("org", type=int),
                                 status=args.get("status") or None, overdue=args.get("overdue") in ("1", "true"),
                                 capability=args.get("capability") or None)
    return {"corrective_actions": [register_svc.action_json(ca, r) for ca, r in rows]}


@bp.get("/corrective-actions/<int:action_id>")
def corrective_action(action_id: int) -> Any:
    ca, report = register_svc.get_action(db(), api_user(), action_id)
    return register_svc.action_json(ca, report)


@bp.post("/corrective-actions/<int:action_id>/status")
def update_status(action_id: int) -> Any:
    data = body()
    ca = register_svc.update_status(db(), actor=api_user(), action_id=action_id, status=data.get("status"),
                                    note=data.get("note"))
    commit()
    _ca, report = register_svc.get_action(db(), api_user(), ca.id)
    return register_svc.action_json(ca, report)


@bp.post("/corrective-actions/<int:action_id>/links")
def add_link(action_id: int) -> Any:
    data = body()
    register_svc.link(db(), actor=api_user(), action_id=action_id, relation=data.get("relation"),
                      scenario_id=data.get("scenario_id"), msel_id=data.get("msel_id", ""),
                      room_id=data.get("room_id"), note=data.get("note", ""))
    commit()
    ca, report = register_svc.get_action(db(), api_user(), action_id)
    return register_svc.action_json(ca, report), 201
