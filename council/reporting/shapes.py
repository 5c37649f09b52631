"""The declared shapes of incident reporting: the REST bodies and queries, and the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from council.api.shapes import ClientId, Count, Id, In, Out, QueryArgs, TimeText, ZoneName, text
from council.orgs.models import SECTORS
from council.reporting.models import AUDIENCES, CLOCK_STARTS, NOTIFICATION_TYPES, STAGE_STATUSES
from council.rooms.models import TLPS

Tlp = Literal[TLPS]  # type: ignore[valid-type]
Sector = Literal[tuple(SECTORS)]  # type: ignore[valid-type]
NotificationType = Literal[NOTIFICATION_TYPES]  # type: ignore[valid-type]
Slug = text(40, 1)
Title = text(300, 1, line=True)
Body = text(50_000)


class Classification(In):
    class_: Slug = Field(alias="class")
    type: Slug


class Impact(In):
    users_affected: Count | None = None
    services: text(2000) | None = None  # type: ignore[valid-type]
    duration_h: float | None = Field(None, ge=0, le=24 * 366)
    critical_infrastructure: bool | None = None


class NewIncident(In):
    title: Title
    type: NotificationType
    classification: Classification | None = None
    detected_at: TimeText
    aware_at: TimeText | None = None
    tz: ZoneName | None = None
    description: text(50_000) = ""  # type: ignore[valid-type]
    tlp: Tlp
    impact: Impact | None = None
    cross_sector: bool = False
    cross_border: bool = False
    regimes: list[Slug] | None = Field(None, min_length=1, max_length=10,
                                       description="Regime keys; omitted: those of the reporter's sector")
    room_id: Id | None = Field(None, description="File it from this room (the caller's), linked to it")
    client_id: ClientId | None = None


class StageSubmission(In):
    body: Body
    fields: dict[str, Any] | None = Field(None, max_length=50)
    regime: Slug | None = Field(None, description="Which regime's stage, when several have this key")


class StageReview(In):
    decision: Literal["accepted", "revision"]
    comment: text(5000) = ""  # type: ignore[valid-type]
    regime: Slug | None = None


class Consent(In):
    forward: Literal["full"]


class RoomLink(In):
    room_id: Id | None = Field(None, description="Link this room (one you lead) instead of opening one")


class IncidentsQuery(QueryArgs):
    status: Literal["open", "complete"] | None = None
    sector: Sector | None = None
    overdue: Literal["0", "1"] | None = None
    exercise: Literal["0", "1"] | None = Field(None, description="1: only test incidents of drills; 0: none")


class StatsQuery(QueryArgs):
    format: Literal["csv", "json"] | None = None
    year: int | None = Field(None, ge=2000, le=2200)


class BoardQuery(QueryArgs):
    days: Literal["30", "90", "365", "all"] = Field("90", description="Incidents filed in the last N days")


class StageDef(In):
    key: Slug
    title: text(200, 1, line=True)  # type: ignore[valid-type]
    hours: float = Field(gt=0, le=24 * 366)
    clock: Literal[CLOCK_STARTS]  # type: ignore[valid-type]
    fields: list[Slug] = Field(default_factory=list, max_length=20)


class RegimeVersion(In):
    key: Slug
    title: text(200, 1, line=True)  # type: ignore[valid-type]
    description: text(5000) = ""  # type: ignore[valid-type]
    sectors: list[Sector] = Field(default_factory=list, description="Empty: every sector")
    audience: Literal[AUDIENCES] = "chain"  # type: ignore[valid-type]
    stages: list[StageDef] = Field(min_length=1, max_length=10)


# --- answers ---------------------------------------------------------------------------------

class StageOut(Out):
    regime: str
    regime_version: int
    key: str
    title: str
    hours: float
    clock: Literal[CLOCK_STARTS]  # type: ignore[valid-type]
    due_at: datetime | None
    due_t: float | None
    status: Literal[STAGE_STATUSES]  # type: ignore[valid-type]
    late: bool
    overdue: bool
    colour: Literal["green", "amber", "red", "done", "revision", "waiting"]
    remaining_s: float | None
    submitted_at: datetime | None
    reviewed_at: datetime | None
    asks: list[str]


class ClassificationOut(Out):
    class_: str = Field(alias="class")
    type: str
    class_title: str
    type_title: str


class IncidentOut(Out):
    """An incident as the caller may see it; a stub (``"stub": true``) has no title,
    description, impact, organisations or stage content. In lists (and a room's
    reports) the description, impact and stage content are left out: reading them is
    opening the incident, which the read log records."""

    id: int
    ref: str
    stub: bool
    type: NotificationType
    tlp: Tlp
    sector: str | None
    classification: ClassificationOut
    exercise: bool
    detected_at: datetime
    created_at: datetime
    status: Literal["open", "complete"]
    overdue: bool
    relation: Literal["reporter", "reviewer", "national"]
    stages: list[StageOut]
    title: str | None = None
    reviewer_org_id: int | None = None


class Incidents(Out):
    incidents: list[IncidentOut]


class Submitted(Out):
    status: Literal["submitted"]
    late: bool
    submitted_at: datetime


class StageReviewed(StageOut):
    pass


class ConsentOut(Out):
    id: int
    ref: str
    consent_full: bool


class RoomOut(Out):
    room_id: int


class ReadOut(Out):
    org_id: int
    org: str
    user_id: int
    user: str
    at: datetime
    full: bool


class Reads(Out):
    reads: list[ReadOut]


class RegimeStageOut(Out):
    key: str
    title: str
    hours: float
    clock: Literal[CLOCK_STARTS]  # type: ignore[valid-type]
    fields: list[str]


class RegimeOut(Out):
    key: str
    title: str
    sectors: list[str]
    version: int
    audience: Literal[AUDIENCES]  # type: ignore[valid-type]
    stages: list[RegimeStageOut]


class Regimes(Out):
    regimes: list[RegimeOut]


class StatsRow(Out):
    month: str
    sector: str | None
    class_: str = Field(alias="class")
    count: int
    late_share: float | None
    median_hours: dict[str, float | None]


class Stats(Out):
    rows: list[StatsRow]
    stages: list[str]


class BoardCounts(Out):
    pending: int = 0
    submitted: int = 0
    accepted: int = 0
    overdue: int = 0
    late: int = 0


class Board(Out):
    incidents: int
    days: int | None
    by_sector: dict[str, BoardCounts]
    by_class: dict[str, BoardCounts]
    by_stage: dict[str, BoardCounts]
