"""Incident reporting through the tiers: deadlines, who sees what, review and
revision, consent, escalation to a room both ways, the read log, statistics,
the overdue sweep, and bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from council.actors import SYSTEM
from council.audit.models import AuditEntry
from council.db import utcnow
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.extensions import database
from council.reporting import regimes, services, stats
from council.reporting.models import Incident, IncidentStage
from council.reporting.visibility import load_incident
from council.rooms.models import Room, RoomEvent
from council.rooms.stream import post as room_post
from tests.council.test_rooms_api import Api


@pytest.fixture
def api(client, make):
    return Api(client, make)


def file(make, who, *, hours_ago: float = 3, aware_hours_ago: float | None = None, tlp: str = "AMBER", **extra):
    now = utcnow()
    aware = None if aware_hours_ago is None else (now - timedelta(hours=aware_hours_ago)).isoformat()
    incident, _ = make.run(services.file_incident, actor=who, title=extra.pop("title", "Card fraud wave"),
                           type=extra.pop("type", "incident"), tlp=tlp,
                           detected_at=(now - timedelta(hours=hours_ago)).isoformat(), aware_at=aware, **extra)
    return incident


def stage_of(app, incident_id, regime, key):
    with database(app).session(write=False) as s:
        return s.scalars(select(IncidentStage).join(IncidentStage.regime).where(
            IncidentStage.incident_id == incident_id, IncidentStage.key == key,
            regimes.Regime.key == regime)).one()


def test_deadlines_follow_each_clock_start_and_each_regime(app, make, chain):
    incident = file(make, chain.reporter, hours_ago=10, aware_hours_ago=4)
    assert incident.ref.startswith(f"INC-{utcnow().year}-")
    assert incident.reviewer_org_id == chain.banking.id and incident.national_org_id == chain.national.id
    assert {r.key for r in incident.regimes} == {"council-baseline", "banking-strict"}  # the bank's sector's
    detected, aware = incident.detected_at, incident.aware_at
    bank_ew = stage_of(app, incident.id, "banking-strict", "early-warning")
    assert bank_ew.due_at == detected + timedelta(hours=6)  # detection + 6 h: already past
    base_ew = stage_of(app, incident.id, "council-baseline", "early-warning")
    assert base_ew.due_at == aware + timedelta(hours=24)  # awareness + 24 h
    assert stage_of(app, incident.id, "council-baseline", "final-report").due_at is None  # after the notification
    # Submitting after the deadline: late; the next stage's clock starts at the first submission.
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             regime_key="banking-strict", body="Declines at ATMs since 06:40.")
    submitted = stage_of(app, incident.id, "banking-strict", "early-warning")
    assert submitted.late is True
    update = stage_of(app, incident.id, "banking-strict", "update")
    assert update.due_at == submitted.first_submitted_at + timedelta(hours=24)


def test_late_and_overdue_are_told_apart_and_the_sweep_marks_once(app, make, chain):
    incident = file(make, chain.reporter, hours_ago=8, regime_keys=["banking-strict"])
    with database(app).session(write=False) as s:
        seen = load_incident(s, s.merge(chain.reporter), incident.id)
        from council.reporting.serialize import incident_json

        shown = incident_json(s, *seen, utcnow())
    assert shown["overdue"] is True and shown["stages"][0]["colour"] == "red"
    assert shown["stages"][1]["colour"] == "waiting"
    first = make.run(services.sweep_overdue)
    again = make.run(services.sweep_overdue)
    assert len(first) == 1 and again == []
    with database(app).session(write=False) as s:
        marks = s.scalars(select(AuditEntry).where(AuditEntry.action == "incident.stage_overdue")).all()
    assert len(marks) == 1


def test_a_regime_edit_is_a_new_version_and_filed_incidents_keep_theirs(app, make, chain, api):
    old = file(make, chain.reporter, regime_keys=["banking-strict"])
    stricter = {**regimes.BANKING, "stages": [{**regimes.BANKING["stages"][0], "hours": 2},
                                              regimes.BANKING["stages"][1]]}
    answer = api.post(chain.admin, "/regimes", stricter)
    assert answer.status_code == 201 and answer.get_json()["version"] == 2
    assert api.post(chain.duty, "/regimes", stricter).status_code == 403  # not an admin
    assert api.post(chain.platform_admin, "/regimes", stricter).status_code == 403  # not the national CERT's
    new = file(make, chain.reporter, regime_keys=["banking-strict"])
    assert stage_of(app, old.id, "banking-strict", "early-warning").hours == 6
    assert stage_of(app, new.id, "banking-strict", "early-warning").hours == 2
    listed = {r["key"]: r for r in api.get(chain.stranger, "/regimes").get_json()["regimes"]}
    assert listed["banking-strict"]["version"] == 2
    assert listed["banking-strict"]["stages"][0] == {"key": "early-warning", "title": "Early warning", "hours": 2.0,
                                                     "clock": "detection",
                                                     "fields": ["services_affected", "customers_affected"]}


@pytest.mark.parametrize("tlp", ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"])
def test_who_sees_what_for_each_marking(app, make, chain, api, tlp):
    incident = file(make, chain.reporter, tlp=tlp, regime_keys=["council-baseline"], title="SECRETTITLE")
    full = {chain.reporter, chain.colleague, chain.reviewer}
    for user in full:
        body = api.get(user, f"/incidents/{incident.id}").get_json()
        assert body["stub"] is False and body["title"] == "SECRETTITLE", user.email
    # Before any acceptance the national CERT sees nothing; siblings, outsiders and admins never do.
    for user in (chain.duty, chain.sibling, chain.stranger, chain.platform_admin):
        assert api.get(user, f"/incidents/{incident.id}").status_code == 404, user.email
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             body="SECRETBODY first look")
    make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
             decision="accepted")
    national = api.get(chain.duty, f"/incidents/{incident.id}").get_json()
    if tlp in ("AMBER+STRICT", "RED"):
        assert national["stub"] is True and "title" not in national and "SECRET" not in str(national)
        assert national["sector"] == "banking-finance" and national["stages"][0]["submitted_at"]
        make.run(services.consent, actor=chain.reporter, incident_id=incident.id, forward="full")
        national = api.get(chain.duty, f"/incidents/{incident.id}").get_json()
    assert national["stub"] is False and national["title"] == "SECRETTITLE"
    assert national["stages"][0]["body"] == "SECRETBODY first look"
    for user in (chain.sibling, chain.stranger, chain.platform_admin):
        assert api.get(user, f"/incidents/{incident.id}").status_code == 404
    listed = [i["ref"] for i in api.get(chain.stranger, "/incidents").get_json()["incidents"]]
    assert incident.ref not in listed


def test_the_national_cert_sees_only_accepted_content_and_chain_regimes(make, chain, api):
    incident = file(make, chain.reporter, tlp="GREEN")
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             regime_key="banking-strict", body="BANKONLY to the sectoral CERT")
    make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
             regime_key="banking-strict", decision="accepted")
    assert api.get(chain.duty, f"/incidents/{incident.id}").status_code == 404  # a reviewer-only regime: not forwarded
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             regime_key="council-baseline", body="CHAIN early warning")
    make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
             regime_key="council-baseline", decision="accepted")
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="notification",
             regime_key="council-baseline", body="NOTYETACCEPTED notification")
    national = api.get(chain.duty, f"/incidents/{incident.id}").get_json()
    assert {s["regime"] for s in national["stages"]} == {"council-baseline"}
    assert "BANKONLY" not in str(national) and "NOTYETACCEPTED" not in str(national)
    assert "CHAIN early warning" in str(national)


def test_review_and_revision(make, chain, api):
    incident = file(make, chain.reporter, regime_keys=["council-baseline"])
    url = f"/incidents/{incident.id}/stages/early-warning"
    assert api.post(chain.reviewer, url, {"body": "not mine"}).status_code == 403
    sent = api.post(chain.reporter, url, {"body": "First look", "fields": {"suspected_malicious": "yes"}})
    assert sent.status_code == 201 and sent.get_json()["status"] == "submitted" and sent.get_json()["late"] is False
    assert api.post(chain.reporter, url, {"body": "again"}).status_code == 409  # already submitted
    assert api.post(chain.reporter, url + "/review", {"decision": "accepted"}).status_code == 403  # not the reviewer
    assert api.post(chain.reviewer, url + "/review", {"decision": "revision"}).status_code == 422  # needs a comment
    back = api.post(chain.reviewer, url + "/review", {"decision": "revision", "comment": "Add the IOCs"})
    assert back.status_code == 200 and back.get_json()["status"] == "revision"
    assert api.get(chain.reporter, f"/incidents/{incident.id}").get_json()["stages"][0]["review_comment"] == \
        "Add the IOCs"
    assert api.post(chain.reporter, url, {"body": "First look, with IOCs"}).status_code == 201  # reopened
    ok = api.post(chain.reviewer, url + "/review", {"decision": "accepted"}).get_json()
    assert ok["status"] == "accepted"
    assert api.post(chain.reporter, f"/incidents/{incident.id}/stages/final-report", {"body": "x"}).status_code == 409


def test_consent_is_the_reporters_and_audited(app, make, chain, api):
    incident = file(make, chain.reporter, tlp="RED")
    assert api.post(chain.reviewer, f"/incidents/{incident.id}/consent", {"forward": "full"}).status_code == 403
    ok = api.post(chain.colleague, f"/incidents/{incident.id}/consent", {"forward": "full"})
    assert ok.status_code == 200 and ok.get_json()["consent_full"] is True
    with database(app).session(write=False) as s:
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "incident.consent")).one().actor_id == \
            chain.colleague.id


def test_every_read_by_another_organisation_is_logged_for_the_reporter(make, chain, api):
    incident = file(make, chain.reporter, regime_keys=["council-baseline"])
    api.get(chain.reporter, f"/incidents/{incident.id}")  # the reporter's own reads are not logged
    api.get(chain.reviewer, f"/incidents/{incident.id}")
    api.get(chain.reviewer, f"/incidents/{incident.id}")
    reads = api.get(chain.colleague, f"/incidents/{incident.id}/reads").get_json()["reads"]
    assert [(r["org"], r["user_id"]) for r in reads] == [("Banking CERT R", chain.reviewer.id)] * 2
    assert api.get(chain.reviewer, f"/incidents/{incident.id}/reads").status_code == 403


def test_escalation_opens_a_room_of_the_chain_with_detection_first_and_links_both_ways(app, make, chain, api):
    incident = file(make, chain.reporter, hours_ago=5, regime_keys=["council-baseline"])
    assert api.post(chain.reporter, f"/incidents/{incident.id}/room", {}).status_code == 403
    opened = api.post(chain.reviewer, f"/incidents/{incident.id}/room", {})
    assert opened.status_code == 201
    room_id = opened.get_json()["room_id"]
    assert api.post(chain.reviewer, f"/incidents/{incident.id}/room", {}).status_code == 409
    room = api.get(chain.reviewer, f"/rooms/{room_id}").get_json()
    # Not forwarded yet: the national CERT may not read the report, so it is not in the room (titled as it).
    assert {o["id"] for o in room["orgs"]} == {chain.bank.id, chain.banking.id}
    assert room["tlp"] == "AMBER" and incident.ref in room["title"]
    events = api.events(chain.reviewer, room_id, since=0)["events"]
    timeline = [e for e in events if e["kind"] == "timeline"]
    assert timeline[0]["category"] == "detection" and timeline[0]["occurred_at"].startswith(
        incident.detected_at.strftime("%Y-%m-%dT%H:%M"))
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             body="CONTENTNEVERINROOM")
    events = api.events(chain.reviewer, room_id, since=0)["events"]
    assert [e["op"] for e in events if e["kind"] == "incident"] == ["linked", "stage_submitted"]
    assert "CONTENTNEVERINROOM" not in str(events)
    assert api.get(chain.reporter, f"/incidents/{incident.id}").get_json()["room_id"] == room_id


def test_an_incident_filed_from_a_room_is_linked_and_prefilled(app, make, chain, api, client):
    from tests.conftest import login
    from tests.factories import PASSWORD

    room = make.room(chain.reporter, title="Bank outage room", tlp="AMBER+STRICT", orgs=(chain.banking,))
    make.event(chain.reporter, room, kind="timeline", category="detection",
               occurred_at=(utcnow() - timedelta(hours=2)).isoformat(), body="ATMs declining")
    login(client, chain.reporter.email, PASSWORD)
    page = client.get(f"/incidents/new?room={room.id}").get_data(as_text=True)
    assert 'value="Bank outage room"' in page and "TLP:AMBER+STRICT\" selected" not in page
    assert 'value="AMBER+STRICT" selected' in page
    filed = api.post(chain.reporter, "/incidents", {"title": "From the room", "type": "incident", "tlp": "AMBER",
                                                    "detected_at": (utcnow() - timedelta(hours=2)).isoformat(),
                                                    "room_id": room.id})
    assert filed.status_code == 201 and filed.get_json()["room_id"] == room.id
    assert api.post(chain.stranger, "/incidents", {"title": "x", "type": "incident", "tlp": "AMBER",
                                                   "detected_at": utcnow().isoformat(),
                                                   "room_id": room.id}).status_code == 404
    show = client.get(f"/incidents/{filed.get_json()['id']}").get_data(as_text=True)
    assert "ATMs declining" in show  # the stage drafts come from the room's record


@pytest.mark.parametrize(("change", "field"), [
    ({"type": "rumour"}, "type"), ({"tlp": "PURPLE"}, "tlp"), ({"title": ""}, "title"),
    ({"detected_at": "yesterday"}, "detected_at"), ({"regimes": ["no-such-regime"]}, "regimes"),
    ({"classification": {"class": "malicious-code", "type": "phishing"}}, "classification"),
    ({"impact": {"users_affected": -1}}, "impact.users_affected"), ({"impact": {"colour": "red"}}, "impact.colour"),
    ({"cross_border": "yes"}, "cross_border"), ({"room_id": 2**64}, "room_id"),
])
def test_bad_incidents_are_422_naming_the_field_and_file_nothing(make, chain, api, change, field):
    good = {"title": "Outage", "type": "incident", "tlp": "AMBER", "detected_at": utcnow().isoformat()}
    answer = api.post(chain.reporter, "/incidents", {**good, **change})
    assert answer.status_code == 422 and field in answer.get_json()["fields"], answer.get_json()
    assert api.get(chain.reporter, "/incidents").get_json()["incidents"] == []


def test_times_must_make_sense(make, chain, api):
    future = api.post(chain.reporter, "/incidents", {"title": "t", "type": "incident", "tlp": "AMBER",
                                                      "detected_at": (utcnow() + timedelta(hours=2)).isoformat()})
    assert future.status_code == 422 and "detected_at" in future.get_json()["fields"]
    before = api.post(chain.reporter, "/incidents", {
        "title": "t", "type": "incident", "tlp": "AMBER", "detected_at": utcnow().isoformat(),
        "aware_at": (utcnow() - timedelta(days=1)).isoformat()})
    assert before.status_code == 422 and "aware_at" in before.get_json()["fields"]


def test_the_same_client_id_returns_the_first_incident(make, chain, api):
    body = {"title": "Once", "type": "incident", "tlp": "GREEN", "detected_at": utcnow().isoformat(),
            "client_id": "retry-1"}
    first = api.post(chain.reporter, "/incidents", body)
    again = api.post(chain.reporter, "/incidents", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["ref"] == again.get_json()["ref"]
    assert len(api.get(chain.reporter, "/incidents").get_json()["incidents"]) == 1


def test_list_filters(make, chain, api):
    late = file(make, chain.reporter, hours_ago=30, regime_keys=["banking-strict"], title="Old one")
    file(make, chain.reporter, hours_ago=1, regime_keys=["banking-strict"], title="Fresh one")
    overdue = api.get(chain.reviewer, "/incidents", overdue="1").get_json()["incidents"]
    assert [i["ref"] for i in overdue] == [late.ref]
    assert len(api.get(chain.reviewer, "/incidents", sector="banking-finance").get_json()["incidents"]) == 2
    assert api.get(chain.reviewer, "/incidents", sector="telecom").get_json()["incidents"] == []
    assert api.get(chain.reviewer, "/incidents", overdue="yes").status_code == 422


def test_statistics_count_what_the_caller_sees_and_never_drills(app, make, chain):
    a = file(make, chain.reporter, hours_ago=10, regime_keys=["banking-strict"])
    file(make, chain.reporter, hours_ago=2, regime_keys=["banking-strict"])
    file(make, chain.reporter, hours_ago=2, regime_keys=["banking-strict"], type="test", title="Drill")
    make.run(services.submit_stage, actor=chain.reporter, incident_id=a.id, key="early-warning",
             regime_key="banking-strict", body="late one")
    with database(app).session(write=False) as s:
        rows, order = stats.statistics_rows(s, s.merge(chain.reviewer))
        nothing, _ = stats.statistics_rows(s, s.merge(chain.stranger))
        board = stats.board(s, s.merge(chain.reviewer))
    assert nothing == [] and order == ["banking-strict/early-warning", "banking-strict/update"]
    [row] = rows
    assert row["count"] == 2 and row["sector"] == "banking-finance" and row["late_share"] == 1.0
    assert 9.9 < row["median_hours"]["banking-strict/early-warning"] < 10.2
    assert board["incidents"] == 2 and board["by_stage"]["banking-strict/early-warning"]["late"] == 1


def test_services_refuse_what_is_not_theirs(make, chain):
    incident = file(make, chain.reporter)
    with pytest.raises(NotFound):
        make.run(services.submit_stage, actor=chain.stranger, incident_id=incident.id, key="early-warning", body="x")
    with pytest.raises(Forbidden):
        make.run(services.open_room, actor=chain.reporter, incident_id=incident.id)
    with pytest.raises(Invalid):
        make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
                 body="x")  # two regimes have this stage: say which
    with pytest.raises(Conflict):
        make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="update",
                 regime_key="banking-strict", body="x")  # its earlier stage first
    with pytest.raises(Forbidden):
        make.run(regimes.save_version, actor=chain.platform_admin, **regimes.BASELINE)
    assert SYSTEM is not None
    with database(make.app).session(write=False) as s:
        assert s.scalars(select(Room)).all() == [] and s.scalars(select(RoomEvent)).all() == []


def test_the_national_board_counts_a_window_and_is_the_national_certs(app, make, chain, api):
    recent = file(make, chain.reporter, regime_keys=["council-baseline"], tlp="GREEN")
    old = file(make, chain.reporter, regime_keys=["council-baseline"], tlp="GREEN", title="Old one")
    for incident in (recent, old):
        make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
                 body="in")
        make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
                 decision="accepted")
    with database(app).transaction() as s:  # filed half a year ago
        s.get(Incident, old.id).created_at = utcnow() - timedelta(days=180)
    quarter = api.get(chain.duty, "/incidents/board").get_json()
    year = api.get(chain.duty, "/incidents/board", days="365").get_json()
    assert quarter["incidents"] == 1 and quarter["days"] == 90 and year["incidents"] == 2
    assert year["by_stage"]["council-baseline/early-warning"]["accepted"] == 2
    assert year["by_stage"]["council-baseline/notification"]["pending"] == 2
    assert api.get(chain.duty, "/incidents/board", days="7").status_code == 422
    assert api.get(chain.reviewer, "/incidents/board").status_code == 403
    from tests.conftest import login
    from tests.factories import PASSWORD

    login(api.client, chain.duty.email, PASSWORD)
    page = api.client.get("/incidents/board?days=all").get_data(as_text=True)
    assert "2 incidents reported up the chain in all" in page
    assert "1 incident reported up the chain in the last 90 days" in api.client.get("/incidents/board").get_data(
        as_text=True)


@pytest.mark.parametrize(("tlp", "consent", "national_in_room"), [
    ("AMBER", False, True), ("RED", False, False), ("RED", True, True)])
def test_a_room_opened_after_forwarding_takes_the_national_cert_only_if_it_may_read(
        make, chain, api, tlp, consent, national_in_room):
    incident = file(make, chain.reporter, regime_keys=["council-baseline"], tlp=tlp)
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning", body="in")
    make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
             decision="accepted")
    if consent:
        make.run(services.consent, actor=chain.reporter, incident_id=incident.id, forward="full")
    room_id = api.post(chain.reviewer, f"/incidents/{incident.id}/room", {}).get_json()["room_id"]
    orgs = {o["id"] for o in api.get(chain.reviewer, f"/rooms/{room_id}").get_json()["orgs"]}
    assert (chain.national.id in orgs) is national_in_room


def test_incident_events_reach_only_the_chain_in_a_wider_room(make, chain, api):
    """A sibling sector in the room sees that something happened (a stub), not which report or stage."""
    incident = file(make, chain.reporter, regime_keys=["council-baseline", "banking-strict"], tlp="GREEN")
    room_id = api.post(chain.reviewer, f"/incidents/{incident.id}/room", {}).get_json()["room_id"]
    make.run(room_post, actor=chain.reviewer, room_id=room_id, kind="status", payload={"orgs_add": [chain.telco.id]})
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             regime_key="banking-strict", body="x")
    sibling = [e for e in api.events(chain.sibling, room_id, since=0)["events"] if e["kind"] in ("incident",
                                                                                                 "restricted")]
    reviewer = [e for e in api.events(chain.reviewer, room_id, since=0)["events"] if e["kind"] == "incident"]
    assert [e["op"] for e in reviewer] == ["linked", "stage_submitted"]
    assert sibling and all(e["kind"] == "restricted" for e in sibling) and incident.ref not in str(sibling)
    assert api.get(chain.sibling, f"/rooms/{room_id}/incidents").get_json()["incidents"] == []


def test_lists_and_rooms_carry_no_content_and_opening_is_the_logged_read(make, chain, api):
    incident = file(make, chain.reporter, regime_keys=["council-baseline"], description="DESCRIPTIONTEXT")
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
             body="STAGEBODYTEXT")
    listed = api.get(chain.reviewer, "/incidents").get_json()["incidents"]
    assert listed[0]["title"] == "Card fraud wave" and "DESCRIPTIONTEXT" not in str(listed)
    assert "STAGEBODYTEXT" not in str(listed)
    assert api.get(chain.reporter, f"/incidents/{incident.id}/reads").get_json()["reads"] == []
    opened = api.get(chain.reviewer, f"/incidents/{incident.id}").get_json()
    assert "DESCRIPTIONTEXT" in opened["description"] and "STAGEBODYTEXT" in str(opened["stages"])
    assert len(api.get(chain.reporter, f"/incidents/{incident.id}/reads").get_json()["reads"]) == 1


def test_national_statistics_leave_out_reviewer_only_regimes(app, make, chain):
    incident = file(make, chain.reporter, tlp="GREEN")  # both regimes of the banking sector
    for regime in ("banking-strict", "council-baseline"):
        make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning",
                 regime_key=regime, body="in")
        make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
                 regime_key=regime, decision="accepted")
    with database(app).session(write=False) as s:
        _rows, national = stats.statistics_rows(s, s.merge(chain.duty))
        _rows, reviewer = stats.statistics_rows(s, s.merge(chain.reviewer))
    assert national == ["council-baseline/early-warning", "council-baseline/final-report",
                        "council-baseline/notification"]
    assert "banking-strict/early-warning" in reviewer


def test_a_revision_after_the_deadline_is_not_overdue(app, make, chain, api):
    incident = file(make, chain.reporter, hours_ago=5, regime_keys=["banking-strict"])
    make.run(services.submit_stage, actor=chain.reporter, incident_id=incident.id, key="early-warning", body="in")
    later = utcnow() + timedelta(hours=3)  # past the 6 h deadline
    make.run(services.review_stage, actor=chain.reviewer, incident_id=incident.id, key="early-warning",
             decision="revision", comment="Add the customer numbers", now=later)
    assert make.run(services.sweep_overdue, now=later) == []
    stage = next(s for s in api.get(chain.reporter, f"/incidents/{incident.id}").get_json()["stages"]
                 if s["key"] == "early-warning")
    assert stage["colour"] == "revision" and not stage["overdue"] and stage["late"] is False


def test_drill_client_ids_are_the_drills_own(make, chain, api):
    body = {"title": "x", "type": "incident", "tlp": "GREEN", "detected_at": utcnow().isoformat(),
            "client_id": "drill:1:1:1"}
    refused = api.post(chain.reporter, "/incidents", body)
    assert refused.status_code == 422 and "client_id" in refused.get_json()["fields"]


def test_form_filing_refuses_an_overlong_title(make, chain):
    with pytest.raises(Invalid) as caught:
        file(make, chain.reporter, title="T" * 301)
    assert "title" in caught.value.fields
