"""Indicators: what one looks like, and writing them — add (one, or many from a paste
or an import), change, retire, sight. Who sees one is council/indicators/visibility.py;
reading lists, search and the "also in" hints is council/indicators/queries.py; a
report's own indicators are council/indicators/reports.py.

Every change in a room is an ``indicator`` room event (registered below) written by
these services through :func:`council.rooms.stream.append`, carrying the marking of
the indicators in it: an event about indicators stricter than their room reaches only
those who clear that marking; the rest of the room gets a stub with the same seq.
A change to a report's indicators is in the record (audit) and, when the report is
linked to a room, an ``incident`` event there for those who see them
(council/indicators/report_events.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from council.access import can_see, can_write, is_lead, not_looser
from council.auth.models import User
from council.db import utcnow
from council.errors import Conflict, Forbidden, Invalid
from council.indicators import report_events
from council.indicators.models import TYPES, Indicator, Sighting
from council.indicators.values import BadValue, defang, normalise
from council.indicators.visibility import indicator_visible, load_indicator, owner_tlp, report_sees, visible_indicators  # noqa: F401  (load_indicator: the one loader, used by callers)
from council.orgs.models import Organization
from council.reporting.models import Incident
from council.reporting.visibility import sight_of
from council.rooms.audience import register_restriction
from council.rooms.kinds import parse_time
from council.rooms.models import TLPS, Room
from council.rooms.shapes import Post
from council.rooms.stream import Draft, KindSpec, PostContext, append, iso, register_kind
from council.rooms.visibility import facts_of, load_visible, viewer_of
from council.text import render_markdown


def refused() -> str:
    return _("The indicator was not accepted.")


TAGS_MAX, TAG_MAX = 20, 64


# --- what an indicator looks like ---------------------------------------------------------

def sightings_json(indicator: Indicator) -> dict[str, Any]:
    by_org: dict[int, dict[str, Any]] = {}
    for s in indicator.sightings:
        row = by_org.setdefault(s.org_id, {"org_id": s.org_id, "org": s.org.name, "count": 0, "reports": 0,
                                           "first": s.seen_at, "last": s.seen_at, "where": []})
        row["count"] += s.count
        row["reports"] += 1
        row["first"], row["last"] = min(row["first"], s.seen_at), max(row["last"], s.seen_at)
        if s.location and s.location not in row["where"]:
            row["where"].append(s.location)
    rows = sorted(by_org.values(), key=lambda r: r["last"], reverse=True)
    for row in rows:
        row["first"], row["last"] = iso(row["first"]), iso(row["last"])
    return {"total": sum(r["count"] for r in rows), "orgs": len(rows), "by_org": rows}


def owner_json(indicator: Indicator, room: Room | None) -> dict[str, Any]:
    if room is not None:
        return {"room": room.id, "room_title": room.title, "exercise": room.is_exercise, "incident": None}
    incident = indicator.incident
    assert incident is not None  # one owner (the owner check constraint)
    return {"room": None, "room_title": None, "exercise": incident.is_test,
            "incident": {"id": incident.id, "ref": incident.ref, "title": incident.title}}


def indicator_json(indicator: Indicator, room: Room | None) -> dict[str, Any]:
    """The same for every viewer who may see it (events carry it); per-viewer hints are added apart.
    ``room``: the indicator's room, None for a report's indicator."""
    return {
        "id": indicator.id, **owner_json(indicator, room),
        "type": indicator.type, "value": indicator.value, "defanged": defang(indicator.type, indicator.value),
        "tlp": owner_tlp(indicator, room), "confidence": indicator.confidence,
        "description": indicator.description,
        "description_html": indicator.description_html, "tags": json.loads(indicator.tags),
        "first_seen": iso(indicator.first_seen), "last_seen": iso(indicator.last_seen),
        "source_org": {"id": indicator.source_org_id, "name": indicator.source_org.name},
        "created_by": None if indicator.created_by is None else {"id": indicator.created_by_id,
                                                                 "name": indicator.created_by.name},
        "created_at": iso(indicator.created_at), "updated_at": iso(indicator.updated_at),
        "status": indicator.status, "retired_at": iso(indicator.retired_at), "seq": indicator.seq,
        "origin": indicator.origin, "sightings": sightings_json(indicator),
    }


# --- the "indicator" event kind -------------------------------------------------------------

class IndicatorPost(Post):
    model_config = ConfigDict(extra="ignore")  # refused whatever it carries
    kind: Literal["indicator"]


def _not_postable(_ctx: PostContext) -> str:
    return _("Indicators are added through the room's Indicators panel or the indicators API.")


def _never(ctx: PostContext, _payload: dict[str, Any]) -> Draft:
    raise Forbidden(_not_postable(ctx))


def restriction(full: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]] | None:
    """Events carry their indicators' marking: only those who clear it get them."""
    tlp = full.get("tlp")
    return None if tlp in (None, "CLEAR", "GREEN") else [(f"tlp:{tlp}", full)]


