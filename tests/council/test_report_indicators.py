"""An incident report's own indicators: who sees them under the report's rule (the reporter,
its reviewer, the national CERT as the marking and consent allow, a stub reader never),
search and "also in" across rooms and reports without a leak, writing and its refusals,
the report's record and the linked room's events (counts, never values), sharing into the
escalated room, evidence on them, and the incident page's section and forms."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from council.audit.models import AuditEntry
from council.extensions import database
from council.indicators.models import Indicator
from council.reporting import services as reporting
from council.rooms.stream import post as room_post
from tests.conftest import csrf, login
from tests.council.test_reporting import file
from tests.council.test_rooms_api import Api


@pytest.fixture
def api(client, make):
    return Api(client, make)


def forward(make, chain, incident):
    """The first stage submitted and accepted: the national CERT may read the report."""
    make.run(reporting.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             body="first look")
    make.run(reporting.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
             decision="accepted")


def add(api, user, incident, **body):
    body.setdefault("type", "ipv4")
    body.setdefault("value", "198.51.100.7")
    return api.post(user, f"/incidents/{incident.id}/indicators", body)


def test_the_report_rule_decides_who_sees_its_indicators(make, chain, api):
    incident = file(make, chain.reporter, tlp="AMBER", regime_keys=["council-baseline"])
    amber = add(api, chain.reporter, incident, value="198.51.100[.]7")
    assert amber.status_code == 201, amber.get_json()
    body = amber.get_json()
    assert body["room"] is None and body["incident"] == {"id": incident.id, "ref": incident.ref,
                                                          "title": incident.title}
    assert body["value"] == "198.51.100.7" and body["defanged"] == "198.51.100[.]7" and body["tlp"] == "AMBER"
    red = add(api, chain.reviewer, incident, type="domain", value="C2.Evil.example", tlp="RED").get_json()
    assert red["value"] == "c2.evil.example" and red["source_org"]["id"] == chain.banking.id

    def ids(user):
        response = api.get(user, f"/incidents/{incident.id}/indicators")
        return None if response.status_code == 404 else {i["id"] for i in response.get_json()["indicators"]}

    for user in (chain.reporter, chain.colleague, chain.reviewer):
        assert ids(user) == {body["id"], red["id"]}, user.email
    # Not forwarded: the national CERT reads nothing; siblings, outsiders and admins never.
    for user in (chain.duty, chain.sibling, chain.stranger, chain.platform_admin):
        assert ids(user) is None, user.email
        assert api.get(user, f"/indicators/{body['id']}").status_code == 404
        assert api.post(user, f"/indicators/{body['id']}/sightings", {}).status_code == 404
    forward(make, chain, incident)
    assert ids(chain.duty) == {body["id"]}  # AMBER forwards in full; RED only with consent
    assert api.get(chain.duty, f"/indicators/{red['id']}").status_code == 404
    make.run(reporting.consent, actor=chain.reporter, incident_id=incident.id, forward="full")
    assert ids(chain.duty) == {body["id"], red["id"]}
    for user in (chain.sibling, chain.stranger, chain.platform_admin):
        assert ids(user) is None


def test_a_stub_reader_sees_no_indicators_and_adds_none(make, chain, api):
    incident = file(make, chain.reporter, tlp="AMBER+STRICT", regime_keys=["council-baseline"])
    add(api, chain.reporter, incident, tlp="AMBER+STRICT")
    forward(make, chain, incident)
    assert api.get(chain.duty, f"/incidents/{incident.id}").get_json()["stub"] is True
    assert api.get(chain.duty, f"/incidents/{incident.id}/indicators").status_code == 404
    assert add(api, chain.duty, incident, value="203.0.113.9").status_code == 404
    assert api.get(chain.duty, "/indicators/search", q="198.51.100.7").get_json()["indicators"] == []


def test_search_and_hints_cross_rooms_and_reports_only_where_the_caller_sees(make, chain, api):
    incident = file(make, chain.reporter, tlp="AMBER", regime_keys=["council-baseline"])
    in_report = add(api, chain.reporter, incident).get_json()
    room = make.room(chain.sibling, title="Telecom outage", tlp="GREEN", orgs=(chain.telco,))
    in_room = api.post(chain.sibling, f"/rooms/{room.id}/indicators",
                       {"type": "ipv4", "value": "198.51.100.7"}).get_json()
    # The telecom CERT sees its room, not the bank's report: no hint of the report.
    seen = api.get(chain.sibling, f"/indicators/{in_room['id']}").get_json()
    assert seen["also_in_reports"] == [] and seen["also_in"] == []
    found = api.get(chain.sibling, "/indicators/search", q="198.51.100[.]7").get_json()["indicators"]
    assert [i["id"] for i in found] == [in_room["id"]]
    # The reporter sees both (GREEN room: anyone signed in) and is told of each from the other.
    mine = api.get(chain.reporter, f"/indicators/{in_report['id']}").get_json()
    assert mine["also_in"] == [{"room": room.id, "title": "Telecom outage"}]
    theirs = api.get(chain.reporter, f"/indicators/{in_room['id']}").get_json()
    assert theirs["also_in_reports"] == [{"incident": incident.id, "ref": incident.ref, "title": incident.title}]
    found = api.get(chain.reporter, "/indicators/search", q="198.51.100.7").get_json()["indicators"]
    assert {i["id"] for i in found} == {in_report["id"], in_room["id"]}
    paste = api.post(chain.reporter, f"/incidents/{incident.id}/indicators/extract",
                     {"text": "beacons to 198.51.100[.]7 and hxxp://new-c2[.]net/x"}).get_json()["found"]
    by_value = {f["value"]: f for f in paste}
    assert by_value["198.51.100.7"]["known"] is True and by_value["198.51.100.7"]["also_in"] == 1
    assert by_value["http://new-c2.net/x"]["known"] is False


def test_writing_refusals_leave_nothing(app, make, chain, api):
    incident = file(make, chain.reporter, tlp="AMBER", regime_keys=["council-baseline"])
    looser = add(api, chain.reporter, incident, tlp="GREEN")
    assert looser.status_code == 422 and "report's TLP:AMBER" in looser.get_json()["fields"]["tlp"]
    assert add(api, chain.reporter, incident, type="ipv4", value="not-an-address").status_code == 422
    assert add(api, chain.stranger, incident).status_code == 404
    assert add(api, chain.reporter, incident).status_code == 201
    assert add(api, chain.reviewer, incident, value="198.51.100[.]7").status_code == 409
    bulk = api.post(chain.reporter, f"/incidents/{incident.id}/indicators/bulk",
                    {"indicators": [{"type": "domain", "value": "ok.example"}, {"type": "md5", "value": "xyz"}]})
    assert bulk.status_code == 422 and "indicators.1" in bulk.get_json()["fields"]
    with database(app).session(write=False) as s:
        assert s.scalars(select(Indicator.value).where(Indicator.incident_id == incident.id)).all() == [
            "198.51.100.7"]
    bulk = api.post(chain.reviewer, f"/incidents/{incident.id}/indicators/bulk",
                    {"indicators": [{"type": "domain", "value": "ok.example"},
                                    {"type": "ipv4", "value": "198.51.100.7"}]})
    assert bulk.status_code == 201 and bulk.get_json()["skipped"] == 1


def test_changes_are_the_adders_or_the_reporters_and_in_the_record(app, make, chain, api):
    incident = file(make, chain.reporter, tlp="AMBER", regime_keys=["council-baseline"])
    theirs = add(api, chain.reviewer, incident).get_json()
    forward(make, chain, incident)
    assert api.client.patch(f"/api/v1/indicators/{theirs['id']}", headers=api.headers(chain.duty),
                            json={"confidence": 10}).status_code == 403
    changed = api.client.patch(f"/api/v1/indicators/{theirs['id']}", headers=api.headers(chain.reviewer),
                               json={"confidence": 80, "tlp": "RED"})
    assert changed.status_code == 200 and changed.get_json()["tlp"] == "RED"
    assert api.get(chain.duty, f"/indicators/{theirs['id']}").status_code == 404  # RED: not forwarded
    assert api.post(chain.reporter, f"/indicators/{theirs['id']}/retire", {}).get_json()["status"] == "retired"
    sighted = api.post(chain.colleague, f"/indicators/{theirs['id']}/sightings", {"count": 3, "where": "core"})
    assert sighted.status_code == 201 and sighted.get_json()["seq"] == 0
    assert sighted.get_json()["sightings"]["by_org"][0]["org_id"] == chain.bank.id
    with database(app).session(write=False) as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.target_type == "incident",
                                                  AuditEntry.target_id == str(incident.id),
                                                  AuditEntry.action.like("indicator.%"))
                         .order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["indicator.added", "indicator.changed", "indicator.retired",
                                        "indicator.sighted"]
    assert "198.51.100.7" not in str([r.details for r in rows])  # ids and counts, never values


def test_a_linked_room_hears_counts_for_the_chain_only_and_sharing_copies_on_request(make, chain, api):
    incident = file(make, chain.reporter, tlp="AMBER", regime_keys=["council-baseline"])
    early = add(api, chain.reporter, incident, value="198.51.100.7", tags=["loader"]).get_json()
    assert api.post(chain.reviewer, f"/incidents/{incident.id}/indicators/share", {}).status_code == 409
    room_id = api.post(chain.reviewer, f"/incidents/{incident.id}/room", {}).get_json()["room_id"]
    # The room is wider than the chain: the telecom CERT joins it.
    make.run(room_post, actor=chain.reviewer, room_id=room_id, kind="status", payload={"orgs_add": [chain.telco.id]})
    add(api, chain.reviewer, incident, type="domain", value="c2.evil.example", tlp="RED")
    events = api.events(chain.reviewer, room_id, since=0)["events"]
    told = [e for e in events if e["kind"] == "incident" and e.get("op") == "indicators"]
    assert told and told[-1]["count"] == 1 and told[-1]["change"] == "added"
    assert "c2.evil.example" not in str(events)
    sibling_view = api.events(chain.sibling, room_id, since=0)["events"]
    assert not [e for e in sibling_view if e.get("op") == "indicators"]  # a stub only, outside the chain
    assert api.get(chain.sibling, f"/rooms/{room_id}/indicators").get_json()["indicators"] == []
    assert api.post(chain.sibling, f"/incidents/{incident.id}/indicators/share", {}).status_code == 404
    shared = api.post(chain.reviewer, f"/incidents/{incident.id}/indicators/share", {})
    assert shared.status_code == 201, shared.get_json()
    out = shared.get_json()
    assert out["room"] == room_id and out["skipped"] == 0
    copies = {i["value"]: i for i in out["added"]}
    assert set(copies) == {"198.51.100.7", "c2.evil.example"}
    ip = copies["198.51.100.7"]
    assert ip["room"] == room_id and ip["tlp"] == "AMBER" and ip["source_org"]["id"] == chain.bank.id
    assert incident.ref.lower() in ip["tags"] and "loader" in ip["tags"]
    assert ip["also_in_reports"][0]["incident"] == incident.id
    # The RED one is for the room's named members only; the telecom CERT sees the AMBER copy.
    assert {i["value"] for i in api.get(chain.sibling, f"/rooms/{room_id}/indicators").get_json()["indicators"]} == {
        "198.51.100.7"}
    again = api.post(chain.reviewer, f"/incidents/{incident.id}/indicators/share", {}).get_json()
    assert again["added"] == [] and again["skipped"] == 2
    # A stricter marking than the report forwards in full crosses only by the reporter's hand.
    strict = add(api, chain.reporter, incident, value="203.0.113.77", tlp="AMBER+STRICT").get_json()
    by_reviewer = api.post(chain.reviewer, f"/incidents/{incident.id}/indicators/share", {}).get_json()
    assert by_reviewer["added"] == [] and by_reviewer["skipped"] == 3
    by_reporter = api.post(chain.reporter, f"/incidents/{incident.id}/indicators/share", {})
    assert by_reporter.status_code == 201, by_reporter.get_json()
    assert [i["value"] for i in by_reporter.get_json()["added"]] == [strict["value"]]
    assert by_reporter.get_json()["added"][0]["tlp"] == "AMBER+STRICT"
    assert early["id"] not in {i["id"] for i in out["added"]}  # copies, the report keeps its own


def test_evidence_on_a_reports_indicator_follows_the_report(make, chain, api):
    incident = file(make, chain.reporter, tlp="AMBER", regime_keys=["council-baseline"])
    ind = add(api, chain.reporter, incident).get_json()
    up = api.client.post(f"/api/v1/indicators/{ind['id']}/files", headers=api.headers(chain.reviewer),
                         data={"file": (io.BytesIO(b"pcap bytes"), "c2.pcap")}, content_type="multipart/form-data")
    assert up.status_code == 201, up.get_json()
    file_id = up.get_json()["id"]
    assert api.get(chain.reporter, f"/files/{file_id}").data == b"pcap bytes"
    for user in (chain.duty, chain.stranger):
        assert api.get(user, f"/files/{file_id}").status_code == 404
        assert api.client.post(f"/api/v1/indicators/{ind['id']}/files", headers=api.headers(user),
                               data={"file": (io.BytesIO(b"x"), "x.txt")},
                               content_type="multipart/form-data").status_code == 404


def test_the_incident_page_section_and_its_forms(app, make, chain, client):
    incident = file(make, chain.reporter, tlp="AMBER", regime_keys=["council-baseline"])
    login(client, chain.reporter.email)
    token = csrf(client, f"/incidents/{incident.id}")
    done = client.post(f"/incidents/{incident.id}/indicators", data={
        "csrf_token": token, "type": "url", "value": "hxxps://update-check[.]com/gate.php", "tlp": "AMBER",
        "confidence": "70", "tags": "loader, c2", "description": "Beacon **gate**"}, follow_redirects=True)
    page = done.get_data(as_text=True)
    assert "Indicator added." in page and "hXXps://update-check[.]com/gate[.]php" in page
    assert 'href="https://update-check.com' not in page  # never a live link
    assert 'data-copy="https://update-check.com/gate.php"' in page and "<strong>gate</strong>" in page
    refused = client.post(f"/incidents/{incident.id}/indicators", data={
        "csrf_token": token, "type": "ipv4", "value": "999.1.1.1"}, follow_redirects=True)
    assert "was not accepted" in refused.get_data(as_text=True)
    assert client.post(f"/incidents/{incident.id}/indicators", data={"type": "ipv4",
                                                                       "value": "1.2.3.4"}).status_code == 400
    review = client.post(f"/incidents/{incident.id}/indicators/paste", data={
        "csrf_token": token, "text": "C2 at 203.0.113[.]5, gate hxxps://update-check[.]com/gate.php"})
    html = review.get_data(as_text=True)
    assert review.status_code == 200 and "already in this report" in html
    assert 'value="ipv4|203.0.113.5"' in html
    added = client.post(f"/incidents/{incident.id}/indicators/bulk", data={
        "csrf_token": token, "pick": ["ipv4|203.0.113.5"], "tlp": "AMBER"}, follow_redirects=True)
    assert "Indicators added." in added.get_data(as_text=True)
    with database(app).session(write=False) as s:
        ind = s.scalars(select(Indicator).where(Indicator.value == "203.0.113.5")).one()
    seen = client.post(f"/indicators/{ind.id}/seen", data={"csrf_token": token}, follow_redirects=True)
    assert "Sighting recorded." in seen.get_data(as_text=True)
    retired = client.post(f"/indicators/{ind.id}/retire", data={"csrf_token": token}, follow_redirects=True)
    assert "Indicator retired." in retired.get_data(as_text=True)
    # A reader of the stub (the national CERT, AMBER+STRICT report) gets no section.
    strict = file(make, chain.reporter, tlp="AMBER+STRICT", regime_keys=["council-baseline"])
    forward(make, chain, strict)
    other = app.test_client()
    login(other, chain.duty.email)
    page = other.get(f"/incidents/{strict.id}").get_data(as_text=True)
    assert 'id="rind-h"' not in page
    assert other.post(f"/incidents/{strict.id}/indicators/paste",
                      data={"csrf_token": csrf(other, f"/incidents/{strict.id}"), "text": "1.2.3.4"}).status_code == 404
