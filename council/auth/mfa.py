"""The second factor's verbs: enrolment, verification, recovery codes, removal, admin
reset. The rules that ask for it (policy, the TLP:RED step-up, API tokens, the
session's mark) are in council/auth/assurance.py and are named here too.

Enrolling anew, removing or an admin reset moves the factor's generation on, and so
voids every session's earlier mark everywhere.

Wrong codes are counted per account in the sign-in buckets (LoginBucket, under the
address ``second-factor``): whoever types codes already has the password, so the
limit must hold however many addresses they come from. 5 free, then 1, 2, 4… minutes
up to an hour. Answers that count a failure are results, not exceptions, so the
caller commits the count either way (as council/auth/signin.py does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth import sealing, totp
from council.auth.assurance import (  # noqa: F401  (the rules that ask for the factor, named here too)
    StepUpRequired,
    factor_of,
    is_enrolled,
    mark_of,
    must_enrol,
    policy_requires,
    require_for_room,
    require_for_token,
    require_step_up,
    session_verified,
)
from council.auth.models import LoginBucket, RecoveryCode, SecondFactor, User
from council.auth.passwords import verify_password
from council.auth.signin import ACCOUNT_FREE_FAILURES, backoff, end_sessions
from council.db import utcnow
from council.errors import Invalid
from council.orgs.services import require_admin

BUCKET = "second-factor"  # LoginBucket.address of code failures: never a real address
PENDING_FOR = timedelta(minutes=30)
PAGE = "/account/second-factor"


@dataclass(frozen=True)
class Checked:
    """The outcome of a step that checks a code: the caller commits either way."""

    ok: bool
    errors: dict[str, str] = field(default_factory=dict)
    mark: str = ""
    recovery_codes: list[str] = field(default_factory=list)
    recovery_left: int | None = None

    @property
    def message(self) -> str:
        return " ".join(self.errors.values())


@dataclass(frozen=True)
class Status:
    enrolled: bool
    confirmed_at: datetime | None
    pending: bool
    recovery_left: int
    required: bool


def _keys(session: Session) -> dict[str, bytes]:
    keys: dict[str, bytes] = session.info.get("council_keys") or {}
    if "seal" not in keys:
        raise RuntimeError("no second-factor keys on this session (set by the app from its secret key)")
    return keys


_factor = factor_of


def status(session: Session, user: User, policy: str) -> Status:
    factor = _factor(session, user)
    left = session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0
    pending = bool(factor and factor.pending_sealed and factor.pending_at
                   and factor.pending_at + PENDING_FOR > utcnow())
    return Status(enrolled=bool(factor and factor.enrolled), confirmed_at=factor.confirmed_at if factor else None,
                  pending=pending, recovery_left=int(left), required=policy_requires(user, policy))


# --- codes and the per-account limit ---------------------------------------------------


def _bucket(session: Session, user: User) -> LoginBucket | None:
    return session.get(LoginBucket, (user.id, BUCKET))


def locked_for(session: Session, user: User, now: datetime | None = None) -> timedelta | None:
    bucket = _bucket(session, user)
    now = now or utcnow()
    if bucket is not None and bucket.locked_until is not None and bucket.locked_until > now:
        return bucket.locked_until - now
    return None


def _wait_text(wait: timedelta) -> str:
    minutes = max(1, round(wait.total_seconds() / 60))
    return ngettext("Too many wrong codes: try again in %(num)d minute.",
                    "Too many wrong codes: try again in %(num)d minutes.", minutes)


def wrong_code() -> str:
    return _("The code is not correct (or was already used). Enter the current code from your app.")


def _failed(session: Session, user: User, now: datetime, reason: str) -> str | None:
    """Count one failure; the text to show when it locks the account's codes, else None."""
    bucket = _bucket(session, user)
    if bucket is None:
        bucket = LoginBucket(user_id=user.id, address=BUCKET, failures=0)
        session.add(bucket)
    bucket.failures += 1
    bucket.updated_at = now
    record(session, action="mfa.failed", actor=user, target_type="user", target_id=user.id,
           details={"reason": reason, "failures": bucket.failures})
    lock = backoff(bucket.failures, ACCOUNT_FREE_FAILURES)
    if lock:
        bucket.locked_until = now + lock
        record(session, action="auth.lockout", actor=user, target_type="user", target_id=user.id,
               details={"failures": bucket.failures, "minutes": lock.seconds // 60, "address": BUCKET})
        return _wait_text(lock)
    return None


def _cleared(session: Session, user: User) -> None:
    bucket = _bucket(session, user)
    if bucket is not None:
        session.delete(bucket)


def _use_recovery(session: Session, user: User, text: str, now: datetime) -> bool:
    if not totp.recovery_shape(text):
        return False
    digest = sealing.keyed_digest(_keys(session)["digest"], f"{user.id}:{text}")
    code = session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest,
        RecoveryCode.used_at.is_(None))).one_or_none()
    if code is None:
        return False
    code.used_at = now
    return True


