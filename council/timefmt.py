"""The platform's one way to show time (the server's half; static/js/time.js is
the browser's): "2026-12-01 14:02" for a moment, "14:02" within a day, with
seconds where order within a minute matters (the audit log), always in the
zone the app shows, which each page or export names once. Exercise time is
T+HH:MM:SS (exercises.runs.clock.format_t). Machine formats (the API's JSON)
stay ISO 8601 in UTC.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DATE_TIME = "%Y-%m-%d %H:%M"
DATE_TIME_SECONDS = "%Y-%m-%d %H:%M:%S"
TIME = "%H:%M"


# The same moments in Urdu, in Babel's (CLDR) month names and order, still 24-hour:
# "1 دسمبر 2026، 14:02".
LOCALE_PATTERNS = {"ur": {DATE_TIME: "d MMMM y، HH:mm", DATE_TIME_SECONDS: "d MMMM y، HH:mm:ss", TIME: "HH:mm",
                          "%Y-%m-%d": "d MMMM y"}}


def shown(value: datetime | None, zone: ZoneInfo, fmt: str = DATE_TIME, language: str = "en") -> str:
    """``value`` in ``zone``; in the reader's ``language`` where it writes dates its own way."""
    if not value:
        return ""
    local = value.astimezone(zone)
    pattern = LOCALE_PATTERNS.get(language, {}).get(fmt)
    if pattern is None:
        return local.strftime(fmt)
    from babel.dates import format_datetime

    return format_datetime(local, pattern, tzinfo=zone, locale=language)


def zone_note(zone: ZoneInfo, at: datetime | None = None) -> str:
    """How a page names its zone: "Asia/Karachi (UTC+05:00)"."""
    from council.db import utcnow

    offset = (at or utcnow()).astimezone(zone).strftime("%z")
    return f"{zone.key} (UTC{offset[:3]}:{offset[3:]})"


def zone_place(name: str, at: datetime | None = None) -> str:
    """A team's own time zone as a reader says it: "Karachi (UTC+05:00)" — the page's zone
    is named once, in its footer; a record's zone is data about the team."""
    from zoneinfo import ZoneInfoNotFoundError

    from council.db import utcnow

    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return name
    offset = (at or utcnow()).astimezone(zone).strftime("%z")
    return f"{name.rsplit('/', 1)[-1].replace('_', ' ')} (UTC{offset[:3]}:{offset[3:]})"


def local_iso(value: datetime | None, zone: ZoneInfo) -> str:
    """ISO 8601 with the shown zone's offset, for spreadsheets (CSV exports):
    parseable by tools, and the same wall time the pages show."""
    return value.astimezone(zone).isoformat(timespec="seconds") if value else ""


def tplus(seconds: float) -> str:
    """Exercise time as drills write it: T+HH:MM:SS (hours grow past 99 for long clocks)."""
    seconds = int(seconds)
    return f"T+{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
