"""Exports of minutes: Markdown, standalone HTML, PDF (WeasyPrint), each marked with
its TLP on every page, and saying plainly when the minutes are not (yet) adopted."""

from __future__ import annotations

import hashlib

from flask import Response, render_template
from flask_babel import gettext as _

from council.errors import DomainError
from council.governance.models import Meeting, Minutes
from council.i18n import language
from council.labels import label
from council.pdf import font_css, page_css
from council.rooms.models import Room

TLP_COLOURS = {"CLEAR": "#000000", "GREEN": "#33aa00", "AMBER": "#c88a00", "AMBER+STRICT": "#c88a00", "RED": "#d10000"}
CSS = """body { font: 10.5pt/1.45 "DejaVu Sans", "Noto Sans", Arial, sans-serif; color: #111; margin: 0 auto;
max-width: 60em; padding: 1em; } h1 { font-size: 17pt; } h2 { font-size: 13pt; border-bottom: 1px solid #999; }
h3 { font-size: 11pt; } table { border-collapse: collapse; width: 100%; font-size: 9pt; }
th, td { border: 1px solid #999; padding: .2em .4em; text-align: start; vertical-align: top; } th { background: #eee; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 9pt; } .meta { color: #444; font-size: 9pt; }
.marking { text-align: center; font-weight: bold; letter-spacing: .08em; padding: .3em; border: 2px solid; }"""


class Unavailable(DomainError):
    status = 503


def marking(room: Room) -> str:
    return f"TLP:{room.tlp}"


def state_line(minutes: Minutes) -> str:
    digest = hashlib.sha256(minutes.body.encode()).hexdigest()
    if minutes.status == "adopted" and minutes.adopted_at:
        return _("Adopted %(at)s UTC by council decision #%(decision)s · version %(version)s · SHA-256 %(digest)s",
                 at=minutes.adopted_at.strftime("%Y-%m-%d %H:%M"), decision=minutes.decision_id,
                 version=minutes.version, digest=digest)
    return _("NOT ADOPTED — %(status)s · version %(version)s · SHA-256 %(digest)s",
             status=label(minutes.status, "minutes_status").lower(), version=minutes.version, digest=digest)


def to_markdown(minutes: Minutes, room: Room) -> str:
    mark = marking(room)
    return f"**{mark}**\n\n_{state_line(minutes)}_\n\n{minutes.body.strip()}\n\n**{mark}**\n"


def to_html(minutes: Minutes, meeting: Meeting, room: Room) -> str:
    return render_template("council/governance/minutes_export.html", minutes=minutes, meeting=meeting,
                           mark=marking(room), state=state_line(minutes), css=CSS,
                           colour=TLP_COLOURS.get(room.tlp, "#000"))


def to_pdf(minutes: Minutes, meeting: Meeting, room: Room) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # pango missing on this server
        raise Unavailable(_("PDF export is not installed on this server (it needs pango); "
                          "export HTML and print it to PDF instead.")) from exc
    style = font_css() + page_css(marking(room), TLP_COLOURS.get(room.tlp, "#000"), language())
    document = to_html(minutes, meeting, room).replace("</style>", style + "</style>", 1)
    return HTML(string=document, base_url=None).write_pdf()


def minutes_file(minutes: Minutes, meeting: Meeting, room: Room, fmt: str) -> Response:
    name = f"council-minutes-{meeting.starts_at:%Y-%m-%d}-{minutes.id}"
    if fmt == "md":
        body, mime = to_markdown(minutes, room).encode(), "text/markdown; charset=utf-8"
    elif fmt == "html":
        body, mime = to_html(minutes, meeting, room).encode(), "text/html; charset=utf-8"
    else:
        body, mime = to_pdf(minutes, meeting, room), "application/pdf"
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"',
                                                  "X-Content-Type-Options": "nosniff"})
