"""The declared shapes of indicators, sightings, extraction, search and exchange."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from council.api.shapes import ClientId, In, Out, QueryArgs, TimeText, ZoneName, text
from council.indicators.models import TYPES, VALUE_MAX
from council.rooms.models import TLPS

Type = Literal[TYPES]  # type: ignore[valid-type]
Tlp = Literal[TLPS]  # type: ignore[valid-type]
Value = Annotated[str, Field(min_length=1, max_length=VALUE_MAX)]
Tag = text(64, 1, line=True)
Confidence = Annotated[int, Field(ge=0, le=100)]
Description = text(20_000)


class NewIndicator(In):
    type: Type
    value: Value = Field(description="Refanged and normalised per type (hxxp, [.] accepted)")
    tlp: Tlp | None = Field(None, description="Never looser than the room's (default: the room's)")
    confidence: Confidence | None = None
    description: Description = ""
    first_seen: TimeText | None = None
    last_seen: TimeText | None = None
    tz: ZoneName | None = None
    tags: list[Tag] | None = Field(None, max_length=20)  # type: ignore[valid-type]
    client_id: ClientId | None = None


class Change(In):
    tlp: Tlp | None = None
    confidence: Confidence | None = None
    description: Description | None = None
    first_seen: TimeText | None = None
    last_seen: TimeText | None = None
    tz: ZoneName | None = None
    tags: list[Tag] | None = Field(None, max_length=20)  # type: ignore[valid-type]


class Paste(In):
    text: text(200_000, 1)  # type: ignore[valid-type]


class Pick(In):
    type: Type
    value: Value


class Many(In):
    indicators: list[Pick] = Field(min_length=1, max_length=500)
    tlp: Tlp | None = None
    confidence: Confidence | None = None
    tags: list[Tag] | None = Field(None, max_length=20)  # type: ignore[valid-type]


class NewSighting(In):
    seen_at: TimeText | None = Field(None, description="Default: now")
    count: Annotated[int, Field(ge=1, le=999_999_999)] = 1  # STIX sightings count to 999,999,999
    note: text(1000) = ""  # type: ignore[valid-type]
    where: text(200, line=True) = Field("", description="Where it was seen (a network, a sensor)")  # type: ignore[valid-type]
    tz: ZoneName | None = None


class SearchQuery(QueryArgs):
    q: text(VALUE_MAX, 1) = Field(description="Exact value or its beginning; refanged first")  # type: ignore[valid-type]
    type: Type | None = None
    retired: bool = False
    exercises: bool = False


class ExportQuery(QueryArgs):
    exercise: bool = Field(False, description="Export exercise data, marked EXERCISE (refused without it)")


# --- answers ---------------------------------------------------------------------------------

class OrgSightings(Out):
    org_id: int
    org: str
    count: int
    reports: int
    first: str | None
    last: str | None
    where: list[str]


class Sightings(Out):
    total: int
    orgs: int
    by_org: list[OrgSightings]


class RoomRef(Out):
    room: int
    title: str


class ReportRef(Out):
    incident: int
    ref: str
    title: str


class Owner(Out):
    id: int
    ref: str
    title: str


class Indicator(Out):
    id: int
    room: int | None = Field(description="Its room (None: an incident report's indicator, see incident)")
    room_title: str | None
    incident: Owner | None = Field(None, description="The incident report it belongs to (None: a room's)")
    exercise: bool
    type: Type
    value: str
    defanged: str
    tlp: Tlp
    confidence: int | None
    description: str
    description_html: str
    tags: list[str]
    first_seen: str | None
    last_seen: str | None
    source_org: dict[str, Any]
    status: Literal["active", "retired"]
    seq: int
    sightings: Sightings
    also_in: list[RoomRef] = Field(default_factory=list, description="Other rooms the caller may see holding it")
    also_in_reports: list[ReportRef] = Field(default_factory=list,
                                             description="Incident reports the caller may see holding it")


class Added(Indicator):
    pass


class Indicators(Out):
    indicators: list[Indicator]


class Found(Out):
    type: Type
    value: str
    defanged: str
    known: bool = Field(description="This room (or report) already holds it")
    also_in: int = Field(description="Other rooms and reports the caller may see that hold it")


class Extracted(Out):
    found: list[Found]


class AddedMany(Out):
    added: list[Indicator]
    skipped: int


class Shared(Out):
    room: int
    added: list[Indicator]
    skipped: int = Field(description="Held by the room already, or marked beyond what you could see there")


class SightingOut(Out):
    id: int
    indicator: int
    org_id: int
    seen_at: str | None
    count: int
    seq: int
    sightings: Sightings


class Imported(Out):
    added: int
    skipped: int
    format: Literal["stix", "misp"]


class ObjectError(Out):
    index: int
    message: str


class ImportRefused(Out):
    error: str
    objects: list[ObjectError] = Field([], description="Each invalid object: its index and why")
    fields: dict[str, str] | None = None
