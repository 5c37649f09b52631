"""The Socket.IO contract of rooms: join, post, leave; event, presence, removed; rights that change live.

The Flask-SocketIO test client delivers synchronously: whatever a handler or a
committed transaction emitted is in ``get_received()`` when the call returns.
"""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest

from council import sockets as sockets_module
from council.actors import SYSTEM
from council.auth.services import set_active
from council.auth.tokens import revoke_token
from council.sockets import BURST, RATE_PER_S, registry
from tests.conftest import csrf, login
from tests.factories import PASSWORD


@pytest.fixture
def world(make):
    class World:
        national = make.org("National CERT", tier="national")
        sector = make.org("Energy ISAC", sector="energy", parent=national)
        other = make.org("Telecom CERT", sector="telecom")
        lead = make.user("lead@national.example", org=national, name="Lena Lead")
        colleague = make.user("colleague@national.example", org=national, name="Carl Colleague")
        child = make.user("child@sector.example", org=sector, name="Chris Child")
        outsider = make.user("outsider@telecom.example", org=other, name="Olga Outsider")

    return World


def rest_events(client, make, user, room_id, **params):
    text = make.api_token(user, "rest")[1]
    response = client.get(f"/api/v1/rooms/{room_id}/events", headers={"Authorization": f"Bearer {text}"},
                          query_string=params)
    assert response.status_code == 200
    return response.get_json()


# --- connect (the foundation tests cover the rest) ---------------------------------

def test_anonymous_and_bad_token_sockets_are_refused(app, client, connect, make):
    make.user()
    assert connect(flask_test_client=client).connected is False
    assert connect(token="cct_forged").connected is False
    assert registry(app).by_sid == {}


# --- join --------------------------------------------------------------------------

def test_join_answers_with_the_events_and_latest_seq(client, connect, make, world):
    room = make.room(world.lead, tlp="AMBER")
    make.event(world.lead, room, body="First")
    make.event(world.colleague, room, body="Second")
    sock = connect(world.colleague)
    assert sock.connected

    ack = sock.join(room.id)
    assert ack["ok"] is True
    assert ack["latest_seq"] == 4
    assert ack["role"] == "member"
    assert ack["has_more"] is False
    assert [(e["seq"], e["kind"]) for e in ack["events"]] == [(1, "status"), (2, "member"), (3, "message"),
                                                              (4, "message")]
    second = ack["events"][3]
    assert second["body"] == "Second"
    assert second["author"]["id"] == world.colleague.id and second["author"]["org"] == "National CERT"
    assert second["created_at"].endswith("Z") and second["exercise"] is False
    # The same event objects as the REST API serves.
    assert ack["events"] == rest_events(client, make, world.colleague, room.id, since=0)["events"]


