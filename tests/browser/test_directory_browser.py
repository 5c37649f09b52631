"""Communication checks in real browsers: a platform admin of the national CERT
starts a check from the form, a member of a checked organisation answers it from
their own session with the page's button, and the starter's matrix shows the
answer. Screenshots of the directory's pages at 1440 and 390 px go to
$COUNCIL_SCREENSHOTS when it is set (for a person to look at), and no page
scrolls sideways at 390 px."""

from __future__ import annotations

import itertools
import json
import os
from datetime import timedelta
from pathlib import Path

import pytest

from council.db import utcnow
from council.directory.roster import add_shift
from council.directory.services import import_teams
from council.directory.shapes import FirstTeam
from tests.browser.conftest import csp_violations, open_page
from tests.factories import Factory

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "first-global-irt-single-team.json"

pytestmark = pytest.mark.browser
_n = itertools.count(1)


def no_sideways_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_a_check_is_started_answered_from_another_organisation_and_the_matrix_shows_it(live_server, browser):
    n = next(_n)
    national, bank = f"Check National {n}", f"Check Bank {n}"
    live_server.org(national, tier="national")
    live_server.org(bank, tier="organizational")
    starter = live_server.create_user(name=f"Check Starter {n}", org=national, role="admin")
    answerer = live_server.create_user(name=f"Check Answerer {n}", org=bank)

    console = open_page(browser, live_server, starter.email, "/comms-checks/", ready="#start-h")
    console.check(f"input[name=orgs][value='{live_server.orgs[bank].id}']")
    console.fill("#cc-msg", "Browser check: please answer")
    with console.expect_navigation():
        console.click("button:has-text('Start the check')")
    console.locator("#matrix").wait_for()
    row = console.locator(f"#matrix tr[data-org='{live_server.orgs[bank].id}']")
    assert "not yet" in row.inner_text()
    check_url = console.url

    member = open_page(browser, live_server, answerer.email, "/", ready="#cc-card-h")
    with member.expect_navigation():
        member.click("#cc-card-h + ul a")
    with member.expect_navigation():
        member.click("#answer-button")
    member.locator(".flash-success", has_text="answer is recorded").wait_for()
    assert "answered" in member.locator("#answer").inner_text()

    console.reload()
    row = console.locator(f"#matrix tr[data-org='{live_server.orgs[bank].id}']")
    assert "answered" in row.inner_text() and answerer.name in row.inner_text()
    assert "1 of 1 organisations answered" in console.locator("#sum-h + ul").inner_text()

    # A full record and a roster, for the pages below.
    record = json.loads(FIXTURE.read_text(encoding="utf-8"))[0]
    record.update({"-council-org-id": live_server.orgs[bank].id, "short-team-name": f"BANK-{n}",
                   "-council-emergency-phone": "+92 21 111 222 333"})
    record["team-members"][0]["email"] = answerer.email
    make = Factory(live_server.app)
    make.run(import_teams, actor=starter, teams=[FirstTeam.model_validate(record)])
    now = utcnow()
    make.run(add_shift, actor=starter, org_id=live_server.orgs[bank].id, user_id=answerer.id,
             starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=8), note="Day shift")
    shots = os.environ.get("COUNCIL_SCREENSHOTS")
    pages = [check_url, live_server.url("/comms-checks/"), live_server.url("/directory/"),
             live_server.url(f"/directory/{live_server.orgs[bank].id}"),
             live_server.url(f"/directory/{live_server.orgs[bank].id}/edit")]
    for width in (1440, 390):
        console.set_viewport_size({"width": width, "height": 900})
        for k, url in enumerate(pages):
            console.goto(url)
            assert no_sideways_scroll(console), (url, width)
            if shots:
                Path(shots).mkdir(parents=True, exist_ok=True)
                console.screenshot(path=str(Path(shots) / f"directory-{k}-{width}.png"), full_page=True)
    for p in (console, member):
        assert not p.problems and not csp_violations(p), p.problems
