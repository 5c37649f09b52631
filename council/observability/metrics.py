"""Prometheus metrics: defined once here, moved by the code paths they measure,
served at ``/metrics`` to whoever config allows.

Why prometheus-client: its text format, histogram buckets and above all its
multiprocess mode (every process writes its values to files in
PROMETHEUS_MULTIPROC_DIR, a scrape of any process sums them) are what a
scraper expects; written by hand they would be wrong in the corners.

The instruments live in instruments.py (no Flask there: services and the
group commit import them). The hot paths only ``inc()`` / ``observe()`` (a lock and an add, or an mmap
write in multiprocess mode). What needs the database — the mail outbox
backlog — is computed when scraped, by :class:`OutboxCollector`, never per
request. Labels are bounded: routes are URL rules (``/rooms/<int:room_id>``),
never raw paths; socket events are the registered names.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from council.observability.instruments import HTTP_DURATION, HTTP_REQUESTS

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "<unmatched>"  # requests no URL rule matched (404s): one label, whatever the path
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

bp = Blueprint("observability_metrics", __name__)


class OutboxCollector(Collector):
    """The mail outbox backlog, counted in the database when scraped (one grouped query)."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        from sqlalchemy import func, select
        from sqlalchemy.exc import SQLAlchemyError

        from council.extensions import database
        from council.notifications.models import MailOutbox

        backlog = GaugeMetricFamily(
            "council_mail_outbox_backlog", "Mail outbox rows not yet sent, by status (at scrape time).",
            labels=("status",))
        counts = {"pending": 0, "sending": 0, "failed": 0}
        session = database(self.app).session(write=False)
        try:
            rows = session.execute(
                select(MailOutbox.status, func.count()).where(MailOutbox.status.in_(tuple(counts)))
                .group_by(MailOutbox.status)).all()
        except SQLAlchemyError:  # the database is down: the rest of the scrape still answers
            return
        finally:
            session.close()
        for status, n in rows:
            counts[status] = int(n)
        for status, n in counts.items():
            backlog.add_metric((status,), n)
        yield backlog


def _allowed(conf: Any) -> bool:
    """Config decides (COUNCIL_METRICS): off — nobody; token — the bearer token only;
    local — this host (127.0.0.1, ::1) or the bearer token when one is set."""
    if conf.metrics == "off":
        return False
    header = request.headers.get("Authorization", "")
    if conf.metrics_token and header.startswith("Bearer "):
        return hmac.compare_digest(header[7:].strip().encode(), conf.metrics_token.encode())
    if conf.metrics == "token":
        return False
    if not conf.trusted_proxies and "X-Forwarded-For" in request.headers:
        # Relayed by a proxy on this host that the app was not told about: the peer is the
        # proxy, not the client, so "local" proves nothing.
        return False
    try:
        address = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    return any(address in net for net in LOOPBACK)


@bp.get("/metrics", endpoint="metrics")
def metrics() -> Response:
    """The Prometheus text exposition; 404 (as if absent) to anyone config does not allow."""
    conf = current_app.extensions["council_settings"]
    if not _allowed(conf):
        abort(404)
    if conf.metrics_multiproc_dir:
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=conf.metrics_multiproc_dir)
    else:
        registry = REGISTRY
    text = generate_latest(registry) + generate_latest(current_app.extensions["council_scrape_registry"])
    return Response(text, content_type=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(OutboxCollector(app))
    app.extensions["council_scrape_registry"] = scrape
    app.register_blueprint(bp)


def observe_request(route: str | None, method: str, status: int, seconds: float) -> None:
    rule = route or UNMATCHED
    method = method if method in METHODS else "OTHER"
    HTTP_REQUESTS.labels(rule, method, str(status)).inc()
    HTTP_DURATION.labels(rule, method).observe(seconds)
