"""Decisions over HTTP: the REST API (bearer tokens and signed-in sessions) and the pages."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from council.actors import SYSTEM
from council.audit.models import AuditEntry
from council.auth.tokens import create_token
from council.decisions.export import COLUMNS
from council.extensions import database
from council.rooms import stream
from council.rooms.services import create_room
from tests.conftest import login

META_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


@pytest.fixture
def world(make):
    sector = make.org("Banking Sector CERT")
    bank = make.org("Indus Bank CSIRT", tier="organizational", parent=sector)
    telco = make.org("Telecom Sector CERT")
    other = make.org("Water Sector CERT")
    lead = make.user("lead@bank.example", org=sector, name="Lead")
    member = make.user("member@bank.example", org=sector, name="Member")
    tina = make.user("tina@telco.example", org=telco, name="Tina")
    child = make.user("child@indus.example", org=bank, name="Child")
    outsider = make.user("out@water.example", org=other, name="Outsider")
    room = make.run(create_room, actor=lead, title="Switch down", severity="high", tlp="AMBER",
                    org_ids=[sector.id, telco.id], member_emails=[member.email, child.email])
    return {"sector": sector, "telco": telco, "other": other, "lead": lead, "member": member, "tina": tina,
            "child": child, "outsider": outsider, "room": room}


@pytest.fixture
def api(app, make):
    """api(user).get/post(path, json=…) with that user's bearer token."""
    tokens: dict[int, str] = {}

    class Caller:
        def __init__(self, user):
            if user.id not in tokens:
                tokens[user.id] = make.run(create_token, actor=SYSTEM, user=user, label="tests")[1]
            self.headers = {"Authorization": f"Bearer {tokens[user.id]}"}
            self.client = app.test_client()

        def get(self, path, **kw):
            return self.client.get(path, headers=self.headers, **kw)

        def post(self, path, payload=None, **kw):
            return self.client.post(path, headers=self.headers, json=payload or {}, **kw)

    return Caller


def base(room):
    return f"/api/v1/rooms/{room.id}/decisions"


def propose(api, user, room, title="Block the C2 domains", **payload):
    response = api(user).post(base(room), {"title": title, **payload})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def audit_rows(app, action):
    with database(app).session(write=False) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


# --- REST -----------------------------------------------------------------------------

def test_api_needs_credentials(client, world):
    response = client.get(base(world["room"]))
    assert response.status_code == 401 and "Authentication required" in response.get_json()["error"]
    assert client.get(base(world["room"]), headers={"Authorization": "Bearer cct_nope"}).status_code == 401


def test_propose_list_and_get_one(api, world):
    created = propose(api, world["member"], world["room"], background="IOCs *attached*", rule="two-thirds")
    assert (created["title"], created["rule"], created["status"], created["room"]) == (
        "Block the C2 domains", "two-thirds", "open", world["room"].id)
    assert created["event_seq"] == created["proposed_seq"] > 0
    listed = api(world["tina"]).get(base(world["room"])).get_json()["decisions"]
    assert [(d["id"], d["title"]) for d in listed] == [(created["id"], "Block the C2 domains")]
    one = api(world["tina"]).get(f"{base(world['room'])}/{created['id']}")
    assert one.status_code == 200
    assert one.get_json()["background_html"] == "<p>IOCs <em>attached</em></p>" and one.get_json()["history"] == []


def test_propose_validation_and_rights(api, world):
    bad = api(world["member"]).post(base(world["room"]), {"title": "x", "tlp": "GREEN", "rule": "vibes"})
    assert bad.status_code == 422
    assert set(bad.get_json()["fields"]) == {"rule"}  # the first problem found is named
    bad = api(world["member"]).post(base(world["room"]), {"title": "x", "tlp": "GREEN"})
    assert bad.status_code == 422 and "TLP:AMBER" in bad.get_json()["fields"]["tlp"]
    assert api(world["member"]).post(base(world["room"]), {}).get_json()["fields"] == {"title": "Required."}
    # A named member whose organisation does not participate may propose (but not cast a position).
    assert api(world["child"]).post(base(world["room"]), {"title": "From the bank"}).status_code == 201
    assert api(world["outsider"]).post(base(world["room"]), {"title": "x"}).status_code == 404
    assert api(world["outsider"]).get(base(world["room"])).status_code == 404
    assert [d["title"] for d in api(world["lead"]).get(base(world["room"])).get_json()["decisions"]] == [
        "From the bank"]


