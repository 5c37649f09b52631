"""After-action reports: start from the record, edit, review, publish, revise.

Who may do what:
* start: the room's lead (a closed incident), or an ended exercise's director
  or an evaluator;
* edit (draft and review): the report's authors — whoever started it, the
  room's leads, the exercise's director and evaluators;
* comment and sign off: the named reviewers (authors may answer comments);
* publish: the room's lead or the exercise's director; over a missing
  organisation sign-off only with a recorded reason;
* read a published report: anyone who clears its TLP marking with the room's
  organisations (as for rooms); drafts only authors and reviewers.
Every step is audited.
"""

from __future__ import annotations

import difflib
import html
import json
from dataclasses import replace
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.access import can_see, not_looser
from council.audit.services import record
from council.auth.models import User
from council.auth.services import find_user
from council.db import utcnow
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.orgs.models import Organization
from council.rooms.models import TLPS, Room
from council.rooms.visibility import facts_of, viewer_of
from council.text import render_markdown
from exercises.models import Exercise
from exercises.notices import signoff_requested
from exercises.reports.draft import draft_exercise, draft_incident
from exercises.reports.models import (
    CA_STATUSES,
    ELEMENTS,
    SECTIONS,
    CorrectiveAction,
    Report,
    ReportComment,
    ReportReviewer,
    ReportSection,
)
from exercises.reports.shapes import LibraryQuery
from exercises.runs.shapes import form_id, is_id
from exercises.vocab import CAPABILITIES, capability_slug


class SectionConflict(Conflict):
    """Someone saved the section since this editor loaded it; nothing was overwritten."""

    def __init__(self, section: ReportSection) -> None:
        who = section.updated_by.name if section.updated_by else "someone"
        if section.updated_by:
            message = _("%(name)s saved this section since you opened it (now version %(version)s). "
                        "Your text is kept below theirs: merge and save again.", name=who, version=section.version)
        else:
            message = _("someone saved this section since you opened it (now version %(version)s). "
                        "Your text is kept below theirs: merge and save again.", version=section.version)
        super().__init__(message)
        self.current = {"body": section.body, "version": section.version, "updated_by": who}


def _exercise(session: Session, report_or_room: Any) -> Exercise | None:
    room_id = getattr(report_or_room, "room_id", None) or report_or_room.id
    return session.scalars(select(Exercise).where(Exercise.room_id == room_id)).one_or_none()


def _staff_role(session: Session, room: Room, user: User) -> str | None:
    ex = _exercise(session, room)
    if ex is None:
        return None
    part = next((p for p in ex.people if p.user_id == user.id), None)
    return part.role if part else None


def is_lead_of(session: Session, room: Room, user: User) -> bool:
    if room.is_exercise:
        return _staff_role(session, room, user) == "director"
    return any(m.user_id == user.id and m.role == "lead" for m in room.members)


def is_author(session: Session, report: Report, user: User) -> bool:
    if report.created_by_id == user.id or is_lead_of(session, report.room, user):
        return True
    return report.room.is_exercise and _staff_role(session, report.room, user) in ("director", "evaluator")


def is_reviewer(report: Report, user: User) -> bool:
    return any(r.user_id == user.id for r in report.reviewers)


def can_read(session: Session, user: User, report: Report) -> bool:
    if report.status == "published":
        facts = replace(facts_of(report.room), tlp=report.tlp, named_only=False)
        return can_see(viewer_of(session, user), facts) and not _reveals_a_run_played(session, user, report)
    return is_author(session, report, user) or is_reviewer(report, user)


def _reveals_a_run_played(session: Session, user: User, report: Report) -> bool:
    """An earlier run's report holds the scenario's injects: while the reader plays or
    observes a run of the same scenario, it is not theirs to read (after ENDEX it is)."""
    if report.exercise_id is None:
        return False
    from exercises.scenarios.services import played_families

    exercise = session.get(Exercise, report.exercise_id)
    return exercise is not None and exercise.scenario.family_id in played_families(session, user)


