"""Reading advisories: the library (search and filters through the same access
filter as single reads), the caller's organisation's open ones, and the matrix
of answers with its CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from council.advisories.models import Advisory, AdvisoryDelivery, AdvisoryHelp
from council.advisories.visibility import answers_filter, load_advisory, visible_filter
from council.auth.models import User
from council.errors import Forbidden
from council.orgs.models import Organization

LIMIT = 200


@dataclass(frozen=True)
class Listed:
    advisory: Advisory
    mine: AdvisoryDelivery | None  # my organisation's row of the current round (if it answers)

    def open(self) -> bool:
        return self.mine is not None and self.mine.acked_at is None

    def overdue(self, now: datetime) -> bool:
        return self.open() and self.mine is not None and now > self.mine.due_at


def _like(text: str) -> str:
    return "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def listed(session: Session, user: User, *, now: datetime, q: str | None = None, severity: str | None = None,
           cve: str | None = None, product: str | None = None, status: str | None = None,
           open_only: bool = False, limit: int = LIMIT) -> list[Listed]:
    """Advisories in the user's reach, their organisation's open ones first, then newest."""
    mine = and_(AdvisoryDelivery.advisory_id == Advisory.id, AdvisoryDelivery.round == Advisory.ack_round,
                AdvisoryDelivery.org_id == user.org_id, answers_filter(user))
    stmt = select(Advisory, AdvisoryDelivery).outerjoin(AdvisoryDelivery, mine).where(visible_filter(session, user))
    if q:
        needle = _like(q.strip())
        stmt = stmt.where(or_(func.lower(Advisory.title).like(needle, escape="\\"),
                              func.lower(Advisory.ref).like(needle, escape="\\"),
                              func.lower(Advisory.cves).like(needle, escape="\\"),
                              func.lower(Advisory.products).like(needle, escape="\\")))
    if severity:
        stmt = stmt.where(Advisory.severity == severity)
    if cve:
        stmt = stmt.where(Advisory.cves.like(f'%"{cve.strip().upper()}"%'))
    if product:
        stmt = stmt.where(func.lower(Advisory.products).like(_like(product.strip()), escape="\\"))
    unanswered = and_(AdvisoryDelivery.id.is_not(None), AdvisoryDelivery.acked_at.is_(None))
    if open_only or status == "open":
        stmt = stmt.where(unanswered)
    elif status == "overdue":
        stmt = stmt.where(unanswered, AdvisoryDelivery.due_at < now)
    elif status == "acknowledged":
        stmt = stmt.where(AdvisoryDelivery.acked_at.is_not(None))
    elif status:
        stmt = stmt.where(AdvisoryDelivery.status == status)
    stmt = stmt.order_by(case((unanswered, 0), else_=1), Advisory.created_at.desc(), Advisory.id.desc())
    return [Listed(a, d) for a, d in session.execute(stmt.limit(limit)).all()]


@dataclass(frozen=True)
class MatrixRow:
    org: Organization
    row: AdvisoryDelivery | None
    overdue: bool


def matrix(session: Session, *, actor: User, advisory_id: int, now: datetime) -> tuple[Advisory, list[MatrixRow],
                                                                                        list[AdvisoryHelp]]:
    """One row per audience organisation (its current round); the help requests. The
    publisher organisation and the national CERT only."""
    advisory, sight = load_advisory(session, actor, advisory_id)
    if not sight.oversees:
        raise Forbidden(_("The matrix of answers is the publisher's and the national CERT's."))
    orgs = list(session.scalars(select(Organization).where(Organization.id.in_(advisory.org_ids))
                                .order_by(Organization.name)))
    rows = {d.org_id: d for d in session.scalars(select(AdvisoryDelivery).where(
        AdvisoryDelivery.advisory_id == advisory.id, AdvisoryDelivery.round == advisory.ack_round))}
    out = [MatrixRow(o, rows.get(o.id), bool(rows.get(o.id) and rows[o.id].acked_at is None
                                                 and now > rows[o.id].due_at)) for o in orgs]
    helps = list(session.scalars(select(AdvisoryHelp).where(AdvisoryHelp.advisory_id == advisory.id)
                                 .order_by(AdvisoryHelp.resolved_at.is_not(None), AdvisoryHelp.id)))
    return advisory, out, helps


def matrix_json(rows: list[MatrixRow], iso: Any) -> list[dict[str, Any]]:
    out = []
    for m in rows:
        d = m.row
        out.append({"org_id": m.org.id, "org": m.org.name, "tier": m.org.tier, "sector": m.org.sector,
                    "delivered_at": iso(d.delivered_at) if d else None, "read_at": iso(d.read_at) if d else None,
                    "acked_at": iso(d.acked_at) if d else None,
                    "acked_by": d.acked_by.name if d and d.acked_by else None,
                    "applicable": d.applicable if d else None, "status": d.status if d else None,
                    "status_at": iso(d.status_at) if d else None, "comment": d.comment if d else "",
                    "due_at": iso(d.due_at) if d else None, "overdue": m.overdue,
                    "reminded_at": iso(d.reminded_at) if d else None,
                    "escalated_at": iso(d.escalated_at) if d else None})
    return out


CSV_FIELDS = ("org_id", "org", "tier", "sector", "delivered_at", "read_at", "acked_at", "acked_by", "applicable",
              "status", "status_at", "comment", "due_at", "overdue", "reminded_at", "escalated_at")


def matrix_csv(advisory: Advisory, rows: list[MatrixRow], iso: Any) -> Any:
    """The matrix as a formula-safe CSV download (council/csvfile.py)."""
    from council.csvfile import download, write

    data = [{**r, "overdue": "yes" if r["overdue"] else "no"} for r in matrix_json(rows, iso)]
    return download(write(CSV_FIELDS, data), f"{advisory.ref}-v{advisory.version}-matrix.csv")
