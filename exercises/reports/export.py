"""Exports of a report: Markdown, standalone HTML, PDF (WeasyPrint).

Every export carries the TLP marking on every page (in the PDF: the running
header and footer of each page), and exercise reports say
"EXERCISE EXERCISE EXERCISE" as well.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template
from flask_babel import gettext as _

from council.db import utcnow
from council.errors import DomainError
from council.i18n import language
from council.labels import label
from council.pdf import font_css, page_css
from council.timefmt import shown, zone_note
from exercises.reports.charts import response_chart, timeline_chart
from exercises.reports.models import Report

CSS = Path(__file__).resolve().parent / "print.css"


class Unavailable(DomainError):
    status = 503
TLP_COLOURS = {"CLEAR": "#000000", "GREEN": "#33aa00", "AMBER": "#c88a00", "AMBER+STRICT": "#c88a00", "RED": "#d10000"}


def marking(report: Report) -> str:
    text = f"TLP:{report.tlp}"
    return f"EXERCISE EXERCISE EXERCISE · {text}" if report.kind == "exercise" else text


def charts(report: Report) -> dict[str, str]:
    data = json.loads(report.data or "{}")
    return {"response": response_chart(data.get("teams", [])), "timeline": timeline_chart(data.get("timeline", []))}


def to_markdown(report: Report, plan: list[Any], tz: str) -> str:
    mark = marking(report)
    zone = ZoneInfo(tz)
    lang = language()  # the reader's words around the report's own (which stay as written)
    facts = [_("Version %(version)s", version=report.version), label(report.status, "report_status")]
    if report.published_at:
        facts.append(_("published %(when)s", when=shown(report.published_at, zone, language=lang)))
    facts += [_("exported %(when)s", when=shown(utcnow(), zone, language=lang)),
              _("times in %(zone)s", zone=zone_note(zone))]
    out = [f"**{mark}**", "", f"# {report.title}", "", " · ".join(facts), ""]
    columns = [_("Code"), _("Area for improvement"), _("Capability"), _("Corrective action"), _("Element"),
               _("Responsible"), _("Contact"), _("Start"), _("Due"), _("Status")]
    for section in report.sections:
        out += [f"## {section.title}", "", section.body.strip() or "_" + _("(empty)") + "_", ""]
        if section.key == "improvement_plan" and plan:
            out += ["| " + " | ".join(columns) + " |", "|---|---|---|---|---|---|---|---|---|---|"]
            for ca in plan:
                out.append(" | ".join([
                    "", ca.code, _cell(ca.area), label(ca.capability, "capability"), _cell(ca.action),
                    label(ca.element, "element"), _cell(ca.responsible_org.name if ca.responsible_org else ""),
                    _cell(ca.contact), str(ca.start_date or ""), str(ca.due_date or ""),
                    label(ca.status, "ca_status"), ""]).strip())
            out.append("")
    out += [f"**{mark}**", ""]
    return "\n".join(out)


def _cell(text: str) -> str:
    return " ".join((text or "").replace("|", "\\|").split())


def to_html(report: Report, plan: list[Any], tz: str) -> str:
    """A standalone HTML file: styles inline, nothing fetched from anywhere."""
    zone = ZoneInfo(tz)
    return render_template("exercises/reports/export.html", report=report, plan=plan, mark=marking(report),
                           css=CSS.read_text(), charts=charts(report), colour=TLP_COLOURS.get(report.tlp, "#000"),
                           generated=shown(utcnow(), zone), zone=zone_note(zone))


def to_pdf(report: Report, plan: list[Any], tz: str) -> bytes:
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # pango missing on this server
        raise Unavailable(_("PDF export is not installed on this server (it needs pango); "
                          "export HTML and print it to PDF instead.")) from exc

    style = font_css() + page_css(marking(report), TLP_COLOURS.get(report.tlp, "#000"), language())
    document = to_html(report, plan, tz).replace("</style>", style + "</style>", 1)
    return HTML(string=document, base_url=None).write_pdf()
