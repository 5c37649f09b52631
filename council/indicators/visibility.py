"""Who sees an indicator: the one rule, for a row and as SQL.

An indicator belongs to a room or to an incident report, and is seen under its own
marking, never looser than its owner's:

  in a room      whoever sees the room, with the indicator's TLP applied (council/access.py)
  in a report    the report's reporter and reviewer; the national CERT once the report
                 was forwarded, under the indicator's marking as under the report's
                 (CLEAR, GREEN or AMBER, or the reporter's consent to forward in full).
                 A reader of the report's stub sees none of its indicators
                 (council/reporting/visibility.py).

Lists, search, "also in", exports and single reads all ask this module.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, false, or_
from sqlalchemy.orm import Session

from council.access import can_see
from council.auth.models import User
from council.errors import NotFound
from council.indicators.models import Indicator, marking
from council.reporting.models import Incident
from council.reporting.visibility import FULL_FORWARD, Sight, load_incident, sight_of
from council.rooms.models import Room
from council.rooms.visibility import facts_of, load_visible, viewer_of
from council.rooms.visibility import visible_filter as room_filter


def report_sees(sight: Sight | None, incident: Incident, tlp: str) -> bool:
    """Whether a reader of ``incident`` (its ``sight``) sees an item of it marked ``tlp``."""
    if sight is None or not sight.full:
        return False
    return sight.relation != "national" or marking(tlp, incident.tlp) in FULL_FORWARD or incident.consent_full


def owner_tlp(indicator: Indicator, room: Room | None) -> str:
    """The marking that applies: the indicator's, or its owner's when that is stricter."""
    if room is not None:
        return marking(indicator.tlp, room.tlp)
    return marking(indicator.tlp, indicator.incident.tlp) if indicator.incident is not None else indicator.tlp


def indicator_visible(session: Session, user: User, indicator: Indicator, room: Room | None) -> bool:
    if indicator.room_id is not None:
        return room is not None and can_see(viewer_of(session, user),
                                            replace(facts_of(room), tlp=marking(indicator.tlp, room.tlp)))
    incident = indicator.incident
    return incident is not None and report_sees(sight_of(user, incident), incident, indicator.tlp)


def visible_indicators(session: Session, user: User) -> Any:
    """SQL twin of :func:`indicator_visible`, for a query outer-joining Room
    (``Room.id == Indicator.room_id``) and Incident (``Incident.id == Indicator.incident_id``)."""
    if not user.active:
        return false()
    viewer = viewer_of(session, user)
    in_room = and_(Indicator.room_id.is_not(None), room_filter(viewer), room_filter(viewer, Indicator.tlp))
    national_may = or_(Incident.consent_full,
                       and_(Incident.tlp.in_(FULL_FORWARD), Indicator.tlp.in_(FULL_FORWARD)))
    in_report = and_(Indicator.incident_id.is_not(None), or_(
        Incident.reporter_org_id == user.org_id, Incident.reviewer_org_id == user.org_id,
        and_(Incident.national_org_id == user.org_id, Incident.forwarded_at.is_not(None), national_may)))
    return or_(in_room, in_report)


def load_indicator(session: Session, actor: User, indicator_id: int) -> tuple[Indicator, Room | None, str]:
    """The indicator, its room (None for a report's) and the actor's role there (for a
    report's: the actor's relation to the report); NotFound unless visible."""
    indicator = session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(_("No such indicator."))
    try:
        if indicator.room_id is not None:
            room, role = load_visible(session, actor, indicator.room_id)
        else:
            incident, sight = load_incident(session, actor, indicator.incident_id)  # type: ignore[arg-type]
            room, role = None, sight.relation
            if not report_sees(sight, incident, indicator.tlp):
                raise NotFound(_("No such indicator."))
    except NotFound:
        raise NotFound(_("No such indicator.")) from None
    if room is not None and not indicator_visible(session, actor, indicator, room):
        raise NotFound(_("No such indicator."))
    return indicator, room, role
