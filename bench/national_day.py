"""A national-day load: a real council incident on one machine.

20 rooms (one national room of 500 subscribers, 18 incident rooms of 20-50, one
exercise room of 20-50), 1,000 sockets from 60 organisations (one person each,
bearer token), and during the measured window, all at once:

* 100 posts/s in aggregate through the real ``post`` handler, a mix of the kinds
  the rooms accept: messages, sitreps, timeline entries and decisions (proposals,
  and positions by organisations that have not cast one yet);
* 50 REST reads/s of a room's history, ``GET /api/v1/rooms/<id>/events?since=…``
  with the reader's bearer token;
* one exercise run at 10x: STARTEX at the start of the window, injects falling
  due every few seconds of wall time and released by the server's scheduler
  into the exercise room;
* presence churn: 5 % of the clients per minute close their socket, open a new
  one and join their rooms again with ``since`` = the last contiguous seq they
  hold, as the web client does after a network drop.

A share of the clients (``--plain``) joins without ``"batch": true``: plain
Socket.IO clients that get one ``event`` message per event.

The clients are the raw Engine.IO 4 / Socket.IO 5 websockets of bench/fanout.py,
all in this one asyncio process; its own CPU is measured, to say when the load
generator rather than the server was the limit.

Reports, per configuration: posts, p50/p99 post -> receive over live deliveries,
lost (an acked post a subscriber of its room never got, live or by resuming),
duplicated (the same post twice on one live connection), REST p50/p99, injects
released, server CPU seconds per 1,000 posts, server RSS per process and the load
process's CPU.

    .venv/bin/python bench/national_day.py                       # the three configurations, 60 s each
    .venv/bin/python bench/national_day.py --targets sqlite --seconds 120
    .venv/bin/python bench/national_day.py --scale 0.1 --seconds 15   # smoke check: 100 sockets, 10 posts/s

Configurations: ``sqlite`` (one process on SQLite), ``pg2`` (two processes on
PostgreSQL with Redis, clients alternating between them) and ``relay`` (the bare
Flask-SocketIO relay of bench/relay_app.py under the same socket load: the same
sockets, rooms, posts and churn; no REST, no exercise, no history, so its
reconnecting clients cannot resume and posts sent while they were away are not
counted as lost). Loopback only; every phase is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import random
import secrets
import sys
import tempfile
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.fanout import PG_ADMIN, REDIS_URL, SECRET, Target, Wire, free_port, start  # noqa: E402

DRAIN_S = 15.0
PASSWORD = "bench-password-123"
KINDS = (("message", 0.80), ("sitrep", 0.08), ("timeline", 0.06), ("decision", 0.06))


# --- the plan: who is in which room ------------------------------------------------------------

@dataclass
class Plan:
    sockets: int
    orgs: int
    org_of: list[int]  # socket index -> organisation index
    rooms: list[list[int]]  # room index -> socket indexes; 0 national, last the exercise room
    post_weights: list[float]  # room index -> share of the posts (the exercise room gets none)


def make_plan(scale: float, national_share: float, seed: int = 18) -> Plan:
    """Sockets 0..S-1 in organisations of consecutive blocks. Even sockets follow the
    national room; the odd ones fill the other 19 rooms in blocks (3-4 organisations a
    room), topped up with national followers of the same organisations."""
    rng = random.Random(seed)
    sockets, orgs = max(40, round(1000 * scale)), max(6, round(60 * scale))
    org_of = [i * orgs // sockets for i in range(sockets)]
    national = list(range(0, sockets, 2))[: max(10, round(500 * scale))]
    rest = [i for i in range(sockets) if i not in set(national)]
    lo, hi = max(2, round(20 * scale)), max(3, round(50 * scale))
    rooms = [national]
    for r in range(19):
        block = rest[r * len(rest) // 19:(r + 1) * len(rest) // 19]
        want = max(lo, min(hi, rng.randint(lo, hi)), len(block))
        block_orgs = {org_of[i] for i in block}
        extra = [i for i in national if org_of[i] in block_orgs and i not in block]
        rng.shuffle(extra)
        rooms.append(sorted(block + extra[: max(0, want - len(block))]))
    others = sum(len(m) for m in rooms[1:-1])
    weights = [national_share] + [(1 - national_share) * len(m) / others for m in rooms[1:-1]] + [0.0]
    return Plan(sockets, orgs, org_of, rooms, weights)


# --- servers ---------------------------------------------------------------------------------------

@dataclass
class Setup:
    target: Target
    room_ids: list[int]  # room index -> id
    tokens: list[str | None]  # socket index -> bearer token
    resumes: bool  # the server keeps history (join with since)
    exercise: dict[str, Any] | None = None  # app, ex_id, director_id, speed
    rest: bool = True


def seed_council(db_url: str, tmp: Path, plan: Plan, speed: float, seconds: float) -> dict[str, Any]:
    import council.auth.services as people
    from council import create_app
    from council.actors import SYSTEM
    from council.auth.tokens import create_token
    from council.extensions import database
    from council.orgs.services import create_org
    from council.rooms.services import create_room
    from exercises.runs import services as runs
    from exercises.scenarios import services as scenarios

    app = create_app({"COUNCIL_DATABASE_URL": db_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": str(tmp)})
    one_hash = people.hash_password(PASSWORD)
    real_hash, people.hash_password = people.hash_password, lambda _p: one_hash  # one argon2 run, not 1,000
    try:
        with database(app).transaction() as s:
            orgs = [create_org(s, actor=SYSTEM, name=f"CERT {n:02d}", tier="national" if n == 0 else "sectoral").id
                    for n in range(plan.orgs)]
            users, tokens = [], []
            for i in range(plan.sockets):
                user = people.create_user(s, actor=SYSTEM, email=f"p{i}@cert{plan.org_of[i]}.example",
                                          name=f"Person {i:04d}", org_id=orgs[plan.org_of[i]], role="member",
                                          password=PASSWORD)
                users.append(user)
                tokens.append(create_token(s, actor=SYSTEM, user=user, label="bench")[1])
            room_ids = []
            for r, members in enumerate(plan.rooms[:-1]):
                lead = users[members[0]]
                org_ids = sorted({orgs[plan.org_of[i]] for i in members})
                room = create_room(s, actor=lead, title="National incident" if r == 0 else f"Incident {r:02d}",
                                   severity="high", tlp="GREEN" if r == 0 else "AMBER", org_ids=org_ids)
                room_ids.append(room.id)
            members = plan.rooms[-1]
            director = users[members[0]]
            minutes = math.ceil(seconds * speed / 60) + 2
            rows = [{"msel_id": f"I{m:03d}{k}", "offset": f"T+{m // 60:02d}:{m % 60:02d}", "title": f"Inject {m}{k}",
                     "message": f"Inject **{m}{k}**: the regulator asks for a status.", "to": "all"}
                    for m in range(1, minutes + 1) for k in "ab"]
            scenario = scenarios.create_scenario(s, actor=director, fields={"title": "National day drill"},
                                                 injects=rows)
            ex = runs.create_exercise(s, actor=director, scenario_id=scenario.id, title="National day drill",
                                      org_ids=sorted({orgs[plan.org_of[i]] for i in members}), speed=speed)
            room_ids.append(ex.room_id)
            ex_id, director_id = ex.id, director.id
    finally:
        people.hash_password = real_hash
    return {"app": app, "room_ids": room_ids, "tokens": tokens, "ex_id": ex_id, "director_id": director_id,
            "speed": speed, "injects": len(rows)}


def start_council(tmp: Path, plan: Plan, processes: int, speed: float, seconds: float) -> Setup:
    from council.migrate import upgrade

    tmp.mkdir(parents=True, exist_ok=True)
    cleanup = []
    if processes > 1:
        import psycopg

        name = f"council_natday_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop() -> None:
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        cleanup.append(drop)
        db_url = PG_ADMIN.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    else:
        db_url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(db_url)
    seeded = seed_council(db_url, tmp, plan, speed, seconds)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "FLASK_"))}
    env.update({"COUNCIL_DATABASE_URL": db_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "gevent",
                "INSTANCE_PATH": str(tmp), "COUNCIL_LOG_LEVEL": "WARNING"})
    if processes > 1:
        env.update({"COUNCIL_REDIS_URL": REDIS_URL, "COUNCIL_REDIS_PREFIX": f"natday-{secrets.token_hex(4)}"})
    urls, procs = [], []
    for _ in range(processes):
        port = free_port()
        url, proc = start([sys.executable, "-m", "council.server", "--port", str(port)], env, port, tmp)
        urls.append(url)
        procs.append(proc)
    name = "council, 1 process, SQLite" if processes == 1 else f"council, {processes} processes, PostgreSQL + Redis"
    target = Target(name, urls, procs, 0, None, [], cleanup)
    exercise = {k: seeded[k] for k in ("app", "ex_id", "director_id", "speed", "injects")}
    return Setup(target, seeded["room_ids"], seeded["tokens"], True, exercise)


def start_relay(tmp: Path, plan: Plan) -> Setup:
    port = free_port()
    url, proc = start([sys.executable, "bench/relay_app.py", "--port", str(port)], dict(os.environ), port, tmp)
    return Setup(Target("bare relay", [url], [proc], 0, None, []), list(range(1, len(plan.rooms) + 1)),
                 [None] * plan.sockets, False, None, rest=False)


# --- clients -----------------------------------------------------------------------------------------

@dataclass
class Tally:
    sent_at: dict[str, float] = field(default_factory=dict)  # client_id -> perf_counter at send
    acked: dict[int, list[str]] = field(default_factory=dict)  # room id -> acked client_ids
    refused: dict[str, int] = field(default_factory=dict)  # error text -> count
    kinds: dict[str, int] = field(default_factory=dict)
    latencies: array = field(default_factory=lambda: array("d"))
    deliveries: int = 0
    resumed: int = 0  # posts a reconnecting client got in its join answer
    overlap: int = 0  # events a join answer repeated (dropped by seq, as the client does)
    duplicated: int = 0
    injects: int = 0  # inject deliveries
    rest: array = field(default_factory=lambda: array("d"))
    rest_failed: int = 0
    reconnects: int = 0


@dataclass
class Follow:
    """One socket's view of one room: seqs held, the last contiguous one, the posts seen."""

    contig: int = 0
    ahead: set[int] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    blind: list[tuple[float, float]] = field(default_factory=list)  # away intervals (perf_counter)

    def hold(self, seq: int) -> bool:
        """Record seq; False if it was already held."""
        if seq <= self.contig or seq in self.ahead:
            return False
        self.ahead.add(seq)
        while self.contig + 1 in self.ahead:
            self.contig += 1
            self.ahead.discard(self.contig)
        return True


