"""Fixtures of the core's tests: socket test clients with a mailbox, the reporting chain."""

from __future__ import annotations

import itertools

import pytest

from council.extensions import socketio
from council.reporting import regimes

_ids = itertools.count(1)


def cid() -> str:
    return f"client-{next(_ids)}"


class Sock:
    """A socket test client with a mailbox: messages are drained once and kept by name."""

    def __init__(self, raw):
        self.raw = raw

    def join(self, room_id, **extra):
        return self.raw.emit("join", {"room": room_id, **extra}, callback=True)

    def leave(self, room_id):
        return self.raw.emit("leave", {"room": room_id}, callback=True)

    def post(self, room_id, kind="message", client_id=None, **fields):
        payload = {"room": room_id, "kind": kind, **fields}
        payload["client_id"] = client_id if client_id is not None else cid()
        return self.raw.emit("post", payload, callback=True)

    def inbox(self) -> dict[str, list]:
        out: dict[str, list] = {}
        for message in self.raw.get_received():
            out.setdefault(message["name"], []).append(message["args"][0])
        return out

    def events(self, room_id=None) -> list[dict]:
        """Drain the mailbox; the `event` messages (of one room, if given)."""
        return [e for e in self.inbox().get("event", []) if room_id is None or e["room"] == room_id]

    def drain(self) -> None:
        self.raw.get_received()

    @property
    def connected(self) -> bool:
        return self.raw.is_connected()


@pytest.fixture
def connect(app, make):
    opened = []

    def _connect(user=None, *, token=None, **kwargs):
        if user is not None and token is None and "flask_test_client" not in kwargs:
            token = make.api_token(user, "socket")[1]
        if token is not None:
            kwargs["auth"] = {"token": token}
        raw = socketio(app).test_client(app, **kwargs)
        opened.append(raw)
        return Sock(raw)

    yield _connect
    for raw in opened:
        if raw.is_connected():
            raw.disconnect()


@pytest.fixture
def chain(make):
    """National CERT > Banking Sector CERT > Indus Bank; a sibling sector; an unrelated org."""
    class C:
        national = make.org("National CERT R", tier="national")
        banking = make.org("Banking CERT R", parent=national, sector="banking-finance")
        bank = make.org("Indus Bank R", tier="organizational", parent=banking, sector="banking-finance")
        telco = make.org("Telecom CERT R", parent=national, sector="telecom")
        outside = make.org("Outside CERT R", sector="energy")
        duty = make.user("duty@r.example", org=national)
        admin = make.user("admin@r.example", org=national, role="admin")
        reviewer = make.user("rev@r.example", org=banking)
        reporter = make.user("csirt@r.example", org=bank)
        colleague = make.user("colleague@r.example", org=bank)
        sibling = make.user("telco@r.example", org=telco)
        stranger = make.user("stranger@r.example", org=outside)
        platform_admin = make.user("padmin@r.example", org=outside, role="admin")
    make.run(regimes.save_version, actor=None, **regimes.BASELINE)
    make.run(regimes.save_version, actor=None, **regimes.BANKING)
    return C
