"""Advisories: what a national or sectoral CERT tells an audience of organisations,
the versions it went through, and each organisation's answer.

The advisory row carries its current version's content; ``AdvisoryVersion`` keeps
every version as it was published (the history is never rewritten). The audience
is resolved once, on publish (and on a version that changes it), into
``AdvisoryAudience`` rows (organisations) and, for RED, ``AdvisoryPerson`` rows.

An organisation answers once per *round*: a round starts with the first version
and again with every version that raises the severity. ``AdvisoryDelivery`` is one
organisation's row of one round (delivered, first read, acknowledged, applicable,
status); the rows of earlier rounds stay as the history of earlier answers.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.auth.models import User
from council.db import Base, utcnow
from council.orgs.models import Organization
from council.rooms.models import SEVERITIES, TLPS

SEVERITY_ORDER = {s: n for n, s in enumerate(SEVERITIES)}
APPLICABLE = ("yes", "no", "unknown")
STATUSES = ("not_affected", "mitigating", "mitigated", "need_help")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Advisory(Base):
    __tablename__ = "advisories"
    __table_args__ = (
        CheckConstraint(_in("tlp", TLPS), name="tlp"),
        CheckConstraint(_in("severity", SEVERITIES), name="severity"),
        CheckConstraint("ack_hours BETWEEN 1 AND 720", name="ack_hours"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(20), unique=True)
    version: Mapped[int] = mapped_column(default=1)
    # The version whose publication started the current round of acknowledgements.
    ack_round: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(300))
    tlp: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")  # recommended actions (markdown)
    actions_html: Mapped[str] = mapped_column(Text, default="")
    # JSON lists; CVE ids upper-cased, products as written (searched case-insensitively).
    cves: Mapped[str] = mapped_column(Text, default="[]")
    products: Mapped[str] = mapped_column(Text, default="[]")
    # The audience as asked ({"all", "tiers", "sectors", "orgs", "people"}), for the record.
    audience: Mapped[str] = mapped_column(Text, default="{}")
    ack_hours: Mapped[int] = mapped_column(default=72)
    ack_due_at: Mapped[datetime]  # of the current round
    publisher_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    publisher_org: Mapped[Organization] = relationship(lazy="joined")
    audience_orgs: Mapped[list[AdvisoryAudience]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    people: Mapped[list[AdvisoryPerson]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def org_ids(self) -> frozenset[int]:
        # Asked once per recipient when an advisory reaches 1,500 people: kept while the
        # list (the same object, the same length) is unchanged.
        # The cache holds the list itself (not its id(), which a reloaded list may reuse).
        rows = self.audience_orgs
        cached = self.__dict__.get("_council_org_ids")
        if cached is None or cached[0] is not rows or cached[1] != len(rows):
            cached = (rows, len(rows), frozenset(a.org_id for a in rows))
            self.__dict__["_council_org_ids"] = cached
        return cached[2]

    @property
    def person_ids(self) -> frozenset[int]:
        return frozenset(p.user_id for p in self.people)


class AdvisoryAudience(Base):
    """An organisation the advisory is addressed to (it acknowledges it)."""

    __tablename__ = "advisory_audience"

    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), primary_key=True, index=True)


class AdvisoryPerson(Base):
    """A person a RED advisory is shared with by name."""

    __tablename__ = "advisory_people"

    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class AdvisoryVersion(Base):
    """One published version, as it was."""

    __tablename__ = "advisory_versions"
    __table_args__ = (UniqueConstraint("advisory_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    tlp: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    actions: Mapped[str] = mapped_column(Text, default="")
    actions_html: Mapped[str] = mapped_column(Text, default="")
    cves: Mapped[str] = mapped_column(Text, default="[]")
    products: Mapped[str] = mapped_column(Text, default="[]")
    ack_hours: Mapped[int]
    reack: Mapped[bool] = mapped_column(default=False)  # asked every organisation to acknowledge again
    note: Mapped[str] = mapped_column(String(500), default="")  # what changed, in the publisher's words
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    created_by: Mapped[User] = relationship(lazy="joined")


class AdvisoryDelivery(Base):
    """One audience organisation's row of one round: delivered, first read,
    acknowledged, then applicable and status. ``reminded_at`` and ``escalated_at``
    are claimed by the deadline sweep with conditional UPDATEs (once per row)."""

    __tablename__ = "advisory_deliveries"
    __table_args__ = (
        UniqueConstraint("advisory_id", "org_id", "round"),
        CheckConstraint(f"applicable IS NULL OR {_in('applicable', APPLICABLE)}", name="applicable"),
        CheckConstraint(f"status IS NULL OR {_in('status', STATUSES)}", name="status"),
        Index("ix_advisory_deliveries_due", "acked_at", "due_at"),
        Index("ix_advisory_deliveries_org", "org_id", "acked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    round: Mapped[int]  # the advisory version that started the round
    delivered_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    escalate_at: Mapped[datetime]  # when an unanswered reminder goes to the organisation's admins
    read_at: Mapped[datetime | None]
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    acked_at: Mapped[datetime | None]
    acked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    applicable: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, default="")
    status_at: Mapped[datetime | None]
    status_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]

    org: Mapped[Organization] = relationship(lazy="joined")
    acked_by: Mapped[User | None] = relationship(foreign_keys=[acked_by_id], lazy="joined")


class AdvisoryHelp(Base):
    """An organisation answered "need help": the publisher's open action item.

    There is no action table outside rooms (a room's ActionItem needs a room), so
    the request lives here, is shown on the matrix with a "resolved" toggle, and
    the publisher organisation's members are notified (kind ``action_assigned``)."""

    __tablename__ = "advisory_help"
    __table_args__ = (Index("ix_advisory_help_open", "advisory_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    advisory_id: Mapped[int] = mapped_column(ForeignKey("advisories.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    version: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    org: Mapped[Organization] = relationship(lazy="joined")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id], lazy="joined")


class AdvisoryCounter(Base):
    """References are ADV-<year>-<n>: one counter a year, moved in the publishing transaction."""

    __tablename__ = "advisory_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)
