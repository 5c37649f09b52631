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
        raise Forbidden("Only the council's secretary manages seats.")


def history(session: Session) -> list[Seat]:
    """Every term ever held, newest first: who held which seat when."""
    return list(session.scalars(select(Seat).order_by(Seat.term_start.desc(), Seat.id.desc())))


def get_seat(session: Session, seat_id: int) -> Seat:
    seat = session.get(Seat, seat_id)
    if seat is None:
        raise NotFound("No such seat.")
    return seat


def _representatives(session: Session, org: Organization, reps: list[tuple[int, str]]) -> list[SeatRepresentative]:
    errors: dict[str, str] = {}
    if len(reps) > MAX_REPRESENTATIVES:
        errors["representatives"] = f"At most {MAX_REPRESENTATIVES} representatives."
    seen: set[int] = set()
    out = []
    for user_id, role in reps:
        user = session.get(User, user_id)
        if user is None or not user.active:
            errors["representatives"] = f"No active person with id {user_id}."
        elif user.org_id != org.id:
            errors["representatives"] = f"{user.name} is not of {org.name}: representatives speak for their own."
        elif role not in REPRESENTATIVE_ROLES:
            errors["representatives"] = "Each representative is primary or alternate."
        elif user_id in seen:
            errors["representatives"] = f"{user.name} is named twice."
        else:
            seen.add(user_id)
            out.append(SeatRepresentative(user_id=user_id, role=role))
    if sum(1 for r in out if r.role == "primary") > 1:
        errors["representatives"] = "One primary representative; the others are alternates."
    if errors:
        raise Invalid("The seat was not saved.", errors)
    return out


def _overlapping(session: Session, org_id: int, start: date, end: date | None, seat_id: int | None) -> Seat | None:
    """Another term of the same organisation overlapping [start, end]: one seat per organisation at a time."""
    for other in session.scalars(select(Seat).where(Seat.org_id == org_id)):
        if other.id != seat_id and _overlaps(start, end, other.term_start, other.term_end):
            return other
    return None


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return (a_end is None or b_start <= a_end) and (b_end is None or a_start <= b_end)


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
        raise Invalid("The seat was not saved.", {"org_id": "No such organisation."})
    if office not in OFFICES:
        errors["office"] = f"Use one of: {', '.join(OFFICES)}."
    if term_end is not None and term_end < term_start:
        errors["term_end"] = "A term ends on or after the day it starts."
    if len(label.strip()) > LABEL_MAX:
        errors["label"] = f"At most {LABEL_MAX} characters."
    if errors:
        raise Invalid("The seat was not saved.", errors)
    clash = _overlapping(session, org.id, term_start, term_end, None)
    if clash is not None:
        raise Conflict(f"{org.name} already holds a seat for part of that term (seat {clash.id}); end it first.")
    holder = _office_clash(session, office, term_start, term_end, None)
    if holder is not None:
        raise Conflict(f"The office of {OFFICES[office].lower()} is held by {holder.org.name} for part of that "
                       f"term; end that term first.")
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
            raise Invalid("The seat was not saved.", {"term_end": "A term ends on or after the day it starts."})
        clash = _overlapping(session, seat.org_id, seat.term_start, term_end, seat.id)
        if clash is not None:
            raise Conflict(f"{seat.org.name} holds another seat in that period (seat {clash.id}).")
        holder = _office_clash(session, seat.office, seat.term_start, term_end, seat.id)
        if holder is not None:
            raise Conflict(f"The office of {OFFICES[seat.office].lower()} is held by {holder.org.name} in that "
                           f"period; a term cannot run into another's.")
        changed["term_end"] = [seat.term_end.isoformat() if seat.term_end else None,
                               term_end.isoformat() if term_end else None]
        seat.term_end = term_end
    if label is not None and len(label.strip()) > LABEL_MAX:
        raise Invalid("The seat was not saved.", {"label": f"At most {LABEL_MAX} characters."})
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
