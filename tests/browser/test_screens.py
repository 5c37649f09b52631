"""Every page of the seeded demo, walked as an admin, a duty officer and a drill
controller: no sideways scrolling at 390, 1440 and 1920 px, axe-core finds no
accessibility violation, times follow the one format family with the zone named
once, and no stored value (``in_progress``) reaches the reader.

The walk follows the links a person can click, from the dashboard on, so a new
page is checked as soon as something links to it. axe-core comes from npm
(package.json) and is evaluated in the page by the test, never served.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urldefrag, urlparse

import pytest
from sqlalchemy import select

from council.auth.models import User
from council.demo import DEMO_PASSWORD
from council.extensions import database
from council.labels import LABELS
from tests.browser.conftest import ROOT, csp_violations, open_page, serve
from tests.factories import enrol_known_secret

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PEOPLE = ("admin@ncert.example", "duty@ncert.example", "ops@govcert.example", "dg@ncert.example")
WIDTHS = (390, 1440, 1920)
SKIP = re.compile(r"/logout|/export|\.(csv|json|pdf|md|html)$|^/api/|^/static/|/msel\.csv|/download")
PER_PATTERN = 2  # pages of one shape checked per person (every room: they differ by kind and role)
PER_PATTERN_OF = {"/rooms/N": 10}
# Times shown to people: "2026-12-01 14:02", with seconds, or "14:02"; T+HH:MM:SS for exercise time.
TIME_TEXT = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?|\d{2}:\d{2}|T\+\d{2,3}:\d{2}(:\d{2})?)$")
# In Urdu the server writes dates its way ("1 دسمبر 2026، 14:02", council/timefmt.py).
TIME_TEXT_UR = re.compile(r"^(\d{1,2} [\u0600-\u06ff]+ \d{4}، \d{2}:\d{2}(:\d{2})?)$")
OTHER_DATES = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{4}\b"
                         r"|\b\d{1,2}/\d{1,2}/\d{4}\b")
RAW_VALUES = sorted({v for table in LABELS.values() for v in table if "_" in v})


def seed_demo(app):  # type: ignore[no-untyped-def]
    result = app.test_cli_runner().invoke(args=["council", "seed-demo"])
    assert result.exit_code == 0, result.output
    # The demo admin sets up a second factor at first sign-in; the walk starts after that.
    with database(app).session(write=False) as s:
        admin_id = s.scalar(select(User.id).where(User.email == "admin@ncert.example"))
    enrol_known_secret(app, admin_id)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, template_db):
    with serve(tmp_path_factory.mktemp("demo"), template_db, prepare=seed_demo) as server:
        yield server


def pattern(path: str) -> str:
    return re.sub(r"\d+", "N", path)


def links(page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    out = []
    for href in hrefs:
        url, _frag = urldefrag(href)
        parsed = urlparse(url)
        if not url.startswith(base) or SKIP.search(parsed.path):
            continue
        out.append(parsed.path)
    return out


def check_page(page, path: str, urdu: bool = False) -> list[str]:
    problems = []
    if urdu and page.evaluate("[document.documentElement.lang, document.documentElement.dir].join(' ')") != "ur rtl":
        problems.append(f"{path} is not an Urdu right-to-left page")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        over = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if over[0] > over[1]:
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                .slice(0, 3).map(e => e.tagName + '.' + e.className)""")
            problems.append(f"{path} at {width}px: {over[0]} px wide ({wide})")
    page.set_viewport_size({"width": 1440, "height": 900})
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    violations = page.evaluate("""async () => (await axe.run(document, {resultTypes: ['violations']})).violations
        .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))""")
    problems += [f"{path} axe {v}" for v in violations]
    times = page.eval_on_selector_all("time", "els => els.filter(e => e.offsetParent)"
                                      ".map(e => e.textContent.replace(/[\\u2066-\\u2069]/g, '').trim())")
    problems += [f"{path} time shown as {t!r}" for t in times
                 if t and not TIME_TEXT.match(t) and not (urdu and TIME_TEXT_UR.match(t))]
    # The prose people read: not code, form controls' values or hidden parts (a record's own
    # time zone in the audit details or a select is data, not the page naming its zone).
    text = page.evaluate("""() => { let t = document.body.innerText;
        document.querySelectorAll('code, pre, kbd, textarea, select').forEach(n => {
            const inner = n.innerText; if (inner) t = t.split(inner).join(' '); });
        return t; }""")
    visible = page.evaluate("""() => { const c = document.body.cloneNode(true);
        c.querySelectorAll('code, pre, kbd, textarea, script').forEach(n => n.remove());
        return c.innerText || c.textContent; }""")
    for match in OTHER_DATES.finditer(text):
        problems.append(f"{path} date outside the format family: {match.group(0)!r}")
    zone_mentions = text.count("Asia/Karachi")
    if zone_mentions > 1:
        problems.append(f"{path} names the zone {zone_mentions} times")
    for raw in RAW_VALUES:
        if re.search(rf"(?<![\w/-]){re.escape(raw)}(?![\w-])", visible):
            problems.append(f"{path} shows the stored value {raw!r}")
    return problems


def walk(browser, server, email: str, locale: str | None = None) -> tuple[list[str], list[str]]:
    page = open_page(browser, server, email, "/", ready=None, password=DEMO_PASSWORD, locale=locale)
    seen: set[str] = set()
    per_pattern: dict[str, int] = {}
    queue = deque(["/"])
    visited, problems = [], []
    while queue:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        key = pattern(path)
        if per_pattern.get(key, 0) >= PER_PATTERN_OF.get(key, PER_PATTERN):
            continue
        per_pattern[key] = per_pattern.get(key, 0) + 1
        response = page.goto(server.url(path))
        if response is None or response.status >= 400:
            problems.append(f"{path} answered {response.status if response else 'nothing'}")
            continue
        if page.locator("[data-conn]").count():
            page.wait_for_selector("[data-conn].conn-live, [data-wall-conn].conn-live")
        visited.append(path)
        problems += check_page(page, path, urdu=locale is not None)
        queue.extend(p for p in links(page, server.base_url) if p not in seen)
    problems += [f"{email}: {p}" for p in page.problems]
    problems += [f"{email}: CSP {v}" for v in csp_violations(page)]
    page.context.close()
    return visited, problems


@pytest.mark.parametrize("email", PEOPLE)
def test_every_page_fits_the_screen_is_accessible_and_speaks_human(demo, browser, email):
    if not AXE.exists():
        pytest.skip("axe-core is installed by `npm ci` (make vendor)")
    visited, problems = walk(browser, demo, email)
    assert len(visited) >= 15, visited
    assert problems == [], "\n".join(problems)


def test_the_pages_in_urdu_fit_the_screen_are_accessible_and_right_to_left(demo, browser):
    """The same walk for a reader whose browser asks for Urdu (the duty officer sees most)."""
    if not AXE.exists():
        pytest.skip("axe-core is installed by `npm ci` (make vendor)")
    visited, problems = walk(browser, demo, "duty@ncert.example", locale="ur-PK")
    assert len(visited) >= 15, visited
    assert problems == [], "\n".join(problems)
