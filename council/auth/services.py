"""Administering people: create, edit, deactivate, reset passwords; and a
user changing their own password. Authorisation is checked here, not in views."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import ROLES, User
from council.auth.passwords import hash_password, policy_problems, verify_password
from council.auth.signin import end_sessions
from council.errors import Forbidden, Invalid, NotFound
from council.names import person_handle
from council.orgs.models import Organization
from council.orgs.services import require_admin

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == normalize_email(email))).one_or_none()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def list_users(session: Session, *, actor: Any) -> list[User]:
    require_admin(actor)
    return list(session.scalars(select(User).order_by(User.name)))


def _check_fields(
    session: Session, *, email: str | None, name: str, org_id: int, role: str, user_id: int | None = None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if email is not None:
        if not EMAIL_RE.match(email) or len(email) > 254:
            errors["email"] = _("Enter a valid email address.")
        else:
            other = find_user(session, email)
            if other is not None and other.id != user_id:
                errors["email"] = _("A user with this email already exists.")
    if not name.strip():
        errors["name"] = _("Name is required.")
    elif len(name) > 200:
        errors["name"] = _("Name is too long (200 characters at most).")
    if session.get(Organization, org_id) is None:
        errors["org"] = _("No such organisation.")
    if role not in ROLES:
        errors["role"] = _("Role must be one of: %(roles)s.", roles=", ".join(ROLES))
    return errors


def _handle_taken(session: Session, handle: str) -> bool:
    """People and organisations share one namespace: "@x" names one of them, never both."""
    return (session.scalar(select(User.id).where(User.handle == handle)) is not None
            or session.scalar(select(Organization.id).where(Organization.short_name == handle)) is not None)


def create_user(
    session: Session, *, actor: Any, email: str, name: str, org_id: int, role: str, password: str,
    org_admin: bool = False,
) -> User:
    require_admin(actor)
    email = normalize_email(email)
    errors = _check_fields(session, email=email, name=name, org_id=org_id, role=role)
    problems = policy_problems(password, email)
    if problems:
        errors["password"] = " ".join(problems)
    if errors:
        raise Invalid(_("The user could not be created."), errors)
    user = User(email=email, name=name.strip(), org_id=org_id, role=role, org_admin=org_admin,
                handle=person_handle(name, email, lambda h: _handle_taken(session, h)),
                password_hash=hash_password(password))
    session.add(user)
    session.flush()
    record(session, action="user.create", actor=actor, target_type="user", target_id=user.id,
           details={"email": email, "org_id": org_id, "role": role, "handle": user.handle,
                    "org_admin": org_admin})
    return user


def update_user(
    session: Session, *, actor: Any, user_id: int, name: str, org_id: int, role: str,
    org_admin: bool | None = None,
) -> User:
    require_admin(actor)
    user = get_user(session, user_id)
    errors = _check_fields(session, email=None, name=name, org_id=org_id, role=role, user_id=user.id)
    if user.id == getattr(actor, "id", None) and role != user.role:
        errors["role"] = _("You cannot change your own platform role.")
    if errors:
        raise Invalid(_("The user could not be saved."), errors)
    before = {"name": user.name, "org_id": user.org_id, "role": user.role, "org_admin": user.org_admin}
    user.name, user.org_id, user.role = name.strip(), org_id, role
    if org_admin is not None:
        user.org_admin = bool(org_admin)
    changed = {k: [v, getattr(user, k)] for k, v in before.items() if v != getattr(user, k)}
    if changed:
        record(session, action="user.update", actor=actor, target_type="user", target_id=user.id,
               details={"changed": changed})
        if "org_id" in changed or "role" in changed:
            # Rights follow the organisation and role: sockets must re-authenticate.
            end_sessions(session, user, reason="rights changed", actor=actor)
    return user


def set_active(session: Session, *, actor: Any, user_id: int, active: bool) -> User:
    require_admin(actor)
    user = get_user(session, user_id)
    if user.id == getattr(actor, "id", None) and not active:
        raise Forbidden(_("You cannot deactivate your own account."))
    if user.active != active:
        user.active = active
        if active:
            user.failed_logins, user.locked_until = 0, None
        record(session, action="user.activate" if active else "user.deactivate", actor=actor,
               target_type="user", target_id=user.id, details={"email": user.email})
        if not active:
            end_sessions(session, user, reason="deactivated", actor=actor)
    return user


def reset_password(session: Session, *, actor: Any, user_id: int, new_password: str) -> User:
    """An admin sets a new password; the user's sessions end and lockout clears."""
    require_admin(actor)
    user = get_user(session, user_id)
    problems = policy_problems(new_password, user.email)
    if problems:
        raise Invalid(_("The password was not changed."), {"password": " ".join(problems)})
    user.password_hash = hash_password(new_password)
    user.failed_logins, user.locked_until = 0, None
    record(session, action="user.reset_password", actor=actor, target_type="user", target_id=user.id)
    end_sessions(session, user, reason="password reset", actor=actor)
    return user


def change_password(session: Session, *, user: User, current: str, new: str) -> User:
    """A user changes their own password; every other session of theirs ends."""
    errors: dict[str, str] = {}
    if not verify_password(user.password_hash, current):
        errors["current_password"] = _("The current password is not correct.")
    problems = policy_problems(new, user.email)
    if problems:
        errors["new_password"] = " ".join(problems)
    elif new == current:
        errors["new_password"] = _("Choose a password different from the current one.")
    if errors:
        raise Invalid(_("The password was not changed."), errors)
    user.password_hash = hash_password(new)
    record(session, action="user.change_password", actor=user, target_type="user", target_id=user.id)
    end_sessions(session, user, reason="password changed")
    return user


LANGUAGE_CODES = ("en", "ur")


def set_language(session: Session, *, user: User, language: Any) -> User:
    """A person's interface language ("en", "ur"; "" or None: follow the browser).
    A preference, not audited."""
    if language in ("", None):
        user.language = None
    elif isinstance(language, str) and language in LANGUAGE_CODES:
        user.language = language
    else:
        raise Invalid(_("Unknown language."), {"language": _("choose English (en) or Urdu (ur)")})
    return user
