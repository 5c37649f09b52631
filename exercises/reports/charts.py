"""Charts of a report as inline SVG, drawn on the server from the report's figures.

Server-drawn SVG appears the same in the page, the printout, the standalone
HTML and the PDF, and needs nothing from outside the platform. Every label
is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH = 720
COLORS = {"inject": "#a64de0", "ack": "#f5b942", "response": "#3ecf8e", "decision": "#5cb0ff", "clock": "#93a3b8",
          "status": "#93a3b8", "timeline": "#7cc4ff", "message": "#dbe3ec"}


def response_chart(teams: list[dict[str, Any]]) -> str:
    """Per team: median and max acknowledgement and first-response times (bars, seconds)."""
    rows = [t for t in teams if t.get("ack_max_s") is not None or t.get("response_max_s") is not None]
    if not rows:
        return ""
    top = max(max(t.get("ack_max_s") or 0, t.get("response_max_s") or 0) for t in rows) or 1
    label_w, bar_h, gap = 170, 10, 30
    height = 30 + len(rows) * (4 * bar_h + gap)
    scale = (WIDTH - label_w - 110) / top
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'aria-label="Acknowledgement and first-response times per team">',
             '<text x="0" y="14" class="chart-title">Response times per team (seconds; median solid, max pale)</text>']
    y = 30
    for team in rows:
        parts.append(f'<text x="0" y="{y + 2 * bar_h}" class="chart-label">{escape(str(team["team"]))}</text>')
        for i, (key, cls) in enumerate((("ack", "ack"), ("response", "response"))):
            by = y + i * 2 * bar_h
            for stat, opacity in (("max", "0.35"), ("median", "1")):
                value = team.get(f"{key}_{stat}_s")
                if value is None:
                    continue
                parts.append(f'<rect x="{label_w}" y="{by}" width="{max(1, value * scale):.1f}" height="{bar_h}" '
                             f'class="bar-{cls}" opacity="{opacity}"/>')
            median = team.get(f"{key}_median_s")
            if median is not None:
                parts.append(f'<text x="{label_w + (team.get(f"{key}_max_s") or median) * scale + 4:.1f}" '
                             f'y="{by + bar_h - 1}" class="chart-value">{key} {median:.0f}</text>')
        y += 4 * bar_h + gap
    parts.append("</svg>")
    return "".join(parts)


def timeline_chart(points: list[dict[str, Any]]) -> str:
    """Markers along the exercise clock (T+) by kind of event."""
    timed = [p for p in points if p.get("t") is not None]
    if not timed:
        return ""
    end = max(p["t"] for p in timed) or 1
    kinds = [k for k in COLORS if any(p["kind"] == k for p in timed)]
    lane_h, left = 22, 90
    height = 40 + len(kinds) * lane_h
    scale = (WIDTH - left - 20) / end
    parts = [f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" width="100%" '
             f'aria-label="Timeline of the exercise by kind of event">',
             '<text x="0" y="14" class="chart-title">Timeline (exercise time)</text>']
    for lane, kind in enumerate(kinds):
        y = 30 + lane * lane_h
        parts.append(f'<text x="0" y="{y + 12}" class="chart-label">{kind}</text>')
        parts.append(f'<line x1="{left}" x2="{WIDTH - 20}" y1="{y + 8}" y2="{y + 8}" class="chart-axis"/>')
        for p in (p for p in timed if p["kind"] == kind):
            parts.append(f'<circle cx="{left + p["t"] * scale:.1f}" cy="{y + 8}" r="4" fill="{COLORS[kind]}">'
                         f'<title>{escape(str(p["label"]))}</title></circle>')
    hours = int(end // 3600)
    for h in range(hours + 1):
        x = left + h * 3600 * scale
        parts.append(f'<text x="{x:.1f}" y="{height - 2}" class="chart-value">T+{h:02d}:00</text>')
    parts.append("</svg>")
    return "".join(parts)