def _check(session: Session, user: User, factor: SecondFactor, code: str, now: datetime, *,
           recovery: bool = True) -> tuple[bool, str, str]:
    """Check a code (or a recovery code) against the confirmed factor: (ok, how, error).
    Counts failures; a lock refuses before anything is compared. The factor's row is
    locked first (PostgreSQL: FOR UPDATE; SQLite's write transaction is one at a time), so
    two requests with one code, one recovery code or a burst of guesses for one account
    are checked one after the other: a code is taken once, failures all count."""
    factor = session.get(SecondFactor, user.id, with_for_update={"of": SecondFactor},
                         populate_existing=True) or factor
    wait = locked_for(session, user, now)
    if wait is not None:
        return False, "", _wait_text(wait)
    text = totp.clean(code)
    secret = sealing.unseal(_keys(session)["seal"], factor.secret_sealed or "")
    if secret is not None:
        step = totp.matching_step(secret, text, now, factor.last_step)
        if step is not None:
            factor.last_step = step
            _cleared(session, user)
            return True, "totp", ""
    if recovery and _use_recovery(session, user, text, now):
        _cleared(session, user)
        return True, "recovery", ""
    reason = "unreadable secret" if secret is None else "wrong code"
    return False, "", _failed(session, user, now, reason) or wrong_code()


def _recovery_left(session: Session, user: User) -> int:
    return int(session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0)


def verify(session: Session, *, user: User, code: str, purpose: str = "sign-in",
           now: datetime | None = None) -> Checked:
    """The code step of sign-in, or the step-up later: a TOTP code or a recovery code
    (each recovery code works once). On success the answer carries the session's mark."""
    now = now or utcnow()
    factor = _factor(session, user)
    if factor is None or not factor.enrolled:
        return Checked(False, {"code": _("No second factor is enrolled.")})
    ok, how, error = _check(session, user, factor, code, now)
    if not ok:
        return Checked(False, {"code": error})
    left = None
    if how == "recovery":
        left = _recovery_left(session, user)
        record(session, action="mfa.recovery_used", actor=user, target_type="user", target_id=user.id,
               details={"purpose": purpose, "left": left})
        _tell(session, user, "A recovery code was used to sign in",
              f"One of your recovery codes was used ({left} left). If it was not you, tell a platform admin.")
    else:
        record(session, action="mfa.verified", actor=user, target_type="user", target_id=user.id,
               details={"purpose": purpose})
    return Checked(True, mark=mark_of(user, factor), recovery_left=left)


