"""Delivering an advisory: one delivery row per audience organisation and round,
and the notification of everyone who must answer, in the publishing transaction.

Rows are written in one INSERT and notifications through the notification
service in one call (it asks each recipient's sight again and writes its rows in
one INSERT too), so an advisory to 500 organisations is two statements, not 2,000.
"""

from __future__ import annotations

import html as html_module
import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from council.advisories.models import Advisory, AdvisoryDelivery
from council.auth.models import User
from council.notifications.mentions import members_of
from council.notifications.services import Note, notify
from council.orgs.models import Organization

SNIPPET = 400
TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


def snippet(html: str) -> str:
    """Plain text of sanitised HTML, for a notification's body."""
    return SPACE.sub(" ", html_module.unescape(TAG.sub(" ", html))).strip()[:SNIPPET]


def escalation_delay(ack_hours: int) -> timedelta:
    """How long after the deadline an unanswered reminder goes to the organisation admins."""
    return max(timedelta(hours=1), timedelta(hours=ack_hours / 2))


def deliver(session: Session, advisory: Advisory, org_ids: Iterable[int], *, now: datetime) -> list[int]:
    """Write the current round's delivery rows of ``org_ids`` that are missing; the ids delivered."""
    wanted = set(org_ids)
    have = set(session.scalars(select(AdvisoryDelivery.org_id).where(
        AdvisoryDelivery.advisory_id == advisory.id, AdvisoryDelivery.round == advisory.ack_round,
        AdvisoryDelivery.org_id.in_(wanted)))) if wanted else set()
    new = sorted(wanted - have)
    if new:
        due = advisory.ack_due_at if advisory.ack_due_at > now else now + timedelta(hours=advisory.ack_hours)
        session.execute(insert(AdvisoryDelivery), [
            {"advisory_id": advisory.id, "org_id": org_id, "round": advisory.ack_round, "delivered_at": now,
             "due_at": due, "escalate_at": due + escalation_delay(advisory.ack_hours), "comment": ""}
            for org_id in new])
    return new


def answerers(session: Session, advisory: Advisory, org_ids: Iterable[int]) -> list[User]:
    """Who answers for these organisations: every active member, or (RED) the named people."""
    ids = sorted(set(org_ids))
    if advisory.tlp == "RED":
        people = advisory.person_ids
        return [u for u in members_of(session, ids) if u.id in people]
    return members_of(session, ids)


def org_admins(session: Session, org_id: int) -> list[User]:
    """The organisation's admins; if it has none, its parent organisation's."""
    org = session.get(Organization, org_id)
    for candidate in (org_id, org.parent_id if org is not None else None):
        if candidate is None:
            continue
        admins = list(session.scalars(select(User).where(User.org_id == candidate, User.org_admin.is_(True),
                                                         User.active.is_(True)).order_by(User.id)))
        if admins:
            return admins
    return []


def note_for(advisory: Advisory, kind: str, title: str, dedupe: str | None, *, body: str | None = None,
             urgent: bool = False) -> Note:
    return Note(kind=kind, title=title, url=f"/advisories/{advisory.id}", subject=f"advisory:{advisory.id}",
                ref=f"advisory {advisory.ref}", tlp=advisory.tlp, exercise=False, urgent=urgent,
                body=snippet(advisory.body_html) if body is None else body[:SNIPPET], dedupe_key=dedupe)


def tell_audience(session: Session, advisory: Advisory, org_ids: Iterable[int], *, actor: User | None,
                  now: datetime) -> int:
    """Notify who must acknowledge (once per person and round); the number told."""
    note = note_for(advisory, "advisory",
                    f"{advisory.ref} ({advisory.severity}): {advisory.title} — please acknowledge",
                    f"advisory:{advisory.id}:round:{advisory.ack_round}")
    return len(notify(session, note, answerers(session, advisory, org_ids), actor=actor, now=now))
