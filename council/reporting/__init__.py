"""Incident reporting through the tiers: organisational → sectoral → national, on the clock."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from council import labels
    from council.app import add_nav
    from council.notifications.subjects import register_subject
    from council.reporting import kind, notices, services, work
    from council.reporting.api import bp as api_bp
    from council.reporting.routes import bp as pages_bp
    from council.reporting.routes import room_boot
    from council.rooms.routes import add_room_extension
    from council.scheduler import add_job
    from council.work import add_work

    kind.register()
    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.extensions["csrf"].exempt(api_bp)
    add_nav(app, _l("Incidents"), "reporting.index", "reporting.")
    add_room_extension(app, boot=room_boot, script="js/reporting.js")
    add_job(app, "incident deadlines", 15.0, services.sweep_overdue)
    add_job(app, "incident reminders", 60.0, notices.stages_due_soon)
    register_subject("incident", notices.sees_incident)
    add_work(app, work.stages_owed)
    add_work(app, work.reviews_owed)
    labels.register("notification_type", {"incident": "Incident", "near-miss": "Near miss", "threat": "Threat",
                                          "vulnerability": "Vulnerability", "test": "Test (drill)"})
    labels.register("stage_status", {"pending": "Not submitted", "submitted": "Submitted, awaiting review",
                                     "accepted": "Accepted", "revision": "Revision requested"})
    labels.register("stage_clock", {"detection": "from detection", "awareness": "from awareness",
                                    "previous": "from the previous stage"})
    labels.register("regime_audience", {"chain": "Up to the national CERT", "reviewer": "The sectoral CERT only"})
    labels.register("relation", {"reporter": "Reporter", "reviewer": "Reviewer", "national": "National CERT"})
    labels.register("event_kind", {"incident": "Incident report"})
    from council.reporting.taxonomy import class_titles

    labels.register("rsit_class", class_titles())
