"""Audit rows and the chain head that serialises appends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from council.db import Base, utcnow


class AuditEntry(Base):
    """One recorded action. Never updated or deleted by the application."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)

    # Assigned by the appender as head.last_id + 1, never by the database, so
    # the chain order is the id order on every engine.
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_label: Mapped[str] = mapped_column(String(254), default="")
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    # The room an action belongs to, so readers outside an AMBER/RED room see
    # that something happened but not what.
    room_id: Mapped[int | None] = mapped_column(index=True)
    details: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Base):
    """A single row holding the chain's tip.

    Appenders lock and update it in their own transaction, so two concurrent
    writers can never both extend the same tip (the chain cannot fork), and a
    deleted tail row is noticed because the head still names it.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    count: Mapped[int] = mapped_column(default=0)


class AuditAnchorClock(Base):
    """When the next scheduled anchor of the chain is due (a single row).

    Every serving process runs the anchor job; the one whose conditional UPDATE
    moves ``next_at`` on is the one that anchors, so an hour gets one anchor
    however many processes run. The anchors themselves are not kept here: a
    database writer could change them (they go to a file, mail and the log)."""

    __tablename__ = "audit_anchor_clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    next_at: Mapped[datetime]
    last_at: Mapped[datetime | None]
