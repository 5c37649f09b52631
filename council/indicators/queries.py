"""Reading indicators: a room's list, paste-to-extract with what is known, search across
every room and report the caller may see, and the "also in" hints. The same access rule as single
reads (council/indicators/services.py indicator_visible), in SQL and again per row."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, lazyload

from council.access import can_see
from council.auth.models import User
from council.indicators.models import Indicator, marking
from council.indicators.services import indicator_json, indicator_visible, visible_indicators
from council.indicators.values import defang, guess, refang
from council.reporting.models import Incident
from council.rooms.models import TLPS, Room
from council.rooms.visibility import facts_of, load_visible, viewer_of

SEARCH_LIMIT = 200


def _owners() -> Any:
    """Indicators with their room or report (outer joins: an indicator has one of the two)."""
    return (select(Indicator, Room).outerjoin(Room, Room.id == Indicator.room_id)
            .outerjoin(Incident, Incident.id == Indicator.incident_id))


def also_in(session: Session, actor: User, indicators: list[Indicator], rooms: dict[int, Room] | None = None,
            ) -> dict[int, list[dict[str, Any]]]:
    """Per indicator: the *other* rooms and reports holding the same (type, value) that the
    actor may see, with the indicator visible there too (a room: ``{"room", "title"}``, a
    report: ``{"incident", "ref", "title"}``). One query for the whole list; exercise data and
    real data never hint at each other."""
    if not indicators:
        return {}
    keys = {(i.type, i.value) for i in indicators}
    values = {v for _t, v in keys}
    stmt = (select(Indicator.type, Indicator.value, Indicator.room_id, Room.title, Room.kind,
                   Indicator.incident_id, Incident.ref, Incident.title, Incident.type)
            .outerjoin(Room, Room.id == Indicator.room_id).outerjoin(Incident, Incident.id == Indicator.incident_id)
            .where(Indicator.value.in_(values), visible_indicators(session, actor))
            .order_by(Indicator.room_id.desc(), Indicator.incident_id.desc()))
    found: dict[tuple[str, str], list[tuple[dict[str, Any], bool]]] = {}
    for type_, value, room_id, title, kind, incident_id, ref, inc_title, inc_type in session.execute(stmt):
        if (type_, value) not in keys:
            continue
        hint = ({"room": room_id, "title": title}, kind == "exercise") if room_id is not None else (
            {"incident": incident_id, "ref": ref, "title": inc_title}, inc_type == "test")
        found.setdefault((type_, value), []).append(hint)
    out: dict[int, list[dict[str, Any]]] = {}
    for ind in indicators:
        if ind.room_id is not None:
            home = (rooms or {}).get(ind.room_id)
            exercise = home.is_exercise if home is not None else False
        else:
            exercise = ind.incident is not None and ind.incident.is_test
        out[ind.id] = [hint for hint, ex in found.get((ind.type, ind.value), [])
                       if ex == exercise and hint.get("room", -1) != ind.room_id
                       and hint.get("incident", -1) != ind.incident_id]
    return out


def with_hints(session: Session, actor: User, rows: list[tuple[Indicator, Room | None]]) -> list[dict[str, Any]]:
    hints = also_in(session, actor, [i for i, _r in rows], {r.id: r for _i, r in rows if r is not None})
    out = []
    for ind, room in rows:
        found = hints.get(ind.id, [])
        out.append({**indicator_json(ind, room), "also_in": [h for h in found if "room" in h],
                    "also_in_reports": [h for h in found if "incident" in h]})
    return out


def list_for_room(session: Session, *, actor: User, room_id: int, include_retired: bool = True,
                  light: bool = False) -> tuple[Room, list[Indicator]]:
    room, _role = load_visible(session, actor, room_id)
    stmt = select(Indicator).where(Indicator.room_id == room.id).order_by(Indicator.id.desc())
    if not include_retired:
        stmt = stmt.where(Indicator.status == "active")
    if light:  # exports: who typed it in is not exchanged
        stmt = stmt.options(lazyload(Indicator.created_by))
    viewer, facts = viewer_of(session, actor), facts_of(room)
    cleared = {t for t in TLPS if can_see(viewer, replace(facts, tlp=t))}  # the same rule, asked once per level
    return room, [i for i in session.scalars(stmt) if marking(i.tlp, room.tlp) in cleared]


def extract_for_room(session: Session, *, actor: User, room_id: int, text: str) -> list[dict[str, Any]]:
    """Indicators found in a pasted text, with what is already known of each."""
    from council.indicators.extract import extract

    room, _role = load_visible(session, actor, room_id)
    found = extract(text)
    # "Known" only of what the caller may see: an indicator marked beyond them is not confirmed.
    _room, visible = list_for_room(session, actor=actor, room_id=room.id)
    keys = set(found)
    known = {(i.type, i.value) for i in visible if (i.type, i.value) in keys}
    probes = [Indicator(id=-n - 1, room_id=room.id, type=t, value=v) for n, (t, v) in enumerate(found)]
    hints = also_in(session, actor, probes, {room.id: room})
    return [{"type": t, "value": v, "defanged": defang(t, v), "known": (t, v) in known,
             "also_in": len(hints.get(p.id, []))} for (t, v), p in zip(found, probes, strict=True)]


def search(session: Session, *, actor: User, q: str, type_: str | None = None, include_retired: bool = False,
           include_exercises: bool = False, limit: int = SEARCH_LIMIT) -> list[tuple[Indicator, Room | None]]:
    """Every indicator the actor may see whose value is the query or starts with it.

    The query is refanged first (hxxp, [.]) and read as each type it can be (a domain is
    lower-cased, an address canonical); the value as typed (trimmed) is tried too, for
    file names, registry keys and user agents. Each reading is an index range scan."""
    text = refang(q.strip())
    typed = guess(text)
    readings = {v for _t, v in typed} | {text, " ".join(q.split())}
    # A host (domain or address) finds the URLs on it too.
    readings |= {f"{scheme}://{v}" for t, v in typed if t in ("domain", "ipv4") for scheme in ("http", "https")}
    readings = {r for r in readings if r}
    if not readings:
        return []
    base = _owners().where(visible_indicators(session, actor))
    if type_ is not None:
        base = base.where(Indicator.type == type_)
    if not include_retired:
        base = base.where(Indicator.status == "active")
    if not include_exercises:  # an exercise room's, or a drill's test report's
        base = base.where(or_(Room.kind.is_(None), Room.kind != "exercise"),
                          or_(Incident.type.is_(None), Incident.type != "test"))
    found: dict[int, tuple[Indicator, Room | None]] = {}
    for reading in sorted(readings):  # one range scan each (an OR of ranges would scan the table)
        stmt = base.where(Indicator.value >= reading, Indicator.value < reading + "\U0010ffff")
        for ind, room in session.execute(stmt.order_by(Indicator.value, Indicator.id.desc()).limit(limit)):
            found[ind.id] = (ind, room)
    rows = sorted(found.values(), key=lambda row: (row[0].value, -row[0].id))[:limit]
    return [(i, r) for i, r in rows if indicator_visible(session, actor, i, r)]
