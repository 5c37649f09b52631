"""Pages: the reviewers' library, a report (reading, editing, review, versions,
exports) and the council's corrective actions register."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from council.api.shapes import parse_args
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.errors import Conflict, Invalid, NotFound
from council.extensions import database, settings
from council.orgs.models import SECTORS
from council.orgs.services import list_orgs
from council.rooms.models import TLPS
from council.web import commit, db, flash_errors
from exercises.reports import actions as register_svc
from exercises.reports import services
from exercises.reports.export import charts, marking, to_html, to_markdown, to_pdf
from exercises.reports.models import CA_STATUSES, ELEMENTS, SECTIONS
from exercises.reports.shapes import LibraryQuery, RegisterQuery
from exercises.runs.shapes import form_id
from exercises.vocab import CAPABILITIES

bp = Blueprint("reports", __name__, url_prefix="/reports")
actions_bp = Blueprint("actions", __name__, url_prefix="/actions")


def _csrf_ok() -> bool:
    if ActionForm().validate_on_submit():
        return True
    flash(_("The form expired. Reload the page and try again."), "error")
    return False


def _back(report_id: int, anchor: str = "") -> Any:
    return redirect(url_for("reports.show", report_id=report_id) + anchor)


@bp.get("/")
def library() -> Any:
    args = request.args
    filters = services.library_filters(parse_args(LibraryQuery, args, form=True))
    found = services.library(db(), actor=current_account(), **filters)
    return render_template("exercises/reports/library.html", reports=found, args=args, sectors=SECTORS,
                           capabilities=CAPABILITIES, orgs=list_orgs(db()),
                           eligible=services.eligible_rooms(db(), current_account()), action_form=ActionForm(),
                           mine=_my_drafts())


def _my_drafts() -> list[Any]:
    from sqlalchemy import select

    from exercises.reports.models import Report

    rows = db().scalars(select(Report).where(Report.status != "published").order_by(Report.id.desc()))
    actor = current_account()
    return [r for r in rows if services.can_read(db(), actor, r)]


@bp.post("/")
def start() -> Any:
    if not _csrf_ok():
        return redirect(url_for("reports.library"))
    try:
        report = services.start_report(db(), actor=current_account(), room_id=request.form.get("room_id", type=form_id),
                                       timezone=settings().timezone)
    except (Invalid, Conflict) as err:
        flash_errors(err)
        return redirect(url_for("reports.library"))
    commit()
    flash(_("Draft generated from the record. Write the executive summary and review every section."), "success")
    return redirect(url_for("reports.edit", report_id=report.id))


@bp.get("/<int:report_id>")
def show(report_id: int) -> Any:
    actor = current_account()
    report = services.get_report(db(), actor, report_id)
    comments = services.comments_of(db(), report)
    threads: dict[str, list[Any]] = {}
    for c in comments:
        threads.setdefault(c.section_key, []).append(c)
    return render_template(
        "exercises/reports/show.html", report=report, plan=services.plan_of(db(), report), charts=charts(report),
        mark=marking(report), threads=threads, versions=services.versions_of(db(), actor, report),
        author=services.is_author(db(), report, actor), reviewer=services.is_reviewer(report, actor),
        lead=services.is_lead_of(db(), report.room, actor), missing=services.missing_signoffs(report),
        proposed=services.proposed_reviewers(db(), report) if report.status == "draft" else [],
        action_form=ActionForm())


@bp.get("/<int:report_id>/edit")
def edit(report_id: int) -> Any:
    actor = current_account()
    report = services.get_report(db(), actor, report_id)
    if not services.is_author(db(), report, actor) or report.status == "published":
        return _back(report_id)
    return render_template("exercises/reports/edit.html", report=report, plan=services.plan_of(db(), report),
                           orgs=list_orgs(db()), capabilities=CAPABILITIES, elements=ELEMENTS,
                           statuses=CA_STATUSES, tlps=TLPS, action_form=ActionForm(), conflict=None)


@bp.post("/<int:report_id>/sections/<key>")
def save_section(report_id: int, key: str) -> Any:
    if not _csrf_ok():
        return redirect(url_for("reports.edit", report_id=report_id))
    body = request.form.get("body", "")
    try:
        services.save_section(db(), actor=current_account(), report_id=report_id, key=key, body=body,
                              base_version=request.form.get("version", type=int))
    except services.SectionConflict as err:
        db().rollback()
        report = services.get_report(db(), current_account(), report_id)
        return render_template("exercises/reports/edit.html", report=report, plan=services.plan_of(db(), report),
                               orgs=list_orgs(db()), capabilities=CAPABILITIES, elements=ELEMENTS,
                               statuses=CA_STATUSES, tlps=TLPS, action_form=ActionForm(),
                               conflict={"key": key, "mine": body, "message": err.message, **err.current}), 409
    except (Invalid, Conflict) as err:
        flash_errors(err)
        return redirect(url_for("reports.edit", report_id=report_id))
    commit()
    flash(_("%(section)s saved.", section=SECTIONS.get(key, key)), "success")
    return redirect(url_for("reports.edit", report_id=report_id) + f"#section-{key}")


@bp.post("/<int:report_id>/meta")
def save_meta(report_id: int) -> Any:
    if _csrf_ok():
        try:
            services.set_title(db(), actor=current_account(), report_id=report_id, title=request.form.get("title"),
                               tlp=request.form.get("tlp"))
        except (Invalid, Conflict) as err:
            flash_errors(err)
        else:
            commit()
            flash(_("Saved."), "success")
    return redirect(url_for("reports.edit", report_id=report_id))


@bp.post("/<int:report_id>/actions")
@bp.post("/<int:report_id>/actions/<int:action_id>")
def save_action(report_id: int, action_id: int | None = None) -> Any:
    if _csrf_ok():
        fields = {k: request.form.get(k) for k in ("area", "capability", "action", "element", "responsible_org_id",
                                                   "contact", "start_date", "due_date", "status")}
        try:
            if request.form.get("delete") and action_id:
                services.delete_action(db(), actor=current_account(), report_id=report_id, action_id=action_id)
            else:
                services.save_action(db(), actor=current_account(), report_id=report_id, fields=fields,
                                     action_id=action_id)
        except (Invalid, Conflict) as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Improvement plan saved."), "success")
    return redirect(url_for("reports.edit", report_id=report_id) + "#plan")


def _step(report_id: int, fn: Any, message: str, **kwargs: Any) -> Any:
    if _csrf_ok():
        try:
            fn(db(), actor=current_account(), report_id=report_id, **kwargs)
        except (Invalid, Conflict) as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(message, "success")
    return _back(report_id)


@bp.post("/<int:report_id>/submit")
def submit(report_id: int) -> Any:
    emails = [e for e in request.form.get("reviewers", "").replace(",", " ").split() if e]
    return _step(report_id, services.submit, _("Sent for review."), reviewer_emails=emails)


@bp.post("/<int:report_id>/comments")
def comment(report_id: int) -> Any:
    section = request.form.get("section", "")
    _step(report_id, services.comment, _("Comment added."), section_key=section,
          body=request.form.get("body", ""), parent_id=request.form.get("parent_id"))
    return _back(report_id, f"#section-{section}")


@bp.post("/<int:report_id>/review")
def review(report_id: int) -> Any:
    return _step(report_id, services.review, _("Your review is recorded."), decision=request.form.get("decision"),
                 note=request.form.get("note", ""))


@bp.post("/<int:report_id>/publish")
def publish(report_id: int) -> Any:
    return _step(report_id, services.publish, _("Published. The report is now immutable."),
                 override_reason=request.form.get("override_reason", ""))


@bp.post("/<int:report_id>/revise")
def revise(report_id: int) -> Any:
    if not _csrf_ok():
        return _back(report_id)
    try:
        copy = services.revise(db(), actor=current_account(), report_id=report_id)
    except (Invalid, Conflict) as err:
        flash_errors(err)
        return _back(report_id)
    commit()
    flash(_("Version %(version)s started from the published report.", version=copy.version), "success")
    return redirect(url_for("reports.edit", report_id=copy.id))


@bp.get("/<int:report_id>/compare")
def compare(report_id: int) -> Any:
    actor = current_account()
    new = services.get_report(db(), actor, report_id)
    other = _version_id(request.args.get("with")) or new.previous_id
    if other is None:
        return _back(report_id)
    old = services.get_report(db(), actor, other)
    if old.family_id != new.family_id:
        raise Invalid(_("Compare versions of the same report."))
    return render_template("exercises/reports/compare.html", old=old, new=new, diff=services.compare(old, new),
                           mark=marking(new))


def _version_id(raw: str | None) -> int | None:
    """``?with=``: absent, or the id of a version (anything else is no such report)."""
    if not raw:
        return None
    try:
        return form_id(raw)
    except ValueError:
        raise NotFound(_("No such report.")) from None


@bp.get("/<int:report_id>/export.<fmt>")
def export(report_id: int, fmt: str) -> Any:
    actor = current_account()
    report = services.get_report(db(), actor, report_id)
    if fmt not in ("md", "html", "pdf"):
        raise Invalid(_("Export as md, html or pdf."))
    plan = services.plan_of(db(), report)
    render, mimetype = {"md": (to_markdown, "text/markdown"), "html": (to_html, "text/html"),
                        "pdf": (to_pdf, "application/pdf")}[fmt]
    body = render(report, plan, settings().timezone)  # first: an export that failed (503) was not made
    with database().transaction() as session:  # exporting is audited; a GET's own session only reads
        from council.audit.services import record

        record(session, action="report.export", actor=actor, target_type="report", target_id=report.id,
               room_id=report.room_id, details={"format": fmt, "version": report.version})
    name = f"aar-{report.id}-v{report.version}.{fmt}"
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- corrective actions -----------------------------------------------------------------

@actions_bp.get("/")
def register() -> Any:
    args = request.args
    filters = parse_args(RegisterQuery, args, form=True)
    rows = register_svc.register(db(), actor=current_account(), org_id=filters.org, status=filters.status,
                                 overdue=filters.overdue, capability=filters.capability)
    return render_template("exercises/reports/actions.html", rows=rows, args=args, orgs=list_orgs(db()),
                           statuses=CA_STATUSES, capabilities=CAPABILITIES, overdue=register_svc.is_overdue)


@actions_bp.route("/<int:action_id>", methods=["GET", "POST"])
def detail(action_id: int) -> Any:
    actor = current_account()
    ca, report = register_svc.get_action(db(), actor, action_id)
    if request.method == "POST" and _csrf_ok():
        try:
            if request.form.get("form") == "link":
                register_svc.link(db(), actor=actor, action_id=ca.id, relation=request.form.get("relation"),
                                  scenario_id=request.form.get("scenario_id", type=form_id),
                                  msel_id=request.form.get("msel_id", ""),
                                  room_id=request.form.get("room_id", type=form_id), note=request.form.get("note", ""))
            else:
                register_svc.update_status(db(), actor=actor, action_id=ca.id, status=request.form.get("status"),
                                           note=request.form.get("note", ""))
        except (Invalid, Conflict) as err:
            flash_errors(err)
            db().rollback()
        else:
            commit()
            flash(_("Recorded."), "success")
            return redirect(url_for("actions.detail", action_id=ca.id))
    return render_template("exercises/reports/action.html", ca=ca, report=report, statuses=CA_STATUSES,
                           relations=register_svc.RELATIONS, owner=ca.responsible_org_id == actor.org_id,
                           overdue=register_svc.is_overdue(ca), action_form=ActionForm())
