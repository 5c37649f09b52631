"""MISP event JSON of a room's indicators, built with pymisp's offline objects
(MISPEvent, MISPAttribute, MISPSighting: MISP's own field names, types, categories and
the serialisation a MISP server imports), and read back the same way.

Distribution follows TLP (markings.py); each attribute carries its tlp: tag, the event
the room's; exercise data the exercise tag and "EXERCISE" in the event's title.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from pymisp import MISPEvent, MISPOrganisation, MISPSighting

from council.db import utcnow
from council.indicators.exchange.markings import (
    MISP_DISTRIBUTION,
    MISP_EXERCISE_TAG,
    MISP_TAG,
    TLP_OF_MISP_TAG,
)
from council.indicators.exchange.stix import NAMESPACE, ObjectRefused
from council.indicators.models import Indicator, marking
from council.indicators.values import BadValue, normalise
from council.rooms.models import Room

# Our type -> (MISP attribute type, category).
TYPES = {
    "ipv4": ("ip-dst", "Network activity"), "ipv6": ("ip-dst", "Network activity"),
    "cidr": ("ip-dst", "Network activity"), "domain": ("domain", "Network activity"),
    "url": ("url", "Network activity"), "email": ("email-src", "Payload delivery"),
    "md5": ("md5", "Payload delivery"), "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"), "file_name": ("filename", "Payload delivery"),
    "cve": ("vulnerability", "External analysis"), "asn": ("AS", "Network activity"),
    "registry_key": ("regkey", "Persistence mechanism"), "user_agent": ("user-agent", "Network activity"),
    "other": ("text", "Other"),
}
# MISP attribute type -> ours (the reading side accepts the usual near relatives).
OF_TYPE = {"ip-dst": "ipv4", "ip-src": "ipv4", "domain": "domain", "hostname": "domain", "url": "url", "uri": "url",
           "link": "url", "email-src": "email", "email-dst": "email", "email": "email", "md5": "md5", "sha1": "sha1",
           "sha256": "sha256", "filename": "file_name", "vulnerability": "cve", "AS": "asn", "regkey": "registry_key",
           "user-agent": "user_agent", "text": "other", "comment": "other"}
THREAT_LEVEL = 4  # undefined: the council does not grade threat levels


def _uuid(key: str) -> str:
    return str(uuid.uuid5(NAMESPACE, key))


def event(room: Room, indicators: list[Indicator], *, exercise: bool = False, now: datetime | None = None,
          org_name: str = "CERT Council") -> dict[str, Any]:
    now = now or utcnow()
    ev = MISPEvent()
    ev.uuid = _uuid(f"misp:room:{room.id}")
    ev.info = ("EXERCISE — " if exercise else "") + room.title
    ev.date = room.created_at.date()
    ev.distribution = MISP_DISTRIBUTION[room.tlp]
    ev.threat_level_id = THREAT_LEVEL
    ev.analysis = 2 if room.status == "closed" else 1
    ev.published = False
    ev.timestamp = now
    orgc = MISPOrganisation()
    orgc.name = org_name
    ev.Orgc = orgc
    ev.add_tag(MISP_TAG[room.tlp])
    if exercise:
        ev.add_tag(MISP_EXERCISE_TAG)
    for ind in indicators:
        misp_type, category = TYPES[ind.type]
        comment = ind.description[:1000] if ind.description else f"From {ind.source_org.name}"
        tlp = marking(ind.tlp, room.tlp)
        attr = ev.add_attribute(misp_type, ind.value, category=category, to_ids=ind.status == "active"
                                and ind.type not in ("other", "cve", "file_name"), comment=comment,
                                distribution=MISP_DISTRIBUTION[tlp], uuid=_uuid(f"misp:indicator:{ind.id}"),
                                disable_correlation=False)
        if ind.first_seen:
            attr.first_seen = ind.first_seen
        if ind.last_seen and (not ind.first_seen or ind.last_seen >= ind.first_seen):
            attr.last_seen = ind.last_seen
        attr.timestamp = ind.updated_at
        attr.add_tag(MISP_TAG[tlp])
        if exercise:
            attr.add_tag(MISP_EXERCISE_TAG)
        for tag in json.loads(ind.tags):
            attr.add_tag(tag)
        for s in ind.sightings:
            sighting = MISPSighting()
            sighting.from_dict(type="0", source=s.org.name, timestamp=int(s.seen_at.timestamp()),
                               uuid=_uuid(f"misp:sighting:{s.id}"))
            attr.sightings.append(sighting)
    return json.loads(ev.to_json())


def read(data: dict[str, Any], room_tlp: str, room_is_exercise: bool) -> tuple[list[dict[str, Any]], int,
                                                                                    list[tuple[int, str]]]:
    """(indicator fields, attributes skipped, errors by attribute index) of a MISP event."""
    from council.access import not_looser
    from council.text import clean_line, clean_text

    problem = _prescan(data)
    if problem:  # before pymisp reads it: its tag handling is quadratic in the number of tags
        return [], 0, [(0, problem)]
    ev = MISPEvent()
    try:
        ev.load(data)
    except Exception as err:
        return [], 0, [(0, _("Not a MISP event: %(error)s", error=str(err)[:200]))]
    event_tags = {str(t.name).lower() for t in ev.tags}
    if not room_is_exercise and any(t.startswith("exercise:") for t in event_tags):
        return [], 0, [(0, _("Tagged as exercise data: never imported into a real room."))]
    # MISP distribution 0 is "your organisation only": at least AMBER+STRICT here.
    floor = "AMBER+STRICT" if str(getattr(ev, "distribution", "")) == "0" else None
    out: list[dict[str, Any]] = []
    errors: list[tuple[int, str]] = []
    skipped = 0
    order = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
    attributes = list(ev.attributes) + [a for obj in ev.objects for a in obj.attributes]
    for index, attr in enumerate(attributes):
        try:
            ours = OF_TYPE.get(attr.type)
            if ours is None:
                skipped += 1
                continue
            value = str(attr.value)
            if attr.type in ("ip-dst", "ip-src"):
                ours = "cidr" if "/" in value else ("ipv6" if ":" in value else "ipv4")
            if attr.type == "AS":
                value = "AS" + value.upper().removeprefix("AS")
            tags = {str(t.name).lower() for t in attr.tags}
            if not room_is_exercise and any(t.startswith("exercise:") for t in tags):
                raise ObjectRefused(_("Tagged as exercise data: never imported into a real room."))
            levels = [TLP_OF_MISP_TAG[t] for t in tags | event_tags if t in TLP_OF_MISP_TAG]
            if floor is not None or str(getattr(attr, "distribution", "")) == "0":
                levels.append("AMBER+STRICT")
            tlp = max(levels, key=order.index) if levels else room_tlp
            tlp = tlp if not_looser(tlp, room_tlp) else room_tlp
            first = getattr(attr, "first_seen", None)
            last = getattr(attr, "last_seen", None)
            out.append({"type": ours, "value": normalise(ours, value), "tlp": tlp,
                        "description": clean_text(str(getattr(attr, "comment", "") or ""))[:20_000],
                        "tags": sorted(clean_line(t)[:64] for t in tags if not t.startswith("tlp:"))[:20],
                        "first_seen": first.isoformat() if isinstance(first, datetime) else None,
                        "last_seen": last.isoformat() if isinstance(last, datetime) and (
                            not isinstance(first, datetime) or last >= first) else None,
                        "origin": clean_line(f"misp:{attr.uuid}")[:120] if getattr(attr, "uuid", None) else None,
                        "_index": index})
        except (ObjectRefused, BadValue) as err:
            errors.append((index, f"{attr.type}: {err}"))
        except (TypeError, ValueError, AttributeError, UnicodeError):
            errors.append((index, _("Not a MISP attribute this platform can read.")))
    return out, skipped, errors


TAGS_MAX = 50


def _prescan(data: Any) -> str | None:
    """Bounds and types pymisp does not check: attributes at most IMPORT_MAX, tags at most
    TAGS_MAX per event and attribute, each tag an object with a text name."""
    from council.indicators.exchange import IMPORT_MAX

    event = data.get("Event", data) if isinstance(data, dict) else None
    if not isinstance(event, dict):
        return _("Not a MISP event.")
    attributes = event.get("Attribute") or []
    objects = event.get("Object") or []
    if not isinstance(attributes, list) or not isinstance(objects, list):
        return _("A MISP event's Attribute and Object are lists.")
    nested = []
    for obj in objects:
        inner = obj.get("Attribute") if isinstance(obj, dict) else None
        if inner is not None and not isinstance(inner, list):
            return _("A MISP object's Attribute is a list.")
        nested += inner or []
    everything = [*attributes, *nested]
    if len(everything) > IMPORT_MAX:
        return _("At most %(num)s attributes at a time.", num=IMPORT_MAX)
    for holder in [event, *everything]:
        tags = holder.get("Tag") if isinstance(holder, dict) else None
        if tags is None:
            continue
        if not isinstance(tags, list) or len(tags) > TAGS_MAX:
            return _("Tags are a list of at most %(num)s.", num=TAGS_MAX)
        if not all(isinstance(t, dict) and isinstance(t.get("name"), str) for t in tags):
            return _("Each tag is an object with a text name.")
    return None
