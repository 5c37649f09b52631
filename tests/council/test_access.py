"""The access matrix: every TLP x org relation x role, in the pure rules and
in their SQL twin used by lists (the two must never disagree)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from sqlalchemy import select

from council.access import RoomFacts, Viewer, can_see, can_write, org_may_join, role_in
from council.extensions import database
from council.rooms.models import Room
from council.rooms.services import create_room, list_rooms
from council.rooms.visibility import viewer_of, visible_filter

PARTICIPANT, CHILD, GRANDCHILD, UNRELATED = 10, 11, 12, 20
ANCESTORS = {PARTICIPANT: frozenset({1}), CHILD: frozenset({PARTICIPANT, 1}),
             GRANDCHILD: frozenset({CHILD, PARTICIPANT, 1}), UNRELATED: frozenset({1})}
EXPECTED_VISIBLE = {
    # tlp: set of org relations that see the room without being named
    "CLEAR": {PARTICIPANT, CHILD, GRANDCHILD, UNRELATED},
    "GREEN": {PARTICIPANT, CHILD, GRANDCHILD, UNRELATED},
    "AMBER": {PARTICIPANT, CHILD, GRANDCHILD},
    "AMBER+STRICT": {PARTICIPANT},
    "RED": set(),
}


@pytest.mark.parametrize(("tlp", "org", "named"), list(itertools.product(
    EXPECTED_VISIBLE, [PARTICIPANT, CHILD, GRANDCHILD, UNRELATED], [None, "lead", "member", "observer"])))
def test_visibility_and_role_matrix(tlp, org, named):
    viewer = Viewer(user_id=5, org_id=org, org_ancestors=ANCESTORS[org])
    room = RoomFacts(tlp, frozenset({PARTICIPANT}), {5: named} if named else {})
    visible = named is not None or org in EXPECTED_VISIBLE[tlp]
    assert can_see(viewer, room) is visible
    role = role_in(viewer, room)
    if not visible:
        assert role is None
    elif named:
        assert role == named
    else:
        assert role == ("member" if org == PARTICIPANT else "observer")
    assert can_write(role) is (role in ("lead", "member"))


def test_red_stays_closed_without_the_step_up_even_to_a_named_lead():
    viewer = Viewer(5, PARTICIPANT, ANCESTORS[PARTICIPANT], red_cleared=False)
    assert not can_see(viewer, RoomFacts("RED", frozenset({PARTICIPANT}), {5: "lead"}))
    assert role_in(viewer, RoomFacts("AMBER+STRICT", frozenset({PARTICIPANT}), {5: "lead"})) == "lead"
    assert can_see(replace(viewer, red_cleared=True), RoomFacts("RED", frozenset({PARTICIPANT}), {5: "lead"}))


def test_inactive_user_sees_nothing_even_when_named():
    viewer = Viewer(5, PARTICIPANT, ANCESTORS[PARTICIPANT], active=False)
    assert not can_see(viewer, RoomFacts("CLEAR", frozenset({PARTICIPANT}), {5: "lead"}))


@pytest.mark.parametrize(("tlp", "org", "allowed"), [
    ("RED", UNRELATED, True), ("GREEN", UNRELATED, True), ("AMBER", CHILD, True),
    ("AMBER", UNRELATED, False), ("AMBER+STRICT", CHILD, False), ("AMBER+STRICT", PARTICIPANT, True),
])
def test_who_may_be_named_a_member(tlp, org, allowed):
    assert org_may_join(org, ANCESTORS[org], tlp, frozenset({PARTICIPANT})) is allowed


def test_sql_filter_agrees_with_rules_for_every_tlp_and_relation(app, make):
    national = make.org("National", tier="national")
    sector = make.org("Sector", parent=national)
    child = make.org("Child", tier="organizational", parent=sector)
    grandchild = make.org("Grandchild", tier="organizational", parent=child)
    other = make.org("Other")
    lead = make.user(org=sector)
    named = make.user(org=other)
    viewers = {o.name: make.user(org=o) for o in (sector, child, grandchild, other, national)}
    admin = make.user(org=other, role="admin")
    rooms = {}
    for tlp in EXPECTED_VISIBLE:
        room = make.run(create_room, actor=lead, title=f"Room {tlp}", severity="low", tlp=tlp,
                        org_ids=[sector.id], member_emails=[named.email] if tlp in ("RED", "GREEN", "CLEAR") else [])
        rooms[tlp] = room.id
    session = database(app).session(write=False)
    try:
        cases = [(viewer_of(session, user), user) for user in [*viewers.values(), admin, named, lead]]
        cases += [(replace(viewer_of(session, user), red_cleared=False), None) for user in (named, lead)]
        for viewer, user in cases:
            sql = set(session.scalars(select(Room.id).where(visible_filter(viewer))))
            for tlp, room_id in rooms.items():
                room = session.get(Room, room_id)
                from council.rooms.visibility import facts_of

                expected = can_see(viewer, facts_of(room))
                assert (room_id in sql) is expected, (viewer, tlp)
                if user is not None:
                    listed = {r.id for r in list_rooms(session, actor=user, status="all")}
                    assert (room_id in listed) is expected, (user.email, tlp)
        # Spot checks of the rule in words.
        admin_sees = {r.title for r in list_rooms(session, actor=admin, status="all")}
        assert admin_sees == {"Room CLEAR", "Room GREEN"}
        gc_sees = {r.title for r in list_rooms(session, actor=viewers["Grandchild"], status="all")}
        assert gc_sees == {"Room CLEAR", "Room GREEN", "Room AMBER"}
        named_sees = {r.title for r in list_rooms(session, actor=named, status="all")}
        assert "Room RED" in named_sees and "Room AMBER+STRICT" not in named_sees
    finally:
        session.close()
