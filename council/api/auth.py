"""Who is calling the API: a bearer token, or the browser's session (with CSRF for writes)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_login import current_user

from council.auth.assurance import must_enrol, note_browser_request
from council.auth.models import User
from council.auth.tokens import needs_touch, resolve_token, touch_token
from council.extensions import database, settings
from council.observability.logs import note_user
from council.rooms.step_up import owed_for_room
from council.web import SAFE_METHODS, db


def authenticate() -> Any:
    """before_request of the API: set ``g.api_user`` or answer 401."""
    if request.endpoint == "api.openapi":
        return None
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        token = resolve_token(db(), header[7:].strip())
        if token is None:
            return _unauthorized("Invalid or revoked token.")
        g.api_user = token.user
        g.by_token = True  # a machine: TLP:RED needs no step-up (making the token needed it)
        note_browser_request(None)
        note_user(token.user)
        if needs_touch(token):
            if request.method in SAFE_METHODS:
                # The request's session is read-only: record use in a short write of its own.
                # The read session gives its connection back first: a request holding one pooled
                # connection while it waits for a second (the write's) starved the pool under a
                # burst of reads with fresh tokens, until every request timed out (see
                # BENCHMARKS.md, national-day load). Token and user stay loaded (no expiry on commit).
                db().commit()
                with database().transaction() as session:
                    touch_token(session, token.id)
            else:
                touch_token(db(), token.id)
        return None
    if header:
        return _unauthorized("Use 'Authorization: Bearer <token>'.")
    if current_user.is_authenticated:
        if request.method not in SAFE_METHODS:
            current_app.extensions["csrf"].protect()
        if must_enrol(db(), current_user.user, settings().mfa):
            # The browser of someone who must enrol first: as pages, so the API (tokens excepted).
            return {"error": "Set up a second factor first (your account's Second factor page)."}, 403
        g.api_user = current_user.user
        owed = owed_for_room(current_user.user)
        return ({"error": owed.message, "fields": owed.fields}, 403) if owed else None
    return _unauthorized("Authentication required: a bearer token or a signed-in session.")


def _unauthorized(message: str) -> Any:
    return {"error": message}, 401, {"WWW-Authenticate": 'Bearer realm="council"'}


def api_user() -> User:
    return g.api_user  # type: ignore[no-any-return]
