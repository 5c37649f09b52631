"""The second factor in a real browser: enrol from the page (reading the manual key,
computing the code with pyotp), a TLP:RED room through the step-up, sign out, sign in
with password + code. Screenshots of the enrolment and code pages at 390 and 1440 px."""

from __future__ import annotations

import pyotp
import pytest

from council.auth.totp import step_at
from council.db import utcnow
from tests.browser.conftest import csp_violations
from tests.factories import PASSWORD, Factory, totp_code

pytestmark = pytest.mark.browser


def shoot(page, path, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5_000
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling


def test_enrol_open_a_red_room_by_step_up_and_sign_in_with_a_code(live_server, page, tmp_path):
    person = live_server.create_user("red@bank.example", name="Rida Red", org="Banking Sector CERT")
    room = Factory(live_server.app).room(person, title="Named-victim breach", tlp="RED")

    page.goto(live_server.url("/login"))
    page.fill("#email", "red@bank.example")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == live_server.url("/")  # no factor yet, none required of a member

    # A TLP:RED room: no second factor yet, so set one up first, then on to the room.
    page.goto(live_server.url(f"/rooms/{room.id}"))
    assert page.url == live_server.url(f"/account/second-factor?next=/rooms/{room.id}")
    with page.expect_navigation():
        page.click("form[action^='/account/second-factor/start'] button")
    page.wait_for_selector("svg.qr")
    for width in (390, 1440):
        shoot(page, tmp_path / f"enrol-{width}.png", width)
    key = page.locator("#manual-key").inner_text().replace(" ", "")
    page.fill("#confirm-password", PASSWORD)
    page.fill("#confirm-code", pyotp.TOTP(key).generate_otp(step_at(utcnow())))
    with page.expect_navigation():
        page.click("text=Confirm and turn on")
    codes = page.locator("#recovery-codes li").all_inner_texts()
    assert len(codes) == 10 and "Shown only now." in page.content()
    with page.expect_navigation():
        page.click("text=I have saved them — continue")
    assert page.url == live_server.url(f"/rooms/{room.id}")
    assert page.locator("h1").first.inner_text().startswith("Named-victim breach")

    # Sign out, then in again: password, then the code.
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    page.fill("#email", "red@bank.example")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.url == live_server.url("/login/code")
    code_input = page.locator("#code")
    assert code_input.get_attribute("autocomplete") == "one-time-code"
    assert code_input.get_attribute("inputmode") == "numeric"
    for width in (390, 1440):
        shoot(page, tmp_path / f"code-{width}.png", width)
    page.fill("#code", totp_code(live_server.app, "red@bank.example", secret=key))
    with page.expect_navigation():
        page.click("text=Verify and sign in")
    assert page.url == live_server.url("/")
    # Verified at sign-in: the RED room opens straight away.
    page.goto(live_server.url(f"/rooms/{room.id}"))
    assert page.url == live_server.url(f"/rooms/{room.id}")
    page.wait_for_selector("[data-conn].conn-live")
    assert csp_violations(page) == []
    assert page.problems == [], live_server.server_log()
