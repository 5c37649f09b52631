"""Who sees an incident, and how much: the marking is the reporter's instruction
to its recipient.

  reporter's organisation   everything
  reviewer (the reporter's sectoral CERT, or the national CERT)
                            everything: it is the report's recipient
  national CERT             once a submission was accepted (forwarded up the chain):
                            in full for CLEAR, GREEN and AMBER, or when the reporter
                            consented; otherwise a stub (reference, sector, class,
                            type, stage times, no content); only the stages of
                            regimes whose audience is the whole chain
  anyone else               nothing (404), whatever the marking; platform admins too

The same rule is a SQL filter for lists, searches, the board and statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import Session

from council.auth.models import User
from council.errors import NotFound
from council.reporting.models import Incident

FULL_FORWARD = frozenset({"CLEAR", "GREEN", "AMBER"})


@dataclass(frozen=True)
class Sight:
    relation: str  # reporter | reviewer | national
    full: bool
    chain_only: bool  # sees only the stages of regimes whose audience is the chain

    @property
    def stub(self) -> bool:
        return not self.full


def national_sees_full(incident: Incident) -> bool:
    """Whether the national CERT may read this incident's content now."""
    return incident.forwarded_at is not None and (incident.tlp in FULL_FORWARD or incident.consent_full)


def sight_of(user: User, incident: Incident) -> Sight | None:
    if not user.active:
        return None
    if user.org_id == incident.reporter_org_id:
        return Sight("reporter", True, False)
    if user.org_id == incident.reviewer_org_id:
        return Sight("reviewer", True, False)
    if user.org_id == incident.national_org_id and incident.forwarded_at is not None:
        return Sight("national", incident.tlp in FULL_FORWARD or incident.consent_full, True)
    return None


def load_incident(session: Session, user: User, incident_id: int, *, lock: bool = False) -> tuple[Incident, Sight]:
    """The incident and how the user sees it; NotFound if absent *or* invisible. Writers
    ``lock`` the row (FOR UPDATE on PostgreSQL; SQLite's write transaction is one at a time),
    so two reviewers deciding at once are one after the other, never both on the old state."""
    # FOR UPDATE OF the incident alone: PostgreSQL refuses it on the outer-joined relations.
    incident = session.get(Incident, incident_id, with_for_update={"of": Incident} if lock else None,
                           populate_existing=lock)
    sight = sight_of(user, incident) if incident is not None else None
    if incident is None or sight is None:
        raise NotFound(_("No such incident."))
    return incident, sight


def visible_filter(user: User) -> ColumnElement[bool]:
    """SQL twin of sight_of (deny by default)."""
    if not user.active:
        return false()
    return or_(Incident.reporter_org_id == user.org_id, Incident.reviewer_org_id == user.org_id,
               and_(Incident.national_org_id == user.org_id, Incident.forwarded_at.is_not(None)))
