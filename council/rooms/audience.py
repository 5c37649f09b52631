"""Who in a room sees which events, and in what form.

Most events go to everyone who can see the room. Some are for a narrower
audience inside it: a decision marked stricter than its room (audience
``tlp:RED``), an inject for one exercise team, evaluator notes for staff.
And some show a redacted form to part of the room (an inject's controller
notes are for staff only).

Every viewer belongs to a set of audience keys in a room, computed by the
providers registered here (core: the TLP levels the viewer would clear with
the room's organisations and members; exercises add staff and teams). The
same rule serves REST, socket joins and broadcasts:

* REST and joins serialise each event *for* the viewer (:func:`view_for`);
* a broadcast goes to channel ``room:<id>`` in the form everyone may see and,
  when that is partial, in full to ``room:<id>:<audience>``; clients keep the
  full form when they get both (``"partial": true`` never replaces a full one).

An event hidden from a viewer still shows as a stub (seq and kind
"restricted"), so every client's sequence stays gapless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from council.access import can_see
from council.auth.models import User
from council.rooms.models import TLPS, Room
from council.rooms.visibility import facts_of, viewer_of

Provider = Callable[[Session, User, Room, str], set[str]]
PROVIDERS: list[Provider] = []
# kind -> function of the full event object returning its tiers, most
# privileged first: (audience key, form) pairs, where the key None means
# "everyone in the room" and the form is the event as that tier sees it (the
# full event, a redacted copy, or a stub). None: no restriction.
Tiers = list[tuple[str | None, dict[str, Any]]]
Restriction = Callable[[dict[str, Any]], Tiers | None]
RESTRICTIONS: dict[str, Restriction] = {}


def register_provider(provider: Provider) -> None:
    if provider not in PROVIDERS:  # every app built registers again
        PROVIDERS.append(provider)


def register_restriction(kind: str, restriction: Restriction) -> None:
    RESTRICTIONS[kind] = restriction


def tlp_levels(session: Session, user: User, room: Room, _role: str) -> set[str]:
    """The TLP levels this user would clear in this room (for items marked stricter than it)."""
    viewer, facts = viewer_of(session, user), facts_of(room)
    return {f"tlp:{t}" for t in TLPS if can_see(viewer, replace(facts, tlp=t))}


register_provider(tlp_levels)


def audiences_of(session: Session, user: User, room: Room, role: str) -> set[str]:
    keys: set[str] = set()
    for provider in PROVIDERS:
        keys |= provider(session, user, room, role)
    return keys


def stub(full: dict[str, Any]) -> dict[str, Any]:
    """What a viewer outside every tier sees: that an event with this seq exists."""
    return {"room": full["room"], "seq": full["seq"], "kind": "restricted", "id": full["id"],
            "author": None, "created_at": full["created_at"], "body": "", "body_html": "",
            "client_id": None, "exercise": full["exercise"], "partial": True}


def redacted(full: dict[str, Any], *hidden: str) -> dict[str, Any]:
    """A copy without the ``hidden`` fields, marked partial."""
    return {**{k: v for k, v in full.items() if k not in hidden}, "partial": True}


def _tiers(full: dict[str, Any]) -> Tiers | None:
    rule = RESTRICTIONS.get(full["kind"])
    return rule(full) if rule else None


def restricted(full: dict[str, Any]) -> bool:
    """Whether some viewers of the room see this event in another form (or as a stub)."""
    return _tiers(full) is not None


def view_for(full: dict[str, Any], audiences: set[str] | None) -> dict[str, Any]:
    """The event as a viewer with these audience keys may see it (None: all of it)."""
    tiers = _tiers(full)
    if tiers is None or audiences is None:
        return full
    for key, form in tiers:
        if key is None or key in audiences:
            return form
    return stub(full)


def deliveries(full: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(channel, payload) pairs for broadcasting one event: each tier's form to
    its channel, and a stub to the room when no tier is for everyone."""
    channel = f"room:{full['room']}"
    tiers = _tiers(full)
    if tiers is None:
        return [(channel, full)]
    out = [(channel if key is None else f"{channel}:{key}", form) for key, form in tiers]
    if all(key is not None for key, _form in tiers):
        out.append((channel, stub(full)))
    return out
