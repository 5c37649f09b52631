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

    def org(self, name: str | None = None, tier: str = "sectoral", sector: str | None = None,
            parent: Organization | None = None) -> Organization:
        with database(self.app).transaction() as s:
            org = create_org(s, actor=SYSTEM, name=name or f"Org {next(_seq)}", tier=tier,
                             sector=sector, parent_id=parent.id if parent else None)
        return org

    def user(self, email: str | None = None, org: Organization | None = None, role: str = "member",
             name: str | None = None, password: str = PASSWORD) -> User:
        org = org or self.org()
        n = next(_seq)
        with database(self.app).transaction() as s:
            user = create_user(s, actor=SYSTEM, email=email or f"user{n}@example.org",
                               name=name or f"User {n}", org_id=org.id, role=role, password=password)
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
