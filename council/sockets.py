"""The Socket.IO connection layer: who is connected, as whom, with what rights.

Connect authenticates by the session cookie or ``auth={"token": …}`` and
checks the Origin. Handlers never trust the snapshot taken at connect: each
event re-loads the user (session version, active flag, token) through
:func:`connection_user`, and revocations queued by services disconnect the
affected sockets as soon as the change commits — in every process when
``COUNCIL_REDIS_URL`` is set (see cluster.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from flask_login import current_user
from flask_socketio import SocketIO, join_room
from sqlalchemy.orm import Session

from council.auth.assurance import must_enrol, note_browser_session
from council.auth.login import second_factor_mark
from council.auth.models import User
from council.auth.signin import load_session_user
from council.auth.tokens import resolve_token
from council.cluster import LocalCluster, RedisCluster
from council.extensions import settings
from council.observability import instruments, logs
from council.realtime import Outgoing, Sender

BURST = 50
RATE_PER_S = 10.0


@dataclass
class Bucket:
    """Token bucket: a burst of ``BURST`` is always served, then ``RATE_PER_S``."""

    tokens: float = BURST
    stamp: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(BURST, self.tokens + (now - self.stamp) * RATE_PER_S)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


@dataclass
class Connection:
    sid: str
    user_id: int
    session_version: int
    token_id: int | None
    name: str = ""
    org_id: int = 0
    org: str = ""
    rooms: set[int] = field(default_factory=set)
    # The session's second-factor mark at connect (council/auth/mfa.py): a TLP:RED room
    # is joined only with a valid one. A page that verified later opens a new socket.
    second_factor: str = ""
    # Per room, the audience channels joined beside room:<id> (see rooms/audience.py).
    channels: dict[int, set[str]] = field(default_factory=dict)
    # Rooms this socket follows in batches ("events" lists, see room_channels).
    batched: set[int] = field(default_factory=set)
    bucket: Bucket = field(default_factory=Bucket)


class Registry:
    """This process's open connections, indexed for revocation."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_sid: dict[str, Connection] = {}
        # Outgoing actions other slices handle (e.g. "recheck_room" from rooms).
        self.handlers: dict[str, Callable[[Outgoing], None]] = {}
        self.disconnect_hooks: list[Callable[[Connection], None]] = []
        # Control messages and presence: this process only, or all of them (cluster.py).
        self.cluster: LocalCluster = LocalCluster(self, lambda _item: None)

    def add(self, conn: Connection) -> None:
        with self._lock:
            self.by_sid[conn.sid] = conn

    def remove(self, sid: str) -> Connection | None:
        with self._lock:
            return self.by_sid.pop(sid, None)

    def get(self, sid: str) -> Connection | None:
        return self.by_sid.get(sid)

    def matching(
        self, *, user_id: int | None = None, token_id: int | None = None, room_id: int | None = None,
    ) -> list[Connection]:
        with self._lock:
            conns = list(self.by_sid.values())
        return [
            c for c in conns
            if (user_id is None or c.user_id == user_id) and (token_id is None or c.token_id == token_id)
            and (room_id is None or room_id in c.rooms)
        ]


def registry(app: Flask | None = None) -> Registry:
    from flask import current_app

    return (app or current_app).extensions["council_sockets"]


def room_channel(room_id: int) -> str:
    return f"room:{room_id}"


BATCH = "batch:"


def room_channels(room_id: int, audiences: set[str], *, batched: bool) -> list[str]:
    """The Socket.IO rooms a socket following ``room_id`` joins: the room's
    channel and one per audience key; with the ``batch:`` prefix for sockets
    that asked for batches. Every committed transaction sends its room events
    to ``room:…`` channels one ``event`` at a time and to the ``batch:room:…``
    twins as one ``events`` list: under load a group-committed batch then costs
    each batching receiver one message instead of one per event."""
    base = room_channel(room_id)
    names = [base, *(f"{base}:{key}" for key in sorted(audiences))]
    return [BATCH + name for name in names] if batched else names


def origin_allowed(origin: str | None, host_url: str, allowed: tuple[str, ...]) -> bool:
    """No Origin (non-browser clients) passes; a browser's must be listed, or
    be the app's own origin when nothing is listed."""
    if not origin:
        return True
    origin = origin.rstrip("/")
    if allowed:
        return origin in allowed
    return origin == host_url.rstrip("/")


