"""The decision register as CSV rows (the JSON export is decision_json)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response
from sqlalchemy.orm import Session

from council import csvfile
from council.decisions.models import Decision
from council.decisions.services import current_positions, dissent
from council.rooms.models import Room
from council.rooms.stream import iso

COLUMNS = ["decision_id", "room_id", "room", "type", "title", "addressee", "level", "tlp", "rule", "status",
           "outcome", "chosen_option", "proposed_by", "proposed_at", "deadline", "closed_at", "positions",
           "dissent", "rationale", "supersedes", "follow_up"]


def register_rows(session: Session, rows: list[tuple[Decision, Room]]) -> list[dict[str, Any]]:
    out = []
    for decision, room in rows:
        positions = "; ".join(f"{p.org.name}: {p.position}" for p in current_positions(decision))
        objecting = "; ".join(f"{d['org']}: {d['comment'] or d['position']}"
                              for d in (dissent(decision, decision.chosen_option) if decision.outcome else []))
        out.append({
            "decision_id": decision.id, "room_id": room.id, "room": room.title, "title": decision.title,
            "tlp": decision.tlp, "rule": decision.rule, "status": decision.status, "outcome": decision.outcome or "",
            "chosen_option": decision.chosen_option or "", "proposed_by": decision.proposed_by.name,
            "proposed_at": iso(decision.proposed_at), "deadline": iso(decision.deadline) or "",
            "closed_at": iso(decision.closed_at) or "", "positions": positions, "dissent": objecting,
            "rationale": decision.rationale, "supersedes": decision.supersedes_id or "",
            "type": decision.type, "addressee": decision.addressee or "",
            "level": "" if decision.level is None else decision.level,
            "follow_up": _follow_up(session, decision),
        })
    return out


def _follow_up(session: Session, decision: Decision) -> str:
    from council.decisions.services import JSON_EXTRAS

    extra: dict[str, Any] = {}
    for add in JSON_EXTRAS:
        extra.update(add(session, decision))
    follow = extra.get("follow_up")
    if not follow:
        return ""
    return " · ".join(str(v) for v in (follow.get("status"), follow.get("decided_by"), follow.get("decided_on")) if v)


def rows_as_csv(rows: list[dict[str, Any]], filename: str = "council-decisions.csv") -> Response:
    return csvfile.download(csvfile.write(COLUMNS, rows), filename)


def rows_as_json(payload: Any, filename: str = "council-decisions.json") -> Response:
    return Response(json.dumps(payload, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
