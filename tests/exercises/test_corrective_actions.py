"""The council's corrective actions register: actions of published reports only,
filters, status updates by the responsible organisation with evidence to close,
links to re-testing injects and to later incidents, overdue actions on the
dashboard, and the REST shapes."""

from __future__ import annotations

import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from council.errors import Forbidden, Invalid, NotFound
from exercises.reports import actions as register
from exercises.reports import services as reports
from exercises.reports.models import CorrectiveAction, CorrectiveActionLink
from exercises.runs import services as runs
from exercises.scenarios import services as scenarios
from tests.conftest import csrf, login
from tests.exercises.helpers import count, inject, read
from tests.exercises.report_helpers import audit_rows, closed_incident, publish_through_review, start

TODAY = date.today()


def browser(app, user):
    client = app.test_client()
    assert login(client, user.email).status_code == 302
    return client


def add_action(make, lead, report_id, **fields):
    return make.run(reports.save_action, actor=lead, report_id=report_id, fields=fields)


@pytest.fixture
def w(app, make):
    """A GREEN published incident report of GovCERT with three actions (one overdue), an
    AMBER one of the Telecom CERT with an overdue action, and a draft with an overdue action."""
    gov = make.org("Government Sector CERT", sector="government")
    telco = make.org("Telecom Sector CERT", sector="telecom")
    isac = make.org("Energy ISAC", sector="energy")
    w = SimpleNamespace(
        gov=gov, telco=telco, isac=isac,
        lead=make.user("duty@govcert.example", org=gov, name="Gina Gov"),
        gov_colleague=make.user("ops@govcert.example", org=gov, name="Gus Gov"),
        telco_user=make.user("analyst@telcocert.example", org=telco, name="Tara Telco"),
        isac_user=make.user("soc@isac.example", org=isac, name="Ivan Isac"),
    )
    room = closed_incident(make, w.lead, orgs=(gov, telco), tlp="GREEN", assignee=telco)
    w.room = room
    report = start(make, w.lead, room.id)
    [suggested] = read(app, lambda s: list(s.scalars(select(CorrectiveAction).where(
        CorrectiveAction.report_id == report.id))))
    w.advisory = suggested.id  # coordination, telco, no due date
    w.scrubbing = add_action(
        make, w.lead, report.id, area="Ministries had no scrubbing contract", capability="recovery",
        action="Sign standing DDoS-scrubbing agreements", element="planning", responsible_org_id=gov.id,
        contact="Head of operations", start_date=str(TODAY - timedelta(days=50)),
        due_date=str(TODAY - timedelta(days=5))).id
    w.resolvers = add_action(
        make, w.lead, report.id, area="Open resolvers amplified the attack", capability="information-sharing",
        action="Notify operators of open resolvers monthly", element="organisation", responsible_org_id=telco.id,
        due_date=str(TODAY + timedelta(days=40))).id
    publish_through_review(make, w.lead, report.id, [w.gov_colleague, w.telco_user])
    w.report = report.id

    amber_room = closed_incident(make, w.telco_user, orgs=(telco,), tlp="AMBER", title="SMS gateway outage")
    amber = start(make, w.telco_user, amber_room.id)
    make.run(lambda s: [s.delete(ca) for ca in s.scalars(select(CorrectiveAction).where(
        CorrectiveAction.report_id == amber.id))])
    w.amber_action = add_action(make, w.telco_user, amber.id, area="Gateway failover untested",
                                capability="recovery", responsible_org_id=telco.id,
                                due_date=str(TODAY - timedelta(days=1))).id
    publish_through_review(make, w.telco_user, amber.id, [w.telco_user])
    w.amber_room = amber_room

    draft_room = closed_incident(make, w.lead, orgs=(gov,), tlp="GREEN", title="Draft-only incident")
    draft = start(make, w.lead, draft_room.id)
    w.draft_action = add_action(make, w.lead, draft.id, area="Draft area nobody may track yet",
                                capability="recovery", responsible_org_id=gov.id,
                                due_date=str(TODAY - timedelta(days=30))).id
    w.draft = draft.id
    return w


