"""Several real app processes on real PostgreSQL and Redis.

Every test here is marked ``scale``. The whole folder is skipped, with the
reason in the summary, when PostgreSQL (``COUNCIL_TEST_PG``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) or Redis
(``COUNCIL_TEST_REDIS``, default ``redis://127.0.0.1:6379/0``) cannot be
reached; ``.ci/run`` starts both.

Each test gets its own PostgreSQL database (``council_test_<random>``,
migrated to head, dropped afterwards, even if processes still hold
connections) and its own Redis prefix (keys deleted afterwards). ``cluster``
starts ``python -m council.server`` processes on free ports exactly as an
operator would (gevent, Redis message queue, the scheduler running in each).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN_URL = os.environ.get("COUNCIL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("COUNCIL_TEST_REDIS", "redis://127.0.0.1:6379/0")
START_TIMEOUT_S = 30.0
SECRET = "scale-tests-secret-key"
PASSWORD = "correct horse battery"
_seq = itertools.count(1)


def _pg_problem() -> str | None:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        return f"PostgreSQL unreachable at {PG_ADMIN_URL} ({str(exc).strip().splitlines()[0]})"
    return None


def _redis_problem() -> str | None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2).ping()
    except Exception as exc:
        return f"Redis unreachable at {REDIS_URL} ({exc})"
    return None


_PROBLEMS: list[str] | None = None


def problems() -> list[str]:
    global _PROBLEMS
    if _PROBLEMS is None:
        _PROBLEMS = [p for p in (_pg_problem(), _redis_problem()) if p]
    return _PROBLEMS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    mine = [item for item in items if Path(str(item.fspath)).is_relative_to(here)]
    if not mine:
        return
    found = problems()
    skip = pytest.mark.skip(reason="scale tests need PostgreSQL and Redis: " + "; ".join(found)) if found else None
    for item in mine:
        item.add_marker(pytest.mark.scale)
        if skip is not None:
            item.add_marker(skip)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a fresh database per test ------------------------------------------------------------

def _admin_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql)


def database_url(name: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new PostgreSQL database migrated to head (dropped afterwards)."""
    from council.migrate import upgrade

    name = f"council_test_{secrets.token_hex(6)}"
    _admin_exec(f'CREATE DATABASE "{name}"')
    try:
        url = database_url(name)
        upgrade(url)
        yield url
    finally:
        _admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis prefix of this test's own; its keys are deleted afterwards."""
    import redis

    value = f"council-test-{secrets.token_hex(6)}"
    yield value
    client = redis.Redis.from_url(REDIS_URL)
    with contextlib.suppress(redis.RedisError):
        keys = list(client.scan_iter(f"{value}:*"))
        if keys:
            client.delete(*keys)
    client.close()


# --- people and rooms, written by an in-process app on the same database -------------------

@dataclass
class Person:
    id: int
    email: str
    token: str
    token_id: int
    org_id: int


@dataclass
class World:
    app: Flask
    org_id: int = 0
    admin: Person | None = None
    people: list[Person] = field(default_factory=list)

    def person(self, *, role: str = "member") -> Person:
        from council.actors import SYSTEM
        from council.auth.services import create_user
        from council.auth.tokens import create_token
        from council.extensions import database

        n = next(_seq)
        with database(self.app).transaction() as s:
            user = create_user(s, actor=SYSTEM, email=f"scale{n}-{secrets.token_hex(3)}@example.org",
                               name=f"Scale User {n:03d}", org_id=self.org_id, role=role, password=PASSWORD)
            token, text = create_token(s, actor=SYSTEM, user=user, label="scale")
            person = Person(user.id, user.email, text, token.id, self.org_id)
        self.people.append(person)
        return person

    def room(self, lead: Person, title: str = "Scale room") -> int:
        from council.auth.models import User
        from council.extensions import database
        from council.rooms.services import create_room

        with database(self.app).transaction() as s:
            room = create_room(s, actor=s.get(User, lead.id), title=title, severity="high", tlp="GREEN",
                               org_ids=[self.org_id])
            return room.id

    def session(self) -> Any:
        from council.extensions import database

        return database(self.app).session(write=False)


def make_world(pg_url: str, tmp_path: Path) -> World:
    from council import create_app
    from council.actors import SYSTEM
    from council.extensions import database
    from council.orgs.services import create_org

    app = create_app({
        "COUNCIL_DATABASE_URL": pg_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "threading",
        "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True,
    })
    with database(app).transaction() as s:
        org = create_org(s, actor=SYSTEM, name=f"Scale CERT {secrets.token_hex(3)}", tier="national")
        org_id = org.id
    world = World(app, org_id)
    world.admin = world.person(role="admin")
    return world


@pytest.fixture
def world(pg_url: str, tmp_path: Path) -> Iterator[World]:
    from council.extensions import database

    w = make_world(pg_url, tmp_path)
    yield w
    database(w.app).dispose()


# --- app processes --------------------------------------------------------------------------

