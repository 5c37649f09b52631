"""Indicators of compromise held as data in a room or an incident report, and the
sightings organisations report.

``value`` is the normalised form (council/indicators/values.py): what search and "also
in" look up, by the (type, value) index and the value index (prefix search), both
index range scans. On PostgreSQL the value column compares bytewise (collation C), so a
prefix is one range, as on SQLite.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization
from council.reporting.models import Incident

TYPES = ("ipv4", "ipv6", "cidr", "domain", "url", "email", "md5", "sha1", "sha256", "file_name", "cve", "asn",
         "registry_key", "user_agent", "other")
STATUSES = ("active", "retired")
VALUE_MAX = 2048
Value = String(VALUE_MAX).with_variant(String(VALUE_MAX, collation="C"), "postgresql")


ORDER = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")


def marking(indicator_tlp: str, room_tlp: str) -> str:
    """The marking that applies: the indicator's, or its room's when the room was made
    stricter since (a room's TLP can be raised; its indicators follow)."""
    return max(indicator_tlp, room_tlp, key=ORDER.index)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Indicator(Base):
    __tablename__ = "indicators"
    __table_args__ = (
        CheckConstraint(_in("type", TYPES), name="type"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("tlp", ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")), name="tlp"),
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 100)", name="confidence"),
        Index("ix_indicators_type_value", "type", "value"),
        Index("uq_indicators_room_type_value", "room_id", "type", "value", unique=True),
        Index("uq_indicators_incident_type_value", "incident_id", "type", "value", unique=True),
        # One owner: a room, or an incident report (council/indicators/reports.py).
        CheckConstraint("(room_id IS NULL) <> (incident_id IS NULL)", name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Value, index=True)
    tlp: Mapped[str] = mapped_column(String(16))
    confidence: Mapped[int | None]
    description: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    source_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(8), default="active")
    retired_at: Mapped[datetime | None]
    seq: Mapped[int] = mapped_column(default=0)  # the event that added it
    # Where it came from when imported: "stix:<id>" or "misp:<uuid>".
    origin: Mapped[str | None] = mapped_column(String(120))

    source_org: Mapped[Organization] = relationship(lazy="joined")
    created_by: Mapped[User | None] = relationship(lazy="joined")
    # Loaded only for a report's indicators (a null key is never queried).
    incident: Mapped[Incident | None] = relationship()
    sightings: Mapped[list[Sighting]] = relationship(
        back_populates="indicator", order_by="Sighting.id", lazy="selectin", cascade="all, delete-orphan")


class Sighting(Base):
    """One organisation's "seen by us": when, where, how often."""

    __tablename__ = "indicator_sightings"
    __table_args__ = (CheckConstraint("count >= 1", name="count"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicators.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    count: Mapped[int] = mapped_column(default=1)
    location: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(default=0)

    indicator: Mapped[Indicator] = relationship(back_populates="sightings")
    org: Mapped[Organization] = relationship(lazy="joined")
