"""Evidence files in a real browser: an HTML file and an SVG file carrying script are
uploaded through the room's Evidence panel, appear live for a colleague, and are
never rendered by the platform: going to the download address gives a download,
no script of the file runs (no dialog, the page's title unchanged)."""

from __future__ import annotations

import hashlib
import itertools

import pytest

from tests.browser.conftest import csp_violations, open_page
from tests.factories import Factory

pytestmark = pytest.mark.browser
_n = itertools.count(1)

HTML = (b"<!doctype html><html><head><title>rendered-html</title></head><body>"
        b"<script>document.title='ran-html';alert('html')</script><img src=x onerror=\"alert('img')\"></body></html>")
SVG = (b"<svg xmlns='http://www.w3.org/2000/svg' onload=\"alert('svg')\"><title>rendered-svg</title>"
       b"<script>document.title='ran-svg';alert('svg-script')</script><circle r='5'/></svg>")


@pytest.fixture
def room(live_server):
    n = next(_n)
    make = Factory(live_server.app)
    org = make.org(f"Evidence CERT {n}")
    lead = make.user(f"evlead{n}@b.example", org=org, name="Erum Evidence")
    colleague = make.user(f"evcol{n}@b.example", org=org, name="Kashif Colleague")
    return make.room(lead, title=f"Evidence room {n}", tlp="AMBER"), lead, colleague


def _upload(page, name: str, content: bytes, mime: str) -> None:
    page.locator(".evidence-panel summary").click()
    page.set_input_files("#rf-file", files=[{"name": name, "mimeType": mime, "buffer": content}])
    page.click(".evidence-panel button[type=submit]")
    page.locator(".evidence-panel .file-item", has_text=name).wait_for()


def test_uploaded_html_and_svg_are_downloads_never_rendered(live_server, browser, room):
    the_room, lead_user, colleague_user = room
    path = f"/rooms/{the_room.id}"
    lead = open_page(browser, live_server, lead_user.email, path)
    colleague = open_page(browser, live_server, colleague_user.email, path)
    dialogs: list[str] = []
    for p in (lead, colleague):
        p.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    _upload(lead, "report.html", HTML, "text/html")
    _upload(lead, "diagram.svg", SVG, "image/svg+xml")
    # Live for the colleague, with the hash the browser can check.
    item = colleague.locator(".evidence-panel .file-item", has_text="diagram.svg")
    item.wait_for()
    assert item.locator("code.sha").inner_text() == hashlib.sha256(SVG).hexdigest()
    colleague.locator(".ev-file", has_text="diagram.svg").wait_for()

    title = colleague.title()
    for name, content in (("report.html", HTML), ("diagram.svg", SVG)):
        href = colleague.locator(".evidence-panel .file-item", has_text=name).locator("a.file-name").get_attribute(
            "href")
        # Going to the address itself (not a link's download attribute): the server's headers decide.
        # The page's address and the REST one are the same service.
        for url in (href, "/api/v1" + href):
            with colleague.expect_download() as info:
                colleague.evaluate("(url) => { window.location.href = url; }", url)
            download = info.value
            assert download.suggested_filename == name
            with open(download.path(), "rb") as saved:
                assert saved.read() == content
            assert colleague.title() == title
    colleague.wait_for_timeout(300)  # a script, had one run, would have opened its dialog by now
    assert dialogs == []
    assert colleague.title() == title and lead.title() == title
    assert colleague.url.endswith(path)
    assert csp_violations(colleague) == [] and colleague.problems == []
    lead.context.close()
    colleague.context.close()
