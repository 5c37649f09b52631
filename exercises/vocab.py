"""The fixed vocabularies of exercises (HSEEP/MSEL practice)."""

from __future__ import annotations

import re
from typing import Any

CAPABILITIES: dict[str, str] = {
    "detection": "Detection",
    "analysis": "Analysis",
    "coordination": "Coordination",
    "public-communication": "Public communication",
    "decision-making": "Decision making",
    "information-sharing": "Information sharing",
    "recovery": "Recovery",
}


def _capability_key(text: str) -> str:
    return "-".join(re.findall(r"[^\s_-]+", text.lower()))


_CAPABILITY_KEYS = {_capability_key(spelling): slug for slug, label in CAPABILITIES.items()
                    for spelling in (slug, label)}


def capability_slug(text: Any) -> str | None:
    """The slug of a capability written as its slug or its label, in any case, with
    spaces, underscores or hyphens between the words ("Public Communication",
    "public_communication", " decision-making "); None when it is neither.

    Trainers write capabilities in words; the record keeps one spelling, so
    filters, exports and the report grid see one capability, not three.
    """
    return _CAPABILITY_KEYS.get(_capability_key(text)) if isinstance(text, str) else None


INJECT_TYPES = ("information", "action", "decision", "contingency", "media", "technical")
DELIVERIES = ("room", "email", "phone", "media", "document")
RELEASES = ("auto", "manual")
DIFFICULTIES = ("introductory", "intermediate", "advanced")
ROLES = ("director", "controller", "evaluator", "player", "observer")
STAFF = frozenset({"director", "controller", "evaluator"})
RATINGS: dict[str, str] = {
    "P": "Performed without challenges",
    "S": "Performed with some challenges",
    "M": "Performed with major challenges",
    "U": "Unable to be performed",
}
# HSEEP: evaluators file each observation as a strength or an area for
# improvement, whatever its rating ("performed with some challenges" can be
# either). Clients that send no finding get the one its rating suggests.
FINDINGS: dict[str, str] = {"strength": "Strength", "improvement": "Area for improvement"}
FINDING_BY_RATING: dict[str, str] = {"P": "strength", "S": "strength", "M": "improvement", "U": "improvement"}
STATES = ("planned", "running", "paused", "ended", "stopped")
MSEL_HEADERS = ("msel_id", "offset", "type", "delivery", "from", "to", "title", "message", "expected_action",
                "objectives", "capability", "controller", "notes", "release", "depends_on", "priority", "tlp",
                "incident")
# MSEL "incident": releasing the inject starts a test incident for each team it reaches
# ("yes", or a taxonomy "class/type"), reported up the tiers on the exercise clock.
# Fields players and observers never receive.
CONTROLLER_ONLY = ("expected_action", "notes", "controller")
