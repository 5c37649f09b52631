"""Flask-Login wiring: the session cookie carries "user id : session version".

Flask-Login stores whatever ``get_id`` returns, in the session and in the
remember cookie alike; putting the version there means one bump of
``User.session_version`` ends every copy of every session at once.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import Flask, g, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, user_loaded_from_cookie

from council.auth.assurance import note_browser_request
from council.auth.models import User
from council.auth.signin import load_session_user
from council.observability.logs import note_user

REMEMBER_FOR = timedelta(days=7)
SESSION_FOR = timedelta(hours=12)
SIGNED_IN_AT = "signed_in_at"
# The second factor verified in this session: "<user id>:<generation>" (council/auth/mfa.py).
SECOND_FACTOR = "second_factor"
# Between the password and the code: who, under which session version, since when, and
# what to do once the code is accepted. Flask-Login knows nothing of it, so the session is
# not signed in: pages redirect to /login, sockets and the API refuse it.
CODE_STEP = "code_step"
CODE_STEP_FOR = timedelta(minutes=5)


def stamp_session() -> None:
    """Start the session's absolute life.

    Sessions are browser-session cookies, not "permanent" ones: Flask-Login's
    "strong" protection only deletes a session whose identifier (address and
    user agent) changed when the session is not permanent; for permanent ones
    it merely marks them non-fresh. The 12-hour limit is enforced here instead.
    """
    session.permanent = False
    session[SIGNED_IN_AT] = time.time()


class SessionUser(UserMixin):
    """The signed-in user as Flask-Login sees it; wraps the ORM row."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"

    @property
    def is_active(self) -> bool:
        return self.user.active

    def __getattr__(self, name: str) -> object:
        return getattr(self.user, name)


def init_app(app: Flask, *, https: bool) -> LoginManager:
    app.config.update(
        SESSION_COOKIE_NAME="council_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_NAME="council_remember",
        REMEMBER_COOKIE_DURATION=REMEMBER_FOR,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_REFRESH_EACH_REQUEST=False,
    )
    manager = LoginManager(app)
    manager.session_protection = "strong"
    manager.login_view = "auth.login"
    manager.login_message = _l("Sign in to continue.")
    manager.localize_callback = str  # the message in the reader's language, as a plain str for the session
    manager.login_message_category = "info"

    @manager.user_loader
    def _load(ident: str) -> SessionUser | None:
        from council.web import db

        try:
            user_id, version = (int(part) for part in ident.split(":", 1))
        except ValueError:
            return None
        signed_in_at = session.get(SIGNED_IN_AT)  # absent only while a remember cookie restores
        if signed_in_at is not None and time.time() - float(signed_in_at) > SESSION_FOR.total_seconds():
            # Past its absolute life: sign in again, or let a remember cookie
            # (tried next by Flask-Login) start a fresh one.
            session.pop(SIGNED_IN_AT)
            return None
        user = load_session_user(db(), user_id, version)
        if user is None:
            return None
        if not g.get("by_token"):
            # What this browser may see of TLP:RED follows its session's step-up (access.py),
            # in every database session the request opens.
            note_browser_request(user.id, second_factor_mark())
        note_user(user)
        return SessionUser(user)

    def _adopt_remembered(_app: Flask, **_extra: object) -> None:
        # Flask-Login restores a remembered user without stamping the session
        # with its identifier, so "strong" protection would end that session on
        # the very next request (flask-login #248, #685). Stamp it, as a sign-in does.
        session["_id"] = manager._session_identifier_generator()
        stamp_session()

    user_loaded_from_cookie.connect(_adopt_remembered, app, weak=False)

    @app.teardown_request
    def _end_browser_request(_exc: BaseException | None) -> None:
        note_browser_request(None)
    return manager


def current_account() -> User:
    """The ORM User behind ``current_user`` (views pass this to services)."""
    from flask_login import current_user

    return current_user.user  # type: ignore[no-any-return]


def second_factor_mark() -> str:
    """This session's second-factor mark ("" when none was verified here)."""
    return str(session.get(SECOND_FACTOR, ""))


def keep_second_factor_mark(mark: str) -> None:
    session[SECOND_FACTOR] = mark


def begin_code_step(user: User, *, remember: bool, target: str | None) -> None:
    """The password was right and the account has a second factor: wait for the code."""
    session.clear()
    session[CODE_STEP] = {"user": user.id, "version": user.session_version, "at": time.time(),
                          "remember": remember, "next": target or ""}


def code_step() -> tuple[User, dict[str, object]] | None:
    """The person half-way through signing in, and the step's data; None when there is
    no such step, it is older than five minutes, or their sessions ended since."""
    from council.web import db

    step = session.get(CODE_STEP)
    if not isinstance(step, dict):
        return None
    try:
        fresh = time.time() - float(step["at"]) <= CODE_STEP_FOR.total_seconds()
        user = load_session_user(db(), int(step["user"]), int(step["version"])) if fresh else None
    except (KeyError, TypeError, ValueError):
        user = None
    if user is None:
        session.pop(CODE_STEP, None)
        return None
    return user, step
