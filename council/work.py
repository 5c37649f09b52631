""""My work": what is waiting for a person or their organisation, across slices.

Each slice registers a provider (session, user) -> list of :class:`WorkItem`;
the dashboard shows them in one card, overdue first. Providers ask the same
access rules as every other read (rooms the person may see, decisions they
may see), so the card never names what the person could not open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import Flask
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from council import labels
from council.auth.models import User
from council.db import utcnow
from council.rooms.models import ActionItem, Room
from council.rooms.services import list_rooms, sitrep_status
from council.rooms.visibility import viewer_of, visible_filter


@dataclass(frozen=True)
class WorkItem:
    kind: str            # what sort of work: "Action item", "Sitrep", …
    title: str
    url: str
    where: str = ""      # the room or record it is in
    due_at: datetime | None = None
    overdue: bool = False
    exercise: bool = False


Provider = Callable[[Session, User], list[WorkItem]]


def add_work(app: Flask, provider: Provider) -> None:
    app.extensions.setdefault("council_work", []).append(provider)


def my_work(app: Flask, session: Session, user: User) -> list[WorkItem]:
    items = [item for provider in app.extensions.get("council_work", []) for item in provider(session, user)]
    far = datetime.max.replace(tzinfo=utcnow().tzinfo)
    return sorted(items, key=lambda i: (not i.overdue, i.due_at or far, i.kind, i.title))


def actions_for(session: Session, user: User) -> list[WorkItem]:
    """Open action items assigned to the person or their organisation, in rooms they see."""
    now = utcnow()
    rows = session.execute(
        select(ActionItem, Room).join(Room, Room.id == ActionItem.room_id)
        .where(ActionItem.status.in_(("open", "in_progress")), Room.status != "closed",
               or_(ActionItem.assignee_user_id == user.id, ActionItem.assignee_org_id == user.org_id),
               visible_filter(viewer_of(session, user)))
        .order_by(ActionItem.due_at, ActionItem.id).limit(50))
    return [WorkItem("Action item", a.title, f"/rooms/{r.id}", r.title, a.due_at,
                     bool(a.due_at and a.due_at < now), r.is_exercise) for a, r in rows.all()]


def sitreps_owed(session: Session, user: User) -> list[WorkItem]:
    """Rooms whose sitrep cadence asks the person's organisation for a report now."""
    out = []
    for room in list_rooms(session, actor=user, kind=None, status="active", limit=100):
        if not room.sitrep_cadence_min or user.org_id not in room.org_ids:
            continue
        for state in sitrep_status(session, actor=user, room_id=room.id):
            if state.org_id == user.org_id and state.state in ("due", "overdue"):
                out.append(WorkItem("Sitrep", f"Situation report for {state.org}", f"/rooms/{room.id}", room.title,
                                    None, state.state == "overdue", room.is_exercise))
    return out


# What "My work" calls each kind of item (the dashboard shows them through labels, so in
# the reader's language); the providers of other slices name theirs when they register.
KINDS = ("Action item", "Sitrep", "Review", "Stage report", "Stage report (revision)", "Acknowledge advisory",
         "Ratify", "Position")


def name_kinds(*kinds: str) -> None:
    labels.register("work_kind", {kind: kind for kind in kinds})


def register_core(app: Flask) -> None:
    name_kinds(*KINDS)
    add_work(app, actions_for)
    add_work(app, sitreps_owed)
