"""What operators watch: health and readiness endpoints, structured logs, Prometheus metrics."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

# Endpoints a load balancer or scraper calls without a login (metrics checks its own access).
PUBLIC_ENDPOINTS = frozenset({
    "observability_health.healthz", "observability_health.readyz", "observability_metrics.metrics",
})


def init_app(app: Flask) -> None:
    from council.observability import health, logs, metrics

    logs.init_app(app)
    health.init_app(app)
    metrics.init_app(app)
