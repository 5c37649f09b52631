"""The acknowledgement clock: organisations that let the deadline pass are
reminded, then, a further period later (half the acknowledgement time, at least an
hour), their organisation admins are told (or, if it has none, its parent's).

Each step is claimed with a conditional UPDATE (``reminded_at IS NULL`` → now),
so it happens once whatever the number of processes running the sweep; only the
transaction whose claim matched writes the notifications and the audit row.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, exists, select, update
from sqlalchemy.orm import Session

from council.advisories import delivery
from council.advisories.models import Advisory, AdvisoryAudience, AdvisoryDelivery
from council.audit.services import record
from council.db import utcnow
from council.notifications.mentions import members_of
from council.notifications.services import notify

BATCH = 200


def _owed() -> list[ColumnElement[bool]]:
    """Rows of the current round, still unanswered, of organisations still in the audience."""
    return [AdvisoryDelivery.acked_at.is_(None), Advisory.id == AdvisoryDelivery.advisory_id,
            Advisory.ack_round == AdvisoryDelivery.round,
            exists(select(AdvisoryAudience.org_id).where(AdvisoryAudience.advisory_id == Advisory.id,
                                                         AdvisoryAudience.org_id == AdvisoryDelivery.org_id))]


def sweep(session: Session, now: datetime | None = None) -> dict[str, list[int]]:
    """One pass: reminders due, then escalations due; the delivery ids of each."""
    now = now or utcnow()
    done: dict[str, list[int]] = {"reminded": [], "escalated": []}
    for step, column, due, extra in (
        ("reminded", AdvisoryDelivery.reminded_at, AdvisoryDelivery.due_at, []),
        # Escalate only after a reminder of an earlier pass went unanswered.
        ("escalated", AdvisoryDelivery.escalated_at, AdvisoryDelivery.escalate_at,
         [AdvisoryDelivery.reminded_at.is_not(None), AdvisoryDelivery.reminded_at < now]),
    ):
        ids = list(session.scalars(select(AdvisoryDelivery.id)
                                   .where(*_owed(), column.is_(None), due <= now, *extra)
                                   .order_by(AdvisoryDelivery.id).limit(BATCH)))
        for row_id in ids:
            claimed = session.execute(update(AdvisoryDelivery).where(
                AdvisoryDelivery.id == row_id, column.is_(None), AdvisoryDelivery.acked_at.is_(None))
                .values({column.key: now}).execution_options(synchronize_session=False))
            if claimed.rowcount != 1:
                continue
            row = session.get(AdvisoryDelivery, row_id)
            advisory = session.get(Advisory, row.advisory_id) if row is not None else None
            if row is None or advisory is None:
                continue
            _tell(session, advisory, row, step, now)
            done[step].append(row_id)
    return done


def _tell(session: Session, advisory: Advisory, row: AdvisoryDelivery, step: str, now: datetime) -> None:
    key = f"advisory:{advisory.id}:round:{row.round}:org:{row.org_id}:"
    if step == "reminded":
        note = delivery.note_for(advisory, "advisory_overdue",
                                 f"Overdue: {advisory.ref} {advisory.title} awaits {row.org.name}'s acknowledgement",
                                 key + "reminder")
        people = delivery.answerers(session, advisory, [row.org_id])
        action = "advisory.reminder"
    else:
        note = delivery.note_for(advisory, "advisory_overdue",
                                 f"Escalated: {row.org.name} has not acknowledged {advisory.ref} {advisory.title}",
                                 key + "escalation", urgent=advisory.severity == "critical")
        people = delivery.org_admins(session, row.org_id)
        action = "advisory.escalation"
    told = notify(session, note, people, now=now)
    if step != "reminded" and not told:
        # Nobody there may see it (a RED advisory names people, not admins): the escalation
        # goes to the publisher, who can, rather than being recorded as done to nobody.
        told = notify(session, note, members_of(session, [advisory.publisher_org_id]), now=now)
    record(session, action=action, target_type="advisory", target_id=advisory.id, at=now,
           details={"ref": advisory.ref, "round": row.round, "org_id": row.org_id, "told": len(told)})