def get_report(session: Session, actor: User, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None or not can_read(session, actor, report):
        raise NotFound(_("No such report."))
    return report


def _require_author(session: Session, report: Report, actor: User) -> None:
    if not is_author(session, report, actor):
        raise Forbidden(_("Only the report's authors may do this."))


def _require_editable(report: Report) -> None:
    if report.status == "published":
        raise Conflict(_("A published report is immutable; start a revision to change it."))


def _index(report: Report) -> None:
    report.search_text = " ".join([report.title.lower(), *(s.body.lower() for s in report.sections)])


# --- starting -----------------------------------------------------------------------

def eligible_rooms(session: Session, actor: User) -> list[Room]:
    """Rooms the actor may start a report for (and which have none yet)."""
    from council.rooms.models import RoomMember

    taken = set(session.scalars(select(Report.room_id)))
    rooms = list(session.scalars(select(Room).join(RoomMember, RoomMember.room_id == Room.id)
                                 .where(RoomMember.user_id == actor.id)))
    out = []
    for room in rooms:
        if room.id in taken:
            continue
        if room.is_exercise:
            ex = _exercise(session, room)
            role = _staff_role(session, room, actor)
            if ex and ex.state in ("ended", "stopped") and role in ("director", "evaluator"):
                out.append(room)
        elif room.status == "closed" and is_lead_of(session, room, actor):
            out.append(room)
    return out


def start_report(session: Session, *, actor: User, room_id: Any, timezone: str) -> Report:
    room = session.get(Room, room_id) if is_id(room_id) else None
    if room is None or not any(m.user_id == actor.id for m in room.members):
        raise NotFound(_("No such room."))
    ex = _exercise(session, room) if room.is_exercise else None
    if room.is_exercise:
        if ex is None or ex.state not in ("ended", "stopped"):
            raise Conflict(_("An exercise's report starts after ENDEX."))
        if _staff_role(session, room, actor) not in ("director", "evaluator"):
            raise Forbidden(_("The exercise's director or an evaluator starts its report."))
    else:
        if room.status != "closed":
            raise Conflict(_("An incident's report starts once its room is closed."))
        if not is_lead_of(session, room, actor):
            raise Forbidden(_("The room's lead starts its report."))
    existing = session.scalar(select(Report.id).where(Report.room_id == room.id))
    if existing is not None:
        raise Conflict(_("This room already has a report (#%(id)s).", id=existing))
    zone = ZoneInfo(timezone)
    with force_locale("en"):  # the draft is stored: labels in it are in the records' language, not the reader's
        drafted = draft_exercise(session, ex, room, zone) if ex else draft_incident(session, room, zone)
    report = Report(room_id=room.id, exercise_id=ex.id if ex else None, kind="exercise" if ex else "incident",
                    title=f"After-action report: {ex.title if ex else room.title}"[:300], tlp=room.tlp,
                    data=json.dumps(drafted.data, default=str), created_by_id=actor.id)
    report.room = room
    for position, key in enumerate(SECTIONS):
        body = drafted.sections.get(key, "")
        report.sections.append(ReportSection(key=key, position=position, body=body,
                                             body_html=render_markdown(body), updated_by_id=actor.id))
    session.add(report)
    session.flush()
    report.family_id = report.id
    for suggestion in drafted.actions:
        session.add(CorrectiveAction(report_id=report.id, area=suggestion["area"],
                                     capability=suggestion.get("capability") or "",
                                     responsible_org_id=suggestion.get("responsible_org_id")))
    _index(report)
    record(session, action="report.start", actor=actor, target_type="report", target_id=report.id,
           room_id=room.id, details={"kind": report.kind, "suggested_actions": len(drafted.actions)})
    return report


# --- editing -----------------------------------------------------------------------------

def save_section(session: Session, *, actor: User, report_id: int, key: str, body: Any,
                 base_version: Any) -> ReportSection:
    report = get_report(session, actor, report_id)
    _require_author(session, report, actor)
    _require_editable(report)
    section = next((s for s in report.sections if s.key == key), None)
    if section is None:
        raise NotFound(_("No such section."))
    if not isinstance(body, str) or len(body) > 200_000:
        raise Invalid(_("The section was not saved."), {"body": _("Markdown of at most 200,000 characters.")})
    if not isinstance(base_version, int):
        raise Invalid(_("The section was not saved."), {"version": _("Send the version you edited.")})
    if base_version != section.version:
        raise SectionConflict(section)
    section.body, section.body_html = body, render_markdown(body)
    section.version += 1
    section.updated_by_id, section.updated_by, section.updated_at = actor.id, actor, utcnow()
    _index(report)
    record(session, action="report.section_save", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"section": key, "version": section.version})
    return section


