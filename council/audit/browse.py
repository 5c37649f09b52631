"""Reading the audit record: filters, paging, and what an admin may see of it.

Admins see every row, but rows that belong to a room they cannot see (an
AMBER or RED room they are not part of) show that something happened, by
whom and when, never what: the details and target are withheld.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.access import can_see
from council.audit.models import AuditEntry
from council.auth.models import User
from council.orgs.services import require_admin
from council.rooms.models import Room
from council.rooms.visibility import facts_of, viewer_of

PAGE = 100


@dataclass(frozen=True)
class AuditRow:
    entry: AuditEntry
    details: dict[str, Any] | None  # None: withheld from this reader

    @property
    def withheld(self) -> bool:
        return self.details is None


def browse(
    session: Session, *, actor: User, actor_text: str = "", action: str = "", target_type: str = "",
    target_id: str = "", date_from: datetime | None = None, date_to: datetime | None = None,
    before_id: int | None = None,
) -> tuple[list[AuditRow], int]:
    """A page of rows, newest first, and the number of rows matching the filters."""
    require_admin(actor)
    stmt = select(AuditEntry)
    if actor_text:
        stmt = stmt.where(func.lower(AuditEntry.actor_label).contains(actor_text.strip().lower()))
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action.strip()))
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type.strip())
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id.strip())
    if date_from is not None:
        stmt = stmt.where(AuditEntry.at >= date_from)
    if date_to is not None:
        stmt = stmt.where(AuditEntry.at < date_to)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    if before_id is not None:
        stmt = stmt.where(AuditEntry.id < before_id)
    entries = list(session.scalars(stmt.order_by(AuditEntry.id.desc()).limit(PAGE)))
    viewer = viewer_of(session, actor)
    rooms = {r.id: r for r in session.scalars(select(Room).where(
        Room.id.in_({e.room_id for e in entries if e.room_id is not None})))}
    visible = {room_id: can_see(viewer, facts_of(room)) for room_id, room in rooms.items()}
    rows = [AuditRow(e, json.loads(e.details) if e.room_id is None or visible.get(e.room_id, False) else None)
            for e in entries]
    return rows, total
