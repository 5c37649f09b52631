"""Pages: search across every indicator the viewer may see, and the room panel's boot data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from council.api.shapes import parse_args
from council.auth.login import current_account
from council.indicators import queries
from council.indicators.models import TYPES
from council.indicators.shapes import SearchQuery
from council.web import db

bp = Blueprint("indicators", __name__)


@bp.get("/indicators")
def search_page() -> Any:
    q = (request.args.get("q") or "").strip()
    found: list[dict[str, Any]] = []
    args = None
    if q:
        args = parse_args(SearchQuery, request.args, form=True)
        rows = queries.search(db(), actor=current_account(), q=args.q, type_=args.type,
                               include_retired=args.retired, include_exercises=args.exercises)
        found = queries.with_hints(db(), current_account(), rows)
    return render_template("council/indicators/search.html", q=q, found=found, types=TYPES, args=request.args,
                           limit=queries.SEARCH_LIMIT)


def room_boot(session: Any, user: Any, room: Any, _role: str) -> dict[str, Any]:
    """The room page's indicators (those the viewer may see), newest first, with hints."""
    _room, indicators = queries.list_for_room(session, actor=user, room_id=room.id)
    return {"indicators": queries.with_hints(session, user, [(i, room) for i in indicators]),
            "indicator_types": list(TYPES)}
