"""The ``file`` room event kind: a file attached to (or removed from) a room. Written
by the evidence services, never posted by clients. It carries the file's marking:
a file stricter than its room reaches only those who clear it (others in the room
get a stub with the same seq), as a decision's does."""

from __future__ import annotations

from typing import Any, Literal

from flask_babel import gettext as _
from pydantic import ConfigDict

from council.errors import Forbidden
from council.rooms.audience import register_restriction
from council.rooms.shapes import Post
from council.rooms.stream import Draft, KindSpec, PostContext, register_kind


class FilePost(Post):
    model_config = ConfigDict(extra="ignore")  # refused whatever it carries
    kind: Literal["file"]


def _not_postable(_ctx: PostContext) -> str:
    return _("Files are attached through the room's Evidence panel or POST /api/v1/rooms/<id>/files.")


def _never(ctx: PostContext, _payload: dict[str, Any]) -> Draft:
    raise Forbidden(_not_postable(ctx))


def restriction(full: dict[str, Any]) -> list[tuple[str | None, dict[str, Any]]] | None:
    tlp = full.get("tlp")
    return None if tlp in (None, "CLEAR", "GREEN") else [(f"tlp:{tlp}", full)]


def register() -> None:
    register_kind(KindSpec("file", _never, FilePost, may_post=_not_postable, allowed_when_closed=True))
    register_restriction("file", restriction)
