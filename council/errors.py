"""Domain errors raised by services.

No Flask here (only gettext): each interface (pages, REST, sockets, CLI) has one handler that
turns these into its own answer (404 page, JSON body, socket ack, stderr line).
Messages are in the reader's language (gettext where they are raised; outside a
request, gettext answers in the deployment's language, or English outside an app).
"""

from __future__ import annotations

from flask_babel import gettext as _


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(DomainError):
    """Absent, or present but invisible to the caller (the two are never told apart)."""

    status = 404

    def __init__(self, message: str | None = None) -> None:
        super().__init__(_("Not found.") if message is None else message)


class Forbidden(DomainError):
    """Visible to the caller, but this action is not theirs to take."""

    status = 403


class Conflict(DomainError):
    """The action clashes with the current state (duplicate, stale version, closed)."""

    status = 409


class Invalid(DomainError):
    """Input failed validation; ``fields`` maps field names to messages."""

    status = 422


class Unauthorized(DomainError):
    """No valid credentials."""

    status = 401


class Gone(DomainError):
    """The row exists but what it stands for is no longer there (a file's content lost on disk)."""

    status = 410


def N_(text: str) -> str:
    """Marks a message kept in English (a module constant that tests and callers compare) for
    the catalogue; it is translated where it is answered: ``_(GENERIC_FAILURE)``."""
    return text
