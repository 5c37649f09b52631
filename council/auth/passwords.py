"""Password hashing (argon2id, OWASP parameters) and the password policy."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask_babel import gettext as _

from council.blocking import run_blocking

MIN_LENGTH = 12
MAX_LENGTH = 1024


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    # OWASP password storage cheat sheet: argon2id, m=19 MiB, t=2, p=1.
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return run_blocking(_hasher().hash, password)


def verify_password(stored_hash: str, password: str) -> bool:
    def _verify() -> bool:
        try:
            return _hasher().verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    return run_blocking(_verify)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the account does not exist, so the
    answer takes as long as for a real account (no enumeration by timing)."""
    return _hasher().hash("council-dummy-password-for-timing")


def policy_problems(password: str, email: str = "") -> list[str]:
    """Reasons the password is refused; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(num)s characters.", num=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(num)s characters.", num=MAX_LENGTH))
    if email and password.strip().lower() in {email.lower(), email.split("@")[0].lower()}:
        problems.append(_("The password must not be your email address."))
    if password and len(set(password)) < 4:
        problems.append(_("The password repeats too few different characters."))
    return problems
