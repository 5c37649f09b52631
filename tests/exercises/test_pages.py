"""Pages of the scenario library and of exercise runs, through the HTTP client with CSRF."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from sqlalchemy import select

from exercises.models import Exercise, Scenario, ScenarioInject
from exercises.scenarios import services as scenarios
from tests.conftest import csrf, login
from tests.exercises.helpers import BANK, TELCO, count, inject, msel_text, read


@pytest.fixture
def author(client, people):
    assert login(client, people.director.email).status_code == 302
    return people.director


def scenario_of(app, scenario_id):
    def _read(session):
        found = scenarios.get_scenario(session, scenario_id)
        return found, [(i.msel_id, i.title, i.offset_s) for i in found.injects]
    return read(app, _read)


def test_library_lists_latest_versions_with_filters(app, client, make, author, scenario):
    make.run(scenarios.update_scenario, actor=author, scenario_id=scenario.id, fields={
        "title": "Payment switch ransomware", "sectors": ["banking-finance"], "capabilities": ["detection"]})
    other = make.run(scenarios.create_scenario, actor=author, fields={"title": "Flooded data centre",
                                                                      "sectors": ["water"]})
    make.run(scenarios.new_version, actor=author, scenario_id=other.id)
    page = client.get("/scenarios/").get_data(as_text=True)
    assert "Payment switch ransomware" in page and "Flooded data centre" in page
    assert page.count("Flooded data centre") == 1 and "v2" in page  # latest version only
    banking = client.get("/scenarios/?sector=banking-finance").get_data(as_text=True)
    assert "Payment switch ransomware" in banking and "Flooded data centre" not in banking
    detection = client.get("/scenarios/?capability=detection").get_data(as_text=True)
    assert "Flooded data centre" not in detection


def test_show_page_has_the_msel_versions_and_actions(client, author, scenario):
    response = client.get(f"/scenarios/{scenario.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("Payment switch ransomware", "Bank: customers cannot pay", "Journalist calls", "T+00:30",
                 "Run this version", "New version", "Duplicate", f"/scenarios/{scenario.id}/msel.csv"):
        assert html.escape(text, quote=False) in page, text
    assert client.get("/scenarios/9999").status_code == 404


def test_new_scenario_needs_csrf_and_valid_fields(app, client, author):
    assert client.get("/scenarios/new").status_code == 200
    refused = client.post("/scenarios/new", data={"title": "No token"})
    assert refused.status_code == 400 and count(app, Scenario) == 0  # the app-wide CSRF check
    token = csrf(client, "/scenarios/new")
    invalid = client.post("/scenarios/new", data={"csrf_token": token, "title": "", "duration_min": "5"})
    assert invalid.status_code == 200 and count(app, Scenario) == 0
    created = client.post("/scenarios/new", data={
        "csrf_token": token, "title": "Telecom outage", "summary": "A *bad* day", "threat": "Supply chain",
        "difficulty": "advanced", "duration_min": "90", "sectors": ["telecom", "energy"],
        "capabilities": ["coordination"], "objectives": "O1: Coordinate the response\nO2: Inform the public"})
    assert created.status_code == 302
    scenario = read(app, lambda s: s.scalars(select(Scenario)).one())
    assert created.headers["Location"].endswith(f"/scenarios/{scenario.id}/injects")
    assert (scenario.title, scenario.difficulty, scenario.duration_min, scenario.threat) == (
        "Telecom outage", "advanced", 90, "Supply chain")
    assert json.loads(scenario.sectors) == ["telecom", "energy"]
    assert json.loads(scenario.objectives) == [{"id": "O1", "text": "Coordinate the response"},
                                               {"id": "O2", "text": "Inform the public"}]
    assert "<em>bad</em>" in scenario.summary_html


def test_edit_by_the_author_only(app, client, make, people, author, scenario):
    page = client.get(f"/scenarios/{scenario.id}/edit")
    assert page.status_code == 200 and "Payment switch ransomware" in page.get_data(as_text=True)
    token = csrf(client, f"/scenarios/{scenario.id}/edit")
    saved = client.post(f"/scenarios/{scenario.id}/edit", data={
        "csrf_token": token, "title": "Payment switch ransomware (2026)", "difficulty": "introductory",
        "duration_min": "60"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith(f"/scenarios/{scenario.id}")
    assert scenario_of(app, scenario.id)[0].title == "Payment switch ransomware (2026)"

    other = app.test_client()
    login(other, people.player_a.email)
    assert other.get(f"/scenarios/{scenario.id}/edit").status_code == 403
    assert other.get(f"/scenarios/{scenario.id}/injects").status_code == 403
    token = csrf(other, "/scenarios/new")
    assert other.post(f"/scenarios/{scenario.id}/edit", data={"csrf_token": token, "title": "Hijacked"}
                      ).status_code == 403
    assert scenario_of(app, scenario.id)[0].title == "Payment switch ransomware (2026)"


def upload(client, token, content, filename="msel.csv", title="Uploaded"):
    return client.post("/scenarios/import", data={
        "csrf_token": token, "title": title, "file": (io.BytesIO(content), filename)},
        content_type="multipart/form-data")


def test_import_page_lists_row_and_column_errors_and_creates_nothing(app, client, author):
    token = csrf(client, "/scenarios/import")
    bad = msel_text(inject("1", "T+00:00"), inject("2", "T+0:7"), inject("3", "T+00:20", type="rumour"))
    response = upload(client, token, bad.encode())
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert '<td class="num">3</td><td><code>offset</code></td>' in page
    assert '<td class="num">4</td><td><code>type</code></td>' in page
    assert "nothing was written" in page
    assert (count(app, Scenario), count(app, ScenarioInject)) == (0, 0)
    latin1 = upload(client, token, msel_text(inject("1", "T+00:00", "Café")).encode("latin-1"))
    assert "must be UTF-8" in latin1.get_data(as_text=True) and count(app, Scenario) == 0


def test_import_page_with_a_good_csv_redirects_to_the_scenario(app, client, author):
    token = csrf(client, "/scenarios/import")
    good = msel_text(inject("1", "T+00:00", "First"), inject("2", "01:00", "Second"), bom=True)
    response = upload(client, token, good.encode(), title="From a spreadsheet")
    assert response.status_code == 302
    scenario = read(app, lambda s: s.scalars(select(Scenario)).one())
    assert response.headers["Location"].endswith(f"/scenarios/{scenario.id}")
    assert scenario.title == "From a spreadsheet"
    assert scenario_of(app, scenario.id)[1] == [("1", "First", 0), ("2", "Second", 3600)]


def test_import_page_takes_scenario_json_too(app, client, make, author, scenario):
    doc = read(app, lambda s: scenarios.export_json(scenarios.get_scenario(s, scenario.id)))
    token = csrf(client, "/scenarios/import")
    response = upload(client, token, json.dumps(doc).encode(), filename="scenario.json")
    assert response.status_code == 302 and count(app, Scenario) == 2


def inject_form(token, **fields):
    row = inject("9", "T+00:40", "Added in the editor", to="all", type="information", delivery="room",
                 release="auto")
    row.update(fields)
    return {"csrf_token": token, **row}


def test_injects_editor_adds_edits_and_deletes(app, client, author, scenario):
    page = client.get(f"/scenarios/{scenario.id}/injects")
    assert page.status_code == 200 and "Bank: customers cannot pay" in page.get_data(as_text=True)
    token = csrf(client, f"/scenarios/{scenario.id}/injects")

    no_token = client.post(f"/scenarios/{scenario.id}/injects", data=inject_form(""))
    assert no_token.status_code == 400 and len(scenario_of(app, scenario.id)[1]) == 4

    added = client.post(f"/scenarios/{scenario.id}/injects", data=inject_form(token))
    assert added.status_code == 302
    rows = scenario_of(app, scenario.id)[1]
    assert ("9", "Added in the editor", 2400) in rows and len(rows) == 5

    duplicate = client.post(f"/scenarios/{scenario.id}/injects", data=inject_form(token, title="Again"),
                            follow_redirects=True)
    assert "repeats row" in duplicate.get_data(as_text=True) and len(scenario_of(app, scenario.id)[1]) == 5

    new_id = read(app, lambda s: s.scalars(select(ScenarioInject.id).where(
        ScenarioInject.scenario_id == scenario.id, ScenarioInject.msel_id == "9")).one())
    edited = client.post(f"/scenarios/{scenario.id}/injects/{new_id}",
                         data=inject_form(token, title="Renamed", offset="D+0 H+1 M+5"))
    assert edited.status_code == 302 and edited.headers["Location"].endswith(f"#inject-{new_id}")
    assert ("9", "Renamed", 3900) in scenario_of(app, scenario.id)[1]
    bad = client.post(f"/scenarios/{scenario.id}/injects/{new_id}", data=inject_form(token, offset="later"),
                      follow_redirects=True)
    assert "Offset" in bad.get_data(as_text=True) and ("9", "Renamed", 3900) in scenario_of(app, scenario.id)[1]

    # Inject 1 is what inject 2 depends on: it stays.
    first_id = read(app, lambda s: s.scalars(select(ScenarioInject.id).where(
        ScenarioInject.scenario_id == scenario.id, ScenarioInject.msel_id == "1")).one())
    kept = client.post(f"/scenarios/{scenario.id}/injects/{first_id}/delete", data={"csrf_token": token},
                       follow_redirects=True)
    assert "Other injects depend on it" in kept.get_data(as_text=True)
    deleted = client.post(f"/scenarios/{scenario.id}/injects/{new_id}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert [r[0] for r in scenario_of(app, scenario.id)[1]] == ["1", "2", "3", "4"]


def test_new_version_and_duplicate(app, client, make, people, author, scenario):
    token = csrf(client, f"/scenarios/{scenario.id}")
    assert client.post(f"/scenarios/{scenario.id}/version").status_code == 400  # no token: nothing made
    assert count(app, Scenario) == 1

    version = client.post(f"/scenarios/{scenario.id}/version", data={"csrf_token": token})
    assert version.status_code == 302
    v2 = read(app, lambda s: s.scalars(select(Scenario).where(Scenario.version == 2)).one())
    assert version.headers["Location"].endswith(f"/scenarios/{v2.id}")
    assert (v2.family_id, v2.title) == (scenario.id, scenario.title)
    assert scenario_of(app, v2.id)[1] == scenario_of(app, scenario.id)[1]
    page = client.get(f"/scenarios/{v2.id}").get_data(as_text=True)
    assert "<strong>v2</strong> (this)" in page and f'href="/scenarios/{scenario.id}">v1</a>' in page

    duplicated = client.post(f"/scenarios/{scenario.id}/duplicate", data={"csrf_token": token})
    assert duplicated.status_code == 302
    copy = read(app, lambda s: s.scalars(select(Scenario).where(Scenario.title.like("Copy of%"))).one())
    assert duplicated.headers["Location"].endswith(f"/scenarios/{copy.id}/edit")
    assert (copy.family_id, copy.version, copy.author_id) == (copy.id, 1, people.director.id)
    assert scenario_of(app, copy.id)[1] == scenario_of(app, scenario.id)[1]

    # Anyone may duplicate; only the author may version.
    other = app.test_client()
    login(other, people.player_b.email)
    token_b = csrf(other, f"/scenarios/{scenario.id}")
    assert other.post(f"/scenarios/{scenario.id}/version", data={"csrf_token": token_b}).status_code == 403
    assert other.post(f"/scenarios/{scenario.id}/duplicate", data={"csrf_token": token_b}).status_code == 302
    assert count(app, Scenario) == 4


def test_exercise_creation_page_creates_the_run_and_opens_its_room(app, client, people, author, scenario):
    form = client.get(f"/exercises/new?scenario={scenario.id}")
    assert form.status_code == 200
    assert f'<option value="{scenario.id}" selected>' in form.get_data(as_text=True)
    token = csrf(client, "/exercises/new")
    data = {"csrf_token": token, "scenario_id": str(scenario.id), "title": "Cohort B drill",
            "orgs": [str(people.bank.id), str(people.telco.id)], "speed": "10", "tlp": "AMBER",
            "controllers": people.controller.email, "evaluators": people.evaluator.email,
            "observers": people.observer.email,
            "players": f"{BANK}: {people.player_a.email}\n{TELCO}: {people.player_b.email}"}
    bad = client.post("/exercises/new", data={**data, "speed": "61"})
    assert bad.status_code == 200 and count(app, Exercise) == 0
    assert "speed" in bad.get_data(as_text=True).lower()
    no_token = client.post("/exercises/new", data={**data, "csrf_token": ""})
    assert no_token.status_code == 400 and count(app, Exercise) == 0

    preview = client.post("/exercises/new", data={**data, "preview": "1"})
    assert preview.status_code == 200 and count(app, Exercise) == 0
    assert teams_shown(preview) == {BANK: [people.player_a.email], TELCO: [people.player_b.email]}
    created = client.post("/exercises/new", data={**data, "confirm": confirm_key(preview)})
    assert created.status_code == 302
    ex = read(app, lambda s: s.scalars(select(Exercise)).one())
    assert created.headers["Location"].endswith(f"/rooms/{ex.room_id}")
    assert (ex.title, ex.speed) == ("Cohort B drill", 10.0)
    room = client.get(f"/rooms/{ex.room_id}")
    assert room.status_code == 200
    page = room.get_data(as_text=True)
    assert "EXERCISE EXERCISE EXERCISE" in page and "data-exercise-panel" in page
    assert client.get(f"/exercises/{ex.id}").headers["Location"].endswith(f"/rooms/{ex.room_id}")
    listing = client.get("/exercises/").get_data(as_text=True)
    assert "Cohort B drill" in listing

    player = app.test_client()
    login(player, people.player_a.email)
    player_page = player.get(f"/rooms/{ex.room_id}").get_data(as_text=True)
    assert "EXERCISE EXERCISE EXERCISE" in player_page


def teams_shown(page) -> dict[str, list[str]]:
    """The "Teams that will be created" table of the creation page: team -> player emails."""
    text = page.get_data(as_text=True)
    assert "Teams that will be created" in text
    table = text.split('id="x-teams-h"', 1)[1].split("</table>", 1)[0]
    row = r"<tr><td[^>]*>([^<]+)</td><td[^>]*>[^<]*</td><td[^>]*>(.*?)</td></tr>"
    return {html.unescape(team): [html.unescape(e) for e in re.findall(r"&lt;([^&]+)&gt;", players)]
            for team, players in re.findall(row, table)}


def confirm_key(page) -> str:
    match = re.search(r'<button[^>]+name="confirm" value="([0-9a-f]+)">Create exercise</button>',
                      page.get_data(as_text=True))
    assert match, "no confirm button"
    return match.group(1)


def test_the_creation_page_previews_one_team_per_organisation_and_creates_exactly_those(app, client, make, people,
                                                                                        author, scenario):
    token = csrf(client, "/exercises/new")
    data = {"csrf_token": token, "scenario_id": str(scenario.id), "title": "Per-organisation drill",
            "orgs": [str(people.bank.id), str(people.telco.id)], "speed": "1", "tlp": "AMBER",
            "controllers": people.controller.email, "evaluators": people.evaluator.email,
            "observers": people.observer.email, "players": ""}
    preview = client.post("/exercises/new", data=data)  # Enter in a field: the first button previews
    assert preview.status_code == 200 and count(app, Exercise) == 0
    assert teams_shown(preview) == {BANK: [people.outsider.email, people.player_a.email],
                                    TELCO: [people.player_b.email]}
    key = confirm_key(preview)
    late = make.user("late@bank.example", org=people.bank, name="Lara Late")  # joins after the preview
    stale = client.post("/exercises/new", data={**data, "confirm": key})
    assert stale.status_code == 200 and count(app, Exercise) == 0
    assert "The teams changed since you saw them" in stale.get_data(as_text=True)
    assert late.email in teams_shown(stale)[BANK]
    created = client.post("/exercises/new", data={**data, "confirm": confirm_key(stale)})
    assert created.status_code == 302
    ex = read(app, lambda s: s.scalars(select(Exercise)).one())
    players = read(app, lambda s: sorted(p.user.email for p in s.get(Exercise, ex.id).people if p.role == "player"))
    assert players == sorted([people.outsider.email, people.player_a.email, people.player_b.email, late.email])
    player = app.test_client()
    login(player, people.player_b.email)
    assert player.get(f"/rooms/{ex.room_id}").status_code == 200


def test_the_creation_page_refuses_a_team_without_players_naming_it(app, client, people, author, scenario):
    token = csrf(client, "/exercises/new")
    data = {"csrf_token": token, "scenario_id": str(scenario.id), "title": "Drill",
            "orgs": [str(people.bank.id), str(people.telco.id)], "speed": "1", "tlp": "AMBER",
            "controllers": people.player_b.email, "evaluators": people.evaluator.email,
            "observers": people.observer.email}
    for step in ({"preview": "1"}, {"confirm": "0123456789abcdef"}):
        page = client.post("/exercises/new", data={**data, **step})
        assert page.status_code == 200 and count(app, Exercise) == 0
        text = html.unescape(page.get_data(as_text=True))
        assert f"Team '{TELCO}' has no players: name some, or leave that organisation out." in text
        assert "Teams that will be created" not in text


def test_the_observation_form_asks_strength_or_area_for_improvement(app, people, run):
    evaluator = app.test_client()
    login(evaluator, people.evaluator.email)
    page = evaluator.get(f"/rooms/{run.room_id}").get_data(as_text=True)
    form = page.split("data-ex-observation", 1)[1].split("</form>", 1)[0]
    assert '<label for="ob-finding">' in form
    select_html = re.search(r'<select id="ob-finding" name="finding" required>(.*?)</select>', form).group(1)
    assert re.findall(r'<option value="(\w+)">([^<]+)</option>', select_html) == [
        ("strength", "Strength"), ("improvement", "Area for improvement")]
    assert form.index('name="rating"') < form.index('name="finding"') < form.index('name="body"')


def test_an_incident_room_has_no_exercise_banner(client, make, people, author):
    from council.rooms.services import create_room

    room = make.run(create_room, actor=people.director, title="Real incident", severity="high", tlp="AMBER",
                    org_ids=[people.bank.id])
    page = client.get(f"/rooms/{room.id}").get_data(as_text=True)
    assert "EXERCISE EXERCISE EXERCISE" not in page and "data-exercise-panel" not in page
