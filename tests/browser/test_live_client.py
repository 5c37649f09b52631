"""The live room client as people use it: the composer under fast typing, an
exercise room rebuilt after a reload exactly as it was built live, controls
that say why they are off, refusals shown where the person acted, and the
keyboard (Up-arrow edits, Ctrl+K, the skip link)."""

from __future__ import annotations

import itertools

import pytest

from council.rooms.services import create_room
from exercises.runs.services import create_exercise
from exercises.scenarios.services import import_csv
from tests.browser.conftest import csp_violations, open_page
from tests.exercises.helpers import inject, msel_text
from tests.factories import Factory

pytestmark = pytest.mark.browser
_n = itertools.count(1)
FEED = "[data-events]"


def feed_dom(page) -> str:
    """The feed as markup, without what depends on the moment (the unread marker, pending sends)."""
    return page.eval_on_selector(FEED, """ol => {
        const copy = ol.cloneNode(true);
        copy.querySelectorAll('.unread-marker, .ev-pending').forEach((n) => n.remove());
        copy.querySelectorAll('.flash-target').forEach((n) => n.classList.remove('flash-target'));
        return copy.innerHTML;
    }""")


@pytest.fixture
def room_pair(live_server, browser):
    n = next(_n)
    lead = live_server.create_user(name="Composer Lead", org=f"Composer CERT {n}")
    member = live_server.create_user(name="Composer Member", org=f"Composer CERT {n}")
    room = Factory(live_server.app).run(create_room, actor=lead, title=f"Composer room {n}", severity="high",
                                        tlp="AMBER", org_ids=[], member_emails=[member.email])
    pages = [open_page(browser, live_server, u.email, f"/rooms/{room.id}") for u in (lead, member)]
    yield room, pages
    for page in pages:
        page.context.close()


def test_twenty_rapid_sends_while_typing_arrive_once_each_and_the_draft_survives(room_pair):
    _room, (lead, member) = room_pair
    box = "[data-composer-text]"
    for i in range(20):
        lead.fill(box, f"rapid message {i:02d}")
        lead.keyboard.press("Control+Enter")
        lead.keyboard.press("Control+Enter")  # a second press during the send does nothing
        lead.type(box, "dra")  # typing goes on while the message is in flight
        assert lead.input_value(box).endswith("dra")
    lead.type(box, "ft in progress")
    assert lead.input_value(box) == "draft in progress"
    for page in (lead, member):
        page.locator(".ev-message:not(.ev-pending)", has_text="rapid message 19").wait_for()
        page.wait_for_function("() => !document.querySelector('.ev-pending')")
        texts = page.locator(f"{FEED} > li.ev-message .ev-body").all_inner_texts()
        rapid = [t for t in texts if t.startswith("rapid message")]
        assert rapid == [f"rapid message {i:02d}" for i in range(20)]
    assert lead.input_value(box) == "draft in progress"
    assert lead.problems == [] and member.problems == []


def test_a_pending_message_shows_greyed_with_its_client_id_until_the_answer(room_pair):
    _room, (lead, _member) = room_pair
    # Hold the socket's outgoing packets so the message stays in flight.
    lead.evaluate("window.__roomSocket.io.engine.transport.writable = false")
    lead.fill("[data-composer-text]", "held in flight")
    lead.keyboard.press("Control+Enter")
    pending = lead.locator(".ev-pending", has_text="held in flight")
    pending.wait_for()
    assert lead.input_value("[data-composer-text]") == ""
    assert pending.get_attribute("data-client-id")
    assert pending.evaluate("el => getComputedStyle(el).opacity") < "1"
    lead.evaluate("() => { const t = window.__roomSocket.io.engine.transport; t.writable = true; "
                  "window.__roomSocket.io.engine.flush(); }")
    lead.locator(".ev-message:not(.ev-pending)", has_text="held in flight").wait_for()
    assert lead.locator(".ev-pending").count() == 0


def test_a_refused_message_returns_to_the_box_with_the_reason(room_pair):
    _room, (lead, member) = room_pair
    member.fill("[data-composer-text]", "my draft statement")
    member.keyboard.press("Control+Enter")
    message = lead.locator(".ev-message:not(.ev-pending)", has_text="my draft statement")
    message.wait_for()
    member.locator(".ev-message:not(.ev-pending)", has_text="my draft statement").wait_for()
    member.focus("[data-composer-text]")
    member.keyboard.press("ArrowUp")  # the member starts editing it…
    member.fill("[data-composer-text]", "my corrected statement")
    lead.once("dialog", lambda d: d.accept())
    message.hover()
    message.locator("[data-redact]").click()  # …while the lead redacts it
    member.locator(".ev-message .redacted").wait_for()
    member.keyboard.press("Control+Enter")
    member.locator("[data-composer-error]", has_text="already redacted").wait_for()
    assert member.input_value("[data-composer-text]") == "my corrected statement"
    assert member.locator(".ev-pending").count() == 0