def test_positions_over_rest(api, world):
    room = world["room"]
    d = propose(api, world["lead"], room)
    url = f"{base(room)}/{d['id']}/positions"
    first = api(world["member"]).post(url, {"position": "support", "comment": "Go"})
    assert first.status_code == 201
    body = first.get_json()
    assert body["tally"]["counts"]["support"] == 1
    [current] = body["positions"]
    assert (current["org"], current["position"], current["user"]["name"]) == ("Banking Sector CERT", "support",
                                                                              "Member")

    clash = api(world["lead"]).post(url, {"position": "object"})
    assert clash.status_code == 409
    message = clash.get_json()["error"]
    assert "already has a position (support, by Member)" in message and f"replaces={current['id']}" in message

    changed = api(world["lead"]).post(url, {"position": "object", "replaces": current["id"]})
    assert changed.status_code == 201
    assert [p["position"] for p in changed.get_json()["positions"]] == ["object"]
    history = api(world["tina"]).get(f"{base(room)}/{d['id']}").get_json()["history"]
    assert [(p["position"], p["current"], p["replaces"]) for p in history] == [
        ("support", False, None), ("object", True, current["id"])]

    # Not a participating organisation (the bank's user is a named member): 403.
    refused = api(world["child"]).post(url, {"position": "support"})
    assert refused.status_code == 403 and "participat" in refused.get_json()["error"]
    bad = api(world["tina"]).post(url, {"position": "approve"})
    assert bad.status_code == 422 and "position" in bad.get_json()["fields"]


def test_not_found_for_invisible_rooms_and_foreign_decisions(api, make, world):
    room = world["room"]
    d = propose(api, world["lead"], room)
    # The outsider cannot see the AMBER room: 404 everywhere, as if it did not exist.
    for response in (api(world["outsider"]).get(f"{base(room)}/{d['id']}"),
                     api(world["outsider"]).post(f"{base(room)}/{d['id']}/positions", {"position": "support"})):
        assert response.status_code == 404 and response.get_json()["error"] == "No such room."
    other = make.run(create_room, actor=world["lead"], title="Other", severity="low", tlp="GREEN",
                     org_ids=[world["telco"].id])
    foreign = propose(api, world["lead"], other)
    for response in (api(world["lead"]).get(f"{base(room)}/{foreign['id']}"),
                     api(world["lead"]).post(f"{base(room)}/{foreign['id']}/positions", {"position": "support"}),
                     api(world["lead"]).post(f"{base(room)}/{foreign['id']}/close", {"rationale": "x"})):
        assert response.status_code == 404 and response.get_json()["error"] == "No such decision."


def test_red_decision_is_not_found_for_an_unnamed_participant(api, world):
    room = world["room"]
    red = propose(api, world["lead"], room, title="Takedown of host X", tlp="RED")
    tina = api(world["tina"])
    assert tina.get(f"{base(room)}/{red['id']}").status_code == 404
    assert tina.post(f"{base(room)}/{red['id']}/positions", {"position": "object"}).status_code == 404
    assert tina.get(base(room)).get_json() == {"decisions": []}
    assert api(world["member"]).get(f"{base(room)}/{red['id']}").get_json()["title"] == "Takedown of host X"


def test_close_and_supersede(api, world):
    room = world["room"]
    d = propose(api, world["lead"], room)
    api(world["member"]).post(f"{base(room)}/{d['id']}/positions", {"position": "support"})
    api(world["tina"]).post(f"{base(room)}/{d['id']}/positions", {"position": "object", "comment": "Too broad"})
    early = api(world["lead"]).post(f"{base(room)}/{d['id']}/supersede", {"title": "Too soon"})
    assert early.status_code == 409 and "close it first" in early.get_json()["error"]

    refused = api(world["member"]).post(f"{base(room)}/{d['id']}/close", {"rationale": "Done"})
    assert refused.status_code == 403 and "lead" in refused.get_json()["error"]
    missing = api(world["lead"]).post(f"{base(room)}/{d['id']}/close", {})
    assert missing.status_code == 422 and "rationale" in missing.get_json()["fields"]

    closed = api(world["lead"]).post(f"{base(room)}/{d['id']}/close", {"rationale": "Split vote."})
    assert closed.status_code == 201
    body = closed.get_json()
    assert (body["status"], body["outcome"], body["rationale"]) == ("closed", "rejected", "Split vote.")
    assert [(x["org"], x["comment"]) for x in body["dissent"]] == [("Telecom Sector CERT", "Too broad")]
    assert api(world["lead"]).post(f"{base(room)}/{d['id']}/close", {"rationale": "Again"}).status_code == 409

    new = api(world["member"]).post(f"{base(room)}/{d['id']}/supersede", {"title": "Narrower block"})
    assert new.status_code == 201
    assert (new.get_json()["supersedes"], new.get_json()["title"]) == (d["id"], "Narrower block")
    old = api(world["lead"]).get(f"{base(room)}/{d['id']}").get_json()
    assert old["superseded_by"] == new.get_json()["id"] and old["outcome"] == "rejected"
    assert api(world["member"]).post(f"{base(room)}/{d['id']}/supersede", {"title": "Again"}).status_code == 409


