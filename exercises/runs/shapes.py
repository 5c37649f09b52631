"""What the exercise event kinds accept (REST and socket posts): players'
acknowledgements and responses, evaluators' observations. Injects and clock
changes are not posted (the exercise API makes them); their shapes only name
the kind, so such a post is refused for what it is, not for its fields.

Below them: the REST shapes of runs, the clock and injects (exercises/api.py),
and the bound every hand-parsed id obeys."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field

from council.api.shapes import MAX_ID, Email, Id, In, Out, Seq, text
from council.rooms.models import TLPS
from council.rooms.shapes import Post, Tlp
from exercises.scenarios.msel import MAX_FIELD
from exercises.scenarios.shapes import ObjectiveOut
from exercises.vocab import DELIVERIES, INJECT_TYPES, RELEASES, ROLES, STATES

Body = text(20_000)
Short = text(40)
MselId = text(32)


class InjectPost(Post):
    model_config = ConfigDict(extra="ignore")  # refused whatever it carries (by may_post)
    kind: Literal["inject"]


class ClockPost(Post):
    model_config = ConfigDict(extra="ignore")
    kind: Literal["clock"]


class AckPost(Post):
    kind: Literal["ack"]
    inject_seq: Seq


class ResponsePost(Post):
    kind: Literal["response"]
    inject_seq: Seq
    body: Body


class ObservationPost(Post):
    kind: Literal["observation"]
    rating: Literal["P", "S", "M", "U"]
    finding: Literal["strength", "improvement"] | None = None
    body: Body
    objective_id: MselId | None = None
    capability: Short | None = None
    msel_id: MselId | None = None
    team_id: Id | None = None
    evidence_seq: Seq | None = None


# --- ids in hand-parsed input (page forms, service arguments) ------------------------------------

def is_id(value: Any) -> bool:
    """Can ``value`` be a row's id? A whole number from 1 to 2^63 - 1: a larger one
    would overflow the database driver rather than find nothing."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def form_id(raw: str) -> int:
    """A page form's id field, for werkzeug's ``get(…, type=form_id)``: anything but
    an id (30 digits, "²", "-1") raises ValueError, so the field reads as absent."""
    if not _DIGITS.match(raw):
        raise ValueError("not an id")
    value = int(raw)
    if not is_id(value):
        raise ValueError("not an id")
    return value


_DIGITS = re.compile(r"^[0-9]{1,19}$")


# --- REST: runs, the clock, injects ---------------------------------------------------------------

State = Literal[STATES]  # type: ignore[valid-type]
Role = Literal[ROLES]  # type: ignore[valid-type]
Title = text(200, line=True)
Reason = text(2000)
Cell = text(MAX_FIELD)
Emails = list[Email] | None


class NewExercise(In):
    scenario_id: Id = Field(description="The scenario version to run")
    title: Title
    orgs: list[Id] = Field(max_length=200, description="Participating organisations")
    controllers: Emails = Field(None, max_length=200)
    evaluators: Emails = Field(None, max_length=200)
    players: dict[str, list[Email]] | None = Field(None, max_length=200, description=(
        "Team name -> player emails. Omitted or empty: one team per participating organisation with its "
        "active members who have no other role. A team without players is refused (422, field players)."))
    observers: Emails = Field(None, max_length=200)
    speed: float = Field(1, ge=1, le=60, description="Exercise seconds per wall-clock second")
    tlp: Tlp = "AMBER"


class ClockChange(In):
    reason: Reason = Field("", description="Why (the emergency stop says it to everyone)")


class Hold(In):
    held: bool = True


def _number_as_text(value: Any) -> Any:
    """A priority may be sent as the number it is (3) or as the MSEL writes it ("3")."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class InjectChange(In):
    """MSEL columns a controller may write before release (edit) or live (ad-hoc);
    absent or null leaves a column as it is."""

    title: Cell | None = None
    message: Cell | None = None
    expected_action: Cell | None = None
    notes: Cell | None = None
    from_: Cell | None = Field(None, alias="from")
    to: Cell | None = None
    delivery: Cell | None = None
    offset: Cell | None = Field(None, description="T+HH:MM, HH:MM or D+1 H+2 M+30 (edit only)")
    type: Cell | None = None
    priority: Annotated[Cell | None, BeforeValidator(_number_as_text)] = Field(None, description="1 to 5")
    tlp: Cell | None = None
    release: Cell | None = None
    capability: Cell | None = None
    objectives: Cell | None = None

    def given(self) -> dict[str, Any]:
        """The columns sent, by their MSEL names ("from", not "from_")."""
        return {k: str(v) for k, v in self.model_dump(exclude_unset=True, by_alias=True).items() if v is not None}


class Created(Out):
    id: int
    room_id: int


class ClockState(Out):
    state: State
    t_plus_s: float


class Inject(Out):
    """An exercise inject with its release state, as staff see it."""

    msel_id: str
    offset_s: int
    offset: str
    type: Literal[INJECT_TYPES]  # type: ignore[valid-type]
    delivery: Literal[DELIVERIES]  # type: ignore[valid-type]
    from_: str = Field(alias="from")
    to: str
    team_ids: list[int]
    title: str
    message: str
    message_html: str
    capability: str
    objectives: str
    release: Literal[RELEASES]  # type: ignore[valid-type]
    depends_on: str
    priority: str
    tlp: Literal[("", *TLPS)]  # type: ignore[valid-type]
    status: Literal["pending", "held", "released", "cancelled"]
    released_t_s: float | None
    released_seq: int | None
    adhoc: bool
    edited: bool
    expected_action: str
    notes: str
    controller: str


class TeamOut(Out):
    id: int
    name: str
    org_id: int | None


class PersonOut(Out):
    user_id: int
    name: str
    role: Role
    team_id: int | None


class ExerciseOut(Out):
    """The run as a player or observer sees it: no MSEL."""

    id: int
    title: str
    room_id: int
    scenario_id: int
    scenario_version: int
    state: State
    speed: float
    t_plus_s: float
    clock_t_s: float
    clock_wall: datetime | None
    server_now: datetime
    role: Role
    team_id: int | None
    exercise: Literal[True]
    teams: list[TeamOut]
    objectives: list[ObjectiveOut]
    capabilities: list[str]
    people: list[PersonOut]


class StaffExerciseOut(ExerciseOut):
    """The run as its director, controllers and evaluators see it: with the MSEL."""

    injects: list[Inject]
