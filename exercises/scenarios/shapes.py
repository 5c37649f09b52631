"""The declared shapes of the scenario library: a scenario's fields (forms, JSON
import and the REST body alike), the library's filters, and the answers.

Types only: what each value must be. What the MSEL rows say (offsets, links,
vocabularies of a row) is checked by exercises/scenarios/msel.py, which reports
every problem with its row and column.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from council.api.shapes import Count, In, Out, QueryArgs, text
from council.orgs.models import SECTORS
from exercises.scenarios.msel import MAX_COLUMN_NAME, MAX_COLUMNS, MAX_FIELD, MAX_ROWS
from exercises.vocab import CAPABILITIES, DIFFICULTIES, capability_slug

Sector = Literal[tuple(SECTORS)]  # type: ignore[valid-type]
Difficulty = Literal[DIFFICULTIES]  # type: ignore[valid-type]


def _capability(value: str) -> str:
    """A capability as trainers write it (slug or words, any case) -> its slug."""
    slug = capability_slug(value)
    if slug is None:
        raise PydanticCustomError("capability", "Use one of: {names} (or their names).",
                                  {"names": ", ".join(CAPABILITIES)})
    return slug


Capability = Annotated[text(64), AfterValidator(_capability)]  # type: ignore[valid-type]
Title = text(200, line=True)
Summary = text(20_000)
Threat = text(200, line=True)
ObjectiveId = text(32)
ObjectiveText = text(2000)
MselColumn = text(MAX_COLUMN_NAME, 1)
MselCell = text(MAX_FIELD)
MselRow = Annotated[dict[MselColumn, MselCell], Field(max_length=MAX_COLUMNS)]  # type: ignore[valid-type]


# --- requests ----------------------------------------------------------------------------------

class Objective(In):
    id: ObjectiveId
    text: ObjectiveText


class ScenarioFields(In):
    """A scenario's metadata: what the page's form, the JSON import and REST may set."""

    title: Title
    summary: Summary = ""
    sectors: list[Sector] = Field(default_factory=list, max_length=len(SECTORS))
    threat: Threat = ""
    difficulty: Difficulty = "intermediate"
    duration_min: int = Field(120, ge=15, le=7 * 24 * 60, description="Minutes, from 15 to a week")
    objectives: list[Objective] = Field(default_factory=list, max_length=100)
    capabilities: list[Capability] = Field(default_factory=list, max_length=50)


class ScenarioDoc(ScenarioFields):
    """A scenario as the JSON export writes it: metadata and MSEL rows (CSV column names)."""

    version: Count | None = Field(None, description="Ignored: an import is a new scenario, version 1")
    injects: list[MselRow] = Field(default_factory=list, max_length=MAX_ROWS,
                                   description="MSEL rows: column -> text; unknown columns are kept")


class ScenariosQuery(QueryArgs):
    sector: Sector | None = None
    capability: Capability | None = None


class CsvImportQuery(QueryArgs):
    title: Annotated[text(200, 1, line=True), Field(description="The new scenario's title")]  # type: ignore[valid-type]


# --- answers ------------------------------------------------------------------------------------

class ObjectiveOut(Out):
    id: str
    text: str


class ScenarioMeta(Out):
    id: int
    family_id: int
    version: int
    title: str
    summary: str
    sectors: list[Sector]
    threat: str
    difficulty: Difficulty
    duration_min: int
    objectives: list[ObjectiveOut]
    capabilities: list[str]


class ListedScenario(ScenarioMeta):
    inject_count: Count


class FullScenario(ScenarioMeta):
    """The JSON export with the scenario's ids: what POST /scenarios takes back."""

    injects: list[dict[str, str]]


class HiddenScenario(Out):
    """A scenario the caller plays in a run of (until ENDEX): its title and summary only."""

    id: int
    family_id: int
    version: int
    title: str
    summary: str
    msel_hidden: Literal[True]
    reason: str


class Scenarios(Out):
    scenarios: list[ListedScenario | HiddenScenario]


class Imported(Out):
    id: int
    injects: Count


class RowProblem(Out):
    row: int
    column: str
    message: str


class MselRefused(Out):
    """422 of an import: every bad row with its column (``rows``), or bad fields (``fields``)."""

    error: str
    rows: list[RowProblem] = Field(default_factory=list)
    fields: dict[str, str] | None = None
