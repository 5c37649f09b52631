"""Decision services through the room's stream (stream.post kind "decision"), and the deadline job."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from council.audit.models import AuditEntry
from council.db import utcnow
from council.decisions import services
from council.decisions.models import Decision, DecisionPosition
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.extensions import database
from council.rooms import stream
from council.rooms.audience import audiences_of
from council.rooms.models import ActionItem, RoomEvent
from council.rooms.services import create_room
from council.rooms.visibility import load_visible


@pytest.fixture
def world(make):
    sector = make.org("Banking Sector CERT")
    bank = make.org("Indus Bank CSIRT", tier="organizational", parent=sector)
    telco = make.org("Telecom Sector CERT")
    energy = make.org("Energy Sector CERT")
    other = make.org("Water Sector CERT")
    lead = make.user("lead@bank.example", org=sector, name="Lead")
    member = make.user("member@bank.example", org=sector, name="Member")
    telco_user = make.user("tina@telco.example", org=telco, name="Tina")
    energy_user = make.user("eli@energy.example", org=energy, name="Eli")
    child = make.user("child@indus.example", org=bank, name="Child")
    outsider = make.user("out@water.example", org=other, name="Outsider")
    room = make.run(create_room, actor=lead, title="Switch down", severity="high", tlp="AMBER",
                    org_ids=[sector.id, telco.id, energy.id], member_emails=[member.email])
    return {"sector": sector, "bank": bank, "telco": telco, "energy": energy, "other": other, "lead": lead,
            "member": member, "telco_user": telco_user, "energy_user": energy_user, "child": child,
            "outsider": outsider, "room": room}


def step(make, actor, room, op, **payload):
    """One decision step through the stream; returns the event's data."""
    event, _created = make.run(stream.post, actor=actor, room_id=room.id, kind="decision",
                               payload={"op": op, **payload})
    return {**json.loads(event.data), "seq": event.seq}


def propose(make, actor, room, title="Block the C2 domains", **payload):
    return step(make, actor, room, "propose", title=title, **payload)["decision_id"]


def cast(make, actor, room, decision_id, position, **payload):
    return step(make, actor, room, "position", decision_id=decision_id, position=position, **payload)


def close(make, actor, room, decision_id, rationale="Agreed in the call.", **payload):
    return step(make, actor, room, "close", decision_id=decision_id, rationale=rationale, **payload)


def view(make, actor, room, decision_id, history=False):
    def _view(s, actor):
        found_room, _role, decision = services.load_decision(s, actor, room.id, decision_id)
        return services.decision_json(s, decision, found_room, history=history)

    return make.run(_view, actor=actor)


def read(app, fn):
    session = database(app).session(write=False)
    try:
        return fn(session)
    finally:
        session.close()


def count_rows(app, model, *where):
    return read(app, lambda s: s.scalar(select(func.count()).select_from(model).where(*where)))


def room_events(app, room):
    return read(app, lambda s: list(s.scalars(
        select(RoomEvent).where(RoomEvent.room_id == room.id).order_by(RoomEvent.seq))))


# --- propose --------------------------------------------------------------------------

def test_propose_records_an_open_decision_with_defaults(make, world):
    data = step(make, world["member"], world["room"], "propose", title="  Block the C2 domains ",
                background="See **IOC list**")
    assert data["op"] == "proposed" and data["tlp"] == "AMBER"
    d = view(make, world["lead"], world["room"], data["decision_id"])
    assert (d["title"], d["rule"], d["tlp"], d["status"], d["outcome"]) == (
        "Block the C2 domains", "majority", "AMBER", "open", None)
    assert d["options"] == ["approve", "reject"]
    assert d["positions_allowed"] == ["support", "object", "abstain"]
    assert d["background_html"] == "<p>See <strong>IOC list</strong></p>"
    assert d["proposed_by"] == {"id": world["member"].id, "name": "Member", "org": "Banking Sector CERT"}
    assert d["proposed_seq"] == data["seq"]
    assert {o["name"] for o in d["eligible_orgs"]} == {"Banking Sector CERT", "Telecom Sector CERT",
                                                         "Energy Sector CERT"}
    assert d["tally"]["eligible"] == 3 and d["tally"]["quorum_needed"] == 2


