"""Two browsers in one room: what one types, the other sees live; a
markdown XSS payload renders inert; the feed resumes after a reconnect."""

from __future__ import annotations

import pytest

from council.rooms.services import create_room
from council.rooms.stream import post
from tests.browser.conftest import csp_violations, sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser


@pytest.fixture
def two_in_a_room(live_server, browser):
    lead = live_server.create_user(name="Duty Officer", org="National CERT Browser")
    member = live_server.create_user(name="Bank Analyst", org="Bank CERT Browser")
    room = Factory(live_server.app).run(
        create_room, actor=lead, title="Live browser room", severity="high", tlp="AMBER",
        org_ids=[live_server.org("Bank CERT Browser").id])
    pages = []
    for user in (lead, member):
        context = browser.new_context()
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc, p=page: p.problems.append(str(exc)))
        page.on("dialog", lambda d: d.accept())
        sign_in(page, live_server, user.email)
        page.goto(live_server.url(f"/rooms/{room.id}"))
        page.wait_for_selector("[data-conn].conn-live")
        pages.append(page)
    yield room, lead, member, pages
    for page in pages:
        page.context.close()


def test_message_typed_in_one_browser_appears_in_the_other(two_in_a_room):
    _room, _lead, _member, (lead_page, member_page) = two_in_a_room
    assert "TLP:AMBER" in lead_page.locator("[data-tlp-banner]").inner_text()
    member_page.fill("[data-composer-text]", "Payment switch **isolated** at 09:10")
    member_page.keyboard.press("Control+Enter")
    received = lead_page.locator(".ev-message", has_text="Payment switch isolated at 09:10")
    received.wait_for()
    assert received.locator("strong").inner_text() == "isolated"
    assert "Bank Analyst" in received.locator(".ev-who").inner_text()
    # Both feeds hold the same seqs in the same order.
    seqs = [p.eval_on_selector_all("[data-events] > li[data-seq]", "els => els.map(e => +e.dataset.seq)")
            for p in (lead_page, member_page)]
    assert seqs[0] == seqs[1] == sorted(seqs[0])
    # Presence names both organisations as represented.
    lead_page.locator("[data-orgs-online] .org-on", has_text="Bank CERT Browser").wait_for()
    assert csp_violations(lead_page) == [] and lead_page.problems == []


def test_xss_payload_is_shown_as_text_and_never_runs(two_in_a_room):
    _room, _lead, _member, (lead_page, member_page) = two_in_a_room
    lead_page.evaluate("window.__xss = 0")
    payload = '<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> [x](javascript:window.__xss=3)'
    member_page.fill("[data-composer-text]", payload)
    member_page.click("[data-send]")
    lead_page.locator(".ev-message a", has_text="x").last.wait_for()
    lead_page.locator(".ev-message a", has_text="x").last.click()
    assert lead_page.evaluate("window.__xss") == 0
    assert lead_page.locator(".ev-message img").count() == 0


def test_feed_catches_up_after_a_reconnect(live_server, two_in_a_room):
    room, lead, _member, (_lead_page, member_page) = two_in_a_room
    member_page.evaluate("window.__roomSocket.disconnect()")
    member_page.locator("[data-conn].conn-down").wait_for()
    factory = Factory(live_server.app)
    for i in range(3):
        factory.run(post, actor=lead, room_id=room.id, kind="message", payload={"body": f"while away {i}"})
    member_page.evaluate("window.__roomSocket.connect()")
    member_page.locator(".ev-message", has_text="while away 2").wait_for()
    texts = member_page.locator(".ev-message .ev-body").all_inner_texts()
    assert [t for t in texts if t.startswith("while away")] == ["while away 0", "while away 1", "while away 2"]
    assert member_page.locator(".unread-marker").count() <= 1
