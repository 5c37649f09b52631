""""My work" of advisories: those awaiting my organisation's acknowledgement."""

from __future__ import annotations

from sqlalchemy.orm import Session

from council.advisories.queries import listed
from council.auth.models import User
from council.db import utcnow
from council.work import WorkItem


def acks_owed(session: Session, user: User) -> list[WorkItem]:
    now = utcnow()
    return [WorkItem("Acknowledge advisory", f"{item.advisory.ref} {item.advisory.title}",
                     f"/advisories/{item.advisory.id}#answer", item.advisory.publisher_org.name,
                     item.mine.due_at if item.mine else None, item.overdue(now))
            for item in listed(session, user, now=now, open_only=True, limit=50)]
