"""A council meeting in real browsers, from convening to adopted minutes: the
secretary convenes it from the council page, records attendance while a seat's
representative watches the quorum change live in the meeting room, the council
adopts a recommendation counted per seat, the secretary drafts and edits the
minutes, and the next meeting adopts them — after which they no longer change."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from council.db import utcnow
from council.governance import meetings, seats
from council.rooms.stream import post
from tests.browser.conftest import csp_violations, open_page, serve
from tests.factories import Factory

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def council_server(tmp_path_factory, template_db):
    with serve(tmp_path_factory.mktemp("council"), template_db) as server:
        yield server


def test_a_meeting_from_convening_to_adopted_minutes(council_server, browser):
    server = council_server
    make = Factory(server.app)
    national = server.org("National CERT", tier="national")
    secretary = server.create_user("dg@ncert.test", name="Dana DG", org="National CERT")
    admin = server.create_user("admin@ncert.test", name="Nadia Admin", org="National CERT", role="admin")
    ministry = make.org("Ministry of IT", kind="ministry")
    chair = make.user("chair@moitt.test", org=ministry, name="Chaudhry Chair")
    telecom = make.org("Telecom Sector CERT", tier="sectoral", parent=national)
    rep = make.user("rep@telecom.test", org=telecom, name="Tariq Telecom")
    start = date.today() - timedelta(days=10)
    make.run(seats.create_seat, actor=admin, org_id=national.id, office="secretary", term_start=start,
             representatives=[(secretary.id, "primary")])
    make.run(seats.create_seat, actor=secretary, org_id=ministry.id, office="chair", term_start=start,
             representatives=[(chair.id, "primary")])
    make.run(seats.create_seat, actor=secretary, org_id=telecom.id, office="member", term_start=start,
             representatives=[(rep.id, "primary")])

    # The secretary convenes from the council page.
    sec = open_page(browser, server, secretary.email, "/council/", ready="#meet-h")
    sec.click("summary:has-text('Convene a meeting')")
    sec.fill("#m-title", "Quarterly meeting")
    sec.fill("#m-start", (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    sec.fill("#m-agenda", "Opening\nOrganisational CERTs in ministries")
    with sec.expect_navigation():
        sec.click("button:has-text('Convene')")
    assert "Meeting convened" in sec.locator(".flash-success").inner_text()
    assert sec.locator(".agenda li").all_inner_texts() == ["Opening", "Organisational CERTs in ministries"]

    # The representative watches the quorum in the meeting room while the secretary records attendance.
    room_link = sec.locator("a:has-text('Meeting room')").get_attribute("href")
    watcher = open_page(browser, server, rep.email, room_link)
    quorum = watcher.locator("[data-meeting-quorum]")
    assert quorum.inner_text() == "0 of 3 seats present · quorum 2 not met"
    for org in ("National CERT", "Telecom Sector CERT"):
        row = sec.locator("#attendance tbody tr", has_text=org)
        with sec.expect_navigation():
            row.locator("button:has-text('Present')").click()
    assert "2 of 3 seats present · quorum 2 met" in sec.locator("[data-quorum]").inner_text()
    quorum.filter(has_text="2 of 3 seats present · quorum 2 met").wait_for()  # live, no reload
    watcher.locator(".ev-system", has_text="Telecom Sector CERT present, Tariq Telecom").wait_for()

    # A recommendation, counted per seat, proposed and decided in the room.
    lead = open_page(browser, server, secretary.email, room_link)
    lead.click("summary:has-text('Propose a decision')")
    lead.fill("#dp-title", "Recommend an organisational CERT in every ministry")
    lead.select_option("#dp-type", "recommendation")
    lead.fill("#dp-addressee", "Federal Government")
    lead.click("[data-propose-form] button:has-text('Propose')")
    card = lead.locator("article.decision", has_text="Recommend an organisational CERT")
    card.wait_for()
    assert "to Federal Government" in card.inner_text() and "counted per seat" in card.inner_text()
    card.locator("[data-cast] button").click()
    card.locator(".positions", has_text="Support").wait_for()
    mine = watcher.locator("article.decision", has_text="Recommend an organisational CERT")
    mine.wait_for()
    mine.locator("[data-cast] button").click()
    card.locator(".tally", has_text="2 of 3 organisations").wait_for()
    card.locator("summary:has-text('Close decision')").click()
    card.locator("[data-close] textarea").fill("Two of three seats support; forwarded to the Cabinet Division.")
    card.locator("[data-close] button").click()
    card.locator(".tag-ok", has_text="Adopted").wait_for()

    # The secretary closes the meeting, drafts the minutes from the record and edits them.
    sec.reload()
    with sec.expect_navigation():
        sec.once("dialog", lambda d: d.accept())
        sec.click("button:has-text('Close the meeting')")
    with sec.expect_navigation():
        sec.click("button:has-text('Draft the minutes from the record')")
    text = sec.locator(".md").inner_text()
    assert "Recommend an organisational CERT in every ministry" in text and "Seats present: 2 of 3" in text
    body = sec.locator("#min-body")
    body.fill(body.input_value() + "\nThe chair thanked the members.\n")
    with sec.expect_navigation():
        sec.click("button:has-text('Save')")
    assert "The chair thanked the members." in sec.locator(".md").inner_text()
    minutes_url = sec.url

    # The next meeting adopts them.
    nxt = make.run(meetings.convene, actor=secretary, title="Next meeting", kind="regular",
                   starts_at=utcnow() + timedelta(days=30), agenda=[{"title": "Minutes"}])
    sec.reload()
    sec.select_option("#min-at", label=sec.locator("#min-at option").first.inner_text())
    with sec.expect_navigation():
        sec.click("button:has-text('Propose adoption')")
    assert "before the council" in sec.locator(".flash-success").inner_text()
    decision_id = int(sec.locator("a:has-text('decision #')").inner_text().split("#")[1])
    for who in (secretary, chair, rep):
        make.run(post, actor=who, room_id=nxt.room_id, kind="decision",
                 payload={"op": "position", "decision_id": decision_id, "position": "support"})
    make.run(post, actor=chair, room_id=nxt.room_id, kind="decision",
             payload={"op": "close", "decision_id": decision_id, "rationale": "Adopted without amendment."})
    sec.goto(minutes_url)
    assert sec.locator("header .tag-ok").inner_text() == "Adopted"
    assert sec.locator("#min-body").count() == 0  # adopted minutes offer no editing
    exported = sec.request.get(server.url(sec.locator("a:has-text('Markdown')").get_attribute("href")))
    assert exported.ok and exported.text().startswith("**TLP:AMBER+STRICT**")
    assert "Adopted" in exported.text() and "The chair thanked the members." in exported.text()
    for p in (sec, watcher, lead):
        assert not p.problems and not csp_violations(p)