register_kind(KindSpec("indicator", _never, IndicatorPost, may_post=_not_postable, allowed_when_closed=True))
register_restriction("indicator", restriction)


Owner = Room | Incident  # what an indicator belongs to


def _emit(session: Session, owner: Owner, actor: User, op: str, tlp: str, indicators: list[Indicator],
          now: datetime, **extra: Any) -> int:
    """The change as a room event (a room's indicators) or in the report's record; the seq
    of the room event (0 for a report's)."""
    if isinstance(owner, Incident):
        report_events.emit(session, owner, actor, op, tlp, indicators, now, **extra)
        return 0
    data = {"op": op, "tlp": tlp, "indicator_ids": [i.id for i in indicators],
            "indicators": [indicator_json(i, owner) for i in indicators], **extra}
    # The audit row names ids and counts, never values: it is read beside the room's marking.
    audit = {"op": op, "tlp": tlp, "indicator_ids": [i.id for i in indicators][:200], "count": len(indicators)}
    return append(session, room=owner, kind="indicator", actor=actor, draft=Draft(data=data, audit=audit),
                  now=now).seq


# --- writing ------------------------------------------------------------------------------------

@dataclass
class Fields:
    """One indicator's fields, already checked (see :func:`check_fields`)."""

    type: str
    value: str
    tlp: str
    confidence: int | None = None
    description: str = ""
    tags: tuple[str, ...] = ()
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    origin: str | None = None
    source_org_id: int | None = None  # who found it, when not the writer's organisation (a report's, shared)


def writable_room(session: Session, actor: User, room_id: int) -> Room:
    room, role = load_visible(session, actor, room_id)
    if not can_write(role):
        raise Forbidden(_("Observers read, never write."))
    if room.status == "closed":
        raise Conflict(_("The room is closed. The lead can reopen it."))
    return room


def _sees(session: Session, actor: User, owner: Owner, tlp: str) -> bool:
    if isinstance(owner, Incident):
        return report_sees(sight_of(actor, owner), owner, tlp)
    return can_see(viewer_of(session, actor), replace(facts_of(owner), tlp=tlp))


def check_tlp(owner: Owner, tlp: str | None, session: Session | None = None, actor: User | None = None) -> str:
    tlp = tlp or owner.tlp
    if tlp not in TLPS or not not_looser(tlp, owner.tlp):
        raise Invalid(refused(), {"tlp": _("A marking at least as strict as the report's TLP:%(tlp)s.", tlp=owner.tlp)
                                  if isinstance(owner, Incident)
                                  else _("A marking at least as strict as the room's TLP:%(tlp)s.", tlp=owner.tlp)})
    if session is not None and actor is not None and not _sees(session, actor, owner, tlp):
        # Nothing half-written: the writer would not see (nor ever change) what they wrote.
        raise Invalid(refused(), {"tlp": _("You would not see an indicator marked TLP:%(tlp)s here yourself.",
                                           tlp=tlp)})
    return tlp


def clean_tags(tags: Any) -> tuple[str, ...]:
    if tags is None:
        return ()
    out: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).split()).lower()
        if not tag or len(tag) > TAG_MAX:
            raise Invalid(refused(), {"tags": _("Tags of 1 to %(num)s characters.", num=TAG_MAX)})
        if tag not in out:
            out.append(tag)
    if len(out) > TAGS_MAX:
        raise Invalid(refused(), {"tags": _("At most %(num)s tags.", num=TAGS_MAX)})
    return tuple(out)