@dataclass
class Server:
    port: int
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "council.server", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )
        self.wait_healthy()
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)  # polling another process: there is no event to wait on
        raise RuntimeError(f"server on {self.port} not healthy within {START_TIMEOUT_S:.0f} s:\n{self.output()}")

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Cluster:
    def __init__(self, tmp_path: Path, pg_url: str, prefix: str) -> None:
        self.tmp_path, self.pg_url, self.prefix = tmp_path, pg_url, prefix
        self.servers: list[Server] = []

    def start(self, n: int = 2, *, redis_url: str = REDIS_URL, **extra: str) -> list[Server]:
        started = []
        for _ in range(n):
            env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "FLASK_"))}
            env.update({
                "COUNCIL_DATABASE_URL": self.pg_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "gevent",
                "COUNCIL_REDIS_URL": redis_url, "COUNCIL_REDIS_PREFIX": self.prefix,
                "COUNCIL_PRESENCE_TTL_S": "3", "PYTHONUNBUFFERED": "1", **extra,
            })
            index = len(self.servers)
            server = Server(free_port(), env, self.tmp_path / f"server{index}.log")
            self.servers.append(server)
            started.append(server)
        # Start them side by side: each takes a second or two to import.
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_collect, args=(errors, s.start)) for s in started]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return started

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {s.log.name} ---\n{s.output()[-4000:]}" for s in self.servers)


def _collect(errors: list[BaseException], fn: Any) -> None:
    try:
        fn()
    except BaseException as exc:
        errors.append(exc)


@pytest.fixture
def cluster(tmp_path: Path, pg_url: str, prefix: str) -> Iterator[Cluster]:
    c = Cluster(tmp_path, pg_url, prefix)
    yield c
    c.stop()


# --- socket clients -----------------------------------------------------------------------

class Client:
    """A python-socketio client over the websocket transport, recording what arrives."""

    def __init__(self, url: str, token: str, *, reconnection: bool = False) -> None:
        import socketio

        self.token = token
        self.sio = socketio.Client(reconnection=reconnection)
        self.lock = threading.Condition()
        self.events: list[dict[str, Any]] = []
        self.presence: list[dict[str, Any]] = []
        self.removed: list[dict[str, Any]] = []
        self.disconnected = threading.Event()
        self.sio.on("event", self._on_event)
        self.sio.on("presence", self._on_presence)
        self.sio.on("removed", self._on_removed)
        self.sio.on("disconnect", lambda *a: self.disconnected.set())
        self.connect(url)

    def connect(self, url: str) -> None:
        self.url = url
        self.disconnected.clear()
        self.sio.connect(url, auth={"token": self.token}, transports=["websocket"], wait_timeout=10)

    def _on_event(self, ev: dict[str, Any]) -> None:
        with self.lock:
            self.events.append(ev)
            self.lock.notify_all()

    def _on_presence(self, p: dict[str, Any]) -> None:
        with self.lock:
            self.presence.append(p)
            self.lock.notify_all()

    def _on_removed(self, r: dict[str, Any]) -> None:
        with self.lock:
            self.removed.append(r)
            self.lock.notify_all()

    def call(self, event: str, data: dict[str, Any], timeout: float = 15) -> Any:
        return self.sio.call(event, data, timeout=timeout)

    def join(self, room: int, since: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {"room": room}
        if since is not None:
            data["since"] = since
        return self.call("join", data)

    def post(self, room: int, body: str, client_id: str | None = None) -> dict[str, Any]:
        return self.call("post", {"room": room, "kind": "message", "body": body,
                                  "client_id": client_id or secrets.token_hex(8)})

    def wait_for(self, predicate: Any, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
        return True

    def seqs(self, room: int) -> list[int]:
        with self.lock:
            return [e["seq"] for e in self.events if e["room"] == room]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sio.disconnect()


@pytest.fixture
def clients() -> Iterator[list[Client]]:
    """Clients appended here are disconnected after the test."""
    made: list[Client] = []
    yield made
    close_all(made)


def close_all(made: list[Client]) -> None:
    """Disconnect side by side (each sync client's disconnect waits ~2 s for its threads)."""
    threads = [threading.Thread(target=c.close) for c in made]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)


class Feed:
    """What static/js/room.js does with what arrives: apply events in seq order,
    hold those behind a gap, drop the ones already applied or held."""

    def __init__(self, shown: int = 0) -> None:
        self.shown = shown
        self.held: dict[int, dict[str, Any]] = {}
        self.applied: list[int] = []
        self.dropped = 0

    def add(self, event: dict[str, Any]) -> None:
        seq = event["seq"]
        if seq <= self.shown or seq in self.held:
            self.dropped += 1
            return
        self.held[seq] = event
        while self.shown + 1 in self.held:
            self.held.pop(self.shown + 1)
            self.shown += 1
            self.applied.append(self.shown)

    def add_all(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            self.add(event)


class RedisServer:
    """A redis-server of the test's own (so restarting it disturbs no one else)."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.dir = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.5).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)  # waiting for another process to listen
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("needs the redis-server binary to restart a Redis of its own")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
