"""Every CSV the platform writes, and the reading of CSV it wrote.

Spreadsheets run a cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return as a formula (CSV injection). Such text is written with a
leading apostrophe, which spreadsheets show as text; reading a file back
removes exactly that apostrophe, so export then import restores the original.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A cell safe to open in a spreadsheet."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def restore(value: str | None) -> str | None:
    """The text :func:`neutralise` was given (for files the platform wrote)."""
    if value and value.startswith("'") and value[1:].startswith(TRIGGERS):
        return value[1:]
    return value


def write(fieldnames: Iterable[str], rows: Iterable[Mapping[str, Any]], *, lineterminator: str = "\r\n") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fieldnames), lineterminator=lineterminator)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: neutralise(v) for k, v in row.items()})
    return buffer.getvalue()


def restored_row(row: Mapping[str, str | None]) -> dict[str, str | None]:
    return {k: restore(v) for k, v in row.items()}


def download(text: str, filename: str) -> Response:
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})
