"""Exchange of a room's indicators: STIX 2.1 bundles, MISP event JSON and CSV out; STIX
bundles and MISP events in (each object validated, all or nothing, markings carried).

Exports see what the exporter may see, no more; exercise data leaves only when the
exporter opts in, and then marked EXERCISE on every object.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.errors import Conflict, Invalid
from council.indicators import queries, services
from council.indicators.models import Indicator
from council.rooms.models import Room

IMPORT_MAX = 20_000
FORMATS = ("stix", "misp", "csv")


class ImportRefused(Exception):
    """Some objects were not valid: nothing was written; ``errors`` by index."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__(_("The import was refused: nothing was added."))
        self.errors = errors


def for_export(session: Session, *, actor: User, room_id: int, exercise: bool) -> tuple[Room, list[Indicator]]:
    """The room and the indicators the actor may see, once exercise data is opted into."""
    room, indicators = queries.list_for_room(session, actor=actor, room_id=room_id, light=True)
    if room.is_exercise and not exercise:
        raise Conflict(_("This is exercise data. Export it only on purpose (exercise=true): every object is "
                       "then marked EXERCISE."))
    return room, list(reversed(indicators))


def record_export(session: Session, *, actor: User, room_id: int, fmt: str, count: int, exercise: bool) -> None:
    record(session, action="indicator.export", actor=actor, target_type="room", target_id=room_id, room_id=room_id,
           details={"format": fmt, "indicators": count, "exercise": exercise})


def detect(data: Any) -> str:
    if isinstance(data, dict) and data.get("type") == "bundle":
        return "stix"
    if isinstance(data, dict) and (isinstance(data.get("Event"), dict) or "Attribute" in data or "info" in data):
        return "misp"
    raise Invalid(_("The import was not accepted."), {"body": _("Send a STIX 2.1 bundle or a MISP event (JSON).")})


def import_into(session: Session, *, actor: User, room_id: int, data: Any) -> tuple[str, int, int]:
    """Import a STIX bundle or MISP event into the room: (format, added, skipped).
    ImportRefused with per-object errors when any object is invalid; nothing written then."""
    from council.indicators.exchange import misp, stix

    room = services.writable_room(session, actor, room_id)
    fmt = detect(data)
    objects = data.get("objects") if fmt == "stix" else None
    if fmt == "stix" and not isinstance(objects, list):
        raise Invalid(_("The import was not accepted."), {"objects": _("A STIX bundle's objects are a list.")})
    count = len(objects) if objects is not None else 0
    if count > IMPORT_MAX:
        raise Invalid(_("The import was not accepted."),
                      {"objects": _("At most %(num)s objects at a time.", num=IMPORT_MAX)})
    reader = stix.read if fmt == "stix" else misp.read
    items, skipped, errors = reader(data, room.tlp, room.is_exercise)
    fields = []
    for n, item in enumerate(items):
        try:
            fields.append(services.check_fields(room, item))
        except Invalid as err:
            errors.append((item.get("_index", n), "; ".join(f"{k}: {v}" for k, v in err.fields.items())))
    if errors:
        raise ImportRefused(sorted(errors))
    added, duplicates = services.insert_many(session, room, actor, fields, op="imported")
    record(session, action="indicator.import", actor=actor, target_type="room", target_id=room.id, room_id=room.id,
           details={"format": fmt, "added": len(added), "skipped": skipped + duplicates})
    return fmt, len(added), skipped + duplicates
