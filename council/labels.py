"""Human labels of stored values: one table per vocabulary, for pages,
exports and the browser client alike (base.html hands them to the scripts).

Stored values (``in_progress``, ``no_quorum``) never reach a reader; a value
missing from its table is shown capitalised with spaces, never raw. The tables hold
English; readers get them in their language (gettext at the moment of showing:
scripts/catalogue.py puts every registered label in the catalogue).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from council.orgs.models import KINDS, SECTORS, TIERS

LABELS: dict[str, dict[str, str]] = {
    "room_status": {"open": "Open", "monitoring": "Monitoring", "closed": "Closed"},
    "severity": {"low": "Low", "medium": "Medium", "high": "High", "critical": "Critical"},
    "room_role": {"lead": "Lead", "member": "Member", "observer": "Observer"},
    "room_kind": {"incident": "Incident", "exercise": "Exercise"},
    "action_status": {"open": "Open", "in_progress": "In progress", "done": "Done", "cancelled": "Cancelled"},
    "timeline_category": {
        "detection": "Detection", "analysis": "Analysis", "containment": "Containment",
        "eradication": "Eradication", "recovery": "Recovery", "communication": "Communication", "other": "Other",
    },
    "sitrep_state": {"reported": "Reported", "due": "Due", "overdue": "Overdue", "none": "No cadence"},
    "decision_status": {"open": "Open", "closed": "Closed"},
    "decision_outcome": {"adopted": "Adopted", "rejected": "Rejected", "no_quorum": "Closed without quorum"},
    "decision_rule": {"majority": "Majority", "two-thirds": "Two-thirds majority", "consensus": "Consensus",
                      "chair": "Chair decides"},
    "position": {"support": "Support", "object": "Object", "abstain": "Abstain", "approve": "Approve",
                 "reject": "Reject"},
    "platform_role": {"admin": "Platform admin", "member": "Member"},
    "tier": dict(TIERS),
    "org_kind": dict(KINDS),
    "sector": dict(SECTORS),
    "event_kind": {
        "message": "Message", "timeline": "Timeline", "action": "Action", "sitrep": "Sitrep", "status": "Status",
        "member": "Member", "decision": "Decision", "restricted": "Restricted",
    },
    "field": {"title": "Title", "status": "Status", "severity": "Severity", "tlp": "Marking",
              "summary": "Summary", "orgs": "Organisations"},
}


# Vocabularies whose values may also be people's own words (a decision's
# options are positions too): an unknown value is shown exactly as written.
OPEN = {"position"}


def register(kind: str, mapping: dict[str, str]) -> None:
    """Add (or extend) a vocabulary; slices call this from init_app."""
    LABELS.setdefault(kind, {}).update(mapping)


def label(value: Any, kind: str) -> str:
    """The reader's word for ``value`` in vocabulary ``kind``."""
    if value is None or value == "":
        return ""
    text = LABELS.get(kind, {}).get(str(value))
    if text:
        return gettext(text)
    if kind in OPEN:
        return str(value)
    words = str(value).replace("_", " ").replace("-", " ")
    return words[:1].upper() + words[1:]


def translated() -> dict[str, dict[str, str]]:
    """Every vocabulary in the reader's language (for the browser's scripts)."""
    return {kind: {value: gettext(text) for value, text in table.items()} for kind, table in LABELS.items()}


def every_label() -> set[str]:
    """The English of every registered label (what the catalogue must translate)."""
    return {text for table in LABELS.values() for text in table.values() if text}
