"""What every PDF export shares: the marking at the head and foot of each page, worded in
the reader's language, and the fonts — Noto Nastaliq Urdu from static/vendor/fonts (the
same files the pages use), so an Urdu PDF is shaped right to left in Nastaleeq by
WeasyPrint's Pango/HarfBuzz on any server, whatever fonts the system has."""

from __future__ import annotations

from pathlib import Path

from flask_babel import gettext as _

FONTS = Path(__file__).resolve().parent.parent / "static" / "vendor" / "fonts"
SANS = '"DejaVu Sans", "Noto Sans", Arial, sans-serif'


def font_css() -> str:
    faces = [
        f'@font-face {{ font-family: "Noto Nastaliq Urdu"; font-weight: {weight}; '
        f'src: url("{path.as_uri()}") format("woff2"); }}'
        for weight in (400, 700)
        if (path := FONTS / f"noto-nastaliq-urdu-arabic-{weight}-normal.woff2").exists()
    ]
    return "\n".join([*faces, f':lang(ur) {{ font-family: "Noto Nastaliq Urdu", {SANS}; line-height: 1.9; }}',
                      "bdi.ltr, code, pre { direction: ltr; unicode-bidi: embed; }"])


def _css_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", " ") + "'"


def page_css(mark: str, colour: str, language: str = "en") -> str:
    """A4 pages with ``mark`` (the TLP label, never translated) above and below, and the
    page count in the reader's words ("TLP:RED · page 2 of 5")."""
    foot = _("%(mark)s · page {page} of {pages}", mark=mark)
    parts: list[str] = []
    rest = foot
    while rest:
        at = min((i for i in (rest.find("{page}"), rest.find("{pages}")) if i >= 0), default=-1)
        if at < 0:
            parts.append(_css_string(rest))
            break
        if at:
            parts.append(_css_string(rest[:at]))
        token = "{pages}" if rest.startswith("{pages}", at) else "{page}"
        parts.append("counter(pages)" if token == "{pages}" else "counter(page)")
        rest = rest[at + len(token):]
    family = f'"Noto Nastaliq Urdu", {SANS}' if language == "ur" else SANS
    font = f"font: bold 9pt {family}"
    return (f"@page {{ size: A4; margin: 22mm 16mm; "
            f"@top-center {{ content: {_css_string(mark)}; color: {colour}; {font}; }} "
            f"@bottom-center {{ content: {' '.join(parts)}; color: {colour}; {font}; }} }}")