def check_fields(owner: Owner, given: dict[str, Any], session: Session | None = None,
                 actor: User | None = None) -> Fields:
    """Validate and normalise one indicator's fields (REST body, a reviewed paste, an import)."""
    type_ = given.get("type")
    try:
        value = normalise(type_, given.get("value"))  # type: ignore[arg-type]
    except BadValue as err:
        # (normalise refuses an unknown type first: then the type is at fault, else the value)
        raise Invalid(refused(), {"type" if type_ not in TYPES else "value": str(err)}) from None
    first = parse_time(given.get("first_seen"), "first_seen", given.get("tz"))
    last = parse_time(given.get("last_seen"), "last_seen", given.get("tz"))
    if first and last and last < first:
        raise Invalid(refused(), {"last_seen": _("Last seen cannot be before first seen.")})
    confidence = given.get("confidence")
    if confidence is not None and (not isinstance(confidence, int) or not 0 <= confidence <= 100):
        raise Invalid(refused(), {"confidence": _("A whole number from 0 to 100.")})
    description = given.get("description") or ""
    if not isinstance(description, str) or len(description) > 20_000:
        raise Invalid(refused(), {"description": _("Text of at most 20000 characters.")})
    return Fields(type_, value, check_tlp(owner, given.get("tlp"), session, actor), confidence,  # type: ignore[arg-type]
                  description.strip(),
                  clean_tags(given.get("tags")), first, last, given.get("origin"))


def _owned_by(owner: Owner) -> Any:
    if isinstance(owner, Incident):
        return Indicator.incident_id == owner.id
    return Indicator.room_id == owner.id


