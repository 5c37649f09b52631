"""JSON shapes of rooms and their projections (REST, sockets and pages share them)."""

from __future__ import annotations

from typing import Any

from council.rooms.models import ActionItem, Room
from council.rooms.services import SitrepState
from council.rooms.stream import iso


def room_json(room: Room, role: str | None = None) -> dict[str, Any]:
    return {
        "id": room.id,
        "kind": room.kind,
        "exercise": room.is_exercise,
        "title": room.title,
        "summary": room.summary,
        "summary_html": room.summary_html,
        "severity": room.severity,
        "status": room.status,
        "tlp": room.tlp,
        "orgs": [{"id": o.org_id, "name": o.org.name, "tier": o.org.tier}
                 for o in sorted(room.orgs, key=lambda o: o.org.name)],
        "members": [{"user_id": m.user_id, "name": m.user.name, "org": m.user.org.name,
                     "org_id": m.user.org_id, "role": m.role}
                    for m in sorted(room.members, key=lambda m: (m.role != "lead", m.user.name))],
        "created_by": {"id": room.created_by_id, "name": room.created_by.name},
        "created_at": iso(room.created_at),
        "updated_at": iso(room.updated_at),
        "latest_seq": room.last_seq,
        "sitrep_cadence_min": room.sitrep_cadence_min,
        "sitrep_anchor": iso(room.sitrep_anchor),
        "decision_quorum_pct": room.decision_quorum_pct,
        "role": role,
    }


def action_json(item: ActionItem) -> dict[str, Any]:
    return {
        "id": item.id, "room": item.room_id, "title": item.title, "status": item.status,
        "assignee_org_id": item.assignee_org_id,
        "assignee_org": item.assignee_org.name if item.assignee_org else None,
        "assignee_user_id": item.assignee_user_id,
        "assignee_user": item.assignee_user.name if item.assignee_user else None,
        "due_at": iso(item.due_at), "created_seq": item.created_seq, "updated_seq": item.updated_seq,
        "source": item.source,
    }


def sitrep_json(state: SitrepState) -> dict[str, Any]:
    return {"org_id": state.org_id, "org": state.org, "state": state.state,
            "last_seq": state.last_seq, "last_at": iso(state.last_at)}