def _confirm_identity(session: Session, user: User, factor: SecondFactor | None, password: str, code: str,
                      now: datetime) -> dict[str, str]:
    """Password and a current code of the enrolled factor (no recovery code): what
    re-enrolment, removal and new recovery codes ask for."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, password or ""):
        errors["password"] = _("The password is not correct.")
    if factor is None or not factor.enrolled:
        errors["code"] = _("No second factor is enrolled.")
        return errors
    if errors:
        # No code is compared after a wrong password, but the try counts: guessing
        # both at once must not be free.
        wait = locked_for(session, user, now)
        locked = _wait_text(wait) if wait else _failed(session, user, now, "wrong password")
        if locked:
            errors["code"] = locked
        return errors
    ok, _how, error = _check(session, user, factor, code, now, recovery=False)
    if not ok:
        errors["code"] = error
    return errors


# --- enrolment -------------------------------------------------------------------------


@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def _new_pending(session: Session, user: User, factor: SecondFactor | None, now: datetime) -> Enrolment:
    if factor is None:
        factor = SecondFactor(user_id=user.id, generation=0)
        session.add(factor)
    secret = totp.new_secret()
    factor.pending_sealed = sealing.seal(_keys(session)["seal"], secret)
    factor.pending_at = now
    factor.updated_at = now
    session.flush()
    return Enrolment(secret, totp.provisioning_uri(secret, user.email))


def pending_enrolment(session: Session, *, user: User) -> Enrolment | None:
    """The secret being enrolled (for the page to show again), if still fresh."""
    factor = _factor(session, user)
    if factor is None or not factor.pending_sealed or factor.pending_at is None \
            or factor.pending_at + PENDING_FOR <= utcnow():
        return None
    secret = sealing.unseal(_keys(session)["seal"], factor.pending_sealed)
    return Enrolment(secret, totp.provisioning_uri(secret, user.email)) if secret else None


def start_enrolment(session: Session, *, user: User, now: datetime | None = None) -> Enrolment:
    """A new secret to scan, for someone without a factor (confirmed by password + code)."""
    now = now or utcnow()
    factor = _factor(session, user)
    if factor is not None and factor.enrolled:
        raise Invalid(_("A second factor is already enrolled: replace it with your password and a current code."),
                      {"code": _("Already enrolled.")})
    return _new_pending(session, user, factor, now)


def start_reenrolment(session: Session, *, user: User, password: str, code: str,
                      now: datetime | None = None) -> Checked | Enrolment:
    """Replace the authenticator: password + a current code of the old one first."""
    now = now or utcnow()
    factor = _factor(session, user)
    errors = _confirm_identity(session, user, factor, password, code, now)
    if errors:
        return Checked(False, errors)
    return _new_pending(session, user, factor, now)


def confirm_enrolment(session: Session, *, user: User, password: str, code: str,
                      now: datetime | None = None) -> Checked:
    """The first code of the new secret, with the password: the factor is in use from now
    on, ten new recovery codes are made (shown once) and the session is marked verified."""
    now = now or utcnow()
    factor = session.get(SecondFactor, user.id, with_for_update={"of": SecondFactor}, populate_existing=True)
    pending = pending_enrolment(session, user=user)
    if factor is None or pending is None:
        return Checked(False, {"code": _("Start again: the key shown has expired.")})
    wait = locked_for(session, user, now)
    if wait is not None:
        return Checked(False, {"code": _wait_text(wait)})
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, password or ""):
        errors["password"] = _("The password is not correct.")
    step = totp.matching_step(pending.secret, totp.clean(code), now, None)
    if step is None:
        errors["code"] = _("The code does not match the new key. Check your app's clock and try the next code.")
    if errors:
        locked = _failed(session, user, now, "enrolment refused")
        if locked:
            errors["code"] = locked
        return Checked(False, errors)
    replaced = factor.enrolled
    factor.secret_sealed, factor.pending_sealed, factor.pending_at = factor.pending_sealed, None, None
    factor.confirmed_at, factor.last_step, factor.updated_at = now, step, now
    factor.generation += 1
    _cleared(session, user)
    codes = _replace_recovery_codes(session, user, now)
    record(session, action="mfa.reenrol" if replaced else "mfa.enrol", actor=user, target_type="user",
           target_id=user.id, details={"generation": factor.generation})
    _tell(session, user, "Your second factor was replaced" if replaced else "A second factor now protects your account",
          "Sign-in now asks for a code from your authenticator app. If this was not you, tell a platform admin.")
    # Every other session of the person ends (one opened with a stolen password before the
    # factor existed must not outlive it); the caller signs this browser in again.
    end_sessions(session, user, reason="second factor set up")
    return Checked(True, mark=mark_of(user, factor), recovery_codes=codes)


def _replace_recovery_codes(session: Session, user: User, now: datetime) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    key = _keys(session)["digest"]
    session.add_all(RecoveryCode(user_id=user.id, created_at=now,
                                 code_hash=sealing.keyed_digest(key, f"{user.id}:{totp.clean(c)}"))
                    for c in codes)
    return codes


def regenerate_recovery_codes(session: Session, *, user: User, password: str, code: str,
                              now: datetime | None = None) -> Checked:
    """Ten new recovery codes (the old ones stop working), after password + current code."""
    now = now or utcnow()
    factor = _factor(session, user)
    errors = _confirm_identity(session, user, factor, password, code, now)
    if errors:
        return Checked(False, errors)
    codes = _replace_recovery_codes(session, user, now)
    record(session, action="mfa.recovery_regenerated", actor=user, target_type="user", target_id=user.id)
    _tell(session, user, "New recovery codes were made", "Your earlier recovery codes no longer work.")
    return Checked(True, recovery_codes=codes)


def _clear(session: Session, user: User, factor: SecondFactor, now: datetime) -> None:
    factor.secret_sealed = factor.pending_sealed = None
    factor.pending_at = factor.confirmed_at = None
    factor.last_step, factor.updated_at = None, now
    factor.generation += 1
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _cleared(session, user)


def remove(session: Session, *, user: User, password: str, code: str, policy: str,
           now: datetime | None = None) -> Checked:
    """Take the second factor off (password + current code). Someone the policy requires
    it of is sent to enrol again on their next page."""
    now = now or utcnow()
    factor = _factor(session, user)
    errors = _confirm_identity(session, user, factor, password, code, now)
    if errors:
        return Checked(False, errors)
    assert factor is not None
    _clear(session, user, factor, now)
    record(session, action="mfa.remove", actor=user, target_type="user", target_id=user.id,
           details={"required": policy_requires(user, policy)})
    _tell(session, user, "Your second factor was removed",
          "Sign-in no longer asks for a code. If this was not you, tell a platform admin.")
    end_sessions(session, user, reason="second factor removed")
    return Checked(True)


def admin_reset(session: Session, *, actor: Any, user_id: int, now: datetime | None = None) -> User:
    """A platform admin takes someone's second factor off (a lost phone): audited, and the
    person is told. They enrol again at their next sign-in if the policy requires it;
    every session's verified mark is void at once."""
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        from council.errors import NotFound

        raise NotFound(_("No such user."))
    factor = _factor(session, user)
    if factor is None or not (factor.enrolled or factor.pending_sealed):
        raise Invalid(_("This person has no second factor to reset."), {"second_factor": _("None enrolled.")})
    _clear(session, user, factor, now or utcnow())
    record(session, action="mfa.admin_reset", actor=actor, target_type="user", target_id=user.id,
           details={"email": user.email})
    _tell(session, user, "A platform admin reset your second factor",
          f"{getattr(actor, 'name', 'A platform admin')} removed the authenticator from your account. "
          "Set up a new one from your account page; if you did not ask for this, reply to the admins.",
          actor=actor)
    # A lost or stolen phone: whatever was signed in with it (sessions, sockets) ends now.
    end_sessions(session, user, reason="second factor reset", actor=actor)
    return user


def _tell(session: Session, user: User, title: str, body: str, *, actor: Any = None) -> None:
    """Through the notification service (never mail directly): always urgent, so it is mailed
    at once where mail is on: a change the person did not make must reach them."""
    from council.notifications.services import Note, notify

    notify(session, Note(kind="account_security", title=title, url=PAGE, body=body, urgent=True),
           [user], actor=actor if isinstance(actor, User) and actor.id != user.id else None)
