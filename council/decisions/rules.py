"""Counting positions under a voting rule. Pure: no database, no clock.

Binary decisions (options approve / reject) take positions support, object or
abstain. Decisions with custom options take one of the options, object (to
the proposal as a whole) or abstain.

* votes cast = positions other than abstain; quorum counts every position,
  abstentions included ("has cast a position");
* majority: more than half of the votes cast; two-thirds: at least two thirds;
* consensus: no objection and at least one vote (custom: all votes for one option);
* chair: the lead decides at close after consultation (positions are advice).
A decision without quorum cannot be adopted.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

BINARY_POSITIONS = ("support", "object", "abstain")
DEFAULT_QUORUM_PCT = 50


def positions_for(options: list[str]) -> tuple[str, ...]:
    if list(options) == ["approve", "reject"]:
        return BINARY_POSITIONS
    return (*options, "object", "abstain")


@dataclass(frozen=True)
class Tally:
    counts: dict[str, int]
    cast: int
    participated: int
    eligible: int
    quorum_needed: int
    quorum_met: bool
    outcome: str  # what closing now would give: adopted | rejected | no_quorum
    chosen: str | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def count(
    positions: dict[int, str], *, options: list[str], rule: str, eligible: int,
    quorum_pct: int = DEFAULT_QUORUM_PCT, chair_choice: str | None = None,
) -> Tally:
    """``positions`` maps organisation id -> its current position."""
    allowed = positions_for(options)
    counts = {p: 0 for p in allowed}
    for value in positions.values():
        counts[value] = counts.get(value, 0) + 1
    participated = len(positions)
    cast = participated - counts.get("abstain", 0)
    needed = max(1, math.ceil(eligible * quorum_pct / 100)) if eligible else 1
    quorum = participated >= needed
    binary = allowed == BINARY_POSITIONS

    chosen: str | None = None
    if rule == "chair":
        adopted = chair_choice not in (None, "reject", "rejected")
        chosen = chair_choice if adopted and not binary else None
    elif binary:
        support, objections = counts["support"], counts["object"]
        adopted = {
            "majority": cast > 0 and support * 2 > cast,
            "two-thirds": cast > 0 and support * 3 >= cast * 2,
            "consensus": objections == 0 and support > 0,
        }[rule]
    else:
        best = max(options, key=lambda o: counts.get(o, 0))
        top = counts.get(best, 0)
        adopted = {
            "majority": cast > 0 and top * 2 > cast,
            "two-thirds": cast > 0 and top * 3 >= cast * 2,
            "consensus": counts["object"] == 0 and top > 0 and top == cast,
        }[rule]
        chosen = best if adopted else None
    outcome = "no_quorum" if not quorum else ("adopted" if adopted else "rejected")
    if outcome != "adopted":
        chosen = None
    return Tally(counts, cast, participated, eligible, needed, quorum, outcome, chosen)
