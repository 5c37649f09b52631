"""Shapes of the notifications REST contract."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from council.api.shapes import Id, In, Out, QueryArgs
from council.notifications.kinds import KINDS, MODES

KindName = Literal[tuple(KINDS)]  # type: ignore[valid-type]
ModeName = Literal[tuple(MODES)]  # type: ignore[valid-type]


class NotificationsQuery(QueryArgs):
    unread: Literal["0", "1"] | None = None
    kind: KindName | None = None
    before: Id | None = Field(None, description="Only notifications older than this id (paging)")
    limit: Annotated[int, Field(ge=1, le=200)] = 50


class NotificationOut(Out):
    id: int
    kind: str
    title: str
    url: str
    created_at: str
    read_at: str | None
    tlp: str
    exercise: bool
    urgent: bool
    body: str


class Notifications(Out):
    notifications: list[NotificationOut]
    unread: int


class MarkRead(In):
    ids: Annotated[list[Id], Field(max_length=500)] | None = None
    all: bool | None = None


class Marked(Out):
    marked: int
    unread: int


class Preferences(In):
    modes: Annotated[dict[KindName, ModeName], Field(max_length=len(KINDS))]


class PreferencesOut(Out):
    modes: dict[str, str]
    urgent: list[str]
    mail: bool


class MentionPerson(Out):
    id: int
    handle: str
    name: str
    org: str


class MentionOrg(Out):
    id: int
    handle: str
    name: str


class Mentionable(Out):
    people: list[MentionPerson]
    orgs: list[MentionOrg]


class MentionQuery(QueryArgs):
    q: Annotated[str, Field(max_length=40)] = ""
