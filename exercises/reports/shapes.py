"""The declared shapes of after-action reports and the corrective actions register:
REST bodies, the library's and the register's filters (pages and REST alike), and
the answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from council.api.shapes import Count, DateText, Email, Id, In, Out, QueryArgs, text
from council.rooms.shapes import Tlp
from exercises.reports.models import CA_STATUSES, ELEMENTS
from exercises.scenarios.shapes import Capability, Sector

CaStatus = Literal[CA_STATUSES]  # type: ignore[valid-type]
Element = Literal[ELEMENTS]  # type: ignore[valid-type]
Relation = Literal["validates", "reappeared", "shown_fixed"]
SectionBody = text(200_000)
Note = text(5000)
LongText = text(20_000)
Contact = text(200)
SectionKey = text(32)
MselId = text(32)
LinkNote = text(2000)
Search = text(200)

def _blank(value: Any) -> Any:
    """A page's empty field (and the "" the answers carry for no date) means none."""
    return None if value == "" else value


Day = Annotated[DateText | None, BeforeValidator(_blank)]


# --- requests --------------------------------------------------------------------------------

class NewReport(In):
    room_id: Id = Field(description="A closed incident room or an ended exercise's room")


class SectionSave(In):
    body: SectionBody
    version: Count = Field(description="The version you edited: a newer one answers 409 with the current text")


class PlanAction(In):
    """A corrective action of the improvement plan (drafts only)."""

    area: LongText = Field("", description="The area for improvement it answers (required)")
    capability: Annotated[Capability | None, BeforeValidator(_blank)] = None
    action: LongText = ""
    element: Element = "planning"
    responsible_org_id: Id | None = None
    contact: Contact = ""
    start_date: Day = Field(None, description="YYYY-MM-DD; empty or null: none")
    due_date: Day = Field(None, description="YYYY-MM-DD, not before the start; empty or null: none")
    status: CaStatus = "open"


class Submission(In):
    reviewers: list[Email] = Field(max_length=200, description="One or more per participating organisation")


class NewComment(In):
    section: SectionKey = Field(description="A section key")
    body: LongText
    parent_id: Id | None = Field(None, description="The comment this one answers")


class Review(In):
    decision: Literal["approve", "changes"]
    note: Note = Field("", description="Required when asking for changes")


class Publication(In):
    override_reason: Note = Field("", description="Needed to publish over missing sign-offs")


class StatusUpdate(In):
    status: CaStatus
    note: Note = Field("", description="What changed; closing as done needs an evidence note")


class NewLink(In):
    relation: Relation
    scenario_id: Id | None = Field(None, description="validates: the scenario holding the re-testing inject")
    msel_id: MselId = ""
    room_id: Id | None = Field(None, description="reappeared / shown_fixed: the incident room")
    note: LinkNote = ""


class LibraryQuery(QueryArgs):
    q: Search = ""
    type: Literal["exercise", "incident"] | None = None
    sector: Sector | None = None
    year: int | None = Field(None, ge=1900, le=9999)
    capability: Capability | None = None
    org: Id | None = None


class RegisterQuery(QueryArgs):
    org: Id | None = None
    status: CaStatus | None = None
    overdue: bool = False
    capability: Capability | None = None


# --- answers ---------------------------------------------------------------------------------

class ReviewerOut(Out):
    user_id: int
    name: str
    org_id: int
    org: str
    state: Literal["pending", "approved", "changes_requested"]
    note: str


class ReportSummary(Out):
    id: int
    family_id: int
    version: int
    previous_id: int | None
    room_id: int
    exercise_id: int | None
    kind: Literal["exercise", "incident"]
    exercise: bool
    title: str
    tlp: Tlp
    status: Literal["draft", "review", "published"]
    published_at: datetime | None
    override_reason: str
    reviewers: list[ReviewerOut]
    missing_signoffs: list[str]


class SectionOut(Out):
    key: str
    title: str
    body: str
    body_html: str
    version: int


class PlanActionOut(Out):
    id: int
    code: str
    area: str
    action: str
    capability: str
    element: Element
    responsible_org_id: int | None
    contact: str
    start_date: date | Literal[""]
    due_date: date | Literal[""]
    status: CaStatus


class ReportOut(ReportSummary):
    sections: list[SectionOut]
    data: dict[str, Any] = Field(description="The figures behind the charts, frozen at drafting")
    corrective_actions: list[PlanActionOut]


class Reports(Out):
    reports: list[ReportSummary]


class SectionSaved(Out):
    key: str
    version: int
    body_html: str


class CurrentSection(Out):
    body: str
    version: int
    updated_by: str


class SectionConflict(Out):
    """409: the section moved on since the editor loaded it; nothing was overwritten."""

    error: str
    current: CurrentSection


class ActionAdded(Out):
    id: int
    code: str


class CommentOut(Out):
    id: int
    section: str
    parent_id: int | None
    body_html: str


class UpdateOut(Out):
    status: CaStatus
    note: str
    by: str
    at: datetime


class LinkOut(Out):
    relation: Relation
    scenario_id: int | None
    msel_id: str
    room_id: int | None
    note: str
    by: str
    at: datetime


class CorrectiveAction(Out):
    id: int
    code: str
    report_id: int
    report: str
    exercise: bool
    area: str
    capability: str
    action: str
    element: Element
    responsible_org_id: int | None
    responsible_org: str | None
    contact: str
    start_date: date | None
    due_date: date | None
    status: CaStatus
    overdue: bool
    evidence: str
    updates: list[UpdateOut]
    links: list[LinkOut]


class CorrectiveActions(Out):
    corrective_actions: list[CorrectiveAction]
