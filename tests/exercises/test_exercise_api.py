"""The exercise REST contract under /api/v1: MSEL import/export, runs, the clock,
release, denials, and an OpenAPI document that covers every /api/v1 route."""

from __future__ import annotations

import re

import pytest

from exercises.models import Exercise, ExerciseInject, Scenario, ScenarioInject
from exercises.scenarios import msel
from exercises.scenarios import services as scenarios
from tests.exercises.helpers import BANK, TELCO, count, inject, msel_text, read, released_counts

GOOD = msel_text(inject("1", "T+00:00", "First alert", to="all"),
                 inject("2", "00:10", "Bank call", to=BANK, expected_action="Isolate"),
                 inject("3", "D+0 H+0 M+20", "Press", to="all", release="manual", venue="HQ"), extra=("venue",))


def import_csv(api, user, text, title="Imported via API", **kwargs):
    return api.post(user, "/scenarios/import", query_string={"title": title} if title else {},
                    data=text.encode("utf-8"), content_type="text/csv", **kwargs)


# --- MSEL ---------------------------------------------------------------------------------

def test_import_csv_creates_a_scenario(app, api, people):
    response = import_csv(api, people.director, GOOD, title="Payment switch")
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"id", "injects"} and body["injects"] == 3
    scenario = read(app, lambda s: scenarios.export_json(scenarios.get_scenario(s, body["id"])))
    assert scenario["title"] == "Payment switch"
    assert [(i["msel_id"], i["offset"], i["title"]) for i in scenario["injects"]] == [
        ("1", "T+00:00", "First alert"), ("2", "T+00:10", "Bank call"), ("3", "T+00:20", "Press")]
    assert scenario["injects"][2]["venue"] == "HQ"


def test_import_csv_with_bad_rows_answers_422_with_every_row_and_imports_nothing(app, api, people):
    bad = msel_text(inject("1", "T+00:00"), inject("2", "T+0:7"), inject("1", "T+00:20", type="rumour"),
                    inject("4", "T+00:30", depends_on="nope"))
    response = import_csv(api, people.director, bad)
    assert response.status_code == 422
    body = response.get_json()
    assert set(body) == {"error", "rows"} and "nothing was written" in body["error"]
    assert [(r["row"], r["column"]) for r in body["rows"]] == [
        (3, "offset"), (4, "type"), (4, "msel_id"), (5, "depends_on")]
    assert all(r["message"] for r in body["rows"])
    assert (count(app, Scenario), count(app, ScenarioInject)) == (0, 0)


def test_import_csv_refuses_missing_columns_non_utf8_and_a_missing_title(app, api, people):
    missing = import_csv(api, people.director, "msel_id,offset\r\n1,T+00:00\r\n")
    assert missing.status_code == 422
    assert missing.get_json()["rows"] == [{"row": 1, "column": "title", "message": "required column is missing"}]
    latin1 = api.post(people.director, "/scenarios/import", query_string={"title": "x"},
                      data=GOOD.replace("First alert", "Café").encode("latin-1"), content_type="text/csv")
    assert latin1.status_code == 422 and latin1.get_json()["rows"][0]["message"] == "not UTF-8"
    untitled = import_csv(api, people.director, GOOD, title="")
    assert untitled.status_code == 422 and "title" in untitled.get_json()["fields"]
    assert count(app, Scenario) == 0


