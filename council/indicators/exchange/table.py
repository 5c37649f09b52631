"""A room's indicators as CSV (formula-neutralised by council/csvfile.py): one row per
indicator, the value refanged (for tools) and defanged (for reading)."""

from __future__ import annotations

import json
from typing import Any

from council import csvfile
from council.indicators.models import Indicator, marking
from council.indicators.services import sightings_json
from council.indicators.values import defang
from council.rooms.models import Room
from council.rooms.stream import iso

COLUMNS = ["id", "type", "value", "value_defanged", "tlp", "marking", "status", "confidence", "first_seen",
           "last_seen", "tags", "source_org", "sightings", "sighting_orgs", "description", "room_id", "room"]


def rows(room: Room, indicators: list[Indicator], *, exercise: bool = False) -> str:
    out: list[dict[str, Any]] = []
    for ind in indicators:
        seen, tlp = sightings_json(ind), marking(ind.tlp, room.tlp)
        out.append({
            "id": ind.id, "type": ind.type, "value": ind.value, "value_defanged": defang(ind.type, ind.value),
            "tlp": tlp, "marking": f"TLP:{tlp}" + (" EXERCISE" if exercise else ""), "status": ind.status,
            "confidence": "" if ind.confidence is None else ind.confidence,
            "first_seen": iso(ind.first_seen) or "", "last_seen": iso(ind.last_seen) or "",
            "tags": "; ".join(json.loads(ind.tags)), "source_org": ind.source_org.name, "sightings": seen["total"],
            "sighting_orgs": "; ".join(f"{r['org']} ({r['count']})" for r in seen["by_org"]),
            "description": ind.description, "room_id": room.id, "room": room.title,
        })
    return csvfile.write(COLUMNS, out)
