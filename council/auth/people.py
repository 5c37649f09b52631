"""Finding people to name: the search behind every people picker.

Pickers only ever offer people the searcher may name where they are naming
them: in a room, active people whose organisation may join it under its TLP
marking and who are not named yet; elsewhere (exercise roles, reviewers),
active people of the council. A search needs two characters, and answers a
short page, so the picker is no way to dump the directory.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from council.access import org_may_join
from council.auth.models import User
from council.errors import Invalid
from council.rooms.visibility import ancestors, load_visible

LIMIT = 20


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_people(session: Session, *, actor: User, q: Any, room_id: int | None = None,
                  orgs: list[int] | None = None) -> list[User]:
    """Active people matching ``q`` (name or email) whom ``actor`` may name."""
    if not isinstance(q, str) or len(q.strip()) < 2 or len(q) > 200:
        raise Invalid(_("Type at least two characters."), {"q": _("Two to 200 characters of a name or email.")})
    pattern = like_pattern(q.strip().lower())
    stmt = (select(User).where(User.active.is_(True),
                               or_(func.lower(User.name).like(pattern, escape="\\"),
                                   User.email.like(pattern, escape="\\")))
            .order_by(User.name).limit(LIMIT * 5))
    if orgs:
        stmt = stmt.where(User.org_id.in_(orgs))
    found = list(session.scalars(stmt))
    if room_id is not None:
        room, _role = load_visible(session, actor, room_id)
        named = {m.user_id for m in room.members}
        org_ids = frozenset(room.org_ids)
        found = [u for u in found if u.id not in named
                 and org_may_join(u.org_id, ancestors(session, u.org_id), room.tlp, org_ids)]
    return found[:LIMIT]


def person_json(user: User) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "email": user.email, "org_id": user.org_id, "org": user.org.name}
