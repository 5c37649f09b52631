"""What a person can be told, and how each kind reaches them by default.

A kind's ``mail`` is its default delivery by mail (``immediate``, ``hourly``,
``daily`` or ``never``); people change it on their settings page. An urgent
notification (a critical room opened for my organisation, an overdue stage)
always goes by mail at once: nobody can switch it off or put it in a digest.
"""

from __future__ import annotations

from dataclasses import dataclass

MODES: dict[str, str] = {
    "immediate": "At once",
    "hourly": "Hourly digest",
    "daily": "Daily digest",
    "never": "Never (in the app only)",
}
DIGEST_PERIOD_S = {"hourly": 3600, "daily": 86400}


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    mail: str = "immediate"
    # True: this kind is always urgent (overdue stages); otherwise a notification may be marked urgent.
    urgent: bool = False


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("mention", "I am mentioned (@me)"),
    Kind("mention_org", "My organisation is mentioned (@my-organisation)", "hourly"),
    Kind("action_assigned", "An action is assigned to me or my organisation"),
    Kind("room_opened", "A room is opened or shared with my organisation (always at once when critical)"),
    Kind("position_requested", "A decision awaits my organisation's position, or its deadline is near"),
    Kind("sitrep_due", "My organisation owes a situation report", "hourly"),
    Kind("review_requested", "A review or sign-off is asked of me"),
    Kind("inject_awaiting", "An inject awaits my team's response", "never"),
    Kind("stage_due", "An incident stage is due, or was returned for revision"),
    Kind("stage_overdue", "An incident stage of my organisation is overdue", urgent=True),
    Kind("advisory", "An advisory asks my organisation to acknowledge it"),
    Kind("advisory_overdue", "My organisation has not acknowledged an advisory in time"),
    Kind("corrective_overdue", "A corrective action of mine or my organisation is overdue", "daily"),
    Kind("comms_check", "A communication check asks my organisation to answer", urgent=True),
    Kind("council_meeting", "A council meeting is convened, or its minutes await adoption"),
    Kind("recommendation", "A council recommendation is addressed to my organisation"),
    Kind("crisis_level", "The national cyber-crisis level changes", urgent=True),
    Kind("account_security", "My sign-in changes: second factor set up, removed or reset (always at once)",
         urgent=True),
    Kind("ratification_due", "A provisional crisis level awaits ratification by the council", urgent=True),
)}


def mode_of(kind: str, chosen: str | None, urgent: bool) -> str:
    """How a notification of this kind goes by mail to someone who chose ``chosen``."""
    spec = KINDS[kind]
    if urgent or spec.urgent:
        return "immediate"
    return chosen if chosen in MODES else spec.mail
