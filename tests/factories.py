"""Builders for test data, through the same services the app uses."""

from __future__ import annotations

import itertools
from typing import Any

from flask import Flask

from council.actors import SYSTEM
from council.auth.models import User
from council.auth.services import create_user
from council.db import Base, utcnow
from council.extensions import database
from council.orgs.models import Organization
from council.orgs.services import create_org

PASSWORD = "correct horse battery"
# The authenticator secret of every person the factory enrols (platform admins by default:
# the policy requires it of them). Tests compute its codes with pyotp.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
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
             name: str | None = None, password: str = PASSWORD, org_admin: bool = False,
             second_factor: bool | None = None) -> User:
        """A person; platform admins come with a second factor already enrolled (the
        policy requires one), others only with ``second_factor=True``."""
        org = org or self.org()
        n = next(_seq)
        with database(self.app).transaction() as s:
            user = create_user(s, actor=SYSTEM, email=email or f"user{n}@example.org",
                               name=name or f"User {n}", org_id=org.id, role=role, password=password,
                               org_admin=org_admin)
            user.org  # noqa: B018 - load before the session closes
        if second_factor if second_factor is not None else role == "admin":
            self.enrol(user)
        return user

    def enrol(self, user: User, secret: str = TOTP_SECRET) -> None:
        """Give ``user`` a confirmed authenticator with a known secret. Written directly (no
        audit row, no notification): set-up for tests, not the behaviour under test."""
        enrol_known_secret(self.app, user.id, secret)

    def second_factor_mark(self, user: User) -> str:
        """The mark a session gets by entering a code of ``user``'s factor now."""
        from council.auth.mfa import mark_of
        from council.auth.models import SecondFactor

        with database(self.app).session(write=False) as s:
            factor = s.get(SecondFactor, user.id)
            assert factor is not None, "enrol the user first"
            return mark_of(user, factor)

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


def enrol_known_secret(app: Flask, user_id: int, secret: str = TOTP_SECRET) -> None:
    from council.auth.models import SecondFactor
    from council.auth.sealing import seal

    with database(app).transaction() as s:
        factor = s.get(SecondFactor, user_id) or SecondFactor(user_id=user_id, generation=0)
        factor.secret_sealed = seal(s.info["council_keys"]["seal"], secret)
        factor.pending_sealed, factor.pending_at, factor.last_step = None, None, None
        factor.confirmed_at = factor.updated_at = utcnow()
        factor.generation += 1
        s.add(factor)


def totp_code(app: Flask, email: str, secret: str = TOTP_SECRET) -> str:
    """A code the server will take now for ``email``: of a time step after the last one
    used. Tests sign the same person in several times a minute, which a person cannot;
    past the window's three steps the last used step is wound back (test set-up only)."""
    import pyotp
    from sqlalchemy import select

    from council.auth.models import SecondFactor
    from council.auth.totp import WINDOW, step_at

    now = step_at(utcnow())
    with database(app).transaction() as s:
        factor = s.scalars(select(SecondFactor).join(User, User.id == SecondFactor.user_id)
                           .where(User.email == email.lower())).one()
        step = max(now - WINDOW, (factor.last_step or 0) + 1)
        if step > now + WINDOW:
            factor.last_step, step = None, now - WINDOW
    return pyotp.TOTP(secret).generate_otp(step)