def connection_user(session: Session, sid: str) -> User | None:
    """The user behind socket ``sid`` *now*, or None if their rights are gone."""
    conn = registry().get(sid)
    if conn is None:
        return None
    user = load_session_user(session, conn.user_id, conn.session_version)
    if user is None or not _token_valid(session, conn.token_id):
        return None
    # A browser's socket sees TLP:RED only after its session's step-up; a token's always.
    note_browser_session(session, user.id, conn.second_factor if conn.token_id is None else None)
    return user


def _authenticate(auth: Any) -> tuple[User, int | None] | None:
    from council.web import db

    token_text = auth.get("token") if isinstance(auth, dict) else None
    if token_text:
        token = resolve_token(db(), str(token_text))
        return (token.user, token.id) if token else None
    if current_user.is_authenticated:
        if must_enrol(db(), current_user.user, settings().mfa):
            return None  # as pages: nothing before the second factor is set up
        return current_user.user, None
    return None


def _token_valid(session: Session, token_id: int | None) -> bool:
    if token_id is None:
        return True
    from council.auth.models import ApiToken

    token = session.get(ApiToken, token_id)
    if token is not None:
        # Kept for the session's life (the identity map holds rows weakly): a
        # group-committed batch checks the same token for each of its posts.
        session.info.setdefault("council_tokens", {})[token_id] = token
    return token is not None and token.revoked_at is None


def check_local_connections(app: Flask, socketio: SocketIO, reg: Registry) -> None:
    """Re-check every socket of this process against the database: disconnect
    those whose user or token lost its rights, re-check the rooms they follow.
    Run when revocations published by other processes may have been missed."""
    conns = reg.matching()
    if not conns:
        return
    from council.extensions import database

    gone: list[str] = []
    with app.app_context():
        session = database(app).session(write=False)
        try:
            for conn in conns:
                user = load_session_user(session, conn.user_id, conn.session_version)
                if user is None or not _token_valid(session, conn.token_id):
                    gone.append(conn.sid)
        finally:
            session.close()
    for sid in gone:
        socketio.server.disconnect(sid, namespace="/")
    rooms = {room_id for conn in reg.matching() for room_id in conn.rooms}
    for room_id in sorted(rooms):
        apply_local(socketio, reg, Outgoing("recheck_room", room_id=room_id))


def register(socketio: SocketIO, app: Flask) -> Registry:
    reg = app.extensions["council_sockets"] = Registry()
    conf = app.extensions["council_settings"]

    def apply(item: Outgoing) -> None:
        apply_local(socketio, reg, item)

    if conf.redis_url:
        reg.cluster = RedisCluster(
            reg, apply, socketio=socketio, redis_url=conf.redis_url, prefix=conf.redis_prefix,
            presence_ttl_s=conf.presence_ttl_s, resync=lambda: check_local_connections(app, socketio, reg),
        )
    else:
        reg.cluster = LocalCluster(reg, apply)

    @socketio.on_error_default
    def on_error(exc: BaseException) -> Any:
        """The database is unreachable: refuse the connection, or answer the
        event's ack with a clear error (the transaction was rolled back)."""
        from council.web import DB_UNAVAILABLE, is_db_unavailable

        if not is_db_unavailable(exc):
            raise exc
        app.logger.warning("socket event refused, database unavailable: %s", type(exc).__name__)
        event = getattr(request, "event", None) or {}
        if event.get("message") == "connect":
            raise ConnectionRefusedError(DB_UNAVAILABLE)
        return {"ok": False, "error": DB_UNAVAILABLE, "unavailable": True}

    @socketio.on("connect")
    def on_connect(auth: Any = None) -> bool:
        if not origin_allowed(request.headers.get("Origin"), request.host_url,
                              settings().allowed_origins):
            return False
        who = _authenticate(auth)
        if who is None:
            return False
        user, token_id = who
        reg.add(Connection(request.sid, user.id, user.session_version, token_id,  # type: ignore[attr-defined]
                           name=user.name, org_id=user.org_id, org=user.org.name,
                           second_factor="" if token_id is not None else second_factor_mark()))
        instruments.SOCKETS_LIVE.inc()
        logs.sockets_log.info("socket connected", extra={"request_id": logs.new_request_id(), "event": "connect",
                                                         "user_id": user.id, "org_id": user.org_id})
        reg.cluster.ensure_started()
        # The person's own channel (notifications): joined here, never on a client's word.
        join_room(f"user:{user.id}")
        return True

    @socketio.on("disconnect")
    def on_disconnect(*_args: Any) -> None:
        conn = reg.remove(request.sid)  # type: ignore[attr-defined]
        if conn is not None:
            instruments.SOCKETS_LIVE.dec()
            logs.sockets_log.info("socket disconnected", extra={"event": "disconnect", "user_id": conn.user_id,
                                                                "org_id": conn.org_id})
            for room_id in conn.rooms:
                reg.cluster.left(room_id, conn.sid)
            for hook in reg.disconnect_hooks:
                hook(conn)

    return reg


