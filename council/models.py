"""Imports every core table so ``Base.metadata`` is complete (Alembic, tests)."""

from council.advisories.models import (
    Advisory,
    AdvisoryAudience,
    AdvisoryCounter,
    AdvisoryDelivery,
    AdvisoryHelp,
    AdvisoryPerson,
    AdvisoryVersion,
)
from council.audit.models import AuditAnchorClock, AuditEntry, AuditHead
from council.auth.models import ApiToken, LoginBucket, LoginThrottle, User
from council.decisions.models import Decision, DecisionPosition
from council.directory.models import CommsCheck, CommsCheckOrg, DutyShift, TeamRecord
from council.evidence.models import EvidenceFile
from council.governance.models import Seat, SeatRepresentative
from council.indicators.models import Indicator, Sighting
from council.notifications.models import MailOutbox, Notification, NotificationPref
from council.orgs.models import Organization
from council.reporting.models import Incident, IncidentCounter, IncidentRead, IncidentRegime, IncidentStage, Regime
from council.rooms.models import ActionItem, Room, RoomEvent, RoomMember, RoomOrg, RoomRead

__all__ = [
    "ActionItem",
    "Advisory",
    "AdvisoryAudience",
    "AdvisoryCounter",
    "AdvisoryDelivery",
    "AdvisoryHelp",
    "AdvisoryPerson",
    "AdvisoryVersion",
    "ApiToken",
    "AuditAnchorClock",
    "AuditEntry",
    "AuditHead",
    "CommsCheck",
    "CommsCheckOrg",
    "Decision",
    "DecisionPosition",
    "DutyShift",
    "EvidenceFile",
    "Incident",
    "IncidentCounter",
    "IncidentRead",
    "IncidentRegime",
    "IncidentStage",
    "Indicator",
    "LoginBucket",
    "LoginThrottle",
    "MailOutbox",
    "Notification",
    "NotificationPref",
    "Organization",
    "Regime",
    "Room",
    "RoomEvent",
    "RoomMember",
    "RoomOrg",
    "RoomRead",
    "Seat",
    "SeatRepresentative",
    "Sighting",
    "TeamRecord",
    "User",
]
