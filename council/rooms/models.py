"""Rooms, their participants and members, the event stream and its projections.

``RoomEvent`` rows are the record: never updated except for the two
projection columns noted below. ``ActionItem`` is a projection kept in step
with ``action`` events so panels don't replay the stream.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization

SEVERITIES = ("low", "medium", "high", "critical")
STATUSES = ("open", "monitoring", "closed")
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
ROOM_ROLES = ("lead", "member", "observer")
KINDS = ("incident", "exercise", "meeting")
TIMELINE_CATEGORIES = (
    "detection", "analysis", "containment", "eradication", "recovery", "communication", "other",
)
ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Room(Base):
    __tablename__ = "rooms"
    __table_args__ = (
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("tlp", TLPS), name="tlp"),
        CheckConstraint(_in("kind", KINDS), name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), default="incident", index=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    status: Mapped[str] = mapped_column(String(16), default="open")
    tlp: Mapped[str] = mapped_column(String(16), default="AMBER")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last seq handed out; the next event takes last_seq + 1 under the room's lock.
    last_seq: Mapped[int] = mapped_column(default=0)
    sitrep_cadence_min: Mapped[int | None]
    sitrep_anchor: Mapped[datetime | None]
    # Share of participating organisations that must take a position before
    # a decision can be adopted (decisions/rules.py).
    decision_quorum_pct: Mapped[int] = mapped_column(default=50, server_default="50")

    created_by: Mapped[User] = relationship()
    orgs: Mapped[list[RoomOrg]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    members: Mapped[list[RoomMember]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def org_ids(self) -> set[int]:
        return {o.org_id for o in self.orgs}

    @property
    def is_exercise(self) -> bool:
        return self.kind == "exercise"


class RoomOrg(Base):
    """A participating organisation."""

    __tablename__ = "room_orgs"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organization] = relationship(lazy="joined")


class RoomMember(Base):
    """A named member with a room role."""

    __tablename__ = "room_members"
    __table_args__ = (CheckConstraint(_in("role", ROOM_ROLES), name="role"),)

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(16), default="member")
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class RoomEvent(Base):
    __tablename__ = "room_events"
    __table_args__ = (
        UniqueConstraint("room_id", "seq"),
        UniqueConstraint("room_id", "author_id", "client_id"),
        Index("ix_room_events_room_kind_seq", "room_id", "kind", "seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(String(24))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[str] = mapped_column(Text, default="{}")
    client_id: Mapped[str | None] = mapped_column(String(64))
    # Projection columns on message events, so a page of history shows the
    # current text without replaying the stream; the edit/redaction events
    # themselves keep the history.
    edited_seq: Mapped[int | None]
    redacted_seq: Mapped[int | None]

    author: Mapped[User | None] = relationship(lazy="joined")


class ActionItem(Base):
    """Current state of an action item, kept in step with its ``action`` events."""

    __tablename__ = "action_items"
    __table_args__ = (CheckConstraint(_in("status", ACTION_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    created_seq: Mapped[int]
    updated_seq: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    assignee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Where an action was spawned from (e.g. "decision:12"); free for later slices.
    source: Mapped[str | None] = mapped_column(String(64))

    assignee_org: Mapped[Organization | None] = relationship(lazy="joined")
    assignee_user: Mapped[User | None] = relationship(lazy="joined")


class RoomRead(Base):
    """How far a person has read a room: the unread counts of the rooms list.
    Personal state, not part of the room's record (no event, no audit row)."""

    __tablename__ = "room_reads"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
