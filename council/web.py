"""Per-request database session, the commit recipe, headers and error pages.

A request gets one session: read-only for GET/HEAD/OPTIONS, the write engine
otherwise. Views call a service, then :func:`commit`, which commits once and
only then lets queued realtime events out.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, flash, g, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from council import realtime
from council.errors import DomainError
from council.extensions import database, settings
from council.i18n import browser_choice, direction

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def db() -> Session:
    """This request's session, opened on first use."""
    if "db" not in g:
        g.db = database().session(write=request.method not in SAFE_METHODS)
    return g.db


def commit() -> None:
    """Commit the request's work once; then send the events it queued."""
    session = db()
    session.commit()
    realtime.flush(session)


def client_address() -> str:
    """The peer address. Behind a proxy, ProxyFix (configured by the operator) sets it."""
    return request.remote_addr or "unknown"


def flash_errors(err: DomainError) -> None:
    flash(err.message, "error")
    for field, message in err.fields.items():
        flash(f"{field.replace('_', ' ').capitalize()}: {message}", "error")


def flash_form_errors(form: Any) -> None:
    """Say why a submitted form was refused (WTForms' own field messages)."""
    for name, messages in form.errors.items():
        label = getattr(getattr(form, name, None), "label", None)
        flash(f"{label.text if label else name}: {' '.join(messages)}", "error")


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db", None)
    if session is not None:
        realtime.discard(session)
        session.close()


def _security_headers(response: Any) -> Any:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    if settings().https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


ERROR_TEXT = {
    400: (_l("Bad request"), _l("The request could not be understood. Reload the page and try again.")),
    401: (_l("Sign-in required"), _l("Sign in to continue.")),
    403: (_l("Not allowed"), _l("You do not have the rights to do this.")),
    404: (_l("Not found"), _l("There is nothing here, or it is not shared with you.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Conflict"), _l("This clashes with the current state. Reload and try again.")),
    410: (_l("Gone"), _l("What this stood for is no longer here.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    422: (_l("Not accepted"), _l("Some of what you sent is not valid.")),
    429: (_l("Slow down"), _l("Too many requests. Wait a moment and try again.")),
    500: (_l("Something went wrong"), _l("The error has been logged. Try again in a moment.")),
    503: (_l("Unavailable"), _l("The service is temporarily unavailable. Try again shortly.")),
}


def error_page(status: int, message: str | None = None) -> tuple[str, int]:
    title, text = ERROR_TEXT.get(status, ERROR_TEXT[500])
    return render_template("error.html", status=status, title=title, text=message or text), status


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _handle_http(exc: HTTPException) -> Any:
    status = exc.code or 500
    csrf = status == 400 and "CSRF" in (exc.description or "")
    # What the exception says about itself (405's Allow, 401's WWW-Authenticate…), never its body.
    headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
    if _wants_json():
        if csrf:
            return {"error": _("Missing or stale CSRF token: send the page's token in the X-CSRFToken header, "
                               "or use a bearer token.")}, 400, headers
        return {"error": str(ERROR_TEXT.get(status, ERROR_TEXT[500])[1])}, status, headers
    if csrf:
        return error_page(400, _("The form expired or was sent from elsewhere. Reload the page and try again."))
    page, code = error_page(status)
    return page, code, headers


def _handle_domain(exc: DomainError) -> Any:
    _drop_session()  # nothing a refused request wrote may stay pending (or break the error page)
    if _wants_json():
        body: dict[str, Any] = {"error": exc.message}
        if exc.fields:
            body["fields"] = exc.fields
        return body, exc.status
    return error_page(exc.status, exc.message if exc.status != 404 else None)


def N_(text: str) -> str:
    """Marks a constant for the catalogue; it is translated where it is shown."""
    return text


# Plain text (the sockets' acks carry it as is); pages and REST answers translate it.
DB_UNAVAILABLE = N_("The database cannot be reached at the moment; nothing was saved. "
                    "Try again in a few seconds.")


def _language_without_database() -> str:
    """The request's language when the database is down: the one already chosen for this
    request, else the browser's (cookie, Accept-Language), never the person's setting,
    which asking would need the database."""
    known = getattr(g.get("_flask_babel"), "babel_locale", None)
    return str(known) if known is not None else browser_choice()


def _handle_db_unavailable(exc: Exception) -> Any:
    """The database is down or unreachable (connection refused or lost, pool
    exhausted): 503 with a clear message. The transaction is rolled back, so
    nothing half-written remains; the pool re-connects (pre-ping) once it is back."""
    from flask import current_app

    current_app.logger.warning("database unavailable on %s %s: %s", request.method, request.path,
                               str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    session = g.pop("db", None)
    if session is not None:
        realtime.discard(session)
        try:
            session.close()
        except SQLAlchemyError:
            session.invalidate()
    language = _language_without_database()
    with force_locale(language):
        text = _(DB_UNAVAILABLE)
        if _wants_json():
            response = current_app.response_class(
                json.dumps({"error": text}), status=503, mimetype="application/json")
        else:
            # Rendered without the context processors: Flask-Login's would load the user from the database.
            page = current_app.jinja_env.get_template("unavailable.html").render(
                text=text, request=request, url_for=url_for, lang=language, text_dir=direction(language))
            response = current_app.response_class(page, status=503, mimetype="text/html")
    response.headers["Retry-After"] = "5"
    return response


def is_db_unavailable(exc: BaseException) -> bool:
    """True for errors that mean "cannot talk to the database", not bad SQL."""
    if isinstance(exc, OperationalError | InterfaceError | DisconnectionError | PoolTimeout):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def _handle_unexpected(exc: Exception) -> Any:
    from flask import current_app

    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    _drop_session()  # the error page must render even when the request's session is broken
    if _wants_json():
        return {"error": _("Internal error.")}, 500
    return error_page(500)


def _drop_session() -> None:
    """Roll back and forget the request's session: a page rendered after a failed
    write loads the signed-in user again in a fresh one."""
    session = g.pop("db", None)
    if session is None:
        return
    g.pop("_login_user", None)  # Flask-Login loads the user again, in the next session
    realtime.discard(session)
    try:
        session.rollback()
        session.close()
    except SQLAlchemyError:
        session.invalidate()



def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close_session)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(DomainError, _handle_domain)
    for kind in (OperationalError, InterfaceError, DisconnectionError, PoolTimeout):
        app.register_error_handler(kind, _handle_db_unavailable)
    if not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)


def local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None: never a redirect to another
    host (no scheme or host, no "//", no backslash, no control characters or spaces,
    which browsers drop or read as separators)."""
    from urllib.parse import urlsplit

    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def act_from_form(fn: Any, message: str, target: str, **kwargs: Any) -> Any:
    """Run one service for the signed-in person from a page form, then back to ``target``:
    done, with ``message``; refused, with its reasons and nothing written (404 stays 404)."""
    from flask import redirect

    from council.auth.login import current_account

    try:
        fn(db(), actor=current_account(), **kwargs)
    except DomainError as err:
        if err.status == 404:
            raise
        flash_errors(err)
        db().rollback()
        return redirect(target)
    commit()
    flash(message, "success")
    return redirect(target)
