"""The exercise defects of the screens, in a real browser: a new exercise
previews one team per organisation of its members and creates exactly that; an
MSEL naming capabilities in words imports; the after-action draft files an
S-rated criticism under areas for improvement; the wall clock shows T+, the
countdown to staff and a PAUSED banner to players."""

from __future__ import annotations

import itertools

import pytest

from exercises.runs.services import create_exercise
from exercises.scenarios.services import import_csv
from tests.browser.conftest import csp_violations, open_page
from tests.exercises.helpers import inject, msel_text
from tests.factories import Factory

pytestmark = pytest.mark.browser
_n = itertools.count(1)


def test_a_new_exercise_previews_its_teams_and_enrols_each_organisations_members(live_server, browser, tmp_path):
    n = next(_n)
    director = live_server.create_user(name="Preview Director", org=f"Preview National {n}")
    blue = [live_server.create_user(name=f"Blue Player {i}", org=f"Preview Blue CERT {n}") for i in range(2)]
    Factory(live_server.app).run(import_csv, actor=director, title=f"Preview scenario {n}",
                                 text=msel_text(inject("P1", "T+00:05", "First inject", to="all")))
    page = open_page(browser, live_server, director.email, "/exercises/new", ready=None)
    page.select_option("#x-scn", label=f"Preview scenario {n} (v1, 1 injects)")
    page.fill("#x-title", f"Preview drill {n}")
    page.check(f"input[name=orgs][value='{live_server.org(f'Preview Blue CERT {n}').id}']")
    page.click("button[name=preview]")
    teams = page.locator("table[aria-labelledby=x-teams-h]")
    teams.wait_for()
    assert f"Preview Blue CERT {n}" in teams.inner_text()
    assert all(p.email in teams.inner_text() for p in blue)
    with page.expect_navigation():
        page.click("button[name=confirm]")
    assert "/rooms/" in page.url
    room_path = page.url.split(live_server.base_url, 1)[1]
    player = open_page(browser, live_server, blue[0].email, room_path)
    player.locator("[data-my-role]", has_text="Player").wait_for()
    for p in (page, player):
        assert csp_violations(p) == []
        p.context.close()


def test_a_team_without_players_is_refused_on_the_page_with_its_name(live_server, browser):
    n = next(_n)
    director = live_server.create_user(name="Empty Director", org=f"Empty National {n}")
    empty = live_server.org(f"Empty Sector CERT {n}")
    Factory(live_server.app).run(import_csv, actor=director, title=f"Empty scenario {n}",
                                 text=msel_text(inject("E1", "T+00:05", "First inject", to="all")))
    page = open_page(browser, live_server, director.email, "/exercises/new", ready=None)
    page.select_option("#x-scn", label=f"Empty scenario {n} (v1, 1 injects)")
    page.fill("#x-title", f"Empty drill {n}")
    page.check(f"input[name=orgs][value='{empty.id}']")
    page.click("button[name=preview]")
    page.locator(".flash-error", has_text=f"Empty Sector CERT {n}").wait_for()
    assert page.locator("button[name=confirm]").count() == 0
    page.context.close()


def test_an_msel_with_capabilities_in_words_imports_from_the_page(live_server, browser, tmp_path):
    author = live_server.create_user(name="Words Author")
    csv = tmp_path / "words.csv"
    csv.write_text(msel_text(inject("W1", "T+00:05", "Statement", capability="public communication"),
                             inject("W2", "T+00:10", "Choose", capability="Decision making")), encoding="utf-8")
    page = open_page(browser, live_server, author.email, "/scenarios/import", ready=None)
    page.fill("#i-title", "Capabilities in words")
    page.set_input_files("#i-file", str(csv))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.locator(".flash-error").count() == 0, page.locator("main").inner_text()
    assert "Capabilities in words" in page.locator("h1").inner_text(), page.locator("main").inner_text()
    page.context.close()


@pytest.fixture
def wall_drill(live_server, browser):
    n = next(_n)
    org = f"Wall CERT {n}"
    director = live_server.create_user(name="Wall Director", org=org)
    player = live_server.create_user(name="Wall Player", org=org)
    make = Factory(live_server.app)
    scenario = make.run(import_csv, actor=director, title=f"Wall drill {n}", text=msel_text(
        inject("W1", "T+00:30", "Half an hour in", to="all"), inject("W2", "T+01:00", "An hour in", to="all")))
    ex = make.run(create_exercise, actor=director, scenario_id=scenario.id, title=f"Wall drill run {n}",
                  org_ids=[live_server.org(org).id], players={"Blue": [player.email]}, speed=1)
    staff = open_page(browser, live_server, director.email, f"/rooms/{ex.room_id}")
    wall = open_page(browser, live_server, director.email, f"/exercises/{ex.id}/wall",
                     ready="[data-wall-conn].conn-live")
    player_wall = open_page(browser, live_server, player.email, f"/exercises/{ex.id}/wall",
                            ready="[data-wall-conn].conn-live")
    yield ex, staff, wall, player_wall
    for p in (staff, wall, player_wall):
        p.context.close()


def test_the_wall_clock_follows_the_drill_with_a_paused_banner_for_everyone(wall_drill):
    _ex, staff, wall, player_wall = wall_drill
    assert wall.locator("[data-wall-state]").inner_text() == "PLANNED"  # upper-cased by the wall's style
    staff.click("[data-clock=start]")
    wall.locator("[data-wall-state]", has_text="Running").wait_for()
    wall.locator("[data-wall-next]", has_text="Next inject W1 in 29m").wait_for()
    assert wall.locator("[data-wall-progress]").inner_text() == "0 of 2 injects released"
    assert wall.locator("[data-wall-t]").inner_text().startswith("T+00:00:")
    # Players see the clock, never what comes next.
    player_wall.locator("[data-wall-state]", has_text="Running").wait_for()
    assert player_wall.locator("[data-wall-next]").inner_text() == ""
    assert "W1" not in player_wall.content() and "Half an hour in" not in player_wall.content()
    staff.click("[data-clock=pause]")
    for page in (wall, player_wall):
        page.locator("[data-wall-paused]", has_text="PAUSED").wait_for()
    staff.click("[data-clock=resume]")
    player_wall.locator("[data-wall-paused]").wait_for(state="hidden")
    for page in (staff, wall, player_wall):
        assert page.problems == [] and csp_violations(page) == []
