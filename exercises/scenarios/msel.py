"""MSEL files: reading and writing injects as CSV (and the JSON twin).

Import checks every row and reports each error with its row (the line in the
file, the header being row 1) and column; a file with any bad row imports
nothing. Unknown columns are kept per inject as custom fields, so export then
import gives back the same MSEL.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _

from council import csvfile
from council.reporting.taxonomy import classes
from council.rooms.models import TLPS
from council.text import clean_line, clean_text
from exercises.models import ScenarioInject
from exercises.vocab import CAPABILITIES, DELIVERIES, INJECT_TYPES, MSEL_HEADERS, RELEASES, capability_slug

MAX_ROWS = 2000
MAX_FIELD = 20_000
MAX_COLUMNS = 100  # the MSEL's own columns and custom ones
MAX_COLUMN_NAME = 100
MAX_OFFSET_DAYS = 366
MAX_OFFSET_S = MAX_OFFSET_DAYS * 86_400  # a year and a day: no tabletop runs longer, and no number overflows
# [0-9], not \d: other scripts' digits ("٣", "²") are not MSEL numbers.
_T_PLUS = re.compile(r"^T\+([0-9]+):([0-5][0-9])$")
_HH_MM = re.compile(r"^([0-9]+):([0-5][0-9])$")
_PARTS = re.compile(r"^(?:D\+([0-9]+))?\s*(?:H\+([0-9]+))?\s*(?:M\+([0-9]+))?$")
_PRIORITY = re.compile(r"^[1-5]$")


def _bounded(parts: list[tuple[str, int]]) -> int:
    """Seconds of (digits, seconds per unit) parts, refused beyond MAX_OFFSET_S before
    any arithmetic on a number no exercise needs."""
    total = 0
    for digits, unit in parts:
        if len(digits) > 9:  # more than a year in any unit, and int() of it is not free
            raise ValueError(_("at most %(num)s days (D+%(num)s)", num=MAX_OFFSET_DAYS))
        total += int(digits) * unit
    if total > MAX_OFFSET_S:
        raise ValueError(_("at most %(num)s days (D+%(num)s)", num=MAX_OFFSET_DAYS))
    return total


def parse_offset(text: str) -> int:
    """Seconds from STARTEX. Accepts ``T+HH:MM``, ``HH:MM`` (any number of hours)
    and ``D+1 H+2 M+30``, up to MAX_OFFSET_DAYS; the export writes ``T+HH:MM``."""
    value = (text or "").strip().upper()
    for pattern in (_T_PLUS, _HH_MM):
        match = pattern.match(value)
        if match:
            return _bounded([(match.group(1), 3600), (match.group(2), 60)])
    match = _PARTS.match(value)
    if value and match and any(match.groups()):
        return _bounded([(g, unit) for g, unit in zip(match.groups(), (86_400, 3600, 60), strict=True) if g])
    raise ValueError(_("use T+HH:MM, HH:MM or D+1 H+2 M+30"))


def format_offset(seconds: int) -> str:
    minutes = int(seconds) // 60
    return f"T+{minutes // 60:02d}:{minutes % 60:02d}"


# MSEL column -> model attribute (two names differ: "from" and "to" are Python keywords' neighbours).
ATTR = {"from": "sender", "to": "recipients", "offset": "offset_s"}
# Free text (Text columns) kept as written (markdown may begin with an indent or a tab); other columns trimmed.
VERBATIM = frozenset({"message", "expected_action", "notes"})
# Columns checked against a vocabulary (their own message says what is allowed).
VOCABULARY = frozenset({"type", "delivery", "release", "capability", "priority", "tlp", "incident"})
# The longest text each other column's database field holds: longer is a row error, not a failed write.
LENGTHS: dict[str, int] = {
    column: length for column in MSEL_HEADERS if column not in VOCABULARY
    and (length := getattr(ScenarioInject.__table__.c[ATTR.get(column, column)].type, "length", None))}


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Parsed:
    injects: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _check_row(raw: dict[str, str], row: int, errors: list[RowError]) -> dict[str, Any]:
    def err(column: str, message: str) -> None:
        errors.append(RowError(row, column, message))

    out: dict[str, Any] = {}
    for column in MSEL_HEADERS:
        # Cleaned as the database row will be (council/db.py), so that two ids equal once stored repeat here.
        value = raw.get(column) or ""
        value = clean_text(value) if column in VERBATIM else clean_line(value).strip()
        limit = LENGTHS.get(column, MAX_FIELD)
        if len(value) > limit:
            err(column, _("at most %(num)s characters", num=limit))
        out[column] = value
    if not out["msel_id"]:
        err("msel_id", _("required"))
    try:
        out["offset"] = parse_offset(out["offset"])
    except ValueError as exc:
        err("offset", f"{raw.get('offset', '')!r}: {exc}")
    out["type"] = out["type"].lower() or "information"
    if out["type"] not in INJECT_TYPES:
        err("type", _("%(value)s: use one of %(choices)s", value=repr(out["type"]), choices=", ".join(INJECT_TYPES)))
    out["delivery"] = out["delivery"].lower() or "room"
    if out["delivery"] not in DELIVERIES:
        err("delivery", _("%(value)s: use one of %(choices)s", value=repr(out["delivery"]),
                          choices=", ".join(DELIVERIES)))
    out["to"] = out["to"] or "all"
    if out["to"].lower() == "all":
        out["to"] = "all"
    elif not all(name.strip() for name in out["to"].split(";")):
        err("to", _("'all' or a ';'-separated list of team or organisation names"))
    if not out["title"]:
        err("title", _("required"))
    out["release"] = out["release"].lower() or "auto"
    if out["release"] not in RELEASES:
        err("release", _("%(value)s: use auto or manual", value=repr(out["release"])))
    if out["capability"]:
        slug = capability_slug(out["capability"])
        if slug is None:
            err("capability", _("%(value)s: use one of %(choices)s (or their names)", value=repr(out["capability"]),
                                choices=", ".join(CAPABILITIES)))
        out["capability"] = slug or out["capability"]
    if out["priority"] and not _PRIORITY.match(out["priority"]):
        err("priority", _("a number from 1 to 5"))
    out["tlp"] = out["tlp"].upper()
    if out["tlp"].startswith("TLP:"):
        out["tlp"] = out["tlp"][4:]
    if out["tlp"] and out["tlp"] not in TLPS:
        err("tlp", _("use one of %(choices)s", choices=", ".join(TLPS)))
    out["incident"] = _incident(out["incident"], err)
    out["custom"] = {k: v for k, v in raw.items() if k not in MSEL_HEADERS and k is not None and v}
    return out


def _incident(value: str, err: Any) -> str:
    """"" (no incident), "yes", or a class/type of the reporting taxonomy."""
    value = value.strip().lower()
    if value in ("", "no"):
        return ""
    if value == "yes":
        return value
    class_key, _sep, type_key = value.partition("/")
    if type_key not in classes().get(class_key, {}):
        err("incident", _("%(value)s: yes, or a class/type of the taxonomy such as malicious-code/infected-system",
                          value=repr(value)))
    return value


def _check_links(injects: list[tuple[int, dict[str, Any]]], errors: list[RowError]) -> None:
    seen: dict[str, int] = {}
    for row, inject in injects:
        mid = inject["msel_id"]
        if mid and mid in seen:
            errors.append(RowError(row, "msel_id", _("%(id)s repeats row %(row)s", id=repr(mid), row=seen[mid])))
        seen.setdefault(mid, row)
    for row, inject in injects:
        dep = inject["depends_on"]
        if dep and dep not in seen:
            errors.append(RowError(row, "depends_on", _("no inject with msel_id %(id)s", id=repr(dep))))
        elif dep and dep == inject["msel_id"]:
            errors.append(RowError(row, "depends_on", _("an inject cannot depend on itself")))
    # Cycles: follow each chain; a chain longer than the file loops.
    deps = {i["msel_id"]: i["depends_on"] for _r, i in injects}
    for row, inject in injects:
        node, steps = inject["depends_on"], 0
        while node and steps <= len(deps):
            node, steps = deps.get(node, ""), steps + 1
        if steps > len(deps):
            errors.append(RowError(row, "depends_on", _("dependencies form a cycle")))


def parse_rows(rows: list[dict[str, str]], first_row: int = 2, numbers: list[int] | None = None) -> Parsed:
    """Check rows numbered from ``first_row`` on, or by ``numbers`` (their lines in a file)."""
    result = Parsed()
    numbers = numbers or [first_row + index for index in range(len(rows))]
    if len(rows) > MAX_ROWS:
        result.errors.append(RowError(numbers[MAX_ROWS], "", _("at most %(num)s injects in one file", num=MAX_ROWS)))
        return result
    checked = []
    for row, raw in zip(numbers, rows, strict=True):
        checked.append((row, _check_row(raw, row, result.errors)))
    _check_links(checked, result.errors)
    if not checked:
        result.errors.append(RowError(first_row, "", _("the file has no injects")))
    result.injects = [inject for _row, inject in checked]
    return result


def parse_csv(text: str) -> Parsed:
    """Read a MSEL CSV (UTF-8, a BOM allowed); headers are matched exactly. Cells
    the export guarded against spreadsheets (a leading apostrophe before ``=``,
    ``+``, ``-``, ``@``, tab or CR) are read back as they were written."""
    text = text.lstrip("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        fieldnames = reader.fieldnames or []
    except csv.Error as exc:  # e.g. a header cell beyond the csv module's field limit
        return Parsed(errors=[RowError(1, "", _("not valid CSV: %(error)s", error=exc))])
    headers = [csvfile.restore(h.strip()) or "" for h in fieldnames]
    reader.fieldnames = headers
    missing = [h for h in ("msel_id", "offset", "title") if h not in headers]
    if missing:
        return Parsed(errors=[RowError(1, h, _("required column is missing")) for h in missing])
    if len(headers) > MAX_COLUMNS or any(len(h) > MAX_COLUMN_NAME for h in headers):
        return Parsed(errors=[RowError(1, "", _("at most %(num)s columns, named in at most %(chars)s characters",
                                                num=MAX_COLUMNS, chars=MAX_COLUMN_NAME))])
    duplicates = {h for h in headers if headers.count(h) > 1}
    if duplicates:
        return Parsed(errors=[RowError(1, h, _("column appears twice")) for h in sorted(duplicates)])
    rows, lines = [], []
    try:
        for record in reader:
            cells = {k: v for k, v in record.items() if k is not None and v is not None}  # None: cells past the header
            rows.append({k: v or "" for k, v in csvfile.restored_row(cells).items()})
            # The line a record starts on: blank lines are skipped between records
            # and a quoted field may span lines, so counting records is not enough.
            lines.append(reader.line_num - sum(str(v).count("\n") for v in record.values() if v))
    except csv.Error as exc:
        return Parsed(errors=[RowError(reader.line_num, "", _("not valid CSV: %(error)s", error=exc))])
    return parse_rows(rows, numbers=lines)


def inject_row(inject: Any) -> dict[str, str]:
    """One inject (model row) as MSEL columns, custom fields after them."""
    out = {column: str(getattr(inject, ATTR.get(column, column)) or "") for column in MSEL_HEADERS}
    out["offset"] = format_offset(inject.offset_s)
    out.update(json.loads(inject.custom or "{}"))
    return out


def to_csv(injects: list[Any]) -> str:
    """The MSEL as CSV, safe to open in a spreadsheet (council/csvfile.py), custom
    columns' names included: ``parse_csv`` reads back exactly what was stored."""
    rows = [inject_row(i) for i in injects]
    extra = sorted({k for r in rows for k in r} - set(MSEL_HEADERS))
    guarded = csvfile.neutralise
    return csvfile.write([guarded(h) for h in (*MSEL_HEADERS, *extra)],
                         ({guarded(k): v for k, v in row.items()} for row in rows))


def csv_name(scenario: Any) -> str:
    """The download's file name: which scenario, which version."""
    return f"msel-{scenario.id}-v{scenario.version}.csv"


def model_fields(parsed: dict[str, Any]) -> dict[str, Any]:
    """A checked MSEL row as keyword arguments of ScenarioInject/ExerciseInject."""
    out = {ATTR.get(k, k): v for k, v in parsed.items() if k in MSEL_HEADERS}
    out["custom"] = json.dumps(parsed.get("custom") or {}, ensure_ascii=False, sort_keys=True)
    return out
