"""Several processes serving one council: control messages and presence.

With one process (no ``COUNCIL_REDIS_URL``) everything lives in this
process's :class:`~council.sockets.Registry`, as it always did
(:class:`LocalCluster`).

With ``COUNCIL_REDIS_URL`` set, Socket.IO emits already travel through
python-socketio's own RedisManager (channel ``<prefix>:socketio``).
:class:`RedisCluster` adds what that manager does not carry:

* **Control messages** — revocations (``revoke_user``, ``revoke_token``) and
  room re-checks (``recheck_room``) — are applied to this process's sockets at
  once and published on ``<prefix>:control``; every other process listens in
  a background task and applies them to its own sockets. Whenever the
  listener (re)subscribes (first start, Redis restarted) the process re-checks
  every local socket itself, because messages published while it was away
  are gone.
* **Presence** — per room a hash ``<prefix>:presence:<room>`` of
  sid -> person and the process holding the socket, written on join, removed
  on leave/disconnect. Each process refreshes ``<prefix>:proc:<id>`` (a key
  with a TTL) and rewrites its own entries on every heartbeat; entries of a
  process whose key has expired (killed with -9, lost its network) are pruned
  when read, and the rooms concerned get a fresh presence broadcast.

The listener and heartbeat start lazily with the first socket connection:
a process without sockets has nothing to revoke and no presence to keep, and
CLI commands that import the app never start background tasks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import secrets
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from council.realtime import Outgoing

if TYPE_CHECKING:
    from flask_socketio import SocketIO

    from council.sockets import Connection, Registry

log = logging.getLogger("council.cluster")

# Kept only a day past the last write, so a room nobody follows leaves nothing behind.
ROOM_KEY_TTL_S = 86400
CONTROL_ACTIONS_FIELDS = ("action", "user_id", "room_id", "token_id")

Applier = Callable[[Outgoing], None]


def person(conn: Connection) -> dict[str, Any]:
    return {"id": conn.user_id, "name": conn.name, "org": conn.org, "org_id": conn.org_id}


class LocalCluster:
    """One process: control messages are applied here, presence is this registry."""

    redis_url: str | None = None

    def __init__(self, reg: Registry, apply: Applier) -> None:
        self.reg = reg
        self.apply = apply
        # Called with a room id when presence changed without a local join/leave
        # (another process died); set by the rooms slice.
        self.presence_changed: Callable[[int], None] | None = None

    def ensure_started(self) -> None:
        """Nothing to start without Redis."""

    def publish(self, item: Outgoing) -> None:
        self.apply(item)

    def joined(self, room_id: int, conn: Connection) -> None:
        """The registry already knows (conn.rooms)."""

    def left(self, room_id: int, sid: str) -> None:
        """The registry already knows."""

    def members(self, room_id: int) -> list[dict[str, Any]]:
        """Every socket following the room, as person dicts (one per socket)."""
        return [person(c) for c in self.reg.matching(room_id=room_id)]


class RedisCluster(LocalCluster):
    """Several processes sharing one Redis (see the module docstring)."""

    def __init__(
        self, reg: Registry, apply: Applier, *, socketio: SocketIO, redis_url: str, prefix: str,
        presence_ttl_s: float, resync: Callable[[], None],
    ) -> None:
        super().__init__(reg, apply)
        import redis

        self.redis_url = redis_url
        self.io = socketio
        self.prefix = prefix
        self.ttl_s = max(1.0, float(presence_ttl_s))
        self.resync = resync
        self.proc = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self.control_channel = f"{prefix}:control"
        self.redis = redis.Redis.from_url(
            redis_url, socket_timeout=5, socket_connect_timeout=3, health_check_interval=15,
        )
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._started = False
        self._start_lock = threading.Lock()

    # --- keys --------------------------------------------------------------------------------

    def room_key(self, room_id: int) -> str:
        return f"{self.prefix}:presence:{room_id}"

    def proc_key(self, proc: str) -> str:
        return f"{self.prefix}:proc:{proc}"

    # --- background tasks ----------------------------------------------------------------------

    def ensure_started(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if self._started:
                return
            self._started = True
        try:
            self.redis.set(self.proc_key(self.proc), "1", ex=math.ceil(self.ttl_s))
        except self._errors as exc:
            log.warning("redis unavailable at start (%s); the heartbeat will retry", exc)
        self.io.start_background_task(self._listen)
        self.io.start_background_task(self._heartbeat)

    def _listen(self) -> None:
        delay = 0.25
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.control_channel)
                delay = 0.25
                # Whatever was published while we were not subscribed is lost:
                # check every local socket against the database instead.
                self._safely(self.resync, "re-check after subscribing")
                self._safely(self._refresh, "presence refresh after subscribing")
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message.get("type") == "message":
                        self._on_message(message["data"])
            except self._errors as exc:
                log.warning("control channel lost (%s); retrying in %.1f s", exc, delay)
            finally:
                with contextlib.suppress(*self._errors):
                    pubsub.close()
            self.io.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _heartbeat(self) -> None:
        while True:
            self.io.sleep(self.ttl_s / 3)
            self._safely(self._refresh, "presence heartbeat")

    def _safely(self, fn: Callable[[], None], what: str) -> None:
        try:
            fn()
        except self._errors as exc:
            log.warning("%s failed: %s", what, exc)
        except Exception:  # a bug in one pass must not end the background task
            log.exception("%s failed", what)

    def _refresh(self) -> None:
        """Say this process is alive; rewrite its presence entries (Redis may have
        restarted empty); prune dead processes' entries in the rooms it serves."""
        rooms: dict[int, dict[str, str]] = {}
        for conn in self.reg.matching():
            for room_id in list(conn.rooms):
                rooms.setdefault(room_id, {})[conn.sid] = self._entry(conn)
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.proc_key(self.proc), "1", ex=math.ceil(self.ttl_s))
        for room_id, entries in rooms.items():
            pipe.hset(self.room_key(room_id), mapping=entries)
            pipe.expire(self.room_key(room_id), ROOM_KEY_TTL_S)
        pipe.execute()
        for room_id in rooms:
            _, pruned = self._read(room_id)
            if pruned and self.presence_changed is not None:
                self.presence_changed(room_id)

    # --- control messages ----------------------------------------------------------------------

    def publish(self, item: Outgoing) -> None:
        self.apply(item)
        message = {k: getattr(item, k) for k in CONTROL_ACTIONS_FIELDS}
        message["from"] = self.proc
        try:
            self.redis.publish(self.control_channel, json.dumps(message))
        except self._errors as exc:
            # Other processes re-check all their sockets when their listener comes back;
            # every socket handler also re-loads its user on each event.
            log.warning("could not publish %s to other processes: %s", item.action, exc)

    def _on_message(self, data: bytes | str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("ignored a malformed control message")
            return
        if not isinstance(message, dict) or message.get("from") == self.proc:
            return
        item = Outgoing(str(message.get("action", "")), user_id=message.get("user_id"),
                        room_id=message.get("room_id"), token_id=message.get("token_id"))
        try:
            self.apply(item)
        except Exception:
            log.exception("applying control message %s failed", item.action)

    # --- presence --------------------------------------------------------------------------

    def _entry(self, conn: Connection) -> str:
        return json.dumps({**person(conn), "proc": self.proc}, separators=(",", ":"))

    def joined(self, room_id: int, conn: Connection) -> None:
        self.ensure_started()
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.hset(self.room_key(room_id), conn.sid, self._entry(conn))
            pipe.expire(self.room_key(room_id), ROOM_KEY_TTL_S)
            pipe.execute()
        except self._errors as exc:
            log.warning("presence not recorded (%s); the heartbeat will", exc)

    def left(self, room_id: int, sid: str) -> None:
        try:
            self.redis.hdel(self.room_key(room_id), sid)
        except self._errors as exc:
            log.warning("presence not removed (%s); the heartbeat will prune it", exc)

    def _read(self, room_id: int) -> tuple[list[dict[str, Any]], bool]:
        raw = self.redis.hgetall(self.room_key(room_id))
        entries: dict[str, dict[str, Any]] = {}
        for sid, value in raw.items():
            try:
                entries[sid.decode()] = json.loads(value)
            except ValueError:
                entries[sid.decode()] = {"proc": ""}
        procs = sorted({e.get("proc", "") for e in entries.values()} - {self.proc})
        alive = {self.proc}
        if procs:
            flags = self.redis.mget([self.proc_key(p) for p in procs])
            alive |= {p for p, flag in zip(procs, flags, strict=True) if flag is not None}
        dead = [sid for sid, e in entries.items()
                if e.get("proc") not in alive or (e.get("proc") == self.proc and not self._follows(sid, room_id))]
        if dead:
            self.redis.hdel(self.room_key(room_id), *dead)
        live = [{k: e[k] for k in ("id", "name", "org", "org_id")} for sid, e in entries.items() if sid not in dead]
        return live, bool(dead)

    def _follows(self, sid: str, room_id: int) -> bool:
        conn = self.reg.get(sid)
        return conn is not None and room_id in conn.rooms

    def members(self, room_id: int) -> list[dict[str, Any]]:
        try:
            return self._read(room_id)[0]
        except self._errors as exc:
            log.warning("presence read from this process only (%s)", exc)
            return super().members(room_id)
