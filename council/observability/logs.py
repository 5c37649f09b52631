"""The log line of every HTTP request and Socket.IO event (the format: logformat.py).

Each HTTP request and each Socket.IO event gets a request id (a sane inbound
``X-Request-Id`` is kept, else one is made; the response echoes it) carried by
every line logged while it runs. The line written per request holds who
(user_id, org_id), what (method, the URL *rule* — ``/rooms/<int:room_id>``, never
the raw path or its query string), the status and duration_ms; per socket
event: the event name, who, ok, duration_ms. Never bodies, headers, cookies,
passwords or tokens: nothing here reads them.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask, g, request
from flask.wrappers import Response

from council.observability import metrics
from council.observability.instruments import SOCKET_EVENT_DURATION, SOCKET_EVENTS_IN

REQUEST_ID_HEADER = "X-Request-Id"
# An inbound id is kept only if it looks like an id: no spaces, no markup, bounded.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
requests_log = logging.getLogger("council.request")
sockets_log = logging.getLogger("council.socket")


def new_request_id() -> str:
    return secrets.token_hex(16)


def inbound_request_id(value: str | None) -> str:
    """The caller's X-Request-Id if it is a sane id, else a new one."""
    if value and SANE_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


def note_user(user: Any) -> None:
    """Who this request acts for, noted when the login or the API token is resolved:
    read again after the response, the row may be expired (a rolled-back error)."""
    g.log_identity = (user.id, user.org_id)


def init_app(app: Flask) -> None:
    def start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = inbound_request_id(request.headers.get(REQUEST_ID_HEADER))

    # First of all before_request functions: the login gate and CSRF answer requests too.
    app.before_request_funcs.setdefault(None, []).insert(0, start)

    @app.after_request
    def finish(response: Response) -> Response:
        started = g.get("request_started")
        if started is None:  # refused before our before_request ran (CSRF): time from here
            started = time.perf_counter()
            g.request_id = inbound_request_id(request.headers.get(REQUEST_ID_HEADER))
        seconds = time.perf_counter() - started
        response.headers[REQUEST_ID_HEADER] = g.request_id
        route = request.url_rule.rule if request.url_rule is not None else None
        metrics.observe_request(route, request.method, response.status_code, seconds)
        user_id, org_id = g.get("log_identity", (None, None))
        requests_log.info(
            "%s %s %s", request.method, route or metrics.UNMATCHED, response.status_code,
            extra={"request_id": g.request_id, "user_id": user_id, "org_id": org_id,
                   "route": route or metrics.UNMATCHED, "method": request.method,
                   "status": response.status_code, "duration_ms": round(seconds * 1000, 2)},
        )
        return response


@contextmanager
def socket_event(event: str, user_id: int | None, org_id: int | None) -> Iterator[dict[str, Any]]:
    """Around one Socket.IO event: a request id for its lines, a count, a duration,
    one line. The caller puts ``ok`` in the yielded dict when it knows."""
    g.request_id = new_request_id()
    started = time.perf_counter()
    outcome: dict[str, Any] = {}
    SOCKET_EVENTS_IN.labels(event).inc()
    try:
        yield outcome
    finally:
        seconds = time.perf_counter() - started
        SOCKET_EVENT_DURATION.labels(event).observe(seconds)
        sockets_log.info(
            "socket %s", event,
            extra={"request_id": g.request_id, "event": event, "user_id": user_id, "org_id": org_id,
                   "ok": outcome.get("ok"), "duration_ms": round(seconds * 1000, 2)},
        )
