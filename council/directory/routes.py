"""Pages of the directory (teams, a record with its roster, the edit form) and of
communication checks (the list and start form, a check's matrix and summary, the
answer button and the one-click answer link)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.api.shapes import parse_args, parse_data
from council.auth.forms import ActionForm
from council.auth.login import current_account
from council.auth.models import User
from council.db import utcnow
from council.directory import checks, first, forms, roster, services
from council.directory.shapes import ROLES, DirectoryQuery, FirstTeam
from council.errors import DomainError, Invalid
from council.extensions import settings
from council.web import act_from_form as act
from council.web import commit, db, flash_errors

bp = Blueprint("directory", __name__, url_prefix="/directory")
checks_bp = Blueprint("directory_checks", __name__, url_prefix="/comms-checks")


@bp.get("/")
def index() -> Any:
    user = current_account()
    args = parse_args(DirectoryQuery, request.args, form=True)
    teams = services.list_teams(db(), user, q=args.q)
    return render_template("council/directory/index.html", teams=teams, q=args.q or "",
                           may_check=checks.reach_of(db(), user) is not None)


@bp.get("/<int:org_id>")
def show(org_id: int) -> Any:
    user = current_account()
    now = utcnow()
    team = services.team_of(db(), user, org_id, now)
    shifts = roster.roster(db(), org_id, now)
    editor = roster.may_edit(user, org_id)
    people = (list(db().scalars(select(User).where(User.org_id == org_id, User.active.is_(True))
                                .order_by(User.name))) if editor else [])
    contacts = services.contacts_of(team.record)
    users = {u.email.lower() for u in services.contact_users(db(), [org_id]).get(org_id, [])}
    return render_template("council/directory/show.html", team=team, shifts=shifts, now=now, editor=editor,
                           people=people, contacts=contacts, record_json=team.first(), contact_users=users, roles=ROLES,
                           hours=forms.hours_lines(first.loads(team.record, "hours") if team.record else {}),
                           action_form=ActionForm(), zone=settings().timezone)


def _edit_page(team: services.Team, values: dict[str, Any], status: int = 200) -> Any:
    return render_template("council/directory/edit.html", team=team, values=values, roles=ROLES,
                           action_form=ActionForm()), status


@bp.route("/<int:org_id>/edit", methods=["GET", "POST"])
def edit(org_id: int) -> Any:
    user = current_account()
    team = services.team_of(db(), user, org_id)
    roster.require_editor(user, org_id)
    if request.method == "GET":
        return _edit_page(team, forms.values_of(team.org, team.record, settings().timezone))
    values = forms.values_from(request.form)
    try:
        data = parse_data(FirstTeam, forms.first_of(values, team.record), _("The record was not saved."))
        services.save_record(db(), actor=user, org_id=org_id, team=data)
    except Invalid as err:
        flash_errors(err)
        db().rollback()
        return _edit_page(services.team_of(db(), user, org_id), values, 422)
    commit()
    flash(_("The team record is saved."), "success")
    return redirect(url_for("directory.show", org_id=org_id))


@bp.post("/<int:org_id>/roster")
def add_shift(org_id: int) -> Any:
    form = request.form
    user_id = form.get("user_id", "")
    return act(roster.add_shift, _("The shift is on the roster."), url_for("directory.show", org_id=org_id) + "#roster",
                org_id=org_id, user_id=int(user_id) if user_id.isascii() and user_id.isdigit() and len(user_id) < 19
                else 0, starts_at=form.get("starts_at", ""), ends_at=form.get("ends_at", ""),
                note=form.get("note", "")[:500], tz=settings().timezone)


@bp.post("/<int:org_id>/roster/<int:shift_id>/remove")
def remove_shift(org_id: int, shift_id: int) -> Any:
    return act(roster.remove_shift, _("The shift is removed."), url_for("directory.show", org_id=org_id) + "#roster",
                org_id=org_id, shift_id=shift_id)


# --- communication checks -------------------------------------------------------------------------

@checks_bp.get("/")
def checks_index() -> Any:
    user = current_account()
    found = checks.list_checks(db(), user)
    reach = checks.reach_of(db(), user)
    overseen = {c.id for c in found if (sight := checks.sight_of(db(), user, c)) is not None and sight.oversees}
    return render_template("council/directory/checks.html", found=found, reach=reach, user=user, overseen=overseen,
                           candidates=checks.candidates(db(), user) if reach else [], action_form=ActionForm())


@checks_bp.post("/")
def start() -> Any:
    user = current_account()
    form = request.form
    raw = form.getlist("orgs")
    ids = [int(v) for v in raw if v.isascii() and v.isdigit() and len(v) < 19]
    hours = form.get("hours", "24")
    try:
        if len(ids) != len(raw):  # a box that is not an organisation is refused, never read as "all"
            raise Invalid(_("The check was not started."), {"orgs": _("Organisation ids, as the boxes give them.")})
        check, told = checks.start_check(db(), actor=user, org_ids=ids or None,
                                         hours=int(hours) if hours.isascii() and hours.isdigit() and len(hours) < 5
                                         else 0, message=form.get("message", "")[:2000])
    except DomainError as err:
        flash_errors(err)
        db().rollback()
        return redirect(url_for("directory_checks.checks_index"))
    commit()
    flash(_("Check started: %(orgs)s organisations, %(told)s people told.", orgs=len(check.orgs), told=told), "success")
    return redirect(url_for("directory_checks.check", check_id=check.id))


@checks_bp.get("/<int:check_id>")
def check(check_id: int) -> Any:
    check, sight = checks.load_check(db(), current_account(), check_id)
    rows = check.orgs if sight.oversees else ([sight.mine] if sight.mine else [])
    return render_template("council/directory/check.html", check=check, sight=sight, rows=rows,
                           summary=checks.summary(check) if sight.oversees else None, duration=checks.duration,
                           action_form=ActionForm())


@checks_bp.route("/<int:check_id>/answer", methods=["GET", "POST"])
def answer(check_id: int) -> Any:
    """POST: the page's button (with ``t`` when it came from the notification's link). GET
    with ``t``: the link's page, which asks before answering (the person's own sign-in, their
    organisation's token)."""
    target = url_for("directory_checks.check", check_id=check_id)
    token = (request.form.get("t") if request.method == "POST" else request.args.get("t")) or ""
    if request.method == "GET":
        # A GET never answers: a link preview or prefetch must not say "we hear you" for a person.
        if not token:
            return redirect(target)
        check, sight = checks.load_check(db(), current_account(), check_id)
        page = render_template("council/directory/answer.html", check=check, sight=sight, token=token[:64])
        return page, 200, {"Cache-Control": "no-store"}
    try:
        row, first = checks.answer(db(), actor=current_account(), check_id=check_id, token=token[:64] or None)
        when = row.answered_at
    except DomainError as err:
        if err.status == 404:
            raise
        flash_errors(err)
        db().rollback()
        return redirect(target)
    commit()
    flash(_("Your organisation's answer is recorded.") if first else
          _("Your organisation had answered already (%(time)s UTC).", time=when.strftime("%H:%M")), "success")
    return redirect(target)


@checks_bp.post("/<int:check_id>/close")
def close(check_id: int) -> Any:
    return act(checks.close_check, _("The check is closed."), url_for("directory_checks.check", check_id=check_id),
                check_id=check_id)


def checks_card(session: Session, user: User) -> dict[str, Any] | None:
    """Dashboard card: communication checks awaiting my organisation's answer."""
    found = checks.awaiting(session, user)
    if not found:
        return None
    return {"template": "council/directory/_card.html", "found": found}
