"""What the exercise event kinds accept (REST and socket posts): players'
acknowledgements and responses, evaluators' observations. Injects and clock
changes are not posted (the exercise API makes them); their shapes only name
the kind, so such a post is refused for what it is, not for its fields."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict

from council.api.shapes import Id, Seq, text
from council.rooms.shapes import Post

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
