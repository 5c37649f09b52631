"""Pages of the council as a body: the council (crisis level, seats, meetings),
the register of members, a meeting, its minutes (with exports)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from council.auth.login import current_account
from council.auth.models import User
from council.errors import DomainError, Invalid
from council.extensions import settings
from council.governance import acts, crisis, meetings, minutes, seats
from council.governance.export import minutes_file
from council.governance.models import MEETING_KINDS, OFFICES
from council.governance.offices import current_seats, holds_office
from council.orgs.services import list_orgs
from council.rooms.models import TLPS
from council.web import act_from_form as act
from council.web import commit, db, flash_errors

bp = Blueprint("council", __name__, url_prefix="/council")


def _int(name: str, required: bool = True) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise Invalid(_("The form was not accepted."), {name: _("A number.")})
    return int(raw)


def _date(name: str, required: bool = True) -> date | None:
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    try:
        if len(raw) != 10:
            raise ValueError
        return date.fromisoformat(raw)
    except ValueError:
        raise Invalid(_("The form was not accepted."), {name: _("A date (YYYY-MM-DD).")}) from None


def _reps(org_id: int | None) -> list[tuple[int, str]]:
    """Representatives from the form: primary and alternate ids."""
    out = []
    for role in ("primary", "alternate"):
        value = _int(f"{role}_id", required=False)
        if value is not None:
            out.append((value, role))
    return out


def _people(session: Any) -> list[User]:
    from sqlalchemy import select

    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


@bp.get("/")
def index() -> Any:
    user = current_account()
    now_level = crisis.current(db())
    return render_template(
        "council/governance/index.html", level=now_level, levels=crisis.levels(db()),
        changes=[crisis.change_json(db(), r) for r in crisis.history(db(), limit=10)],
        seats=[seats.seat_json(s) for s in current_seats(db())],
        quorum_needed=meetings.quorum_needed(len(current_seats(db()))),
        meetings=[meetings.meeting_json(db(), m, r, user) for m, r in meetings.list_meetings(db(), user)],
        is_chair=holds_office(db(), user, ("chair",)), may_convene=meetings.may_convene(db(), user),
        kinds=MEETING_KINDS, tlps=TLPS, ratify_hours=settings().crisis_ratify_hours)


@bp.get("/seats")
def register() -> Any:
    user = current_account()
    return render_template("council/governance/seats.html", history=[seats.seat_json(s) for s in seats.history(db())],
                           may_manage=seats.may_manage_seats(db(), user), orgs=list_orgs(db()),
                           people=_people(db()), offices=OFFICES)


@bp.post("/seats")
def create_seat() -> Any:
    target = url_for("council.register")
    try:
        org_id = _int("org_id")
        kwargs = {"org_id": org_id, "office": request.form.get("office", "member"),
                  "label": request.form.get("label") or "", "term_start": _date("term_start"),
                  "term_end": _date("term_end", required=False), "representatives": _reps(org_id)}
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    return act(seats.create_seat, _("Seat added to the register."), target, **kwargs)


@bp.post("/seats/<int:seat_id>")
def update_seat(seat_id: int) -> Any:
    target = url_for("council.register")
    try:
        end = _date("term_end", required=False)
        if end is None and not request.form.get("open_ended"):
            raise Invalid(_("The seat was not saved."),
                          {"term_end": _("Give the term's last day, or tick open-ended.")})
        kwargs: dict[str, Any] = {"seat_id": seat_id, "term_end": None if request.form.get("open_ended") else end}
        if request.form.get("change_representatives"):
            kwargs["representatives"] = _reps(None)
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    return act(seats.update_seat, _("Seat updated."), target, **kwargs)


@bp.post("/meetings")
def convene() -> Any:
    target = url_for("council.index")
    form = request.form
    try:
        starts_at = meetings.parse_start(form.get("starts_at"), form.get("tz") or settings().timezone)
    except DomainError as err:
        flash_errors(err)
        return redirect(target)
    agenda: list[dict[str, Any]] = [{"title": line.strip()} for line in (form.get("agenda") or "").splitlines()
                                    if line.strip()]
    for item in agenda:  # "Title | room:12" links an item
        title, sep, link = item["title"].rpartition("|")
        if sep and link.strip():
            item["title"], item["link"] = title.strip(), link.strip()
    try:
        meeting = meetings.convene(db(), actor=current_account(), title=form.get("title") or "",
                                   kind=form.get("kind") or "", starts_at=starts_at, agenda=agenda,
                                   tlp=form.get("tlp") or "AMBER+STRICT")
    except DomainError as err:
        flash_errors(err)
        db().rollback()
        return redirect(target)
    commit()
    flash(_("Meeting convened; the seats' representatives are told."), "success")
    return redirect(url_for("council.meeting", meeting_id=meeting.id))


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> Any:
    user = current_account()
    row, room, role = meetings.load_meeting(db(), user, meeting_id)
    later = [m for m, _r in meetings.list_meetings(db(), user) if m.starts_at > row.starts_at and m.status != "closed"]
    return render_template("council/governance/meeting.html", meeting=meetings.meeting_json(db(), row, room, user),
                           room=room, role=role, minutes=minutes.minutes_of(db(), row.id), kinds=MEETING_KINDS,
                           secretary=holds_office(db(), user, ("secretary", "chair")), later=later)


@bp.post("/meetings/<int:meeting_id>/attendance")
def attendance(meeting_id: int) -> Any:
    target = url_for("council.meeting", meeting_id=meeting_id) + "#attendance"
    try:
        kwargs = {"meeting_id": meeting_id, "org_id": _int("org_id"), "present": request.form.get("present") == "1",
                  "user_id": _int("user_id", required=False)}
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    return act(meetings.record_attendance, _("Attendance recorded."), target, **kwargs)


@bp.post("/meetings/<int:meeting_id>/close")
def close_meeting(meeting_id: int) -> Any:
    return act(meetings.close_meeting, _("Meeting closed."), url_for("council.meeting", meeting_id=meeting_id),
                meeting_id=meeting_id)


@bp.post("/meetings/<int:meeting_id>/minutes")
def draft_minutes(meeting_id: int) -> Any:
    target = url_for("council.meeting", meeting_id=meeting_id)
    try:
        row = minutes.draft(db(), actor=current_account(), meeting_id=meeting_id)
    except DomainError as err:
        if err.status == 404:
            raise
        flash_errors(err)
        db().rollback()
        return redirect(target)
    commit()
    flash(_("Minutes drafted from the meeting's record."), "success")
    return redirect(url_for("council.minutes_page", minutes_id=row.id))


@bp.get("/minutes/<int:minutes_id>")
def minutes_page(minutes_id: int) -> Any:
    user = current_account()
    row, meeting_row, room = minutes.load_minutes(db(), user, minutes_id)
    later = [m for m, _r in meetings.list_meetings(db(), user)
             if m.starts_at > meeting_row.starts_at and m.status != "closed"]
    from council.notifications.subjects import marking_for

    # A link to the adopting decision only for those who may open it (it sits in a later meeting's room).
    decision_url = (meetings.decision_url(db(), row.decision_id) if row.decision_id
                    and marking_for(db(), user, f"decision:{row.decision_id}") is not None else None)
    return render_template("council/governance/minutes.html", minutes=row, meeting=meeting_row, room=room,
                           shown=minutes.minutes_json(row, room), later=later, decision_url=decision_url,
                           secretary=holds_office(db(), user, ("secretary", "chair")))


@bp.post("/minutes/<int:minutes_id>")
def edit_minutes(minutes_id: int) -> Any:
    target = url_for("council.minutes_page", minutes_id=minutes_id)
    try:
        version = _int("version")
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    return act(minutes.edit, _("Minutes saved."), target, minutes_id=minutes_id, body=request.form.get("body") or "",
                version=version)


@bp.post("/minutes/<int:minutes_id>/propose")
def propose_minutes(minutes_id: int) -> Any:
    target = url_for("council.minutes_page", minutes_id=minutes_id)
    try:
        at = _int("meeting_id")
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    return act(minutes.propose_adoption, _("The minutes are before the council: its seats decide in the meeting room."),
                target, minutes_id=minutes_id, at_meeting_id=at)


@bp.get("/minutes/<int:minutes_id>/export.<fmt>")
def export_minutes(minutes_id: int, fmt: str) -> Response:
    row, meeting_row, room = minutes.load_minutes(db(), current_account(), minutes_id)
    if fmt not in ("md", "html", "pdf"):
        return Response(_("Export as md, html or pdf."), status=404, mimetype="text/plain")
    return minutes_file(row, meeting_row, room, fmt)


@bp.post("/crisis-level")
def set_level() -> Any:
    target = url_for("council.index")
    try:
        level = _int("level")
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    return act(crisis.set_provisional, _("The crisis level is changed provisionally: the council must ratify it."),
                target, level=level, reason=request.form.get("reason") or "",
                ratify_hours=settings().crisis_ratify_hours)


@bp.post("/decisions/<int:decision_id>/follow-up")
def follow_up(decision_id: int) -> Any:
    target = request.form.get("next") or url_for("decisions.register", type="recommendation")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("decisions.register", type="recommendation")
    try:
        kwargs = {"decision_id": decision_id, "status": request.form.get("status") or "",
                  "decided_by": request.form.get("decided_by") or "",
                  "decided_on": _date("decided_on", required=False), "note": request.form.get("note") or ""}
    except Invalid as err:
        flash_errors(err)
        return redirect(target)
    return act(acts.record_outcome, _("Follow-up recorded."), target, **kwargs)
