"""The REST contract of rooms under /api/v1: shapes, rights, paging, idempotency, kinds."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from council.actors import SYSTEM
from council.auth.services import set_active
from council.auth.tokens import revoke_token
from tests.conftest import csrf, login
from tests.factories import PASSWORD

API = "/api/v1"
EVENT_KEYS = {"room", "seq", "kind", "id", "author", "created_at", "body", "body_html", "client_id", "exercise"}


class Api:
    """A Flask test client speaking to /api/v1 as a given user (bearer token per user)."""

    def __init__(self, client, make):
        self.client, self.make = client, make
        self.tokens: dict[int, str] = {}

    def headers(self, user):
        if user.id not in self.tokens:
            self.tokens[user.id] = self.make.api_token(user)[1]
        return {"Authorization": f"Bearer {self.tokens[user.id]}"}

    def get(self, user, path, **params):
        return self.client.get(API + path, headers=self.headers(user), query_string=params)

    def post(self, user, path, json):
        return self.client.post(API + path, headers=self.headers(user), json=json)

    def events(self, user, room_id, **params):
        response = self.get(user, f"/rooms/{room_id}/events", **params)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def seqs(self, user, room_id, **params):
        return [e["seq"] for e in self.events(user, room_id, **params)["events"]]

    def latest(self, user, room_id):
        return self.events(user, room_id, since=0, limit=1)["latest_seq"]


@pytest.fixture
def api(client, make):
    return Api(client, make)


@pytest.fixture
def world(make):
    """A national CERT with a sector CERT below it, an unrelated org, and people in each."""

    class World:
        national = make.org("National CERT", tier="national")
        sector = make.org("Energy ISAC", tier="sectoral", sector="energy", parent=national)
        other = make.org("Telecom CERT", tier="sectoral", sector="telecom")
        lead = make.user("lead@national.example", org=national, name="Lena Lead")
        colleague = make.user("colleague@national.example", org=national, name="Carl Colleague")
        child = make.user("child@sector.example", org=sector, name="Chris Child")
        outsider = make.user("outsider@telecom.example", org=other, name="Olga Outsider")
        admin = make.user("admin@telecom.example", org=other, role="admin", name="Ada Admin")

    return World


def message(body="Seen on the mail gateway", **extra):
    return {"kind": "message", "body": body, **extra}


# --- orgs and rooms -----------------------------------------------------------

def test_orgs_lists_every_organisation_with_its_fields(api, world):
    response = api.get(world.outsider, "/orgs")
    assert response.status_code == 200
    orgs = {o["name"]: o for o in response.get_json()["orgs"]}
    assert set(orgs) == {"National CERT", "Energy ISAC", "Telecom CERT"}
    for org in orgs.values():
        assert set(org) == {"id", "name", "kind", "tier", "sector", "parent_id"}
    assert orgs["Energy ISAC"] == {"id": world.sector.id, "name": "Energy ISAC", "kind": "cert", "tier": "sectoral",
                                   "sector": "energy", "parent_id": world.national.id}
    assert orgs["National CERT"]["parent_id"] is None
    assert orgs["National CERT"]["tier"] == "national"


def test_create_room_answers_201_with_the_room_and_makes_the_creator_lead(api, world):
    response = api.post(world.lead, "/rooms", {
        "title": "  Ransomware at a utility ", "summary": "First **reports** in.", "severity": "critical",
        "tlp": "AMBER", "orgs": [world.sector.id], "members": ["child@sector.example"],
    })
    assert response.status_code == 201, response.get_json()
    room = response.get_json()
    assert isinstance(room["id"], int)
    assert room["title"] == "Ransomware at a utility"
    assert (room["severity"], room["tlp"], room["status"], room["kind"]) == ("critical", "AMBER", "open", "incident")
    assert room["exercise"] is False
    assert room["role"] == "lead"
    assert "<strong>reports</strong>" in room["summary_html"]
    # The creator's own organisation participates even when not listed.
    assert {o["id"] for o in room["orgs"]} == {world.national.id, world.sector.id}
    assert [(m["user_id"], m["role"]) for m in room["members"]] == [(world.lead.id, "lead"), (world.child.id, "member")]
    assert room["created_by"] == {"id": world.lead.id, "name": "Lena Lead"}
    assert room["latest_seq"] == 3  # opened, then one member event per named member

    events = api.events(world.lead, room["id"], since=0)["events"]
    assert [(e["seq"], e["kind"]) for e in events] == [(1, "status"), (2, "member"), (3, "member")]
    assert events[0]["op"] == "opened"
    assert events[0]["changes"]["tlp"] == [None, "AMBER"]
    assert [(e["user_id"], e["role"]) for e in events[1:]] == [(world.lead.id, "lead"), (world.child.id, "member")]

    fetched = api.get(world.lead, f"/rooms/{room['id']}")
    assert fetched.status_code == 200
    assert fetched.get_json() == room


def test_list_rooms_holds_exactly_the_callers_visible_rooms(api, make, world):
    green = make.room(world.lead, title="Green room", tlp="GREEN")
    amber = make.room(world.lead, title="Amber room", tlp="AMBER")
    strict = make.room(world.lead, title="Strict room", tlp="AMBER+STRICT")
    red = make.room(world.lead, title="Red room", tlp="RED")
    named_red = make.room(world.lead, title="Red with outsider", tlp="RED", members=(world.outsider,))

    def titles(user, **params):
        response = api.get(user, "/rooms", **params)
        assert response.status_code == 200
        return {r["title"] for r in response.get_json()["rooms"]}

    assert titles(world.lead) == {"Green room", "Amber room", "Strict room", "Red room", "Red with outsider"}
    assert titles(world.colleague) == {"Green room", "Amber room", "Strict room"}
    assert titles(world.child) == {"Green room", "Amber room"}
    assert titles(world.outsider) == {"Green room", "Red with outsider"}
    assert titles(world.admin) == {"Green room"}  # platform admins get nothing extra
    assert titles(world.lead, tlp="RED") == {"Red room", "Red with outsider"}
    assert titles(world.outsider, mine="1") == {"Red with outsider"}
    assert {green.id, amber.id, strict.id, red.id, named_red.id} == {
        r["id"] for r in api.get(world.lead, "/rooms").get_json()["rooms"]}


def test_get_room_reports_the_callers_effective_role(api, make, world):
    room = make.room(world.lead, tlp="GREEN", orgs=(world.sector,))
    roles = {u.name: api.get(u, f"/rooms/{room.id}").get_json()["role"]
             for u in (world.lead, world.colleague, world.child, world.outsider)}
    assert roles == {"Lena Lead": "lead", "Carl Colleague": "member", "Chris Child": "member",
                     "Olga Outsider": "observer"}


# --- authentication -------------------------------------------------------------

@pytest.mark.parametrize("header", [None, "Bearer cct_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz", "cct_x"])
def test_missing_or_bad_credentials_get_401_and_nothing_is_written(client, api, make, world, header):
    room = make.room(world.lead, tlp="GREEN")
    headers = {"Authorization": header} if header is not None else {}
    for response in (client.get(f"{API}/rooms", headers=headers),
                     client.get(f"{API}/rooms/{room.id}", headers=headers),
                     client.get(f"{API}/rooms/{room.id}/events", headers=headers),
                     client.get(f"{API}/orgs", headers=headers),
                     client.post(f"{API}/rooms/{room.id}/events", headers=headers, json=message()),
                     client.post(f"{API}/rooms", headers=headers,
                                 json={"title": "x", "severity": "low", "tlp": "GREEN", "orgs": []})):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]
    assert api.latest(world.lead, room.id) == 2
    assert [r["id"] for r in api.get(world.lead, "/rooms").get_json()["rooms"]] == [room.id]


def test_a_revoked_token_gets_401(client, api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    token, text = make.api_token(world.colleague)
    headers = {"Authorization": f"Bearer {text}"}
    assert client.get(f"{API}/rooms/{room.id}", headers=headers).status_code == 200
    make.run(revoke_token, actor=world.colleague, token_id=token.id)
    response = client.post(f"{API}/rooms/{room.id}/events", headers=headers, json=message())
    assert response.status_code == 401
    assert response.get_json() == {"error": "Invalid or revoked token."}
    assert client.get(f"{API}/rooms/{room.id}", headers=headers).status_code == 401
    assert api.latest(world.lead, room.id) == 2


def test_a_deactivated_users_token_gets_401(client, make, world):
    _token, text = make.api_token(world.colleague)
    headers = {"Authorization": f"Bearer {text}"}
    assert client.get(f"{API}/rooms", headers=headers).status_code == 200
    make.run(set_active, actor=SYSTEM, user_id=world.colleague.id, active=False)
    assert client.get(f"{API}/rooms", headers=headers).status_code == 401


# --- invisible rooms: 404, the same as absent ------------------------------------

INVISIBLE = {
    # scenario: (room TLP, participating orgs besides the lead's, who asks)
    "RED room, not a named member": ("RED", (), "colleague"),
    "AMBER+STRICT room, user of a child org": ("AMBER+STRICT", (), "child"),
    "AMBER room, unrelated org": ("AMBER", (), "outsider"),
    "AMBER room, platform admin of an unrelated org": ("AMBER", (), "admin"),
}


@pytest.mark.parametrize("scenario", list(INVISIBLE))
def test_invisible_rooms_are_404_on_every_endpoint_like_absent_ones(api, make, world, scenario):
    tlp, orgs, who = INVISIBLE[scenario]
    room = make.room(world.lead, tlp=tlp, orgs=orgs)
    make.event(world.lead, room, body="Sensitive detail")
    caller = getattr(world, who)
    absent = 999_999
    for room_id in (room.id, absent):
        answers = [
            api.get(caller, f"/rooms/{room_id}"),
            api.get(caller, f"/rooms/{room_id}/events", since=0),
            api.get(caller, f"/rooms/{room_id}/actions"),
            api.get(caller, f"/rooms/{room_id}/sitreps"),
            api.post(caller, f"/rooms/{room_id}/events", message("Let me in", client_id="probe")),
        ]
        for response in answers:
            assert response.status_code == 404
            assert response.get_json() == {"error": "No such room."}
            assert "Sensitive" not in response.get_data(as_text=True)
    assert room.id not in {r["id"] for r in api.get(caller, "/rooms").get_json()["rooms"]}
    assert api.latest(world.lead, room.id) == 3  # the probing post wrote nothing


def test_amber_reaches_child_orgs_but_amber_strict_does_not(api, make, world):
    amber = make.room(world.lead, tlp="AMBER")
    strict = make.room(world.lead, tlp="AMBER+STRICT")
    assert api.get(world.child, f"/rooms/{amber.id}").get_json()["role"] == "observer"
    assert api.get(world.child, f"/rooms/{strict.id}").status_code == 404
    assert api.get(world.colleague, f"/rooms/{strict.id}").get_json()["role"] == "member"


def test_a_named_member_sees_a_red_room_whatever_their_org(api, make, world):
    room = make.room(world.lead, tlp="RED", members=(world.outsider,))
    make.event(world.lead, room, body="For named eyes")
    response = api.get(world.outsider, f"/rooms/{room.id}/events", since=0)
    assert response.status_code == 200
    assert response.get_json()["events"][-1]["body"] == "For named eyes"


# --- observers and bad input ------------------------------------------------------

def test_observers_read_but_posting_is_403(api, make, world):
    named_observer_room = make.room(world.lead, tlp="AMBER")
    make.event(world.lead, named_observer_room, "member", op="add", email=world.colleague.email, role="observer")
    green = make.room(world.lead, tlp="GREEN")
    for user, room in ((world.colleague, named_observer_room), (world.outsider, green)):
        before = api.latest(world.lead, room.id)
        assert api.get(user, f"/rooms/{room.id}").get_json()["role"] == "observer"
        assert api.get(user, f"/rooms/{room.id}/events").status_code == 200
        for payload in (message(), {"kind": "timeline", "body": "x"}, {"kind": "action", "title": "Patch"}):
            response = api.post(user, f"/rooms/{room.id}/events", payload)
            assert response.status_code == 403
            assert response.get_json() == {"error": "Observers read, never write."}
        assert api.latest(world.lead, room.id) == before


@pytest.mark.parametrize(("payload", "field"), [
    ({"kind": "gossip", "body": "x"}, "kind"),
    ({"body": "no kind at all"}, "kind"),
    ({"kind": "message", "body": "   "}, "body"),
    ({"kind": "message"}, "body"),
    ({"kind": "message", "body": 42}, "body"),
    ({"kind": "message", "body": "x", "client_id": "c" * 65}, "client_id"),
    ({"kind": "timeline", "body": "x", "category": "vibes"}, "category"),
    ({"kind": "timeline", "body": "x", "occurred_at": "yesterday-ish"}, "occurred_at"),
    ({"kind": "action"}, "title"),
])
def test_bad_events_are_422_with_fields_and_write_nothing(api, make, world, payload, field):
    room = make.room(world.lead, tlp="GREEN")
    response = api.post(world.lead, f"/rooms/{room.id}/events", payload)
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"]
    assert field in answer["fields"]
    assert api.latest(world.lead, room.id) == 2


@pytest.mark.parametrize(("change", "field"), [
    ({"severity": "apocalyptic"}, "severity"),
    ({"tlp": "PURPLE"}, "tlp"),
    ({"orgs": [999_999]}, "orgs"),
    ({"orgs": "everyone"}, "orgs"),
    ({"title": "   "}, "title"),
    ({"members": ["nobody@nowhere.example"]}, "members"),
])
def test_bad_rooms_are_422_with_fields_and_create_nothing(api, world, change, field):
    good = {"title": "Outage", "severity": "high", "tlp": "AMBER", "orgs": [world.national.id]}
    response = api.post(world.lead, "/rooms", {**good, **change})
    assert response.status_code == 422
    answer = response.get_json()
    assert answer["error"] == "The room was not created."
    assert field in answer["fields"]
    assert api.get(world.lead, "/rooms").get_json()["rooms"] == []


@pytest.mark.parametrize("path", ["/rooms", "/rooms/{id}/events", "/preview"])
@pytest.mark.parametrize(("data", "content_type"), [
    ("title=x&severity=low", "application/x-www-form-urlencoded"),
    ("{not json", "application/json"),
    ('["a", "list"]', "application/json"),
    ('"a string"', "application/json"),
])
def test_a_body_that_is_not_a_json_object_is_400(client, api, make, world, path, data, content_type):
    room = make.room(world.lead, tlp="GREEN")
    response = client.post(API + path.format(id=room.id), data=data, content_type=content_type,
                           headers=api.headers(world.lead))
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["error"]
    assert api.latest(world.lead, room.id) == 2
    assert len(api.get(world.lead, "/rooms").get_json()["rooms"]) == 1


def test_a_bad_query_parameter_is_422(api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    response = api.get(world.lead, f"/rooms/{room.id}/events", since="three")
    assert response.status_code == 422
    assert "since" in response.get_json()["fields"]


# --- the browser's session ----------------------------------------------------------

def test_session_reads_work_and_session_writes_need_the_csrf_header(client, api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    login(client, world.colleague.email, PASSWORD)
    assert client.get(f"{API}/rooms/{room.id}").get_json()["role"] == "member"

    refused = client.post(f"{API}/rooms/{room.id}/events", json=message("no csrf"))
    assert refused.status_code == 400
    assert "X-CSRFToken" in refused.get_json()["error"]
    wrong = client.post(f"{API}/rooms/{room.id}/events", json=message("bad csrf"),
                        headers={"X-CSRFToken": "forged"})
    assert wrong.status_code == 400
    assert api.latest(world.lead, room.id) == 2

    token = csrf(client)
    accepted = client.post(f"{API}/rooms/{room.id}/events", json=message("with csrf"),
                           headers={"X-CSRFToken": token})
    assert accepted.status_code == 201
    assert accepted.get_json()["author"]["id"] == world.colleague.id
    created = client.post(f"{API}/rooms", headers={"X-CSRFToken": token},
                          json={"title": "From the browser", "severity": "low", "tlp": "GREEN", "orgs": []})
    assert created.status_code == 201
    assert created.get_json()["members"][0]["user_id"] == world.colleague.id

    client.post("/logout", data={"csrf_token": token})
    assert client.get(f"{API}/rooms/{room.id}").status_code == 401


# --- posting events ----------------------------------------------------------------

def test_post_event_answers_201_with_the_event_object(api, make, world):
    room = make.room(world.lead, tlp="AMBER", orgs=(world.sector,))
    response = api.post(world.child, f"/rooms/{room.id}/events",
                        message("Seen **IOC** <script>alert(1)</script>", client_id="c-1"))
    assert response.status_code == 201
    event = response.get_json()
    assert set(event) >= EVENT_KEYS
    assert (event["room"], event["seq"], event["kind"], event["client_id"]) == (room.id, 3, "message", "c-1")
    assert event["author"] == {"id": world.child.id, "name": "Chris Child", "org": "Energy ISAC",
                               "org_id": world.sector.id}
    assert event["body"] == "Seen **IOC** <script>alert(1)</script>"
    assert "<strong>IOC</strong>" in event["body_html"]
    assert "<script" not in event["body_html"]
    assert event["exercise"] is False
    assert event["edited_seq"] is None and event["redacted"] is False
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", event["created_at"])
    assert datetime.fromisoformat(event["created_at"].replace("Z", "+00:00")).utcoffset().total_seconds() == 0

    [stored] = api.events(world.lead, room.id, since=2)["events"]
    assert stored == event


def test_a_repeated_client_id_returns_the_first_event_with_200_and_writes_nothing(api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    first = api.post(world.colleague, f"/rooms/{room.id}/events", message("Once", client_id="retry-1"))
    assert first.status_code == 201
    again = api.post(world.colleague, f"/rooms/{room.id}/events", message("Twice?", client_id="retry-1"))
    assert again.status_code == 200
    assert again.get_json() == first.get_json()
    assert again.get_json()["body"] == "Once"
    page = api.events(world.lead, room.id, since=0)
    assert page["latest_seq"] == 3
    assert [e["body"] for e in page["events"] if e["kind"] == "message"] == ["Once"]
    # The key is per author: someone else's event with the same client_id is their own.
    other = api.post(world.lead, f"/rooms/{room.id}/events", message("Mine", client_id="retry-1"))
    assert other.status_code == 201
    assert other.get_json()["seq"] == 4


def test_events_page_oldest_first_with_since_before_limit_and_has_more(api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    for n in range(10):
        make.event(world.lead, room, body=f"message {n}")
    rid = room.id
    everything = api.events(world.outsider, rid, since=0, limit=500)
    assert [e["seq"] for e in everything["events"]] == list(range(1, 13))  # gapless from 1
    assert everything["latest_seq"] == 12 and everything["has_more"] is False
    assert all(e["exercise"] is False for e in everything["events"])
    assert [e["body"] for e in everything["events"][2:]] == [f"message {n}" for n in range(10)]

    def page(**params):
        answer = api.events(world.outsider, rid, **params)
        assert answer["latest_seq"] == 12
        return [e["seq"] for e in answer["events"]], answer["has_more"]

    assert page(since=0, limit=5) == ([1, 2, 3, 4, 5], True)
    assert page(since=5, limit=5) == ([6, 7, 8, 9, 10], True)
    assert page(since=10, limit=5) == ([11, 12], False)
    assert page(since=12) == ([], False)
    assert page(before=6, limit=3) == ([3, 4, 5], True)
    assert page(before=3, limit=5) == ([1, 2], False)
    assert page(limit=4) == ([9, 10, 11, 12], True)  # neither: the latest page
    assert page() == (list(range(1, 13)), False)
    assert page(since=0, limit=9999) == (list(range(1, 13)), False)  # served as the page maximum
    for bad in ("0", "-3", "ten"):
        refused = api.get(world.outsider, f"/rooms/{rid}/events", limit=bad)
        assert refused.status_code == 422
        assert "limit" in refused.get_json()["fields"], bad


def test_a_message_edited_by_its_author_shows_the_new_text_later(api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    original = api.post(world.colleague, f"/rooms/{room.id}/events", message("Teh IOC is 10.0.0.1")).get_json()
    edit = api.post(world.colleague, f"/rooms/{room.id}/events",
                    message("The IOC is 10.0.0.2", edits=original["seq"]))
    assert edit.status_code == 201
    assert edit.get_json()["edits"] == original["seq"]

    events = {e["seq"]: e for e in api.events(world.outsider, room.id, since=0)["events"]}
    shown = events[original["seq"]]
    assert shown["body"] == "The IOC is 10.0.0.2"
    assert "10.0.0.2" in shown["body_html"]
    assert shown["edited_seq"] == edit.get_json()["seq"]
    assert shown["redacted"] is False
    assert events[edit.get_json()["seq"]]["body"] == "The IOC is 10.0.0.2"


def test_only_the_author_or_the_lead_may_edit_or_redact(api, make, world):
    room = make.room(world.lead, tlp="AMBER", orgs=(world.sector,))
    target = api.post(world.colleague, f"/rooms/{room.id}/events", message("Draft wording")).get_json()
    path = f"/rooms/{room.id}/events"

    refused = api.post(world.child, path, message("Hijacked", edits=target["seq"]))
    assert refused.status_code == 403
    assert "author or the lead" in refused.get_json()["error"]
    refused = api.post(world.child, path, {"kind": "message", "redacts": target["seq"]})
    assert refused.status_code == 403
    assert api.latest(world.lead, room.id) == target["seq"]

    by_lead = api.post(world.lead, path, message("Lead's wording", edits=target["seq"]))
    assert by_lead.status_code == 201
    assert api.events(world.child, room.id, since=0)["events"][target["seq"] - 1]["body"] == "Lead's wording"

    missing = api.post(world.lead, path, message("x", edits=999))
    assert missing.status_code == 422 and "edits" in missing.get_json()["fields"]
    not_a_message = api.post(world.lead, path, message("x", edits=1))  # seq 1 is the "opened" status
    assert not_a_message.status_code == 422


def test_a_redacted_message_hides_its_body_in_later_reads(api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    path = f"/rooms/{room.id}/events"
    secret = api.post(world.colleague, path, message("Password is hunter2")).get_json()
    redaction = api.post(world.lead, path, {"kind": "message", "redacts": secret["seq"], "reason": "credential"})
    assert redaction.status_code == 201
    assert redaction.get_json()["redacts"] == secret["seq"]
    assert redaction.get_json()["reason"] == "credential"

    page = api.get(world.outsider, f"/rooms/{room.id}/events", since=0)
    assert "hunter2" not in page.get_data(as_text=True)
    shown = page.get_json()["events"][secret["seq"] - 1]
    assert shown["seq"] == secret["seq"]
    assert (shown["body"], shown["body_html"], shown["redacted"]) == ("", "", True)
    # Neither edited nor redacted again once redacted.
    again = api.post(world.colleague, path, message("Password was hunter2", edits=secret["seq"]))
    assert again.status_code == 422
    assert "hunter2" not in api.get(world.outsider, f"/rooms/{room.id}/events", since=0).get_data(as_text=True)


def test_actions_are_created_and_updated_by_action_id(api, make, world):
    room = make.room(world.lead, tlp="AMBER", orgs=(world.sector,))
    elsewhere = make.room(world.lead, tlp="AMBER")
    path = f"/rooms/{room.id}/events"
    created = api.post(world.child, path, {"kind": "action", "title": "Block the C2 domain",
                                           "assignee_org_id": world.sector.id,
                                           "due_at": "2030-01-02T10:00:00Z"})
    assert created.status_code == 201
    action = created.get_json()
    assert (action["kind"], action["op"], action["status"], action["title"]) == (
        "action", "create", "open", "Block the C2 domain")
    assert action["assignee_org"] == "Energy ISAC"
    assert action["due_at"].startswith("2030-01-02T10:00:00")

    updated = api.post(world.colleague, path, {"kind": "action", "action_id": action["action_id"],
                                               "status": "done", "body": "Blocked at the resolver."})
    assert updated.status_code == 201
    update = updated.get_json()
    assert (update["op"], update["status"], update["action_id"]) == ("update", "done", action["action_id"])
    assert update["changes"] == {"status": ["open", "done"]}

    [item] = api.get(world.lead, f"/rooms/{room.id}/actions").get_json()["actions"]
    assert (item["id"], item["status"], item["created_seq"], item["updated_seq"]) == (
        action["action_id"], "done", action["seq"], update["seq"])

    foreign = api.post(world.lead, f"/rooms/{elsewhere.id}/events",
                       {"kind": "action", "action_id": action["action_id"], "status": "cancelled"})
    assert foreign.status_code == 404
    assert api.get(world.lead, f"/rooms/{room.id}/actions").get_json()["actions"][0]["status"] == "done"
    assert api.get(world.lead, f"/rooms/{elsewhere.id}/actions").get_json()["actions"] == []
    nothing = api.post(world.lead, path, {"kind": "action", "action_id": action["action_id"], "status": "done"})
    assert nothing.status_code == 422


def test_sitreps_are_filed_only_for_a_participating_org(api, make, world):
    room = make.room(world.lead, tlp="RED", members=(world.outsider,))
    path = f"/rooms/{room.id}/events"
    sitrep = {"kind": "sitrep", "situation": "Contained", "impact": "Two hosts", "next_steps": "Reimage"}
    refused = api.post(world.outsider, path, sitrep)  # a named member, but their org does not participate
    assert refused.status_code == 403
    assert "participating organisation" in refused.get_json()["error"]
    assert api.latest(world.lead, room.id) == 3

    filed = api.post(world.lead, path, sitrep)
    assert filed.status_code == 201
    event = filed.get_json()
    assert (event["org_id"], event["org"]) == (world.national.id, "National CERT")
    assert set(event["sections"]) == {"situation", "impact", "next_steps"}
    assert "### Situation" in event["body"]
    states = {s["org_id"]: s for s in api.get(world.lead, f"/rooms/{room.id}/sitreps").get_json()["orgs"]}
    assert states[world.national.id]["last_seq"] == event["seq"]
    empty = api.post(world.lead, path, {"kind": "sitrep", "impact": "none"})
    assert empty.status_code == 422 and "situation" in empty.get_json()["fields"]


def test_the_lead_changes_status_and_tlp_and_others_may_not(api, make, world):
    room = make.room(world.lead, tlp="GREEN", severity="medium")
    path = f"/rooms/{room.id}/events"
    refused = api.post(world.colleague, path, {"kind": "status", "tlp": "RED"})
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "Only the room's lead may do this."}
    refused = api.post(world.colleague, path, {"kind": "member", "email": world.child.email})
    assert refused.status_code == 403
    assert api.get(world.lead, f"/rooms/{room.id}").get_json()["tlp"] == "GREEN"

    changed = api.post(world.lead, path, {"kind": "status", "tlp": "AMBER", "severity": "high"})
    assert changed.status_code == 201
    event = changed.get_json()
    assert event["kind"] == "status"
    assert event["changes"] == {"tlp": ["GREEN", "AMBER"], "severity": ["medium", "high"]}
    room_now = api.get(world.lead, f"/rooms/{room.id}").get_json()
    assert (room_now["tlp"], room_now["severity"], room_now["latest_seq"]) == ("AMBER", "high", event["seq"])
    # The tightened marking applies at once: an unrelated org no longer sees the room.
    assert api.get(world.outsider, f"/rooms/{room.id}").status_code == 404
    same = api.post(world.lead, path, {"kind": "status", "tlp": "AMBER"})
    assert same.status_code == 422


def test_a_closed_room_refuses_messages_until_the_lead_reopens_it(api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    path = f"/rooms/{room.id}/events"
    closed = api.post(world.lead, path, {"kind": "status", "status": "closed"})
    assert closed.status_code == 201
    assert closed.get_json()["changes"] == {"status": ["open", "closed"]}
    for user in (world.colleague, world.lead):
        refused = api.post(user, path, message("Anyone there?"))
        assert refused.status_code == 409
        assert "closed" in refused.get_json()["error"]
    assert api.post(world.colleague, path, {"kind": "status", "status": "open"}).status_code == 403
    assert api.latest(world.lead, room.id) == closed.get_json()["seq"]

    reopened = api.post(world.lead, path, {"kind": "status", "status": "open"})
    assert reopened.status_code == 201
    assert api.get(world.lead, f"/rooms/{room.id}").get_json()["status"] == "open"
    assert api.post(world.colleague, path, message("Back again")).status_code == 201


def test_the_lead_names_and_removes_members(api, make, world):
    room = make.room(world.lead, tlp="RED")
    path = f"/rooms/{room.id}/events"
    added = api.post(world.lead, path, {"kind": "member", "op": "add", "email": world.outsider.email})
    assert added.status_code == 201
    assert (added.get_json()["user_id"], added.get_json()["role"]) == (world.outsider.id, "member")
    assert api.get(world.outsider, f"/rooms/{room.id}").get_json()["role"] == "member"
    removed = api.post(world.lead, path, {"kind": "member", "op": "remove", "user_id": world.outsider.id})
    assert removed.status_code == 201
    assert api.get(world.outsider, f"/rooms/{room.id}").status_code == 404
    last_lead = api.post(world.lead, path, {"kind": "member", "op": "remove", "user_id": world.lead.id})
    assert last_lead.status_code == 422


def test_preview_renders_through_the_sanitiser(api, world):
    response = api.post(world.outsider, "/preview", {"body": "*hi* <img src=x onerror=alert(1)>"})
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<em>hi</em>" in html and "onerror" not in html


# --- the OpenAPI document -------------------------------------------------------------

ANY_CONVERTER = re.compile(r"<any\(([^)]*)\):[^<>]+>")


def openapi_paths(rule: str) -> list[str]:
    """A URL rule in OpenAPI form: <int:room_id> -> {room_id}; <any(a, b):op> -> one literal path per choice."""
    choice = ANY_CONVERTER.search(rule)
    if choice:
        return [path for alt in choice.group(1).split(",")
                for path in openapi_paths(rule.replace(choice.group(0), alt.strip().strip("'\""), 1))]
    return [re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(API))]


def test_openapi_path_conversion():
    assert openapi_paths("/api/v1/rooms/<int:room_id>/events") == ["/rooms/{room_id}/events"]
    assert openapi_paths("/api/v1/x/<slug>") == ["/x/{slug}"]
    assert openapi_paths("/api/v1/e/<int:e>/<any(start, 'stop'):op>") == ["/e/{e}/start", "/e/{e}/stop"]


def test_openapi_documents_exactly_the_routes_of_the_api(app, client):
    from council.api.openapi import document

    served = client.get(f"{API}/openapi.json")  # public: no credentials needed
    assert served.status_code == 200
    doc = served.get_json()
    assert doc == document()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]

    routed: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
        for path in openapi_paths(rule.rule):
            routed.setdefault(path, set()).update(methods)
            assert path in paths, f"{rule.rule} is not documented (as {path})"
            for method in methods:
                assert method in paths[path], f"{method.upper()} {rule.rule} is not documented"
    for path, operations in paths.items():
        assert path in routed, f"documented {path} does not exist"
        documented = {m for m in operations if m in {"get", "post", "put", "patch", "delete"}}
        assert documented == routed[path], f"{path}: documented {documented}, routed {routed[path]}"
    # The core contract is among them.
    for path, method in (("/orgs", "get"), ("/rooms", "get"), ("/rooms", "post"), ("/rooms/{room_id}", "get"),
                         ("/rooms/{room_id}/events", "get"), ("/rooms/{room_id}/events", "post")):
        assert method in paths[path]
    assert set(paths["/rooms/{room_id}/events"]["post"]["responses"]) >= {"200", "201", "400", "401", "403",
                                                                           "404", "409", "422"}


# --- retries and posts that end the poster's own view --------------------------------

def test_a_retry_is_answered_with_the_first_event_even_after_the_room_closed(api, make, world):
    room = make.room(world.lead, tlp="GREEN")
    path = f"/rooms/{room.id}/events"
    first = api.post(world.colleague, path, message("Sent just before closing", client_id="late-ack"))
    assert first.status_code == 201
    closed = api.post(world.lead, path, {"kind": "status", "status": "closed"}).get_json()
    retry = api.post(world.colleague, path, message("Sent just before closing", client_id="late-ack"))
    assert retry.status_code == 200
    assert retry.get_json() == first.get_json()
    fresh = api.post(world.colleague, path, message("A new one", client_id="new-one"))
    assert fresh.status_code == 409
    assert api.latest(world.lead, room.id) == closed["seq"]


def test_a_retry_after_being_made_observer_returns_the_first_event_but_new_posts_are_403(api, make, world):
    room = make.room(world.lead, tlp="AMBER", members=(world.colleague,))
    path = f"/rooms/{room.id}/events"
    first = api.post(world.colleague, path, message("Before the demotion", client_id="k1")).get_json()
    make.event(world.lead, room, "member", op="role", user_id=world.colleague.id, role="observer")
    retry = api.post(world.colleague, path, message("Before the demotion", client_id="k1"))
    assert (retry.status_code, retry.get_json()) == (200, first)
    assert api.post(world.colleague, path, message("After", client_id="k2")).status_code == 403


def test_a_lead_who_removes_themselves_from_a_red_room_gets_201_and_the_removal_stands(api, make, world):
    room = make.room(world.lead, tlp="RED", members=(world.colleague,))
    make.event(world.lead, room, "member", op="role", user_id=world.colleague.id, role="lead")
    response = api.post(world.colleague, f"/rooms/{room.id}/events",
                        {"kind": "member", "op": "remove", "user_id": world.colleague.id})
    assert response.status_code == 201
    event = response.get_json()
    assert (event["kind"], event["op"], event["user_id"]) == ("member", "remove", world.colleague.id)
    assert api.get(world.colleague, f"/rooms/{room.id}").status_code == 404
    now = api.get(world.lead, f"/rooms/{room.id}").get_json()
    assert [m["user_id"] for m in now["members"]] == [world.lead.id]
    assert now["latest_seq"] == event["seq"]