class Client:
    """One person's socket: the rooms it follows, and what arrived."""

    def __init__(self, index: int, rooms: list[int], batch: bool, tally: Tally) -> None:
        self.index, self.batch, self.tally = index, batch, tally
        self.follows = {room: Follow() for room in rooms}
        self.wire: Wire | None = None
        self.up = False

    def __call__(self, raw: str) -> None:
        if raw.startswith('42["events"'):
            now = time.perf_counter()
            for event in json.loads(raw[2:])[1]["events"]:
                self.take(event, now, live=True)
        elif raw.startswith('42["event"'):
            self.take(json.loads(raw[2:])[1], time.perf_counter(), live=True)

    def take(self, event: dict[str, Any], now: float, *, live: bool) -> None:
        follow = self.follows.get(event.get("room"))  # type: ignore[arg-type]
        if follow is None:
            return
        fresh = follow.hold(event["seq"]) if event.get("seq") else True
        cid = event.get("client_id") or ""
        t = self.tally
        if event.get("kind") == "inject" and fresh:
            t.injects += 1
        sent = t.sent_at.get(cid)
        if sent is None:
            return
        if cid in follow.seen:
            if live and fresh:
                t.duplicated += 1  # the same post under a new seq, or twice on one connection
            elif not live:
                t.overlap += 1
            return
        follow.seen.add(cid)
        if live:
            t.deliveries += 1
            t.latencies.append(now - sent)
        else:
            t.resumed += 1

    async def connect(self, http: Any, setup: Setup, *, resume: bool) -> None:
        urls = setup.target.urls
        wire = await Wire.open(http, urls[self.index % len(urls)], setup.tokens[self.index])
        wire.on_event = self
        for room, follow in self.follows.items():
            ask: dict[str, Any] = {"room": room, "batch": self.batch}
            if resume and setup.resumes:
                ask["since"] = follow.contig
            ack = await wire.call("join", ask)
            if not ack.get("ok"):
                raise RuntimeError(f"join refused: {ack}")
            if not resume:
                follow.contig = max(follow.contig, int(ack.get("latest_seq") or 0))
            now = time.perf_counter()
            for event in ack.get("events", []):
                if resume:
                    self.take(event, now, live=False)
                elif event.get("seq"):
                    follow.hold(event["seq"])
        self.wire, self.up = wire, True


