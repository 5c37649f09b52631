"""Who may see what a notification is about, asked again at the moment of delivery.

Each slice registers a checker for its subjects ("room", "event", "decision",
"incident", "advisory", "report"): given a person and an id it answers the
subject's marking *now* (a room raised from GREEN to AMBER since is AMBER in the
mail), or None when the person may not see it. A subject without a checker is
never delivered (deny by default).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from council.access import TLP_ORDER
from council.auth.models import User

Checker = Callable[[Session, User, int], str | None]
CHECKERS: dict[str, Checker] = {}


def register_subject(kind: str, checker: Checker) -> None:
    CHECKERS[kind] = checker


def marking_for(session: Session, user: User, subject: str) -> str | None:
    """The subject's marking as ``user`` may see it now; None if they may not.
    "" (nothing restricted) is CLEAR."""
    if not user.active:
        return None
    if not subject:
        return "CLEAR"
    kind, _, raw = subject.partition(":")
    checker = CHECKERS.get(kind)
    if checker is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        return None
    return checker(session, user, int(raw))


def may_see(session: Session, user: User, subject: str) -> bool:
    return marking_for(session, user, subject) is not None


def stricter(a: str, b: str | None) -> str:
    return a if b is None or TLP_ORDER.get(a, 99) >= TLP_ORDER.get(b, 99) else b
