"""Events queued during a transaction and sent only after it commits.

Services call :func:`queue`; they never talk to Socket.IO. The caller that
commits calls :func:`flush` afterwards, so a client can never receive an event
the database does not hold, and a rolled-back transaction sends nothing.
Socket disconnects for users who lost rights go the same way (``kick``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

OUTBOX = "council_outbox"


@dataclass(frozen=True)
class Outgoing:
    """One message for the socket layer: an emit to a channel, or a revocation."""

    action: str  # "emit" | "revoke_user" | "revoke_token" | "recheck_room" | a slice's own
    event: str = ""
    payload: Any = None
    to: str | None = None
    user_id: int | None = None
    room_id: int | None = None
    token_id: int | None = None


# Gets everything one committed transaction queued, in order (it may group emits).
Sender = Callable[[list[Outgoing]], None]
SENDER = "council_sender"


def queue(session: Session, item: Outgoing) -> None:
    session.info.setdefault(OUTBOX, []).append(item)


def emit(session: Session, event: str, payload: Any, to: str) -> None:
    queue(session, Outgoing("emit", event=event, payload=payload, to=to))


def revoke_user(session: Session, user_id: int) -> None:
    """Every open socket of this user is disconnected after commit."""
    queue(session, Outgoing("revoke_user", user_id=user_id))


def revoke_token(session: Session, token_id: int) -> None:
    queue(session, Outgoing("revoke_token", token_id=token_id))


def recheck_room(session: Session, room_id: int) -> None:
    """After commit, sockets following this room are checked again; those
    whose user may no longer see it leave it (TLP tightened, member removed)."""
    queue(session, Outgoing("recheck_room", room_id=room_id))


def flush(session: Session) -> None:
    """Send what the committed transaction queued; called after commit only."""
    items: list[Outgoing] = session.info.pop(OUTBOX, [])
    sender: Sender | None = session.info.get(SENDER)
    if sender is None or not items:
        return
    sender(items)


def discard(session: Session) -> None:
    session.info.pop(OUTBOX, None)
