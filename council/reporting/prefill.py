"""What a report starts from when a room holds the record: the incident form filed
from a room, and a draft for each stage from the room's timeline, the reporting
organisation's sitreps and the action items (authors edit before submitting)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.errors import NotFound
from council.extensions import settings
from council.reporting.models import Incident
from council.rooms.models import ActionItem, Room, RoomEvent
from council.rooms.services import get_room
from council.timefmt import shown


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(settings().timezone)


def _local_input(value: Any) -> str:
    return value.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M") if value else ""


def from_room(session: Session, user: User, room: Room) -> dict[str, Any]:
    """The new-incident form pre-filled from a room the user writes in."""
    first = session.scalars(select(RoomEvent).where(RoomEvent.room_id == room.id, RoomEvent.kind == "timeline")
                            .order_by(RoomEvent.seq)).first()
    detected = room.created_at
    if first is not None:
        from datetime import datetime

        occurred = json.loads(first.data).get("occurred_at")
        if occurred:
            detected = datetime.fromisoformat(occurred.replace("Z", "+00:00"))
    return {"title": room.title, "type": "incident", "tlp": room.tlp, "description": room.summary,
            "detected_at": _local_input(detected), "aware_at": _local_input(room.created_at)}


def linked_room(session: Session, user: User, incident: Incident) -> Room | None:
    """The incident's room, if this user may see it (a report's chain and its room's people differ)."""
    if incident.room_id is None:
        return None
    try:
        room, _role = get_room(session, actor=user, room_id=incident.room_id)
    except NotFound:
        return None
    return room


def stage_drafts(session: Session, user: User, incident: Incident) -> dict[int, str]:
    """Per open stage id, a markdown draft from the linked room's record (or none)."""
    room = linked_room(session, user, incident)
    if room is None:
        return {}
    zone = _zone()
    events = list(session.scalars(select(RoomEvent).where(
        RoomEvent.room_id == room.id, RoomEvent.kind.in_(("timeline", "sitrep")), RoomEvent.redacted_seq.is_(None))
        .order_by(RoomEvent.seq)))
    timeline = []
    sitrep = None
    for ev in events:
        data = json.loads(ev.data)
        if ev.kind == "timeline":
            from datetime import datetime

            at = datetime.fromisoformat(data["occurred_at"].replace("Z", "+00:00"))
            timeline.append((at, f"- {shown(at, zone)} [{data.get('category')}] {' '.join(ev.body.split())}"))
        elif data.get("org_id") == incident.reporter_org_id:
            sitrep = ev.body
    actions = list(session.scalars(select(ActionItem).where(ActionItem.room_id == room.id).order_by(ActionItem.id)))
    parts = []
    if timeline:
        parts.append("### Timeline\n\n" + "\n".join(line for _at, line in sorted(timeline)))
    if sitrep:
        parts.append("### Latest situation report\n\n" + sitrep)
    if actions:
        parts.append("### Actions\n\n" + "\n".join(f"- {a.title} ({a.status.replace('_', ' ')})" for a in actions))
    if not parts:
        return {}
    draft = "\n\n".join(parts)
    return {s.id: draft for s in incident.stages if s.status in ("pending", "revision")}
