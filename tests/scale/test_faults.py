"""Faults with real processes: kill -9 of an app process in a live room,
Redis restarted mid-run, and 300 clients reconnecting at once. In every case
the clients end with every event of the room once, in seq order (they resume
by ``since`` as static/js/room.js does), and the record has no gap."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
from typing import Any

import requests
from sqlalchemy import text

from council.audit.services import verify
from tests.scale.conftest import Client, Cluster, Feed, RedisServer, World
from tests.scale.test_cluster_realtime import _csrf, sign_in


class Poster:
    """Posts messages through REST on one process, in a thread, until stopped."""

    def __init__(self, url: str, token: str, room: int, every_s: float = 0.05) -> None:
        self.url, self.room, self.every_s = url, room, every_s
        self.web = requests.Session()
        self.web.headers["Authorization"] = f"Bearer {token}"
        self.seqs: list[int] = []
        self.failures: list[str] = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run)
        self.n = 0

    def post_one(self) -> int | None:
        self.n += 1
        answer = self.web.post(f"{self.url}/api/v1/rooms/{self.room}/events", timeout=10,
                               json={"kind": "message", "body": f"update {self.n}", "client_id": f"p{self.n}"})
        if answer.status_code != 201:
            self.failures.append(f"{answer.status_code} {answer.text[:200]}")
            return None
        self.seqs.append(answer.json()["seq"])
        return self.seqs[-1]

    def run(self) -> None:
        while not self.stopped.is_set():
            self.post_one()
            self.stopped.wait(self.every_s)

    def __enter__(self) -> Poster:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopped.set()
        self.thread.join(30)


def run_in_own_loop(make: Any) -> None:
    """asyncio.run in a thread of its own: the browser tests' Playwright keeps an
    event loop running in the main thread for the whole session."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(make())
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def last_seq(world: World, room: int) -> int:
    with world.session() as s:
        return s.execute(text("SELECT last_seq FROM rooms WHERE id = :r"), {"r": room}).scalar_one()


def record_is_whole(world: World, room: int) -> list[int]:
    with world.session() as s:
        seqs = s.execute(text("SELECT seq FROM room_events WHERE room_id = :r ORDER BY seq"), {"r": room}).scalars()
        seqs = list(seqs)
        assert verify(s).ok
    assert seqs == list(range(1, len(seqs) + 1))
    return seqs


def joined(client: Client, room: int, feed: Feed, since: int | None = None) -> None:
    ack = client.join(room, since)
    assert ack["ok"], ack
    assert not ack["has_more"]
    feed.add_all(ack["events"])


def test_kill_9_of_one_process_during_a_live_room_loses_and_doubles_nothing(
        cluster: Cluster, world: World, clients):
    a, b = cluster.start(2)
    lead = world.person()
    room = world.room(lead)
    people = [world.person() for _ in range(6)]
    on_a = [Client(a.url, p.token) for p in people[:4]]
    on_b = [Client(b.url, p.token) for p in people[4:]]
    clients.extend(on_a + on_b)
    feeds = {id(c): Feed() for c in on_a + on_b}
    for c in on_a + on_b:
        joined(c, room, feeds[id(c)])
    with Poster(b.url, lead.token, room) as poster:
        assert all(c.wait_for(lambda c: len(c.events) >= 5) for c in on_a)
        a.kill9()
        for c in on_a:
            assert c.disconnected.wait(10)
        # What each client holds when its connection died decides its `since`.
        for c in on_a:
            feeds[id(c)].add_all(list(c.events))
        time.sleep(0.5)  # the room moves on while A's clients are away
        a.start()  # restarted on the same port
        for i, c in enumerate(on_a):
            c.connect((a, b)[i % 2].url)  # half to the restarted process, half to the survivor
            joined(c, room, feeds[id(c)], since=feeds[id(c)].shown)
        time.sleep(0.5)
    assert not poster.failures, poster.failures
    end = last_seq(world, room)
    for c in on_a + on_b:
        assert c.wait_for(lambda c: end in c.seqs(room)), cluster.logs()
        feed = feeds[id(c)]
        feed.add_all(list(c.events))
        assert feed.applied == list(range(1, end + 1)) and not feed.held
    assert record_is_whole(world, room)[-1] == end


