"""Mentions: ``@handle`` tells a person, ``@short-name`` every member of an organisation.

Read from the sanitised HTML of a markdown field, so code spans and blocks
(``<code>``, ``<pre>``) are left out whatever markdown syntax made them, and an
address such as ``ops@bank.example`` is not a mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.orgs.models import Organization

CODE = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")
# Not inside an address or a path, and never the first 40 characters of something longer.
MENTION = re.compile(r"(?<![\w@/.+-])@([a-z0-9](?:[a-z0-9._-]{0,38}[a-z0-9])?)(?![a-z0-9._-]*[a-z0-9])", re.I)
MAX_NAMES = 50


@dataclass
class Mentioned:
    people: list[User] = field(default_factory=list)
    orgs: list[Organization] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.people or self.orgs)


def names_in(html: str) -> list[str]:
    """The handles written in ``html`` outside code, lower-cased, in order, once each."""
    if "@" not in html:
        return []
    text = TAG.sub(" ", CODE.sub(" ", html))
    out: list[str] = []
    for match in MENTION.finditer(text):
        name = match.group(1).lower().rstrip(".")
        if name not in out:
            out.append(name)
    return out[:MAX_NAMES]


def resolve(session: Session, html: str) -> Mentioned:
    names = names_in(html)
    if not names:
        return Mentioned()
    people = list(session.scalars(select(User).where(User.handle.in_(names), User.active.is_(True))))
    orgs = list(session.scalars(select(Organization).where(Organization.short_name.in_(names))))
    return Mentioned(people, orgs)


def members_of(session: Session, org_ids: list[int]) -> list[User]:
    if not org_ids:
        return []
    return list(session.scalars(select(User).where(User.org_id.in_(org_ids), User.active.is_(True))
                                .order_by(User.id)))


def mentionable(session: Session, actor: User, room_id: int, q: str) -> tuple[list[User], list[Organization]]:
    """Who the composer offers after "@" and two characters: the room's own people —
    named members and members of its organisations — and its organisations. Only for
    those who write in the room (an observer never mentions); NotFound if the room is
    not the actor's to see. Nobody can page through the directory with it."""
    from sqlalchemy import func, or_

    from council.access import can_write
    from council.auth.people import like_pattern
    from council.errors import Forbidden
    from council.rooms.visibility import load_visible, role_of

    room, role = load_visible(session, actor, room_id)
    if not can_write(role):
        raise Forbidden(_("Only people who write in this room mention others in it."))
    q = q.strip().lower().lstrip("@")
    if len(q) < 2:
        return [], []
    pattern = like_pattern(q)
    named = [m.user_id for m in room.members]
    stmt = select(User).where(User.active.is_(True),
                              or_(User.id.in_(named), User.org_id.in_(room.org_ids)),
                              or_(User.handle.like(pattern, escape="\\"),
                                  func.lower(User.name).like(pattern, escape="\\")))
    people = [u for u in session.scalars(stmt.order_by(User.name).limit(50)) if role_of(session, u, room)][:8]
    orgs = select(Organization).where(Organization.id.in_(room.org_ids),
                                      or_(Organization.short_name.like(pattern, escape="\\"),
                                          func.lower(Organization.name).like(pattern, escape="\\")))
    return people, list(session.scalars(orgs.order_by(Organization.name).limit(8)))
