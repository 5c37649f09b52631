"""The ``incident`` room event kind: what happens to an incident linked to a room
(filed, a stage submitted, reviewed or overdue, consent, linked). Written by the
reporting services, never posted by clients; it carries the reference and the
state, never the report's content, and reaches only the organisations that see
the incident (the event's ``orgs``: the reporter, its reviewer, and the national
CERT once the report was forwarded; others in the room get a stub with the same
seq). A room is often wider than a report's chain."""

from __future__ import annotations

from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.errors import Forbidden
from council.reporting.models import Incident
from council.rooms.audience import register_provider, register_restriction
from council.rooms.models import Room
from council.rooms.shapes import Post
from council.rooms.stream import Draft, KindSpec, PostContext, register_kind


class IncidentPost(Post):
    model_config = ConfigDict(extra="ignore")  # refused whatever it carries
    kind: Literal["incident"]


def _not_postable(_ctx: PostContext) -> str:
    return _("Incident events come from the incident's own page or API, not from posts.")


def _never(ctx: PostContext, _payload: dict[str, Any]) -> Draft:
    raise Forbidden(_not_postable(ctx))


def restriction(full: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]] | None:
    return [(f"org:{org_id}", full) for org_id in full.get("orgs") or []]


def org_audience(session: Session, user: User, room: Room, _role: str) -> set[str]:
    """A viewer's organisation, as the audience of incident events, in rooms linked to incidents."""
    linked: set[int] = session.info.setdefault("council_rooms_with_incidents", set())  # once linked, linked
    if room.id not in linked and session.scalar(
            select(Incident.id).where(Incident.room_id == room.id).limit(1)) is not None:
        linked.add(room.id)
    return {f"org:{user.org_id}"} if room.id in linked else set()


def register() -> None:
    register_kind(KindSpec("incident", _never, IncidentPost, may_post=_not_postable, allowed_when_closed=True))
    register_restriction("incident", restriction)
    register_provider(org_audience)
