"""Decisions and the positions organisations take on them.

A closed decision is never changed again: superseding creates a new decision
that points back at it. Positions are kept as history; ``current`` marks each
organisation's position that counts, and a partial unique index makes "one
current position per organisation" a database fact, not just a rule in code.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization

RULES = ("chair", "majority", "two-thirds", "consensus")
# operational: today's decisions between organisations in a room; the others are the
# council's own acts (council/governance/): a recommendation has an addressee, advice
# goes to CERTs, a crisis-level decision sets the national (or an exercise's) level.
TYPES = ("operational", "recommendation", "advice", "crisis-level")
OUTCOMES = ("adopted", "rejected", "no_quorum")
DEFAULT_OPTIONS = ("approve", "reject")


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("rule IN ('chair', 'majority', 'two-thirds', 'consensus')", name="rule"),
        CheckConstraint("status IN ('open', 'closed')", name="status"),
        CheckConstraint("outcome IS NULL OR outcome IN ('adopted', 'rejected', 'no_quorum')", name="outcome"),
        CheckConstraint("type IN ('operational', 'recommendation', 'advice', 'crisis-level')", name="type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    background: Mapped[str] = mapped_column(Text, default="")
    background_html: Mapped[str] = mapped_column(Text, default="")
    options: Mapped[str] = mapped_column(Text, default='["approve","reject"]')  # JSON list
    rule: Mapped[str] = mapped_column(String(16), default="majority")
    tlp: Mapped[str] = mapped_column(String(16))
    deadline: Mapped[datetime | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(8), default="open", index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(default=utcnow)
    proposed_seq: Mapped[int] = mapped_column(default=0)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), index=True)
    type: Mapped[str] = mapped_column(String(16), default="operational", server_default="operational", index=True)
    addressee: Mapped[str | None] = mapped_column(String(200))  # recommendation: to whom
    addressee_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    level: Mapped[int | None]  # crisis-level: the level it sets
    # What adopting it does beyond itself, e.g. "minutes:4" (adopts those minutes).
    subject: Mapped[str | None] = mapped_column(String(40))
    # Set once, at close:
    outcome: Mapped[str | None] = mapped_column(String(12))
    chosen_option: Mapped[str | None] = mapped_column(String(200))
    rationale: Mapped[str] = mapped_column(Text, default="")
    rationale_html: Mapped[str] = mapped_column(Text, default="")
    tally: Mapped[str] = mapped_column(Text, default="{}")  # JSON, frozen at close
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_seq: Mapped[int | None]

    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id], lazy="joined")
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    positions: Mapped[list[DecisionPosition]] = relationship(
        back_populates="decision", order_by="DecisionPosition.id", lazy="selectin")


class DecisionPosition(Base):
    __tablename__ = "decision_positions"
    __table_args__ = (
        Index("uq_decision_positions_current", "decision_id", "org_id", unique=True,
              sqlite_where=text("current"), postgresql_where=text("current")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    position: Mapped[str] = mapped_column(String(200))
    comment: Mapped[str] = mapped_column(Text, default="")
    comment_html: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    seq: Mapped[int] = mapped_column(default=0)
    current: Mapped[bool] = mapped_column(default=True)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("decision_positions.id"))

    decision: Mapped[Decision] = relationship(back_populates="positions")
    org: Mapped[Organization] = relationship(lazy="joined")
    user: Mapped[User] = relationship(lazy="joined")
