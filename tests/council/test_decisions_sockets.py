"""Decisions live in the room: socket posts reach the other clients, in the form each may see."""

from __future__ import annotations

import json

import pytest

from council.actors import SYSTEM
from council.auth.tokens import create_token
from council.extensions import socketio
from council.rooms import stream
from council.rooms.services import create_room

SECRET = "Takedown of host X"


@pytest.fixture
def world(make):
    sector = make.org("Banking Sector CERT")
    telco = make.org("Telecom Sector CERT")
    lead = make.user("lead@bank.example", org=sector, name="Lead")
    member = make.user("member@bank.example", org=sector, name="Member")
    tina = make.user("tina@telco.example", org=telco, name="Tina")
    room = make.run(create_room, actor=lead, title="Switch down", severity="high", tlp="AMBER",
                    org_ids=[sector.id, telco.id], member_emails=[member.email])
    return {"lead": lead, "member": member, "tina": tina, "room": room}


@pytest.fixture
def joined(app, make, world):
    """joined(user) -> a socket test client signed in by token and joined to the room."""
    opened = []

    def _join(user):
        _token, text = make.run(create_token, actor=SYSTEM, user=user, label="socket")
        sock = socketio(app).test_client(app, auth={"token": text})
        assert sock.is_connected()
        opened.append(sock)
        ack = sock.emit("join", {"room": world["room"].id}, callback=True)
        assert ack["ok"] is True, ack
        sock.get_received()  # drop presence messages
        return sock, ack

    yield _join
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def events(sock):
    return [m["args"][0] for m in sock.get_received() if m["name"] == "event"]


def post(sock, room, client_id, **payload):
    return sock.emit("post", {"room": room.id, "kind": "decision", "client_id": client_id, **payload},
                     callback=True)


def full_forms(received, seq):
    return [e for e in received if e["seq"] == seq and not e.get("partial")]


def test_a_position_reaches_the_other_client_with_the_new_tally(world, joined):
    room = world["room"]
    lead, _ = joined(world["lead"])
    tina, _ = joined(world["tina"])
    proposed = post(lead, room, "p-1", op="propose", title="Block the C2 domains")
    assert proposed["ok"] is True, proposed
    decision_id = proposed["event"]["decision_id"]
    [seen] = full_forms(events(tina), proposed["seq"])
    assert (seen["kind"], seen["op"], seen["decision"]["title"]) == ("decision", "proposed", "Block the C2 domains")
    events(lead)

    cast = post(tina, room, "c-1", op="position", decision_id=decision_id, position="support", comment="ok")
    assert cast["ok"] is True and cast["event"]["decision"]["tally"]["counts"]["support"] == 1
    received = events(lead)
    [live] = full_forms(received, cast["seq"])
    assert (live["op"], live["org"], live["position"], live["author"]["name"]) == (
        "position", "Telecom Sector CERT", "support", "Tina")
    tally = live["decision"]["tally"]
    assert (tally["counts"]["support"], tally["participated"], tally["eligible"], tally["outcome"]) == (
        1, 1, 2, "adopted")
    assert [p["org"] for p in live["decision"]["positions"]] == ["Telecom Sector CERT"]
    # Anything else for that seq is only a stub, which a client never lets replace the full form.
    assert all(e["kind"] == "restricted" for e in received if e["seq"] == cast["seq"] and e.get("partial"))
    assert full_forms(events(tina), cast["seq"])  # the poster's own client gets the broadcast too

    # A refused step answers an error and reaches nobody.
    again = post(tina, room, "c-2", op="position", decision_id=decision_id, position="object")
    assert again["ok"] is False and "already has a position" in again["error"]
    bad = post(lead, room, "x-1", op="close", decision_id=decision_id)
    assert bad["ok"] is False and "rationale" in bad["fields"]
    assert events(lead) == [] and events(tina) == []


