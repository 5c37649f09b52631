"""The declared shapes of the directory: a team record in FIRST's own field names
(the Global IRT team record, https://github.com/FIRSTdotorg/global-irt: api.md and
examples/singleTeam.json), the import body, roster shifts, communication checks,
and the answers.

FIRST's names are kept exactly, hyphens, underscores and the space of
"preferred language" included. What the council adds is prefixed ``-council-``,
as the Global IRT rules ask of repository-specific properties. Fields that the
council computes itself (last-modified, meta, parent-organisation, the people on
duty) are accepted on import, so an export imports again, and ignored.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask_babel import gettext as _
from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    PlainValidator,
    StringConstraints,
    Tag,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import InitErrorDetails

from council.api.shapes import Count, DateText, Id, In, Out, QueryArgs, TimeText, ZoneName, text
from council.text import clean_text

ROLES: dict[str, str] = {
    "primary": "Primary contact", "deputy": "Deputy", "technical": "Technical contact",
    "management": "Management", "media": "Media and public relations", "legal": "Legal",
}
MAX_TEAMS = 2000
_HEX40 = re.compile(r"^[0-9A-F]{40}$")
_HEX_SHORT = re.compile(r"^[0-9A-F]{8}$|^[0-9A-F]{16}$")
_PHONE = re.compile(r"^\+[0-9][0-9 ().-]{4,38}$")
# The domain in letters, digits and hyphens only: a "?" or "&" there would carry headers into mailto: links.
_EMAIL = re.compile(r"^[^@\s?&=%]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_HOURS_KEY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)_[1-3]_(open|close)$")
_HHMM = re.compile(r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")
_CERT_TYPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
_LANG = re.compile(r"^[a-z]{2,3}$")


def fingerprint(value: str) -> str:
    """A PGP key's full fingerprint: 40 hexadecimal digits, "0x" and spaces allowed; stored upper-case."""
    digits = value.replace(" ", "").upper().removeprefix("0X")
    if _HEX_SHORT.match(digits):
        raise ValueError(_("A short key id is ambiguous: give the key's full fingerprint (40 hexadecimal digits)."))
    if not _HEX40.match(digits):
        raise ValueError(_("A PGP fingerprint: 40 hexadecimal digits (0x and spaces allowed)."))
    return digits


def phone(value: str) -> str:
    value = value.strip()
    digits = sum(c.isdigit() for c in value)
    if not _PHONE.match(value) or not 6 <= digits <= 15:
        raise ValueError(_("A phone number in international form: + and the country code, 6 to 15 digits "
                         "(spaces, dots, dashes and brackets allowed)."))
    return value


def email(value: str) -> str:
    value = value.strip()
    if not _EMAIL.match(value):
        raise ValueError(_("An e-mail address (name@example.org)."))
    return value


def url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value) if not any(c.isspace() for c in value) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(_("A web address starting with https:// or http://."))
    return value


def country_code(value: str) -> str:
    if len(value) != 2 or not value.isascii() or not value.isalpha():
        raise ValueError(_("An ISO 3166-1 alpha-2 country code (PK, LU)."))
    return value.upper()


def language(value: str) -> str:
    if not _LANG.match(value):
        raise ValueError(_("An ISO 639 language code in lower case (urd, eng, fre)."))
    return value


def cert_type(value: str) -> str:
    if not _CERT_TYPE.match(value):
        raise ValueError(_("A CERT type identifier: letters, digits and dashes (national, sector, government)."))
    return value


def hours_key(value: str) -> str:
    if not _HOURS_KEY.match(value):
        raise ValueError(_("Keys like mon_1_open, mon_1_close … sun_3_close."))
    return value


def hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(_("A time of day, HH:MM (00:00 to 24:00)."))
    return value


@lru_cache(maxsize=1)
def zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone(value: str) -> str:
    if value not in zones():
        raise ValueError(_("An IANA time zone name, e.g. Asia/Karachi."))
    return value


def _checked(max_length: int, check: Any) -> Any:
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(check)]


