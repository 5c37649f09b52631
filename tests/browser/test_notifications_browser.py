"""The bell in real browsers: a mention typed in a room (chosen from the "@"
list) raises the mentioned person's bell live on another page, with a notice;
marking all read in one tab clears the bell in the person's other tab."""

from __future__ import annotations

import itertools

import pytest

from council.rooms.services import create_room
from tests.browser.conftest import csp_violations, open_page
from tests.factories import Factory

pytestmark = pytest.mark.browser
_n = itertools.count(1)


def test_a_mention_rings_the_bell_live_and_mark_all_read_clears_every_tab(live_server, browser):
    n = next(_n)
    lead = live_server.create_user(name=f"Bell Lead {n}", org=f"Bell National {n}")
    member = live_server.create_user(name=f"Bell Member {n}", org=f"Bell Bank {n}")
    room = Factory(live_server.app).run(create_room, actor=lead, title=f"Bell room {n}", severity="high",
                                        tlp="AMBER", org_ids=[live_server.org(f"Bell Bank {n}").id])
    # The member had one notification already (the room was opened for their organisation).
    dashboard = open_page(browser, live_server, member.email, "/", ready="#bell")
    other_tab = dashboard.context.new_page()
    other_tab.goto(live_server.url("/notifications"))
    assert dashboard.locator("#bell .bell-count").inner_text() == "1"

    room_page = open_page(browser, live_server, lead.email, f"/rooms/{room.id}")
    box = room_page.locator("[data-composer-text]")
    box.click()
    box.type("Please check the logs @bell.mem")
    option = room_page.locator("#mention-list [role=option]", has_text=f"@{member.handle}")
    option.wait_for()
    assert room_page.locator("#composer-text").get_attribute("aria-activedescendant") == "mention-0"
    room_page.keyboard.press("Enter")  # chooses the person; it does not send
    assert box.input_value() == f"Please check the logs @{member.handle} "
    room_page.keyboard.press("Control+Enter")
    room_page.locator(".ev-message", has_text="Please check the logs").wait_for()

    dashboard.locator("#bell .bell-count", has_text="2").wait_for()
    notice = dashboard.locator(".toast", has_text=f"Bell Lead {n} mentioned you in Bell room {n}")
    notice.wait_for()
    assert "TLP:AMBER" in notice.inner_text()
    assert dashboard.locator("#bell").get_attribute("aria-label") == "Notifications: 2 unread"

    other_tab.reload()
    other_tab.locator(".notif-unread", has_text="mentioned you").wait_for()
    with other_tab.expect_navigation():
        other_tab.click("button:has-text('Mark all read')")
    dashboard.locator("#bell .bell-count", has_text="0").wait_for()  # the first tab hears it live
    assert other_tab.locator(".notif-unread").count() == 0
    for p in (dashboard, room_page):
        assert not p.problems and not csp_violations(p)