# --- the load --------------------------------------------------------------------------------------

def pick_kind(rng: random.Random) -> str:
    x, acc = rng.random(), 0.0
    for kind, share in KINDS:
        acc += share
        if x < acc:
            return kind
    return "message"


async def run_load(setup: Setup, plan: Plan, args: argparse.Namespace) -> dict[str, Any]:
    import aiohttp

    rng = random.Random(7)
    tally = Tally()
    ids = setup.room_ids
    member_rooms: dict[int, list[int]] = {}
    for r, members in enumerate(plan.rooms):
        for i in members:
            member_rooms.setdefault(i, []).append(ids[r])
    plain = set(rng.sample(sorted(member_rooms), round(len(member_rooms) * args.plain)))
    clients = {i: Client(i, rooms, i not in plain, tally) for i, rooms in member_rooms.items()}
    for room in ids:
        tally.acked[room] = []
    target = setup.target
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        sem = asyncio.Semaphore(40)

        async def first(c: Client) -> None:
            async with sem:
                await c.connect(http, setup, resume=False)

        opened = time.perf_counter()
        await asyncio.gather(*(first(c) for c in clients.values()))
        connect_s = time.perf_counter() - opened
        await asyncio.sleep(2.0)  # the joins' presence broadcasts settle
        run_id = secrets.token_hex(3)
        counter = itertools.count()
        decisions: dict[int, list[tuple[int, set[int]]]] = {room: [] for room in ids}  # room -> (id, orgs cast)
        began = time.perf_counter()
        stop_at = began + args.seconds
        cpu_server, cpu_load, wall0 = target.cpu_s(), time.process_time(), time.time()
        tasks: list[asyncio.Task[Any]] = []
        spy = None
        if os.environ.get("BENCH_PYSPY"):  # a path: py-spy samples the first server during the window
            import subprocess

            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                    str(target.procs[0].pid), "--duration", str(int(args.seconds)), "--format",
                                    "raw", "--nonblocking", "-o", os.environ["BENCH_PYSPY"]],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        if setup.exercise is not None:
            await asyncio.to_thread(startex, setup.exercise)

        def payload_for(room: int, kind: str, who: int, cid: str) -> dict[str, Any] | None:
            base = {"room": room, "kind": kind, "client_id": cid}
            if kind == "message":
                return {**base, "body": f"Status update {cid}: **containment** in progress."}
            if kind == "sitrep":
                return {**base, "situation": f"Sitrep {cid}: 14 branches offline, **payments** degraded.",
                        "impact": "Card payments fail for about 20 % of customers.",
                        "actions_taken": "- Isolated the affected VLAN\n- Rotated the VPN keys",
                        "next_steps": "Restore from the 02:00 backup."}
            if kind == "timeline":
                return {**base, "body": f"Timeline {cid}: C2 beacon seen from 10.4.0.12.", "category": "detection"}
            org = plan.org_of[who]
            for decision_id, cast in decisions[room]:
                if org not in cast:
                    cast.add(org)
                    return {**base, "op": "position", "decision_id": decision_id, "position": "support",
                            "comment": f"{cid}: agreed."}
            return {**base, "op": "propose", "title": f"Block the C2 domains ({cid})",
                    "background": "Seen in three sectors since 06:00."}

        async def post(room: int, who: int, kind: str) -> None:
            client = clients[who]
            cid = f"{run_id}-{next(counter)}"
            data = payload_for(room, kind, who, cid)
            if data is None or client.wire is None:
                return
            tally.sent_at[cid] = time.perf_counter()
            try:
                ack = await client.wire.call("post", data, timeout=30)
            except (TimeoutError, ConnectionError, RuntimeError) as exc:
                tally.refused[type(exc).__name__] = tally.refused.get(type(exc).__name__, 0) + 1
                return
            if ack.get("ok"):
                tally.acked[room].append(cid)
                tally.kinds[kind] = tally.kinds.get(kind, 0) + 1
                event = ack.get("event") or {}
                if kind == "decision" and data["op"] == "propose" and event.get("decision_id"):
                    decisions[room].append((event["decision_id"], {plan.org_of[who]}))
            else:
                key = str(ack.get("error"))[:60]
                tally.refused[key] = tally.refused.get(key, 0) + 1

        async def posting() -> None:
            interval, n = 1.0 / args.rate, 0
            rooms = list(range(len(plan.rooms)))
            while (due := began + n * interval) < stop_at:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                n += 1
                r = rng.choices(rooms, plan.post_weights)[0]
                live = [i for i in plan.rooms[r] if clients[i].up]
                if not live:
                    continue
                tasks.append(asyncio.create_task(post(ids[r], rng.choice(live), pick_kind(rng))))

        async def reading() -> None:
            if not setup.rest or args.reads <= 0:
                return
            interval, n = 1.0 / args.reads, 0
            urls = target.urls

            async def read_one(i: int, room: int, since: int) -> None:
                t0 = time.perf_counter()
                try:
                    async with http.get(f"{urls[i % len(urls)]}/api/v1/rooms/{room}/events",
                                        params={"since": str(since), "limit": "50"},
                                        headers={"Authorization": f"Bearer {setup.tokens[i]}"}) as resp:
                        body = await resp.read()
                        ok = resp.status == 200 and b'"events"' in body
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    tally.rest.append(time.perf_counter() - t0)
                else:
                    tally.rest_failed += 1

            while (due := began + n * interval) < stop_at:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                n += 1
                i = rng.choice(list(clients))
                room = rng.choice(member_rooms[i])
                since = max(0, clients[i].follows[room].contig - 20)
                tasks.append(asyncio.create_task(read_one(i, room, since)))

        async def churning() -> None:
            per_s = len(clients) * args.churn / 60
            if per_s <= 0:
                return
            interval, n = 1.0 / per_s, 0

            async def bounce(c: Client) -> None:
                c.up = False
                away = time.perf_counter()
                if c.wire is not None:
                    await c.wire.close()
                for attempt in range(5):  # as the web client does: try again after a pause
                    try:
                        await c.connect(http, setup, resume=True)
                        break
                    except Exception as exc:  # refused, closed while opening, timed out
                        key = f"reconnect: {type(exc).__name__}"
                        tally.refused[key] = tally.refused.get(key, 0) + 1
                        await asyncio.sleep(1.0 + attempt)
                else:
                    return
                back = time.perf_counter()
                for follow in c.follows.values():
                    follow.blind.append((away - 2.0, back))  # posts in flight when it left, too
                tally.reconnects += 1

            while (due := began + n * interval) < stop_at:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                n += 1
                c = clients[rng.choice(list(clients))]
                if c.up:
                    tasks.append(asyncio.create_task(bounce(c)))

        await asyncio.gather(posting(), reading(), churning())
        await asyncio.gather(*tasks)
        posting_s = time.perf_counter() - began

        def expected() -> int:
            return sum(len(tally.acked[room]) for c in clients.values() for room in c.follows)

        deadline = time.perf_counter() + DRAIN_S
        while tally.deliveries + tally.resumed < expected() and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        window = time.perf_counter() - began
        if spy is not None:
            spy.wait(30)
        cpu_server = target.cpu_s() - cpu_server
        cpu_load = time.process_time() - cpu_load
        rss = target.rss_mb()
        for c in clients.values():
            if c.wire is not None:
                await c.wire.close()
    lost = excused = 0
    for c in clients.values():
        for room, follow in c.follows.items():
            for cid in tally.acked[room]:
                if cid in follow.seen:
                    continue
                sent = tally.sent_at[cid]
                if not setup.resumes and any(a <= sent <= b for a, b in follow.blind):
                    excused += 1
                else:
                    lost += 1
    posts = sum(len(v) for v in tally.acked.values())
    lat, rest = sorted(tally.latencies), sorted(tally.rest)
    injects = release_report(setup.exercise, wall0) if setup.exercise else None
    return {
        "target": target.name, "sockets": len(clients), "plain": len(plain), "connect_s": connect_s,
        "posts": posts, "posts_per_s": posts / posting_s, "kinds": tally.kinds, "refused": tally.refused,
        "deliveries": tally.deliveries, "resumed": tally.resumed, "overlap": tally.overlap,
        "p50_ms": pct(lat, 0.50), "p99_ms": pct(lat, 0.99), "max_ms": 1000 * lat[-1] if lat else float("nan"),
        "lost": lost, "excused": excused, "duplicated": tally.duplicated, "reconnects": tally.reconnects,
        "rest_n": len(rest), "rest_failed": tally.rest_failed, "rest_p50_ms": pct(rest, 0.5),
        "rest_p99_ms": pct(rest, 0.99), "inject_deliveries": tally.injects, "injects": injects,
        "server_cpu_s": cpu_server, "server_cpu_pct": 100 * cpu_server / window,
        "cpu_s_per_1000": 1000 * cpu_server / max(1, posts),
        "load_cpu_pct": 100 * cpu_load / window, "rss_mb": rss, "window_s": window,
    }


