"""Who may see and do what in a room: TLP 2.0 x organisation x room role.

Pure functions over plain values, so the whole matrix is testable without a
database and every interface (pages, REST, sockets, lists, exports) asks the
same question the same way.

Visibility
  CLEAR, GREEN   every signed-in user
  AMBER          users of participating orgs and of orgs below them
  AMBER+STRICT   users of participating orgs only
  RED            named members only
A named member always sees the room: naming someone is the lead sharing it.
TLP:RED material (a RED room, or a RED item in any room) stays closed to a
browser session that has not verified the second factor (``red_cleared``
False): the step-up opens it, whatever COUNCIL_MFA says.
Exercise rooms are seen by their named members (the exercise's people) only,
whatever their marking. Platform admins get nothing extra here.

Role in a visible room
  named role (lead | member | observer) if named; otherwise "member" for a
  user of a participating organisation and "observer" (read only) for
  everyone else who can see it.
"""

from __future__ import annotations

from dataclasses import dataclass

TLP_ORDER = {"CLEAR": 0, "GREEN": 1, "AMBER": 2, "AMBER+STRICT": 3, "RED": 4}
WRITERS = frozenset({"lead", "member"})


@dataclass(frozen=True)
class Viewer:
    """What access needs to know about a user: id, org and the org's ancestors."""

    user_id: int
    org_id: int
    org_ancestors: frozenset[int]  # the parents of org_id up to the root (not org_id itself)
    active: bool = True
    red_cleared: bool = True  # False: a browser session without the second-factor step-up


@dataclass(frozen=True)
class RoomFacts:
    tlp: str
    org_ids: frozenset[int]
    roles: dict[int, str]  # user id -> named role
    named_only: bool = False  # exercise rooms


def can_see(viewer: Viewer, room: RoomFacts) -> bool:
    if not viewer.active:
        return False
    if room.tlp == "RED" and not viewer.red_cleared:
        return False
    if viewer.user_id in room.roles:
        return True
    if room.named_only:
        return False
    if room.tlp in ("CLEAR", "GREEN"):
        return True
    if room.tlp == "AMBER":
        return viewer.org_id in room.org_ids or bool(viewer.org_ancestors & room.org_ids)
    if room.tlp == "AMBER+STRICT":
        return viewer.org_id in room.org_ids
    return False  # RED: named members only


def role_in(viewer: Viewer, room: RoomFacts) -> str | None:
    """The viewer's effective role, or None when the room is invisible to them."""
    if not can_see(viewer, room):
        return None
    named = room.roles.get(viewer.user_id)
    if named:
        return named
    return "member" if viewer.org_id in room.org_ids else "observer"


def can_write(role: str | None) -> bool:
    return role in WRITERS


def is_lead(role: str | None) -> bool:
    return role == "lead"


def org_may_join(org_id: int, org_ancestors: frozenset[int], tlp: str, org_ids: frozenset[int]) -> bool:
    """May a user of this org be named a member of a room marked ``tlp``?
    RED rooms name individuals from anywhere; other markings follow visibility."""
    if tlp in ("CLEAR", "GREEN", "RED"):
        return True
    if tlp == "AMBER":
        return org_id in org_ids or bool(org_ancestors & org_ids)
    return org_id in org_ids


def not_looser(marking: str, than: str) -> bool:
    """True if ``marking`` is at least as strict as ``than`` (for nested items)."""
    return TLP_ORDER[marking] >= TLP_ORDER[than]
