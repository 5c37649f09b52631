"""A client's file name is data: kept as sent (cleaned), and made safe each time it
is shown or offered as a download name (RFC 6266 ``filename*`` with an ASCII
fallback). It never becomes a path."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

NAME_MAX = 255
SHOWN_MAX = 120
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._ ()+-]")
# At most 100 characters in all (the column's size): 49 + "/" + 50.
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,48}/[a-z0-9][a-z0-9!#$&^_.+-]{0,49}$")


def _printable(text: str) -> str:
    """Without control characters, bidi controls and other format characters."""
    return "".join(c for c in text if unicodedata.category(c)[0] != "C")


def kept(name: str | None) -> str:
    """What is stored of the client's name: printable, at most 255 characters."""
    return _printable(name or "").strip()[:NAME_MAX]


def shown(name: str | None) -> str:
    """The name as displayed and offered: its last path part, no leading dots, bounded."""
    last = re.split(r"[\\/]", kept(name))[-1].strip().lstrip(".").strip()
    if len(last) > SHOWN_MAX:
        stem, dot, ext = last.rpartition(".")
        last = (stem[:SHOWN_MAX - len(ext) - 2] + "…." + ext) if dot and len(ext) <= 10 else last[:SHOWN_MAX]
    return last or "file"


def ascii_fallback(name: str) -> str:
    """``filename=`` for clients without RFC 5987: ASCII letters, digits and a few marks."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    safe = _UNSAFE_ASCII.sub("_", folded).strip(" .") or "file"
    return safe[:SHOWN_MAX]


def content_disposition(name: str) -> str:
    """Always an attachment; the UTF-8 name percent-encoded (RFC 6266, RFC 8187)."""
    display = shown(name)
    return f"attachment; filename=\"{ascii_fallback(display)}\"; filename*=UTF-8''{quote(display, safe='')}"


SNIFFED = (
    (b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"), (b"PK\x03\x04", "application/zip"), (b"MZ", "application/x-dosexec"),
    (b"\x7fELF", "application/x-executable"), (b"\x1f\x8b", "application/gzip"),
)


def media_type(head: bytes, declared: str | None) -> str:
    """What the content looks like (its first bytes), else what the client declared if it
    is a well-formed type, else octet-stream. Recorded as data; never used to serve."""
    for magic, kind in SNIFFED:
        if head.startswith(magic):
            return kind
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<!doctype html", b"<html")) or b"<script" in text:
        return "text/html"
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "image/svg+xml"
    candidate = (declared or "").split(";")[0].strip().lower()
    return candidate if _MEDIA_TYPE.match(candidate) else "application/octet-stream"
