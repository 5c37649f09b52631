"""Users, API tokens and the per-address sign-in throttle."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from council.db import Base, utcnow
from council.orgs.models import Organization

ROLES: dict[str, str] = {"admin": "Platform admin", "member": "Member"}


class User(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint("role IN ('admin', 'member')", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so the unique index is case-insensitive on every engine.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # What others type after "@" to mention this person (council/names.py makes it).
    handle: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    role: Mapped[str] = mapped_column(String(10), default="member")
    # An organisation admin answers for their organisation: overdue acknowledgements escalate to them.
    org_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    # Bumped by logout, password change and deactivation: every session and
    # remember cookie carries the version it was issued with and dies with it.
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The interface language the person chose (council/i18n.py: "en", "ur"); None: their
    # browser's Accept-Language, then COUNCIL_LANGUAGE.
    language: Mapped[str | None] = mapped_column(String(8))

    org: Mapped[Organization] = relationship(lazy="joined")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    label: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class LoginThrottle(Base):
    """Failed sign-ins counted per client address, across accounts."""

    __tablename__ = "login_throttles"

    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


class LoginBucket(Base):
    """Failed sign-ins of one account from one address. Lockout is per bucket, so
    an attacker elsewhere slows only themselves and never locks the person out."""

    __tablename__ = "login_buckets"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SecondFactor(Base):
    """A person's TOTP authenticator (RFC 6238).

    Secrets are sealed (AES-GCM under a key derived from the app's secret key,
    council/auth/sealing.py): a copy of the database alone does not let anyone
    compute the codes. ``generation`` changes whenever the factor does (enrolled,
    replaced, removed, reset); a session's "verified" mark names the generation
    it verified, so a change voids every earlier mark at once.
    """

    __tablename__ = "second_factors"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret_sealed: Mapped[str | None] = mapped_column(String(255))  # the confirmed secret
    pending_sealed: Mapped[str | None] = mapped_column(String(255))  # shown, not yet confirmed
    pending_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    # The last time step (unix time // 30) whose code was accepted: no code is taken twice.
    last_step: Mapped[int | None]
    generation: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def enrolled(self) -> bool:
        return self.secret_sealed is not None


class RecoveryCode(Base):
    """A one-time recovery code, stored only as a keyed hash (HMAC-SHA256)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