def set_title(session: Session, *, actor: User, report_id: int, title: Any, tlp: Any) -> Report:
    report = get_report(session, actor, report_id)
    _require_author(session, report, actor)
    _require_editable(report)
    if not isinstance(title, str) or not title.strip() or len(title) > 300:
        raise Invalid(_("Not saved."), {"title": _("At most 300 characters.")})
    if tlp not in TLPS or (not not_looser(tlp, report.room.tlp) and not report.room.is_exercise):
        raise Invalid(_("Not saved."),
                      {"tlp": _("A marking at least as strict as the room's TLP:%(tlp)s.", tlp=report.room.tlp)})
    report.title, report.tlp = title.strip(), tlp
    _index(report)
    record(session, action="report.update", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"tlp": tlp})
    return report


def _parse_date(value: Any, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise Invalid(_("The corrective action was not saved."), {name: _("A date (YYYY-MM-DD).")}) from None


def save_action(session: Session, *, actor: User, report_id: int, fields: dict[str, Any],
                action_id: int | None = None) -> CorrectiveAction:
    """Add or edit a corrective action of the improvement plan (drafts only)."""
    report = get_report(session, actor, report_id)
    _require_author(session, report, actor)
    _require_editable(report)
    errors: dict[str, str] = {}
    area, action = str(fields.get("area") or "").strip(), str(fields.get("action") or "").strip()
    if not area:
        errors["area"] = _("Name the area for improvement.")
    written = fields.get("capability") or ""
    capability = capability_slug(written) if written else ""
    if capability is None:
        errors["capability"] = _("One of: %(choices)s (or their names).", choices=", ".join(CAPABILITIES))
    element = fields.get("element") or "planning"
    if element not in ELEMENTS:
        errors["element"] = _("One of: %(choices)s.", choices=", ".join(ELEMENTS))
    try:
        org_id = _given_id(fields.get("responsible_org_id"))
    except ValueError:
        org_id, errors["responsible_org_id"] = None, _("No such organisation.")
    if org_id is not None and session.get(Organization, org_id) is None:
        errors["responsible_org_id"] = _("No such organisation.")
    status = fields.get("status") or "open"
    if status not in CA_STATUSES:
        errors["status"] = _("One of: %(choices)s.", choices=", ".join(CA_STATUSES))
    start, due = _parse_date(fields.get("start_date"), "start_date"), _parse_date(fields.get("due_date"), "due_date")
    if start and due and due < start:
        errors["due_date"] = _("The due date comes after the start.")
    if errors:
        raise Invalid(_("The corrective action was not saved."), errors)
    if action_id is None:
        ca = CorrectiveAction(report_id=report.id, area=area)
        session.add(ca)
    else:
        found = session.get(CorrectiveAction, action_id)
        if found is None or found.report_id != report.id:
            raise NotFound(_("No such corrective action in this report."))
        ca = found
    ca.area, ca.action, ca.capability, ca.element = area, action, capability or "", element
    ca.responsible_org_id = org_id
    ca.contact = str(fields.get("contact") or "")[:200]
    ca.start_date, ca.due_date, ca.status = start, due, status
    session.flush()
    record(session, action="report.action_save", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"action_id": ca.id, "new": action_id is None})
    return ca