Fingerprint = _checked(60, fingerprint)
Phone = _checked(40, phone)
Email = _checked(254, email)
Url = _checked(500, url)
CountryCode = _checked(2, country_code)
Language = _checked(3, language)
CertType = _checked(40, cert_type)
TimeZone = _checked(64, time_zone)


def _hours(value: Any) -> dict[str, str] | str:
    """FIRST's operating-hours: the weekly object ({"mon_1_open": "09:00", …}), or (as
    FIRST's API v1 gave it) a text."""
    if isinstance(value, str):
        if len(value) > 2000:
            raise ValueError(_("At most 2000 characters."))
        return clean_text(value)
    if not isinstance(value, dict) or len(value) > 42:
        raise ValueError(_("An object of at most 42 times: {\"mon_1_open\": \"09:00\", \"mon_1_close\": \"17:00\", "
                           "…}."))
    out: dict[str, str] = {}
    for key, when in value.items():
        if not isinstance(key, str) or not _HOURS_KEY.match(key):
            raise ValueError(_("%(key)s: keys like mon_1_open, mon_1_close … sun_3_close.", key=repr(str(key)[:20])))
        if not isinstance(when, str) or not _HHMM.match(when):
            raise ValueError(_("%(key)s: a time of day, HH:MM (00:00 to 24:00).", key=key))
        out[key] = when
    return out


def _country_codes(value: Any) -> list[str]:
    """FIRST's country-code: a list of ISO 3166-1 alpha-2 codes (or, as in FIRST's API v1, one code)."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or len(items) > 10:
        raise ValueError(_("A list of at most 10 ISO 3166-1 alpha-2 country codes ([\"PK\"])."))
    if not all(isinstance(c, str) for c in items):
        raise ValueError(_("Country codes are texts ([\"PK\"])."))
    return [country_code(c) for c in items]


Hours = Annotated[Any, PlainValidator(_hours), WithJsonSchema({"oneOf": [
    {"type": "object", "maxProperties": 42, "propertyNames": {"pattern": _HOURS_KEY.pattern},
     "additionalProperties": {"type": "string", "pattern": _HHMM.pattern}},
    {"type": "string", "maxLength": 2000}]})]
CountryCodes = Annotated[Any, PlainValidator(_country_codes), WithJsonSchema({"oneOf": [
    {"type": "array", "maxItems": 10, "items": {"type": "string", "pattern": "^[A-Za-z]{2}$"}},
    {"type": "string", "pattern": "^[A-Za-z]{2}$"}]})]
Role = Literal[tuple(ROLES)]  # type: ignore[valid-type]
Line = text(300, line=True)


class FirstMeta(In):
    source_name: text(100) | None = Field(None, alias="source-name")  # type: ignore[valid-type]
    schema_version: Annotated[int, Field(ge=0, le=1000)] | None = None
    schema_url: text(500) | None = Field(None, alias="schema-url")  # type: ignore[valid-type]


class FirstContact(In):
    """A point of contact: one of FIRST's team-members, with the council's role and phone."""

    name: text(200, 1, line=True)  # type: ignore[valid-type]
    email: Email | None = None
    is_first_rep: bool | None = Field(None, alias="is-first-rep")
    is_second_rep: bool | None = None  # FIRST's example spells this one with underscores
    enckeys: list[Fingerprint] = Field(default_factory=list, max_length=10)
    languages: list[Language] = Field(default_factory=list, max_length=20)
    council_role: Role | None = Field(None, alias="-council-role")
    council_phone: Phone | None = Field(None, alias="-council-phone")


class OnDutyNow(In):
    """Read only: the export's list of people on duty (ignored on import)."""

    name: text(200)  # type: ignore[valid-type]
    email: text(254) | None = None  # type: ignore[valid-type]
    user_id: Id | None = Field(None, alias="user-id")
    until: TimeText | None = None


