"""An Urdu reader in a live room: the page is right to left in Nastaleeq, the TLP
banner keeps its English marking, and a message such as "سرور 198.51.100.7 پر حملہ"
keeps the IP whole and left to right inside the right-to-left sentence."""

from __future__ import annotations

import pytest

from council.rooms.services import create_room
from tests.browser.conftest import csp_violations, sign_in
from tests.factories import Factory

pytestmark = pytest.mark.browser

MESSAGE = "سرور 198.51.100.7 پر حملہ، CVE-2024-3094 دیکھیں"

# Where each character of a text node sits on screen (one rect per character, in text order).
CHAR_LEFTS = """(el) => { const out = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    for (let i = 0; i < n.data.length; i++) {
      const r = document.createRange(); r.setStart(n, i); r.setEnd(n, i + 1);
      const box = r.getBoundingClientRect(); if (box.width) out.push([n.data[i], box.left]);
    } }
  return out; }"""


@pytest.fixture
def urdu_room(live_server, browser):
    lead = live_server.create_user(name="ڈیوٹی افسر", org="National CERT Urdu")
    room = Factory(live_server.app).run(create_room, actor=lead, title="بینک پر حملہ", severity="high",
                                        tlp="AMBER", org_ids=[])
    context = browser.new_context(locale="ur-PK", viewport={"width": 1440, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    sign_in(page, live_server, lead.email)
    page.goto(live_server.url(f"/rooms/{room.id}"))
    page.wait_for_selector("[data-conn].conn-live")
    yield page, requests
    context.close()


def test_a_mixed_message_keeps_the_ip_whole_and_left_to_right(live_server, urdu_room):
    page, requests = urdu_room
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["ur", "rtl"]
    assert "TLP:AMBER" in page.locator("[data-tlp-banner]").inner_text()  # the marking stays English
    page.fill("[data-composer-text]", MESSAGE)
    page.keyboard.press("Control+Enter")
    message = page.locator(".ev-message", has_text="پر حملہ")
    message.wait_for()
    ip = message.locator("bdi.ltr", has_text="198.51.100.7")
    assert ip.inner_text() == "198.51.100.7"
    assert ip.evaluate("e => getComputedStyle(e).direction") == "ltr"
    # On screen: the IP's characters run left to right, and the sentence right to left
    # around it: "سرور" (written first) stands to the right of the IP.
    chars = ip.evaluate(CHAR_LEFTS)
    assert "".join(c for c, _ in sorted(chars, key=lambda item: item[1])) == "198.51.100.7"
    cve = message.locator("bdi.ltr", has_text="CVE-2024-3094")
    assert "".join(c for c, _ in sorted(cve.evaluate(CHAR_LEFTS), key=lambda item: item[1])) == "CVE-2024-3094"
    paragraph = message.locator(".md p").first
    assert paragraph.evaluate("e => getComputedStyle(e).unicodeBidi") == "plaintext"
    word = paragraph.evaluate("""(p) => { const n = p.firstChild; const r = document.createRange();
        r.setStart(n, 0); r.setEnd(n, 4); return r.getBoundingClientRect().left; }""")
    assert word > ip.evaluate("e => e.getBoundingClientRect().right")
    # Nastaleeq, from this server only.
    page.evaluate("document.fonts.ready")
    assert page.evaluate("""async () => { await document.fonts.load('16px "Noto Nastaliq Urdu"', 'سرور');
        return document.fonts.check('16px "Noto Nastaliq Urdu"', 'سرور'); }""")
    assert [u for u in requests if not u.startswith(live_server.base_url)] == []
    assert any("noto-nastaliq-urdu" in u for u in requests)
    assert csp_violations(page) == [] and page.problems == []