def test_redis_restarted_mid_run_delivery_and_control_recover_without_restarting_the_app(
        cluster: Cluster, world: World, own_redis: RedisServer, clients):
    a, b = cluster.start(2, redis_url=own_redis.url)
    lead, x = world.person(), world.person()
    room = world.room(lead)
    readers = [Client(a.url, lead.token), Client(b.url, lead.token)]
    doomed = Client(a.url, x.token)  # its token is revoked on B after the restart
    clients.extend([*readers, doomed])
    feeds = {id(c): Feed() for c in readers}
    for c in readers:
        joined(c, room, feeds[id(c)])
    poster = Poster(b.url, lead.token, room)
    for _ in range(5):
        poster.post_one()
    assert all(c.wait_for(lambda c: poster.seqs[-1] in c.seqs(room)) for c in readers)

    own_redis.stop()
    for _ in range(5):  # the record takes them; live delivery may drop them
        poster.post_one()
        time.sleep(0.4)
    assert not poster.failures, poster.failures
    own_redis.start()

    # Delivery comes back by itself (python-socketio's manager re-subscribes).
    deadline = time.monotonic() + 30
    recovered = False
    while time.monotonic() < deadline and not recovered:
        seq = poster.post_one()
        recovered = all(c.wait_for(lambda c, seq=seq: seq in c.seqs(room), timeout=1.0) for c in readers)
    assert recovered, cluster.logs()
    # Clients that saw a gap resync by seq, as room.js does.
    end = last_seq(world, room)
    for c in readers:
        feed = feeds[id(c)]
        feed.add_all(list(c.events))
        missed = end - feed.shown
        print(f"live delivery missed {missed} event(s) across the Redis restart; resync by since")
        joined(c, room, feed, since=feed.shown)
        assert feed.applied == list(range(1, end + 1)) and not feed.held
    assert record_is_whole(world, room)[-1] == end
    # The control channel is back too: a revocation on B reaches the socket on A.
    web = sign_in(b.url, x.email)
    csrf = _csrf(web.get(b.url + "/account", timeout=10).text)
    assert web.post(f"{b.url}/account/tokens/{x.token_id}/revoke", data={"csrf_token": csrf},
                    timeout=10).status_code == 200
    assert doomed.disconnected.wait(10), cluster.logs()


STORM = 300


def test_a_reconnect_storm_of_300_clients_with_since_catches_every_client_up(cluster: Cluster, world: World):
    import socketio

    a, b = cluster.start(2)
    lead = world.person()
    room = world.room(lead)
    people = [world.person() for _ in range(10)]

    async def storm() -> None:
        socks = [socketio.AsyncClient(reconnection=False) for _ in range(STORM)]
        shown: list[int] = [0] * STORM

        async def connect_and_join(i: int, since: int | None) -> dict:
            server = (a, b)[i % 2]
            await socks[i].connect(server.url, auth={"token": people[i % len(people)].token},
                                   transports=["websocket"], wait_timeout=30)
            data = {"room": room} if since is None else {"room": room, "since": since}
            return await socks[i].call("join", data, timeout=60)

        acks = await asyncio.gather(*(connect_and_join(i, None) for i in range(STORM)))
        for i, ack in enumerate(acks):
            assert ack["ok"], ack
            shown[i] = ack["latest_seq"]
        await asyncio.gather(*(s.disconnect() for s in socks))
        before = shown[0]
        poster = Poster(b.url, lead.token, room)
        for _ in range(20):
            await asyncio.to_thread(poster.post_one)
        assert not poster.failures
        # Everyone comes back at the same moment, each with its own `since`.
        started = time.monotonic()
        acks = await asyncio.gather(*(connect_and_join(i, shown[i]) for i in range(STORM)))
        took = time.monotonic() - started
        for ack in acks:
            assert ack["ok"], ack
            assert [e["seq"] for e in ack["events"]] == list(range(before + 1, before + 21))
        print(f"{STORM} clients reconnected and caught up in {took:.2f} s")
        await asyncio.gather(*(s.disconnect() for s in socks))

    try:
        run_in_own_loop(lambda: asyncio.wait_for(storm(), timeout=120))
    except BaseException as exc:
        raise AssertionError(f"storm failed: {exc!r}\n{cluster.logs()}") from exc
    # The servers stayed up and still answer.
    for server in (a, b):
        assert server.process is not None and server.process.poll() is None, cluster.logs()
        with urllib.request.urlopen(server.url + "/healthz", timeout=5) as answer:
            assert answer.status == 200