def _given_id(value: Any) -> int | None:
    """An optional id as a page's form (text) or a body (a number) gives it: None
    when empty; ValueError when it cannot be an id ("²", 30 digits, a list)."""
    if value in (None, ""):
        return None
    if is_id(value):
        return int(value)
    if isinstance(value, str):
        return form_id(value)
    raise ValueError("not an id")


def delete_action(session: Session, *, actor: User, report_id: int, action_id: int) -> None:
    report = get_report(session, actor, report_id)
    _require_author(session, report, actor)
    _require_editable(report)
    ca = session.get(CorrectiveAction, action_id)
    if ca is None or ca.report_id != report.id:
        raise NotFound(_("No such corrective action in this report."))
    session.delete(ca)
    record(session, action="report.action_delete", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"action_id": action_id})


def plan_of(session: Session, report: Report) -> list[CorrectiveAction]:
    """The improvement plan: corrective actions of this version and the earlier ones of its family."""
    ids = list(session.scalars(select(Report.id).where(Report.family_id == report.family_id,
                                                       Report.version <= report.version)))
    return list(session.scalars(select(CorrectiveAction).where(CorrectiveAction.report_id.in_(ids))
                                .order_by(CorrectiveAction.id)))


# --- review ------------------------------------------------------------------------------------

def submit(session: Session, *, actor: User, report_id: int, reviewer_emails: Any) -> Report:
    """Send the draft to named reviewers (one or more per participating organisation)."""
    report = get_report(session, actor, report_id)
    _require_author(session, report, actor)
    if report.status != "draft":
        raise Conflict(_("Only a draft is sent for review."))
    if not isinstance(reviewer_emails, list) or not reviewer_emails:
        raise Invalid(_("Not sent for review."), {"reviewers": _("Name at least one reviewer (emails).")})
    found: dict[int, User] = {}  # a person named twice (or in two spellings of their email) reviews once
    for email in reviewer_emails:
        user = find_user(session, str(email))
        if user is None or not user.active:
            raise Invalid(_("Not sent for review."),
                          {"reviewers": _("No active user with email %(email)s.", email=repr(email))})
        found.setdefault(user.id, user)
    users = list(found.values())
    keep = {r.user_id: r for r in report.reviewers}
    report.reviewers = [keep.get(u.id) or ReportReviewer(user_id=u.id, org_id=u.org_id) for u in users]
    for reviewer in report.reviewers:
        reviewer.state, reviewer.decided_at, reviewer.note = "pending", None, ""
    report.status, report.submitted_at = "review", utcnow()
    signoff_requested(session, report, actor, users)
    record(session, action="report.submit", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"reviewers": [u.email for u in users]})
    return report


def comment(session: Session, *, actor: User, report_id: int, section_key: Any, body: Any,
            parent_id: Any = None) -> ReportComment:
    report = get_report(session, actor, report_id)
    if not (is_reviewer(report, actor) or is_author(session, report, actor)):
        raise Forbidden(_("Only reviewers and authors comment on a report."))
    _require_editable(report)
    if section_key not in SECTIONS:
        raise Invalid(_("The comment was not saved."), {"section": _("No such section.")})
    if not isinstance(body, str) or not body.strip() or len(body) > 20_000:
        raise Invalid(_("The comment was not saved."), {"body": _("Write the comment.")})
    try:
        parent_id = _given_id(parent_id)
        parent = session.get(ReportComment, parent_id) if parent_id is not None else None
        if parent_id is not None and (parent is None or parent.report_id != report.id):
            raise ValueError("not a comment of this report")
    except ValueError:
        raise Invalid(_("The comment was not saved."), {"parent_id": _("No such comment on this report.")}) from None
    row = ReportComment(report_id=report.id, section_key=section_key, parent_id=parent_id,
                        author_id=actor.id, body=body.strip(), body_html=render_markdown(body.strip()))
    row.author = actor
    session.add(row)
    session.flush()
    record(session, action="report.comment", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"section": section_key, "comment_id": row.id})
    return row


