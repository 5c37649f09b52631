"""Players and observers of an unfinished run (planned, running, paused) see of its
scenario only the title and summary — in the library, on the scenario page, over
REST and in the downloads — and may not copy it, version it or start a run of their
own to read it. Taking part decides: a platform admin who plays is a player.
Directors, controllers and evaluators keep full access; after ENDEX everyone does."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from council.errors import Forbidden
from exercises.models import Exercise, Scenario
from exercises.runs import services as runs
from exercises.scenarios import services as scenarios
from tests.conftest import csrf, login
from tests.exercises.helpers import (
    BANK,
    EXPECTED_A,
    EXPECTED_ALL,
    NOTES_A,
    TELCO,
    Api,
    count,
    inject,
    make_run,
    make_scenario,
)
from tests.factories import PASSWORD

SUMMARY = "Public brief: the national payment switch is hit."
# What a player must not learn before ENDEX: inject titles, messages, offsets, how many there are.
ROWS = (
    inject("1", "T+00:00", "FUTUREINJECTONE", to="all", message="FUTUREMESSAGEONE", expected_action=EXPECTED_ALL),
    inject("2", "T+00:10", "FUTUREINJECTTWO", to=BANK, message="FUTUREMESSAGETWO", expected_action=EXPECTED_A,
           notes=NOTES_A),
    inject("3", "T+07:45", "FUTUREINJECTTHREE", to=TELCO),
)
SECRETS = ("FUTUREINJECT", "FUTUREMESSAGE", EXPECTED_A, EXPECTED_ALL, NOTES_A, "T+00:10", "T+07:45", "3 injects")
PARTICIPANTS = ("player_a", "observer", "admin")


@pytest.fixture
def w(make, people):
    """A scenario with a summary, and a planned run in which a platform admin plays for the bank."""
    admin = make.user("admin.player@bank.example", org=people.bank, role="admin", name="Ada Admin")
    scenario = make_scenario(make, people.director, rows=ROWS, title="Payment switch ransomware")
    make.run(scenarios.update_scenario, actor=people.director, scenario_id=scenario.id,
             fields={"title": scenario.title, "summary": SUMMARY})
    run = make_run(make, people, scenario, players={BANK: [people.player_a.email, admin.email],
                                                    TELCO: [people.player_b.email]})
    return SimpleNamespace(people=people, admin=admin, scenario=scenario, run=run,
                           who=lambda name: admin if name == "admin" else getattr(people, name))


def browser(app, user):
    client = app.test_client()
    login(client, user.email, PASSWORD)
    return client


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def main_of(page: str) -> str:
    """The page's own content, without the navigation."""
    return page[page.index('<main id="main"'):page.index("</main>")]


@pytest.mark.parametrize("name", PARTICIPANTS)
def test_participants_see_only_title_and_summary_on_the_pages(app, w, name):
    client = browser(app, w.who(name))
    page = main_of(client.get(f"/scenarios/{w.scenario.id}").get_data(as_text=True))
    assert w.scenario.title in page and SUMMARY in page and "until ENDEX" in page
    assert leaks(page) == []
    assert "Duplicate" not in page and "Run this version" not in page and "MSEL as CSV" not in page
    library = client.get("/scenarios/").get_data(as_text=True)
    row = library[library.index(f'href="/scenarios/{w.scenario.id}"'):].split("</tr>")[0]
    assert w.scenario.title in row and "hidden until ENDEX" in row
    assert leaks(library) == [] and "<td class=\"num\">3</td>" not in row


def test_the_new_run_page_does_not_count_the_injects_of_a_scenario_being_played(app, w):
    page = browser(app, w.people.player_a).get("/exercises/new").get_data(as_text=True)
    assert w.scenario.title in page and leaks(page) == []


@pytest.mark.parametrize("name", PARTICIPANTS)
def test_participants_get_title_and_summary_over_rest(app, make, w, name):
    api = Api(app.test_client(), make)
    user = w.who(name)
    shown = api.get(user, f"/scenarios/{w.scenario.id}")
    assert shown.status_code == 200
    assert shown.get_json() == {"id": w.scenario.id, "family_id": w.scenario.family_id, "version": 1,
                                "title": w.scenario.title, "summary": SUMMARY, "msel_hidden": True,
                                "reason": scenarios.MSEL_HIDDEN}
    [listed] = [s for s in api.get(user, "/scenarios").get_json()["scenarios"] if s["id"] == w.scenario.id]
    assert listed == shown.get_json()
    csv = api.get(user, f"/scenarios/{w.scenario.id}/msel.csv")
    assert csv.status_code == 403 and "ENDEX" in csv.get_json()["error"] and leaks(csv.get_data(as_text=True)) == []


@pytest.mark.parametrize("name", PARTICIPANTS)
def test_participants_cannot_download_copy_version_or_run_it(app, make, w, name):
    user = w.who(name)
    client = browser(app, user)
    for path in ("msel.csv", "scenario.json"):
        answer = client.get(f"/scenarios/{w.scenario.id}/{path}")
        assert answer.status_code == 403 and leaks(answer.get_data(as_text=True)) == [], path
    token = csrf(client, "/scenarios/")
    for path in ("duplicate", "version"):
        answer = client.post(f"/scenarios/{w.scenario.id}/{path}", data={"csrf_token": token})
        assert answer.status_code == 403 and "until ENDEX" in main_of(answer.get_data(as_text=True)), path
    api = Api(app.test_client(), make)
    created = api.post(user, "/exercises", json={"scenario_id": w.scenario.id, "title": "Peek",
                                                 "orgs": [w.people.bank.id]})
    assert created.status_code == 403 and leaks(created.get_data(as_text=True)) == []
    for fn, kwargs in ((scenarios.duplicate, {}), (scenarios.new_version, {}),
                       (runs.create_exercise, {"title": "Peek", "org_ids": [w.people.bank.id]})):
        with pytest.raises(Forbidden):
            make.run(fn, actor=user, scenario_id=w.scenario.id, **kwargs)
    assert (count(app, Scenario), count(app, Exercise)) == (1, 1)