def test_up_arrow_edits_my_last_message(room_pair):
    _room, (lead, member) = room_pair
    lead.fill("[data-composer-text]", "first version")
    lead.keyboard.press("Control+Enter")
    lead.locator(".ev-message:not(.ev-pending)", has_text="first version").wait_for()
    lead.focus("[data-composer-text]")
    lead.keyboard.press("ArrowUp")
    assert lead.input_value("[data-composer-text]") == "first version"
    lead.locator("[data-composer-mode]", has_text="Editing message").wait_for()
    lead.fill("[data-composer-text]", "second version")
    lead.keyboard.press("Control+Enter")
    for page in (lead, member):
        page.locator(".ev-message:not(.ev-pending)", has_text="second version").wait_for()
        page.wait_for_function("() => !document.querySelector('.ev-pending')")
        assert page.locator(".ev-message", has_text="first version").count() == 0


def test_refusals_are_shown_where_the_person_acted(room_pair, live_server):
    _room, (lead, _member) = room_pair
    outsider = live_server.create_user(name="Outside Person", org="A CERT outside the room")
    lead.click("[data-lead] > summary")
    lead.fill("#mem-email", "nobody-here@example.org")
    lead.click("[data-member-form] button[type=submit]")
    lead.locator("[data-member-form] .action-error", has_text="No active user").wait_for()
    lead.locator("[data-status-form] button[type=submit]").click()
    lead.locator("[data-status-form] .action-error", has_text="Nothing to change").wait_for()
    # An AMBER room refuses someone of an organisation outside it: the form says so.
    lead.fill("#mem-email", outsider.email)
    lead.click("[data-member-form] button[type=submit]")
    lead.locator("[data-member-form] .action-error", has_text="not allowed").wait_for()
    assert csp_violations(lead) == []


def test_ctrl_k_switches_rooms_and_the_skip_link_leads_to_the_composer(room_pair, live_server):
    room, (lead, _member) = room_pair
    other = Factory(live_server.app).run(create_room, actor=live_server.create_user(org="Switcher CERT"),
                                         title="Switcher target room", severity="low", tlp="GREEN", org_ids=[])
    lead.keyboard.press("Control+k")
    lead.locator("dialog.switcher[open]").wait_for()
    lead.keyboard.type("switcher target")
    lead.locator(".switcher-item", has_text="Switcher target room").wait_for()
    with lead.expect_navigation():
        lead.keyboard.press("Enter")
    assert lead.url.endswith(f"/rooms/{other.id}")
    lead.goto(live_server.url(f"/rooms/{room.id}"))
    lead.wait_for_selector("[data-conn].conn-live")
    lead.keyboard.press("Tab")  # "Skip to content"
    lead.keyboard.press("Tab")
    assert lead.evaluate("document.activeElement.textContent") == "Skip to the message box"
    lead.keyboard.press("Enter")
    assert lead.evaluate("document.activeElement.id") == "composer-text"


# --- exercise rooms -----------------------------------------------------------------

@pytest.fixture
def drill(live_server, browser):
    n = next(_n)
    org = f"Reload Drill CERT {n}"
    director = live_server.create_user(name="Reload Director", org=org)
    people = {role: live_server.create_user(name=f"Reload {role}", org=org)
              for role in ("controller", "player", "evaluator")}
    make = Factory(live_server.app)
    scenario = make.run(import_csv, actor=director, title=f"Reload drill {n}", text=msel_text(
        inject("R1", "T+00:05", "Switch encrypted", to="Blue Team", release="manual", message="Ransom **note**",
               expected_action="Isolate the segment", notes="Read aloud"),
        inject("R2", "T+02:00", "Media calls", to="all", delivery="media", release="manual")))
    ex = make.run(create_exercise, actor=director, scenario_id=scenario.id, title=f"Reload drill run {n}",
                  org_ids=[live_server.org(org).id], controllers=[people["controller"].email],
                  evaluators=[people["evaluator"].email], players={"Blue Team": [people["player"].email]}, speed=1)
    pages = {role: open_page(browser, live_server, u.email, f"/rooms/{ex.room_id}") for role, u in people.items()}
    yield ex, pages
    for page in pages.values():
        page.context.close()


