"""The fixed vocabularies of exercises (HSEEP/MSEL practice)."""

from __future__ import annotations

CAPABILITIES: dict[str, str] = {
    "detection": "Detection",
    "analysis": "Analysis",
    "coordination": "Coordination",
    "public-communication": "Public communication",
    "decision-making": "Decision making",
    "information-sharing": "Information sharing",
    "recovery": "Recovery",
}
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
STATES = ("planned", "running", "paused", "ended", "stopped")
MSEL_HEADERS = ("msel_id", "offset", "type", "delivery", "from", "to", "title", "message", "expected_action",
                "objectives", "capability", "controller", "notes", "release", "depends_on", "priority", "tlp")
# Fields players and observers never receive.
CONTROLLER_ONLY = ("expected_action", "notes", "controller")
