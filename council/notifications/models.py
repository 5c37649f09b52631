"""Notifications, each person's choices of how they arrive, and the mail outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from council.db import Base, utcnow

MAIL_STATES = ("pending", "sending", "sent", "failed", "withdrawn")


class Notification(Base):
    """One thing one person is told. ``subject`` ("room:12", "incident:4") is
    what it is about: access is asked again about it before any mail goes out."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_unread", "user_id", "read_at", "id"),
        # A sweep that tells someone about the same thing twice writes nothing the second time.
        Index("uq_notifications_user_dedupe", "user_id", "dedupe_key", unique=True),
        Index("ix_notifications_digest", "mail", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(80), default="")
    # Where it is, for a mail that may not say more ("room R-12").
    ref: Mapped[str] = mapped_column(String(120), default="")
    tlp: Mapped[str] = mapped_column(String(12), default="CLEAR")
    exercise: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=False)
    # Plain text shown in the app and, at or below COUNCIL_MAIL_MAX_TLP, in mail.
    body: Mapped[str] = mapped_column(Text, default="")
    dedupe_key: Mapped[str | None] = mapped_column(String(200))
    # "": not for mail; "immediate": an outbox row carries it; "hourly" | "daily": waits
    # for a digest; "digested": a digest row took it.
    mail: Mapped[str] = mapped_column(String(12), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]


class NotificationPref(Base):
    """How one person wants one kind by mail (no row: the kind's default)."""

    __tablename__ = "notification_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    mode: Mapped[str] = mapped_column(String(12))


class MailOutbox(Base):
    """A mail to send: written in the transaction of what caused it, claimed and
    sent after commit by whichever process gets it first (outbox.py).

    Most mail is to a person (``user_id``) and is built when sent, access asked
    again. A few mails go to an address outside the platform (``to_address``: the
    audit anchors' archive): their text is fixed when queued, since there is no
    person whose access could change and nothing in them is marked."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'withdrawn')", name="status"),
        CheckConstraint("user_id IS NOT NULL OR to_address <> ''", name="recipient"),
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    to_address: Mapped[str] = mapped_column(String(254), default="")
    # The whole text of a mail to ``to_address`` (its subject is ``subject_line``).
    body_text: Mapped[str] = mapped_column(Text, default="")
    # One notification, or (a digest) several, listed as JSON ids.
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
    digest_ids: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # What was sent (for the admin page and receivers that drop duplicates by Message-ID).
    subject_line: Mapped[str] = mapped_column(String(300), default="")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
