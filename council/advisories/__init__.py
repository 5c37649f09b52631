"""Advisories: published by the national CERT or a sectoral CERT to an audience of
organisations, versioned, acknowledged by each organisation on a deadline, with
the matrix of answers, reminders and escalation."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from council import labels
    from council.advisories import deadlines, work
    from council.advisories.api import bp as api_bp
    from council.advisories.routes import advisories_card
    from council.advisories.routes import bp as pages_bp
    from council.advisories.visibility import sees_advisory
    from council.app import add_nav
    from council.dashboard import add_card
    from council.notifications.subjects import register_subject
    from council.scheduler import add_job
    from council.work import add_work

    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.extensions["csrf"].exempt(api_bp)
    add_nav(app, _l("Advisories"), "advisories.index", "advisories.")
    add_card(app, advisories_card)
    add_work(app, work.acks_owed)
    register_subject("advisory", sees_advisory)
    add_job(app, "advisory deadlines", 30.0, deadlines.sweep)
    labels.register("advisory_status", {"not_affected": "Not affected", "mitigating": "Mitigating",
                                        "mitigated": "Mitigated", "need_help": "Needs help"})
    labels.register("applicable", {"yes": "Applies", "no": "Does not apply", "unknown": "Not known yet"})
    labels.register("advisory_answer", {"open": "Awaiting our acknowledgement", "overdue": "Overdue",
                                        "acknowledged": "Acknowledged"})
