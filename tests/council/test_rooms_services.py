"""Room services and the event stream, called directly."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from council import realtime
from council.audit.models import AuditEntry
from council.audit.services import verify
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.extensions import database
from council.rooms import services, stream
from council.rooms.models import Room, RoomEvent


@pytest.fixture
def world(make):
    sector = make.org("Banking Sector CERT", sector="banking-finance")
    bank = make.org("Indus Bank CSIRT", tier="organizational", parent=sector)
    other = make.org("Telecom Sector CERT")
    lead = make.user("lead@bank.example", org=sector, name="Lead")
    member = make.user("member@bank.example", org=sector, name="Member")
    child = make.user("child@indus.example", org=bank, name="Child")
    outsider = make.user("out@telco.example", org=other, name="Outsider")
    room = make.run(services.create_room, actor=lead, title="Switch down", severity="high", tlp="AMBER",
                    org_ids=[sector.id], summary="**bold**")
    return {"sector": sector, "bank": bank, "other": other, "lead": lead, "member": member, "child": child,
            "outsider": outsider, "room": room}


def post(make, actor, room, kind="message", client_id=None, **payload):
    return make.run(stream.post, actor=actor, room_id=room.id, kind=kind, payload=payload, client_id=client_id)


def events(app, room_id):
    session = database(app).session(write=False)
    try:
        return list(session.scalars(select(RoomEvent).where(RoomEvent.room_id == room_id).order_by(RoomEvent.seq)))
    finally:
        session.close()


def test_room_creation_records_opening_and_lead_as_first_events(app, world):
    evs = events(app, world["room"].id)
    assert [(e.seq, e.kind) for e in evs] == [(1, "status"), (2, "member")]
    assert '"op":"opened"' in evs[0].data and '"role":"lead"' in evs[1].data
    assert world["room"].summary_html == "<p><strong>bold</strong></p>"


def test_create_room_validates_every_field(make, world):
    with pytest.raises(Invalid) as err:
        make.run(services.create_room, actor=world["lead"], title=" ", severity="urgent", tlp="PINK",
                 org_ids=[999], member_emails=["nobody@x.example"])
    assert set(err.value.fields) == {"title", "severity", "tlp", "orgs", "members"}


def test_named_member_must_fit_the_tlp(make, world):
    with pytest.raises(Invalid) as err:
        make.run(services.create_room, actor=world["lead"], title="Strict", severity="low", tlp="AMBER+STRICT",
                 org_ids=[world["sector"].id], member_emails=[world["child"].email])
    assert "not allowed" in err.value.fields["user"]
    room = make.run(services.create_room, actor=world["lead"], title="Red", severity="low", tlp="RED",
                    org_ids=[world["sector"].id], member_emails=[world["outsider"].email])
    assert {m.user_id for m in room.members} == {world["lead"].id, world["outsider"].id}


def test_seq_is_gapless_and_unique_under_concurrent_posts(app, world):
    room, users = world["room"], [world["lead"], world["member"]]
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(15):
                with database(app).transaction() as s:
                    stream.post(s, actor=s.merge(users[n % 2]), room_id=room.id, kind="message",
                                payload={"body": f"w{n} m{i}"}, client_id=f"w{n}-{i}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = [e.seq for e in events(app, room.id)]
    assert seqs == list(range(1, 2 + 8 * 15 + 1))
    session = database(app).session(write=False)
    try:
        assert session.get(Room, room.id).last_seq == seqs[-1]
        assert verify(session).ok
    finally:
        session.close()


def test_retry_with_same_client_id_returns_first_event_and_queues_nothing(app, make, world):
    first, created = post(make, world["member"], world["room"], body="hello", client_id="c-1")
    with database(app).transaction() as s:
        again, created_again = stream.post(s, actor=s.merge(world["member"]), room_id=world["room"].id,
                                           kind="message", payload={"body": "different"}, client_id="c-1")
        assert s.info.get(realtime.OUTBOX) in (None, [])
    assert created and not created_again
    assert again.seq == first.seq and again.body == "hello"
    # Another author may use the same client id: ids are per author.
    other, created_other = post(make, world["lead"], world["room"], body="x", client_id="c-1")
    assert created_other and other.seq == first.seq + 1


def test_every_event_is_audited_in_its_transaction(app, make, world):
    ev, _ = post(make, world["member"], world["room"], body="audited")
    session = database(app).session(write=False)
    try:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "room.event.message")).all()
        assert [r.room_id for r in rows] == [world["room"].id]
        assert f'"seq":{ev.seq}' in rows[0].details and "audited" not in rows[0].details
    finally:
        session.close()


def test_observer_and_outsiders_cannot_write(make, world):
    room = world["room"]
    with pytest.raises(Forbidden):  # child org sees AMBER but only as an observer
        post(make, world["child"], room, body="hi")
    with pytest.raises(NotFound):  # unrelated org does not even see it
        post(make, world["outsider"], room, body="hi")
    post(make, world["lead"], room, kind="member", op="add", email=world["member"].email, role="observer")
    with pytest.raises(Forbidden):
        post(make, world["member"], room, body="named observer")


def test_rejected_post_writes_nothing(app, make, world):
    before = len(events(app, world["room"].id))
    for kind, payload in [("message", {"body": "   "}), ("nope", {}), ("timeline", {"body": "x", "category": "bad"}),
                          ("action", {"title": ""}), ("status", {"tlp": "PINK"})]:
        with pytest.raises((Invalid, Forbidden)):
            post(make, world["lead"], world["room"], kind=kind, **payload)
    assert len(events(app, world["room"].id)) == before


def test_edit_and_redact_keep_history(app, make, world):
    msg, _ = post(make, world["member"], world["room"], body="first *draft*")
    edit, _ = post(make, world["member"], world["room"], body="final", edits=msg.seq)
    with pytest.raises(Forbidden):
        post(make, world["child"], world["room"], redacts=msg.seq)
    red, _ = post(make, world["lead"], world["room"], redacts=msg.seq, reason="wrong room")
    session = database(app).session(write=False)
    try:
        room = session.get(Room, world["room"].id)
        rows, _ = stream.list_events(session, room, since=0)
        page = {e["seq"]: e for e in stream.serialize_page(session, rows, room, None)}
    finally:
        session.close()
    assert page[msg.seq]["redacted"] is True and page[msg.seq]["body_html"] == ""
    assert page[edit.seq]["edits"] == msg.seq and page[red.seq]["redacts"] == msg.seq
    stored = {e.seq: e for e in events(app, world["room"].id)}
    assert stored[msg.seq].body == "first *draft*"  # the record keeps the original
    with pytest.raises(Invalid):
        post(make, world["lead"], world["room"], body="again", edits=msg.seq)


def test_edited_message_shows_latest_text_in_history(app, make, world):
    msg, _ = post(make, world["member"], world["room"], body="v1")
    post(make, world["member"], world["room"], body="v2", edits=msg.seq)
    post(make, world["lead"], world["room"], body="v3 by lead", edits=msg.seq)
    session = database(app).session(write=False)
    try:
        room = session.get(Room, world["room"].id)
        rows, _ = stream.list_events(session, room, since=msg.seq - 1, limit=1)
        [shown] = stream.serialize_page(session, rows, room, None)
    finally:
        session.close()
    assert shown["body"] == "v3 by lead" and shown["edited_seq"] == msg.seq + 2


def test_action_items_follow_their_events(app, make, world):
    ev, _ = post(make, world["member"], world["room"], kind="action", title="Isolate the switch",
                 assignee_org_id=world["sector"].id, due_at="2026-12-01T10:00:00Z")
    action_id = ev.data and __import__("json").loads(ev.data)["action_id"]
    upd, _ = post(make, world["lead"], world["room"], kind="action", action_id=action_id, status="done")
    [item] = make.run(services.list_actions, actor=world["lead"], room_id=world["room"].id)
    assert (item.status, item.created_seq, item.updated_seq) == ("done", ev.seq, upd.seq)
    assert item.due_at == datetime(2026, 12, 1, 10, tzinfo=UTC)
    other_room = make.run(services.create_room, actor=world["lead"], title="Other", severity="low", tlp="GREEN",
                          org_ids=[])
    with pytest.raises(NotFound):
        post(make, world["lead"], other_room, kind="action", action_id=action_id, status="open")


def test_sitrep_states_follow_the_cadence(app, make, world):
    room = world["room"]
    post(make, world["lead"], room, kind="status", orgs_add=[world["other"].id], sitrep_cadence_min=240)
    with pytest.raises(Forbidden):  # the child org is not participating
        post(make, world["child"], room, kind="sitrep", situation="x")
    post(make, world["member"], room, kind="sitrep", situation="Contained", impact="Low")
    session = database(app).session(write=False)
    try:
        anchor = session.get(Room, room.id).sitrep_anchor
        lead = session.merge(world["lead"])

        def states(at):
            return {s.org: s.state for s in services.sitrep_status(session, actor=lead, room_id=room.id, now=at)}

        assert states(anchor + timedelta(hours=1)) == {"Banking Sector CERT": "reported", "Telecom Sector CERT": "due"}
        # Next cycle: the bank's report is from the previous cycle (due); telecom missed a whole cycle.
        assert states(anchor + timedelta(hours=5)) == {"Banking Sector CERT": "due", "Telecom Sector CERT": "overdue"}
        assert states(anchor + timedelta(hours=9))["Banking Sector CERT"] == "overdue"
    finally:
        session.close()


def test_status_changes_are_lead_only_events(app, make, world):
    with pytest.raises(Forbidden):
        post(make, world["member"], world["room"], kind="status", tlp="RED")
    ev, _ = post(make, world["lead"], world["room"], kind="status", tlp="RED", severity="critical")
    assert '"tlp":["AMBER","RED"]' in ev.data
    post(make, world["lead"], world["room"], kind="status", status="closed")
    with pytest.raises(Conflict):
        post(make, world["lead"], world["room"], body="after close")
    post(make, world["lead"], world["room"], kind="status", status="open")
    post(make, world["lead"], world["room"], body="reopened")


def test_room_keeps_a_lead_and_an_organisation(make, world):
    with pytest.raises(Invalid):
        post(make, world["lead"], world["room"], kind="member", op="remove", user_id=world["lead"].id)
    with pytest.raises(Invalid):
        post(make, world["lead"], world["room"], kind="status", orgs_remove=[world["sector"].id])


def test_tlp_change_queues_a_socket_recheck(app, make, world):
    with database(app).transaction() as s:
        stream.post(s, actor=s.merge(world["lead"]), room_id=world["room"].id, kind="status",
                    payload={"tlp": "RED"})
        actions = [o.action for o in s.info[realtime.OUTBOX]]
        s.info.pop(realtime.OUTBOX)
    assert actions == ["recheck_room", "emit"]


def test_list_rooms_filters_and_counts(make, world):
    make.run(services.create_room, actor=world["lead"], title="Closed one", severity="low", tlp="GREEN", org_ids=[])
    rooms = make.run(services.list_rooms, actor=world["lead"], status="all")
    assert {r.title for r in rooms} == {"Switch down", "Closed one"}
    assert [r.title for r in make.run(services.list_rooms, actor=world["lead"], tlp="AMBER")] == ["Switch down"]
    assert make.run(services.list_rooms, actor=world["outsider"], mine=True) == []
    counts = make.run(services.count_rooms, actor=world["child"])
    assert counts == {"open": 2}
    with pytest.raises(NotFound):
        make.run(services.get_room, actor=world["outsider"], room_id=world["room"].id)


def test_history_page_is_oldest_first_and_bounded(app, make, world):
    for i in range(7):
        post(make, world["member"], world["room"], body=f"m{i}")
    session = database(app).session(write=False)
    try:
        room = session.get(Room, world["room"].id)
        latest, more = stream.list_events(session, room, limit=3)
        assert [e.seq for e in latest] == [7, 8, 9] and more
        older, more = stream.list_events(session, room, before=7, limit=10)
        assert [e.seq for e in older] == list(range(1, 7)) and not more
        after, more = stream.list_events(session, room, since=5, limit=2)
        assert [e.seq for e in after] == [6, 7] and more
        assert session.scalar(select(func.count()).select_from(RoomEvent)) == 9
    finally:
        session.close()
