"""Who plays in which team of a new exercise, and which teams an inject reaches.

One rule for the creation page's preview, the page itself and the REST API:
the teams named with their players, or — none named — one team per
participating organisation holding its active members who have no other role
in the exercise (the director never plays). A team without players is refused:
injects would reach nobody, and the people the organiser meant to play would
find no exercise (404) when they open its room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.auth.services import find_user
from council.orgs.models import Organization


class Addressable(Protocol):
    """A team as an inject's "to" names it: by its own name or its organisation's."""

    @property
    def name(self) -> str: ...

    @property
    def org(self) -> Organization | None: ...


T = TypeVar("T", bound=Addressable)


@dataclass(frozen=True)
class ProposedTeam:
    """A team the exercise will have, before anything is written."""

    name: str
    org: Organization | None
    players: tuple[User, ...]
    per_org: bool  # made for its organisation, not named by the organiser


def users_by_email(session: Session, emails: Any, field: str, errors: dict[str, str]) -> list[User]:
    """The active users with these emails; a field message for anything else."""
    if emails in (None, ""):
        return []
    if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
        errors[field] = _("A list of email addresses.")
        return []
    users = []
    for email in emails:
        user = find_user(session, email)
        if user is None or not user.active:
            errors[field] = _("No active user with email %(email)s.", email=repr(email))
            return []
        users.append(user)
    return users


def active_members(session: Session, org: Organization) -> list[User]:
    return list(session.scalars(select(User).where(User.org_id == org.id, User.active.is_(True))
                                .order_by(User.name, User.id)))


def propose_teams(session: Session, *, orgs: list[Organization], players: Any, staff: list[User],
                  errors: dict[str, str]) -> list[ProposedTeam]:
    """The teams and their players: as named in ``players`` (team name -> emails),
    or, when it is empty, one per organisation of ``orgs`` with its active members
    who are not ``staff`` (director, controllers, evaluators, observers)."""
    if players in (None, {}):
        taken = {u.id for u in staff}
        teams = [ProposedTeam(o.name, o, tuple(u for u in active_members(session, o) if u.id not in taken), True)
                 for o in orgs]
    elif not isinstance(players, dict) or not all(isinstance(k, str) and k.strip() for k in players):
        errors["players"] = _("An object of team name -> list of emails.")
        return []
    else:
        teams = _named_teams(session, orgs, players, errors)
    if "players" not in errors and any(not t.players for t in teams):
        errors["players"] = " ".join(_no_players(t) for t in teams if not t.players)
    return teams


def _named_teams(session: Session, orgs: list[Organization], players: dict[str, Any],
                 errors: dict[str, str]) -> list[ProposedTeam]:
    """Teams named by the organiser: a participating organisation's if it bears
    its name, else the organisation of its first player."""
    by_name = {o.name.lower(): o for o in orgs}
    teams: dict[str, list[User]] = {}
    for name, emails in players.items():
        teams.setdefault(name.strip(), []).extend(users_by_email(session, emails, "players", errors))
    return [ProposedTeam(name, by_name.get(name.lower()) or (users[0].org if users else None), tuple(users), False)
            for name, users in teams.items()]


def _no_players(team: ProposedTeam) -> str:
    if team.per_org:
        return _("Team '%(name)s' has no players: name some, or leave that organisation out.", name=team.name)
    return _("Team '%(name)s' has no players: name some, or leave that team out.", name=team.name)


def addressed(recipients: str, teams: Sequence[T]) -> list[T]:
    """The teams an inject's "to" reaches: all, or named teams / organisations.
    LookupError names the first name that is neither."""
    if recipients.strip().lower() == "all":
        return list(teams)
    found: list[T] = []
    for name in (n.strip().lower() for n in recipients.split(";") if n.strip()):
        matches = [t for t in teams if t.name.lower() == name or (t.org is not None and t.org.name.lower() == name)]
        if not matches:
            raise LookupError(name)
        found.extend(m for m in matches if m not in found)
    return found


def unknown_recipients(recipients: list[str], teams: Sequence[Addressable]) -> list[str]:
    """Names in these injects' "to" that are neither a team nor a team's organisation."""
    missing: set[str] = set()
    for to in recipients:
        try:
            addressed(to, teams)
        except LookupError as exc:
            missing.add(str(exc.args[0]))
    return sorted(missing)
