"""The register of members: seats with offices, terms and representatives.

The secretary (or the chair) manages seats, every change audited. While the
council has neither a chair nor a secretary seated today, a platform admin of
the national CERT may seat them — the council has to start somewhere, and a
council whose officers' terms all ran out must be able to seat new ones — but
never once an officer sits. One chair and one secretary at a time, over the
whole of every term; one seat per organisation at a time. Ending a term never
deletes it: the row stays as history.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.governance.models import OFFICES, REPRESENTATIVE_ROLES, Seat, SeatRepresentative
from council.governance.offices import current_seats, holds_office, today
from council.orgs.models import Organization

MAX_REPRESENTATIVES = 4


LABEL_MAX = 120


def may_manage_seats(session: Session, user: User) -> bool:
    if holds_office(session, user, ("secretary", "chair")):
        return True
    officers = any(s.office in ("secretary", "chair") for s in current_seats(session))
    return not officers and user.active and user.is_admin and user.org.tier == "national"


def require_manager(session: Session, user: User) -> None:
    if not may_manage_seats(session, user):
        raise Forbidden(_("Only the council's secretary manages seats."))


def history(session: Session) -> list[Seat]:
    """Every term ever held, newest first: who held which seat when."""
    return list(session.scalars(select(Seat).order_by(Seat.term_start.desc(), Seat.id.desc())))


def get_seat(session: Session, seat_id: int) -> Seat:
    seat = session.get(Seat, seat_id)
    if seat is None:
        raise NotFound(_("No such seat."))
    return seat


def _representatives(session: Session, org: Organization, reps: list[tuple[int, str]]) -> list[SeatRepresentative]:
    errors: dict[str, str] = {}
    if len(reps) > MAX_REPRESENTATIVES:
        errors["representatives"] = _("At most %(num)s representatives.", num=MAX_REPRESENTATIVES)
    seen: set[int] = set()
    out = []
    for user_id, role in reps:
        user = session.get(User, user_id)
        if user is None or not user.active:
            errors["representatives"] = _("No active person with id %(ids)s.", ids=user_id)
        elif user.org_id != org.id:
            errors["representatives"] = _("%(name)s is not of %(org)s: representatives speak for their own.",
                                          name=user.name, org=org.name)
        elif role not in REPRESENTATIVE_ROLES:
            errors["representatives"] = _("Each representative is primary or alternate.")
        elif user_id in seen:
            errors["representatives"] = _("%(name)s is named twice.", name=user.name)
        else:
            seen.add(user_id)
            out.append(SeatRepresentative(user_id=user_id, role=role))
    if sum(1 for r in out if r.role == "primary") > 1:
        errors["representatives"] = _("One primary representative; the others are alternates.")
    if errors:
        raise Invalid(_("The seat was not saved."), errors)
    return out


def _overlapping(session: Session, org_id: int, start: date, end: date | None, seat_id: int | None) -> Seat | None:
    """Another term of the same organisation overlapping [start, end]: one seat per organisation at a time."""
    for other in session.scalars(select(Seat).where(Seat.org_id == org_id)):
        if other.id != seat_id and _overlaps(start, end, other.term_start, other.term_end):
            return other
    return None


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


def _office_held(office: str, org: str, *, update: bool) -> str:
    """The refusal of a term that runs into another holder's of the chair (or secretary)."""
    if office == "chair":
        return (_("The office of chair is held by %(org)s in that period; a term cannot run into another's.", org=org)
                if update else _("The office of chair is held by %(org)s for part of that term; end that term first.",
                                 org=org))
    return (_("The office of secretary is held by %(org)s in that period; a term cannot run into another's.", org=org)
            if update else _("The office of secretary is held by %(org)s for part of that term; end that term first.",
                             org=org))


def _office_clash(session: Session, office: str, start: date, end: date | None, seat_id: int | None) -> Seat | None:
    """Another term of the chair (or secretary) overlapping [start, end]: one holder at a time."""
    if office not in ("chair", "secretary"):
        return None
    for other in session.scalars(select(Seat).where(Seat.office == office)):
        if other.id != seat_id and _overlaps(start, end, other.term_start, other.term_end):
            return other
    return None