INTERNAL = {"ok": False, "error": "Internal error: the request was not carried out. Try again."}


def acked(socketio: SocketIO, name: str) -> Callable[[Callable[[Any], dict[str, Any]]], Any]:
    """Register a client -> server event whose every call gets an answer: with or
    without arguments, on a refusal ({"ok": false, "error", "fields"?}), with the
    database away ({"ok": false, "unavailable": true}) or on a bug (logged) — a
    client never waits for an ack that will not come."""
    from council.errors import DomainError
    from council.web import DB_UNAVAILABLE, is_db_unavailable

    def wrap(fn: Callable[[Any], dict[str, Any]]) -> Any:
        def handler(*args: Any) -> dict[str, Any]:
            conn = registry().get(request.sid)  # type: ignore[attr-defined]
            user_id, org_id = (conn.user_id, conn.org_id) if conn is not None else (None, None)
            with logs.socket_event(name, user_id, org_id) as outcome:
                answer = _answer(fn, args)
                outcome["ok"] = answer.get("ok") if isinstance(answer, dict) else None
                return answer

        def _answer(fn: Callable[[Any], dict[str, Any]], args: tuple[Any, ...]) -> dict[str, Any]:
            try:
                return fn(args[0] if args else None)
            except DomainError as err:
                out: dict[str, Any] = {"ok": False, "error": err.message}
                if err.fields:
                    out["fields"] = err.fields
                return out
            except Exception as exc:
                from flask import current_app

                if is_db_unavailable(exc):
                    current_app.logger.warning("socket %s refused, database unavailable", name)
                    return {"ok": False, "error": DB_UNAVAILABLE, "unavailable": True}
                current_app.logger.exception("socket event %s failed", name)
                return INTERNAL

        handler.__name__ = f"on_{name}"
        socketio.on_event(name, handler)
        return fn

    return wrap


def rate_limited(sid: str) -> bool:
    """True when this connection has spent its burst and must be refused."""
    conn = registry().get(sid)
    return conn is not None and not conn.bucket.take()


def apply_local(socketio: SocketIO, reg: Registry, item: Outgoing) -> None:
    """Apply a control message (revocation, room re-check) to this process's sockets."""
    if item.action == "revoke_user":
        for conn in reg.matching(user_id=item.user_id):
            socketio.server.disconnect(conn.sid, namespace="/")
    elif item.action == "revoke_token":
        for conn in reg.matching(token_id=item.token_id):
            socketio.server.disconnect(conn.sid, namespace="/")
    elif item.action in reg.handlers:
        reg.handlers[item.action](item)


def make_sender(socketio: SocketIO, reg: Registry) -> Sender:
    """Deliver what committed transactions queued: emits (through Socket.IO's
    message queue when there is one) and control messages (to every process)."""

    def send(items: list[Outgoing]) -> None:
        batches: dict[str, list[Any]] = {}
        for item in items:
            if item.action == "emit":
                socketio.emit(item.event, item.payload, to=item.to)
                instruments.SOCKET_EVENTS_OUT.labels(item.event).inc()
                if item.event == "event" and item.to and item.to.startswith("room:"):
                    batches.setdefault(item.to, []).append(item.payload)
            else:
                reg.cluster.publish(item)
        for channel, events in batches.items():
            socketio.emit("events", {"room": events[0]["room"], "events": events}, to=BATCH + channel)
            instruments.SOCKET_EVENTS_OUT.labels("events").inc()

    return send
