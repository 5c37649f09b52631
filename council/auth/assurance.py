"""Who must have a second factor, and what asks a session for it (pure rules over the
rows; council/auth/mfa.py holds the verbs that change the factor).

A session proves the factor once (at sign-in, or later for a TLP:RED room) and carries
a *mark*: "<user id>:<generation>" (council/auth/login.py keeps it in the session
cookie). The mark counts only while the person's factor is the one it was made with.
"""

from __future__ import annotations

from contextvars import ContextVar

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from council.auth.models import SecondFactor, User
from council.errors import Forbidden

RED = "RED"


def factor_of(session: Session, user: User) -> SecondFactor | None:
    return session.get(SecondFactor, user.id)


class StepUpRequired(Forbidden):
    """This needs a second factor verified in this session (TLP:RED, API tokens)."""

    def __init__(self, message: str, *, enrolled: bool) -> None:
        super().__init__(message, {"second_factor": _("enter a code") if enrolled else _("enrol first")})
        self.enrolled = enrolled


def policy_requires(user: User, policy: str) -> bool:
    """COUNCIL_MFA: platform admins always; everyone with ``all``."""
    return user.is_admin or policy == "all"


def is_enrolled(session: Session, user: User) -> bool:
    factor = factor_of(session, user)
    return factor is not None and factor.enrolled


def must_enrol(session: Session, user: User, policy: str) -> bool:
    """True when the policy asks ``user`` for a second factor they have not enrolled:
    pages send them to enrolment before anything else."""
    return policy_requires(user, policy) and not is_enrolled(session, user)


def mark_of(user: User, factor: SecondFactor) -> str:
    return f"{user.id}:{factor.generation}"


def session_verified(session: Session, user: User, mark: str | None) -> bool:
    """Whether ``mark`` (from the session) proves ``user``'s current factor."""
    factor = factor_of(session, user)
    return bool(mark) and factor is not None and factor.enrolled and mark == mark_of(user, factor)


_BROWSER = "council_browser_sessions"
# The signed-in browser a web request serves (its person, its session's second-factor mark),
# for every database session the request opens: set by the session loader
# (council/auth/login.py), reset when the request ends. Greenlets and threads have their own.
_REQUEST: ContextVar[tuple[int, str] | None] = ContextVar("council_browser_request", default=None)


def note_browser_request(user_id: int | None, mark: str = "") -> None:
    """This request serves the signed-in browser of ``user_id`` (None: it serves no browser)."""
    _REQUEST.set(None if user_id is None else (user_id, mark))


def note_browser_session(session: Session, user_id: int, mark: str | None = "") -> None:
    """In this database session ``user_id`` acts through a browser whose session carries
    ``mark`` (its second-factor mark), or, with None, through a machine's token. Sockets
    note each person they serve (several share a grouped write). Why here: TLP:RED material
    needs the step-up in a browser session, and every list, page and export asks
    ``council.rooms.visibility.viewer_of``, so no view can forget it. Work nobody notes (the
    scheduler, the CLI, notifications about other people) sees as the rules alone say."""
    session.info.setdefault(_BROWSER, {})[user_id] = mark
    session.info.pop("council_viewers", None)  # (rooms/visibility.py's cache of viewers)


def red_cleared(session: Session, user: User) -> bool:
    """May ``user`` see TLP:RED material in this database session (see note_browser_session)?"""
    noted = session.info.get(_BROWSER, {})
    if user.id in noted:
        mark = noted[user.id]
        return mark is None or session_verified(session, user, mark)
    request = _REQUEST.get()
    if request is None or request[0] != user.id:
        return True
    return session_verified(session, user, request[1])


def require_step_up(session: Session, *, user: User, mark: str | None, by_token: bool = False,
                    for_token: bool = False) -> None:
    """Refuse unless this session verified the second factor (REST tokens are for machines
    and are let through: making one needed the factor, see ``require_for_token``).
    ``for_token``: the refusal says an API token is being made (else: a TLP:RED room)."""
    if by_token or session_verified(session, user, mark):
        return
    enrolled = is_enrolled(session, user)
    if for_token:
        message = (_("API tokens need a second factor: enter a code from your authenticator app to continue.")
                   if enrolled else _("API tokens need a second factor: set up a second factor to continue."))
    else:
        message = (_("This room is TLP:RED: enter a code from your authenticator app to continue.")
                   if enrolled else _("This room is TLP:RED: set up a second factor to continue."))
    raise StepUpRequired(message, enrolled=enrolled)


def require_for_room(session: Session, *, user: User, tlp: str, mark: str | None, by_token: bool = False) -> None:
    """A TLP:RED room opens (page or socket join) only after the step-up, whatever COUNCIL_MFA says."""
    if tlp == RED:
        require_step_up(session, user=user, mark=mark, by_token=by_token)


def require_for_token(session: Session, *, user: User, mark: str | None) -> None:
    require_step_up(session, user=user, mark=mark, for_token=True)
