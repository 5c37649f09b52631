"""A narrowed marking narrows membership, and a redaction covers every edit.

Named members are people within the room's reach: when the marking rises or an
organisation leaves, whoever could not be named now loses access at once (pages,
REST, open sockets) and the room's event says who and why. A redacted message's
text, and the text of each of its edits, is gone from REST history, the page and
join history."""

from __future__ import annotations

import pytest

from council.errors import Invalid, NotFound
from council.extensions import database
from council.rooms.services import get_room
from tests.conftest import login
from tests.council.test_rooms_api import Api
from tests.factories import PASSWORD


@pytest.fixture
def api(client, make):
    return Api(client, make)


@pytest.fixture
def w(make):
    class W:
        national = make.org("National CERT S", tier="national")
        bank = make.org("Bank CERT S", parent=national)
        branch = make.org("Bank Branch CSIRT S", parent=bank)
        telco = make.org("Telco CERT S", parent=national)
        lead = make.user("lead@s.example", org=national, name="Lena Lead")
        banker = make.user("banker@s.example", org=bank, name="Bob Banker")
        brancher = make.user("branch@s.example", org=branch, name="Bea Branch")
        telco_user = make.user("telco@s.example", org=telco, name="Tom Telco")
    return W


def visible(app, user, room_id) -> bool:
    with database(app).session(write=False) as s:
        try:
            get_room(s, actor=s.merge(user), room_id=room_id)
        except NotFound:
            return False
        return True


def test_raising_the_marking_drops_named_members_outside_its_reach_everywhere(app, api, make, connect, w):
    room = make.room(w.lead, tlp="AMBER", orgs=(w.bank,), members=(w.banker, w.brancher))
    branch_socket = connect(w.brancher)
    assert branch_socket.join(room.id)["ok"] is True
    branch_socket.drain()
    event = make.event(w.lead, room, kind="status", tlp="AMBER+STRICT")
    data = api.events(w.lead, room.id, since=event.seq - 1)["events"][0]
    assert [d["user"] for d in data["dropped"]] == ["Bea Branch"]
    assert "TLP:AMBER+STRICT" in data["dropped_reason"]
    # The branch's person (a child organisation: allowed under AMBER, not under AMBER+STRICT) is out…
    assert not visible(app, w.brancher, room.id)
    assert api.get(w.brancher, f"/rooms/{room.id}/events").status_code == 404
    assert branch_socket.inbox().get("removed") == [{"room": room.id}]
    make.event(w.lead, room, body="among the participating organisations only")
    assert branch_socket.events() == []
    # …the participating organisation's person stays.
    assert visible(app, w.banker, room.id)
    names = [m["name"] for m in api.get(w.lead, f"/rooms/{room.id}").get_json()["members"]]
    assert "Bea Branch" not in names and "Bob Banker" in names


def test_an_organisation_leaving_drops_its_named_people(app, api, make, w):
    room = make.room(w.lead, tlp="AMBER+STRICT", orgs=(w.bank, w.telco), members=(w.telco_user,))
    assert visible(app, w.telco_user, room.id)
    make.event(w.lead, room, kind="status", orgs_remove=[w.telco.id])
    assert not visible(app, w.telco_user, room.id)
    last = api.events(w.lead, room.id)["events"][-1]
    assert [d["user_id"] for d in last["dropped"]] == [w.telco_user.id]
    assert last["removed_org_names"] == {str(w.telco.id): "Telco CERT S"}


def test_a_change_that_would_drop_every_lead_is_refused(make, w):
    room = make.room(w.banker, tlp="AMBER", orgs=(w.national,))  # the banker leads; Bank CERT participates
    with pytest.raises(Invalid) as refused:
        make.event(w.banker, room, kind="status", orgs_remove=[w.bank.id], tlp="AMBER+STRICT")
    assert "without a lead" in str(refused.value.fields)


def test_red_rooms_keep_the_people_named_in_them(app, make, w):
    room = make.room(w.lead, tlp="AMBER", orgs=(w.bank,), members=(w.brancher,))
    make.event(w.lead, room, kind="status", tlp="RED")  # RED names individuals from anywhere
    assert visible(app, w.brancher, room.id)


def test_a_redaction_hides_the_original_and_every_edit(app, api, make, client, connect, w):
    room = make.room(w.lead, tlp="GREEN")
    original = make.event(w.lead, room, body="SECRETORIGINAL first text")
    make.event(w.lead, room, body="SECRETEDITONE second text", edits=original.seq)
    make.event(w.lead, room, body="SECRETEDITTWO third text", edits=original.seq)
    make.event(w.lead, room, redacts=original.seq, reason="wrong room")
    everything = str(api.events(w.lead, room.id, since=0))
    sock = connect(w.banker)
    joined = str(sock.join(room.id, since=0))
    login(client, w.lead.email, PASSWORD)
    page = client.get(f"/rooms/{room.id}").get_data(as_text=True)
    for where in (everything, joined, page):
        for secret in ("SECRETORIGINAL", "SECRETEDITONE", "SECRETEDITTWO"):
            assert secret not in where
    edits = [e for e in api.events(w.lead, room.id, since=0)["events"] if e.get("edits") == original.seq]
    assert len(edits) == 2 and all(e["body"] == "" and e["body_html"] == "" for e in edits)


def test_an_action_is_assigned_only_to_someone_who_can_see_the_room(api, make, w):
    room = make.room(w.lead, tlp="AMBER+STRICT", orgs=(w.bank,))
    refused = api.post(w.lead, f"/rooms/{room.id}/events", {"kind": "action", "title": "t",
                                                              "assignee_user_id": w.telco_user.id})
    missing = api.post(w.lead, f"/rooms/{room.id}/events", {"kind": "action", "title": "t",
                                                              "assignee_user_id": 987_654})
    # No name comes back, and someone outside reads the same as nobody at all.
    assert refused.status_code == missing.status_code == 422
    assert refused.get_json() == missing.get_json()
    assert "Tom Telco" not in str(refused.get_json())
    ok = api.post(w.lead, f"/rooms/{room.id}/events", {"kind": "action", "title": "t",
                                                         "assignee_user_id": w.banker.id})
    assert ok.status_code == 201 and ok.get_json()["assignee_user"] == "Bob Banker"
