"""Hostile input to the exercise and report endpoints never breaks a request: MSEL
numbers no database holds, wrong-typed or deeply nested scenario JSON, integers
beyond 64 bits in bodies, queries and page forms, unknown filters, spreadsheet
formulas in MSEL cells, and pages that must render again after a refused write.
Each is a 4xx naming what was wrong (or a row and column), never a 500, and
writes nothing."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from exercises.models import Exercise, Scenario, ScenarioInject
from exercises.reports.models import CorrectiveAction, ReportComment
from exercises.scenarios import msel
from exercises.scenarios import services as scenarios
from tests.conftest import csrf, login
from tests.exercises.helpers import count, inject, make_scenario, msel_text, read
from tests.exercises.report_helpers import closed_incident, publish_through_review, start
from tests.factories import PASSWORD

HUGE = 2**64 + 7
THIRTY_DIGITS = "9" * 30
DEEP = "[" * 100_000 + "]" * 100_000


def browser(app, user):
    client = app.test_client()
    login(client, user.email, PASSWORD)
    return client


def import_csv(api, user, text, title="Hostile"):
    return api.post(user, "/scenarios/import", query_string={"title": title}, data=text.encode("utf-8"),
                    content_type="text/csv")


def upload(client, name, content, **form):
    data = {"csrf_token": csrf(client, "/scenarios/import"), "file": (io.BytesIO(content), name), **form}
    return client.post("/scenarios/import", data=data, content_type="multipart/form-data")


def main_of(response):
    page = response.get_data(as_text=True)
    return page[page.index('<main id="main"'):page.index("</main>")]


# --- MSEL numbers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("priority", ["²", "٣", "0", "6", "10", "1.0", "+1", " 3x"])
def test_a_priority_other_than_1_to_5_is_a_row_error(api, people, app, run, priority):
    parsed = msel.parse_csv(msel_text(inject("1", "T+00:00", priority=priority)))
    assert [(e.row, e.column, e.message) for e in parsed.errors] == [(2, "priority", "a number from 1 to 5")]
    answer = import_csv(api, people.director, msel_text(inject("1", "T+00:00", priority=priority)))
    assert answer.status_code == 422 and answer.get_json()["rows"] == [
        {"row": 2, "column": "priority", "message": "a number from 1 to 5"}]
    edited = api.post(people.controller, f"/exercises/{run.id}/injects/1/edit", json={"priority": priority})
    assert edited.status_code == 422 and edited.get_json()["fields"] == {"priority": "a number from 1 to 5"}
    assert count(app, Scenario) == 1


@pytest.mark.parametrize("offset", ["D+99999999999999999999", "D+367", "H+8785", "M+527041", "T+8785:00",
                                    "99999999999999999999:00", "D+366 H+1", f"T+{'9' * 5000}:00"])
def test_an_offset_beyond_a_year_is_a_row_error_never_an_overflow(api, app, people, run, offset):
    answer = import_csv(api, people.director, msel_text(inject("1", "T+00:00"), inject("2", offset)))
    assert answer.status_code == 422
    [row] = answer.get_json()["rows"]
    assert (row["row"], row["column"]) == (3, "offset") and "at most 366 days" in row["message"]
    edited = api.post(people.controller, f"/exercises/{run.id}/injects/2/edit", json={"offset": offset})
    assert edited.status_code == 422 and "366 days" in edited.get_json()["fields"]["offset"]
    assert count(app, Scenario) == 1  # the fixture's


@pytest.mark.parametrize(("written", "seconds", "exported"), [
    ("D+42", 42 * 86_400, "T+1008:00"),
    ("T+999:59", 999 * 3600 + 59 * 60, "T+999:59"),
    ("D+366", 366 * 86_400, "T+8784:00"),
    ("1000:30", 1000 * 3600 + 1800, "T+1000:30"),
])
def test_offsets_of_a_thousand_hours_and_more_export_and_import_again(make, people, written, seconds, exported):
    first = make.run(scenarios.import_csv, actor=people.director, title="Long", text=msel_text(inject("1", written)))
    assert first.injects[0].offset_s == seconds
    text = read(make.app, lambda s: msel.to_csv(scenarios.get_scenario(s, first.id).injects))
    assert text.split("\r\n")[1].startswith(f"1,{exported},")
    second = make.run(scenarios.import_csv, actor=people.director, title="Long again", text=text)
    assert second.injects[0].offset_s == seconds
    assert read(make.app, lambda s: msel.to_csv(scenarios.get_scenario(s, second.id).injects)) == text


def test_a_cell_longer_than_its_column_is_a_row_error_not_a_failed_write(api, app, people):
    row = inject("1", "T+00:00", "t" * 301, from_="f" * 201, controller="c" * 101)
    answer = import_csv(api, people.director, msel_text(row))
    assert answer.status_code == 422
    assert [(r["column"], r["message"]) for r in answer.get_json()["rows"]] == [
        ("from", "at most 200 characters"), ("title", "at most 300 characters"),
        ("controller", "at most 100 characters")]
    assert count(app, Scenario) == 0


def test_ids_equal_once_stored_repeat_instead_of_failing_the_write(api, app, people):
    rows = (inject("1", "T+00:00"), inject("1\u202e", "T+00:05"), inject("1\x00", "T+00:10"))
    answer = import_csv(api, people.director, msel_text(*rows))
    assert answer.status_code == 422
    assert answer.get_json()["rows"] == [{"row": 3, "column": "msel_id", "message": "'1' repeats row 2"},
                                         {"row": 4, "column": "msel_id", "message": "'1' repeats row 2"}]
    assert count(app, Scenario) == 0


@pytest.mark.parametrize("text", [
    "x" * 200_000 + ",offset,title\r\n1,T+00:00,t\r\n",  # a header cell beyond the csv module's limit
    "msel_id,offset,title," + ",".join(f"c{n}" for n in range(100)) + "\r\n1,T+00:00,t\r\n",
    "msel_id,offset,title," + "c" * 101 + "\r\n1,T+00:00,t,x\r\n",
    "msel_id,offset,title\r\n1,T+00:00," + "y" * 200_000 + "\r\n",
])
def test_malformed_csv_files_are_refused_with_their_row(api, app, people, text):
    answer = import_csv(api, people.director, text)
    assert answer.status_code == 422 and answer.get_json()["rows"][0]["row"] in (1, 2)
    assert count(app, Scenario) == 0


# --- spreadsheet formulas -------------------------------------------------------------------------

FORMULAS = {"title": '=HYPERLINK("http://x")', "message": "\tindented, with a leading tab", "from": "@cmd",
            "controller": "-1", "expected_action": "+x", "notes": "\rcarriage return first", "=cmd": "=1+1"}


def test_msel_exports_guard_formulas_and_import_gives_the_text_back(app, api, client, make, people):
    doc = {"title": "Formulas", "injects": [{"msel_id": "1", "offset": "T+00:00", **FORMULAS}]}
    first = make.run(scenarios.import_json, actor=people.director, doc=doc)
    login(client, people.director.email, PASSWORD)
    page = client.get(f"/scenarios/{first.id}/msel.csv")
    rest = api.get(people.director, f"/scenarios/{first.id}/msel.csv")
    assert page.status_code == rest.status_code == 200 and page.data == rest.data
    assert f'filename="msel-{first.id}-v1.csv"' in page.headers["Content-Disposition"]
    cells = [cell for line in csv.reader(io.StringIO(page.get_data(as_text=True), newline="")) for cell in line]
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert live == []
    assert {"'=cmd", '\'=HYPERLINK("http://x")', "'@cmd", "'-1", "'+x", "'\tindented, with a leading tab",
            "'=1+1"} <= set(cells)
    second = import_csv(api, people.director, page.get_data(as_text=True), title="Formulas").get_json()
    again = read(app, lambda s: scenarios.export_json(scenarios.get_scenario(s, second["id"])))
    assert {k: again["injects"][0][k] for k in FORMULAS} == FORMULAS
    assert again["injects"] == read(app, lambda s: scenarios.export_json(scenarios.get_scenario(s, first.id)))[
        "injects"]


# --- scenario JSON ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("change", "field"), [
    ({"sectors": "telecom"}, "sectors"),
    ({"sectors": [["telecom"]]}, "sectors"),
    ({"sectors": ["moon"]}, "sectors"),
    ({"capabilities": "detection"}, "capabilities"),
    ({"capabilities": [1]}, "capabilities"),
    ({"capabilities": ["telepathy"]}, "capabilities"),
    ({"summary": 0}, "summary"),
    ({"summary": None}, "summary"),
    ({"title": ["x"]}, "title"),
    ({"threat": {"a": 1}}, "threat"),
    ({"difficulty": "impossible"}, "difficulty"),
    ({"duration_min": "120"}, "duration_min"),
    ({"duration_min": HUGE}, "duration_min"),
    ({"duration_min": True}, "duration_min"),
    ({"objectives": "O1"}, "objectives"),
    ({"objectives": [1]}, "objectives"),
    ({"objectives": [{"id": "O1"}]}, "objectives.text"),
    ({"objectives": [{"id": "O1", "text": 1}]}, "objectives.text"),
    ({"objectives": [{"id": "O1", "text": "a", "weight": 2}]}, "objectives.weight"),
    ({"injects": "1,T+00:00,x"}, "injects"),
    ({"injects": [["1", "T+00:00"]]}, "injects"),
    ({"injects": [{"msel_id": "1", "offset": "T+00:00", "title": ["x"]}]}, "injects.title"),
    ({"injects": [{"msel_id": 1, "offset": "T+00:00", "title": "x"}]}, "injects.msel_id"),
    ({"admin": True}, "admin"),
])
def test_wrong_typed_scenario_json_is_422_naming_the_field(app, api, client, people, change, field):
    doc = {"title": "Typed", "injects": [{"msel_id": "1", "offset": "T+00:00", "title": "x"}], **change}
    answer = api.post(people.director, "/scenarios", json=doc)
    assert answer.status_code == 422 and field in answer.get_json()["fields"], answer.get_json()
    login(client, people.director.email, PASSWORD)
    page = upload(client, "typed.json", json.dumps(doc).encode())
    assert page.status_code == 422 and field.split(".")[0].replace("_", " ").capitalize() in main_of(page)
    assert count(app, Scenario) == 0


def test_scenario_json_nested_too_deep_or_not_an_object_is_400(app, api, client, people):
    login(client, people.director.email, PASSWORD)
    for body in (DEEP, "[1]", "{", '"a scenario"'):
        answer = api.client.post("/api/v1/scenarios", data=body, headers={
            **api.headers(people.director), "Content-Type": "application/json"})
        assert answer.status_code == 400 and "JSON" in answer.get_json()["error"], body[:10]
        page = upload(client, "deep.json", body.encode())
        assert page.status_code == 400 and "not valid JSON" in main_of(page)
    assert count(app, Scenario) == 0


def test_a_scenario_json_file_with_a_bom_imports(app, client, people):
    login(client, people.director.email, PASSWORD)
    answer = upload(client, "s.json", '\ufeff{"title": "BOM", "injects": [{"msel_id": "1", "offset": "T+00:00", '
                                      '"title": "x"}]}'.encode())
    assert answer.status_code == 302 and count(app, ScenarioInject) == 1


# --- pages render again after a refused (rolled back) write ---------------------------------------------

def test_the_msel_import_page_renders_after_every_refusal(app, client, people):
    login(client, people.director.email, PASSWORD)
    cases = [
        (("bad.csv", msel_text(inject("1", "T+00:00"), inject("2", "D+99999999999999999999")).encode()), 422,
         "at most 366 days"),
        (("prio.csv", msel_text(inject("1", "T+00:00", priority="²")).encode()), 422, "a number from 1 to 5"),
        (("latin1.csv", "msel_id,offset,title\r\n1,T+00:00,Café\r\n".encode("latin-1")), 422, "UTF-8"),
        (("empty.csv", b""), 422, "Choose a file"),
        (("s.json", b'{"title": "x", "summary": 0}'), 422, "Must be text"),
    ]
    for (name, content), status, text in cases:
        answer = upload(client, name, content, title="x" * 10)
        assert answer.status_code == status, name
        assert text in answer.get_data(as_text=True) and people.director.name in answer.get_data(as_text=True)
    long_title = upload(client, "ok.csv", msel_text(inject("1", "T+00:00")).encode(), title="t" * 300)
    assert long_title.status_code == 422 and "Title" in main_of(long_title)
    assert count(app, Scenario) == 0


def test_scenario_and_exercise_pages_render_after_a_refused_write(app, client, people, scenario):
    login(client, people.director.email, PASSWORD)
    token = csrf(client, "/scenarios/new")
    created = client.post("/scenarios/new", data={"csrf_token": token, "title": " ", "duration_min": THIRTY_DIGITS})
    assert created.status_code == 200 and "Duration min" in main_of(created)
    edited = client.post(f"/scenarios/{scenario.id}/edit", data={"csrf_token": token, "title": "x",
                                                                  "sectors": "moon"})
    assert edited.status_code == 200 and "Sectors" in main_of(edited) and people.director.name in edited.get_data(
        as_text=True)
    new = client.post("/exercises/new", data={"csrf_token": token, "scenario_id": THIRTY_DIGITS, "title": "x",
                                              "orgs": [THIRTY_DIGITS], "speed": "1"})
    assert new.status_code == 200 and "No such scenario" in main_of(new)
    assert (count(app, Scenario), count(app, Exercise)) == (1, 0)


def test_the_new_run_page_refuses_an_organisation_written_in_superscript(app, client, people, scenario):
    login(client, people.director.email, PASSWORD)
    answer = client.post("/exercises/new", data={"csrf_token": csrf(client, "/exercises/new"),
                                                 "scenario_id": str(scenario.id), "title": "x", "orgs": ["²"]})
    assert answer.status_code == 200 and "participating organisation ids" in main_of(answer)


# --- integers beyond 64 bits, unknown and malformed filters ----------------------------------------------

@pytest.fixture
def report(make):
    """A published incident report (its suggested corrective action is in the register) and a draft."""
    org = make.org("Hostile CERT", sector="government")
    lead = make.user("lead@hostile.example", org=org, name="Lee Lead")
    published = start(make, lead, closed_incident(make, lead, orgs=(org,), tlp="GREEN").id)
    publish_through_review(make, lead, published.id, [lead])
    draft = start(make, lead, closed_incident(make, lead, orgs=(org,), tlp="GREEN", title="Second incident").id)
    action = read(make.app, lambda s: s.scalars(select(CorrectiveAction.id).where(
        CorrectiveAction.report_id == published.id)).first())
    return SimpleNamespace(org=org, lead=lead, published=published.id, draft=draft.id, action=action)


def test_integers_beyond_64_bits_in_rest_bodies_are_422(app, api, people, scenario, report):
    cases = [
        ("/exercises", {"scenario_id": HUGE, "title": "x", "orgs": [people.bank.id]}, "scenario_id"),
        ("/exercises", {"scenario_id": scenario.id, "title": "x", "orgs": [HUGE]}, "orgs"),
        ("/exercises", {"scenario_id": scenario.id, "title": "x", "orgs": [-1]}, "orgs"),
        ("/reports", {"room_id": HUGE}, "room_id"),
        (f"/reports/{report.draft}/comments", {"section": "overview", "body": "x", "parent_id": HUGE}, "parent_id"),
        (f"/reports/{report.draft}/actions", {"area": "x", "responsible_org_id": HUGE}, "responsible_org_id"),
        (f"/reports/{report.draft}/sections/overview", {"body": "x", "version": HUGE}, "version"),
        (f"/corrective-actions/{report.action}/links", {"relation": "validates", "scenario_id": HUGE,
                                                        "msel_id": "1"}, "scenario_id"),
        (f"/corrective-actions/{report.action}/links", {"relation": "reappeared", "room_id": HUGE}, "room_id"),
    ]
    for path, body, field in cases:
        user = report.lead if "report" in path or "corrective" in path else people.director
        answer = api.post(user, path, json=body)
        assert answer.status_code == 422 and field in answer.get_json()["fields"], (path, answer.get_json())
    assert count(app, Exercise) == 0 and count(app, ReportComment) == 0


@pytest.mark.parametrize(("path", "query", "field"), [
    ("/reports", "year=abc", "year"),
    ("/reports", f"org={HUGE}", "org"),
    ("/reports", "type=memo", "type"),
    ("/reports", "sector=moon", "sector"),
    ("/reports", "capability=telepathy", "capability"),
    ("/reports", "tlp=null", "tlp"),
    ("/reports", "from=", "from"),
    ("/corrective-actions", f"org={HUGE}", "org"),
    ("/corrective-actions", "status=lost", "status"),
    ("/corrective-actions", "overdue=perhaps", "overdue"),
    ("/corrective-actions", "from=", "from"),
    ("/scenarios", "sector=moon", "sector"),
    ("/scenarios", "capability=telepathy", "capability"),
    ("/scenarios", "tlp=null", "tlp"),
])
def test_malformed_or_unknown_filters_are_422_naming_the_field(api, client, people, path, query, field):
    answer = api.client.get(f"/api/v1{path}?{query}", headers=api.headers(people.director))
    assert answer.status_code == 422 and field in answer.get_json()["fields"], answer.get_json()
    page = {"/reports": "/reports/", "/corrective-actions": "/actions/", "/scenarios": "/scenarios/"}[path]
    login(client, people.director.email, PASSWORD)
    # A page's filter form sends its empty fields ("any"); those alone are not refused.
    assert client.get(f"{page}?{query}").status_code == (200 if query.endswith("=") else 422)


def test_filters_in_words_still_work(api, people, scenario):
    listed = api.get(people.director, "/scenarios", capability="Coordination").get_json()["scenarios"]
    assert listed == []
    assert api.get(people.director, "/reports", year="2026", capability="public communication").status_code == 200
    assert api.get(people.director, "/corrective-actions", overdue="true", org=people.bank.id).status_code == 200


def test_page_forms_with_numbers_beyond_64_bits_are_refused_not_an_overflow(app, report, scenario):
    client = browser(app, report.lead)
    token = csrf(client, "/reports/")
    assert client.post("/reports/", data={"csrf_token": token, "room_id": THIRTY_DIGITS}).status_code == 404
    assert client.get(f"/reports/{report.draft}/compare?with={THIRTY_DIGITS}").status_code == 404
    assert client.get(f"/reports/{report.draft}/compare?with=%C2%B2").status_code == 404
    for parent in (THIRTY_DIGITS, "²", "-1"):
        commented = client.post(f"/reports/{report.draft}/comments", data={
            "csrf_token": token, "section": "overview", "body": "Hello", "parent_id": parent}, follow_redirects=True)
        assert commented.status_code == 200 and "No such comment on this report" in commented.get_data(as_text=True)
    for org in (THIRTY_DIGITS, "²"):
        saved = client.post(f"/reports/{report.draft}/actions", data={
            "csrf_token": token, "area": "x", "responsible_org_id": org}, follow_redirects=True)
        assert saved.status_code == 200 and "No such organisation" in saved.get_data(as_text=True)
    for field in ("scenario_id", "room_id"):
        linked = client.post(f"/actions/{report.action}", data={
            "csrf_token": token, "form": "link", "relation": "validates" if field == "scenario_id" else "reappeared",
            field: THIRTY_DIGITS, "msel_id": "1"})
        assert linked.status_code == 200 and "Not linked" in main_of(linked), field
    assert count(app, ReportComment) == 0


@pytest.mark.parametrize("day", ["9999-12-31T23:59:59-12:00", "10000-01-01", "2026-02-30", "²"])
def test_dates_out_of_range_are_422_on_rest_and_the_page(app, api, report, day):
    answer = api.post(report.lead, f"/reports/{report.draft}/actions", json={"area": "x", "due_date": day})
    assert answer.status_code == 422 and "due_date" in answer.get_json()["fields"]
    client = browser(app, report.lead)
    saved = client.post(f"/reports/{report.draft}/actions", data={
        "csrf_token": csrf(client, "/reports/"), "area": "x", "due_date": day}, follow_redirects=True)
    assert saved.status_code == 200 and "A date (YYYY-MM-DD)" in saved.get_data(as_text=True)


def test_long_text_in_paths_and_bodies_is_refused(api, people, run, report):
    long = "x" * 10_000
    assert api.post(people.controller, f"/exercises/{run.id}/injects/{long}/release").status_code in (404, 409)
    assert api.post(people.controller, f"/exercises/{run.id}/injects/{long}/hold").status_code == 404
    assert api.post(report.lead, f"/reports/{report.draft}/sections/{long}",
                    json={"body": "x", "version": 1}).status_code == 404
    comment = api.post(report.lead, f"/reports/{report.draft}/comments", json={"section": long, "body": "x"})
    assert comment.status_code == 422 and "section" in comment.get_json()["fields"]
    stop = api.post(people.director, f"/exercises/{run.id}/stop", json={"reason": long})
    assert stop.status_code == 422 and "reason" in stop.get_json()["fields"]
    team = api.post(people.director, "/exercises", json={"scenario_id": run.scenario_id, "title": "x",
                                                         "orgs": [people.bank.id], "players": {long: []}})
    assert team.status_code == 422 and team.get_json()["fields"] == {"players": "Team names of at most 200 characters."}


def test_team_names_equal_once_stored_are_refused_not_a_failed_write(app, api, people, scenario):
    answer = api.post(people.director, "/exercises", json={
        "scenario_id": scenario.id, "title": "Twins", "orgs": [people.bank.id, people.telco.id],
        "players": {"Blue": [people.player_a.email], "Blue\u202e": [people.player_b.email]}})
    assert answer.status_code == 422 and answer.get_json()["fields"] == {"players": "Two teams are named 'Blue'."}
    assert count(app, Exercise) == 0


def test_a_reviewer_named_twice_reviews_once(app, api, report):
    client = browser(app, report.lead)
    sent = client.post(f"/reports/{report.draft}/submit", data={
        "csrf_token": csrf(client, "/reports/"), "reviewers": f"{report.lead.email}, {report.lead.email.upper()}"})
    assert sent.status_code == 302
    again = api.post(report.lead, f"/reports/{report.draft}/review", json={"decision": "changes", "note": "Redo"})
    assert again.status_code == 200 and again.get_json()["status"] == "draft"
    answer = api.post(report.lead, f"/reports/{report.draft}/submit", json={
        "reviewers": [report.lead.email, report.lead.email.upper(), report.lead.email]})
    assert answer.status_code == 200
    assert [r["user_id"] for r in answer.get_json()["reviewers"]] == [report.lead.id]


def test_optional_bodies_may_be_left_out_but_not_be_junk(api, people, run):
    assert api.post(people.controller, f"/exercises/{run.id}/injects/2/hold").get_json()["status"] == "held"
    unheld = api.post(people.controller, f"/exercises/{run.id}/injects/2/hold", json={"held": False})
    assert unheld.get_json()["status"] == "pending"
    assert api.post(people.controller, f"/exercises/{run.id}/injects/2/hold", json={"held": "no"}).status_code == 422
    assert api.post(people.controller, f"/exercises/{run.id}/injects/2/hold", data="held").status_code == 400
    started = api.post(people.controller, f"/exercises/{run.id}/start", json={"reason": 7})
    assert started.status_code == 422 and "reason" in started.get_json()["fields"]
    assert api.post(people.controller, f"/exercises/{run.id}/start", data=DEEP,
                    content_type="application/json").status_code == 400
    assert api.post(people.controller, f"/exercises/{run.id}/start").get_json()["state"] == "running"


def test_a_json_import_with_wrong_typed_rows_writes_nothing_through_the_service(make, people):
    with pytest.raises(scenarios.Invalid) as caught:
        make.run(scenarios.import_json, actor=people.director, doc={"title": "x", "injects": [{"title": 5}]})
    assert set(caught.value.fields) == {"injects.title"}
    assert make_scenario(make, people.director).injects  # the library still takes good files