def pct(values: list[float], q: float) -> float:
    return 1000 * values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


def startex(exercise: dict[str, Any]) -> None:
    from council.auth.models import User
    from council.extensions import database
    from exercises.runs import services as runs

    app = exercise["app"]
    with app.app_context(), database(app).transaction() as s:
        runs.clock_op(s, actor=s.get(User, exercise["director_id"]), exercise_id=exercise["ex_id"], op="start")


def release_report(exercise: dict[str, Any], wall0: float) -> dict[str, Any]:
    """Injects released during the run, and how late against STARTEX + offset / speed."""
    from datetime import timedelta

    from sqlalchemy import select

    from council.extensions import database
    from exercises.models import Exercise, ExerciseInject

    app = exercise["app"]
    with app.app_context():
        session = database(app).session(write=False)
        try:
            ex = session.get(Exercise, exercise["ex_id"])
            late = []
            for inject in session.scalars(select(ExerciseInject).where(ExerciseInject.exercise_id == ex.id)):
                if inject.released_at is not None:
                    due = ex.started_at + timedelta(seconds=inject.offset_s / ex.speed)
                    late.append((inject.released_at - due).total_seconds() * 1000)
        finally:
            session.close()
        database(app).dispose()
    late.sort()
    return {"released": len(late), "p50_ms": late[len(late) // 2] if late else float("nan"),
            "max_ms": late[-1] if late else float("nan")}


# --- output ------------------------------------------------------------------------------------------

HEADER = ("| configuration | sockets (plain) | posts | posts/s | p50 ms | p99 ms | max ms | lost | duplicated | "
          "resumed | REST reads | REST p50 / p99 ms | injects released (deliveries) | server CPU s / 1,000 posts | "
          "server CPU % | RSS MB per process | load CPU % |\n| --- |" + " ---: |" * 16)


def row(r: dict[str, Any]) -> str:
    inj = r["injects"]
    injects = f"{inj['released']} ({r['inject_deliveries']})" if inj else "—"
    rest = f"{r['rest_n']:,}" + (f" ({r['rest_failed']} failed)" if r["rest_failed"] else "") if r["rest_n"] else "—"
    rest_ms = f"{r['rest_p50_ms']:.0f} / {r['rest_p99_ms']:.0f}" if r["rest_n"] else "—"
    return (f"| {r['target']} | {r['sockets']} ({r['plain']}) | {r['posts']:,} | {r['posts_per_s']:.1f} | "
            f"{r['p50_ms']:.0f} | {r['p99_ms']:.0f} | {r['max_ms']:.0f} | {r['lost']} | {r['duplicated']} | "
            f"{r['resumed']} | {rest} | {rest_ms} | {injects} | {r['cpu_s_per_1000']:.2f} | "
            f"{r['server_cpu_pct']:.0f} | {' / '.join(f'{x:.0f}' for x in r['rss_mb'])} | {r['load_cpu_pct']:.0f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description="National-day load on one machine (loopback only).")
    parser.add_argument("--targets", default="sqlite,pg2,relay", help="any of sqlite, pg2, relay")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the measured window")
    parser.add_argument("--scale", type=float, default=1.0, help="sockets, room sizes, posts and reads x this")
    parser.add_argument("--rate", type=float, default=None, help="posts/s in aggregate (default 100 x scale)")
    parser.add_argument("--reads", type=float, default=None, help="REST reads/s (default 50 x scale)")
    parser.add_argument("--churn", type=float, default=0.05, help="share of clients reconnecting per minute")
    parser.add_argument("--plain", type=float, default=0.3, help='share of clients joining without "batch"')
    parser.add_argument("--national-share", type=float, default=0.3, help="share of the posts in the national room")
    parser.add_argument("--speed", type=float, default=10.0, help="the exercise's speed factor")
    args = parser.parse_args()
    args.rate = args.rate or 100 * args.scale
    args.reads = 50 * args.scale if args.reads is None else args.reads
    plan = make_plan(args.scale, args.national_share)
    sizes = [len(m) for m in plan.rooms]
    print(f"{plan.sockets} sockets, {plan.orgs} organisations, rooms: national {sizes[0]}, others {min(sizes[1:])}-"
          f"{max(sizes[1:])} (exercise room {sizes[-1]}); {args.rate:g} posts/s, {args.reads:g} REST reads/s, "
          f"churn {100 * args.churn:g} %/min, {100 * args.plain:g} % plain clients, {args.seconds:g} s", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="council-natday-"))
    results = []
    for name in args.targets.split(","):
        if name == "relay":
            setup = start_relay(tmp, plan)
        elif name in ("sqlite", "pg2"):
            setup = start_council(tmp / f"{name}-{secrets.token_hex(2)}", plan, 1 if name == "sqlite" else 2,
                                  args.speed, args.seconds)
        else:
            sys.exit(f"error: unknown target {name!r} (sqlite, pg2, relay)")
        try:
            r = asyncio.run(run_load(setup, plan, args))
        finally:
            setup.target.stop()
        results.append(r)
        print(row(r), flush=True)
        print(f"{r['target']}: connected in {r['connect_s']:.1f} s; kinds {r['kinds']}; refused {r['refused']}; "
              f"{r['reconnects']} reconnects, {r['resumed']} posts resumed, {r['overlap']} repeated by a join "
              f"(dropped by seq); {r['excused']} missed while away (no history)", flush=True)
    print(HEADER)
    for r in results:
        print(row(r))


if __name__ == "__main__":
    main()
