"""The one sanitiser: markdown in, safe HTML out.

Python-Markdown passes raw HTML through, so its output is cleaned with bleach
against a strict allow-list. Run once, on write; the raw text is stored beside
the HTML and pages show the stored HTML as is.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache, partial
from typing import ClassVar

import bleach
import markdown as md
from bleach.html5lib_shim import Filter
from bleach.linkifier import LinkifyFilter

from council.bidi import has_right_to_left, split_tokens

ALLOWED_TAGS = frozenset(
    {
        "p", "br", "hr", "strong", "b", "em", "i", "del", "s", "code", "pre", "kbd",
        "blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
        "table", "thead", "tbody", "tr", "th", "td", "a", "sup", "sub", "bdi",
    }
)


def _bdi_attribute(_tag: str, name: str, value: str) -> bool:
    """A <bdi> keeps a direction and the one class the renderer gives it (council/bidi.py)."""
    return (name == "dir" and value in ("ltr", "rtl", "auto")) or (name == "class" and value == "ltr")


ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "th": ["align"], "td": ["align"], "ol": ["start"],
                      "bdi": _bdi_attribute}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener nofollow"
MAX_MARKDOWN_CHARS = 100_000
# Plain URLs become links; only with an explicit http(s) scheme, so a bare
# domain or an indicator ("evil.example") is never turned into a live link.
PLAIN_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)


class _LinkRel(Filter):  # type: ignore[misc]
    """Every surviving link gets rel="noopener nofollow", whatever the author
    wrote. Runs inside the cleaner's own pass: a second parse (bleach's
    linkify) would double the cost of every post."""

    def __iter__(self):  # type: ignore[no-untyped-def]
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                attrs = dict(token["data"])
                if (None, "href") in attrs:
                    attrs[(None, "rel")] = LINK_REL
                else:
                    attrs.pop((None, "rel"), None)
                token["data"] = attrs
            yield token


class _MarkTokens(Filter):  # type: ignore[misc]
    """Technical tokens (IPs, domains, hashes, CVE ids…, council/bidi.py) are wrapped in
    <bdi class="ltr" dir="ltr"> so they read left to right inside an Urdu sentence. Same
    single pass as the cleaning; only for text with right-to-left characters (the other
    cleaner); code, pre and kbd already read left to right (CSS)."""

    SKIP = frozenset({"code", "pre", "bdi", "kbd"})
    MARK: ClassVar[dict[tuple[None, str], str]] = {(None, "class"): "ltr", (None, "dir"): "ltr"}

    def __iter__(self):  # type: ignore[no-untyped-def]
        inside, text = 0, []
        for token in super().__iter__():
            kind = token["type"]
            # A run of text reaches the filter in pieces (an "&" is an entity token of its
            # own): joined, a URL with a query is marked whole. The serialiser escapes it again.
            if not inside and kind in ("Characters", "SpaceCharacters", "Entity"):
                text.append(token["data"] if kind != "Entity" else html.unescape(f"&{token['name']};"))
                continue
            yield from self._marked("".join(text))
            text = []
            if kind == "StartTag" and token["name"] in self.SKIP:
                inside += 1
            elif kind == "EndTag" and token["name"] in self.SKIP:
                inside = max(0, inside - 1)
            yield token
        yield from self._marked("".join(text))

    def _marked(self, text: str):  # type: ignore[no-untyped-def]
        for piece, is_token in split_tokens(text) if text else ():
            if is_token:
                yield {"type": "StartTag", "name": "bdi", "namespace": None, "data": dict(self.MARK)}
                yield {"type": "Characters", "data": piece}
                yield {"type": "EndTag", "name": "bdi", "namespace": None}
            else:
                yield {"type": "Characters", "data": piece}


@lru_cache(maxsize=2)
def _cleaner(mark_tokens: bool = False) -> bleach.Cleaner:
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        # Linkify inside the cleaner's one pass, then give every link its rel.
        filters=[partial(LinkifyFilter, callbacks=[], skip_tags={"pre", "code", "a"}, parse_email=False,
                         url_re=PLAIN_URL), _LinkRel, *([_MarkTokens] if mark_tokens else [])],
    )


# Bidirectional embedding, override and isolate controls: in a name or title they
# reorder what follows on screen ("Trojan Source"), so short fields never keep them.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_LINE = dict.fromkeys(map(ord, BIDI_CONTROLS + "\x00"), None)


def clean_line(value: str) -> str:
    """A name or title without NUL and bidi controls."""
    return value.translate(_LINE)


def clean_text(value: str) -> str:
    """Long text (markdown, notes) without NUL, which no database stores as text."""
    return value.replace("\x00", "")


def render_markdown(text: str) -> str:
    """Return sanitised HTML for ``text`` (markdown). Empty text gives ''."""
    if not text or not text.strip():
        return ""
    text = clean_text(text)
    converter = _take_converter()
    try:
        html = converter.reset().convert(text[:MAX_MARKDOWN_CHARS])
    finally:
        _CONVERTERS.append(converter)
    return _cleaner(has_right_to_left(text)).clean(html)


# Building a Markdown instance (extensions, processors, patterns) cost more than
# converting a chat message with it: instances are reused, each by one caller
# at a time (list.pop/append are atomic; convert never yields to another greenlet).
_CONVERTERS: list[md.Markdown] = []


def _take_converter() -> md.Markdown:
    try:
        return _CONVERTERS.pop()
    except IndexError:
        return md.Markdown(extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
