"""REST for reports and corrective actions (under /api/v1). Each endpoint: parse
(by its declared shapes), call one service, commit once, answer; the OpenAPI
document is written from the same declarations."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint

from council.api.auth import api_user, authenticate
from council.api.contract import READ, endpoint
from council.extensions import settings
from council.rooms.stream import iso
from council.web import commit, db
from exercises.api import OPTIONAL, optional_body, optional_json
from exercises.reports import actions as register_svc
from exercises.reports import services
from exercises.reports import shapes as s
from exercises.reports.models import Report

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)
ACTION = {200: s.CorrectiveAction}


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
        out["sections"] = [{"key": x.key, "title": x.title, "body": x.body, "body_html": x.body_html,
                            "version": x.version} for x in report.sections]
        out["data"] = json.loads(report.data or "{}")
        out["corrective_actions"] = [{"id": ca.id, "code": ca.code, "area": ca.area, "action": ca.action,
                                      "capability": ca.capability, "element": ca.element,
                                      "responsible_org_id": ca.responsible_org_id, "contact": ca.contact,
                                      "start_date": str(ca.start_date or ""), "due_date": str(ca.due_date or ""),
                                      "status": ca.status} for ca in services.plan_of(db(), report)]
    return out


# --- reports ------------------------------------------------------------------------------------

@endpoint(bp, "/reports", "GET", summary="The reviewers' library: latest published versions the caller may read",
          query=s.LibraryQuery, responses={200: s.Reports}, errors=(*READ, 422))
def library(args: s.LibraryQuery) -> Any:
    found = services.library(db(), actor=api_user(), **services.library_filters(args))
    return {"reports": [report_json(r, full=False) for r in found]}


@endpoint(bp, "/reports", "POST", body=s.NewReport, responses={201: s.ReportOut},
          summary="Start a report drafted from the record of a closed incident room or an ended exercise",
          refusal="The report was not started.")
def start(data: s.NewReport) -> Any:
    report = services.start_report(db(), actor=api_user(), room_id=data.room_id, timezone=settings().timezone)
    commit()
    return report_json(report), 201


@endpoint(bp, "/reports/<int:report_id>", "GET", summary="A report with its sections, figures and improvement plan",
          responses={200: s.ReportOut})
def get_report(report_id: int) -> Any:
    return report_json(services.get_report(db(), api_user(), report_id))


@endpoint(bp, "/reports/<int:report_id>/sections/<key>", "POST", body=s.SectionSave,
          summary="Save a section; refused with 409 and the current text when its version moved on",
          responses={200: s.SectionSaved, 409: s.SectionConflict}, refusal="The section was not saved.")
def save_section(report_id: int, key: str, data: s.SectionSave) -> Any:
    try:
        section = services.save_section(db(), actor=api_user(), report_id=report_id, key=key, body=data.body,
                                        base_version=data.version)
    except services.SectionConflict as err:
        return {"error": err.message, "current": err.current}, 409
    commit()
    return {"key": section.key, "version": section.version, "body_html": section.body_html}


@endpoint(bp, "/reports/<int:report_id>/actions", "POST", body=s.PlanAction, responses={201: s.ActionAdded},
          summary="Add a corrective action to the improvement plan", refusal="The corrective action was not saved.")
def add_action(report_id: int, data: s.PlanAction) -> Any:
    ca = services.save_action(db(), actor=api_user(), report_id=report_id, fields=data.given())
    commit()
    return {"id": ca.id, "code": ca.code}, 201


@endpoint(bp, "/reports/<int:report_id>/submit", "POST", body=s.Submission, responses={200: s.ReportSummary},
          summary="Send for review to named reviewers", refusal="Not sent for review.")
def submit(report_id: int, data: s.Submission) -> Any:
    report = services.submit(db(), actor=api_user(), report_id=report_id, reviewer_emails=data.reviewers)
    commit()
    return report_json(report, full=False)


@endpoint(bp, "/reports/<int:report_id>/comments", "POST", body=s.NewComment, responses={201: s.CommentOut},
          summary="Comment on a section (threaded with parent_id)", refusal="The comment was not saved.")
def comment(report_id: int, data: s.NewComment) -> Any:
    row = services.comment(db(), actor=api_user(), report_id=report_id, section_key=data.section, body=data.body,
                           parent_id=data.parent_id)
    commit()
    return {"id": row.id, "section": row.section_key, "parent_id": row.parent_id, "body_html": row.body_html}, 201


@endpoint(bp, "/reports/<int:report_id>/review", "POST", body=s.Review, responses={200: s.ReportSummary},
          summary="Approve (sign off) or request changes", refusal="Not recorded.")
def review(report_id: int, data: s.Review) -> Any:
    report = services.review(db(), actor=api_user(), report_id=report_id, decision=data.decision, note=data.note)
    commit()
    return report_json(report, full=False)


@endpoint(bp, "/reports/<int:report_id>/publish", "POST", raw_body=optional_json(s.Publication),
          description=OPTIONAL, responses={200: s.ReportSummary},
          summary="Publish (over missing sign-offs only with override_reason)")
def publish(report_id: int) -> Any:
    data = optional_body(s.Publication)
    report = services.publish(db(), actor=api_user(), report_id=report_id, override_reason=data.override_reason)
    commit()
    return report_json(report, full=False)


@endpoint(bp, "/reports/<int:report_id>/revise", "POST", responses={201: s.ReportOut},
          summary="Start a new version from a published report", errors=(401, 403, 404, 409))
def revise(report_id: int) -> Any:
    copy = services.revise(db(), actor=api_user(), report_id=report_id)
    commit()
    return report_json(copy), 201


# --- corrective actions ---------------------------------------------------------------------------

@endpoint(bp, "/corrective-actions", "GET", summary="The council's corrective actions register",
          query=s.RegisterQuery, responses={200: s.CorrectiveActions}, errors=(*READ, 422))
def corrective_actions(args: s.RegisterQuery) -> Any:
    rows = register_svc.register(db(), actor=api_user(), org_id=args.org, status=args.status, overdue=args.overdue,
                                 capability=args.capability)
    return {"corrective_actions": [register_svc.action_json(ca, r) for ca, r in rows]}


@endpoint(bp, "/corrective-actions/<int:action_id>", "GET", summary="A corrective action with its history and links",
          responses=ACTION)
def corrective_action(action_id: int) -> Any:
    ca, report = register_svc.get_action(db(), api_user(), action_id)
    return register_svc.action_json(ca, report)


@endpoint(bp, "/corrective-actions/<int:action_id>/status", "POST", body=s.StatusUpdate, responses=ACTION,
          summary="Owners update the status with a note (done needs an evidence note)", refusal="Not updated.")
def update_status(action_id: int, data: s.StatusUpdate) -> Any:
    ca = register_svc.update_status(db(), actor=api_user(), action_id=action_id, status=data.status, note=data.note)
    commit()
    _ca, report = register_svc.get_action(db(), api_user(), ca.id)
    return register_svc.action_json(ca, report)


@endpoint(bp, "/corrective-actions/<int:action_id>/links", "POST", body=s.NewLink, responses={201: s.CorrectiveAction},
          summary="Link to an inject that re-tests it (validates) or an incident (reappeared / shown_fixed)",
          refusal="Not linked.")
def add_link(action_id: int, data: s.NewLink) -> Any:
    register_svc.link(db(), actor=api_user(), action_id=action_id, relation=data.relation,
                      scenario_id=data.scenario_id, msel_id=data.msel_id, room_id=data.room_id, note=data.note)
    commit()
    ca, report = register_svc.get_action(db(), api_user(), action_id)
    return register_svc.action_json(ca, report), 201
