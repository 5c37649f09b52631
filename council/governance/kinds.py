"""Room event kinds of the council's governance, written by its services and never
posted by clients: ``meeting`` (convened, closed), ``attendance`` (a seat present
or absent, with the quorum after it) and ``crisis`` (a crisis level set, in the
national coordination room or an exercise room)."""

from __future__ import annotations

from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import ConfigDict

from council.errors import Forbidden
from council.rooms.shapes import Post
from council.rooms.stream import Draft, KindSpec, PostContext, register_kind


class MeetingPost(Post):
    model_config = ConfigDict(extra="ignore")  # refused whatever it carries
    kind: Literal["meeting"]


class AttendancePost(Post):
    model_config = ConfigDict(extra="ignore")
    kind: Literal["attendance"]


class CrisisPost(Post):
    model_config = ConfigDict(extra="ignore")
    kind: Literal["crisis"]


def _not_postable(_ctx: PostContext) -> str:
    return _("This comes from the council's own pages and API (meetings, attendance, the crisis level), "
             "not from posts.")


def _never(ctx: PostContext, _payload: dict[str, Any]) -> Draft:
    raise Forbidden(_not_postable(ctx))


def register() -> None:
    for name, shape in (("meeting", MeetingPost), ("attendance", AttendancePost), ("crisis", CrisisPost)):
        register_kind(KindSpec(name, _never, shape, may_post=_not_postable, allowed_when_closed=True))
