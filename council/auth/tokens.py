"""API tokens: random, shown once, stored as SHA-256, revocable.

SHA-256 (not argon2) is right here: a token carries 256 bits of randomness,
so there is nothing to brute-force, and every API request must check one fast.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council import realtime
from council.audit.services import record
from council.auth.models import ApiToken, User
from council.db import utcnow
from council.errors import Invalid, NotFound

PREFIX = "cct_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, *, actor: Any, user: User, label: str,
                 second_factor: str | None = None) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns the row and the token text (shown once).

    A person makes one only with their second factor verified in this session
    (``second_factor``: the session's mark): a token outlives the session and is
    excused from the step-up, so it must not be had with a password alone. The
    operator (SYSTEM, the CLI on the server) is not asked."""
    if actor is not user and not getattr(actor, "is_admin", False):
        raise NotFound(_("No such user."))
    if isinstance(actor, User):
        from council.auth.assurance import require_for_token

        require_for_token(session, user=actor, mark=second_factor)
    label = (label or "").strip() or "API token"
    if len(label) > 100:
        raise Invalid(_("The token could not be created."), {"label": _("Use at most 100 characters.")})
    text = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, label=label, token_hash=_digest(text), prefix=text[:10])
    session.add(token)
    session.flush()
    record(session, action="token.create", actor=actor, target_type="token", target_id=token.id,
           details={"user_id": user.id, "label": label, "prefix": token.prefix})
    return token, text


def list_tokens(session: Session, *, user: User) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ))


def revoke_token(session: Session, *, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; sockets opened with it close."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        realtime.revoke_token(session, token.id)
        record(session, action="token.revoke", actor=actor, target_type="token",
               target_id=token.id, details={"label": token.label, "prefix": token.prefix})
    return token


def resolve_token(session: Session, text: str) -> ApiToken | None:
    """The live token for ``text`` whose user is active, or None (read only)."""
    if not text or not text.startswith(PREFIX) or len(text) > 100:
        return None
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == _digest(text))).one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    return token


def needs_touch(token: ApiToken) -> bool:
    """Whether last-used is stale enough to write: at most once a minute, so
    reads don't all turn into writes."""
    return token.last_used_at is None or utcnow() - token.last_used_at > LAST_USED_RESOLUTION


def touch_token(session: Session, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is not None:
        token.last_used_at = utcnow()