def test_retried_client_id_answers_200_with_the_same_decision(api, world):
    first = api(world["member"]).post(base(world["room"]), {"title": "Once", "client_id": "c-1"})
    again = api(world["member"]).post(base(world["room"]), {"title": "Once", "client_id": "c-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(api(world["lead"]).get(base(world["room"])).get_json()["decisions"]) == 1


def test_session_writes_need_the_csrf_header(app, make, world):
    client = app.test_client()
    assert login(client, "member@bank.example").status_code == 302
    page = client.get(f"/rooms/{world['room'].id}/decisions").get_data(as_text=True)
    token = META_CSRF.search(page).group(1)
    refused = client.post(base(world["room"]), json={"title": "No token"})
    assert refused.status_code == 400
    ok = client.post(base(world["room"]), json={"title": "With token"}, headers={"X-CSRFToken": token})
    assert ok.status_code == 201 and ok.get_json()["proposed_by"]["name"] == "Member"
    titles = [d["title"] for d in client.get(base(world["room"])).get_json()["decisions"]]
    assert titles == ["With token"]


# --- the register and its exports --------------------------------------------------------

def _closed_with_formula(api, world):
    room = world["room"]
    d = propose(api, world["lead"], room, title='=HYPERLINK("http://evil.example","x")')
    api(world["member"]).post(f"{base(room)}/{d['id']}/positions", {"position": "support"})
    api(world["tina"]).post(f"{base(room)}/{d['id']}/positions", {"position": "object", "comment": "-1 from us"})
    api(world["lead"]).post(f"{base(room)}/{d['id']}/close", {"rationale": "+ chair's note"})
    return d


def test_register_json_and_filters(api, world):
    _closed_with_formula(api, world)
    propose(api, world["lead"], world["room"], title="Still open")
    caller = api(world["tina"])
    assert [d["title"] for d in caller.get("/api/v1/decisions?status=open").get_json()["decisions"]] == [
        "Still open"]
    assert [d["outcome"] for d in caller.get("/api/v1/decisions?status=closed").get_json()["decisions"]] == [
        "rejected"]
    assert caller.get(f"/api/v1/decisions?org={world['other'].id}").get_json() == {"decisions": []}
    bad = caller.get("/api/v1/decisions?status=maybe")
    assert bad.status_code == 422 and "status" in bad.get_json()["fields"]
    assert api(world["outsider"]).get("/api/v1/decisions").get_json() == {"decisions": []}


def test_csv_export_neutralises_formulas_and_is_audited(app, api, world):
    d = _closed_with_formula(api, world)
    assert audit_rows(app, "decision.export") == []  # plain listing is not an export
    api(world["tina"]).get("/api/v1/decisions")
    assert audit_rows(app, "decision.export") == []

    response = api(world["tina"]).get("/api/v1/decisions?format=csv&status=closed")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == COLUMNS
    [row] = [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]
    assert row["title"] == "'" + '=HYPERLINK("http://evil.example","x")'
    assert row["decision_id"] == str(d["id"]) and row["room"] == "Switch down"
    assert row["outcome"] == "rejected" and row["rationale"] == "'+ chair's note"
    assert row["dissent"] == "Telecom Sector CERT: -1 from us"  # not at the start of the cell: left alone
    assert row["positions"] == "Banking Sector CERT: support; Telecom Sector CERT: object"

    [audit] = audit_rows(app, "decision.export")
    details = json.loads(audit.details)
    assert (audit.actor_id, details["format"], details["rows"]) == (world["tina"].id, "csv", 1)
    assert details["filters"] == {"format": "csv", "status": "closed"}


def test_json_export_is_audited(app, api, world):
    _closed_with_formula(api, world)
    response = api(world["member"]).get("/api/v1/decisions?format=json")
    assert response.status_code == 200
    [d] = response.get_json()["decisions"]
    assert d["title"].startswith("=HYPERLINK")  # JSON carries the text as it is
    [audit] = audit_rows(app, "decision.export")
    assert (audit.actor_id, json.loads(audit.details)["format"], json.loads(audit.details)["rows"]) == (
        world["member"].id, "json", 1)


# --- pages ------------------------------------------------------------------------------

@pytest.fixture
def signed_in(app):
    def _as(email):
        client = app.test_client()
        assert login(client, email).status_code == 302
        return client

    return _as


def test_register_page_lists_with_filters(api, signed_in, make, world):
    _closed_with_formula(api, world)
    propose(api, world["lead"], world["room"], title="Still open")
    red = propose(api, world["lead"], world["room"], title="Takedown of host X", tlp="RED")
    page = signed_in("tina@telco.example").get("/decisions")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Still open" in html and "=HYPERLINK(&#34;http://evil.example&#34;" in html
    assert "Takedown of host X" not in html  # RED, and Tina is not named
    # Named, but this browser has not verified a second factor: TLP:RED stays closed.
    assert "Takedown of host X" not in signed_in("member@bank.example").get("/decisions").get_data(as_text=True)
    make.enrol(world["member"])
    assert "Takedown of host X" in signed_in("member@bank.example").get("/decisions").get_data(as_text=True)
    closed_only = signed_in("tina@telco.example").get("/decisions?status=closed").get_data(as_text=True)
    assert "HYPERLINK" in closed_only and "Still open" not in closed_only
    open_only = signed_in("tina@telco.example").get("/decisions?status=open&outcome=").get_data(as_text=True)
    assert "Still open" in open_only and "HYPERLINK" not in open_only
    assert red["tlp"] == "RED" and "tlp-RED" not in html
    assert signed_in("tina@telco.example").get("/decisions?outcome=won").status_code == 422


def test_register_page_exports_are_attachments_and_audited(app, api, signed_in, world):
    _closed_with_formula(api, world)
    client = signed_in("tina@telco.example")
    csv_response = client.get("/decisions/export.csv?status=closed")
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/csv"
    assert csv_response.headers["Content-Disposition"] == 'attachment; filename="council-decisions.csv"'
    lines = csv_response.get_data(as_text=True).splitlines()
    assert lines[0] == ",".join(COLUMNS) and "'=HYPERLINK" in lines[1]
    json_response = client.get("/decisions/export.json")
    assert json_response.headers["Content-Disposition"] == 'attachment; filename="council-decisions.json"'
    [d] = json.loads(json_response.get_data(as_text=True))["decisions"]
    assert [p["position"] for p in d["history"]] == ["support", "object"]
    assert client.get("/decisions/export.xml").status_code == 404
    rows = audit_rows(app, "decision.export")
    assert [(r.actor_id, json.loads(r.details)["format"]) for r in rows] == [
        (world["tina"].id, "csv"), (world["tina"].id, "json")]
    assert json.loads(rows[0].details)["filters"] == {"status": "closed"}


def test_room_log_shows_history_and_rationale(api, signed_in, world):
    room = world["room"]
    d = propose(api, world["lead"], room, title="Rotate the keys")
    url = f"{base(room)}/{d['id']}/positions"
    first = api(world["member"]).post(url, {"position": "support"}).get_json()["positions"][0]
    api(world["lead"]).post(url, {"position": "abstain", "replaces": first["id"], "comment": "Recused"})
    api(world["tina"]).post(url, {"position": "object", "comment": "Needs **testing**"})
    api(world["lead"]).post(f"{base(room)}/{d['id']}/close", {"rationale": "No support _left_."})
    html = signed_in("tina@telco.example").get(f"/rooms/{room.id}/decisions").get_data(as_text=True)
    assert f"#{d['id']} Rotate the keys" in html
    assert "<strong>Support</strong> <span class=\"muted small\">(changed)</span>" in html
    assert "<strong>Abstain</strong>" in html and "Recused" in html
    assert "<p>No support <em>left</em>.</p>" in html
    assert "Dissent" in html and "Needs <strong>testing</strong>" in html
    assert "quorum 50% of 2 organisations" in html


def test_room_log_of_an_invisible_room_is_not_found(api, signed_in, world):
    propose(api, world["lead"], world["room"], title="Secret plan")
    response = signed_in("out@water.example").get(f"/rooms/{world['room'].id}/decisions")
    assert response.status_code == 404 and "Secret plan" not in response.get_data(as_text=True)
    response = signed_in("out@water.example").get("/rooms/999999/decisions")
    assert response.status_code == 404


def test_room_log_hides_a_red_decision_from_an_unnamed_participant(api, signed_in, make, world):
    propose(api, world["lead"], world["room"], title="Takedown of host X", tlp="RED")
    make.run(stream.post, actor=world["lead"], room_id=world["room"].id, kind="message", payload={"body": "hi"})
    html = signed_in("tina@telco.example").get(f"/rooms/{world['room'].id}/decisions").get_data(as_text=True)
    assert "Takedown" not in html and "No decisions in this room yet" in html
    unverified = signed_in("member@bank.example").get(f"/rooms/{world['room'].id}/decisions")
    assert "Takedown" not in unverified.get_data(as_text=True)  # named, but no second factor in this session
    make.enrol(world["member"])
    named = signed_in("member@bank.example").get(f"/rooms/{world['room'].id}/decisions").get_data(as_text=True)
    assert "Takedown of host X" in named
