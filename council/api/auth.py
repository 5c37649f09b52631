"""Who is calling the API: a bearer token, or the browser's session (with CSRF for writes)."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, request
from flask_login import current_user

from council.auth.assurance import StepUpRequired, must_enrol, require_for_room
from council.auth.login import second_factor_mark
from council.auth.models import User
from council.auth.tokens import needs_touch, resolve_token, touch_token
from council.errors import NotFound
from council.extensions import database, settings
from council.observability.logs import note_user
from council.rooms.visibility import load_visible
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
        return _red_step_up(current_user.user)
    return _unauthorized("Authentication required: a bearer token or a signed-in session.")


def _red_step_up(user: User) -> Any:
    """The browser's session reads a TLP:RED room through the API (its events, indicators,
    files, exports) only after the step-up, as its page and socket join do; a room the
    person may not see is left to the endpoint's 404."""
    room_id = (request.view_args or {}).get("room_id")
    if not isinstance(room_id, int):
        return None
    try:
        room, _role = load_visible(db(), user, room_id)
    except NotFound:
        return None
    try:
        require_for_room(db(), user=user, tlp=room.tlp, mark=second_factor_mark())
    except StepUpRequired as err:
        return {"error": err.message, "fields": err.fields}, 403
    return None


def _unauthorized(message: str) -> Any:
    return {"error": message}, 401, {"WWW-Authenticate": 'Bearer realm="council"'}


def api_user() -> User:
    return g.api_user  # type: ignore[no-any-return]