def test_an_admin_who_plays_cannot_edit_the_scenario_to_read_it(app, make, w):
    client = browser(app, w.admin)
    assert client.get(f"/scenarios/{w.scenario.id}/injects").status_code == 403
    assert client.get(f"/scenarios/{w.scenario.id}/edit").status_code == 403
    with pytest.raises(Forbidden):
        make.run(scenarios.save_inject, actor=w.admin, scenario_id=w.scenario.id,
                 row={"msel_id": "9", "offset": "T+00:00", "title": "x", "depends_on": "2"})
    # Not playing any more: the admin's rights are back.
    make.run(runs.clock_op, actor=w.people.director, exercise_id=w.run.id, op="start")
    make.run(runs.clock_op, actor=w.people.director, exercise_id=w.run.id, op="stop", reason="Fire alarm")
    assert "FUTUREINJECTTWO" in client.get(f"/scenarios/{w.scenario.id}/injects").get_data(as_text=True)


@pytest.mark.parametrize("name", ["director", "controller", "evaluator"])
def test_staff_keep_full_access(app, make, w, name):
    user = getattr(w.people, name)
    page = browser(app, user).get(f"/scenarios/{w.scenario.id}").get_data(as_text=True)
    assert "FUTUREINJECTTWO" in page and EXPECTED_A in page and "T+07:45" in page
    api = Api(app.test_client(), make)
    shown = api.get(user, f"/scenarios/{w.scenario.id}").get_json()
    assert [i["title"] for i in shown["injects"]] == ["FUTUREINJECTONE", "FUTUREINJECTTWO", "FUTUREINJECTTHREE"]
    assert shown["injects"][1]["notes"] == NOTES_A
    assert "FUTUREMESSAGETWO" in api.get(user, f"/scenarios/{w.scenario.id}/msel.csv").get_data(as_text=True)


def test_after_endex_players_see_everything_as_before(app, make, w):
    make.run(runs.clock_op, actor=w.people.director, exercise_id=w.run.id, op="start")
    make.run(runs.clock_op, actor=w.people.director, exercise_id=w.run.id, op="end")
    api = Api(app.test_client(), make)
    for user in (w.people.player_a, w.people.observer, w.admin):
        page = browser(app, user).get(f"/scenarios/{w.scenario.id}").get_data(as_text=True)
        assert EXPECTED_A in page and "FUTUREINJECTTHREE" in page
        shown = api.get(user, f"/scenarios/{w.scenario.id}").get_json()
        assert len(shown["injects"]) == 3 and "msel_hidden" not in shown
        assert api.get(user, f"/scenarios/{w.scenario.id}/msel.csv").status_code == 200
    copy = make.run(scenarios.duplicate, actor=w.people.player_b, scenario_id=w.scenario.id)
    assert len(copy.injects) == 3


def test_every_version_of_the_scenario_is_hidden_and_people_outside_the_run_read_it(app, make, w):
    newer = make.run(scenarios.new_version, actor=w.people.director, scenario_id=w.scenario.id)
    api = Api(app.test_client(), make)
    assert api.get(w.people.player_b, f"/scenarios/{newer.id}").get_json()["msel_hidden"] is True
    outsider = api.get(w.people.outsider, f"/scenarios/{newer.id}").get_json()
    assert [i["title"] for i in outsider["injects"]][:1] == ["FUTUREINJECTONE"]


def test_the_player_of_another_scenario_reads_this_one(app, make, w):
    other = make_scenario(make, w.people.director, title="Other drill")
    assert len(make.run(scenarios.duplicate, actor=w.people.player_a, scenario_id=other.id).injects) == 4


def test_an_earlier_runs_published_report_is_not_theirs_to_read_until_endex(app, make, w):
    """The report of a finished run of the same scenario holds its injects (timeline, findings)."""
    from exercises.reports import services as reports
    from tests.exercises.report_helpers import publish_through_review, start

    telco_player = make.user("earlier.telco@telco.example", org=w.people.telco, name="Tess Earlier")
    earlier = make_run(make, w.people, w.scenario, title="Earlier run", observers=[],
                       players={BANK: [w.people.player_b.email], TELCO: [telco_player.email]})
    make.run(runs.clock_op, actor=w.people.director, exercise_id=earlier.id, op="start")
    make.run(runs.clock_op, actor=w.people.director, exercise_id=earlier.id, op="end")
    report = start(make, w.people.director, earlier.room_id)
    make.run(reports.set_title, actor=w.people.director, report_id=report.id, title="Earlier run report",
             tlp="GREEN")
    publish_through_review(make, w.people.director, report.id, [w.people.controller, telco_player])
    api = Api(app.test_client(), make)
    assert api.get(w.people.player_a, f"/reports/{report.id}").status_code == 404  # plays the planned run
    assert browser(app, w.people.player_a).get(f"/reports/{report.id}").status_code == 404
    titles = [r["title"] for r in api.get(w.people.player_a, "/reports").get_json()["reports"]]
    assert "Earlier run report" not in titles
    assert api.get(w.people.outsider, f"/reports/{report.id}").status_code == 200  # GREEN, not in a run
    make.run(runs.clock_op, actor=w.people.director, exercise_id=w.run.id, op="start")
    make.run(runs.clock_op, actor=w.people.director, exercise_id=w.run.id, op="end")
    assert api.get(w.people.player_a, f"/reports/{report.id}").status_code == 200