@pytest.mark.parametrize(("payload", "field"), [
    ({"title": "  "}, "title"),
    ({"rule": "unanimity"}, "rule"),
    ({"tlp": "GREEN"}, "tlp"),  # looser than the room's AMBER
    ({"tlp": "CLEAR"}, "tlp"),
    ({"tlp": "PINK"}, "tlp"),
    ({"deadline": "2001-01-01T00:00:00Z"}, "deadline"),
    ({"deadline": "not a time"}, "deadline"),
    ({"options": ["isolate", "isolate"]}, "options"),
    ({"options": ["isolate", " isolate "]}, "options"),
    ({"options": ["isolate", "object"]}, "options"),
    ({"options": ["abstain", "patch"]}, "options"),
    ({"options": ["only one"]}, "options"),
    ({"options": ["a", ""]}, "options"),
    ({"options": [f"o{i}" for i in range(9)]}, "options"),
    ({"options": "approve,reject"}, "options"),
    ({"options": ["x" * 121, "y"]}, "options"),
])
def test_propose_validation(app, make, world, payload, field):
    before = len(room_events(app, world["room"]))
    with pytest.raises(Invalid) as err:
        step(make, world["member"], world["room"], "propose", **{"title": "Valid title", **payload})
    assert field in err.value.fields
    assert len(room_events(app, world["room"])) == before
    assert count_rows(app, Decision) == 0


def test_stricter_marking_and_custom_options_are_accepted(make, world):
    decision_id = propose(make, world["lead"], world["room"], tlp="AMBER+STRICT", rule="consensus",
                          options=[" patch now ", "wait for vendor"], deadline="2099-01-01T12:00", tz="Europe/Berlin")
    d = view(make, world["lead"], world["room"], decision_id)
    assert (d["tlp"], d["rule"], d["options"]) == ("AMBER+STRICT", "consensus", ["patch now", "wait for vendor"])
    assert d["positions_allowed"] == ["patch now", "wait for vendor", "object", "abstain"]
    assert d["deadline"] == "2099-01-01T11:00:00.000000Z"


def test_unknown_step_is_refused(make, world):
    with pytest.raises(Invalid) as err:
        step(make, world["lead"], world["room"], "vote")
    assert "op" in err.value.fields


def test_observer_cannot_propose(app, make, world):
    # The child organisation sees the AMBER room through its parent, read-only.
    with pytest.raises(Forbidden):
        propose(make, world["child"], world["room"])
    with pytest.raises(NotFound):  # an unrelated organisation does not see the room at all
        propose(make, world["outsider"], world["room"])
    assert count_rows(app, Decision) == 0


# --- positions -------------------------------------------------------------------------

def test_member_of_a_participating_org_casts_a_position(make, world):
    decision_id = propose(make, world["lead"], world["room"])
    data = cast(make, world["telco_user"], world["room"], decision_id, "support", comment="*Yes*")
    assert (data["op"], data["org"], data["position"], data["changed"]) == (
        "position", "Telecom Sector CERT", "support", False)
    assert data["decision"]["tally"]["counts"]["support"] == 1
    d = view(make, world["lead"], world["room"], decision_id)
    [p] = d["positions"]
    assert (p["org"], p["position"], p["user"]["name"], p["comment_html"], p["seq"]) == (
        "Telecom Sector CERT", "support", "Tina", "<p><em>Yes</em></p>", data["seq"])