class FirstTeam(In):
    """A team record in FIRST's Global IRT field names. ``-council-org-id`` names the
    organisation; without it the short name, then the official name, is matched to
    an organisation's record, short name or name."""

    short_team_name: text(100, 1, line=True) = Field(alias="short-team-name")  # type: ignore[valid-type]
    official_team_name: Line = Field("", alias="official-team-name")  # type: ignore[valid-type]
    parent_organisation: Line | None = Field(None, alias="parent-organisation")  # type: ignore[valid-type]
    postal_address: text(1000) = Field("", alias="postal-address")  # type: ignore[valid-type]
    country_code: CountryCodes = Field(default_factory=list, alias="country-code")
    additional_country_code: list[CountryCode] = Field(default_factory=list, alias="additional-country-code",
                                                       max_length=50)
    country: text(100, line=True) = ""  # type: ignore[valid-type]
    website: list[Url] = Field(default_factory=list, max_length=10)
    email: Email | None = None
    host: Line = ""  # type: ignore[valid-type]
    establishment: DateText | None = None
    phone_numbers: list[Phone] = Field(default_factory=list, alias="phone-numbers", max_length=10)
    enckeys: list[Fingerprint] = Field(default_factory=list, max_length=10)
    operating_hours_freetext: text(2000) = Field("", alias="operating-hours-freetext")  # type: ignore[valid-type]
    operating_hours: Hours | None = Field(None, alias="operating-hours")
    constituency: Line = ""  # type: ignore[valid-type]
    constituency_code: text(40, line=True) = Field("", alias="constituency-code")  # type: ignore[valid-type]
    constituency_description: text(5000) = Field("", alias="constituency-description")  # type: ignore[valid-type]
    first_member_type: text(40, line=True) = Field("", alias="-first-member-type")  # type: ignore[valid-type]
    last_modified: text(64) | None = Field(None, alias="last-modified")  # type: ignore[valid-type]
    source_name: text(100) | None = Field(None, alias="source-name")  # type: ignore[valid-type]
    cert_type: list[CertType] = Field(default_factory=list, alias="cert-type", max_length=20)
    languages: list[Language] = Field(default_factory=list, max_length=20)
    preferred_language: Language | None = Field(None, alias="preferred language")
    team_members: list[FirstContact] = Field(default_factory=list, alias="team-members", max_length=50)
    meta: FirstMeta | None = None
    council_org_id: Id | None = Field(None, alias="-council-org-id")
    council_time_zone: TimeZone | None = Field(None, alias="-council-time-zone")
    council_emergency_phone: Phone | None = Field(None, alias="-council-emergency-phone")
    council_tier: text(60) | None = Field(None, alias="-council-tier")  # type: ignore[valid-type]
    council_on_duty_now: list[OnDutyNow] | None = Field(None, alias="-council-on-duty-now", max_length=100)


_TEAM = TypeAdapter(FirstTeam)


def _rows(prefix: tuple[str, ...]) -> Any:
    """Validate each record on its own, so every problem names its row ("teams.2.email",
    counting from 0 as the array does), and all rows' problems are told at once."""

    def check(value: Any, handler: Any) -> Any:
        if not isinstance(value, list) or len(value) > MAX_TEAMS:
            return handler(value)
        out, problems = [], []
        for n, item in enumerate(value):
            try:
                out.append(_TEAM.validate_python(item))
            except ValidationError as err:
                for p in err.errors(include_url=False):
                    problems.append(InitErrorDetails(type=p["type"], loc=(*prefix, str(n), *p["loc"]),  # type: ignore[typeddict-item]
                                                     input=p["input"], ctx=p.get("ctx") or {}))
        if problems:
            raise ValidationError.from_exception_data("teams", problems)
        return out

    return WrapValidator(check)


Teams = Annotated[list[FirstTeam], Field(max_length=MAX_TEAMS)]


class TeamsIn(In):
    """What ``GET /directory`` answers: ``{"teams": [...]}``."""

    teams: Annotated[Teams, _rows(())]


def _which(value: Any) -> str:
    return "list" if isinstance(value, list) else "object"


def import_body() -> Any:
    """FIRST JSON: an array of team records (as FIRST's example file is), or
    ``{"teams": [...]}`` (as this API exports them)."""
    return Annotated[Annotated[Annotated[Teams, _rows(("teams",))], Tag("list")] | Annotated[TeamsIn, Tag("object")],
                     Discriminator(_which)]