def test_a_red_decision_reaches_only_its_named_members(make, world, joined):
    room = world["room"]
    member, _ = joined(world["member"])
    tina, _ = joined(world["tina"])
    red, _ = make.run(stream.post, actor=world["lead"], room_id=room.id, kind="decision",
                      payload={"op": "propose", "title": SECRET, "tlp": "RED"})
    decision_id = json.loads(red.data)["decision_id"]

    cast = post(member, room, "m-1", op="position", decision_id=decision_id, position="support",
                comment="We have the warrant")
    assert cast["ok"] is True and cast["event"]["decision"]["title"] == SECRET  # the poster sees it in full

    tina_got = events(tina)
    assert {e["seq"] for e in tina_got} == {red.seq, cast["seq"]}  # gapless: she knows the seqs exist
    for stub in tina_got:
        assert (stub["kind"], stub["partial"], stub["author"]) == ("restricted", True, None)
        dumped = json.dumps(stub)
        assert SECRET not in dumped and "warrant" not in dumped and "decision" not in stub
    member_got = events(member)
    for seq in (red.seq, cast["seq"]):
        [full] = full_forms(member_got, seq)
        assert full["kind"] == "decision" and full["decision"]["title"] == SECRET
    [position] = full_forms(member_got, cast["seq"])
    assert position["decision"]["positions"][0]["comment"] == "We have the warrant"

    # Tina cannot act on it either, and a fresh join shows her stubs only.
    refused = post(tina, room, "t-1", op="position", decision_id=decision_id, position="object")
    assert refused == {"ok": False, "error": "No such decision."}
    _late, ack = joined(world["tina"])
    history = {e["seq"]: e for e in ack["events"]}
    assert history[red.seq]["kind"] == history[cast["seq"]]["kind"] == "restricted"
    assert SECRET not in json.dumps(ack)
    _named, named_ack = joined(world["member"])
    assert {e["seq"]: e for e in named_ack["events"]}[red.seq]["decision"]["title"] == SECRET


def test_batched_sockets_get_the_same_forms_as_lists(app, make, world, joined):
    """A socket that joined with "batch": true gets what one transaction wrote as
    one "events" list, in the same form per audience as a per-event socket."""
    from council import realtime
    from council.extensions import database

    room = world["room"]
    legacy = {name: joined(world[name])[0] for name in ("member", "tina")}
    batched = {}
    for name in ("member", "tina"):
        _token, text = make.run(create_token, actor=SYSTEM, user=world[name], label="batch")
        sock = socketio(app).test_client(app, auth={"token": text})
        ack = sock.emit("join", {"room": room.id, "batch": True}, callback=True)
        assert ack["ok"] is True and ack["batch"] is True
        sock.get_received()
        batched[name] = sock

    with database(app).transaction(after_commit=realtime.flush) as s:  # two events, one transaction
        lead = s.merge(world["lead"])
        red, _ = stream.post(s, actor=lead, room_id=room.id, kind="decision",
                             payload={"op": "propose", "title": SECRET, "tlp": "RED"})
        note, _ = stream.post(s, actor=lead, room_id=room.id, kind="message", payload={"body": "For all"})
        seqs = [red.seq, note.seq]

    flat = {}
    for name in ("member", "tina"):
        # (the person's own channel may carry a notification of the proposal: not a room message)
        got = [m for m in batched[name].get_received() if m["name"] not in ("presence", "notification")]
        assert got and all(m["name"] == "events" for m in got), got  # never the per-event form as well
        assert all(m["args"][0]["room"] == room.id for m in got)
        flat[name] = [e for m in got for e in m["args"][0]["events"]]
        key = lambda e: (e["seq"], bool(e.get("partial")))  # noqa: E731
        assert sorted(flat[name], key=key) == sorted(events(legacy[name]), key=key)
    # The named member: a list on the room's channel (stub of the RED decision, the message)
    # and one on the RED audience's (the full decision). Tina: stubs and the message only.
    member_full = {e["seq"]: e for e in flat["member"] if not e.get("partial")}
    assert member_full[red.seq]["decision"]["title"] == SECRET
    tina_got = {e["seq"]: e for e in flat["tina"]}
    assert set(tina_got) == set(seqs) and tina_got[red.seq]["kind"] == "restricted"
    assert SECRET not in json.dumps(flat["tina"])
    for sock in batched.values():
        sock.disconnect()