def test_org_not_in_the_room_cannot_cast(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    # Named as a member (allowed: the bank sits below a participating org), yet the bank does not participate.
    stream_member = {"op": "add", "email": world["child"].email, "role": "member"}
    make.run(stream.post, actor=world["lead"], room_id=world["room"].id, kind="member", payload=stream_member)
    with pytest.raises(Forbidden) as err:
        cast(make, world["child"], world["room"], decision_id, "support")
    assert "does not participate" in err.value.message
    assert count_rows(app, DecisionPosition) == 0


def test_observer_cannot_cast(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    with pytest.raises(Forbidden):
        cast(make, world["child"], world["room"], decision_id, "support")
    with pytest.raises(NotFound):
        cast(make, world["outsider"], world["room"], decision_id, "support")
    assert count_rows(app, DecisionPosition) == 0


@pytest.mark.parametrize("position", ["approve", "yes", "", None, "isolate"])
def test_position_must_be_allowed(app, make, world, position):
    decision_id = propose(make, world["lead"], world["room"])
    with pytest.raises(Invalid) as err:
        cast(make, world["member"], world["room"], decision_id, position)
    assert "position" in err.value.fields
    assert count_rows(app, DecisionPosition) == 0


def test_custom_options_take_an_option_not_support(app, make, world):
    decision_id = propose(make, world["lead"], world["room"], options=["isolate", "monitor"])
    with pytest.raises(Invalid):
        cast(make, world["member"], world["room"], decision_id, "support")
    cast(make, world["member"], world["room"], decision_id, "isolate")
    assert view(make, world["lead"], world["room"], decision_id)["tally"]["counts"]["isolate"] == 1


def test_second_position_for_the_same_org_needs_replaces(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    first = cast(make, world["member"], world["room"], decision_id, "support")
    with pytest.raises(Conflict) as err:  # a colleague of the same organisation
        cast(make, world["lead"], world["room"], decision_id, "object")
    [current] = view(make, world["lead"], world["room"], decision_id)["positions"]
    assert "Banking Sector CERT already has a position (support, by Member)" in err.value.message
    assert f"replaces={current['id']}" in err.value.message
    assert count_rows(app, DecisionPosition) == 1
    assert len(room_events(app, world["room"])) == first["seq"]  # no event either


def test_replacing_a_position_keeps_history(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    cast(make, world["member"], world["room"], decision_id, "support")
    [old] = view(make, world["lead"], world["room"], decision_id)["positions"]
    changed = cast(make, world["lead"], world["room"], decision_id, "object", replaces=old["id"],
                   comment="New facts.")
    assert changed["changed"] is True
    d = view(make, world["lead"], world["room"], decision_id, history=True)
    assert [(p["position"], p["current"]) for p in d["history"]] == [("support", False), ("object", True)]
    [now] = d["positions"]
    assert (now["position"], now["replaces"], now["user"]["name"]) == ("object", old["id"], "Lead")
    assert d["tally"]["counts"] == {"support": 0, "object": 1, "abstain": 0}
    rows = read(app, lambda s: list(s.scalars(select(DecisionPosition).order_by(DecisionPosition.id))))
    assert [(r.position, r.current, r.replaces_id) for r in rows] == [
        ("support", False, None), ("object", True, rows[0].id)]


def test_stale_or_pointless_replaces_is_a_conflict(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    cast(make, world["member"], world["room"], decision_id, "support")
    [first] = view(make, world["lead"], world["room"], decision_id)["positions"]
    cast(make, world["member"], world["room"], decision_id, "abstain", replaces=first["id"])
    with pytest.raises(Conflict):  # someone else changed it meanwhile: first is no longer current
        cast(make, world["lead"], world["room"], decision_id, "object", replaces=first["id"])
    with pytest.raises(Conflict):  # telco has nothing to replace
        cast(make, world["telco_user"], world["room"], decision_id, "object", replaces=first["id"])
    assert count_rows(app, DecisionPosition) == 2
    assert count_rows(app, DecisionPosition, DecisionPosition.current.is_(True)) == 1


def test_position_on_a_decision_of_another_room_is_not_found(make, world):
    other = make.run(create_room, actor=world["lead"], title="Other", severity="low", tlp="AMBER",
                     org_ids=[world["telco"].id])
    decision_id = propose(make, world["lead"], other)
    with pytest.raises(NotFound):
        cast(make, world["member"], world["room"], decision_id, "support")
    with pytest.raises(NotFound):
        cast(make, world["member"], world["room"], 999_999, "support")


# --- close ------------------------------------------------------------------------------

def test_only_the_lead_closes_and_with_a_rationale(app, make, world):
    decision_id = propose(make, world["member"], world["room"])
    with pytest.raises(Forbidden):  # even the proposer, if not lead
        close(make, world["member"], world["room"], decision_id)
    with pytest.raises(Invalid) as err:
        close(make, world["lead"], world["room"], decision_id, rationale="   ")
    assert "rationale" in err.value.fields
    with pytest.raises(Invalid) as err:
        close(make, world["lead"], world["room"], decision_id, choice="adopted")
    assert "choice" in err.value.fields  # only the chair rule takes a choice
    assert view(make, world["lead"], world["room"], decision_id)["status"] == "open"


def test_close_freezes_tally_outcome_and_dissent(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    cast(make, world["member"], world["room"], decision_id, "support")
    cast(make, world["telco_user"], world["room"], decision_id, "support")
    cast(make, world["energy_user"], world["room"], decision_id, "object", comment="Breaks **SCADA** updates")
    closed = close(make, world["lead"], world["room"], decision_id, rationale="Majority of _three_.")
    assert (closed["op"], closed["outcome"], closed["chosen_option"]) == ("closed", "adopted", None)
    d = view(make, world["lead"], world["room"], decision_id)
    assert (d["status"], d["outcome"], d["closed_seq"]) == ("closed", "adopted", closed["seq"])
    assert d["rationale_html"] == "<p>Majority of <em>three</em>.</p>"
    assert d["tally"]["counts"] == {"support": 2, "object": 1, "abstain": 0}
    assert [(x["org"], x["position"], x["comment"]) for x in d["dissent"]] == [
        ("Energy Sector CERT", "object", "Breaks **SCADA** updates")]
    assert d["dissent"][0]["comment_html"] == "<p>Breaks <strong>SCADA</strong> updates</p>"
    frozen = d["tally"]

    # Immutable from here.
    with pytest.raises(Conflict):
        cast(make, world["energy_user"], world["room"], decision_id, "support")
    with pytest.raises(Conflict):
        close(make, world["lead"], world["room"], decision_id, rationale="Again")
    # A later change to the room does not move the frozen tally.
    make.run(stream.post, actor=world["lead"], room_id=world["room"].id, kind="status",
             payload={"orgs_add": [world["other"].id], "decision_quorum_pct": 100})
    again = view(make, world["lead"], world["room"], decision_id)
    assert again["tally"] == frozen and again["tally"]["eligible"] == 3
    assert again["outcome"] == "adopted" and again["rationale"] == "Majority of _three_."
    assert count_rows(app, DecisionPosition) == 3


def test_too_few_organisations_is_no_quorum(make, world):
    decision_id = propose(make, world["lead"], world["room"], rule="consensus")
    cast(make, world["member"], world["room"], decision_id, "support")  # 1 of 3, 2 needed
    assert view(make, world["lead"], world["room"], decision_id)["tally"]["outcome"] == "no_quorum"
    closed = close(make, world["lead"], world["room"], decision_id)
    assert closed["outcome"] == "no_quorum"
    d = view(make, world["lead"], world["room"], decision_id)
    assert (d["outcome"], d["tally"]["quorum_met"], d["tally"]["participated"]) == ("no_quorum", False, 1)


def test_room_quorum_is_set_by_the_lead(make, world):
    with pytest.raises(Forbidden):
        make.run(stream.post, actor=world["member"], room_id=world["room"].id, kind="status",
                 payload={"decision_quorum_pct": 100})
    with pytest.raises(Invalid):
        make.run(stream.post, actor=world["lead"], room_id=world["room"].id, kind="status",
                 payload={"decision_quorum_pct": 0})
    make.run(stream.post, actor=world["lead"], room_id=world["room"].id, kind="status",
             payload={"decision_quorum_pct": 100})
    decision_id = propose(make, world["lead"], world["room"])
    cast(make, world["member"], world["room"], decision_id, "support")
    cast(make, world["telco_user"], world["room"], decision_id, "support")
    d = view(make, world["lead"], world["room"], decision_id)
    assert (d["quorum_pct"], d["tally"]["quorum_needed"], d["tally"]["outcome"]) == (100, 3, "no_quorum")
    cast(make, world["energy_user"], world["room"], decision_id, "abstain")
    assert close(make, world["lead"], world["room"], decision_id)["outcome"] == "adopted"


def test_chair_rule_needs_the_leads_choice(make, world):
    decision_id = propose(make, world["lead"], world["room"], rule="chair")
    cast(make, world["member"], world["room"], decision_id, "object")
    cast(make, world["telco_user"], world["room"], decision_id, "object", comment="Too early")
    for choice in (None, "approve", "maybe"):
        with pytest.raises(Invalid) as err:
            close(make, world["lead"], world["room"], decision_id, **({} if choice is None else {"choice": choice}))
        assert "choice" in err.value.fields
    closed = close(make, world["lead"], world["room"], decision_id, choice="adopted",
                   rationale="Advice heard; time-critical.")
    assert closed["outcome"] == "adopted"
    d = view(make, world["lead"], world["room"], decision_id)
    assert d["outcome"] == "adopted" and d["chosen_option"] is None
    assert {x["org"] for x in d["dissent"]} == {"Banking Sector CERT", "Telecom Sector CERT"}


def test_chair_rule_with_options_chooses_one(make, world):
    decision_id = propose(make, world["lead"], world["room"], rule="chair", options=["isolate", "monitor"])
    cast(make, world["member"], world["room"], decision_id, "monitor")
    cast(make, world["telco_user"], world["room"], decision_id, "isolate")
    with pytest.raises(Invalid):
        close(make, world["lead"], world["room"], decision_id, choice="adopted")
    closed = close(make, world["lead"], world["room"], decision_id, choice="isolate")
    assert (closed["outcome"], closed["chosen_option"]) == ("adopted", "isolate")
    d = view(make, world["lead"], world["room"], decision_id)
    # Those who chose another option dissent; those who chose the adopted one do not.
    assert [(x["org"], x["position"]) for x in d["dissent"]] == [("Banking Sector CERT", "monitor")]


# --- supersede --------------------------------------------------------------------------

def test_supersede_links_both_ways_and_only_once(make, world):
    old_id = propose(make, world["lead"], world["room"])
    with pytest.raises(Conflict):  # still open
        propose(make, world["lead"], world["room"], title="Replacement", supersedes=old_id)
    cast(make, world["member"], world["room"], old_id, "support")
    cast(make, world["telco_user"], world["room"], old_id, "support")
    close(make, world["lead"], world["room"], old_id)
    data = step(make, world["member"], world["room"], "propose", title="Replacement", supersedes=old_id)
    new_id = data["decision_id"]
    assert (data["op"], data["supersedes"]) == ("superseded", old_id)
    new, old = (view(make, world["lead"], world["room"], i) for i in (new_id, old_id))
    assert (new["supersedes"], new["superseded_by"], new["status"]) == (old_id, None, "open")
    assert (old["superseded_by"], old["outcome"]) == (new_id, "adopted")  # the old record is unchanged
    stored = read(make.app, lambda s: s.get(Decision, new_id))
    assert stored.supersedes_id == old_id
    with pytest.raises(Conflict):
        propose(make, world["lead"], world["room"], title="Third", supersedes=old_id)
    for bad in (999_999, "1", new_id + 1):
        with pytest.raises(Invalid) as err:
            propose(make, world["lead"], world["room"], title="Third", supersedes=bad)
        assert "supersedes" in err.value.fields


def test_a_decision_of_another_room_cannot_be_superseded_here(make, world):
    other = make.run(create_room, actor=world["lead"], title="Other", severity="low", tlp="AMBER",
                     org_ids=[world["sector"].id])
    old_id = propose(make, world["lead"], other)
    cast(make, world["member"], other, old_id, "support")
    close(make, world["lead"], other, old_id)
    with pytest.raises(Invalid) as err:
        propose(make, world["lead"], world["room"], title="Here", supersedes=old_id)
    assert "supersedes" in err.value.fields


# --- actions ----------------------------------------------------------------------------

def test_action_spawned_from_a_decision_is_linked_both_ways(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    event, _ = make.run(stream.post, actor=world["member"], room_id=world["room"].id, kind="action",
                        payload={"title": "Push the blocklist", "decision_id": decision_id})
    assert json.loads(event.data)["source"] == f"decision:{decision_id}"
    [item] = read(app, lambda s: list(s.scalars(select(ActionItem))))
    assert (item.title, item.source) == ("Push the blocklist", f"decision:{decision_id}")
    d = view(make, world["lead"], world["room"], decision_id)
    assert d["actions"] == [{"id": item.id, "title": "Push the blocklist", "status": "open"}]


def test_action_cannot_link_a_decision_of_another_room(app, make, world):
    other = make.run(create_room, actor=world["lead"], title="Other", severity="low", tlp="AMBER",
                     org_ids=[world["sector"].id])
    foreign = propose(make, world["lead"], other)
    for bad in (foreign, 999_999, "1"):
        with pytest.raises(Invalid) as err:
            make.run(stream.post, actor=world["member"], room_id=world["room"].id, kind="action",
                     payload={"title": "Push", "decision_id": bad})
        assert "decision_id" in err.value.fields
    assert count_rows(app, ActionItem) == 0


# --- the record ------------------------------------------------------------------------

def test_every_step_is_a_decision_event_with_consecutive_seq_and_an_audit_row(app, make, world):
    room = world["room"]
    start = len(room_events(app, room))
    decision_id = propose(make, world["lead"], room)
    cast(make, world["member"], room, decision_id, "support")
    [p] = view(make, world["lead"], room, decision_id)["positions"]
    cast(make, world["lead"], room, decision_id, "abstain", replaces=p["id"])
    cast(make, world["telco_user"], room, decision_id, "support")
    close(make, world["lead"], room, decision_id)
    step(make, world["lead"], room, "propose", title="Follow-up", supersedes=decision_id)
    evs = room_events(app, room)[start:]
    assert [e.seq for e in evs] == list(range(start + 1, start + 7))
    assert {e.kind for e in evs} == {"decision"}
    assert [json.loads(e.data)["op"] for e in evs] == [
        "proposed", "position", "position", "position", "closed", "superseded"]
    audit = read(app, lambda s: list(s.scalars(select(AuditEntry).where(
        AuditEntry.action == "room.event.decision").order_by(AuditEntry.id))))
    assert [json.loads(a.details)["seq"] for a in audit] == [e.seq for e in evs]
    assert {(a.room_id, a.actor_id is not None) for a in audit} == {(room.id, True)}
    assert [json.loads(a.details)["op"] for a in audit] == [
        "proposed", "position", "position", "position", "closed", "superseded"]


# --- the deadline ------------------------------------------------------------------------

def _overdue(app, decision_id):
    """The API refuses past deadlines, so move one into the past in the database."""
    with database(app).transaction() as s:
        s.execute(update(Decision).where(Decision.id == decision_id)
                  .values(deadline=utcnow() - timedelta(minutes=5)))


def test_close_due_closes_an_overdue_decision_once(app, make, world):
    room = world["room"]
    decision_id = propose(make, world["lead"], room, deadline="2099-01-01T00:00:00Z")
    later_id = propose(make, world["lead"], room, title="Not yet", deadline="2099-01-01T00:00:00Z")
    undated_id = propose(make, world["lead"], room, title="No deadline")
    cast(make, world["member"], room, decision_id, "support")
    cast(make, world["telco_user"], room, decision_id, "support")
    assert make.run(services.close_due) == []
    _overdue(app, decision_id)
    with pytest.raises(Conflict):  # past the deadline, no more positions
        cast(make, world["energy_user"], room, decision_id, "object")
    before = len(room_events(app, room))
    assert make.run(services.close_due) == [decision_id]
    assert make.run(services.close_due) == []
    evs = room_events(app, room)
    assert len(evs) == before + 1
    last = evs[-1]
    data = json.loads(last.data)
    assert (last.kind, last.author_id, data["op"], data["decision_id"], data["outcome"]) == (
        "decision", None, "closed", decision_id, "adopted")
    d = view(make, world["lead"], room, decision_id)
    assert (d["status"], d["outcome"], d["closed_seq"]) == ("closed", "adopted", last.seq)
    assert d["rationale"] == "Closed automatically at the deadline under the majority rule."
    assert read(app, lambda s: s.get(Decision, decision_id).closed_by_id) is None
    [row] = read(app, lambda s: list(s.scalars(select(AuditEntry).where(
        AuditEntry.action == "room.event.decision", AuditEntry.actor_id.is_(None)))))
    assert row.actor_label == "system" and json.loads(row.details)["automatic"] is True
    for other in (later_id, undated_id):
        assert view(make, world["lead"], room, other)["status"] == "open"


def test_close_due_rejects_an_undecided_chair_decision(app, make, world):
    decision_id = propose(make, world["lead"], world["room"], rule="chair")
    cast(make, world["member"], world["room"], decision_id, "support")
    cast(make, world["telco_user"], world["room"], decision_id, "support")
    _overdue(app, decision_id)
    assert make.run(services.close_due, now=utcnow()) == [decision_id]
    d = view(make, world["lead"], world["room"], decision_id)
    assert (d["outcome"], d["rationale"]) == ("rejected", "The chair did not decide before the deadline.")


def test_close_due_without_quorum(app, make, world):
    decision_id = propose(make, world["lead"], world["room"])
    _overdue(app, decision_id)
    assert make.run(services.close_due) == [decision_id]
    assert view(make, world["lead"], world["room"], decision_id)["outcome"] == "no_quorum"


# --- visibility ------------------------------------------------------------------------

@pytest.fixture
def red(make, world):
    """A RED decision in the AMBER room: the lead and the named member see it; Tina (telco participates,
    but she is not named) does not."""
    room = world["room"]
    visible_id = propose(make, world["lead"], room, title="Amber plan")
    red_id = propose(make, world["lead"], room, title="Takedown of host X", tlp="RED")
    position = cast(make, world["member"], room, red_id, "support")
    return {"id": red_id, "visible_id": visible_id, "position_seq": position["seq"]}


def test_red_decision_is_invisible_to_a_participating_user_who_is_not_named(make, world, red):
    room, tina = world["room"], world["telco_user"]
    with pytest.raises(NotFound):
        view(make, tina, room, red["id"])
    _room, listed = make.run(services.list_for_room, actor=tina, room_id=room.id)
    assert [d.title for d in listed] == ["Amber plan"]
    assert [d.title for d, _r in make.run(services.register, actor=tina)] == ["Amber plan"]
    with pytest.raises(NotFound):  # nor can she act on it
        cast(make, tina, room, red["id"], "object")
    with pytest.raises(Invalid):
        make.run(stream.post, actor=tina, room_id=room.id, kind="action",
                 payload={"title": "x", "decision_id": red["id"]})
    # The named member sees it all.
    assert view(make, world["member"], room, red["id"])["title"] == "Takedown of host X"
    _room, listed = make.run(services.list_for_room, actor=world["member"], room_id=room.id)
    assert [d.title for d in listed] == ["Takedown of host X", "Amber plan"]
    assert {d.title for d, _r in make.run(services.register, actor=world["member"])} == {
        "Takedown of host X", "Amber plan"}


def _history_for(app, user, room):
    def _page(s):
        found, role = load_visible(s, user, room.id)
        events, _more = stream.list_events(s, found, since=0)
        return stream.serialize_page(s, events, found, audiences_of(s, user, found, role))

    return {e["seq"]: e for e in read(app, _page)}


def test_red_decision_events_are_stubs_for_those_outside_it(app, make, world, red):
    room = world["room"]
    evs = [e for e in room_events(app, room) if e.kind == "decision"]
    red_seqs = [e.seq for e in evs if json.loads(e.data)["decision_id"] == red["id"]]
    assert len(red_seqs) == 2 and red["position_seq"] in red_seqs
    tina = _history_for(app, world["telco_user"], room)
    named = _history_for(app, world["member"], room)
    assert sorted(tina) == sorted(named) == list(range(1, room_events(app, room)[-1].seq + 1))  # gapless
    for seq in red_seqs:
        stub = tina[seq]
        assert (stub["kind"], stub["partial"], stub["author"], stub["body"]) == ("restricted", True, None, "")
        assert "decision" not in stub and "Takedown" not in json.dumps(stub)
        full = named[seq]
        assert full["kind"] == "decision" and full["decision"]["title"] == "Takedown of host X"
        assert full["decision_id"] == red["id"] and "partial" not in full
    amber_seq = next(e.seq for e in evs if json.loads(e.data)["decision_id"] == red["visible_id"])
    assert tina[amber_seq]["decision"]["title"] == "Amber plan"


def test_a_decision_cannot_be_marked_looser_than_a_red_room(make, world):
    room = make.run(create_room, actor=world["lead"], title="Red room", severity="low", tlp="RED",
                    org_ids=[world["sector"].id])
    with pytest.raises(Invalid) as err:
        propose(make, world["lead"], room, tlp="AMBER")
    assert "TLP:RED" in err.value.fields["tlp"]


# --- the register -------------------------------------------------------------------------

def _set_proposed_at(app, decision_id, when):
    with database(app).transaction() as s:
        s.execute(update(Decision).where(Decision.id == decision_id).values(proposed_at=when))


def test_register_filters(app, make, world):
    room = world["room"]
    adopted = propose(make, world["lead"], room, title="Adopted one")
    cast(make, world["member"], room, adopted, "support")
    cast(make, world["telco_user"], room, adopted, "support")
    close(make, world["lead"], room, adopted)
    rejected = propose(make, world["lead"], room, title="Rejected one")
    cast(make, world["member"], room, rejected, "object")
    cast(make, world["telco_user"], room, rejected, "object")
    close(make, world["lead"], room, rejected)
    no_quorum = propose(make, world["lead"], room, title="Quiet one")
    close(make, world["lead"], room, no_quorum)
    propose(make, world["lead"], room, title="Still open")
    water_room = make.run(create_room, actor=world["outsider"], title="Water leak", severity="low",
                          tlp="GREEN", org_ids=[])
    water = propose(make, world["outsider"], water_room, title="Water decision")
    _set_proposed_at(app, water, datetime(2024, 3, 10, 12, tzinfo=UTC))

    def titles(**filters):
        return [d.title for d, _room in make.run(services.register, actor=world["lead"], **filters)]

    assert titles() == ["Still open", "Quiet one", "Rejected one", "Adopted one", "Water decision"]
    assert titles(status="open") == ["Still open", "Water decision"]
    assert titles(status="closed") == ["Quiet one", "Rejected one", "Adopted one"]
    assert titles(outcome="adopted") == ["Adopted one"]
    assert titles(outcome="rejected") == ["Rejected one"]
    assert titles(outcome="no_quorum") == ["Quiet one"]
    assert titles(org_id=world["other"].id) == ["Water decision"]
    assert titles(org_id=world["telco"].id) == ["Still open", "Quiet one", "Rejected one", "Adopted one"]
    assert titles(org_id=world["bank"].id) == []
    assert titles(date_to=datetime(2024, 3, 11, tzinfo=UTC)) == ["Water decision"]
    assert titles(date_from=datetime(2024, 3, 11, tzinfo=UTC)) == [
        "Still open", "Quiet one", "Rejected one", "Adopted one"]
    assert titles(date_from=datetime(2024, 3, 10, tzinfo=UTC), date_to=datetime(2024, 3, 11, tzinfo=UTC)) == [
        "Water decision"]
    # The outsider sees only the GREEN room's decision: the AMBER room is not theirs.
    assert [d.title for d, _r in make.run(services.register, actor=world["outsider"])] == ["Water decision"]


def test_register_excludes_exercise_rooms(make, world):
    exercise = make.run(create_room, actor=world["lead"], title="Tabletop", severity="low", tlp="GREEN",
                        org_ids=[world["telco"].id], kind="exercise")
    propose(make, world["lead"], exercise, title="Exercise decision")
    propose(make, world["lead"], world["room"], title="Real decision")
    assert [d.title for d, _r in make.run(services.register, actor=world["lead"])] == ["Real decision"]
    both = make.run(services.register, actor=world["lead"], include_exercises=True)
    assert {(d.title, r.kind) for d, r in both} == {("Exercise decision", "exercise"), ("Real decision", "incident")}
    # Exercise rooms are for their named people only, even when GREEN.
    assert make.run(services.register, actor=world["telco_user"], include_exercises=True)[0][0].title == (
        "Real decision")
    assert len(make.run(services.register, actor=world["telco_user"], include_exercises=True)) == 1