def existing(session: Session, owner: Owner, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (type, value) pairs the owner already holds (any marking: the key is unique per owner)."""
    if not keys:
        return set()
    values = sorted({v for _t, v in keys})
    found: set[tuple[str, str]] = set()
    for start in range(0, len(values), 500):  # bound the parameters of one statement (SQLite: 32766)
        rows = session.execute(select(Indicator.type, Indicator.value).where(
            _owned_by(owner), Indicator.value.in_(values[start:start + 500])))
        found |= {(t, v) for t, v in rows if (t, v) in keys}
    return found


def _new(owner: Owner, actor: User, f: Fields, now: datetime) -> Indicator:
    ind = Indicator(type=f.type, value=f.value, tlp=f.tlp, confidence=f.confidence,
                    description=f.description, description_html=render_markdown(f.description),
                    tags=json.dumps(list(f.tags)), first_seen=f.first_seen, last_seen=f.last_seen,
                    source_org_id=actor.org_id, created_by_id=actor.id, created_at=now, updated_at=now,
                    status="active", origin=f.origin)
    if isinstance(owner, Incident):
        ind.incident_id, ind.incident = owner.id, owner
    else:
        ind.room_id = owner.id
    ind.source_org = actor.org
    ind.created_by = actor
    ind.sightings = []
    return ind


def insert_many(session: Session, owner: Owner, actor: User, fields: list[Fields], *, op: str = "added",
                now: datetime | None = None) -> tuple[list[Indicator], int]:
    """Write the new ones (those the owner does not hold yet), one event per marking.
    Returns (added, skipped as duplicates)."""
    now = now or utcnow()
    known = existing(session, owner, {(f.type, f.value) for f in fields})
    added: list[Indicator] = []
    for f in fields:
        if (f.type, f.value) in known:
            continue
        known.add((f.type, f.value))
        ind = _new(owner, actor, f, now)
        if f.source_org_id is not None and f.source_org_id != actor.org_id:
            ind.source_org = session.get(Organization, f.source_org_id)  # type: ignore[assignment]
        session.add(ind)
        added.append(ind)
    try:
        session.flush()
    except IntegrityError:  # the same value added by someone else a moment ago
        raise Conflict(_("It already holds that indicator (added a moment ago); reload.")) from None
    for tlp in TLPS:
        group = [i for i in added if i.tlp == tlp]
        if group:
            seq = _emit(session, owner, actor, op, tlp, group, now)
            for ind in group:
                ind.seq = seq
    return added, len(fields) - len(added)


def add_indicator(session: Session, *, actor: User, room_id: int, given: dict[str, Any]) -> Indicator:
    room = writable_room(session, actor, room_id)
    fields = check_fields(room, given, session, actor)
    added, _skipped = insert_many(session, room, actor, [fields])
    if not added:
        raise Conflict(_("This room already holds that indicator."))
    return added[0]


def add_many(session: Session, *, actor: User, room_id: int, items: list[dict[str, Any]],
             tlp: str | None = None) -> tuple[list[Indicator], int]:
    """The reviewed results of a paste, added in one go: all valid or none written."""
    room = writable_room(session, actor, room_id)
    return insert_many(session, room, actor, check_many(session, actor, room, items, tlp))


def check_many(session: Session, actor: User, owner: Owner, items: list[dict[str, Any]],
               tlp: str | None = None) -> list[Fields]:
    """Every item checked; Invalid naming each refused one by its index (nothing is written)."""
    fields, problems = [], {}
    for n, item in enumerate(items):
        try:
            fields.append(check_fields(owner, {**item, "tlp": item.get("tlp") or tlp}, session, actor))
        except Invalid as err:
            problems[f"indicators.{n}"] = "; ".join(f"{k}: {v}" for k, v in err.fields.items())
    if problems:
        raise Invalid(refused(), problems)
    return fields


def _may_edit(actor: User, role: str, indicator: Indicator) -> None:
    if indicator.incident_id is not None:  # a report's: the organisation that added it, or the reporter
        assert indicator.incident is not None
        if actor.org_id not in (indicator.source_org_id, indicator.incident.reporter_org_id):
            raise Forbidden(_("Only the organisation that added an indicator, or the report's reporter, "
                            "changes or retires it."))
        return
    if not (is_lead(role) or (can_write(role) and actor.org_id == indicator.source_org_id)):
        raise Forbidden(_("Only the organisation that added an indicator, or the room's lead, changes or retires it."))


def _editable(session: Session, actor: User, indicator_id: int) -> tuple[Indicator, Owner]:
    indicator, room, role = load_indicator(session, actor, indicator_id)
    _may_edit(actor, role, indicator)
    if room is not None and room.status == "closed":
        raise Conflict(_("The room is closed. The lead can reopen it."))
    owner: Owner | None = room if room is not None else indicator.incident
    assert owner is not None
    return indicator, owner


def change_indicator(session: Session, *, actor: User, indicator_id: int, given: dict[str, Any]) -> Indicator:
    indicator, owner = _editable(session, actor, indicator_id)
    if indicator.status == "retired":
        raise Conflict(_("The indicator is retired; add it again to bring it back."))
    merged = {"type": indicator.type, "value": indicator.value, "tlp": indicator.tlp,
              "confidence": indicator.confidence, "description": indicator.description,
              "tags": json.loads(indicator.tags), "first_seen": iso(indicator.first_seen),
              "last_seen": iso(indicator.last_seen), **given}
    if merged.get("tlp") is None:  # an explicit null leaves the marking as it is
        merged["tlp"] = indicator.tlp
    f = check_fields(owner, merged, session, actor)
    now = utcnow()
    before = indicator.tlp
    indicator.tlp, indicator.confidence, indicator.description = f.tlp, f.confidence, f.description
    indicator.description_html = render_markdown(f.description)
    indicator.tags, indicator.first_seen, indicator.last_seen = json.dumps(list(f.tags)), f.first_seen, f.last_seen
    indicator.updated_at = now
    session.flush()
    # Marked with the stricter of the old and new marking: those who saw it and no longer may
    # are not told what it became.
    tlp = before if not_looser(before, indicator.tlp) else indicator.tlp
    _emit(session, owner, actor, "changed", tlp, [indicator], now)
    return indicator


def retire_indicator(session: Session, *, actor: User, indicator_id: int) -> Indicator:
    indicator, owner = _editable(session, actor, indicator_id)
    if indicator.status == "retired":
        raise Conflict(_("The indicator is already retired."))
    now = utcnow()
    indicator.status, indicator.retired_at, indicator.updated_at = "retired", now, now
    session.flush()
    _emit(session, owner, actor, "retired", indicator.tlp, [indicator], now)
    return indicator


def report_sighting(session: Session, *, actor: User, indicator_id: int, seen_at: str | None = None,
                    count: int = 1, location: str = "", note: str = "", tz: str | None = None) -> Sighting:
    """"Seen by us": any organisation that may see the indicator records its own sightings
    (an observer organisation too: a sighting is its own record, not a change to the room)."""
    indicator, room, _role = load_indicator(session, actor, indicator_id)
    owner: Owner | None = room if room is not None else indicator.incident
    assert owner is not None
    now = utcnow()
    when = parse_time(seen_at, "seen_at", tz) or now
    if when > now:
        raise Invalid(_("The sighting was not accepted."), {"seen_at": _("A sighting is in the past.")})
    sighting = Sighting(indicator_id=indicator.id, org_id=actor.org_id, user_id=actor.id, seen_at=when,
                        count=count, location=location.strip(), note=note.strip(), created_at=now)
    sighting.org = actor.org
    indicator.sightings.append(sighting)
    if indicator.last_seen is None or when > indicator.last_seen:
        indicator.last_seen = when
    if indicator.first_seen is None or when < indicator.first_seen:
        indicator.first_seen = when
    session.flush()
    sighting.seq = _emit(session, owner, actor, "sighted", indicator.tlp, [indicator], now,
                         sighting={"id": sighting.id, "org_id": actor.org_id, "org": actor.org.name,
                                   "seen_at": iso(when), "count": count, "where": sighting.location})
    return sighting
