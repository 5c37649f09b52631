"""One serialiser of an advisory, for the REST answers and the pages alike."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.access import TLP_ORDER
from council.advisories.models import Advisory, AdvisoryDelivery, AdvisoryVersion
from council.advisories.visibility import Sight


def iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def answer_json(row: AdvisoryDelivery | None, now: datetime) -> dict[str, Any] | None:
    """My organisation's row of the current round."""
    if row is None:
        return None
    return {"org_id": row.org_id, "round": row.round, "delivered_at": iso(row.delivered_at),
            "read_at": iso(row.read_at), "due_at": iso(row.due_at), "acked_at": iso(row.acked_at),
            "acked_by": row.acked_by.name if row.acked_by else None, "applicable": row.applicable,
            "status": row.status, "comment": row.comment, "status_at": iso(row.status_at),
            "overdue": row.acked_at is None and now > row.due_at}


def version_json(v: AdvisoryVersion, *, withheld: bool = False) -> dict[str, Any]:
    """``withheld``: a version marked stricter than what the reader may see now shows
    only its number, time, marking and severity (its title and note were for fewer people)."""
    return {"version": v.version, "title": "" if withheld else v.title, "tlp": v.tlp, "severity": v.severity,
            "reack": v.reack, "note": "" if withheld else v.note, "created_at": iso(v.created_at),
            "created_by": v.created_by.name, "withheld": withheld}


def advisory_json(session: Session, advisory: Advisory, sight: Sight, mine: AdvisoryDelivery | None,
                  now: datetime, *, full: bool = True) -> dict[str, Any]:
    """An advisory as the caller may see it; lists leave out the bodies and history."""
    out: dict[str, Any] = {
        "id": advisory.id, "ref": advisory.ref, "version": advisory.version, "title": advisory.title,
        "tlp": advisory.tlp, "severity": advisory.severity, "cves": json.loads(advisory.cves),
        "products": json.loads(advisory.products), "ack_hours": advisory.ack_hours,
        "ack_due_at": iso(advisory.ack_due_at), "publisher_org_id": advisory.publisher_org_id,
        "publisher_org": advisory.publisher_org.name, "created_at": iso(advisory.created_at),
        "updated_at": iso(advisory.updated_at), "audience_orgs": len(advisory.org_ids),
        "may_answer": sight.audience, "may_update": sight.publisher, "may_see_matrix": sight.oversees,
        "mine": answer_json(mine, now) if sight.audience else None,
    }
    if full:
        versions = session.scalars(select(AdvisoryVersion).where(AdvisoryVersion.advisory_id == advisory.id)
                                   .order_by(AdvisoryVersion.version.desc()))
        out.update({"body": advisory.body, "body_html": advisory.body_html, "recommended_actions": advisory.actions,
                    "recommended_actions_html": advisory.actions_html,
                    "audience": json.loads(advisory.audience) if sight.oversees else None,
                    "versions": [version_json(v, withheld=not sight.oversees and
                                              TLP_ORDER.get(v.tlp, 99) > TLP_ORDER.get(advisory.tlp, 99))
                                 for v in versions]})
    return out
