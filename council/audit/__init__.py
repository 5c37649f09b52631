"""The append-only, hash-chained audit record, and the anchors that pin it down."""

from __future__ import annotations

from flask import Flask

ANCHOR_CHECK_S = 60.0  # how often each process asks whether the period's anchor is due


def init_app(app: Flask) -> None:
    """Schedule the periodic anchor (COUNCIL_AUDIT_ANCHOR_MINUTES; 0: on demand only).

    Every process asks once a minute; the database claim lets one of them anchor
    per period (anchors.claim)."""
    from council.audit import anchors
    from council.extensions import settings
    from council.scheduler import add_job

    conf = settings(app)
    anchor = conf.anchor
    if anchor is None or anchor.every_minutes <= 0:
        return
    origin = conf.base_url
    add_job(app, "audit anchor", ANCHOR_CHECK_S,
            lambda session: anchors.scheduled(session, anchor, origin=origin))