def test_an_exercise_feed_rebuilt_after_a_reload_equals_the_feed_built_live(drill):
    _ex, pages = drill
    controller, player, evaluator = pages["controller"], pages["player"], pages["evaluator"]
    controller.click("[data-clock=start]")
    controller.click("[data-ex-upcoming] [data-release=R1]")
    player.locator("[data-ex-inbox-list] [data-ack]").click()
    player.locator(f"{FEED} .ev-ack").wait_for()
    player.locator("[data-ex-inbox-list] [data-respond]").click()
    player.fill("[data-ex-inbox-list] textarea", "We isolated it")
    player.click("[data-ex-inbox-list] form button[type=submit]")
    evaluator.click("[data-ex-evaluator] summary")
    evaluator.select_option("#ob-rating", "S")
    evaluator.select_option("#ob-finding", "improvement")
    evaluator.fill("#ob-body", "Did not brief the council")
    evaluator.click("[data-ex-observation] button[type=submit]")
    controller.click("[data-clock=pause]")
    for page in pages.values():
        page.locator(f"{FEED} .ev-clock", has_text="Exercise paused").wait_for()
    evaluator.locator(f"{FEED} .ev-observation").wait_for()
    for role, page in pages.items():
        live = feed_dom(page)
        page.reload()
        page.wait_for_selector("[data-conn].conn-live")
        assert feed_dom(page) == live, f"the {role}'s feed differs after a reload"
    # What each saw is what their role may see, with the exercise look intact.
    assert controller.locator(f"{FEED} .ex-staff-only", has_text="Isolate the segment").count() == 1
    assert controller.locator(f"{FEED} .delivery-meta", has_text="to Blue Team").count() == 1
    assert player.locator(f"{FEED} .ex-staff-only").count() == 0
    assert "Isolate the segment" not in player.content()
    assert player.locator(f"{FEED} .ev-clock strong", has_text="STARTEX").count() == 1
    assert evaluator.locator(f"{FEED} .ev-observation .finding-improvement").count() == 1
    for page in pages.values():
        assert page.problems == [], page.problems


def test_after_endex_the_controls_are_off_and_say_why(drill):
    _ex, pages = drill
    controller, player = pages["controller"], pages["player"]
    controller.click("[data-clock=start]")
    controller.once("dialog", lambda d: d.accept())
    controller.click("[data-clock=end]")
    controller.locator("[data-ex-state]", has_text="Ended").wait_for()
    reason = controller.locator("[data-ex-controls-reason]")
    reason.wait_for()
    assert "ENDEX" in reason.inner_text()
    for op in ("start", "pause", "resume", "end", "stop"):
        assert controller.locator(f"[data-clock={op}]").is_disabled() or not controller.locator(
            f"[data-clock={op}]").is_visible()
    assert controller.locator("[data-ex-upcoming] [data-release]").count() == 0
    assert not controller.locator("[data-ex-adhoc]").is_visible()
    player.locator("[data-ex-state]", has_text="Ended").wait_for()


def test_an_s_rated_criticism_is_drafted_as_an_area_for_improvement(drill, live_server):
    ex, pages = drill
    controller, evaluator = pages["controller"], pages["evaluator"]
    controller.click("[data-clock=start]")
    evaluator.click("[data-ex-evaluator] summary")
    evaluator.select_option("#ob-rating", "S")
    evaluator.select_option("#ob-finding", "improvement")
    evaluator.fill("#ob-body", "The team did not brief the council before acting")
    evaluator.click("[data-ex-observation] button[type=submit]")
    evaluator.locator("[data-ex-observations] li", has_text="did not brief the council").wait_for()
    controller.once("dialog", lambda d: d.accept())
    controller.click("[data-clock=end]")
    controller.locator("[data-ex-state]", has_text="Ended").wait_for()
    evaluator.goto(live_server.url("/reports/"))  # evaluators of an ended exercise may draft its report
    evaluator.select_option("#r-room", label=f"EXERCISE · {ex.title}")
    with evaluator.expect_navigation():
        evaluator.click("form:has(#r-room) button[type=submit]")
    strengths, areas = evaluator.input_value("#b-findings").split("**Areas for improvement**")
    assert "did not brief the council" in areas and "did not brief the council" not in strengths
