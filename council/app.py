"""The application factory."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, flash, redirect, request, url_for
from flask.json.provider import DefaultJSONProvider
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from council import config as config_module
from council import i18n, observability, timefmt, web
from council.auth import login as login_module
from council.db import utcnow

ROOT = Path(__file__).resolve().parent.parent
# Endpoints an anonymous visitor may reach; every other page redirects to /login.
PUBLIC_ENDPOINTS = (frozenset({"auth.login", "auth.choose_language", "mfa.code", "mfa.cancel", "static"})
                    | observability.PUBLIC_ENDPOINTS)
# What a signed-in person who must enrol a second factor may reach before they have.
ENROL_ENDPOINTS = frozenset({"mfa.page", "mfa.start", "mfa.confirm", "auth.logout"})


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` keys named COUNCIL_* override the environment;
    other keys go to Flask's config (e.g. TESTING)."""
    config = dict(config or {})
    app = Flask(
        "council",
        root_path=str(ROOT),
        static_folder=str(ROOT / "static"),
        template_folder=str(ROOT / "templates"),
        instance_path=str(config.pop("INSTANCE_PATH", ROOT / "instance")),
    )
    # Ids in paths are positive 64-bit integers: a larger number is no row (404), never an overflow.
    app.url_map.converters["int"] = BoundedInt
    app.json = SafeJson(app)
    overrides = {k: str(v) for k, v in config.items() if k.startswith("COUNCIL_")}
    settings = config_module.from_env(Path(app.instance_path), overrides=overrides)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
        WTF_CSRF_SSL_STRICT=True,
        TEMPLATES_AUTO_RELOAD=False,
    )
    app.config.update({k: v for k, v in config.items() if not k.startswith("COUNCIL_")})

    from council.db import Database

    app.extensions["council_settings"] = settings
    if settings.trusted_proxies:
        # Client addresses (sign-in throttling, audit) from the proxies' headers, through
        # exactly that many of them: a client cannot forge its way past the last proxy.
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    app.extensions["council_db"] = Database(settings.database_url)
    from council.auth.sealing import keys_for

    app.extensions["council_db"].keys.update(keys_for(settings.secret_key))
    CSRFProtect(app)
    login_module.init_app(app, https=settings.https)
    web.init_app(app)
    observability.init_app(app)
    i18n.init_app(app)
    _register_templates(app, settings.timezone)
    _register_blueprints(app)
    _require_login(app)

    socketio = SocketIO(
        app,
        async_mode=settings.async_mode,
        message_queue=settings.redis_url,
        channel=f"{settings.redis_prefix}:socketio",
        cors_allowed_origins=list(settings.allowed_origins) or None,
        manage_session=False,
        logger=False,
        engineio_logger=False,
        ping_interval=20,
        ping_timeout=20,
        max_http_buffer_size=1_000_000,
    )
    app.extensions["socketio"] = socketio
    from council import sockets
    from council.rooms import events as room_events

    socket_registry = sockets.register(socketio, app)
    room_events.register(socketio, app, socket_registry)
    app.extensions["council_db"].sender = sockets.make_sender(socketio, socket_registry)

    from council.cli import cli

    app.cli.add_command(cli)
    for name in settings.modules:
        importlib.import_module(name).init_app(app)
    return app