def codes(rows):
    return {ca.id for ca, _report in rows}


def listed(make, user, **filters):
    return make.run(lambda s: codes(register.register(s, actor=s.merge(user), **filters)))


def rest_list(api, user, query=""):
    response = api.client.get(f"/api/v1/corrective-actions?{query}", headers=api.headers(user))
    assert response.status_code == 200
    return {a["id"] for a in response.get_json()["corrective_actions"]}


# --- the register ---------------------------------------------------------------------------------

def test_only_actions_of_published_reports_are_in_the_register(app, make, api, w):
    published = {w.advisory, w.scrubbing, w.resolvers}
    assert listed(make, w.lead) == published  # the AMBER report is the telco's
    assert listed(make, w.telco_user) == published | {w.amber_action}
    assert rest_list(api, w.isac_user) == published
    numbers = read(app, lambda s: {ca.id: ca.number for ca in s.scalars(select(CorrectiveAction))})
    assert numbers[w.draft_action] is None and all(numbers[i] == i for i in published)
    page = browser(app, w.lead).get("/actions/").get_data(as_text=True)
    for action_id in published:
        assert f'<a href="/actions/{action_id}">CA-{action_id}</a>' in page
    assert "Draft area nobody may track yet" not in page and "Gateway failover untested" not in page
    for user in (w.lead, w.telco_user):
        assert browser(app, user).get(f"/actions/{w.draft_action}").status_code == 404
        assert api.get(user, f"/corrective-actions/{w.draft_action}").status_code == 404
        with pytest.raises(NotFound):
            make.run(register.update_status, actor=user, action_id=w.draft_action, status="done",
                     note="Closing a draft action")
    # An AMBER report's actions are as invisible as the report.
    assert browser(app, w.isac_user).get(f"/actions/{w.amber_action}").status_code == 404
    assert api.get(w.lead, f"/corrective-actions/{w.amber_action}").status_code == 404


def test_the_register_filters_by_organisation_status_capability_and_overdue(app, make, api, w):
    make.run(register.update_status, actor=w.telco_user, action_id=w.resolvers, status="in_progress",
             note="First notification sent to 14 operators")
    cases = {
        f"org={w.gov.id}": {w.scrubbing},
        f"org={w.telco.id}": {w.advisory, w.resolvers, w.amber_action},
        f"org={w.isac.id}": set(),
        "status=open": {w.advisory, w.scrubbing, w.amber_action},
        "status=in_progress": {w.resolvers},
        "status=done": set(),
        "capability=recovery": {w.scrubbing, w.amber_action},
        "capability=coordination": {w.advisory},
        "overdue=1": {w.scrubbing, w.amber_action},
        f"overdue=1&org={w.telco.id}": {w.amber_action},
        f"status=open&capability=recovery&org={w.gov.id}": {w.scrubbing},
    }
    for query, expected in cases.items():
        assert rest_list(api, w.telco_user, query) == expected, query
        page = browser(app, w.telco_user).get(f"/actions/?{query}").get_data(as_text=True)
        assert set(map(int, re.findall(r'<a href="/actions/(\d+)">CA-\d+</a>', page))) == expected, query
    assert listed(make, w.telco_user, org_id=w.gov.id, overdue=True) == {w.scrubbing}
    assert listed(make, w.telco_user, status="nonsense") == listed(make, w.telco_user)  # unknown: no filter
    overdue = read(app, lambda s: {ca.id: register.is_overdue(ca) for ca in s.scalars(select(CorrectiveAction))
                                   if ca.due_date is not None})
    assert overdue == {w.scrubbing: True, w.resolvers: False, w.amber_action: True,
                       w.draft_action: True}  # a draft's action is overdue, but nowhere listed


# --- status updates ------------------------------------------------------------------------------

