"""The member directory: every organisation's team record (FIRST's field names,
import and export as FIRST JSON), duty rosters and who is on duty now (urgent
notifications reach them too), and the council's communication checks."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from council import labels
    from council.app import add_nav
    from council.dashboard import add_card
    from council.directory import checks, roster
    from council.directory.api import bp as api_bp
    from council.directory.routes import bp as pages_bp
    from council.directory.routes import checks_bp, checks_card
    from council.directory.shapes import ROLES
    from council.notifications.services import add_urgent_route
    from council.notifications.subjects import register_subject
    from council.scheduler import add_job

    app.register_blueprint(pages_bp)
    app.register_blueprint(checks_bp)
    app.register_blueprint(api_bp)
    app.extensions["csrf"].exempt(api_bp)
    add_nav(app, _l("Directory"), "directory.index", "directory")
    add_card(app, checks_card)
    register_subject("comms_check", checks.sees_check)
    add_urgent_route(roster.on_duty_for)
    add_job(app, "communication checks", 60.0, checks.sweep)
    labels.register("contact_role", dict(ROLES))
    labels.register("reached_via", {"duty": "On duty", "contacts": "Points of contact", "members": "All members",
                                    "nobody": "Nobody to tell"})
    labels.register("check_status", {"open": "Open", "closed": "Closed"})
