"""Indicators of compromise held as data in rooms and incident reports: normalised values with their own TLP,
sightings per organisation, paste-to-extract, search across what the caller may see,
and exchange as STIX 2.1, MISP and CSV (exchange/)."""

from __future__ import annotations

from flask import Flask
from flask_babel import lazy_gettext as _l


def init_app(app: Flask) -> None:
    from council import labels
    from council.app import add_nav
    from council.indicators import services  # noqa: F401  (registers the "indicator" event kind)
    from council.indicators.api import bp as api_bp
    from council.indicators.report_pages import bp as report_bp
    from council.indicators.report_pages import report_panel
    from council.indicators.routes import bp as pages_bp
    from council.indicators.routes import room_boot
    from council.indicators.values import LABELS
    from council.reporting.routes import add_incident_extension
    from council.rooms.routes import add_room_extension

    app.register_blueprint(pages_bp)
    app.register_blueprint(report_bp)
    app.register_blueprint(api_bp)
    app.extensions["csrf"].exempt(api_bp)
    add_nav(app, _l("Indicators"), "indicators.search_page", "indicators.")
    add_room_extension(app, boot=room_boot, panel="council/indicators/_panel.html", script="js/indicators.js")
    add_incident_extension(app, panel="council/indicators/_report_panel.html", context=report_panel)
    labels.register("indicator_type", dict(LABELS))
    labels.register("indicator_status", {"active": "Active", "retired": "Retired"})
    from council.indicators import files

    files.register()  # evidence files attach to indicators
