"""Evidence files: the row is the record (who attached what, to which subject, under
which marking); the content lives outside the database, under its SHA-256
(council/evidence/storage.py). The client's file name is data, never a path."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization

SUBJECT_KINDS_MAX = 16  # "room", "incident", "indicator"… (a registry: council/evidence/subjects.py)


class EvidenceFile(Base):
    __tablename__ = "evidence_files"
    __table_args__ = (
        CheckConstraint("tlp IN ('CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED')", name="tlp"),
        CheckConstraint("size >= 0", name="size"),
        CheckConstraint("length(sha256) = 64", name="sha256"),
        Index("ix_evidence_files_subject", "subject_kind", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What it is attached to: ("room", 4), ("incident", 12), ("indicator", 7).
    subject_kind: Mapped[str] = mapped_column(String(SUBJECT_KINDS_MAX))
    subject_id: Mapped[int]
    # The room whose stream told of the upload (None: a subject without a room).
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id", ondelete="SET NULL"), index=True)
    tlp: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(255))  # as the client sent it, cleaned of control characters
    media_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")  # data, never served
    size: Mapped[int]  # of the original content (a sample's zip is larger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # of the original content
    sample: Mapped[bool] = mapped_column(default=False)  # stored and served only as an AES zip ("infected")
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id], lazy="joined")
    org: Mapped[Organization] = relationship(foreign_keys=[org_id], lazy="joined")
