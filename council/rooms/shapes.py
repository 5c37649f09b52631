"""The declared shapes of rooms: REST bodies and queries, every core event
kind's payload (REST and socket posts alike), and the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from council.api.shapes import MAX_ID, ClientId, Count, Email, Id, In, Out, QueryArgs, Seq, TimeText, ZoneName, text
from council.rooms.models import ACTION_STATUSES, SEVERITIES, STATUSES, TIMELINE_CATEGORIES, TLPS

Tlp = Literal[TLPS]  # type: ignore[valid-type]
Severity = Literal[SEVERITIES]  # type: ignore[valid-type]
RoomStatus = Literal[STATUSES]  # type: ignore[valid-type]
ActionStatus = Literal[ACTION_STATUSES]  # type: ignore[valid-type]
Category = Literal[TIMELINE_CATEGORIES]  # type: ignore[valid-type]
Body = text(20_000)
RoomTitle = text(200, 1, line=True)
Title200 = text(200, line=True)
Title300 = text(300, line=True)
Note500 = text(500)
Note5000 = text(5000)
SearchText = text(200, 2)
Markdown = text(100_000)


# --- requests --------------------------------------------------------------------------------

class NewRoom(In):
    title: RoomTitle
    summary: Body = ""
    severity: Severity
    tlp: Tlp
    orgs: list[Id] = Field(max_length=200)
    members: list[Email] | None = Field(None, max_length=200)


class RoomsQuery(QueryArgs):
    status: Literal["open", "monitoring", "closed", "active"] | None = None
    tlp: Tlp | None = None
    mine: bool = False
    kind: Literal["incident", "exercise", "meeting", "all"] = "incident"


class EventsQuery(QueryArgs):
    since: Seq | None = None
    before: Seq | None = None
    limit: int = Field(100, ge=1, le=MAX_ID, description="Above 500 is served as 500.")


class ReadMark(In):
    seq: Seq


class Join(In):
    """Socket ``join``: the room, the last contiguous seq the client holds, batched delivery."""

    room: Id
    since: Seq | None = None
    batch: bool = False


class PeopleQuery(QueryArgs):
    q: SearchText
    room: Id | None = Field(None, description="Only people who may be named in this room (and are not yet)")


class Preview(In):
    body: Markdown = ""


# --- event kinds: what each kind accepts (REST and sockets) ------------------------------------

class Post(In):
    """Fields every post may carry besides its kind's own: the socket names the room."""

    kind: str
    client_id: ClientId | None = None
    room: Id | None = None


class MessagePost(Post):
    kind: Literal["message"]
    body: Body | None = None
    edits: Seq | None = None
    redacts: Seq | None = None
    reason: Note500 | None = None


class TimelinePost(Post):
    kind: Literal["timeline"]
    body: Body
    occurred_at: TimeText | None = None
    tz: ZoneName | None = None
    category: Category = "other"


# A field typed without None but defaulting to None may be left out, never sent as
# null: null would mean "no value" where a room or item must have one.

class ActionPost(Post):
    kind: Literal["action"]
    action_id: Id | None = None
    title: Title300 = None  # type: ignore[assignment]
    status: ActionStatus = None  # type: ignore[assignment]
    assignee_org_id: Id | None = None
    assignee_user_id: Id | None = None
    due_at: TimeText | None = None
    tz: ZoneName | None = None
    body: Note5000 | None = None
    decision_id: Id | None = None


class SitrepPost(Post):
    kind: Literal["sitrep"]
    situation: Body
    impact: Body | None = None
    actions_taken: Body | None = None
    next_steps: Body | None = None
    requests: Body | None = None


class StatusPost(Post):
    kind: Literal["status"]
    status: RoomStatus = None  # type: ignore[assignment]
    severity: Severity = None  # type: ignore[assignment]
    tlp: Tlp = None  # type: ignore[assignment]
    title: Title200 = None  # type: ignore[assignment]
    summary: Body = None  # type: ignore[assignment]
    sitrep_cadence_min: int | None = Field(None, ge=15, le=7 * 24 * 60, description="null: no cadence")
    decision_quorum_pct: int = Field(None, ge=1, le=100)  # type: ignore[assignment]
    orgs_add: list[Id] | None = Field(None, max_length=200)
    orgs_remove: list[Id] | None = Field(None, max_length=200)


class MemberPost(Post):
    kind: Literal["member"]
    op: Literal["add", "remove", "role"] = "add"
    email: Email | None = None
    user_id: Id | None = None
    role: Literal["lead", "member", "observer"] = "member"


# --- answers ---------------------------------------------------------------------------------

class OrgRef(Out):
    id: int
    name: str
    tier: str | None


class MemberRef(Out):
    user_id: int
    name: str
    org: str
    org_id: int
    role: Literal["lead", "member", "observer"]


class PersonRef(Out):
    id: int
    name: str


class Room(Out):
    id: int
    kind: Literal["incident", "exercise", "meeting"]
    exercise: bool
    title: str
    summary: str
    summary_html: str
    severity: Severity
    status: RoomStatus
    tlp: Tlp
    orgs: list[OrgRef]
    members: list[MemberRef]
    created_by: PersonRef
    created_at: datetime
    updated_at: datetime
    latest_seq: Count
    sitrep_cadence_min: int | None
    sitrep_anchor: datetime | None
    decision_quorum_pct: int
    role: Literal["lead", "member", "observer"] | None


class ListedRoom(Room):
    unread: Count


class Rooms(Out):
    rooms: list[ListedRoom]


class Author(Out):
    id: int
    name: str
    org: str
    org_id: int


class Event(Out):
    """Every kind carries these; its own fields follow (see the kinds' post shapes)."""

    room: int
    seq: int
    kind: str
    id: int
    author: Author | None
    created_at: datetime
    body: str
    body_html: str
    client_id: str | None
    exercise: bool


class Events(Out):
    events: list[Event]
    latest_seq: Count
    has_more: bool


class Action(Out):
    id: int
    room: int
    title: str
    status: ActionStatus
    assignee_org_id: int | None
    assignee_org: str | None
    assignee_user_id: int | None
    assignee_user: str | None
    due_at: datetime | None
    created_seq: int
    updated_seq: int
    source: str | None


class Actions(Out):
    actions: list[Action]


class SitrepState(Out):
    org_id: int
    org: str
    state: Literal["reported", "due", "overdue", "none"]
    last_seq: int | None
    last_at: datetime | None


class Sitreps(Out):
    orgs: list[SitrepState]


class Read(Out):
    room: int
    seq: Count


class Person(Out):
    id: int
    name: str
    email: str
    org_id: int
    org: str


class People(Out):
    people: list[Person]


class OrgOut(Out):
    id: int
    name: str
    kind: Literal["cert", "ministry", "regulator", "academia", "industry", "civil-society", "other"]
    tier: Literal["national", "sectoral", "provincial", "organizational"] | None
    sector: str | None
    parent_id: int | None


class Orgs(Out):
    orgs: list[OrgOut]


class PreviewOut(Out):
    html: str
