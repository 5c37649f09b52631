"""Builders for test data, through the same services the app uses."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask

from council.actors import SYSTEM
from council.auth.models import User
from council.auth.services import create_user
from council.db import Base
from council.extensions import database
from council.orgs.models import Organization
from council.orgs.services import create_org

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


class Factory:
    def __init__(self, app: Flask) -> None:
        self.app = app

    def org(self, name: str | None = None, tier: str | None = "sectoral", sector: str | None = None,
            parent: Organization | None = None, kind: str = "cert") -> Organization:
        """A CERT of ``tier``, or (``kind`` other than cert) a body without a tier."""
        with database(self.app).transaction() as s:
            org = create_org(s, actor=SYSTEM, name=name or f"Org {next(_seq)}",
                             tier=tier if kind == "cert" else None, sector=sector,
                             parent_id=parent.id if parent else None, kind=kind)
        return org

    def user(self, email: str | None = None, org: Organization | None = None, role: str = "member",
             name: str | None = None, password: str = PASSWORD, org_admin: bool = False) -> User:
        org = org or self.org()
        n = next(_seq)
        with database(self.app).transaction() as s:
            user = create_user(s, actor=SYSTEM, email=email or f"user{n}@example.org",
                               name=name or f"User {n}", org_id=org.id, role=role, password=password,
                               org_admin=org_admin)
            user.org  # noqa: B018 - load before the session closes
        return user

    def run(self, fn: Any, **kwargs: Any) -> Any:
        """Call a service in its own committed transaction."""
        from council import realtime

        with database(self.app).transaction(after_commit=realtime.flush) as s:
            # Rows built in other sessions (users, orgs) join this one, as a
            # request's own rows would be.
            kwargs = {k: s.merge(v) if isinstance(v, Base) else v for k, v in kwargs.items()}
            return fn(s, **kwargs)

    # --- rooms and API tokens (appended for the rooms API and socket tests) ---

    def api_token(self, user: User, label: str = "test token") -> tuple[Any, str]:
        """An API token of ``user``: (row, text shown once)."""
        from council.auth.tokens import create_token

        return self.run(create_token, actor=SYSTEM, user=user, label=label)  # type: ignore[no-any-return]

    def room(self, lead: User, *, title: str = "Phishing wave", severity: str = "high", tlp: str = "AMBER",
             orgs: tuple[Organization, ...] = (), members: tuple[User, ...] = ()) -> Any:
        """A room opened by ``lead`` (who becomes its lead) through the service."""
        from council.rooms.services import create_room

        return self.run(create_room, actor=lead, title=title, severity=severity, tlp=tlp,
                        org_ids=[o.id for o in orgs], member_emails=[m.email for m in members])

    def event(self, author: User, room: Any, kind: str = "message", client_id: str | None = None,
              **payload: Any) -> Any:
        """Post one event as ``author`` through the stream (rights checked as for any post)."""
        from council.rooms.stream import post

        event, _created = self.run(post, actor=author, room_id=room.id, kind=kind, payload=payload,
                                   client_id=client_id)
        return event