def test_only_people_of_the_responsible_organisation_update_the_status(app, make, api, w):
    for user in (w.telco_user, w.isac_user):
        with pytest.raises(Forbidden, match="responsible organisation"):
            make.run(register.update_status, actor=user, action_id=w.scrubbing, status="in_progress",
                     note="Not ours to say")
    denied = api.post(w.telco_user, f"/corrective-actions/{w.scrubbing}/status",
                      json={"status": "in_progress", "note": "Not ours"})
    assert denied.status_code == 403 and "responsible organisation" in denied.get_json()["error"]
    client = browser(app, w.isac_user)
    page = client.get(f"/actions/{w.scrubbing}").get_data(as_text=True)
    assert "People of Government Sector CERT update this action." in page and 'value="status"' not in page
    posted = client.post(f"/actions/{w.scrubbing}", data={
        "csrf_token": csrf(client, f"/actions/{w.scrubbing}"), "form": "status", "status": "done",
        "note": "Done, trust me, really"})
    assert posted.status_code == 403
    assert read(app, lambda s: (s.get(CorrectiveAction, w.scrubbing).status,
                                len(s.get(CorrectiveAction, w.scrubbing).updates))) == ("open", 0)
    for bad in ({"status": "finished", "note": "x"}, {"status": "in_progress", "note": "  "}):
        with pytest.raises(Invalid):
            make.run(register.update_status, actor=w.gov_colleague, action_id=w.scrubbing, **bad)
    # Any person of the responsible organisation, not only the report's lead.
    owner = browser(app, w.gov_colleague)
    assert 'value="status"' in owner.get(f"/actions/{w.scrubbing}").get_data(as_text=True)
    done = owner.post(f"/actions/{w.scrubbing}", data={
        "csrf_token": csrf(owner, f"/actions/{w.scrubbing}"), "form": "status", "status": "in_progress",
        "note": "Contract drafted with two providers"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/actions/{w.scrubbing}")
    ca = read(app, lambda s: s.get(CorrectiveAction, w.scrubbing))
    assert ca.status == "in_progress"
    assert [(u.status, u.note, u.author_id) for u in ca.updates] == [
        ("in_progress", "Contract drafted with two providers", w.gov_colleague.id)]
    assert [r["details"] for r in audit_rows(app, "corrective_action.update")] == [{"status": "in_progress"}]


def test_closing_as_done_needs_an_evidence_note(app, make, w):
    with pytest.raises(Invalid) as caught:
        make.run(register.update_status, actor=w.lead, action_id=w.scrubbing, status="done", note="Done.")
    assert "evidence" in caught.value.fields["note"]
    assert read(app, lambda s: s.get(CorrectiveAction, w.scrubbing).status) == "open"
    evidence = "Agreements signed with both providers; copies in the GovCERT register (ref 2031-17)."
    ca = make.run(register.update_status, actor=w.lead, action_id=w.scrubbing, status="done", note=evidence)
    assert (ca.status, ca.evidence) == ("done", evidence) and ca.closed_at is not None
    assert not register.is_overdue(ca)
    assert listed(make, w.lead, overdue=True) == set()
    page = browser(app, w.lead).get(f"/actions/{w.scrubbing}").get_data(as_text=True)
    assert "<dt>Evidence</dt><dd>Agreements signed with both providers" in page
    reopened = make.run(register.update_status, actor=w.lead, action_id=w.scrubbing, status="in_progress",
                        note="One provider withdrew")
    assert reopened.closed_at is None and [u.status for u in reopened.updates] == ["done", "in_progress"]


# --- links -----------------------------------------------------------------------------------------

@pytest.fixture
def retest(make, w):
    """A later scenario with an inject written to re-test the scrubbing action."""
    return make.run(scenarios.create_scenario, actor=w.lead, fields={"title": "DDoS re-test"}, injects=[
        inject("1", "T+00:00", "Portals slow", to="all"),
        inject("R1", "T+00:15", "Scrubbing provider called", to="all")])


def test_a_validates_link_needs_a_real_scenario_inject_and_shows_in_the_history(app, make, api, w, retest):
    for bad in ({"scenario_id": retest.id, "msel_id": "R9"}, {"scenario_id": 99999, "msel_id": "R1"},
                {"scenario_id": str(retest.id), "msel_id": "R1"}, {"scenario_id": None, "msel_id": "R1"}):
        with pytest.raises(Invalid) as caught:
            make.run(register.link, actor=w.telco_user, action_id=w.scrubbing, relation="validates", **bad)
        assert "msel_id" in caught.value.fields
    with pytest.raises(Invalid):
        make.run(register.link, actor=w.telco_user, action_id=w.scrubbing, relation="fixed", room_id=w.room.id)
    assert count(app, CorrectiveActionLink) == 0
    row = make.run(register.link, actor=w.telco_user, action_id=w.scrubbing, relation="validates",
                   scenario_id=retest.id, msel_id="R1", note="Re-test in the spring drill")
    assert (row.relation, row.scenario_id, row.msel_id, row.room_id) == ("validates", retest.id, "R1", None)
    detail = browser(app, w.isac_user).get(f"/actions/{w.scrubbing}").get_data(as_text=True)
    assert "re-tested by inject" in detail and f"scenario #{retest.id}</a>, inject R1" in detail
    assert f"“validates CA-{w.scrubbing}”" in detail and "Re-test in the spring drill" in detail
    page = browser(app, w.isac_user).get("/actions/").get_data(as_text=True)
    row_html = page.split(f'<a href="/actions/{w.scrubbing}">', 1)[1].split("</tr>", 1)[0]
    assert "0 update(s) · validates" in row_html
    shown = api.get(w.isac_user, f"/corrective-actions/{w.scrubbing}").get_json()
    assert [{k: v for k, v in link.items() if k != "at"} for link in shown["links"]] == [
        {"relation": "validates", "scenario_id": retest.id, "msel_id": "R1", "room_id": None,
         "note": "Re-test in the spring drill", "by": "Tara Telco"}]
    [audit] = audit_rows(app, "corrective_action.link")
    assert audit["details"] == {"relation": "validates", "scenario_id": retest.id, "msel_id": "R1", "room_id": None}


def test_incident_links_need_an_incident_room_the_user_can_see(app, make, w):
    later = closed_incident(make, w.lead, orgs=(w.gov,), tlp="AMBER", title="DDoS again", close=False)
    secret = closed_incident(make, w.telco_user, orgs=(w.telco,), tlp="RED", title="Telco secret")
    scenario = make.run(scenarios.create_scenario, actor=w.lead, fields={"title": "Drill"},
                        injects=[inject("1", "T+00:00", "Go", to="all")])
    drill = make.run(runs.create_exercise, actor=w.lead, scenario_id=scenario.id, title="Gov drill",
                     org_ids=[w.gov.id])
    with pytest.raises(NotFound):  # RED, not named: as if absent
        make.run(register.link, actor=w.lead, action_id=w.scrubbing, relation="reappeared", room_id=secret.id)
    with pytest.raises(NotFound):
        make.run(register.link, actor=w.lead, action_id=w.scrubbing, relation="reappeared", room_id=99999)
    with pytest.raises(NotFound):  # AMBER room of GovCERT: the ISAC cannot see it
        make.run(register.link, actor=w.isac_user, action_id=w.scrubbing, relation="shown_fixed",
                 room_id=later.id)
    with pytest.raises(Invalid) as caught:  # visible to its director, but an exercise
        make.run(register.link, actor=w.lead, action_id=w.scrubbing, relation="shown_fixed",
                 room_id=drill.room_id)
    assert "exercise" in caught.value.fields["room_id"]
    with pytest.raises(Invalid):
        make.run(register.link, actor=w.lead, action_id=w.scrubbing, relation="reappeared", room_id=str(later.id))
    assert count(app, CorrectiveActionLink) == 0
    make.run(register.link, actor=w.lead, action_id=w.scrubbing, relation="reappeared", room_id=later.id,
             note="Portals down again for 20 minutes")
    make.run(register.link, actor=w.gov_colleague, action_id=w.scrubbing, relation="shown_fixed",
             room_id=later.id)
    detail = browser(app, w.lead).get(f"/actions/{w.scrubbing}").get_data(as_text=True)
    assert "gap reappeared in incident" in detail and "shown fixed in incident" in detail
    assert detail.count(f'href="/rooms/{later.id}">incident room #{later.id}</a>') == 2
    links = read(app, lambda s: [(k.relation, k.room_id, k.created_by_id) for k in
                                 s.get(CorrectiveAction, w.scrubbing).links])
    assert links == [("reappeared", later.id, w.lead.id), ("shown_fixed", later.id, w.gov_colleague.id)]


def test_the_link_form_on_the_action_page(app, make, w, retest):
    client = browser(app, w.telco_user)
    token = csrf(client, f"/actions/{w.scrubbing}")
    refused = client.post(f"/actions/{w.scrubbing}", data={
        "csrf_token": token, "form": "link", "relation": "validates", "scenario_id": str(retest.id),
        "msel_id": "nope"})
    assert refused.status_code == 200 and count(app, CorrectiveActionLink) == 0
    linked = client.post(f"/actions/{w.scrubbing}", data={
        "csrf_token": token, "form": "link", "relation": "validates", "scenario_id": str(retest.id),
        "msel_id": "R1"})
    assert linked.status_code == 302
    assert read(app, lambda s: [(k.relation, k.msel_id) for k in s.get(CorrectiveAction, w.scrubbing).links]) == [
        ("validates", "R1")]


# --- dashboard ---------------------------------------------------------------------------------------

def test_overdue_actions_are_on_the_responsible_organisations_dashboards_only(app, w):
    def dashboard(user):
        page = browser(app, user).get("/").get_data(as_text=True)
        work = page.split('id="work-h"', 1)[1].split("</section>", 1)[0]  # the "My work" card
        return set(map(int, re.findall(r'<a href="/actions/(\d+)" dir="auto">CA-\d+ ', work))), work

    for user in (w.lead, w.gov_colleague):
        shown, work = dashboard(user)
        assert shown == {w.scrubbing}, user.email  # not the draft's overdue action, nor others' actions
        assert "Corrective action" in work and "overdue</span>" in work
    shown, work = dashboard(w.telco_user)
    assert shown == {w.amber_action} and f">CA-{w.scrubbing} " not in work
    shown, work = dashboard(w.isac_user)
    assert shown == set() and "Corrective action" not in work


def test_a_done_action_leaves_the_dashboard(app, make, w):
    make.run(register.update_status, actor=w.lead, action_id=w.scrubbing, status="done",
             note="Both agreements signed and filed.")
    page = browser(app, w.gov_colleague).get("/").get_data(as_text=True)
    assert f">CA-{w.scrubbing} " not in page and "Corrective action</span>" not in page


# --- REST ----------------------------------------------------------------------------------------------

ACTION_KEYS = {"id", "code", "report_id", "report", "exercise", "area", "capability", "action", "element",
               "responsible_org_id", "responsible_org", "contact", "start_date", "due_date", "status", "overdue",
               "evidence", "updates", "links"}


def test_the_rest_shapes_of_the_register(app, api, w, retest):
    body = api.get(w.isac_user, "/corrective-actions", org=w.gov.id).get_json()
    assert list(body) == ["corrective_actions"]
    [item] = body["corrective_actions"]
    assert set(item) == ACTION_KEYS
    assert item == {
        "id": w.scrubbing, "code": f"CA-{w.scrubbing}", "report_id": w.report,
        "report": "After-action report: DNS amplification against ministry portals", "exercise": False,
        "area": "Ministries had no scrubbing contract", "capability": "recovery",
        "action": "Sign standing DDoS-scrubbing agreements", "element": "planning", "responsible_org_id": w.gov.id,
        "responsible_org": "Government Sector CERT", "contact": "Head of operations",
        "start_date": str(TODAY - timedelta(days=50)), "due_date": str(TODAY - timedelta(days=5)), "status": "open",
        "overdue": True, "evidence": "", "updates": [], "links": []}
    assert api.get(w.isac_user, f"/corrective-actions/{w.scrubbing}").get_json() == item

    short = api.post(w.lead, f"/corrective-actions/{w.scrubbing}/status", json={"status": "done", "note": "ok"})
    assert short.status_code == 422 and set(short.get_json()) == {"error", "fields"}
    assert "note" in short.get_json()["fields"]
    assert api.post(w.lead, f"/corrective-actions/{w.scrubbing}/status", data="x").status_code == 400
    updated = api.post(w.lead, f"/corrective-actions/{w.scrubbing}/status",
                       json={"status": "done", "note": "Agreements signed and filed (ref 17)."})
    assert updated.status_code == 200
    done = updated.get_json()
    assert (done["status"], done["overdue"], done["evidence"]) == ("done", False,
                                                                  "Agreements signed and filed (ref 17).")
    [update] = done["updates"]
    assert set(update) == {"status", "note", "by", "at"} and (update["status"], update["by"]) == ("done", "Gina Gov")

    linked = api.post(w.telco_user, f"/corrective-actions/{w.scrubbing}/links",
                      json={"relation": "validates", "scenario_id": retest.id, "msel_id": "R1"})
    assert linked.status_code == 201
    assert set(linked.get_json()) == ACTION_KEYS
    [link] = linked.get_json()["links"]
    assert set(link) == {"relation", "scenario_id", "msel_id", "room_id", "note", "by", "at"}
    assert (link["relation"], link["scenario_id"], link["msel_id"], link["by"]) == (
        "validates", retest.id, "R1", "Tara Telco")
    bad = api.post(w.telco_user, f"/corrective-actions/{w.scrubbing}/links",
                   json={"relation": "validates", "scenario_id": retest.id, "msel_id": "R7"})
    assert bad.status_code == 422 and "msel_id" in bad.get_json()["fields"]
    hidden = api.post(w.isac_user, f"/corrective-actions/{w.scrubbing}/links",
                      json={"relation": "reappeared", "room_id": w.amber_room.id})
    assert hidden.status_code == 404
    assert api.post(w.isac_user, f"/corrective-actions/{w.amber_action}/status",
                    json={"status": "done", "note": "Not visible to me at all"}).status_code == 404
    assert api.get(w.isac_user, "/corrective-actions/99999").status_code == 404


# --- what people are told ------------------------------------------------------------------------


def _told(app, user, kind):
    from council.notifications.models import Notification

    return read(app, lambda s: [n.title for n in s.scalars(select(Notification).where(
        Notification.user_id == user.id, Notification.kind == kind).order_by(Notification.id))])


def test_reviewers_are_asked_to_sign_off(app, w):
    asked = _told(app, w.telco_user, "review_requested")
    assert any(t.startswith("Sign-off asked of you: ") for t in asked)
    assert _told(app, w.isac_user, "review_requested") == []


def test_overdue_corrective_actions_are_told_to_the_responsible_organisation_once(app, make, w):
    from exercises.notices import corrective_overdue

    make.run(corrective_overdue)
    make.run(corrective_overdue)
    gov = _told(app, w.gov_colleague, "corrective_overdue")
    assert len(gov) == 1 and "overdue since" in gov[0]  # the published report's; never the draft's
    telco = _told(app, w.telco_user, "corrective_overdue")
    assert len(telco) == 1  # the AMBER report's action; the one due in 40 days is not overdue
    assert _told(app, w.isac_user, "corrective_overdue") == []
