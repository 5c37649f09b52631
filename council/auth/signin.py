"""Signing in and out: lockout with backoff, per account *and* address, and per address.

A person is never locked out by someone else's failures: an account's failures
are counted per address it is tried from (LoginBucket), so guessing a victim's
password from one place pauses only that place. Each address also has a budget
across accounts, against one machine trying many.

Every failure answers with the same message whatever the cause (unknown
email, wrong password, locked account, locked address, deactivated), and an
unknown email still costs one argon2 verification, so neither the text nor
the timing tells an attacker which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council import realtime
from council.audit.services import record
from council.auth.models import LoginBucket, LoginThrottle, User
from council.auth.passwords import dummy_hash, verify_password
from council.db import utcnow
from council.errors import N_

# English here (tests and callers compare it); answered as ``_(GENERIC_FAILURE)``.
GENERIC_FAILURE = N_(
    "Sign-in failed. Check your email and password; after repeated failures "
    "sign-in is paused for a while."
)
ACCOUNT_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=15)
MAX_LOCK = timedelta(hours=1)


def backoff(failures: int, free: int) -> timedelta | None:
    """Lock time after ``failures`` consecutive failures: none within the free
    allowance, then 1, 2, 4… minutes, capped at an hour."""
    if failures < free:
        return None
    return min(timedelta(minutes=2 ** (failures - free)), MAX_LOCK)


@dataclass(frozen=True)
class SignIn:
    user: User | None
    message: str = ""


def _address_throttle(session: Session, address: str) -> LoginThrottle:
    throttle = session.get(LoginThrottle, address)
    if throttle is None:
        throttle = LoginThrottle(address=address, failures=0, window_start=utcnow())
        session.add(throttle)
    return throttle


def _is_locked(until: datetime | None, now: datetime) -> bool:
    return until is not None and until > now


def authenticate(session: Session, *, email: str, password: str, address: str) -> SignIn:
    """Check credentials and record the outcome; the caller commits either way."""
    now = utcnow()
    email_key = email.strip().lower()[:254]
    address = (address or "unknown")[:64]
    throttle = _address_throttle(session, address)
    if throttle.window_start + ADDRESS_WINDOW < now and not _is_locked(throttle.locked_until, now):
        throttle.failures, throttle.window_start = 0, now
    user = session.scalars(select(User).where(User.email == email_key)).one_or_none()

    if _is_locked(throttle.locked_until, now):
        record(session, action="auth.login_refused", actor=user, actor_label=email_key,
               details={"address": address, "reason": "address locked"})
        return SignIn(None, _(GENERIC_FAILURE))
    bucket = session.get(LoginBucket, (user.id, address)) if user is not None else None
    if bucket is not None and _is_locked(bucket.locked_until, now):
        record(session, action="auth.login_refused", actor=user, actor_label=email_key,
               details={"address": address, "reason": "account locked from this address"})
        return SignIn(None, _(GENERIC_FAILURE))

    ok = verify_password(user.password_hash if user else dummy_hash(), password)
    if ok and user is not None and user.active:
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        if bucket is not None:
            session.delete(bucket)
        record(session, action="auth.login", actor=user, target_type="user", target_id=user.id,
               details={"address": address})
        return SignIn(user)

    throttle.failures += 1
    lock = backoff(throttle.failures, ADDRESS_FREE_FAILURES)
    if lock:
        throttle.locked_until = now + lock
        record(session, action="auth.lockout", actor_label=address, target_type="address",
               target_id=address, details={"failures": throttle.failures, "minutes": lock.seconds // 60})
    if user is not None:
        user.failed_logins += 1  # shown to admins; it locks nothing by itself
        if bucket is None:
            bucket = LoginBucket(user_id=user.id, address=address, failures=0)
            session.add(bucket)
        bucket.failures += 1
        bucket.updated_at = now
        lock = backoff(bucket.failures, ACCOUNT_FREE_FAILURES)
        if lock:
            bucket.locked_until = now + lock
            record(session, action="auth.lockout", actor=user, target_type="user", target_id=user.id,
                   details={"failures": bucket.failures, "minutes": lock.seconds // 60, "address": address})
    reason = "inactive" if (ok and user is not None) else "bad credentials"
    record(session, action="auth.login_failed", actor=user, actor_label=email_key,
           details={"address": address, "reason": reason})
    return SignIn(None, _(GENERIC_FAILURE))


def end_sessions(session: Session, user: User, *, reason: str, actor: object = None) -> None:
    """Invalidate every session and remember cookie of ``user`` and close their sockets."""
    user.session_version += 1
    realtime.revoke_user(session, user.id)
    record(session, action="auth.sessions_ended" if reason != "logout" else "auth.logout",
           actor=actor or user, target_type="user", target_id=user.id, details={"reason": reason})


def load_session_user(session: Session, user_id: int, version: int) -> User | None:
    """The user for a session cookie, or None if it was ended or the user deactivated."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_version != version:
        return None
    return user
