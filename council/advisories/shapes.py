"""The declared shapes of advisories: REST bodies and queries, and the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from council.advisories.models import APPLICABLE, SEVERITIES, STATUSES, TLPS
from council.api.shapes import Id, In, Out, QueryArgs, text
from council.orgs.models import SECTORS, TIERS

Tlp = Literal[TLPS]  # type: ignore[valid-type]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
Applicable = Literal[APPLICABLE]  # type: ignore[valid-type]
Status = Literal[STATUSES]  # type: ignore[valid-type]
Tier = Literal[tuple(TIERS)]  # type: ignore[valid-type]
Sector = Literal[tuple(SECTORS)]  # type: ignore[valid-type]
Title = text(300, 1, line=True)
Markdown = text(50_000)
CveId = text(20, 9, line=True)
Product = text(200, 1, line=True)
AckHours = Annotated[int, Field(ge=1, le=720, description="Hours the audience has to acknowledge (1 to 720)")]
ANSWERS = ("open", "overdue", "acknowledged", *STATUSES)


class AudienceIn(In):
    """Who the advisory is for: any of all, tiers, sectors and named organisations
    (a sectoral CERT: within its own tree); a RED advisory names people instead."""

    all: bool | None = None
    tiers: list[Tier] | None = Field(None, max_length=4)
    sectors: list[Sector] | None = Field(None, max_length=20)
    orgs: list[Id] | None = Field(None, max_length=2000)
    people: list[Id] | None = Field(None, max_length=500, description="User ids (RED only)")


class NewAdvisory(In):
    title: Title
    tlp: Tlp
    severity: Severity
    body: text(50_000, 1)  # type: ignore[valid-type]
    audience: AudienceIn
    ack_hours: AckHours
    cves: list[CveId] = Field(default_factory=list, max_length=50, description="CVE-YYYY-NNNN ids")
    products: list[Product] = Field(default_factory=list, max_length=50)
    recommended_actions: Markdown = ""  # type: ignore[valid-type]


class NewVersion(In):
    """The next version: the fields given change, the others are kept. A higher
    severity asks every audience organisation to acknowledge again."""

    title: Title | None = None
    tlp: Tlp | None = None
    severity: Severity | None = None
    body: text(50_000, 1) | None = None  # type: ignore[valid-type]
    audience: AudienceIn | None = None
    ack_hours: AckHours | None = None
    cves: list[CveId] | None = Field(None, max_length=50)
    products: list[Product] | None = Field(None, max_length=50)
    recommended_actions: Markdown | None = None  # type: ignore[valid-type]
    note: text(500, line=True) = ""  # type: ignore[valid-type]


class Ack(In):
    applicable: Applicable | None = None
    status: Status | None = None
    comment: text(5000) | None = None  # type: ignore[valid-type]


class HelpToggle(In):
    resolved: bool


class AdvisoriesQuery(QueryArgs):
    q: text(200) | None = None  # type: ignore[valid-type]
    severity: Severity | None = None
    cve: text(20) | None = None  # type: ignore[valid-type]
    product: text(200) | None = None  # type: ignore[valid-type]
    status: Literal[ANSWERS] | None = Field(  # type: ignore[valid-type]
        None, description="My organisation's answer: open (not acknowledged), overdue, acknowledged, or a status")


class MatrixQuery(QueryArgs):
    format: Literal["json", "csv"] | None = None


# --- answers ---------------------------------------------------------------------------------

class Published(Out):
    id: int
    ref: str
    version: int
    ack_due_at: datetime
    reack: bool = False
    told: int | None = None


class AnswerOut(Out):
    org_id: int
    round: int
    delivered_at: datetime
    read_at: datetime | None
    due_at: datetime
    acked_at: datetime | None
    acked_by: str | None
    applicable: Applicable | None
    status: Status | None
    comment: str
    status_at: datetime | None
    overdue: bool


class VersionOut(Out):
    version: int
    title: str
    tlp: Tlp
    severity: Severity
    reack: bool
    note: str
    created_at: datetime
    created_by: str
    withheld: bool = False


class AdvisoryOut(Out):
    """In lists the body, recommended actions, audience and versions are left out."""

    id: int
    ref: str
    version: int
    title: str
    tlp: Tlp
    severity: Severity
    cves: list[str]
    products: list[str]
    ack_hours: int
    ack_due_at: datetime
    publisher_org_id: int
    publisher_org: str
    created_at: datetime
    updated_at: datetime
    audience_orgs: int
    may_answer: bool
    may_update: bool
    may_see_matrix: bool
    mine: AnswerOut | None
    body: str | None = None
    body_html: str | None = None
    recommended_actions: str | None = None
    recommended_actions_html: str | None = None
    audience: dict[str, bool | list[str] | list[int]] | None = None
    versions: list[VersionOut] | None = None


class Advisories(Out):
    advisories: list[AdvisoryOut]


class Acked(AnswerOut):
    advisory_id: int
    version: int


class MatrixRowOut(Out):
    org_id: int
    org: str
    tier: str
    sector: str | None
    delivered_at: datetime | None
    read_at: datetime | None
    acked_at: datetime | None
    acked_by: str | None
    applicable: Applicable | None
    status: Status | None
    status_at: datetime | None
    comment: str
    due_at: datetime | None
    overdue: bool
    reminded_at: datetime | None
    escalated_at: datetime | None


class HelpOut(Out):
    id: int
    org_id: int
    org: str
    version: int
    comment: str
    requested_by: str
    requested_at: datetime
    resolved_at: datetime | None


class Matrix(Out):
    advisory_id: int
    ref: str
    version: int
    round: int
    orgs: list[MatrixRowOut]
    help: list[HelpOut]
