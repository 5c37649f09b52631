"""What the council's governance adds to other pages: the crisis-level banner on
every page, the dashboard card, the meeting panel in a meeting's room (and an
exercise's own level in its room), and the chair's and secretary's work."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from council.db import utcnow
from council.governance import crisis, meetings
from council.governance.offices import holds_office
from council.web import db
from council.work import WorkItem


def crisis_context() -> dict[str, Any]:
    """The national level for the banner (signed-in pages only; one small query)."""
    if not getattr(current_user, "is_authenticated", False):
        return {}
    from council.governance.offices import holds_office

    return {"crisis_now": crisis.current(db()),
            "council_secretary": holds_office(db(), current_user, ("secretary", "chair"))}


def crisis_card(session: Any, user: Any) -> dict[str, Any] | None:
    now = crisis.current(session)
    upcoming = [(m, r) for m, r in meetings.list_meetings(session, user)
                if m.status == "convened" and m.starts_at >= utcnow().replace(hour=0, minute=0, second=0)][:3]
    return {"template": "council/governance/_card.html", "level": now, "upcoming": upcoming,
            "changes": [crisis.change_json(session, r) for r in crisis.history(session, limit=3)]}


def room_boot(session: Any, user: Any, room: Any, role: str) -> dict[str, Any]:
    if room.kind == "meeting":
        meeting = meetings.meeting_of_room(session, room.id)
        if meeting is None:
            return {}
        return {"meeting": meetings.meeting_json(session, meeting, room, user),
                "meeting_secretary": holds_office(session, user, ("secretary", "chair"))}
    if room.is_exercise:
        return {"exercise_level": crisis.current(session, room.id).as_dict(),
                "exercise_level_control": crisis.may_control_exercise(session, room, user, role),
                "levels": [{"level": r.level, "name": r.name} for r in crisis.levels(session)]}
    return {}


def council_work(session: Any, user: Any) -> list[WorkItem]:
    """The chair and secretary: a provisional level awaiting ratification."""
    if not holds_office(session, user, ("chair", "secretary")):
        return []
    now = crisis.current(session)
    if not now.provisional:
        return []
    return [WorkItem("Ratify", f"Crisis level {now.level} · {now.name} set provisionally", "/council",
                     "The council", now.ratify_by, now.overdue)]
