"""The member directory: each organisation's team record (in the shape of FIRST's
team records), its duty roster, and the council's communication checks.

``TeamRecord`` keeps the fields of a FIRST Global IRT team record (see
council/directory/first.py for the mapping to FIRST's field names); lists and the
weekly operating hours are stored as JSON text, already validated by the shapes.
``DutyShift`` is one person of the organisation on duty from ``starts_at`` to
``ends_at``. A ``CommsCheck`` asks every checked organisation (``CommsCheckOrg``)
to answer; the first answer of an organisation is its answer.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization

CHECK_STATES = ("open", "closed")
# How an organisation was reached: its people on duty, its record's points of contact
# who are council users, every active member, or nobody (no active member at all).
REACHED_VIA = ("duty", "contacts", "members", "nobody")


class TeamRecord(Base):
    """One organisation's team record (at most one per organisation)."""

    __tablename__ = "team_records"

    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True,
                                        autoincrement=False)
    short_team_name: Mapped[str] = mapped_column(String(100), default="")
    official_team_name: Mapped[str] = mapped_column(String(300), default="")
    postal_address: Mapped[str] = mapped_column(Text, default="")
    country_codes: Mapped[str] = mapped_column(Text, default="[]")  # ISO 3166-1 alpha-2, JSON list
    additional_country_codes: Mapped[str] = mapped_column(Text, default="[]")
    country: Mapped[str] = mapped_column(String(100), default="")
    websites: Mapped[str] = mapped_column(Text, default="[]")
    email: Mapped[str] = mapped_column(String(254), default="")
    host: Mapped[str] = mapped_column(String(300), default="")
    establishment: Mapped[date | None]
    phone_numbers: Mapped[str] = mapped_column(Text, default="[]")
    emergency_phone: Mapped[str] = mapped_column(String(40), default="")  # answered 24/7
    enckeys: Mapped[str] = mapped_column(Text, default="[]")  # PGP fingerprints, 40 hex upper-case
    hours_text: Mapped[str] = mapped_column(Text, default="")  # FIRST's operating-hours-freetext
    hours: Mapped[str] = mapped_column(Text, default="{}")  # FIRST's operating-hours: {"mon_1_open": "09:00"}
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Karachi")
    constituency: Mapped[str] = mapped_column(String(300), default="")
    constituency_code: Mapped[str] = mapped_column(String(40), default="")
    constituency_description: Mapped[str] = mapped_column(Text, default="")
    first_member_type: Mapped[str] = mapped_column(String(40), default="")
    cert_types: Mapped[str] = mapped_column(Text, default="[]")
    languages: Mapped[str] = mapped_column(Text, default="[]")
    preferred_language: Mapped[str] = mapped_column(String(8), default="")
    # Points of contact (FIRST's team-members, with the council's role and phone), JSON list.
    contacts: Mapped[str] = mapped_column(Text, default="[]")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    org: Mapped[Organization] = relationship(lazy="joined")


class DutyShift(Base):
    """One person of the organisation on duty for a while."""

    __tablename__ = "duty_shifts"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="span"),
        Index("ix_duty_shifts_org_time", "org_id", "ends_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")

    def covers(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


class CommsCheck(Base):
    """A communication check: started by the secretary, a sectoral or provincial CERT
    (within its tree) or a platform admin of the national CERT; open until its starter
    closes it or ``closes_at`` passes (the scheduler claims it then)."""

    __tablename__ = "comms_checks"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        Index("ix_comms_checks_due", "status", "closes_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(8), default="open")
    message: Mapped[str] = mapped_column(String(500), default="")
    started_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starter_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    as_secretary: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None and closed: by the clock

    started_by: Mapped[User] = relationship(foreign_keys=[started_by_id], lazy="joined")
    starter_org: Mapped[Organization] = relationship(lazy="joined")
    orgs: Mapped[list[CommsCheckOrg]] = relationship(cascade="all, delete-orphan", lazy="selectin",
                                                     order_by="CommsCheckOrg.org_id")

    @property
    def org_ids(self) -> frozenset[int]:
        return frozenset(row.org_id for row in self.orgs)


class CommsCheckOrg(Base):
    """One checked organisation: when it was told, how, and its (first) answer."""

    __tablename__ = "comms_check_orgs"
    __table_args__ = (
        CheckConstraint("via IN ('duty', 'contacts', 'members', 'nobody')", name="via"),
        Index("ix_comms_check_orgs_org", "org_id", "answered_at"),
    )

    check_id: Mapped[int] = mapped_column(ForeignKey("comms_checks.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True)
    sent_at: Mapped[datetime]
    via: Mapped[str] = mapped_column(String(10), default="duty")
    told: Mapped[int] = mapped_column(default=0)  # people notified
    # The one-click answer link carries this (with the person's own sign-in).
    answer_token: Mapped[str] = mapped_column(String(64))
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    org: Mapped[Organization] = relationship(lazy="joined")
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id], lazy="joined")

    @property
    def answer_seconds(self) -> float | None:
        return None if self.answered_at is None else (self.answered_at - self.sent_at).total_seconds()