def test_msel_csv_download_equals_the_export(app, api, people):
    created = import_csv(api, people.director, GOOD).get_json()
    response = api.get(people.director, f"/scenarios/{created['id']}/msel.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f'filename="msel-{created["id"]}-v1.csv"' in response.headers["Content-Disposition"]
    expected = read(app, lambda s: msel.to_csv(scenarios.get_scenario(s, created["id"]).injects))
    assert response.get_data(as_text=True) == expected
    # ... and importing the download gives the same MSEL back.
    again = import_csv(api, people.director, expected, title="Round trip").get_json()
    assert api.get(people.director, f"/scenarios/{again['id']}/msel.csv").get_data(as_text=True) == expected
    assert api.get(people.director, "/scenarios/9999/msel.csv").status_code == 404


def test_json_import_and_export_over_rest(api, people):
    created = import_csv(api, people.director, GOOD).get_json()
    doc = api.get(people.director, f"/scenarios/{created['id']}").get_json()
    assert doc["id"] == created["id"] and len(doc["injects"]) == 3
    posted = api.post(people.director, "/scenarios", json={k: v for k, v in doc.items()
                                                           if k not in ("id", "family_id")})
    assert posted.status_code == 201 and posted.get_json()["injects"] == 3
    copy = api.get(people.director, f"/scenarios/{posted.get_json()['id']}").get_json()
    assert {k: v for k, v in copy.items() if k not in ("id", "family_id")} == {
        k: v for k, v in doc.items() if k not in ("id", "family_id")}
    bad = api.post(people.director, "/scenarios", json={"title": "x", "injects": [{"msel_id": "1", "offset": "?",
                                                                                    "title": "t"}]})
    assert bad.status_code == 422 and bad.get_json()["rows"][0]["column"] == "offset"
    listed = api.get(people.player_b, "/scenarios").get_json()["scenarios"]
    assert {s["id"] for s in listed} == {created["id"], posted.get_json()["id"]}
    assert all("injects" not in s and s["inject_count"] == 3 for s in listed)


# --- runs ----------------------------------------------------------------------------------------

def new_run(api, people, scenario, **changes):
    body = {"scenario_id": scenario, "title": "API drill", "orgs": [people.bank.id, people.telco.id],
            "controllers": [people.controller.email], "evaluators": [people.evaluator.email],
            "players": {BANK: [people.player_a.email], TELCO: [people.player_b.email]},
            "observers": [people.observer.email], "speed": 60}
    body.update(changes)
    return api.post(people.director, "/exercises", json=body)


@pytest.fixture
def scenario_id(api, people):
    return import_csv(api, people.director, GOOD).get_json()["id"]


@pytest.fixture
def run_ids(api, people, scenario_id):
    response = new_run(api, people, scenario_id)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_create_exercise_answers_201_with_id_and_room(app, api, people, run_ids):
    assert set(run_ids) == {"id", "room_id"}
    ex = read(app, lambda s: s.get(Exercise, run_ids["id"]))
    assert (ex.room_id, ex.title, ex.speed, ex.state) == (run_ids["room_id"], "API drill", 60.0, "planned")
    assert count(app, ExerciseInject, ExerciseInject.exercise_id == ex.id) == 3
    shown = api.get(people.player_a, f"/exercises/{run_ids['id']}").get_json()
    assert (shown["role"], shown["state"], shown["room_id"]) == ("player", "planned", run_ids["room_id"])
    assert [t["name"] for t in shown["teams"]] == [BANK, TELCO]


@pytest.mark.parametrize(("changes", "field"), [
    ({"scenario_id": 9999}, "scenario_id"),
    ({"speed": 0}, "speed"),
    ({"speed": 61}, "speed"),
    ({"title": ""}, "title"),
    ({"orgs": "all"}, "orgs"),
    ({"players": {BANK: ["nobody@example.org"]}}, "players"),
    ({"evaluators": ["controller@bank.example"]}, "people"),
])
def test_create_exercise_answers_422_on_bad_input(app, api, people, scenario_id, changes, field):
    response = new_run(api, people, scenario_id, **changes)
    assert response.status_code == 422
    assert field in response.get_json()["fields"]
    assert count(app, Exercise) == 0


@pytest.mark.parametrize("players", [None, {}])
def test_create_exercise_without_players_makes_a_team_per_organisation_of_its_members(app, api, people,
                                                                                      scenario_id, players):
    body = {"scenario_id": scenario_id, "title": "API drill", "orgs": [people.bank.id, people.telco.id],
            "controllers": [people.controller.email], "evaluators": [people.evaluator.email],
            "observers": [people.observer.email]}
    response = api.post(people.director, "/exercises", json=body if players is None else {**body, "players": players})
    assert response.status_code == 201, response.get_json()
    shown = api.get(people.outsider, f"/exercises/{response.get_json()['id']}").get_json()
    teams = {t["id"]: t["name"] for t in shown["teams"]}
    assert shown["role"] == "player" and teams[shown["team_id"]] == BANK
    assert sorted((p["name"], teams[p["team_id"]]) for p in shown["people"] if p["role"] == "player") == [
        ("Otto Outsider", BANK), ("Paula Bank", BANK), ("Pete Telco", TELCO)]


def test_create_exercise_with_a_team_without_players_answers_422_naming_it(app, api, people, scenario_id):
    response = new_run(api, people, scenario_id, players={BANK: [people.player_a.email], TELCO: []})
    assert response.status_code == 422
    assert response.get_json()["fields"] == {
        "players": f"Team '{TELCO}' has no players: name some, or leave that team out."}
    omitted = new_run(api, people, scenario_id, players=None, controllers=[people.player_b.email])
    assert omitted.status_code == 422
    assert omitted.get_json()["fields"] == {
        "players": f"Team '{TELCO}' has no players: name some, or leave that organisation out."}
    assert count(app, Exercise) == 0


def test_create_exercise_needs_a_json_object(api, people):
    response = api.post(people.director, "/exercises", data="scenario_id=1", content_type="text/plain")
    assert response.status_code in (400, 422) and "JSON" in response.get_json()["error"]


def test_clock_endpoints_answer_state_and_t_plus(api, people, run_ids):
    ex = run_ids["id"]
    started = api.post(people.controller, f"/exercises/{ex}/start")
    assert started.status_code == 200
    assert started.get_json()["state"] == "running" and 0 <= started.get_json()["t_plus_s"] < 60
    paused = api.post(people.controller, f"/exercises/{ex}/pause").get_json()
    assert paused["state"] == "paused"
    frozen = api.post(people.controller, f"/exercises/{ex}/resume").get_json()
    assert frozen["state"] == "running" and frozen["t_plus_s"] >= paused["t_plus_s"]
    again = api.post(people.controller, f"/exercises/{ex}/start")
    assert again.status_code == 409 and "cannot start" in again.get_json()["error"].lower()
    ended = api.post(people.controller, f"/exercises/{ex}/end").get_json()
    assert set(ended) == {"state", "t_plus_s"} and ended["state"] == "ended"
    assert api.post(people.controller, f"/exercises/{ex}/rewind").status_code == 404


def test_only_the_director_stops_with_a_reason(api, people, run_ids):
    ex = run_ids["id"]
    api.post(people.controller, f"/exercises/{ex}/start")
    refused = api.post(people.controller, f"/exercises/{ex}/stop", json={"reason": "x"})
    assert refused.status_code == 403 and "director" in refused.get_json()["error"]
    stopped = api.post(people.director, f"/exercises/{ex}/stop", json={"reason": "Real fire alarm"})
    assert stopped.status_code == 200 and stopped.get_json()["state"] == "stopped"
    events = api.get(people.player_b, f"/rooms/{run_ids['room_id']}/events", since=0).get_json()["events"]
    [stop] = [e for e in events if e["kind"] == "clock" and e["op"] == "stop"]
    assert stop["reason"] == "Real fire alarm" and "REAL-WORLD EMERGENCY" in stop["body"]


def test_release_endpoint_releases_once(app, api, people, run_ids):
    ex, room = run_ids["id"], run_ids["room_id"]
    early = api.post(people.controller, f"/exercises/{ex}/injects/3/release")
    assert early.status_code == 409  # not started
    api.post(people.controller, f"/exercises/{ex}/start")
    released = api.post(people.controller, f"/exercises/{ex}/injects/3/release")
    assert released.status_code == 200
    body = released.get_json()
    assert (body["msel_id"], body["status"], body["title"]) == ("3", "released", "Press")
    assert isinstance(body["released_seq"], int)
    assert api.post(people.director, f"/exercises/{ex}/injects/3/release").status_code == 409
    assert api.post(people.controller, f"/exercises/{ex}/injects/nope/release").status_code == 404
    assert released_counts(app, room) == {"3": 1}
    events = api.get(people.player_a, f"/rooms/{room}/events", since=body["released_seq"] - 1).get_json()["events"]
    assert (events[0]["kind"], events[0]["msel_id"], events[0]["exercise"]) == ("inject", "3", True)


def test_hold_edit_and_adhoc_endpoints(api, people, run_ids):
    ex = run_ids["id"]
    held = api.post(people.controller, f"/exercises/{ex}/injects/2/hold", json={"held": True})
    assert held.status_code == 200 and held.get_json()["status"] == "held"
    edited = api.post(people.controller, f"/exercises/{ex}/injects/2/edit", json={"title": "Bank call (edited)"})
    assert edited.status_code == 200 and (edited.get_json()["title"], edited.get_json()["edited"]) == (
        "Bank call (edited)", True)
    bad = api.post(people.controller, f"/exercises/{ex}/injects/2/edit", json={"offset": "soon"})
    assert bad.status_code == 422 and "offset" in bad.get_json()["fields"]
    api.post(people.controller, f"/exercises/{ex}/start")
    adhoc = api.post(people.controller, f"/exercises/{ex}/injects", json={"title": "Regulator", "to": TELCO})
    assert adhoc.status_code == 201 and (adhoc.get_json()["msel_id"], adhoc.get_json()["status"]) == (
        "AH-1", "released")
    assert api.post(people.player_b, f"/exercises/{ex}/injects", json={"title": "x"}).status_code == 403


def test_denials_403_for_the_wrong_role_404_for_outsiders(app, api, people, run_ids):
    ex = run_ids["id"]
    for path in ("start", "pause", "stop", "injects/1/release", "injects/1/hold"):
        player = api.post(people.player_a, f"/exercises/{ex}/{path}")
        assert player.status_code == 403, path
        assert api.post(people.observer, f"/exercises/{ex}/{path}").status_code == 403
    assert api.post(people.evaluator, f"/exercises/{ex}/start").status_code == 403
    for method, path in (("post", "start"), ("post", "injects/1/release"), ("get", "")):
        response = getattr(api, method)(people.outsider, f"/exercises/{ex}" + (f"/{path}" if path else ""))
        assert response.status_code == 404, path
        assert response.get_json()["error"] == "No such exercise."
    assert read(app, lambda s: s.get(Exercise, ex).state) == "planned"
    assert api.client.post(f"/api/v1/exercises/{ex}/start").status_code == 401  # no token at all


# --- OpenAPI -------------------------------------------------------------------------------------------

def documented_paths(rule: str) -> list[str]:
    """Flask rule -> OpenAPI path(s): converters become {name}; any(...) expands to each value."""
    path = rule[len("/api/v1"):]
    choices = re.search(r"<any\(([^)]*)\):[^>]+>", path)
    if choices:
        return [p for value in choices.group(1).split(",")
                for p in documented_paths("/api/v1" + path.replace(choices.group(0), value.strip()))]
    return [re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", path)]


def test_openapi_documents_every_api_v1_route(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.get_json()["paths"]
    missing = []
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        for path in documented_paths(rule.rule):
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                checked += 1
                if method.lower() not in paths.get(path, {}):
                    missing.append(f"{method} {path}")
    assert missing == []
    assert checked >= 20
    for op in ("start", "pause", "resume", "end", "stop"):
        assert paths[f"/exercises/{{exercise_id}}/{op}"]["post"]["responses"]["200"]
    assert "422" in paths["/scenarios/import"]["post"]["responses"]
    assert "text/csv" in paths["/scenarios/import"]["post"]["requestBody"]["content"]


EXERCISE_PATHS = ("/scenarios", "/exercises", "/reports", "/corrective-actions")


def test_exercise_and_report_operations_are_declared_with_their_shapes(app, client):
    """Written from the shapes the requests are validated with: no hand-written paths,
    a named schema for every JSON body and answer, the import's 422 with its rows."""
    from council.api import openapi

    assert not [p for p in openapi.PATHS if p.startswith(EXERCISE_PATHS)]  # add_paths: unused by exercises
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    operations = [(path, method, op) for path, ops in doc["paths"].items() if path.startswith(EXERCISE_PATHS)
                  for method, op in ops.items()]
    assert len(operations) == 30
    for path, method, op in operations:
        for status, answer in op["responses"].items():
            content = answer.get("content", {})
            if status.startswith("2") and path.endswith("msel.csv"):
                assert list(content) == ["text/csv"]
                continue
            schema = content["application/json"]["schema"]
            refs = [schema["$ref"]] if "$ref" in schema else [s["$ref"] for s in schema["anyOf"]]
            assert all(schemas[ref.rsplit("/", 1)[1]].get("properties") for ref in refs), (method, path, status)
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body:
            schema = body["schema"]
            assert (schemas[schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema)["properties"]
    refused = doc["paths"]["/scenarios/import"]["post"]["responses"]["422"]["content"]["application/json"]
    assert refused["schema"] == {"$ref": "#/components/schemas/MselRefused"}
    assert set(schemas["RowProblem"]["required"]) == {"row", "column", "message"}
    assert set(schemas["SectionConflict"]["required"]) == {"error", "current"}
    assert schemas["NewExercise"]["additionalProperties"] is False
    assert {p["name"] for p in doc["paths"]["/reports"]["get"]["parameters"]} == {
        "q", "type", "sector", "year", "capability", "org"}
    assert {p["name"] for p in doc["paths"]["/corrective-actions"]["get"]["parameters"]} == {
        "org", "status", "overdue", "capability"}
    assert {p["name"] for p in doc["paths"]["/scenarios"]["get"]["parameters"]} == {"sector", "capability"}
