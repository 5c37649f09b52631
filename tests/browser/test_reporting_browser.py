"""Reporting up the tiers in real browsers: Indus Bank files from the page, the
Banking Sector CERT accepts the early warning from its queue and escalates to a
room, whose header shows the stage clocks; the reporter sees who read it."""

from __future__ import annotations

import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from council.db import utcnow
from council.reporting import regimes
from tests.browser.conftest import csp_violations, open_page
from tests.factories import Factory

pytestmark = pytest.mark.browser
_n = itertools.count(1)


@pytest.fixture
def chain(live_server):
    n = next(_n)
    make = Factory(live_server.app)
    national = live_server.org(f"Browser National {n}", tier="national")
    banking = make.org(f"Browser Banking CERT {n}", parent=national, sector="banking-finance")
    bank = make.org(f"Browser Bank {n}", tier="organizational", parent=banking, sector="banking-finance")
    reporter = make.user(f"reporter{n}@b.example", org=bank, name="Rita Reporter")
    reviewer = make.user(f"reviewer{n}@b.example", org=banking, name="Ravi Reviewer")
    if not make.run(lambda s: regimes.history(s, "banking-strict")):
        make.run(regimes.save_version, actor=None, **regimes.BANKING)
    return reporter, reviewer, banking


def test_file_review_escalate_and_watch_the_clocks(live_server, browser, chain):
    reporter_user, reviewer_user, banking = chain
    reporter = open_page(browser, live_server, reporter_user.email, "/incidents/new", ready=None)
    reporter.fill("#i-title", "ATM declines across the network")
    reporter.select_option("#i-tlp", "AMBER")
    reporter.select_option("#i-class", "availability/outage")
    detected = (utcnow() - timedelta(hours=5, minutes=30)).astimezone(ZoneInfo("Asia/Karachi"))  # the app's zone
    reporter.fill("#i-detected", detected.strftime("%Y-%m-%dT%H:%M"))
    for box in reporter.locator("input[name=regimes]").all():
        box.set_checked(box.get_attribute("value") == "banking-strict")
    with reporter.expect_navigation():
        reporter.click("main button[type=submit]")
    reporter.locator(".flash-success", has_text=f"Your reviewer is {banking.name}").wait_for()
    incident_path = reporter.url.split(live_server.base_url, 1)[1]
    # 5 h 30 of the 6 h allowed have passed: amber (under a quarter left).
    reporter.locator(".stage-pending .clock.clock-amber", has_text="due in").wait_for()
    reporter.fill("textarea[name=body]", "Declines at every ATM since the morning.")
    reporter.fill("input[name=field_services_affected]", "ATM, POS")
    with reporter.expect_navigation():
        reporter.click(".stage-pending button[type=submit]")
    reporter.locator(".flash-success", has_text="Submitted").wait_for()

    reviewer = open_page(browser, live_server, reviewer_user.email, "/incidents/queue", ready=None)
    reviewer.locator("#q-to_review + ul a").first.click()
    reviewer.wait_for_url("**/incidents/*")
    reviewer.locator(".stage-submitted").wait_for()
    with reviewer.expect_navigation():
        reviewer.click(".stage-submitted button[value=accepted]")
    reviewer.locator(".flash-success", has_text="Accepted").wait_for()
    with reviewer.expect_navigation():
        reviewer.click("text=Open a coordination room")
    reviewer.wait_for_selector("[data-conn].conn-live")
    clocks = reviewer.locator("[data-room-clocks]")
    clocks.locator(".clock", has_text="Update").wait_for()  # the next stage's countdown, in the header
    assert "accepted" in clocks.inner_text().lower()
    reviewer.locator(".ev-incident", has_text="linked to this room").wait_for()

    reporter.goto(live_server.url(incident_path))
    reporter.locator("#rd-h + ul li", has_text=banking.name).first.wait_for()  # read by the reviewer
    for page in (reporter, reviewer):
        assert csp_violations(page) == [] and page.problems == [], page.problems
        page.context.close()
