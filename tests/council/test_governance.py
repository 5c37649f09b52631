"""The council as a body: seats and terms, meetings with attendance and quorum,
per-seat counting, decision types, minutes, the crisis level and its clock."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from council.actors import SYSTEM
from council.db import utcnow
from council.errors import Invalid
from council.extensions import database
from council.governance import crisis, seats
from council.governance.models import CrisisChange, Meeting, Minutes
from council.notifications.models import Notification
from council.rooms.models import Room, RoomEvent
from council.rooms.services import create_room


@pytest.fixture
def api(app, make):
    tokens: dict[int, str] = {}

    class Caller:
        def __init__(self, user):
            if user.id not in tokens:
                tokens[user.id] = make.api_token(user, "tests")[1]
            self.headers = {"Authorization": f"Bearer {tokens[user.id]}"}
            self.client = app.test_client()

        def get(self, path, **kw):
            return self.client.get("/api/v1" + path, headers=self.headers, **kw)

        def post(self, path, payload=None, **kw):
            return self.client.post("/api/v1" + path, headers=self.headers, json=payload or {}, **kw)

        def put(self, path, payload=None):
            return self.client.put("/api/v1" + path, headers=self.headers, json=payload or {})

        def patch(self, path, payload=None):
            return self.client.patch("/api/v1" + path, headers=self.headers, json=payload or {})

    return Caller


@pytest.fixture
def council(make):
    """A national CERT (secretary), a ministry (chair), a sectoral CERT and an industry
    one-year seat; a sectoral CERT without a seat; seated by the national admin."""

    class C:
        national = make.org("National CERT", tier="national")
        ministry = make.org("Ministry of IT", kind="ministry")
        telecom = make.org("Telecom Sector CERT", tier="sectoral", parent=national)
        industry = make.org("Software Houses Association", kind="industry")
        unseated = make.org("Water Sector CERT", tier="sectoral", parent=national)
        admin = make.user("admin@national.example", org=national, role="admin", name="Nadia Admin")
        secretary = make.user("dg@national.example", org=national, name="Dana DG")
        chair = make.user("secretary@moitt.example", org=ministry, name="Chaudhry Chair")
        clerk = make.user("clerk@moitt.example", org=ministry, name="Kamal Clerk")
        tel = make.user("rep@telecom.example", org=telecom, name="Tariq Telecom")
        tel_alt = make.user("alt@telecom.example", org=telecom, name="Aisha Alternate")
        tel_other = make.user("other@telecom.example", org=telecom, name="Omar Other")
        ind = make.user("rep@industry.example", org=industry, name="Imran Industry")
        water = make.user("rep@water.example", org=unseated, name="Wahid Water")

    today = date.today()
    make.run(seats.create_seat, actor=C.admin, org_id=C.national.id, office="secretary",
             term_start=today - timedelta(days=30), representatives=[(C.secretary.id, "primary")])
    make.run(seats.create_seat, actor=C.secretary, org_id=C.ministry.id, office="chair",
             term_start=today - timedelta(days=30), representatives=[(C.chair.id, "primary")])
    make.run(seats.create_seat, actor=C.secretary, org_id=C.telecom.id, office="member",
             term_start=today - timedelta(days=30),
             representatives=[(C.tel.id, "primary"), (C.tel_alt.id, "alternate")])
    C.industry_seat = make.run(seats.create_seat, actor=C.secretary, org_id=C.industry.id, office="member",
                               label="Industry (one-year)", term_start=today - timedelta(days=30),
                               term_end=today + timedelta(days=335), representatives=[(C.ind.id, "primary")])
    return C


def convene(api, who, title="Quarterly meeting", **extra):
    body = {"title": title, "kind": "regular", "starts_at": (utcnow() + timedelta(hours=1)).isoformat(),
            "agenda": [{"title": "The state of the nation's networks"}], **extra}
    response = api(who).post("/council/meetings", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def attend(api, council, meeting_id, org, user=None, present=True):
    body = {"org_id": org.id, "present": present}
    if user is not None:
        body["user_id"] = user.id
    return api(council.secretary).post(f"/council/meetings/{meeting_id}/attendance", body)


def events(app, room_id, kind):
    with database(app).session(write=False) as s:
        return [json.loads(e.data) for e in s.scalars(select(RoomEvent).where(
            RoomEvent.room_id == room_id, RoomEvent.kind == kind).order_by(RoomEvent.seq))]


def notes(app, user, kind):
    with database(app).session(write=False) as s:
        return list(s.scalars(select(Notification).where(Notification.user_id == user.id,
                                                         Notification.kind == kind)))


# --- members, seats and offices ---------------------------------------------------------

def test_bodies_that_are_not_certs_have_a_kind_and_no_tier_and_provincial_certs_sit_beside_sectoral(make, app):
    from council.orgs.services import create_org

    ministry = make.org("Ministry of Defence", kind="ministry")
    punjab = make.org("Punjab CERT", tier="provincial")
    assert (ministry.kind, ministry.tier, ministry.tier_label) == ("ministry", None, "Ministry or division")
    assert punjab.tier_label == "Provincial CERT"
    with pytest.raises(Invalid) as err:
        make.run(create_org, actor=SYSTEM, name="PTA", tier="sectoral", kind="regulator")
    assert "Only a CERT has a tier" in err.value.fields["tier"]
    with pytest.raises(Invalid) as err:
        make.run(create_org, actor=SYSTEM, name="Nobody CERT", tier=None, kind="cert")
    assert "Tier must be one of" in err.value.fields["tier"]


def test_the_council_lists_current_seats_with_offices_terms_and_representatives(api, council):
    body = api(council.water).get("/council").get_json()
    by_org = {s["org_id"]: s for s in body["seats"]}
    assert set(by_org) == {council.national.id, council.ministry.id, council.telecom.id, council.industry.id}
    assert by_org[council.ministry.id]["office"] == "chair"
    assert by_org[council.national.id]["office"] == "secretary"
    assert by_org[council.telecom.id]["representatives"] == [council.tel.id, council.tel_alt.id]
    assert by_org[council.industry.id]["term_end"] == (date.today() + timedelta(days=335)).isoformat()
    assert by_org[council.national.id]["term_end"] is None
    assert body["crisis_level"] == {**body["crisis_level"], "level": 0, "name": "Normal", "provisional": False,
                                    "decision_id": None, "since": None}


def test_an_expired_term_drops_out_of_the_council_and_of_quorum_but_stays_in_the_register(api, council, make):
    make.run(seats.update_seat, actor=council.secretary, seat_id=council.industry_seat.id,
             term_end=date.today() - timedelta(days=1))
    current = {s["org_id"] for s in api(council.tel).get("/council").get_json()["seats"]}
    assert council.industry.id not in current and len(current) == 3
    history = api(council.tel).get("/council/seats").get_json()["seats"]
    ended = next(s for s in history if s["org_id"] == council.industry.id)
    assert ended["current"] is False and ended["label"] == "Industry (one-year)"
    meeting = convene(api, council.secretary)
    assert api(council.tel).get(f"/council/meetings/{meeting['id']}").get_json()["quorum"]["seats"] == 3


def test_only_the_secretary_manages_seats_once_one_is_seated_and_every_change_is_audited(api, council, app):
    refused = api(council.admin).post("/council/seats", {"org_id": council.unseated.id, "office": "member",
                                                         "term_start": date.today().isoformat()})
    assert refused.status_code == 403
    assert "secretary manages seats" in refused.get_json()["error"]
    answer = api(council.secretary).post("/council/seats", {
        "org_id": council.unseated.id, "term_start": date.today().isoformat(),
        "representatives": [{"user_id": council.water.id, "role": "primary"}]})
    assert answer.status_code == 201 and answer.get_json()["current"] is True
    twice = api(council.secretary).post("/council/seats", {"org_id": council.unseated.id,
                                                           "term_start": date.today().isoformat()})
    assert twice.status_code == 409 and "already holds a seat" in twice.get_json()["error"]
    foreign = api(council.secretary).post("/council/seats", {
        "org_id": council.industry.id, "term_start": (date.today() + timedelta(days=800)).isoformat(),
        "representatives": [{"user_id": council.tel.id}]})
    assert foreign.status_code == 422 and "speak for their own" in foreign.get_json()["fields"]["representatives"]
    bad = api(council.secretary).post("/council/seats", {"org_id": council.unseated.id, "term_start": "2026-13-01"})
    assert bad.status_code == 422
    from council.audit.models import AuditEntry

    with database(app).session(write=False) as s:
        actions = [a.action for a in s.scalars(select(AuditEntry).where(AuditEntry.action.like("council.seat.%")))]
    assert actions.count("council.seat.create") == 5


# --- meetings, attendance and quorum -------------------------------------------------------

def test_the_secretary_convenes_a_meeting_with_its_own_room_of_the_seated_organisations(api, council, app):
    body = convene(api, council.secretary, agenda=[{"title": "Phishing wave"}, {"title": "Minutes"}])
    with database(app).session(write=False) as s:
        room = s.get(Room, body["room_id"])
        assert room.kind == "meeting" and room.tlp == "AMBER+STRICT"  # the seated organisations only
        assert room.org_ids == {council.national.id, council.ministry.id, council.telecom.id, council.industry.id}
        roles = {m.user_id: m.role for m in room.members}
    assert roles[council.secretary.id] == "lead" and roles[council.chair.id] == "lead"
    assert roles[council.tel.id] == roles[council.tel_alt.id] == roles[council.ind.id] == "member"
    told = notes(app, council.tel, "council_meeting")
    assert len(told) == 1 and "Quarterly meeting" in told[0].title
    meeting = api(council.tel).get(f"/council/meetings/{body['id']}").get_json()
    assert [a["title"] for a in meeting["agenda"]] == ["Phishing wave", "Minutes"]


def test_only_the_secretary_or_chair_convenes_and_unseated_organisations_do_not_see_the_meeting(api, council):
    refused = api(council.tel).post("/council/meetings", {"title": "Mine", "kind": "regular",
                                                          "starts_at": utcnow().isoformat()})
    assert refused.status_code == 403
    body = convene(api, council.chair, title="Chair's meeting", kind="extraordinary")
    assert api(council.water).get(f"/council/meetings/{body['id']}").status_code == 404
    assert api(council.water).get(f"/rooms/{body['room_id']}").status_code == 404
    assert api(council.water).post(f"/council/meetings/{body['id']}/attendance",
                                   {"org_id": council.unseated.id, "present": True}).status_code == 404
    # Same TLP rules as every room: an AMBER meeting is read by the seated organisations' children.
    amber = convene(api, council.secretary, title="Wider", tlp="AMBER")
    assert api(council.water).get(f"/council/meetings/{amber['id']}").status_code == 200
    assert api(council.water).get(f"/rooms/{amber['room_id']}").get_json()["role"] == "observer"


def test_an_agenda_item_links_only_what_the_convener_can_see(api, council, make):
    hidden = make.room(council.water, title="Water only", tlp="AMBER+STRICT")
    answer = api(council.secretary).post("/council/meetings", {
        "title": "Links", "kind": "regular", "starts_at": utcnow().isoformat(),
        "agenda": [{"title": "Their room", "link": f"room:{hidden.id}"}]})
    assert answer.status_code == 422
    assert answer.get_json()["fields"]["agenda.0.link"] == f"No room {hidden.id} that you can see."
    visible = make.room(council.secretary, title="Botnet", tlp="GREEN")
    body = convene(api, council.secretary, agenda=[{"title": "The botnet", "link": f"room:{visible.id}"}])
    item = api(council.tel).get(f"/council/meetings/{body['id']}").get_json()["agenda"][0]
    assert item["link"] == f"room:{visible.id}" and item["url"] == f"/rooms/{visible.id}"
    assert api(council.secretary).post("/council/meetings", {
        "title": "Bad", "kind": "regular", "starts_at": utcnow().isoformat(),
        "agenda": [{"title": "x", "link": "javascript:alert(1)"}]}).status_code == 422


def test_attendance_per_seat_counts_alternates_and_the_quorum_follows_the_stream(api, council, app):
    body = convene(api, council.secretary)
    assert attend(api, council, body["id"], council.telecom, council.tel_alt).status_code == 200
    answer = attend(api, council, body["id"], council.national)
    quorum = answer.get_json()["quorum"]
    assert quorum == {"seats": 4, "present": 2, "needed": 2, "met": True}
    sitting = {a["org_id"]: a for a in answer.get_json()["attendance"]}
    assert sitting[council.telecom.id]["user"] == "Aisha Alternate"
    assert sitting[council.national.id]["user"] == "Dana DG"  # the primary by default
    live = events(app, body["room_id"], "attendance")
    assert [e["quorum"]["present"] for e in live] == [1, 2] and live[0]["as"] == "alternate"
    assert attend(api, council, body["id"], council.telecom, present=False).get_json()["quorum"]["present"] == 1


def test_attendance_refuses_a_stranger_in_a_seat_an_unseated_organisation_and_a_non_secretary(api, council):
    body = convene(api, council.secretary)
    stranger = attend(api, council, body["id"], council.telecom, council.tel_other)
    assert stranger.status_code == 422 and "Not a representative" in stranger.get_json()["fields"]["user_id"]
    unseated = attend(api, council, body["id"], council.unseated)
    assert unseated.status_code == 422 and "holds no seat" in unseated.get_json()["fields"]["org_id"]
    member = api(council.tel).post(f"/council/meetings/{body['id']}/attendance",
                                   {"org_id": council.telecom.id, "present": True})
    assert member.status_code == 403
    assert api(council.secretary).post(f"/council/meetings/{body['id']}/attendance",
                                       {"org_id": "1", "present": "yes"}).status_code == 422


# --- decisions of the council ---------------------------------------------------------------

def dec(api, user, room_id, **payload):
    return api(user).post(f"/rooms/{room_id}/decisions", payload)


def cast(api, user, room_id, decision_id, position="support"):
    return api(user).post(f"/rooms/{room_id}/decisions/{decision_id}/positions", {"position": position})


def close(api, user, room_id, decision_id, why="Decided in session."):
    return api(user).post(f"/rooms/{room_id}/decisions/{decision_id}/close", {"rationale": why})


def test_in_a_meeting_positions_are_counted_per_seat_and_cast_by_its_representatives(api, council, make):
    body = convene(api, council.secretary)
    room = body["room_id"]
    d = dec(api, council.secretary, room, title="Recommend notifying the provincial CERTs",
            type="recommendation", addressee="Federal Government").get_json()
    assert d["counted_per"] == "seat" and d["tally"]["eligible"] == 4 and d["type"] == "recommendation"
    assert cast(api, council.tel_alt, room, d["id"]).status_code == 201  # an alternate casts for the seat
    other = cast(api, council.tel_other, room, d["id"])
    assert other.status_code == 403 and "represent no seat" in other.get_json()["error"]
    # An expired seat's position stops counting.
    assert cast(api, council.ind, room, d["id"]).status_code == 201
    make.run(seats.update_seat, actor=council.secretary, seat_id=council.industry_seat.id,
             term_end=date.today() - timedelta(days=1))
    tally = api(council.tel).get(f"/rooms/{room}/decisions/{d['id']}").get_json()["tally"]
    assert (tally["eligible"], tally["participated"]) == (3, 1)


def test_outside_meetings_positions_stay_per_participating_organisation(api, council, make):
    room = make.room(council.tel, title="Outage", tlp="GREEN", orgs=(council.unseated,))
    d = dec(api, council.tel, room.id, title="Reroute traffic").get_json()
    assert d["type"] == "operational" and d["counted_per"] == "organisation" and d["tally"]["eligible"] == 2
    assert cast(api, council.water, room.id, d["id"]).status_code == 201


def test_council_acts_are_decided_in_meetings_by_seats_with_an_addressee_or_a_level(api, council, make):
    incident = make.room(council.tel, title="Incident", tlp="GREEN", orgs=(council.unseated,))
    for kind, extra in (("recommendation", {"addressee": "Cabinet"}), ("advice", {}), ("crisis-level", {"level": 2})):
        outside = dec(api, council.tel, incident.id, title="Act", type=kind, **extra)
        assert outside.status_code == 422 and "council meeting" in outside.get_json()["fields"]["type"]
    stray = dec(api, council.tel, incident.id, title="Plain", level=2)
    assert stray.status_code == 422 and "council decision" in stray.get_json()["fields"]["level"]
    meeting = convene(api, council.secretary)
    room = meeting["room_id"]
    no_addressee = dec(api, council.secretary, room, title="Recommend", type="recommendation")
    assert no_addressee.status_code == 422 and "addressee" in no_addressee.get_json()["fields"]
    no_level = dec(api, council.secretary, room, title="Raise", type="crisis-level")
    assert no_level.status_code == 422 and "level" in no_level.get_json()["fields"]
    unknown = dec(api, council.secretary, room, title="Raise", type="crisis-level", level=7)
    assert unknown.status_code == 422 and "configured levels" in unknown.get_json()["fields"]["level"]
    alone = dec(api, council.secretary, room, title="Raise", type="crisis-level", level=4, rule="chair")
    assert alone.status_code == 422 and "The seats decide" in alone.get_json()["fields"]["rule"]
    advice = dec(api, council.tel, room, title="Patch the VPN concentrators", type="advice")
    assert advice.status_code == 201 and advice.get_json()["addressee"] == "CERTs"
    # A superseding decision keeps the type and what it is about.
    rec = dec(api, council.secretary, room, title="Recommend MFA", type="recommendation",
              addressee="Federal Government").get_json()
    for who in (council.secretary, council.chair):
        cast(api, who, room, rec["id"], "object")
    close(api, council.chair, room, rec["id"], "Needs rewording.")
    changed = api(council.secretary).post(f"/rooms/{room}/decisions/{rec['id']}/supersede",
                                          {"title": "Operational now", "type": "operational"})
    assert changed.status_code == 422 and "keeps its type" in changed.get_json()["fields"]["type"]
    again = api(council.secretary).post(f"/rooms/{room}/decisions/{rec['id']}/supersede",
                                        {"title": "Recommend MFA for every ministry"})
    assert again.status_code == 201
    assert (again.get_json()["type"], again.get_json()["addressee"]) == ("recommendation", "Federal Government")


def test_a_closed_meeting_closes_its_room_and_its_seats_no_longer_decide(api, council, app):
    meeting = convene(api, council.secretary)
    room = meeting["room_id"]
    d = dec(api, council.secretary, room, title="Raise", type="crisis-level", level=2).get_json()
    assert api(council.tel).post(f"/council/meetings/{meeting['id']}/close").status_code == 403
    assert api(council.secretary).post(f"/council/meetings/{meeting['id']}/close").status_code == 200
    assert api(council.tel).get(f"/rooms/{room}").get_json()["status"] == "closed"
    assert cast(api, council.tel, room, d["id"]).status_code == 409
    # Reopened by a lead, the room still decides nothing for the council.
    api(council.secretary).post(f"/rooms/{room}/events", {"kind": "status", "status": "open"})
    late = cast(api, council.tel, room, d["id"])
    assert late.status_code == 403 and "meeting is closed" in late.get_json()["error"]
    again = dec(api, council.secretary, room, title="Raise again", type="crisis-level", level=3)
    assert again.status_code == 409
    assert api(council.tel).get("/council").get_json()["crisis_level"]["level"] == 0


def test_minutes_and_the_crisis_reason_never_carry_a_decision_marked_stricter(api, council, app, make):
    meeting = convene(api, council.secretary, title="Mixed markings", tlp="AMBER")
    room = meeting["room_id"]
    secret = dec(api, council.secretary, room, title="RED-ONLY: attack on the grid", type="crisis-level", level=1,
                 tlp="RED").get_json()
    for who in (council.secretary, council.chair):
        cast(api, who, room, secret["id"])
    assert close(api, council.chair, room, secret["id"]).get_json()["outcome"] == "adopted"
    level = api(council.water).get("/council/crisis-level").get_json()
    assert level["current"]["level"] == 1 and "RED-ONLY" not in str(level)
    assert level["changes"][0]["reason"] == f"By council decision #{secret['id']}."
    drafted = api(council.secretary).post(f"/council/meetings/{meeting['id']}/minutes").get_json()
    assert "RED-ONLY" not in drafted["body"] and f"#{secret['id']} (marked TLP:RED)" in drafted["body"]
    # The child organisation reads the AMBER minutes, and nothing of the RED decision.
    assert "RED-ONLY" not in api(council.water).get(f"/council/minutes/{drafted['id']}").get_data(as_text=True)


def test_an_agenda_link_is_shown_only_to_those_who_may_open_it(api, council, make):
    hidden = make.room(council.secretary, title="National only", tlp="AMBER+STRICT")
    meeting = convene(api, council.secretary, tlp="AMBER", agenda=[{"title": "Item", "link": f"room:{hidden.id}"}])
    mine = api(council.secretary).get(f"/council/meetings/{meeting['id']}").get_json()["agenda"][0]
    assert mine["link"] == f"room:{hidden.id}"
    theirs = api(council.water).get(f"/council/meetings/{meeting['id']}").get_json()["agenda"][0]
    assert theirs == {"position": 1, "title": "Item", "link": None, "url": None}


def test_one_chair_at_a_time_over_every_term_and_admins_only_seat_a_council_without_officers(api, council, make):
    from council.governance.models import Seat

    with database(make.app).session(write=False) as s:
        chair_seat = s.scalars(select(Seat).where(Seat.office == "chair")).one()
    yesterday = date.today() - timedelta(days=1)
    make.run(seats.update_seat, actor=council.secretary, seat_id=chair_seat.id, term_end=yesterday)
    new = api(council.secretary).post("/council/seats", {"org_id": council.unseated.id, "office": "chair",
                                                         "term_start": date.today().isoformat()})
    assert new.status_code == 201
    reopen = api(council.secretary).patch(f"/council/seats/{chair_seat.id}", {"term_end": None})
    assert reopen.status_code == 409 and "held by Water Sector CERT" in reopen.get_json()["error"]
    future = api(council.secretary).post("/council/seats", {
        "org_id": council.telecom.id, "office": "chair",
        "term_start": (date.today() + timedelta(days=900)).isoformat()})
    assert future.status_code == 409
    # The secretary's term ends, a chair still sits: the admin does not take over.
    with database(make.app).session(write=False) as s:
        sec_seat = s.scalars(select(Seat).where(Seat.office == "secretary")).one()
    make.run(seats.update_seat, actor=council.secretary, seat_id=sec_seat.id, term_end=yesterday)
    assert api(council.admin).post("/council/seats", {"org_id": council.national.id, "office": "secretary",
                                                      "term_start": date.today().isoformat()}).status_code == 403


def test_a_meeting_keeps_the_seats_it_was_convened_with(api, council, make):
    meeting = convene(api, council.secretary)
    room = meeting["room_id"]
    d = dec(api, council.secretary, room, title="Adopt the work plan").get_json()
    make.run(seats.create_seat, actor=council.secretary, org_id=council.unseated.id, office="member",
             term_start=date.today(), representatives=[(council.water.id, "primary")])
    tally = api(council.tel).get(f"/rooms/{room}/decisions/{d['id']}").get_json()["tally"]
    assert tally["eligible"] == 4  # the new seat was not convened into this meeting
    assert api(council.tel).get(f"/council/meetings/{meeting['id']}").get_json()["quorum"]["seats"] == 4
    refused = attend(api, council, meeting["id"], council.unseated)
    assert refused.status_code == 422 and "no seat at this meeting" in refused.get_json()["fields"]["org_id"]


def test_the_register_filters_by_type_and_a_recommendation_is_followed_to_its_outcome(api, council, app):
    meeting = convene(api, council.secretary)
    room = meeting["room_id"]
    rec = dec(api, council.secretary, room, title="Mandate DMARC for government domains", type="recommendation",
              addressee_org_id=council.ministry.id)
    assert rec.status_code == 201, rec.get_json()
    rec = rec.get_json()
    assert rec["addressee"] == "Ministry of IT"
    dec(api, council.secretary, room, title="Adopt the agenda")
    for who in (council.secretary, council.chair, council.tel):
        assert cast(api, who, room, rec["id"]).status_code == 201
    assert close(api, council.chair, room, rec["id"]).get_json()["outcome"] == "adopted"
    register = api(council.tel).get("/decisions", query_string={"type": "recommendation"}).get_json()["decisions"]
    assert [d["id"] for d in register] == [rec["id"]]
    assert register[0]["follow_up"]["status"] == "pending"
    assert len(notes(app, council.chair, "recommendation")) == 0  # the actor is never told of their own act
    told = notes(app, council.clerk, "recommendation")
    assert len(told) == 1 and "Mandate DMARC" in told[0].title
    everyone = api(council.tel).get("/decisions").get_json()["decisions"]
    assert {d["type"] for d in everyone} == {"recommendation", "operational"}
    refused = api(council.tel).post(f"/decisions/{rec['id']}/follow-up", {"status": "accepted", "decided_by": "Me"})
    assert refused.status_code == 403
    vague = api(council.secretary).post(f"/decisions/{rec['id']}/follow-up", {"status": "accepted"})
    assert vague.status_code == 422 and "decided_by" in vague.get_json()["fields"]
    done = api(council.secretary).post(f"/decisions/{rec['id']}/follow-up", {
        "status": "accepted", "decided_by": "Federal Cabinet", "decided_on": date.today().isoformat()})
    assert done.status_code == 201 and done.get_json()["follow_up"]["status"] == "accepted"
    shown = api(council.tel).get("/decisions", query_string={"type": "recommendation"}).get_json()["decisions"][0]
    assert shown["follow_up"]["decided_by"] == "Federal Cabinet"
    # The public record holds adopted TLP:CLEAR decisions only: this one is AMBER+STRICT.
    assert api(council.tel).get("/decisions", query_string={"type": "recommendation", "public": "true"}
                                ).get_json()["decisions"] == []
    csv = api(council.tel).get("/decisions", query_string={"type": "recommendation", "format": "csv"})
    assert "Federal Cabinet" in csv.get_data(as_text=True) and "recommendation" in csv.get_data(as_text=True)


def test_a_follow_up_is_for_adopted_recommendations_only_and_invisible_decisions_are_404(api, council, make):
    room = make.room(council.tel, title="Op", tlp="AMBER+STRICT")
    op = dec(api, council.tel, room.id, title="Operational").get_json()
    assert api(council.secretary).post(f"/decisions/{op['id']}/follow-up",
                                       {"status": "accepted", "decided_by": "x"}).status_code == 404
    meeting = convene(api, council.secretary)
    plain = dec(api, council.secretary, meeting["room_id"], title="Plain").get_json()
    assert api(council.secretary).post(f"/decisions/{plain['id']}/follow-up",
                                       {"status": "accepted", "decided_by": "x"}).status_code == 409


# --- the national crisis level -----------------------------------------------------------------

def raise_by_decision(api, council, level, title="Raise the level"):
    meeting = convene(api, council.secretary, title=f"Extraordinary {level}", kind="extraordinary")
    room = meeting["room_id"]
    d = dec(api, council.secretary, room, title=title, type="crisis-level", level=level).get_json()
    for who in (council.secretary, council.chair, council.tel):
        assert cast(api, who, room, d["id"]).status_code == 201
    closed = close(api, council.chair, room, d["id"])
    assert closed.get_json()["outcome"] == "adopted"
    return d, room


def test_an_adopted_crisis_level_decision_changes_the_level_and_mobilises(api, council, app):
    d, _room = raise_by_decision(api, council, 3)
    level = api(council.water).get("/council").get_json()["crisis_level"]
    assert (level["level"], level["name"], level["decision_id"], level["provisional"]) == (3, "Severe", d["id"], False)
    with database(app).session(write=False) as s:
        coordination = s.get(Room, level["coordination_room_id"])
        assert coordination.kind == "incident" and coordination.sitrep_cadence_min == 240
        assert coordination.org_ids == {council.national.id, council.ministry.id, council.telecom.id,
                                        council.industry.id}
        members = {m.user_id for m in coordination.members}
    assert {council.tel.id, council.tel_alt.id, council.ind.id, council.secretary.id} <= members
    assert events(app, coordination.id, "crisis")[0]["level"] == 3
    told = notes(app, council.ind, "crisis_level")
    assert len(told) == 1 and "level 3 · Severe" in told[0].title and told[0].urgent
    page = app.test_client()
    from tests.conftest import login

    login(page, "rep@water.example")
    assert "Crisis level 3 · Severe" in page.get("/").get_data(as_text=True)


def test_a_rejected_crisis_level_decision_changes_nothing(api, council):
    meeting = convene(api, council.secretary)
    room = meeting["room_id"]
    d = dec(api, council.secretary, room, title="Raise", type="crisis-level", level=4).get_json()
    for who in (council.secretary, council.chair):
        cast(api, who, room, d["id"], "object")
    assert close(api, council.chair, room, d["id"]).get_json()["outcome"] == "rejected"
    assert api(council.tel).get("/council").get_json()["crisis_level"]["level"] == 0


def test_the_chair_changes_provisionally_and_a_decision_must_ratify_it_in_time(api, council, app, make):
    refused = api(council.secretary).post("/council/crisis-level", {"level": 2, "reason": "Wiper", "provisional": True})
    assert refused.status_code == 403 and "Only the chair" in refused.get_json()["error"]
    not_prov = api(council.chair).post("/council/crisis-level", {"level": 2, "reason": "Wiper", "provisional": False})
    assert not_prov.status_code == 422
    answer = api(council.chair).post("/council/crisis-level", {"level": 2, "reason": "Wiper on banks",
                                                               "provisional": True})
    assert answer.status_code == 201, answer.get_json()
    now = api(council.tel).get("/council").get_json()["crisis_level"]
    assert now["provisional"] is True and now["level"] == 2 and now["decision_id"] is None
    with database(app).session(write=False) as s:
        row = s.scalars(select(CrisisChange)).one()
        assert abs((row.ratify_by - row.set_at) - timedelta(hours=24)) < timedelta(seconds=1)
    # Before the deadline nothing is flagged; after it, once, to the chair and secretary.
    assert make.run(crisis.sweep, now=utcnow()) == []
    later = utcnow() + timedelta(hours=25)
    assert make.run(crisis.sweep, now=later) == [row.id]
    assert make.run(crisis.sweep, now=later) == []
    assert len(notes(app, council.secretary, "ratification_due")) == 1
    assert len(notes(app, council.chair, "ratification_due")) == 1
    assert notes(app, council.tel, "ratification_due") == []
    # A council decision ratifies it.
    d, _room = raise_by_decision(api, council, 2, "Ratify level 2")
    now = api(council.tel).get("/council").get_json()["crisis_level"]
    assert now["provisional"] is False and now["decision_id"] == d["id"]
    history = api(council.tel).get("/council/crisis-level").get_json()["changes"]
    assert history[1]["ratified_by_decision_id"] == d["id"]


def test_an_exercise_sets_its_own_level_marked_exercise_never_the_national_one(api, council, make, app):
    room = make.run(create_room, actor=council.tel, title="Drill", severity="high", tlp="GREEN", org_ids=[],
                    kind="exercise")
    answer = api(council.tel).post("/council/crisis-level", {"level": 4, "reason": "Scenario: national crisis",
                                                             "provisional": True, "exercise_room_id": room.id})
    assert answer.status_code == 201
    assert api(council.tel).get("/council").get_json()["crisis_level"]["level"] == 0
    line = events(app, room.id, "crisis")[0]
    assert line["exercise"] is True and line["level"] == 4
    assert notes(app, council.ind, "crisis_level") == []
    outsider = api(council.water).post("/council/crisis-level", {"level": 1, "reason": "x", "provisional": True,
                                                                 "exercise_room_id": room.id})
    assert outsider.status_code == 404
    incident = make.room(council.tel, title="Real", tlp="GREEN")
    wrong = api(council.tel).post("/council/crisis-level", {"level": 1, "reason": "x", "provisional": True,
                                                            "exercise_room_id": incident.id})
    assert wrong.status_code == 422
    # A crisis-level decision in the exercise room moves the exercise's level only.
    d = dec(api, council.tel, room.id, title="Exercise level 1", type="crisis-level", level=1).get_json()
    cast(api, council.tel, room.id, d["id"])
    assert close(api, council.tel, room.id, d["id"]).get_json()["outcome"] == "adopted"
    with database(app).session(write=False) as s:
        assert crisis.current(s, room.id).level == 1 and crisis.current(s).level == 0


# --- minutes ---------------------------------------------------------------------------------

def test_minutes_are_drafted_from_the_record_edited_adopted_at_the_next_meeting_and_then_immutable(api, council, app):
    first = convene(api, council.secretary, title="First meeting")
    attend(api, council, first["id"], council.telecom, council.tel_alt)
    attend(api, council, first["id"], council.national)
    d = dec(api, council.secretary, first["room_id"], title="Share IOCs daily").get_json()
    cast(api, council.tel_alt, first["room_id"], d["id"])
    cast(api, council.secretary, first["room_id"], d["id"])
    close(api, council.chair, first["room_id"], d["id"])
    assert api(council.tel).post(f"/council/meetings/{first['id']}/minutes").status_code == 403
    drafted = api(council.secretary).post(f"/council/meetings/{first['id']}/minutes")
    assert drafted.status_code == 201
    minutes = drafted.get_json()
    assert "Aisha Alternate (alternate)" in minutes["body"] and "Share IOCs daily" in minutes["body"]
    assert "Seats present: 2 of 4" in minutes["body"] and "Telecom Sector CERT: support" in minutes["body"]
    stale = api(council.secretary).put(f"/council/minutes/{minutes['id']}", {"body": "x", "version": 99})
    assert stale.status_code == 409
    edited = api(council.secretary).put(f"/council/minutes/{minutes['id']}",
                                        {"body": minutes["body"] + "\nThe chair thanked members.", "version": 1})
    assert edited.status_code == 200 and edited.get_json()["version"] == 2
    second = convene(api, council.secretary, title="Second meeting",
                     starts_at=(utcnow() + timedelta(days=30)).isoformat())
    early = api(council.secretary).post(f"/council/minutes/{minutes['id']}/propose", {"meeting_id": first["id"]})
    assert early.status_code == 422
    proposed = api(council.secretary).post(f"/council/minutes/{minutes['id']}/propose", {"meeting_id": second["id"]})
    assert proposed.status_code == 201 and proposed.get_json()["status"] == "proposed"
    adopting = proposed.get_json()["decision_id"]
    for who in (council.secretary, council.chair, council.tel):
        cast(api, who, second["room_id"], adopting)
    close(api, council.chair, second["room_id"], adopting, "Adopted without change.")
    final = api(council.tel).get(f"/council/minutes/{minutes['id']}").get_json()
    assert final["status"] == "adopted" and final["adopted_at"]
    again = api(council.secretary).put(f"/council/minutes/{minutes['id']}", {"body": "rewritten", "version": 2})
    assert again.status_code == 409 and "never change" in again.get_json()["error"]
    assert api(council.secretary).post(f"/council/meetings/{first['id']}/minutes").status_code == 409
    from council.audit.models import AuditEntry

    with database(app).session(write=False) as s:
        adopted = s.scalars(select(AuditEntry).where(AuditEntry.action == "council.minutes.adopted")).one()
        assert json.loads(adopted.details)["sha256"] == final["sha256"]


def test_declined_minutes_go_back_to_a_draft(api, council, app):
    first = convene(api, council.secretary, title="First")
    m = api(council.secretary).post(f"/council/meetings/{first['id']}/minutes").get_json()
    second = convene(api, council.secretary, title="Second", starts_at=(utcnow() + timedelta(days=3)).isoformat())
    decision = api(council.secretary).post(f"/council/minutes/{m['id']}/propose",
                                           {"meeting_id": second["id"]}).get_json()["decision_id"]
    for who in (council.secretary, council.chair):
        cast(api, who, second["room_id"], decision, "object")
    close(api, council.chair, second["room_id"], decision, "Corrections needed.")
    assert api(council.tel).get(f"/council/minutes/{m['id']}").get_json()["status"] == "draft"


def test_minutes_export_as_markdown_html_and_pdf_marked_and_404_to_outsiders(api, council, app):
    from tests.conftest import login

    meeting = convene(api, council.secretary, title="Exported", tlp="AMBER+STRICT")
    m = api(council.secretary).post(f"/council/meetings/{meeting['id']}/minutes").get_json()
    page = app.test_client()
    login(page, "rep@telecom.example")
    md = page.get(f"/council/minutes/{m['id']}/export.md")
    assert md.status_code == 200 and md.get_data(as_text=True).startswith("**TLP:AMBER+STRICT**")
    assert "NOT ADOPTED" in md.get_data(as_text=True)
    assert md.headers["Content-Disposition"].startswith("attachment;")
    html = page.get(f"/council/minutes/{m['id']}/export.html").get_data(as_text=True)
    assert html.count("TLP:AMBER+STRICT") >= 2 and "Minutes — Exported" in html
    pdf = page.get(f"/council/minutes/{m['id']}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    outsider = app.test_client()
    login(outsider, "rep@water.example")
    assert outsider.get(f"/council/minutes/{m['id']}/export.md").status_code == 404
    assert outsider.get(f"/council/minutes/{m['id']}").status_code == 404


# --- pages --------------------------------------------------------------------------------------

def test_the_council_page_shows_the_level_seats_and_meetings_and_the_banner_is_on_every_page(api, council, app):
    from tests.conftest import login

    convene(api, council.secretary, title="Visible meeting", tlp="GREEN")
    page = app.test_client()
    login(page, "rep@water.example")
    html = page.get("/council/").get_data(as_text=True)
    assert "Crisis level 0 · Normal" in html and "Chaudhry Chair" in html and "Visible meeting" in html
    assert "Convene a meeting" not in html and "Change provisionally" not in html
    assert "Crisis level 0 · Normal" in page.get("/rooms/").get_data(as_text=True)
    chair = app.test_client()
    login(chair, "secretary@moitt.example")
    assert "Change provisionally" in chair.get("/council/").get_data(as_text=True)


def test_pages_convene_record_attendance_and_refuse_bad_input_with_a_reason(council, app):
    from tests.conftest import csrf, login

    page = app.test_client()
    login(page, "dg@national.example")
    token = csrf(page, "/council/")
    answer = page.post("/council/meetings", data={"csrf_token": token, "title": "From the page", "kind": "regular",
                                                  "tlp": "AMBER", "starts_at": "2026-12-24T10:00",
                                                  "agenda": "Opening\nThe botnet | room:999999"},
                       follow_redirects=True)
    assert "No room 999999 that you can see." in answer.get_data(as_text=True)
    answer = page.post("/council/meetings", data={"csrf_token": token, "title": "From the page", "kind": "regular",
                                                  "tlp": "AMBER", "starts_at": "2026-12-24T10:00",
                                                  "agenda": "Opening\nAny other business"}, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "Meeting convened" in html and "Any other business" in html
    with database(app).session(write=False) as s:
        meeting = s.scalars(select(Meeting).where(Meeting.title == "From the page")).one()
    recorded = page.post(f"/council/meetings/{meeting.id}/attendance", data={
        "csrf_token": token, "org_id": str(council.telecom.id), "user_id": str(council.tel.id), "present": "1"},
        follow_redirects=True)
    assert "Attendance recorded." in recorded.get_data(as_text=True)
    assert "1 of 4 seats present" in recorded.get_data(as_text=True)
    bad = page.post(f"/council/meetings/{meeting.id}/attendance", data={"csrf_token": token, "org_id": "x1"},
                    follow_redirects=True)
    assert bad.status_code == 200 and "Org id: A number." in bad.get_data(as_text=True)
    nocsrf = page.post("/council/meetings", data={"title": "No token", "kind": "regular",
                                                  "starts_at": "2026-12-24T10:00"})
    assert nocsrf.status_code == 400
    with database(app).session(write=False) as s:
        assert s.scalars(select(Minutes)).all() == []


def test_the_register_page_filters_by_type_and_the_secretary_records_an_outcome_there(api, council, app):
    from tests.conftest import csrf, login

    meeting = convene(api, council.secretary)
    room = meeting["room_id"]
    rec = dec(api, council.secretary, room, title="Recommend DNSSEC for .pk", type="recommendation",
              addressee="PKNIC").get_json()
    dec(api, council.secretary, room, title="An operational matter")
    for who in (council.secretary, council.chair, council.tel):
        cast(api, who, room, rec["id"])
    close(api, council.chair, room, rec["id"])
    member = app.test_client()
    login(member, "rep@telecom.example")
    html = member.get("/decisions?type=recommendation").get_data(as_text=True)
    assert "Recommend DNSSEC for .pk" in html and "An operational matter" not in html
    assert "to <span dir=\"auto\">PKNIC</span>" in html and "Pending" in html and "Record outcome" not in html
    page = app.test_client()
    login(page, "dg@national.example")
    token = csrf(page, "/decisions")
    answer = page.post(f"/council/decisions/{rec['id']}/follow-up", data={
        "csrf_token": token, "status": "rejected", "decided_by": "PKNIC board", "decided_on": "2026-11-20",
        "next": "/decisions?type=recommendation"}, follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Follow-up recorded." in html and "PKNIC board, 2026-11-20" in html and "Rejected" in html
    bad = page.post(f"/council/decisions/{rec['id']}/follow-up", data={
        "csrf_token": token, "status": "accepted", "decided_on": "20-11-2026", "next": "//evil.example/"})
    assert bad.status_code == 302 and bad.headers["Location"].startswith("/decisions")
