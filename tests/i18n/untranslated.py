"""Finds interface text in a template that does not go through gettext.

Jinja's own syntax is taken out first (its expressions may hold ``_('...')``); what is
left is read as HTML: any text node or human-facing attribute (title, aria-label,
placeholder, alt, a button's value) still carrying words is text outside the catalogue.
Words that stay as they are in every language are let through: acronyms and marking
words in capitals (TLP, EXERCISE, CSV, STIX), the platform's name, and what sits in
<code>, <kbd>, <script> and <style>.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

JINJA = re.compile(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", re.S)
HUMAN_ATTRS = frozenset({"title", "aria-label", "placeholder", "alt", "aria-description", "aria-roledescription"})
VERBATIM = frozenset({"code", "kbd", "script", "style", "pre", "samp"})
ALWAYS = ("CERT Council",)
ACRONYM = re.compile(r"^[A-Z0-9][A-Z0-9+.:/_-]*$")


def words_left(text: str) -> list[str]:
    for name in ALWAYS:
        text = text.replace(name, " ")
    found = []
    for word in re.split(r"[\s\x00]+", text):
        core = word.strip(".,:;!?()[]{}'\"·—–-…/|*×#%→←↑↓")
        if not core or ACRONYM.match(core):
            continue
        if any(unicodedata.category(ch).startswith("L") for ch in core):
            found.append(core)
    return found


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            shown_value = tag == "input" and attributes.get("type") in ("submit", "button", "reset")
            human = name in HUMAN_ATTRS or (name == "value" and shown_value)
            if human and value and words_left(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))
        if tag not in ("br", "hr", "img", "input", "meta", "link", "wbr", "source", "col"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if any(t in VERBATIM for t in self.stack):
            return
        if words_left(data):
            self.found.append((self.getpos()[0], data.strip()))


def untranslated(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every piece of interface text in ``path`` outside gettext."""
    source = path.read_text(encoding="utf-8")
    # Keep line numbers: each Jinja construct becomes as many newlines as it spanned.
    stripped = JINJA.sub(lambda m: "\x00" + "\n" * m.group(0).count("\n"), source)
    reader = _Reader()
    reader.feed(stripped)
    reader.close()
    return reader.found


if __name__ == "__main__":
    import sys

    paths = [Path(a) for a in sys.argv[1:]] or sorted(Path("templates").rglob("*.html"))
    files = [f for p in paths for f in (sorted(p.rglob("*.html")) if p.is_dir() else [p])]
    left = 0
    for file in files:
        for line, text in untranslated(file):
            left += 1
            print(f"{file}:{line}: {text[:100]!r}")
    print(f"{left} piece(s) of text outside gettext in {len(files)} template(s)")
    sys.exit(1 if left else 0)