def comments_of(session: Session, report: Report) -> list[ReportComment]:
    return list(session.scalars(select(ReportComment).where(ReportComment.report_id == report.id)
                                .order_by(ReportComment.id)))


def review(session: Session, *, actor: User, report_id: int, decision: Any, note: Any = "") -> Report:
    """A reviewer approves (signs off for their organisation) or asks for changes (back to draft)."""
    report = get_report(session, actor, report_id)
    reviewer = next((r for r in report.reviewers if r.user_id == actor.id), None)
    if reviewer is None:
        raise Forbidden(_("Only the named reviewers sign off a report."))
    if report.status != "review":
        raise Conflict(_("The report is not in review."))
    if decision not in ("approve", "changes"):
        raise Invalid(_("Not recorded."), {"decision": _("approve or changes.")})
    note = str(note or "")[:5000]
    if decision == "changes" and not note.strip():
        raise Invalid(_("Not recorded."), {"note": _("Say what should change.")})
    reviewer.state = "approved" if decision == "approve" else "changes_requested"
    reviewer.note, reviewer.decided_at = note, utcnow()
    if decision == "changes":
        report.status = "draft"
    record(session, action="report.review", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"decision": decision, "org_id": reviewer.org_id})
    return report


def proposed_reviewers(session: Session, report: Report) -> list[User]:
    """One reviewer for every participating organisation that must sign off: its
    reviewer of an earlier round, else the person who took part for it (named in the
    room), else its first active member. Authors change the list before sending."""
    named = {r.org_id: r.user for r in report.reviewers}
    members: dict[int, User] = {}
    for m in sorted(report.room.members, key=lambda m: (m.role != "lead", m.user.name)):
        if m.user.active:
            members.setdefault(m.user.org_id, m.user)
    out = []
    for link in sorted(report.room.orgs, key=lambda o: o.org.name):
        person = named.get(link.org_id) or members.get(link.org_id) or session.scalars(
            select(User).where(User.org_id == link.org_id, User.active.is_(True)).order_by(User.name)).first()
        if person is not None:
            out.append(person)
    return out


def missing_signoffs(report: Report) -> list[str]:
    """Participating organisations without an approving reviewer."""
    approved = {r.org_id for r in report.reviewers if r.state == "approved"}
    return sorted(o.org.name for o in report.room.orgs if o.org_id not in approved)


def publish(session: Session, *, actor: User, report_id: int, override_reason: Any = "") -> Report:
    report = get_report(session, actor, report_id)
    if not is_lead_of(session, report.room, actor):
        raise Forbidden(_("The exercise's director or the room's lead publishes the report."))
    if report.status != "review":
        raise Conflict(_("Send the report for review before publishing it."))
    missing = missing_signoffs(report)
    reason = str(override_reason or "").strip()
    if missing and not reason:
        raise Conflict(_("Not every participating organisation has signed off: %(orgs)s. "
                         "Publish over the missing sign-offs only with a reason.", orgs=", ".join(missing)))
    report.status, report.published_at, report.published_by_id = "published", utcnow(), actor.id
    report.override_reason = reason if missing else ""
    for ca in session.scalars(select(CorrectiveAction).where(CorrectiveAction.report_id == report.id)):
        ca.number = ca.number or ca.id
    _index(report)
    record(session, action="report.publish", actor=actor, target_type="report", target_id=report.id,
           room_id=report.room_id, details={"version": report.version, "missing_signoffs": missing,
                                           "override_reason": report.override_reason})
    return report