def test_join_with_since_returns_only_later_events(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    for n in range(4):
        make.event(world.lead, room, body=f"update {n}")  # seq 3..6
    sock = connect(world.outsider)
    ack = sock.join(room.id, since=4)
    assert ack["ok"] is True and ack["latest_seq"] == 6 and ack["role"] == "observer"
    assert [(e["seq"], e["body"]) for e in ack["events"]] == [(5, "update 2"), (6, "update 3")]
    assert sock.join(room.id, since=6)["events"] == []
    assert [e["seq"] for e in sock.join(room.id, since=0)["events"]] == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("payload", [{"room": "1"}, {}, {"room": True}, {"room": 1, "since": -1},
                                     {"room": 1, "since": "3"}, "just text"])
def test_a_malformed_join_is_refused_with_an_error(connect, make, world, payload):
    make.room(world.lead, tlp="GREEN")
    sock = connect(world.lead)
    ack = sock.raw.emit("join", payload, callback=True)
    assert ack["ok"] is False and ack["error"]
    assert sock.connected


def test_joining_an_invisible_room_fails_and_nothing_of_it_arrives(connect, make, world):
    red = make.room(world.lead, tlp="RED", title="Red room")
    strict = make.room(world.lead, tlp="AMBER+STRICT")
    make.event(world.lead, red, body="Named eyes only")
    lead = connect(world.lead)
    assert lead.join(red.id)["ok"] is True
    for user, room in ((world.outsider, red), (world.colleague, red), (world.child, strict)):
        sock = connect(user)
        ack = sock.join(room.id)
        assert ack == {"ok": False, "error": "No such room."}
        assert sock.join(999_999) == ack  # the same as a room that does not exist
        refused = sock.post(room.id, body="Let me in")
        assert refused == {"ok": False, "error": "No such room."}
        lead.post(room.id, body="Still private")
        assert sock.events() == []
        assert sock.connected
    assert [e["body"] for e in lead.events(red.id) if e["kind"] == "message"] == ["Still private", "Still private"]


# --- post --------------------------------------------------------------------------

def test_a_post_is_acked_with_its_seq_and_broadcast_to_the_others(connect, make, world):
    room = make.room(world.lead, tlp="AMBER", orgs=(world.sector,))
    alice, bob = connect(world.lead), connect(world.child)
    alice.join(room.id)
    bob.join(room.id)
    alice.drain()
    bob.drain()

    ack = alice.post(room.id, body="Containment **done**", client_id="a-1")
    assert ack["ok"] is True and ack["seq"] == 3
    event = ack["event"]
    assert (event["seq"], event["room"], event["kind"], event["client_id"]) == (3, room.id, "message", "a-1")
    assert event["author"] == {"id": world.lead.id, "name": "Lena Lead", "org": "National CERT",
                               "org_id": world.national.id}
    assert "<strong>done</strong>" in event["body_html"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", event["created_at"])

    assert bob.events() == [event]
    assert alice.events() == [event]  # the poster's other tabs see it too

    reply = bob.post(room.id, body="Thanks", client_id="b-1")
    assert reply["seq"] == 4
    assert [e["seq"] for e in alice.events()] == [4]


def test_a_retried_client_id_returns_the_first_event_and_broadcasts_nothing(client, connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    alice, bob = connect(world.colleague), connect(world.outsider)
    alice.join(room.id)
    bob.join(room.id)
    bob.drain()

    first = alice.post(room.id, body="Once", client_id="retry-me")
    assert [e["seq"] for e in bob.events()] == [first["seq"]]
    again = alice.post(room.id, body="Once more?", client_id="retry-me")
    assert again == first
    assert again["event"]["body"] == "Once"
    assert bob.events() == []
    assert bob.join(room.id, since=0)["latest_seq"] == first["seq"]
    assert rest_events(client, make, world.lead, room.id, since=2)["events"] == [first["event"]]


def test_a_rest_post_reaches_joined_sockets_as_the_same_event(client, connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    sock = connect(world.outsider)
    sock.join(room.id)
    sock.drain()
    text = make.api_token(world.colleague)[1]
    response = client.post(f"/api/v1/rooms/{room.id}/events", headers={"Authorization": f"Bearer {text}"},
                           json={"kind": "timeline", "body": "Patched", "category": "recovery"})
    assert response.status_code == 201
    assert sock.events() == [response.get_json()]


def test_observers_posts_are_refused_and_not_broadcast(connect, make, world):
    room = make.room(world.lead, tlp="AMBER")
    make.event(world.lead, room, "member", op="add", email=world.colleague.email, role="observer")
    green = make.room(world.lead, tlp="GREEN")
    lead = connect(world.lead)
    lead.join(room.id)
    lead.join(green.id)
    for user, target in ((world.colleague, room), (world.outsider, green)):
        sock = connect(user)
        assert sock.join(target.id)["role"] == "observer"
        lead.drain()
        ack = sock.post(target.id, body="Can I?")
        assert ack == {"ok": False, "error": "Observers read, never write."}
        assert sock.post(target.id, "action", title="Patch")["ok"] is False
        assert lead.events() == []
        assert sock.join(target.id, since=0)["latest_seq"] == (3 if target is room else 2)


@pytest.mark.parametrize(("payload", "field"), [
    ({"kind": "message", "body": "no id"}, "client_id"),
    ({"kind": "message", "body": "empty id", "client_id": ""}, "client_id"),
    ({"kind": "message", "body": "long id", "client_id": "x" * 65}, "client_id"),
    ({"kind": "gossip", "body": "x", "client_id": "k"}, "kind"),
    ({"kind": "message", "body": "  ", "client_id": "b"}, "body"),
    ({"body": "x", "client_id": "c"}, "kind"),
])
def test_a_bad_post_is_refused_with_fields_and_writes_nothing(connect, make, world, payload, field):
    room = make.room(world.lead, tlp="GREEN")
    sock = connect(world.lead)
    sock.join(room.id)
    sock.drain()
    ack = sock.raw.emit("post", {"room": room.id, **payload}, callback=True)
    assert ack["ok"] is False and ack["error"]
    assert field in ack["fields"]
    assert sock.events() == []
    assert sock.join(room.id)["latest_seq"] == 2


def test_lead_only_kinds_and_closed_rooms_over_the_socket(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    lead, member = connect(world.lead), connect(world.colleague)
    assert member.post(room.id, "status", status="closed") == {"ok": False,
                                                               "error": "Only the room's lead may do this."}
    closed = lead.post(room.id, "status", status="closed")
    assert closed["ok"] is True and closed["event"]["changes"] == {"status": ["open", "closed"]}
    refused = member.post(room.id, body="Hello?")
    assert refused["ok"] is False and "closed" in refused["error"]
    assert lead.post(room.id, "status", status="open")["ok"] is True
    assert member.post(room.id, body="Hello again")["ok"] is True


# --- resume -------------------------------------------------------------------------

def test_a_client_resumes_after_a_disconnect_with_exactly_what_it_missed(connect, make, world):
    room = make.room(world.lead, tlp="AMBER")
    alice_token = make.api_token(world.colleague)[1]
    alice, bob = connect(token=alice_token), connect(world.lead)
    alice.join(room.id)
    bob.join(room.id)
    bob.post(room.id, body="before")
    seen = [e["seq"] for e in alice.events(room.id)]
    assert seen == [3]
    alice.raw.disconnect()
    assert not alice.connected

    missed = [bob.post(room.id, body=f"while away {n}") for n in range(3)]
    assert all(m["ok"] for m in missed)

    back = connect(token=alice_token)
    ack = back.join(room.id, since=seen[-1])
    assert ack["ok"] is True
    assert [e["seq"] for e in ack["events"]] == [4, 5, 6]
    assert [e["body"] for e in ack["events"]] == ["while away 0", "while away 1", "while away 2"]
    assert ack["events"] == [m["event"] for m in missed]
    assert ack["latest_seq"] == 6
    bob.post(room.id, body="after")
    assert [e["seq"] for e in back.events(room.id)] == [7]


# --- rate limit ----------------------------------------------------------------------

def test_a_burst_is_served_and_a_sustained_flood_gets_error_acks(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    sock = connect(world.lead)
    burst = [sock.post(room.id, body=f"burst {n}") for n in range(BURST)]
    assert all(ack["ok"] for ack in burst)
    assert [ack["seq"] for ack in burst] == list(range(3, 3 + BURST))
    flood = [sock.post(room.id, body=f"flood {n}") for n in range(200)]
    refused = [ack for ack in flood if not ack["ok"]]
    assert refused, "a flood beyond the burst was never slowed down"
    assert all(ack["error"].startswith("Too many requests") for ack in refused)
    assert sock.connected
    served = BURST + sum(1 for ack in flood if ack["ok"])
    assert make.event(world.colleague, room, body="others unaffected").seq == 3 + served


def test_the_bucket_serves_exactly_the_burst_then_the_refill_rate(monkeypatch, connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    clock = [time.monotonic() + 1000.0]  # ahead of every bucket's stamp: starts full
    monkeypatch.setattr(sockets_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    sock, other = connect(world.lead), connect(world.colleague)

    acks = [sock.post(room.id, body=f"n{n}") for n in range(BURST + 5)]
    assert all(a["ok"] for a in acks[:BURST])
    assert acks[BURST:] == [{"ok": False, "error": "Too many requests: slow down."}] * 5
    assert sock.join(room.id) == {"ok": False, "error": "Too many requests: slow down."}
    assert other.join(room.id)["latest_seq"] == 2 + BURST  # refused posts wrote nothing; others unaffected

    clock[0] += 1.0  # one second refills RATE_PER_S
    later = [sock.post(room.id, body=f"later {n}") for n in range(int(RATE_PER_S) + 1)]
    assert [a["ok"] for a in later] == [True] * int(RATE_PER_S) + [False]
    assert sock.connected


# --- rights that change while connected ------------------------------------------------

def test_a_removed_member_gets_removed_and_nothing_more_from_the_room(connect, make, world):
    room = make.room(world.lead, tlp="RED", members=(world.outsider,))
    lead, gone = connect(world.lead), connect(world.outsider)
    assert gone.join(room.id)["role"] == "member"
    lead.join(room.id)
    lead.drain()
    gone.drain()

    ack = lead.post(room.id, "member", op="remove", user_id=world.outsider.id)
    assert ack["ok"] is True
    assert (ack["event"]["op"], ack["event"]["user_id"]) == ("remove", world.outsider.id)
    box = gone.inbox()
    assert box["removed"] == [{"room": room.id}]
    assert all(e["seq"] < ack["seq"] for e in box.get("event", []))

    lead.post(room.id, body="Now among ourselves")
    assert gone.events() == []
    assert gone.post(room.id, body="Still here?") == {"ok": False, "error": "No such room."}
    assert gone.join(room.id) == {"ok": False, "error": "No such room."}
    assert gone.connected  # the socket stays for the user's other rooms
    presence = lead.inbox()["presence"][-1]
    assert [m["id"] for m in presence["members"]] == [world.lead.id]


def test_tightening_the_tlp_removes_viewers_who_can_no_longer_see(connect, make, world):
    room = make.room(world.lead, tlp="GREEN", members=(world.child,))
    lead, named, viewer = connect(world.lead), connect(world.child), connect(world.outsider)
    for sock in (lead, named, viewer):
        assert sock.join(room.id)["ok"] is True
        sock.drain()

    ack = lead.post(room.id, "status", tlp="RED")
    assert ack["ok"] is True and ack["event"]["changes"] == {"tlp": ["GREEN", "RED"]}
    assert viewer.inbox().get("removed") == [{"room": room.id}]
    named_box = named.inbox()
    assert "removed" not in named_box
    assert [e["seq"] for e in named_box["event"]] == [ack["seq"]]

    secret = lead.post(room.id, body="Red from here on")
    assert viewer.events() == []
    assert [e["seq"] for e in named.events()] == [secret["seq"]]
    assert viewer.join(room.id) == {"ok": False, "error": "No such room."}


def test_narrowing_amber_participants_removes_the_dropped_orgs_viewers(connect, make, world):
    room = make.room(world.lead, tlp="AMBER", orgs=(world.other,))
    lead, viewer = connect(world.lead), connect(world.outsider)
    assert viewer.join(room.id)["role"] == "member"
    lead.join(room.id)
    viewer.drain()
    assert lead.post(room.id, "status", orgs_remove=[world.other.id])["ok"] is True
    assert viewer.inbox()["removed"] == [{"room": room.id}]
    lead.post(room.id, body="after")
    assert viewer.events() == []


def test_deactivating_a_user_disconnects_their_socket(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    lead, leaver = connect(world.lead), connect(world.colleague)
    lead.join(room.id)
    leaver.join(room.id)
    lead.drain()

    make.run(set_active, actor=SYSTEM, user_id=world.colleague.id, active=False)
    assert leaver.connected is False
    assert [m["id"] for m in lead.inbox()["presence"][-1]["members"]] == [world.lead.id]
    lead.post(room.id, body="after the leaver")  # the broadcast goes on for those still here
    assert [e["body"] for e in lead.events()] == ["after the leaver"]


def test_revoking_the_token_closes_its_socket(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    token, text = make.api_token(world.colleague)
    sock = connect(token=text)
    assert sock.join(room.id)["ok"] is True
    make.run(revoke_token, actor=world.colleague, token_id=token.id)
    assert sock.connected is False


def test_signing_out_closes_the_session_socket(app, connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    browser = app.test_client()
    login(browser, world.colleague.email, PASSWORD)
    sock = connect(flask_test_client=browser)
    assert sock.join(room.id)["ok"] is True
    browser.post("/logout", data={"csrf_token": csrf(browser)})
    assert sock.connected is False


# --- presence and leave ---------------------------------------------------------------

def test_presence_lists_who_follows_the_room_per_person_and_org(connect, make, world):
    room = make.room(world.lead, tlp="AMBER", orgs=(world.sector,))
    lead, child = connect(world.lead), connect(world.child)
    lead.join(room.id)
    child.join(room.id)
    presence = lead.inbox()["presence"][-1]
    assert presence == child.inbox()["presence"][-1]
    assert presence["room"] == room.id
    assert presence["members"] == [
        {"id": world.child.id, "name": "Chris Child", "org": "Energy ISAC", "org_id": world.sector.id},
        {"id": world.lead.id, "name": "Lena Lead", "org": "National CERT", "org_id": world.national.id},
    ]
    assert presence["orgs"] == [{"id": world.sector.id, "name": "Energy ISAC", "count": 1},
                                {"id": world.national.id, "name": "National CERT", "count": 1}]

    second_tab = connect(world.lead)  # one person counts once, however many sockets
    colleague = connect(world.colleague)
    second_tab.join(room.id)
    colleague.join(room.id)
    presence = lead.inbox()["presence"][-1]
    assert [m["id"] for m in presence["members"]] == [world.colleague.id, world.child.id, world.lead.id]
    assert {o["name"]: o["count"] for o in presence["orgs"]} == {"Energy ISAC": 1, "National CERT": 2}

    assert child.leave(room.id) == {"ok": True}
    presence = lead.inbox()["presence"][-1]
    assert {o["name"]: o["count"] for o in presence["orgs"]} == {"National CERT": 2}
    lead.post(room.id, body="after leaving")
    assert child.events() == []


def test_presence_of_one_room_does_not_leak_to_another(connect, make, world):
    first = make.room(world.lead, tlp="GREEN")
    second = make.room(world.lead, tlp="RED")
    lead, outsider = connect(world.lead), connect(world.outsider)
    outsider.join(first.id)
    outsider.drain()
    lead.join(second.id)
    box = outsider.inbox()
    assert "presence" not in box and "event" not in box


def test_a_lead_who_removes_themselves_over_the_socket_is_answered_and_removed(connect, make, world):
    room = make.room(world.lead, tlp="RED", members=(world.colleague,))
    make.event(world.lead, room, "member", op="role", user_id=world.colleague.id, role="lead")
    leaving, staying = connect(world.colleague), connect(world.lead)
    leaving.join(room.id)
    staying.join(room.id)
    staying.drain()
    leaving.drain()

    ack = leaving.post(room.id, "member", op="remove", user_id=world.colleague.id)
    assert ack["ok"] is True
    assert (ack["event"]["op"], ack["event"]["user_id"]) == ("remove", world.colleague.id)
    assert leaving.inbox()["removed"] == [{"room": room.id}]
    assert [e["seq"] for e in staying.events()] == [ack["seq"]]  # committed, not rolled back
    assert leaving.join(room.id) == {"ok": False, "error": "No such room."}
    assert staying.join(room.id, since=0)["latest_seq"] == ack["seq"]


# --- batched delivery ("batch": true) --------------------------------------------------

def batched_events(sock, room_id):
    box = sock.inbox()
    assert "event" not in box, box["event"]  # a batched socket never gets the per-event form too
    lists = [m for m in box.get("events", []) if m["room"] == room_id]
    return [e for m in lists for e in m["events"]], box


def test_a_batched_join_gets_event_lists_and_presence(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    batched, legacy, poster = connect(world.outsider), connect(world.child), connect(world.lead)
    ack = batched.join(room.id, batch=True)
    assert ack["ok"] is True and ack["batch"] is True and ack["latest_seq"] == 2
    assert legacy.join(room.id)["batch"] is False
    poster.join(room.id)
    box = batched.inbox()
    assert [m["room"] for m in box["presence"]][-1] == room.id
    assert {m["name"] for m in box["presence"][-1]["members"]} == {"Olga Outsider", "Chris Child", "Lena Lead"}
    legacy.drain()

    first = poster.post(room.id, body="one")
    second = poster.post(room.id, body="two")
    got, _ = batched_events(batched, room.id)
    assert got == [first["event"], second["event"]]  # one list per transaction, same objects
    assert legacy.events() == [first["event"], second["event"]]


def test_a_batched_socket_is_removed_like_any_other(connect, make, world):
    room = make.room(world.lead, tlp="GREEN", members=(world.child,))
    lead, viewer = connect(world.lead), connect(world.outsider)
    lead.join(room.id)
    assert viewer.join(room.id, batch=True)["ok"] is True
    viewer.drain()
    assert lead.post(room.id, "status", tlp="RED")["ok"] is True
    _got, box = batched_events(viewer, room.id)
    assert box["removed"] == [{"room": room.id}]
    lead.post(room.id, body="Red from here on")
    assert viewer.inbox() == {}


def test_joining_again_in_the_other_form_switches_without_doubles(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    sock, poster = connect(world.outsider), connect(world.lead)
    poster.join(room.id)
    sock.join(room.id, batch=True)
    sock.join(room.id)  # back to one event per message
    sock.drain()
    ack = poster.post(room.id, body="once")
    box = sock.inbox()
    assert box.get("event") == [ack["event"]] and "events" not in box
    sock.join(room.id, batch=True)
    sock.drain()
    ack = poster.post(room.id, body="listed")
    got, _ = batched_events(sock, room.id)
    assert got == [ack["event"]]
    assert sock.leave(room.id) == {"ok": True}
    poster.post(room.id, body="after leaving")
    assert sock.inbox() == {}


def test_a_bad_batch_flag_is_refused(connect, make, world):
    room = make.room(world.lead, tlp="GREEN")
    answer = connect(world.outsider).join(room.id, batch="yes")
    assert answer == {"ok": False, "error": "Bad join.", "fields": {"batch": "true or false."}}
