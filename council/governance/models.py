"""Seats of the council: an organisation holding an office for a term, with its
named representatives.

A seat row is one term: renewing a seat or handing it to another organisation
writes a new row, so the rows are the register's history (who held which seat
when). A term is current on a day when it has started and not ended; quorum
counts current terms only, so an expired one-year seat drops out by itself.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization

OFFICES: dict[str, str] = {"chair": "Chair", "secretary": "Secretary", "member": "Member"}
REPRESENTATIVE_ROLES: dict[str, str] = {"primary": "Primary", "alternate": "Alternate"}


class Seat(Base):
    __tablename__ = "council_seats"
    __table_args__ = (
        CheckConstraint("office IN ('chair', 'secretary', 'member')", name="office"),
        CheckConstraint("term_end IS NULL OR term_end >= term_start", name="term"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    office: Mapped[str] = mapped_column(String(12), default="member")
    # What the seat is for, as the Rules name it ("Ministry of Defence", "Industry (one-year)").
    label: Mapped[str] = mapped_column(String(120), default="")
    term_start: Mapped[date]
    term_end: Mapped[date | None]  # None: open-ended
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    org: Mapped[Organization] = relationship(lazy="joined")
    representatives: Mapped[list[SeatRepresentative]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="SeatRepresentative.role.desc()")

    def current_on(self, day: date) -> bool:
        return self.term_start <= day and (self.term_end is None or day <= self.term_end)


class SeatRepresentative(Base):
    """A named person who speaks for the seat: the primary, or an alternate."""

    __tablename__ = "council_seat_representatives"
    __table_args__ = (
        UniqueConstraint("seat_id", "user_id"),
        CheckConstraint("role IN ('primary', 'alternate')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("council_seats.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(12), default="primary")

    user: Mapped[User] = relationship(lazy="joined")


MEETING_KINDS: dict[str, str] = {"regular": "Regular", "extraordinary": "Extraordinary"}
# What an agenda item may point at: "<kind>:<id>", checked against the convener's view.
AGENDA_LINKS = ("room", "incident", "advisory", "report", "corrective", "decision")


class Meeting(Base):
    """A meeting of the council; its conversation is a room of kind ``meeting``."""

    __tablename__ = "council_meetings"
    __table_args__ = (
        CheckConstraint("kind IN ('regular', 'extraordinary')", name="kind"),
        CheckConstraint("status IN ('convened', 'closed')", name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="regular")
    starts_at: Mapped[datetime] = mapped_column(index=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="convened")
    convened_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    convened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]

    convened_by: Mapped[User] = relationship(foreign_keys=[convened_by_id], lazy="joined")
    agenda: Mapped[list[AgendaItem]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                    order_by="AgendaItem.position")
    attendance: Mapped[list[Attendance]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                        order_by="Attendance.seat_id")


class AgendaItem(Base):
    __tablename__ = "council_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    link: Mapped[str | None] = mapped_column(String(40))


class Attendance(Base):
    """One seat at one meeting: present or not, and who sat in it (primary or alternate)."""

    __tablename__ = "council_attendance"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meetings.id", ondelete="CASCADE"),
                                            primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("council_seats.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    present: Mapped[bool] = mapped_column(default=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    seat: Mapped[Seat] = relationship(lazy="joined")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id], lazy="joined")


class Minutes(Base):
    """The minutes of one meeting: drafted from its record, edited, adopted by a
    decision at a later meeting; adopted minutes never change again."""

    __tablename__ = "council_minutes"
    __table_args__ = (CheckConstraint("status IN ('draft', 'proposed', 'adopted')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("council_meetings.id", ondelete="CASCADE"), unique=True)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The decision (in a later meeting's room) that adopts them, once proposed.
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    adopted_at: Mapped[datetime | None]

    meeting: Mapped[Meeting] = relationship(lazy="joined")
    updated_by: Mapped[User] = relationship(foreign_keys=[updated_by_id], lazy="joined")


class CrisisLevel(Base):
    """A level of the national cyber-crisis scale, configured as data, with what it mobilises."""

    __tablename__ = "crisis_levels"

    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(500), default="")
    # Mobilisation on reaching this level: a national coordination room with the seats'
    # representatives, its sitrep cadence, and a notification to every seat.
    requires_room: Mapped[bool] = mapped_column(default=False)
    sitrep_cadence_min: Mapped[int | None]
    notify_seats: Mapped[bool] = mapped_column(default=True)


class CrisisChange(Base):
    """One change of a crisis level: the national one (``exercise_room_id`` None) or an
    exercise's own level. The latest row of a scope is its current level."""

    __tablename__ = "crisis_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    exercise_room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    level: Mapped[int]
    previous_level: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(Text, default="")
    provisional: Mapped[bool] = mapped_column(default=False)
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    ratify_by: Mapped[datetime | None] = mapped_column(index=True)
    ratified_at: Mapped[datetime | None]
    ratified_by_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    overdue_flagged_at: Mapped[datetime | None]
    coordination_room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))

    set_by: Mapped[User | None] = relationship(foreign_keys=[set_by_id], lazy="joined")


class RecommendationOutcome(Base):
    """What became of a recommendation: pending, accepted or rejected, by whom and when.
    Rows are history; the latest counts."""

    __tablename__ = "recommendation_outcomes"
    __table_args__ = (CheckConstraint("status IN ('pending', 'accepted', 'rejected')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    # Who accepted or rejected it (e.g. "Federal Government, Cabinet Division"), as recorded.
    decided_by: Mapped[str] = mapped_column(String(200), default="")
    decided_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    recorded_by: Mapped[User] = relationship(lazy="joined")
