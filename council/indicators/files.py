"""Evidence files attached to an indicator (a pcap of its C2 traffic, the sample whose hash
it is): the indicator registers itself as a subject with the evidence slice. A file on an
indicator is seen by those who see the indicator and clear the file's own marking; its
upload is a ``file`` event in the indicator's room (a report's indicator has none: the
report's page lists it)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from council.access import can_see
from council.auth.models import User
from council.errors import NotFound
from council.evidence.subjects import SubjectKind, register_subject_kind, room_may_attach
from council.indicators.models import Indicator, marking
from council.indicators.visibility import load_indicator, owner_tlp, report_sees
from council.reporting.visibility import sight_of
from council.rooms.visibility import facts_of, viewer_of


def indicator_marking(session: Session, user: User, indicator_id: int, tlp: str | None) -> str | None:
    """The indicator's marking (never looser than its room's) when the person sees it — and,
    with ``tlp``, a file so marked on it."""
    try:
        indicator, room, _role = load_indicator(session, user, indicator_id)
    except NotFound:
        return None
    mark = owner_tlp(indicator, room)
    if tlp is None:
        return mark
    if room is None:  # a report's indicator: the report's rule, under the file's marking
        assert indicator.incident is not None
        return mark if report_sees(sight_of(user, indicator.incident), indicator.incident, marking(tlp, mark)) else None
    if not can_see(viewer_of(session, user), replace(facts_of(room), tlp=marking(tlp, mark))):
        return None
    return mark


def indicator_room(session: Session, indicator_id: int) -> int | None:
    indicator = session.get(Indicator, indicator_id)
    return indicator.room_id if indicator is not None else None


def indicator_may_attach(session: Session, user: User, indicator_id: int) -> None:
    """As for its room: the room's writers attach, never in a closed room; as for its
    report: whoever reads the report in full (and sees the indicator)."""
    _indicator, room, _role = load_indicator(session, user, indicator_id)
    if room is not None:
        room_may_attach(session, user, room.id)


def register() -> None:
    register_subject_kind(SubjectKind("indicator", indicator_marking, room_of=indicator_room,
                                      may_attach=indicator_may_attach))
