"""Unread counts (read marks: REST and socket, never backwards, only rooms one
may see), the people search behind the pickers (only people one may name),
and "My work" on the dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from council.db import utcnow
from council.rooms.reading import unread_counts
from council.rooms.services import list_rooms
from council.work import my_work
from tests.conftest import login
from tests.council.test_rooms_api import Api
from tests.factories import PASSWORD


@pytest.fixture
def api(client, make):
    return Api(client, make)


@pytest.fixture
def w(make):
    class W:
        national = make.org("National CERT R", tier="national")
        bank = make.org("Bank CERT R", parent=national)
        other = make.org("Unrelated CERT R")
        lead = make.user("lead@r.example", org=national, name="Lena Lead")
        banker = make.user("banker@r.example", org=bank, name="Bob Banker")
        stranger = make.user("stranger@r.example", org=other, name="Stella Stranger")
    W.room = make.room(W.lead, title="Unread room", tlp="AMBER", orgs=(W.bank,))
    return W


def unread_of(app, user, room):
    from council.extensions import database

    with database(app).session(write=False) as s:
        rooms = [r for r in list_rooms(s, actor=s.merge(user)) if r.id == room.id]
        return unread_counts(s, s.merge(user), rooms).get(room.id, 0)


def test_unread_counts_what_others_wrote_after_my_mark_and_the_mark_never_moves_back(app, api, make, w):
    for i in range(3):
        make.event(w.banker, w.room, body=f"news {i}")
    make.event(w.lead, w.room, body="my own words are never unread")
    assert unread_of(app, w.lead, w.room) == 3
    latest = api.latest(w.lead, w.room.id)
    answer = api.post(w.lead, f"/rooms/{w.room.id}/read", {"seq": latest - 2})
    assert answer.status_code == 200 and answer.get_json() == {"room": w.room.id, "seq": latest - 2}
    assert unread_of(app, w.lead, w.room) == 1
    assert api.post(w.lead, f"/rooms/{w.room.id}/read", {"seq": 1}).get_json()["seq"] == latest - 2  # not back
    assert api.post(w.lead, f"/rooms/{w.room.id}/read", {"seq": 10**6}).get_json()["seq"] == latest  # clamped
    assert unread_of(app, w.lead, w.room) == 0
    listed = {r["id"]: r["unread"] for r in api.get(w.banker, "/rooms").get_json()["rooms"]}
    assert listed[w.room.id] == 1  # the banker has read nothing; only the lead's message counts


def test_a_read_mark_on_an_invisible_room_is_404_and_bad_seqs_are_422(api, w):
    assert api.post(w.stranger, f"/rooms/{w.room.id}/read", {"seq": 1}).status_code == 404
    for bad in (-1, "3", True, None, 1.5):
        answer = api.post(w.lead, f"/rooms/{w.room.id}/read", {"seq": bad})
        assert answer.status_code == 422 and "seq" in answer.get_json()["fields"], bad


def test_the_read_socket_event_records_the_mark(app, make, w):
    from council.extensions import socketio

    make.event(w.banker, w.room, body="hello")
    client = app.test_client()
    login(client, w.lead.email, PASSWORD)
    sio = socketio(app).test_client(app, flask_test_client=client)
    assert sio.emit("read", {"room": w.room.id, "seq": 99}, callback=True) == {"ok": True, "seq": 3}  # the latest
    assert unread_of(app, w.lead, w.room) == 0
    assert sio.emit("read", {"room": w.room.id + 99, "seq": 1}, callback=True)["ok"] is False


def test_the_people_search_offers_only_those_who_may_be_named(api, make, w):
    from council.actors import SYSTEM
    from council.auth.services import set_active

    make.user("bank2@r.example", org=w.bank, name="Bianca Bank")
    gone = make.user("gone@r.example", org=w.bank, name="Bianca Gone")
    make.run(set_active, actor=SYSTEM, user_id=gone.id, active=False)
    found = api.get(w.lead, "/people", q="bianca").get_json()["people"]
    assert [p["email"] for p in found] == ["bank2@r.example"]  # the deactivated one is not offered
    assert set(found[0]) == {"id", "name", "email", "org_id", "org"}
    # In the AMBER room: people of its organisations and below, not yet named; never the stranger.
    in_room = [p["email"] for p in api.get(w.lead, "/people", q="r.example", room=w.room.id).get_json()["people"]]
    assert "bank2@r.example" in in_room and "stranger@r.example" not in in_room and "lead@r.example" not in in_room
    assert api.get(w.stranger, "/people", q="bank", room=w.room.id).status_code == 404
    assert api.get(w.lead, "/people", q="b").status_code == 422
    assert api.get(w.lead, "/people", q="%_").get_json()["people"] == []  # wildcards are text


def test_my_work_lists_what_waits_for_me_and_my_organisation_only(app, make, w):
    make.event(w.lead, w.room, kind="action", title="Collect the logs", assignee_org_id=w.bank.id,
               due_at=(utcnow() - timedelta(hours=1)).isoformat())
    make.event(w.lead, w.room, kind="action", title="Brief the minister", assignee_user_id=w.lead.id)
    make.event(w.lead, w.room, kind="status", sitrep_cadence_min=60)
    make.event(w.lead, w.room, kind="decision", op="propose", title="Block the C2 domains")
    from council.extensions import database

    with database(app).session(write=False) as s:
        bank_work = [(i.kind, i.title, i.overdue) for i in my_work(app, s, s.merge(w.banker))]
        lead_work = [(i.kind, i.title) for i in my_work(app, s, s.merge(w.lead))]
        stranger_work = my_work(app, s, s.merge(w.stranger))
    assert bank_work[0] == ("Action item", "Collect the logs", True)  # overdue first
    assert ("Position", "Block the C2 domains", False) in bank_work
    assert ("Sitrep", "Situation report for Bank CERT R", False) in bank_work
    assert ("Action item", "Brief the minister") in lead_work and ("Action item", "Collect the logs") not in lead_work
    assert stranger_work == []
