"""Log lines: one JSON object a line on stdout when serving, or text for a person.

Why python-json-logger (over structlog): it is a ``logging.Formatter``, so every
existing ``logging.getLogger(...)`` call in the code (the scheduler, the audit
anchor, the mail worker, libraries, gunicorn's own lines) comes out as JSON
unchanged; structlog would have us route the standard library through its own
pipeline for the same result.

No Flask at import: the gunicorn settings load this in the master process,
before the workers import the app (and gevent patches the standard library).
"""

from __future__ import annotations

import logging
import sys
from typing import IO

from pythonjsonlogger.json import JsonFormatter

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_MARK = "council_log_handler"


class RequestContext(logging.Filter):
    """Stamps the current request id (HTTP or socket event) on every record logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        from flask import g, has_app_context

        if not hasattr(record, "request_id") and has_app_context():
            request_id = g.get("request_id")
            if request_id:
                record.request_id = request_id
        return True


class TextFormatter(logging.Formatter):
    """Text for a terminal, the request id appended when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = getattr(record, "request_id", None)
        return f"{line} [{request_id}]" if request_id else line


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "text":
        return TextFormatter(TEXT_FORMAT)
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s", timestamp="time",
        rename_fields={"levelname": "level", "name": "logger"}, json_ensure_ascii=False,
    )


def configure(fmt: str, stream: IO[str] | None = None, level: int = logging.INFO) -> logging.Handler:
    """Send the root logger to ``stream`` (stdout) in ``fmt`` ("json" | "text").

    Called by what serves (council.server, the gunicorn settings), not by
    create_app: tests and CLI commands keep their own logging. Calling it again
    replaces the handler it installed before, never stacks a second one."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stdout)
    setattr(handler, _HANDLER_MARK, True)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(RequestContext())
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO whenever migrations are read (the readiness
    # check's head): noise to a collector, so only its warnings pass.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
    return handler
