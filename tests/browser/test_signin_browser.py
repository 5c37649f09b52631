"""Signing in with a real browser against the real server (gevent mode)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import csp_violations
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_from_the_front_door_reaches_the_dashboard(live_server, page):
    live_server.org("Banking Sector CERT", sector="banking-finance")
    live_server.create_user("sana@bank.example", name="Sana Qureshi", org="Banking Sector CERT")

    page.goto(live_server.url("/"))
    assert re.fullmatch(re.escape(live_server.url("/login")) + r"\?next=(/|%2F)", page.url)
    assert page.locator("h1").inner_text() == "Sign in"

    page.fill("#email", "sana@bank.example")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    assert page.url == live_server.url("/")
    heading = page.locator("h1").inner_text()
    assert heading == "Good to see you, Sana Qureshi"
    assert "Banking Sector CERT" in page.locator(".page-head").inner_text()
    assert "Sana Qureshi" in page.locator(".whoami").inner_text()
    assert csp_violations(page) == []
    assert page.problems == [], live_server.server_log()


def test_wrong_password_stays_on_the_sign_in_page_with_the_generic_message(live_server, page):
    live_server.create_user("wrong@bank.example")
    page.goto(live_server.url("/login"))
    page.fill("#email", "wrong@bank.example")
    page.fill("#password", "not the password at all")
    with page.expect_response(lambda r: r.url.startswith(live_server.url("/login")) and r.request.method == "POST"
                              ) as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 401
    assert "Sign-in failed." in page.locator("[role=alert]").inner_text()
    assert page.locator("#email").input_value() == "wrong@bank.example"
    assert csp_violations(page) == []
    # The 401 itself shows as a console error in Chromium; nothing else may.
    assert [p for p in page.problems if "401" not in p] == []


def test_the_browser_enforces_the_csp_and_the_checks_would_see_a_violation(live_server, page):
    """Guards the two tests above: an injected inline script is blocked, and reported."""
    page.goto(live_server.url("/login"))
    page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true';
        document.body.appendChild(s);
    }""")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert page.evaluate("window.__inlineRan === undefined")
    assert any(v.startswith("script-src") for v in csp_violations(page))
    assert any("Content Security Policy" in p for p in page.problems)


def test_the_server_runs_in_gevent_mode(live_server):
    assert "(async mode gevent)" in live_server.server_log()
