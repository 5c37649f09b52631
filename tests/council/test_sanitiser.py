"""The one sanitiser, fed the XSS corpus through every markdown field; its
output is parse-checked against the allow-list (tags, attributes, schemes)."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest

from council.rooms import services, stream
from council.text import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, render_markdown

CORPUS = [line for line in (Path(__file__).parent.parent / "data" / "xss-rsnake.txt").read_text().splitlines()
          if line.strip()]
EXTRA = [
    "[click](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[d](data:text/html;base64,PHNjcmlwdD4=)",
    "<svg onload=alert(1)>", "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
    "<iframe src=https://evil.example></iframe>", "<style>body{display:none}</style>",
    "![img](https://evil.example/x.png)", '<a href="https://ok.example" onclick="alert(1)">ok</a>',
    "<details open ontoggle=alert(1)>", "```\n<script>alert(1)</script>\n```",
]


def assert_safe(html: str) -> None:
    fragment = html5lib.parseFragment(html, namespaceHTMLElements=False)
    for node in fragment.iter():
        if not isinstance(node.tag, str) or node.tag == "DOCUMENT_FRAGMENT":
            continue
        assert node.tag in ALLOWED_TAGS, f"tag {node.tag!r} survived in {html!r}"
        allowed = ALLOWED_ATTRIBUTES.get(node.tag, [])
        for name, value in node.attrib.items():
            ok = allowed(node.tag, name, value) if callable(allowed) else name in allowed
            assert ok, f"attribute {name!r} on {node.tag} survived in {html!r}"
            if name == "href":
                scheme = urlsplit(value.strip()).scheme.lower()
                assert scheme in ALLOWED_PROTOCOLS, f"href {value!r} survived"
            if name == "rel":
                assert value == "noopener nofollow"


@pytest.mark.parametrize("payload", CORPUS + EXTRA)
def test_payload_is_neutralised(payload):
    html = render_markdown(payload)
    assert_safe(html)
    assert "<script" not in html.lower()


@pytest.mark.parametrize("payload", CORPUS + EXTRA)
def test_payload_inside_urdu_text_is_neutralised_too(payload):
    """Urdu text takes the cleaner that also marks technical tokens (council/bidi.py)."""
    html = render_markdown(f"حملہ {payload} 198.51.100.7")
    assert_safe(html)
    assert "<script" not in html.lower()


def test_allowed_markdown_survives():
    html = render_markdown("**b** _i_ `c`\n\n> q\n\n- a\n- b\n\n| h |\n|---|\n| d |\n\n[l](https://x.example)")
    for tag in ("<strong>b</strong>", "<em>i</em>", "<code>c</code>", "<blockquote>", "<li>a</li>", "<table>",
                '<a href="https://x.example" rel="noopener nofollow">l</a>'):
        assert tag in html
    assert 'href="mailto:' in render_markdown("[m](mailto:duty@ncert.example)")


def test_every_markdown_field_of_a_room_is_sanitised(make):
    org = make.org()
    lead = make.user(org=org)
    nasty = "\n\n".join(CORPUS + EXTRA)
    room = make.run(services.create_room, actor=lead, title="XSS", severity="low", tlp="GREEN", org_ids=[org.id],
                    summary=nasty)
    assert_safe(room.summary_html)
    produced = []
    for kind, payload in [
        ("message", {"body": nasty}),
        ("timeline", {"body": nasty, "category": "analysis"}),
        ("action", {"title": "t", "body": nasty}),
        ("sitrep", {name: nasty for name in ("situation", "impact", "actions_taken", "next_steps", "requests")}),
    ]:
        ev, _ = make.run(stream.post, actor=lead, room_id=room.id, kind=kind, payload=payload)
        produced.append(ev.body_html)
        produced.extend(json.loads(ev.data).get("sections", {}).values())
    assert len(produced) == 9
    for html in produced:
        assert html  # something survived as text
        assert_safe(html)


def test_plain_urls_become_links_through_the_one_sanitiser():
    html = render_markdown("Patch notes at https://vendor.example/advisory?id=7, mirror http://mirror.test.")
    assert '<a href="https://vendor.example/advisory?id=7" rel="noopener nofollow">' in html
    assert '<a href="http://mirror.test" rel="noopener nofollow">http://mirror.test</a>.' in html


def test_only_http_urls_are_linked_and_never_in_code_or_bare_indicators():
    html = render_markdown("evil.example 198.51.100.7 hxxp://bad.example ftp://f.example javascript:alert(1)\n\n"
                           "`https://in.code/` and\n\n    https://in.block/")
    assert "<a " not in html
    # A link the author wrote keeps its own text; its URL is not linked twice.
    linked = render_markdown("[the advisory](https://a.example/x) https://a.example/x")
    assert linked.count("<a ") == 2 and "the advisory</a>" in linked
    assert_safe(render_markdown("https://x.example/\"><script>alert(1)</script>"))
