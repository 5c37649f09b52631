"""An exercise in two real browsers: the controller starts the clock and releases an
inject; the player's inbox shows it, the player acknowledges, and the controller's console
shows the team's tick. The player's page never holds the expected action."""

from __future__ import annotations

import itertools

import pytest

from exercises.runs.services import create_exercise
from exercises.scenarios.services import import_csv
from tests.browser.conftest import CSP_LISTENER, csp_violations, sign_in
from tests.exercises.helpers import inject, msel_text
from tests.factories import Factory

pytestmark = pytest.mark.browser

EXPECTED = "BROWSERXPCTDMARKER5V8N"
NOTES = "BROWSERNOTESMARKER2H6C"
_n = itertools.count(1)


@pytest.fixture
def drill(live_server, browser):
    """A run with a director, a controller and one player in team "Blue Team", both signed in."""
    n = next(_n)
    org = f"Exercise Browser CERT {n}"
    director = live_server.create_user(name="Drill Director", org=org)
    controller = live_server.create_user(name="Cora Controller", org=org)
    player = live_server.create_user(name="Pia Player", org=org)
    make = Factory(live_server.app)
    scenario = make.run(import_csv, actor=director, title=f"Browser drill {n}", text=msel_text(
        inject("B1", "T+00:05", "Payment switch encrypted", to="Blue Team", release="manual",
               message="Ransom note on **every** screen", expected_action=EXPECTED, notes=NOTES),
        inject("B2", "T+01:00", "Later inject", to="Blue Team")))
    ex = make.run(create_exercise, actor=director, scenario_id=scenario.id, title=f"Browser drill run {n}",
                  org_ids=[live_server.org(org).id], controllers=[controller.email],
                  players={"Blue Team": [player.email]}, speed=1)
    pages = []
    for user in (controller, player):
        context = browser.new_context()
        context.set_default_timeout(10_000)
        context.add_init_script(CSP_LISTENER)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc, p=page: p.problems.append(str(exc)))
        page.on("dialog", lambda d, p=page: (p.problems.append(f"dialog: {d.message}"), d.dismiss()))
        sign_in(page, live_server, user.email)
        page.goto(live_server.url(f"/rooms/{ex.room_id}"))
        page.wait_for_selector("[data-conn].conn-live")
        pages.append(page)
    yield ex, pages
    for page in pages:
        page.context.close()


def test_controller_releases_player_acknowledges(drill):
    _ex, (controller, player) = drill
    assert "EXERCISE EXERCISE EXERCISE" in controller.locator("body").inner_text()
    controller.locator("[data-ex-state]", has_text="planned").wait_for()
    player.locator("[data-ex-inbox-list] li", has_text="No injects for your team yet.").wait_for()

    controller.click("[data-exercise-panel] [data-clock=\"start\"]")
    controller.locator("[data-ex-state]", has_text="running").wait_for()
    player.locator("[data-ex-state]", has_text="running").wait_for()  # the clock event reached the player

    controller.click("[data-ex-upcoming] [data-release=\"B1\"]")
    released = controller.locator("[data-ex-released] li", has_text="Payment switch encrypted")
    released.wait_for()
    released.locator(".tag", has_text="Blue Team …").wait_for()

    inbox_item = player.locator("[data-ex-inbox-list] li", has_text="Payment switch encrypted")
    inbox_item.wait_for()
    inbox_item.locator(".tag", has_text="new").wait_for()
    player.locator("[data-events] .delivery", has_text="Ransom note on every screen").wait_for()

    inbox_item.locator("[data-ack]").click()
    inbox_item.locator(".tag", has_text="acknowledged").wait_for()
    released.locator(".tag.acked", has_text="Blue Team ✓").wait_for()
    assert inbox_item.locator("[data-ack]").count() == 0  # acknowledged once, the button goes

    # The controller sees the staff-only text; the player's page never holds it.
    controller.locator("[data-events] .ex-staff-only", has_text=EXPECTED).wait_for()
    for text in (player.content(), player.locator("body").inner_text()):
        assert EXPECTED not in text and NOTES not in text
    assert player.locator(".ex-staff-only").count() == 0
    for page in (controller, player):
        assert page.problems == [] and csp_violations(page) == []
