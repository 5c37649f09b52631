"""Who holds an office of the council today: the questions other slices ask
(the directory's communication checks, meetings, the crisis level)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.db import utcnow
from council.governance.models import Seat, SeatRepresentative


def today() -> date:
    return utcnow().date()


def current_seats(session: Session, day: date | None = None) -> list[Seat]:
    """Every seat whose term covers ``day`` (today by default), chair and secretary first."""
    day = day or today()
    rows = session.scalars(select(Seat).where(Seat.term_start <= day,
                                              or_(Seat.term_end.is_(None), Seat.term_end >= day))
                           .order_by(Seat.id))
    order = {"chair": 0, "secretary": 1, "member": 2}
    return sorted(rows, key=lambda s: (order.get(s.office, 3), s.org.name, s.id))


def seat_of(session: Session, user: User, day: date | None = None) -> Seat | None:
    """The current seat ``user`` represents (primary or alternate), if any."""
    for seat in current_seats(session, day):
        if any(r.user_id == user.id for r in seat.representatives):
            return seat
    return None


def holds_office(session: Session, user: User, offices: Iterable[str], day: date | None = None) -> bool:
    """True when ``user`` represents a current seat holding one of ``offices``."""
    wanted = set(offices)
    if not user.active:
        return False
    stmt = (select(Seat).join(SeatRepresentative, SeatRepresentative.seat_id == Seat.id)
            .where(SeatRepresentative.user_id == user.id, Seat.office.in_(wanted)))
    day = day or today()
    return any(seat.current_on(day) for seat in session.scalars(stmt))


def office_holders(session: Session, offices: Iterable[str], day: date | None = None) -> list[User]:
    """The representatives of the current seats holding ``offices`` (the chair and secretary)."""
    wanted = set(offices)
    people: dict[int, User] = {}
    for seat in current_seats(session, day):
        if seat.office in wanted:
            for rep in seat.representatives:
                if rep.user.active:
                    people[rep.user_id] = rep.user
    return list(people.values())


def seated_org_ids(session: Session, day: date | None = None) -> set[int]:
    return {s.org_id for s in current_seats(session, day)}
