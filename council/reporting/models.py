"""Incident reporting through the tiers: regimes (versioned obligations), incidents,
their stage submissions and reviews, the read log.

A regime version is never changed: editing a regime writes its next version, and
an incident keeps the versions it was filed under (``incident_regimes``). Stage
rows carry their own deadline: wall time for real incidents, exercise time (T+
seconds on the drill's clock) for test incidents started by an inject.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization

NOTIFICATION_TYPES = ("incident", "near-miss", "threat", "vulnerability", "test")
CLOCK_STARTS = ("detection", "awareness", "previous")
STAGE_STATUSES = ("pending", "submitted", "accepted", "revision")
AUDIENCES = ("chain", "reviewer")  # who a regime's stages go to: up to the national CERT, or the reviewer only


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Regime(Base):
    """One version of a reporting regime; ``stages`` is its JSON list of
    {key, title, hours, clock, fields}."""

    __tablename__ = "regimes"
    __table_args__ = (UniqueConstraint("key", "version"), CheckConstraint(_in("audience", AUDIENCES), name="audience"))

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    sectors: Mapped[str] = mapped_column(Text, default="[]")  # [] = every sector
    audience: Mapped[str] = mapped_column(String(10), default="chain")
    stages: Mapped[str] = mapped_column(Text, default="[]")
    current: Mapped[bool] = mapped_column(default=True)  # the version new incidents are filed under
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("reporter_user_id", "client_id"),
        CheckConstraint(_in("type", NOTIFICATION_TYPES), name="type"),
        CheckConstraint("tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')", name="tlp"),
        Index("ix_incidents_reviewer_created", "reviewer_org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    type: Mapped[str] = mapped_column(String(16), default="incident")
    class_key: Mapped[str] = mapped_column(String(40), default="undetermined")
    type_key: Mapped[str] = mapped_column(String(40), default="undetermined")
    detected_at: Mapped[datetime]
    aware_at: Mapped[datetime | None]
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    # users_affected, services, duration_h, critical_infrastructure
    impact: Mapped[str] = mapped_column(Text, default="{}")
    cross_sector: Mapped[bool] = mapped_column(default=False)
    cross_border: Mapped[bool] = mapped_column(default=False)
    tlp: Mapped[str] = mapped_column(String(16), default="AMBER")
    sector: Mapped[str | None] = mapped_column(String(40), index=True)  # the reporter's, frozen at filing
    reporter_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    reporter_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reviewer_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    national_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    # Reporter's consent to forward AMBER+STRICT / RED content in full to the national CERT.
    consent_full: Mapped[bool] = mapped_column(default=False)
    consent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    consent_at: Mapped[datetime | None]
    forwarded_at: Mapped[datetime | None]  # first stage accepted: the national CERT may see it
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), index=True)
    # Test incidents of a drill run on its clock: the exercise room whose T+ their deadlines count in.
    clock_room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), index=True)
    detected_t: Mapped[float | None]  # T+ seconds at detection (test incidents)
    client_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    reporter_org: Mapped[Organization] = relationship(foreign_keys=[reporter_org_id], lazy="joined")
    reviewer_org: Mapped[Organization] = relationship(foreign_keys=[reviewer_org_id], lazy="joined")
    reporter: Mapped[User] = relationship(foreign_keys=[reporter_user_id], lazy="joined")
    stages: Mapped[list[IncidentStage]] = relationship(
        cascade="all, delete-orphan", order_by="(IncidentStage.regime_id, IncidentStage.position)", lazy="selectin")
    regimes: Mapped[list[Regime]] = relationship(secondary="incident_regimes", lazy="selectin",
                                                  order_by="Regime.key")

    @property
    def is_test(self) -> bool:
        return self.type == "test"


class IncidentRegime(Base):
    __tablename__ = "incident_regimes"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    regime_id: Mapped[int] = mapped_column(ForeignKey("regimes.id"), primary_key=True)


class IncidentStage(Base):
    __tablename__ = "incident_stages"
    __table_args__ = (
        UniqueConstraint("incident_id", "regime_id", "key"),
        CheckConstraint(_in("status", STAGE_STATUSES), name="status"),
        Index("ix_incident_stages_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    regime_id: Mapped[int] = mapped_column(ForeignKey("regimes.id"))
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    hours: Mapped[float]
    clock: Mapped[str] = mapped_column(String(12))
    due_at: Mapped[datetime | None]  # wall time (real incidents); None until the previous stage is in
    due_t: Mapped[float | None]  # T+ seconds (test incidents)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    submitted_at: Mapped[datetime | None]
    first_submitted_t: Mapped[float | None]  # T+ of the first submission (test incidents): late or not
    first_submitted_at: Mapped[datetime | None]
    late: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[str] = mapped_column(Text, default="{}")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_comment: Mapped[str] = mapped_column(Text, default="")
    # Set once by the overdue sweep (claimed with UPDATE … WHERE overdue_at IS NULL).
    overdue_at: Mapped[datetime | None]

    regime: Mapped[Regime] = relationship(lazy="joined")


class IncidentRead(Base):
    """Every read of an incident by someone of another organisation than the reporter's."""

    __tablename__ = "incident_reads"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    full: Mapped[bool] = mapped_column(default=True)  # read the content, or the stub only

    org: Mapped[Organization] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")


class IncidentCounter(Base):
    """References are INC-<year>-<n>: one counter a year, moved in the filing transaction."""

    __tablename__ = "incident_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)
