"""The declared shapes of the council's REST interface: seats, meetings, attendance,
minutes, the crisis level and recommendations' follow-up."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from council.api.shapes import DateText, Id, In, Out, TimeText, ZoneName, text
from council.rooms.models import TLPS

Tlp = Literal[TLPS]  # type: ignore[valid-type]
Office = Literal["chair", "secretary", "member"]
RepRole = Literal["primary", "alternate"]
Level = Annotated[int, Field(ge=0, le=9)]
Title = text(200, 1, line=True)
Label = text(120, line=True)
LINK_PATTERN = r"^(room|incident|advisory|report|corrective|decision):\d{1,18}$"
LinkText = Annotated[str, Field(max_length=40, pattern=LINK_PATTERN)]


class Representative(In):
    user_id: Id
    role: RepRole = "primary"


class NewSeat(In):
    org_id: Id
    office: Office = "member"
    label: Label = ""
    term_start: DateText
    term_end: DateText | None = Field(None, description="None: open-ended")
    representatives: list[Representative] = Field(default_factory=list, max_length=4)


class SeatChange(In):
    term_end: DateText | None = Field(None, description="End (or extend) the term; null: open-ended")
    label: Label | None = None
    representatives: list[Representative] | None = Field(None, max_length=4)


class AgendaIn(In):
    title: text(300, 1, line=True)  # type: ignore[valid-type]
    link: LinkText | None = Field(None, description="What the item is about: room|incident|advisory|report|"
                                                     "corrective|decision:<id>, visible to the convener")


class NewMeeting(In):
    title: Title
    kind: Literal["regular", "extraordinary"]
    starts_at: TimeText
    tz: ZoneName | None = None
    agenda: list[AgendaIn] = Field(default_factory=list, max_length=30)
    tlp: Tlp = Field("AMBER+STRICT", description="Default AMBER+STRICT: the seated organisations only")


class AttendanceIn(In):
    org_id: Id
    present: bool
    user_id: Id | None = Field(None, description="Who sits in the seat: its primary (default) or an alternate")


class MinutesEdit(In):
    body: text(100_000, 1)  # type: ignore[valid-type]
    version: Annotated[int, Field(ge=1, le=2**31)]


class MinutesProposal(In):
    meeting_id: Id = Field(description="The later meeting whose seats adopt them")


class CrisisChangeIn(In):
    level: Level
    reason: text(2000, 1)  # type: ignore[valid-type]
    provisional: Literal[True] = Field(description="Outside a decision a change is always provisional")
    exercise_room_id: Id | None = Field(None, description="An exercise's own level (its controllers), never "
                                                          "the national one")


class FollowUpIn(In):
    status: Literal["pending", "accepted", "rejected"]
    decided_by: text(200, line=True) = ""  # type: ignore[valid-type]
    decided_on: DateText | None = None
    note: text(2000) = ""  # type: ignore[valid-type]


# --- answers -------------------------------------------------------------------------

class SeatOut(Out):
    id: int
    org_id: int
    org: str
    office: Office
    label: str
    term_start: str
    term_end: str | None
    current: bool
    representatives: list[int]
    people: list[dict[str, Any]]


class CrisisLevelOut(Out):
    level: int
    name: str
    since: str | None
    decision_id: int | None
    provisional: bool
    ratify_by: str | None
    overdue: bool
    coordination_room_id: int | None


class Council(Out):
    seats: list[SeatOut]
    crisis_level: CrisisLevelOut
    levels: list[dict[str, Any]]


class Seats(Out):
    seats: list[SeatOut]


class Created(Out):
    id: int
    room_id: int


class MeetingOut(Out):
    id: int
    title: str
    kind: Literal["regular", "extraordinary"]
    starts_at: str
    status: Literal["convened", "closed"]
    room_id: int
    tlp: Tlp
    agenda: list[dict[str, Any]]
    attendance: list[dict[str, Any]]
    quorum: dict[str, Any]


class Meetings(Out):
    meetings: list[MeetingOut]


class MinutesOut(Out):
    id: int
    meeting_id: int
    status: Literal["draft", "proposed", "adopted"]
    version: int
    body: str
    body_html: str
    tlp: Tlp
    decision_id: int | None
    adopted_at: str | None
    sha256: str


class CrisisChangeOut(Out):
    id: int
    level: int
    name: str
    provisional: bool
    ratify_by: str | None


class CrisisHistory(Out):
    current: CrisisLevelOut
    changes: list[CrisisChangeOut]


class FollowUpOut(Out):
    decision_id: int
    follow_up: dict[str, Any]
