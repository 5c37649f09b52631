"""Indicators in the room page: paste an advisory, review what was found, add the
selection in one go, and see it arrive live — defanged, never a link — in a second
browser, with "Seen by us" counted there."""

from __future__ import annotations

import pytest

from tests.browser.conftest import csp_violations, open_page
from tests.factories import Factory

pytestmark = pytest.mark.browser

ADVISORY = ("The loader beacons to hxxps://switch-update[.]net/api/beat and 198.51.100[.]23; "
            "the encryptor is e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.")


def test_paste_review_add_and_see_it_live_defanged_in_another_browser(live_server, browser):
    from council.rooms.services import create_room

    lead = live_server.create_user(name="Ioc Lead", org="National CERT IOC")
    member = live_server.create_user(name="Ioc Analyst", org="Bank CERT IOC")
    room = Factory(live_server.app).run(
        create_room, actor=lead, title="Indicators room", severity="high", tlp="AMBER",
        org_ids=[live_server.org("Bank CERT IOC").id])
    lead_page = open_page(browser, live_server, lead.email, f"/rooms/{room.id}")
    member_page = open_page(browser, live_server, member.email, f"/rooms/{room.id}")
    try:
        lead_page.click("text=Paste to extract")
        lead_page.fill("#ind-paste", ADVISORY)
        lead_page.click("[data-ind-extract] button[type=submit]")
        review = lead_page.locator("[data-ind-found] li")
        review.first.wait_for()
        texts = review.all_inner_texts()
        assert any("198.51.100[.]23" in t for t in texts) and any("switch-update[.]net" in t for t in texts)
        # Leave the hash out; add the rest in one go.
        lead_page.locator("[data-ind-found] li", has_text="e3b0c442").locator("input").uncheck()
        lead_page.click("[data-ind-review] button[type=submit]")
        # The other browser sees them arrive, defanged and not as links.
        row = member_page.locator("[data-indicators] li.indicator", has_text="198.51.100[.]23")
        row.wait_for()
        listed = member_page.locator("[data-indicators] li.indicator")
        assert listed.filter(has_text="hXXps://switch-update[.]net").count() == 1
        assert listed.filter(has_text="e3b0c442").count() == 0
        assert member_page.locator("[data-indicators] a[href*='switch-update']").count() == 0
        assert member_page.locator(".ev-indicator, [data-events] li", has_text="198.51.100[.]23").count() >= 1
        # Seen by us: the count shows in the lead's browser too.
        row.locator("[data-seen]").click()
        lead_page.locator("[data-indicators] li.indicator", has_text="198.51.100[.]23").locator(
            "text=Seen 1× by 1 organisation").wait_for()
        # The add form, from the keyboard.
        member_page.click("text=Add an indicator")
        member_page.select_option("#ind-type", "domain")
        member_page.fill("#ind-value", "Exfil-Drop[.]COM")
        member_page.press("#ind-value", "Enter")
        lead_page.locator("[data-indicators] li.indicator", has_text="exfil-drop[.]com").wait_for()
        for p in (lead_page, member_page):
            assert csp_violations(p) == [] and p.problems == [], p.problems
    finally:
        lead_page.context.close()
        member_page.context.close()