def revise(session: Session, *, actor: User, report_id: int) -> Report:
    """A new draft version starting from a published one (which stays as it was)."""
    report = get_report(session, actor, report_id)
    _require_author(session, report, actor)
    if report.status != "published":
        raise Conflict(_("Only a published report is revised; edit the draft instead."))
    newest = session.scalar(select(func.max(Report.version)).where(Report.family_id == report.family_id)) or 1
    if newest != report.version:
        raise Conflict(_("A newer version exists; revise that one."))
    copy = Report(family_id=report.family_id, version=report.version + 1, previous_id=report.id,
                  room_id=report.room_id, exercise_id=report.exercise_id, kind=report.kind, title=report.title,
                  tlp=report.tlp, data=report.data, created_by_id=actor.id)
    copy.room = report.room
    copy.sections = [ReportSection(key=s.key, position=s.position, body=s.body, body_html=s.body_html,
                                   updated_by_id=actor.id) for s in report.sections]
    session.add(copy)
    session.flush()
    _index(copy)
    record(session, action="report.revise", actor=actor, target_type="report", target_id=copy.id,
           room_id=report.room_id, details={"from": report.id, "version": copy.version})
    return copy


def versions_of(session: Session, actor: User, report: Report) -> list[Report]:
    rows = session.scalars(select(Report).where(Report.family_id == report.family_id).order_by(Report.version))
    return [r for r in rows if can_read(session, actor, r)]


def compare(old: Report, new: Report) -> list[dict[str, Any]]:
    """Per section, the lines removed and added between two versions (escaped HTML)."""
    out = []
    before = {s.key: s.body for s in old.sections}
    for section in new.sections:
        a, b = before.get(section.key, "").splitlines(), section.body.splitlines()
        if a == b:
            out.append({"key": section.key, "title": section.title, "changed": False, "html": ""})
            continue
        lines = []
        # Skip only the two file headers: a content line may itself start with
        # "---" or "+++" (a removed markdown rule is "----").
        for line in list(difflib.unified_diff(a, b, lineterm="", n=1))[2:]:
            css = "add" if line.startswith("+") else "del" if line.startswith("-") else "hunk" if line.startswith(
                "@@") else "ctx"
            lines.append(f'<span class="diff-{css}">{html.escape(line)}</span>')
        out.append({"key": section.key, "title": section.title, "changed": True, "html": "\n".join(lines)})
    return out


# --- the reviewers' library -------------------------------------------------------------

def library_filters(args: LibraryQuery) -> dict[str, Any]:
    """The library's filters (page and REST alike) as ``library`` takes them."""
    return {"kind": args.type, "sector": args.sector, "year": args.year, "capability": args.capability,
            "org_id": args.org, "query": args.q}


def library(
    session: Session, *, actor: User, kind: str | None = None, sector: str | None = None, year: int | None = None,
    capability: str | None = None, org_id: int | None = None, query: str = "",
) -> list[Report]:
    """The latest published version of every report the actor may read, filtered."""
    newest = (select(Report.family_id, func.max(Report.version).label("v")).where(Report.status == "published")
              .group_by(Report.family_id).subquery())
    stmt = select(Report).join(newest, (Report.family_id == newest.c.family_id) & (Report.version == newest.c.v))
    if kind in ("exercise", "incident"):
        stmt = stmt.where(Report.kind == kind)
    for term in query.lower().split()[:8]:
        stmt = stmt.where(Report.search_text.contains(term, autoescape=True))  # "%" and "_" are plain text
    reports = [r for r in session.scalars(stmt.order_by(Report.published_at.desc()))
               if can_read(session, actor, r)]
    if year:
        reports = [r for r in reports if r.published_at and r.published_at.year == year]
    if org_id:
        reports = [r for r in reports if org_id in r.room.org_ids]
    if sector:
        reports = [r for r in reports if sector in _sectors(session, r)]
    if capability:
        wanted = capability_slug(capability) or capability
        reports = [r for r in reports if wanted in _capabilities(session, r)]
    return reports


def _sectors(session: Session, report: Report) -> set[str]:
    found = {o.org.sector for o in report.room.orgs if o.org.sector}
    ex = _exercise(session, report)
    if ex is not None:
        found |= set(json.loads(ex.scenario.sectors))
    return found


def _capabilities(session: Session, report: Report) -> set[str]:
    ex = _exercise(session, report)
    found = set(json.loads(ex.capabilities)) if ex is not None else set()
    return found | {ca.capability for ca in plan_of(session, report) if ca.capability}