class SafeJson(DefaultJSONProvider):
    """Request JSON nested beyond the decoder's recursion limit is malformed JSON
    (a 400 through Flask's usual path), not a RecursionError (a 500)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deep") from None


class BoundedInt(IntegerConverter):
    """``<int:…>``: an id a database can hold (1 … 2^63 - 1). Any other number names
    nothing: 404 at once, before it reaches a query it would overflow."""

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= 2**63 - 1:
            raise NotFound()
        return number


def _register_blueprints(app: Flask) -> None:
    import council.rooms.kinds  # noqa: F401  (registers the core event kinds)
    from council.api.routes import bp as api_bp
    from council.audit.routes import bp as audit_bp
    from council.auth.admin import bp as users_bp
    from council.auth.mfa_routes import bp as mfa_bp
    from council.auth.routes import bp as auth_bp
    from council.dashboard import bp as main_bp
    from council.decisions import services as decision_services
    from council.decisions.api import bp as decisions_api_bp
    from council.decisions.routes import bp as decisions_bp
    from council.orgs.routes import bp as orgs_bp
    from council.rooms.routes import bp as rooms_bp

    for bp in (auth_bp, mfa_bp, main_bp, orgs_bp, users_bp, audit_bp, rooms_bp, decisions_bp, api_bp, decisions_api_bp):
        app.register_blueprint(bp)
    # API writes by bearer token carry no CSRF token; session writes are checked in api.auth.
    app.extensions["csrf"].exempt(api_bp)
    app.extensions["csrf"].exempt(decisions_api_bp)
    add_nav(app, _l("Rooms"), "rooms.index", "rooms.")
    add_nav(app, _l("Decisions"), "decisions.register", "decisions.")
    from council.dashboard import add_card
    from council.decisions.routes import decisions_waiting
    from council.rooms.routes import rooms_card
    from council.scheduler import add_job
    from council.work import add_work, register_core

    add_card(app, rooms_card)
    register_core(app)
    add_work(app, decisions_waiting)
    add_job(app, "decision deadlines", 10.0, decision_services.close_due)
    from council.decisions.routes import room_boot
    from council.rooms.routes import add_room_extension

    add_room_extension(app, boot=room_boot, panel="council/decisions/_panel.html", script="js/decisions.js")
    from council import advisories, directory, notifications, reporting

    notifications.init_app(app)
    reporting.init_app(app)
    advisories.init_app(app)
    directory.init_app(app)
    from council import governance, indicators

    governance.init_app(app)
    from council import evidence

    evidence.init_app(app)
    indicators.init_app(app)
    from council import audit

    audit.init_app(app)


def _require_login(app: Flask) -> None:
    from council.auth.assurance import must_enrol
    from council.extensions import settings as app_settings
    from council.rooms.step_up import owed_for_room

    @app.before_request
    def _gate() -> Any:
        if request.endpoint in PUBLIC_ENDPOINTS or request.path.startswith("/api/"):
            return None
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        if request.endpoint not in ENROL_ENDPOINTS and must_enrol(
                web.db(), current_user.user, app_settings(app).mfa):
            flash(_("Set up a second factor to continue (required for your account)."), "info")
            return redirect(url_for("mfa.page"))
        owed = owed_for_room(current_user.user)
        if owed is not None:
            flash(owed.message, "info")
            back = request.path if request.method in web.SAFE_METHODS else f"/rooms/{request.view_args['room_id']}"
            return redirect(url_for("mfa.verify", next=back))
        return None


def _register_templates(app: Flask, timezone: str) -> None:
    from council.labels import OPEN, label, translated

    zone = ZoneInfo(timezone)

    @app.template_filter("localtime")
    def localtime(value: datetime | str | None, fmt: str = timefmt.DATE_TIME) -> str:
        """A UTC time (datetime or ISO 8601 text) in the display zone (council/timefmt.py)."""
        if not value:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return timefmt.shown(value, zone, fmt, i18n.language())

    app.add_template_filter(label, "label")
    app.add_template_filter(timefmt.tplus, "tplus")
    app.add_template_filter(timefmt.zone_place, "zone_place")
    app.extensions["council_nav"] = []
    app.extensions["council_dashboard_cards"] = []

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {
            "display_timezone": timezone,
            "zone_note": timefmt.zone_note(zone),
            "now_utc": utcnow,
            "nav_items": app.extensions["council_nav"],
            "labels": {**translated(), "_open": sorted(OPEN)},
        }


def add_nav(app: Flask, label: str | LazyString, endpoint: str, prefix: str) -> None:
    """Put a link in the main navigation (modules call this from init_app); ``label`` is
    lazy (``_l("Rooms")``): each page shows it in its reader's language."""
    from types import SimpleNamespace

    app.extensions["council_nav"].append(SimpleNamespace(label=label, endpoint=endpoint, prefix=prefix))
