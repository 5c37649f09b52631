"""Who may read an advisory: its TLP marking applied as for rooms, with the
audience organisations as the room's participating organisations.

  publisher organisation, national CERT   always
  CLEAR, GREEN                            every signed-in user
  AMBER                                   audience organisations and those below them
  AMBER+STRICT                            audience organisations only
  RED                                     the people it names only
  anyone else                             nothing (404); platform admins too

Reading is not answering: only members of audience organisations (for RED, the
named people among them) acknowledge. The same rule is a SQL filter for lists,
the dashboard card and "My work", and the notification service asks
:func:`sees_advisory` again before any mail or digest goes out.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true
from sqlalchemy.orm import Session

from council.advisories.models import Advisory, AdvisoryAudience, AdvisoryPerson
from council.auth.models import User
from council.errors import NotFound
from council.rooms.visibility import viewer_of


@dataclass(frozen=True)
class Sight:
    """How a reader stands to an advisory."""

    publisher: bool  # a member of the publishing organisation
    national: bool  # a member of a national CERT
    audience: bool  # may answer for their organisation

    @property
    def oversees(self) -> bool:
        """Sees the matrix of answers."""
        return self.publisher or self.national


def sight_of(session: Session, user: User, advisory: Advisory) -> Sight | None:
    if not user.active:
        return None
    viewer = viewer_of(session, user)
    in_audience = user.org_id in advisory.org_ids
    answers = in_audience and (advisory.tlp != "RED" or user.id in advisory.person_ids)
    publisher = user.org_id == advisory.publisher_org_id
    national = user.org.tier == "national"
    if publisher or national:
        return Sight(publisher, national, answers)
    tlp = advisory.tlp
    if tlp in ("CLEAR", "GREEN"):
        return Sight(False, False, answers)
    if tlp == "AMBER" and (in_audience or viewer.org_ancestors & advisory.org_ids):
        return Sight(False, False, answers)
    if tlp == "AMBER+STRICT" and in_audience:
        return Sight(False, False, answers)
    if tlp == "RED" and user.id in advisory.person_ids:
        return Sight(False, False, answers)
    return None


def load_advisory(session: Session, user: User, advisory_id: int, *, lock: bool = False) -> tuple[Advisory, Sight]:
    """The advisory and how the user stands to it; NotFound if absent *or* invisible.
    Writers ``lock`` the row, so two versions or answers at once are one after the other."""
    # FOR UPDATE OF the advisory alone: PostgreSQL refuses it on the outer-joined relations.
    advisory = session.get(Advisory, advisory_id, with_for_update={"of": Advisory} if lock else None,
                           populate_existing=lock)
    sight = sight_of(session, user, advisory) if advisory is not None else None
    if advisory is None or sight is None:
        raise NotFound(_("No such advisory."))
    return advisory, sight


def sees_advisory(session: Session, user: User, advisory_id: int) -> str | None:
    """The notification service's question, asked at the moment of delivery: the
    advisory's marking now, or None when the person may not see it."""
    try:
        advisory, _sight = load_advisory(session, user, advisory_id)
    except NotFound:
        return None
    return advisory.tlp


def visible_filter(session: Session, user: User) -> ColumnElement[bool]:
    """SQL twin of :func:`sight_of` (deny by default)."""
    if not user.active:
        return false()
    if user.org.tier == "national":
        return true()
    viewer = viewer_of(session, user)
    above = {viewer.org_id, *viewer.org_ancestors}
    aud = AdvisoryAudience
    return or_(
        Advisory.publisher_org_id == user.org_id,
        Advisory.tlp.in_(("CLEAR", "GREEN")),
        and_(Advisory.tlp == "AMBER", exists(select(aud.org_id).where(
            aud.advisory_id == Advisory.id, aud.org_id.in_(above)))),
        and_(Advisory.tlp == "AMBER+STRICT", exists(select(aud.org_id).where(
            aud.advisory_id == Advisory.id, aud.org_id == user.org_id))),
        and_(Advisory.tlp == "RED", exists(select(AdvisoryPerson.user_id).where(
            AdvisoryPerson.advisory_id == Advisory.id, AdvisoryPerson.user_id == user.id))),
    )


def answers_filter(user: User) -> ColumnElement[bool]:
    """Advisories the user answers for their organisation (SQL; with :func:`visible_filter`)."""
    if not user.active:
        return false()
    return and_(exists(select(AdvisoryAudience.org_id).where(
        AdvisoryAudience.advisory_id == Advisory.id, AdvisoryAudience.org_id == user.org_id)),
        or_(Advisory.tlp != "RED", exists(select(AdvisoryPerson.user_id).where(
            AdvisoryPerson.advisory_id == Advisory.id, AdvisoryPerson.user_id == user.id))))
