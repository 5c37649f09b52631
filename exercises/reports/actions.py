"""The council-wide register of corrective actions from published reports.

Owners (people of the responsible organisation) update the status with a
note; closing as done needs an evidence note. An action can be linked to a
later inject written to re-test it ("validates CA-12") and to a later
incident where the gap reappeared or was shown fixed; the register shows
that history beside the status updates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.errors import Forbidden, Invalid, NotFound
from council.rooms.visibility import load_visible
from exercises.models import Scenario
from exercises.reports.models import CA_STATUSES, CorrectiveAction, CorrectiveActionLink, CorrectiveActionUpdate, Report
from exercises.reports.services import can_read
from exercises.vocab import capability_slug

RELATIONS = {"validates": "re-tested by inject", "reappeared": "gap reappeared in incident",
             "shown_fixed": "shown fixed in incident"}


def _published(session: Session, actor: User, ca: CorrectiveAction) -> Report:
    report = session.get(Report, ca.report_id)
    if report is None or (report.status != "published" and not _later_published(session, report)):
        raise NotFound(_("No such corrective action."))
    if not can_read(session, actor, report):
        raise NotFound(_("No such corrective action."))
    return report


def _later_published(session: Session, report: Report) -> bool:
    return session.scalar(select(Report.id).where(Report.family_id == report.family_id,
                                                  Report.status == "published")) is not None


def get_action(session: Session, actor: User, action_id: int) -> tuple[CorrectiveAction, Report]:
    ca = session.get(CorrectiveAction, action_id)
    if ca is None or ca.number is None:
        raise NotFound(_("No such corrective action."))
    return ca, _published(session, actor, ca)


def is_overdue(ca: CorrectiveAction, today: date | None = None) -> bool:
    return ca.status in ("open", "in_progress") and ca.due_date is not None and ca.due_date < (today or date.today())


def register(
    session: Session, *, actor: User, org_id: int | None = None, status: str | None = None,
    overdue: bool = False, capability: str | None = None,
) -> list[tuple[CorrectiveAction, Report]]:
    stmt = select(CorrectiveAction, Report).join(Report, Report.id == CorrectiveAction.report_id).where(
        CorrectiveAction.number.is_not(None))
    if org_id is not None:
        stmt = stmt.where(CorrectiveAction.responsible_org_id == org_id)
    if status in CA_STATUSES:
        stmt = stmt.where(CorrectiveAction.status == status)
    if capability:
        stmt = stmt.where(CorrectiveAction.capability == (capability_slug(capability) or capability))
    rows = [(ca, r) for ca, r in session.execute(stmt.order_by(CorrectiveAction.due_date, CorrectiveAction.id))
            if can_read(session, actor, r)]
    if overdue:
        rows = [(ca, r) for ca, r in rows if is_overdue(ca)]
    return rows


def update_status(session: Session, *, actor: User, action_id: int, status: Any, note: Any) -> CorrectiveAction:
    ca, _report = get_action(session, actor, action_id)
    if ca.responsible_org_id != actor.org_id:
        raise Forbidden(_("Only people of the responsible organisation update this action."))
    if status not in CA_STATUSES:
        raise Invalid(_("Not updated."), {"status": _("One of: %(choices)s.", choices=", ".join(CA_STATUSES))})
    note = str(note or "").strip()
    if not note:
        raise Invalid(_("Not updated."), {"note": _("Say what changed.")})
    if status == "done" and len(note) < 10:
        raise Invalid(_("Not updated."), {"note": _("Closing needs an evidence note: what shows the gap is fixed.")})
    ca.status = status
    if status == "done":
        ca.evidence, ca.closed_at = note, utcnow()
    elif status != "cancelled":
        ca.closed_at = None
    row = CorrectiveActionUpdate(action_id=ca.id, author_id=actor.id, status=status, note=note[:5000])
    row.author = actor
    ca.updates.append(row)
    record(session, action="corrective_action.update", actor=actor, target_type="corrective_action",
           target_id=ca.id, details={"status": status})
    return ca


def link(session: Session, *, actor: User, action_id: int, relation: Any, scenario_id: Any = None,
         msel_id: Any = "", room_id: Any = None, note: Any = "") -> CorrectiveActionLink:
    """Tie an action to the inject that re-tests it, or to an incident where the gap showed again (or not)."""
    ca, _report = get_action(session, actor, action_id)
    if relation not in RELATIONS:
        raise Invalid(_("Not linked."), {"relation": _("One of: %(choices)s.", choices=", ".join(RELATIONS))})
    row = CorrectiveActionLink(action_id=ca.id, relation=relation, note=str(note or "")[:2000], created_by_id=actor.id)
    if relation == "validates":
        scenario = session.get(Scenario, scenario_id) if isinstance(scenario_id, int) else None
        inject = next((i for i in scenario.injects if i.msel_id == msel_id), None) if scenario else None
        if inject is None:
            raise Invalid(_("Not linked."), {"msel_id": _("Name an inject of a scenario (scenario id and msel_id).")})
        row.scenario_id, row.msel_id = scenario.id, inject.msel_id
    else:
        if not isinstance(room_id, int):
            raise Invalid(_("Not linked."), {"room_id": _("Name the incident room.")})
        room, _role = load_visible(session, actor, room_id)
        if room.is_exercise:
            raise Invalid(_("Not linked."), {"room_id": _("An incident room, not an exercise.")})
        row.room_id = room.id
    row.created_by = actor
    ca.links.append(row)
    session.flush()
    record(session, action="corrective_action.link", actor=actor, target_type="corrective_action",
           target_id=ca.id, details={"relation": relation, "scenario_id": row.scenario_id, "msel_id": row.msel_id,
                                     "room_id": row.room_id})
    return row


def action_json(ca: CorrectiveAction, report: Report) -> dict[str, Any]:
    return {
        "id": ca.id, "code": ca.code, "report_id": report.id, "report": report.title,
        "exercise": report.kind == "exercise",
        "area": ca.area, "capability": ca.capability, "action": ca.action, "element": ca.element,
        "responsible_org_id": ca.responsible_org_id,
        "responsible_org": ca.responsible_org.name if ca.responsible_org else None, "contact": ca.contact,
        "start_date": ca.start_date.isoformat() if ca.start_date else None,
        "due_date": ca.due_date.isoformat() if ca.due_date else None, "status": ca.status, "overdue": is_overdue(ca),
        "evidence": ca.evidence,
        "updates": [{"status": u.status, "note": u.note, "by": u.author.name, "at": u.created_at.isoformat()}
                    for u in ca.updates],
        "links": [{"relation": k.relation, "scenario_id": k.scenario_id, "msel_id": k.msel_id, "room_id": k.room_id,
                   "note": k.note, "by": k.created_by.name, "at": k.created_at.isoformat()} for k in ca.links],
    }