def create_seat(session: Session, *, actor: User, org_id: int, office: str, term_start: date,
                term_end: date | None = None, label: str = "",
                representatives: list[tuple[int, str]] | None = None) -> Seat:
    require_manager(session, actor)
    org = session.get(Organization, org_id)
    errors: dict[str, str] = {}
    if org is None:
        raise Invalid(_("The seat was not saved."), {"org_id": _("No such organisation.")})
    if office not in OFFICES:
        errors["office"] = _("Use one of: %(choices)s.", choices=", ".join(OFFICES))
    if term_end is not None and term_end < term_start:
        errors["term_end"] = _("A term ends on or after the day it starts.")
    if len(label.strip()) > LABEL_MAX:
        errors["label"] = _("At most %(num)s characters.", num=LABEL_MAX)
    if errors:
        raise Invalid(_("The seat was not saved."), errors)
    clash = _overlapping(session, org.id, term_start, term_end, None)
    if clash is not None:
        raise Conflict(_("%(org)s already holds a seat for part of that term (seat %(seat)s); end it first.",
                         org=org.name, seat=clash.id))
    holder = _office_clash(session, office, term_start, term_end, None)
    if holder is not None:
        raise Conflict(_office_held(office, holder.org.name, update=False))
    seat = Seat(org_id=org.id, office=office, label=label.strip(), term_start=term_start, term_end=term_end,
                created_by_id=actor.id)
    seat.representatives = _representatives(session, org, representatives or [])
    session.add(seat)
    session.flush()
    record(session, action="council.seat.create", actor=actor, target_type="seat", target_id=seat.id,
           details={"org_id": org.id, "office": office, "term_start": term_start.isoformat(),
                    "term_end": term_end.isoformat() if term_end else None,
                    "representatives": [[r.user_id, r.role] for r in seat.representatives]})
    return seat


def update_seat(session: Session, *, actor: User, seat_id: int, term_end: Any = ...,
                representatives: list[tuple[int, str]] | None = None, label: str | None = None) -> Seat:
    """End or extend a term, rename it, or change who represents the seat."""
    require_manager(session, actor)
    seat = get_seat(session, seat_id)
    changed: dict[str, Any] = {}
    if term_end is not ...:
        if term_end is not None and term_end < seat.term_start:
            raise Invalid(_("The seat was not saved."), {"term_end": _("A term ends on or after the day it starts.")})
        clash = _overlapping(session, seat.org_id, seat.term_start, term_end, seat.id)
        if clash is not None:
            raise Conflict(_("%(org)s holds another seat in that period (seat %(seat)s).", org=seat.org.name,
                             seat=clash.id))
        holder = _office_clash(session, seat.office, seat.term_start, term_end, seat.id)
        if holder is not None:
            raise Conflict(_office_held(seat.office, holder.org.name, update=True))
        changed["term_end"] = [seat.term_end.isoformat() if seat.term_end else None,
                               term_end.isoformat() if term_end else None]
        seat.term_end = term_end
    if label is not None and len(label.strip()) > LABEL_MAX:
        raise Invalid(_("The seat was not saved."), {"label": _("At most %(num)s characters.", num=LABEL_MAX)})
    if label is not None and label.strip() != seat.label:
        changed["label"] = [seat.label, label.strip()]
        seat.label = label.strip()
    if representatives is not None:
        new = _representatives(session, seat.org, representatives)
        before = [[r.user_id, r.role] for r in seat.representatives]
        seat.representatives.clear()
        session.flush()
        seat.representatives.extend(new)
        changed["representatives"] = [before, [[r.user_id, r.role] for r in new]]
    session.flush()
    if changed:
        record(session, action="council.seat.update", actor=actor, target_type="seat", target_id=seat.id,
               details={"changed": changed})
    return seat


def seat_json(seat: Seat, day: date | None = None) -> dict[str, Any]:
    day = day or today()
    return {"id": seat.id, "org_id": seat.org_id, "org": seat.org.name, "office": seat.office,
            "label": seat.label, "term_start": seat.term_start.isoformat(),
            "term_end": seat.term_end.isoformat() if seat.term_end else None, "current": seat.current_on(day),
            "representatives": [r.user_id for r in seat.representatives],
            "people": [{"user_id": r.user_id, "name": r.user.name, "role": r.role} for r in seat.representatives]}
