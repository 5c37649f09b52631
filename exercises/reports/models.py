"""Reports, their sections, reviews and comments; corrective actions and their history.

A report belongs to a room (an exercise's or an incident's). Versions of one
report share ``family_id``; a published version is never changed again, a
revision is a new version. Sections carry a version number so that two
people saving the same section cannot overwrite each other unawares.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization
from council.rooms.models import Room

SECTIONS: dict[str, str] = {
    "overview": "1. Overview",
    "executive_summary": "2. Executive summary",
    "analysis": "3. Analysis of capabilities",
    "findings": "4. Strengths and areas for improvement",
    "timeline": "5. Timeline",
    "metrics": "6. Metrics",
    "improvement_plan": "7. Improvement plan",
    "participants": "8. Participants",
}
ELEMENTS = ("planning", "organisation", "equipment", "training", "exercise")
CA_STATUSES = ("open", "in_progress", "done", "cancelled")


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("family_id", "version"),
        CheckConstraint("status IN ('draft', 'review', 'published')", name="status"),
        CheckConstraint("kind IN ('exercise', 'incident')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    family_id: Mapped[int | None] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(default=1)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    exercise_id: Mapped[int | None] = mapped_column(ForeignKey("exercises.id"))
    kind: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    tlp: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    data: Mapped[str] = mapped_column(Text, default="{}")  # figures behind the charts, frozen at drafting
    search_text: Mapped[str] = mapped_column(Text, default="")  # lower-cased text of all sections, for search
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_reason: Mapped[str] = mapped_column(Text, default="")

    room: Mapped[Room] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    sections: Mapped[list[ReportSection]] = relationship(
        cascade="all, delete-orphan", order_by="ReportSection.position", lazy="selectin")
    reviewers: Mapped[list[ReportReviewer]] = relationship(cascade="all, delete-orphan", lazy="selectin")


class ReportSection(Base):
    __tablename__ = "report_sections"
    __table_args__ = (UniqueConstraint("report_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    updated_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def title(self) -> str:
        return SECTIONS.get(self.key, self.key)


class ReportReviewer(Base):
    __tablename__ = "report_reviewers"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'approved', 'changes_requested')", name="state"),
    )

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    state: Mapped[str] = mapped_column(String(20), default="pending")
    note: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
    org: Mapped[Organization] = relationship(lazy="joined")


class ReportComment(Base):
    __tablename__ = "report_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    section_key: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("report_comments.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class CorrectiveAction(Base):
    """A corrective action of an improvement plan (council-wide once its report is published)."""

    __tablename__ = "corrective_actions"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_progress', 'done', 'cancelled')", name="status"),
        CheckConstraint("element IN ('planning', 'organisation', 'equipment', 'training', 'exercise')",
                        name="element"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), index=True)
    number: Mapped[int | None] = mapped_column(unique=True)  # CA-<number>, given at publication
    area: Mapped[str] = mapped_column(Text)  # the area for improvement it answers
    capability: Mapped[str] = mapped_column(String(40), default="")
    action: Mapped[str] = mapped_column(Text, default="")
    element: Mapped[str] = mapped_column(String(16), default="planning")
    responsible_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    start_date: Mapped[date | None]
    due_date: Mapped[date | None] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    evidence: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None]
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("corrective_actions.id"))

    responsible_org: Mapped[Organization | None] = relationship(lazy="joined")
    updates: Mapped[list[CorrectiveActionUpdate]] = relationship(
        cascade="all, delete-orphan", order_by="CorrectiveActionUpdate.id", lazy="selectin")
    links: Mapped[list[CorrectiveActionLink]] = relationship(
        cascade="all, delete-orphan", order_by="CorrectiveActionLink.id", lazy="selectin")

    @property
    def code(self) -> str:
        return f"CA-{self.number}" if self.number else f"draft-{self.id}"


class CorrectiveActionUpdate(Base):
    __tablename__ = "corrective_action_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_actions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User] = relationship(lazy="joined")


class CorrectiveActionLink(Base):
    """Where a corrective action was re-tested (an inject that "validates CA-12") or
    where the gap reappeared or was shown fixed (a later incident room)."""

    __tablename__ = "corrective_action_links"
    __table_args__ = (
        CheckConstraint("relation IN ('validates', 'reappeared', 'shown_fixed')", name="relation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_actions.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(12))
    scenario_id: Mapped[int | None] = mapped_column(ForeignKey("scenarios.id"))
    msel_id: Mapped[str] = mapped_column(String(32), default="")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship(lazy="joined")