class DirectoryQuery(QueryArgs):
    q: text(200) | None = None  # type: ignore[valid-type]


class NewShift(In):
    """A person of the organisation on duty from ``starts_at`` to ``ends_at`` (ISO 8601;
    without an offset, read in ``tz`` or else UTC); at most 14 days."""

    user_id: Id
    starts_at: TimeText
    ends_at: TimeText
    note: text(200, line=True) = ""  # type: ignore[valid-type]
    tz: ZoneName | None = None


class NewCheck(In):
    """Omit ``orgs`` for the whole council (the secretary, a platform admin of the national
    CERT) or a CERT's whole tree (a sectoral or provincial CERT)."""

    orgs: list[Id] | None = Field(None, max_length=5000)
    hours: Annotated[int, Field(ge=1, le=168, description="Hours until the check closes by itself")] = 24
    message: text(500) = ""  # type: ignore[valid-type]


class ChecksQuery(QueryArgs):
    status: Literal["open", "closed"] | None = None


# --- answers ---------------------------------------------------------------------------------

class ContactOut(Out):
    name: str
    email: str | None = Field(None)
    enckeys: list[str] | None = None


class FirstTeamOut(Out):
    """A team record in FIRST's field names; empty values are left out, as FIRST's API does."""

    short_team_name: str = Field(alias="short-team-name")
    official_team_name: str | None = Field(None, alias="official-team-name")
    country_code: list[str] | None = Field(None, alias="country-code")
    email: str | None = None
    phone_numbers: list[str] | None = Field(None, alias="phone-numbers")
    enckeys: list[str] | None = None
    operating_hours: dict[str, str] | None = Field(None, alias="operating-hours")
    team_members: list[ContactOut] | None = Field(None, alias="team-members")
    last_modified: str | None = Field(None, alias="last-modified")
    council_org_id: int = Field(alias="-council-org-id")
    council_on_duty_now: list[dict[str, Any]] = Field(alias="-council-on-duty-now")


class TeamsOut(Out):
    teams: list[FirstTeamOut]


class ImportedTeam(Out):
    org_id: int
    short_team_name: str = Field(alias="short-team-name")
    created: bool


class Imported(Out):
    imported: int
    teams: list[ImportedTeam]


class ShiftOut(Out):
    id: int
    org_id: int
    user_id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    note: str
    on_duty: bool


class Roster(Out):
    org_id: int
    shifts: list[ShiftOut]


class Removed(Out):
    removed: int


class CheckStarted(Out):
    id: int
    orgs: Count
    told: Count
    closes_at: datetime


class CheckOrgOut(Out):
    org_id: int
    org: str
    tier: str
    sent_at: datetime
    answered_at: datetime | None
    user_id: int | None
    answered_by: str | None
    via: Literal["duty", "contacts", "members", "nobody"]
    told: int
    answer_seconds: float | None


class TierSummary(Out):
    tier: str
    orgs: int
    answered: int
    unanswered: int
    median_seconds: float | None
    worst_seconds: float | None


class Summary(Out):
    orgs: int
    answered: int
    unanswered: int
    median_seconds: float | None
    worst_seconds: float | None
    tiers: list[TierSummary]
    unanswered_orgs: list[str]
    lines: list[str]


class CheckOut(Out):
    """Overseers (the starter's organisation, the secretary and chair, platform admins)
    see every organisation and the summary; a checked organisation sees its own row."""

    id: int
    status: Literal["open", "closed"]
    message: str
    started_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    started_by: str
    starter_org_id: int
    starter_org: str
    oversees: bool
    orgs: list[CheckOrgOut]
    mine: CheckOrgOut | None
    summary: Summary | None


class CheckBrief(Out):
    id: int
    status: Literal["open", "closed"]
    started_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    starter_org: str
    orgs: int | None = Field(None, description="For those who oversee the check")
    answered: int | None = Field(None, description="For those who oversee the check")
    mine_answered: bool | None


class Checks(Out):
    checks: list[CheckBrief]


class Answered(CheckOrgOut):
    check_id: int
    first: bool
