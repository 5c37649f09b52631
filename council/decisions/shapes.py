"""The declared shapes of decisions: the ``decision`` kind's payload (REST and
sockets), the REST bodies and the register's filters, and the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from council.api.shapes import ClientId, DateText, Id, In, Out, QueryArgs, TimeText, ZoneName, text
from council.decisions.models import OUTCOMES, RULES, TYPES
from council.rooms.models import TLPS
from council.rooms.shapes import Post

Rule = Literal[RULES]  # type: ignore[valid-type]
DecisionType = Literal[TYPES]  # type: ignore[valid-type]
Addressee = text(200, 1, line=True)
Level = Annotated[int, Field(ge=0, le=9)]
Tlp = Literal[TLPS]  # type: ignore[valid-type]
Title = text(300, line=True)
LongText = text(20_000)
Comment = text(5000)
Option = text(120, 1, line=True)
Options = list[Option] | None  # type: ignore[valid-type]
ProposalTitle = text(300, 1, line=True)


class DecisionPost(Post):
    kind: Literal["decision"]
    op: Literal["propose", "position", "close"]
    # propose
    title: Title | None = None
    background: LongText | None = None
    options: Options = Field(None, max_length=8)
    rule: Rule | None = None
    deadline: TimeText | None = None
    tz: ZoneName | None = None
    tlp: Tlp | None = None
    supersedes: Id | None = None
    type: DecisionType | None = None
    addressee: Addressee | None = None
    addressee_org_id: Id | None = None
    level: Level | None = None
    # position and close
    decision_id: Id | None = None
    position: Option | None = None
    comment: Comment | None = None
    replaces: Id | None = None
    rationale: LongText | None = None
    choice: Option | None = None


class Proposal(In):
    title: ProposalTitle
    background: LongText = ""
    options: Options = Field(None, min_length=2, max_length=8,
                             description="Default approve / reject (positions support / object / abstain)")
    rule: Rule = "majority"
    deadline: TimeText | None = None
    tz: ZoneName | None = None
    tlp: Tlp | None = Field(None, description="Never looser than the room's")
    type: DecisionType = Field("operational", description="operational (between organisations), or a council "
                               "act: recommendation (with an addressee), advice (to CERTs), crisis-level (a level)")
    addressee: Addressee | None = Field(None, description="recommendation: to whom, e.g. Federal Government")
    addressee_org_id: Id | None = Field(None, description="recommendation: an organisation as the addressee")
    level: Level | None = Field(None, description="crisis-level: the level adopting it sets")
    client_id: ClientId | None = None


class Position(In):
    position: Option
    comment: Comment = ""
    replaces: Id | None = None
    client_id: ClientId | None = None


class Closing(In):
    rationale: LongText
    choice: Option | None = Field(None, description="Chair rule only: adopted, rejected or an option")
    client_id: ClientId | None = None


class RegisterQuery(QueryArgs):
    status: Literal["open", "closed"] | None = None
    outcome: Literal[OUTCOMES] | None = None  # type: ignore[valid-type]
    org: Id | None = None
    from_: DateText | None = Field(None, alias="from")
    to: DateText | None = None
    format: Literal["csv", "json"] | None = None
    type: DecisionType | None = None
    public: bool = Field(False, description="The council's public record: adopted decisions marked TLP:CLEAR")


class PositionOut(Out):
    id: int
    org_id: int
    org: str
    position: str
    comment: str
    comment_html: str


class Tally(Out):
    counts: dict[str, int]
    eligible: int
    participated: int
    quorum_needed: int
    quorum_met: bool
    outcome: str | None


class Decision(Out):
    id: int
    room: int
    room_title: str
    exercise: bool
    title: str
    background: str
    background_html: str
    options: list[str]
    positions_allowed: list[str]
    rule: Rule
    tlp: Tlp
    deadline: datetime | None
    status: Literal["open", "closed"]
    proposed_by: dict[str, Any]
    proposed_at: datetime
    supersedes: int | None
    superseded_by: int | None
    quorum_pct: int
    eligible_orgs: list[dict[str, Any]]
    tally: Tally
    outcome: Literal[OUTCOMES] | None  # type: ignore[valid-type]
    chosen_option: str | None
    rationale: str
    rationale_html: str
    closed_at: datetime | None
    positions: list[PositionOut]
    dissent: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    type: DecisionType
    addressee: str | None
    addressee_org_id: int | None
    level: int | None
    subject: str | None
    counted_per: Literal["organisation", "seat"]
    follow_up: dict[str, Any] | None = None


class Step(Decision):
    event_seq: int


class Decisions(Out):
    decisions: list[Decision]
