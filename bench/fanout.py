"""Room fan-out: N subscribers in one room, senders posting through the real path.

Starts the server(s) as subprocesses on loopback — ``python -m council.server``
(gevent, exactly as served) or the bare relay in bench/relay_app.py — and
drives them from this process: N subscriber websockets joined to one room
and S sender websockets posting messages through ``post`` (token auth,
access check, sanitising, commit, audit, broadcast). Clients speak Engine.IO 4
/ Socket.IO 5 over raw aiohttp websockets, so the load process stays lighter
than the server it measures.

Reports deliveries/s, post->receive latency (p50/p99, same clock: senders and
subscribers live in this process), lost (acked posts a subscriber never got),
duplicated and out-of-order (a seq lower than one already received).

    # closed loop (each sender waits for its ack; at most 10 posts/s per socket, the platform's limit)
    .venv/bin/python bench/fanout.py --subs 50,200,500 --senders 40 --seconds 8
    # fixed rate: 20 posts/s into 200 subscribers
    .venv/bin/python bench/fanout.py --subs 200 --rate 20 --seconds 10 --targets council
    # two processes on PostgreSQL with Redis, subscribers and senders split between them
    .venv/bin/python bench/fanout.py --subs 200 --processes 2 --targets council
    # memory: server RSS with 500 idle connected clients
    .venv/bin/python bench/fanout.py --memory 500
    # a profile of the (first) server while the senders post (py-spy's raw collapsed stacks)
    BENCH_PYSPY=/tmp/fanout.txt .venv/bin/python bench/fanout.py --subs 200 --targets council --per-event

Bounded: every run has a fixed duration and a drain timeout; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0")
SECRET = "bench-fanout-secret"
MIN_INTERVAL_S = 0.1  # the platform refuses more than 10 posts/s per socket after a burst
DRAIN_S = 10.0
KEEP = os.environ.get("BENCH_KEEP")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- servers --------------------------------------------------------------------------------

@dataclass
class Target:
    name: str
    urls: list[str]
    procs: list[subprocess.Popen[bytes]]
    room: int
    sender_token: str | None
    sub_tokens: list[str | None]
    cleanup: list[Any] = field(default_factory=list)

    def rss_mb(self) -> list[float]:
        out = []
        for p in self.procs:
            for line in Path(f"/proc/{p.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    out.append(int(line.split()[1]) / 1024)
        return out

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server processes have used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for p in self.procs:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        return total

    def stop(self) -> None:
        for p in self.procs:
            p.send_signal(signal.SIGINT)  # lets a profiled server write its profile
        for p in self.procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        for fn in self.cleanup:
            fn()


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not healthy:\n{log.read_text()[-3000:]}")


def start(cmd: list[str], env: dict[str, str], port: int, tmp: Path) -> tuple[str, subprocess.Popen[bytes]]:
    log = tmp / f"server-{port}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url, proc, log)
    return url, proc


def start_relay(tmp: Path) -> Target:
    port = free_port()
    url, proc = start([sys.executable, "bench/relay_app.py", "--port", str(port)], dict(os.environ), port, tmp)
    return Target("relay", [url], [proc], 1, None, [None])


def seed_council(db_url: str, tmp: Path, subscriber_users: int) -> tuple[int, str, list[str]]:
    from council import create_app
    from council.actors import SYSTEM
    from council.auth.services import create_user
    from council.auth.tokens import create_token
    from council.extensions import database
    from council.orgs.services import create_org
    from council.rooms.services import create_room

    app = create_app({"COUNCIL_DATABASE_URL": db_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": str(tmp)})
    tokens = []
    with database(app).transaction() as s:
        org = create_org(s, actor=SYSTEM, name="Bench CERT", tier="national")
        lead = create_user(s, actor=SYSTEM, email="lead@bench.example", name="Bench Lead", org_id=org.id,
                           role="member", password="bench-password-123")
        _t, sender_token = create_token(s, actor=SYSTEM, user=lead, label="bench")
        for i in range(subscriber_users):
            user = create_user(s, actor=SYSTEM, email=f"sub{i}@bench.example", name=f"Subscriber {i:02d}",
                               org_id=org.id, role="member", password="bench-password-123")
            tokens.append(create_token(s, actor=SYSTEM, user=user, label="bench")[1])
        room = create_room(s, actor=lead, title="Fan-out", severity="high", tlp="GREEN", org_ids=[org.id])
        room_id = room.id
    database(app).dispose()
    return room_id, sender_token, tokens


def start_council(tmp: Path, processes: int, *, pg: bool) -> Target:
    from council.migrate import upgrade

    tmp.mkdir(parents=True, exist_ok=True)
    cleanup = []
    if pg or processes > 1:
        import psycopg

        name = f"council_bench_{secrets.token_hex(4)}"
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
    room, sender_token, tokens = seed_council(db_url, tmp, 10)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COUNCIL_", "FLASK_"))}
    env.update({"COUNCIL_DATABASE_URL": db_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "gevent",
                "INSTANCE_PATH": str(tmp)})
    if processes > 1:
        env.update({"COUNCIL_REDIS_URL": REDIS_URL, "COUNCIL_REDIS_PREFIX": f"bench-{secrets.token_hex(4)}"})
    urls, procs = [], []
    for _ in range(processes):
        port = free_port()
        profile = os.environ.get("BENCH_PROFILE")  # a path: the (first) server runs under cProfile
        wrap = ["-m", "cProfile", "-o", profile] if profile and not procs else []
        url, proc = start([sys.executable, *wrap, "-m", "council.server", "--port", str(port)], env, port, tmp)
        urls.append(url)
        procs.append(proc)
    name = "council" if processes == 1 else f"council x{processes} (PG+Redis)"
    if processes == 1 and pg:
        name = "council (PG)"
    return Target(name, urls, procs, room, sender_token, list(tokens), cleanup)


# --- clients --------------------------------------------------------------------------------

class Wire:
    """One Socket.IO connection over a raw websocket (Engine.IO 4 / Socket.IO 5 framing)."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.ids = itertools.count(1)
        self.on_event: Any = None
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, http: Any, url: str, token: str | None) -> Wire:
        ws = await http.ws_connect(url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket",
                                   max_msg_size=0, autoping=True)
        opening = await ws.receive_str()
        assert opening.startswith("0"), opening
        await ws.send_str("40" + json.dumps({"token": token} if token else {}))
        reply = await ws.receive_str()
        if not reply.startswith("40"):
            raise RuntimeError(f"connect refused: {reply}")
        wire = cls(ws)
        wire.task = asyncio.create_task(wire.read())
        return wire

    async def read(self) -> None:
        async for msg in self.ws:
            data = msg.data
            if not isinstance(data, str):
                break
            if data == "2":
                await self.ws.send_str("3")
            elif data.startswith("42"):
                if self.on_event is not None:
                    self.on_event(data)
            elif data.startswith("43"):
                i = data.index("[")
                future = self.acks.pop(int(data[2:i]), None)
                if future is not None and not future.done():
                    future.set_result(json.loads(data[i:])[0])

    async def call(self, event: str, payload: dict[str, Any], timeout: float = 60) -> Any:
        n = next(self.ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.acks[n] = future
        await self.ws.send_str(f"42{n}" + json.dumps([event, payload]))
        return await asyncio.wait_for(future, timeout)

    async def close(self) -> None:
        await self.ws.close()
        if self.task is not None:
            self.task.cancel()


@dataclass
class Tally:
    sent_at: dict[str, float] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    errors: int = 0
    latencies: array = field(default_factory=lambda: array("d"))
    ack_latencies: array = field(default_factory=lambda: array("d"))
    deliveries: int = 0
    duplicated: int = 0
    out_of_order: int = 0
    first_send: float = 0.0
    last_receive: float = 0.0


class Subscriber:
    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.seen: set[str] = set()
        self.last_seq = 0

    def __call__(self, raw: str) -> None:
        if raw.startswith('42["events"'):
            now = time.perf_counter()
            for event in json.loads(raw[2:])[1]["events"]:
                self.take(event, now)
        elif raw.startswith('42["event"'):
            self.take(json.loads(raw[2:])[1], time.perf_counter())

    def take(self, event: dict[str, Any], now: float) -> None:
        cid = event.get("client_id") or ""
        sent = self.tally.sent_at.get(cid)
        if sent is None:
            return  # not one of this run's posts
        t = self.tally
        if cid in self.seen:
            t.duplicated += 1
            return
        self.seen.add(cid)
        if event["seq"] < self.last_seq:
            t.out_of_order += 1
        self.last_seq = max(self.last_seq, event["seq"])
        t.deliveries += 1
        t.latencies.append(now - sent)
        t.last_receive = now


async def run_load(
    target: Target, subs: int, senders: int, seconds: float, rate: float | None, batch: bool = True,
) -> dict[str, Any]:
    import aiohttp

    tally = Tally()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        subscribers: list[Subscriber] = []
        wires: list[Wire] = []
        sem = asyncio.Semaphore(50)

        async def open_sub(i: int) -> None:
            async with sem:
                wire = await Wire.open(http, target.urls[i % len(target.urls)],
                                       target.sub_tokens[i % len(target.sub_tokens)])
                ack = await wire.call("join", {"room": target.room, "batch": batch})
                assert ack.get("ok"), ack
                sub = Subscriber(tally)
                wire.on_event = sub
                subscribers.append(sub)
                wires.append(wire)

        await asyncio.gather(*(open_sub(i) for i in range(subs)))
        posters = [await Wire.open(http, target.urls[i % len(target.urls)], target.sender_token)
                   for i in range(senders)]
        await asyncio.sleep(1.0)  # presence broadcasts of the joins settle
        run_id = secrets.token_hex(3)
        counter = itertools.count()
        stop_at = time.perf_counter() + seconds
        tally.first_send = time.perf_counter()
        cpu_server, cpu_load = target.cpu_s(), time.process_time()
        spy = None
        if os.environ.get("BENCH_PYSPY"):  # a path: py-spy samples the first server while the senders post
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                    str(target.procs[0].pid), "--duration", str(int(seconds)), "--format", "raw",
                                    "--nonblocking", "-o", os.environ["BENCH_PYSPY"]],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        async def post(wire: Wire) -> None:
            cid = f"{run_id}-{next(counter)}"
            tally.sent_at[cid] = time.perf_counter()
            try:
                ack = await wire.call("post", {"room": target.room, "kind": "message", "client_id": cid,
                                               "body": f"Status update {cid}: **containment** in progress."})
            except TimeoutError:
                tally.errors += 1
                return
            if ack.get("ok"):
                tally.acked.add(cid)
                tally.ack_latencies.append(time.perf_counter() - tally.sent_at[cid])
            else:
                tally.errors += 1

        async def closed_loop(wire: Wire) -> None:
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                await post(wire)
                await asyncio.sleep(max(0.0, MIN_INTERVAL_S - (time.perf_counter() - began)))

        async def fixed_rate() -> None:
            tasks = []
            interval = 1.0 / float(rate or 1)
            n = 0
            while (due := tally.first_send + n * interval) < stop_at:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                tasks.append(asyncio.create_task(post(posters[n % len(posters)])))
                n += 1
            await asyncio.gather(*tasks)

        if rate:
            await fixed_rate()
        else:
            await asyncio.gather(*(closed_loop(w) for w in posters))
        expected = len(tally.acked) * subs
        deadline = time.perf_counter() + DRAIN_S
        while tally.deliveries < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.1)
        cpu_server = target.cpu_s() - cpu_server
        cpu_load = time.process_time() - cpu_load
        if spy is not None:
            spy.wait(30)
        busy = max(1e-9, time.perf_counter() - tally.first_send)
        rss = target.rss_mb()
        for wire in wires + posters:
            await wire.close()
    span = max(1e-9, tally.last_receive - tally.first_send)
    lat = sorted(tally.latencies)
    acks = sorted(tally.ack_latencies)
    lost = sum(len(tally.acked - s.seen) for s in subscribers)
    return {
        "target": target.name + ("" if batch or target.name == "relay" else " (per event)"),
        "subs": subs, "senders": senders, "rate": rate or "closed loop",
        "posts": len(tally.acked), "errors": tally.errors, "deliveries": tally.deliveries,
        "deliveries_per_s": tally.deliveries / span, "posts_per_s": len(tally.acked) / span,
        "p50_ms": 1000 * lat[len(lat) // 2] if lat else float("nan"),
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else float("nan"),
        "ack_p50_ms": 1000 * acks[len(acks) // 2] if acks else float("nan"),
        "lost": lost, "duplicated": tally.duplicated, "out_of_order": tally.out_of_order,
        "rss_mb": "/".join(f"{r:.0f}" for r in rss),
        # CPU over the whole measured window (posting and draining): the server's, in per cent of one
        # core, per post; and the load process's, to see which side was the limit.
        "server_cpu_pct": 100 * cpu_server / busy, "load_cpu_pct": 100 * cpu_load / busy,
        "server_cpu_ms_per_post": 1000 * cpu_server / max(1, len(tally.acked)),
    }


async def idle_memory(target: Target, clients: int, idle_s: float) -> dict[str, Any]:
    import aiohttp

    before = target.rss_mb()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        sem = asyncio.Semaphore(50)
        wires: list[Wire] = []

        async def open_one(i: int) -> None:
            async with sem:
                wire = await Wire.open(http, target.urls[0], target.sub_tokens[i % len(target.sub_tokens)])
                ack = await wire.call("join", {"room": target.room})
                assert ack.get("ok"), ack
                wires.append(wire)

        await asyncio.gather(*(open_one(i) for i in range(clients)))
        await asyncio.sleep(idle_s)
        after = target.rss_mb()
        for wire in wires:
            await wire.close()
    return {"target": target.name, "clients": clients, "rss_before_mb": before[0], "rss_after_mb": after[0],
            "per_client_kb": (after[0] - before[0]) * 1024 / clients}


def row(r: dict[str, Any]) -> str:
    return (f"| {r['target']} | {r['subs']} | {r['senders']} | {r['rate']} | {r['posts']} | "
            f"{r['deliveries_per_s']:,.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['ack_p50_ms']:.1f} | "
            f"{r['lost']} | {r['duplicated']} | {r['out_of_order']} | {r['errors']} | {r['rss_mb']} | "
            f"{r['server_cpu_pct']:.0f} | {r['server_cpu_ms_per_post']:.2f} | {r['load_cpu_pct']:.0f} |")


HEADER = ("| target | subscribers | senders | rate (posts/s) | posts | deliveries/s | p50 ms | p99 ms | ack p50 ms | "
          "lost | duplicated | out of order | refused | server RSS MB | server CPU % | server CPU ms/post | "
          "load CPU % |\n| --- | ---: | ---: | --- |" + " ---: |" * 13)


def main() -> None:
    parser = argparse.ArgumentParser(description="Room fan-out benchmark (loopback only).")
    parser.add_argument("--subs", default="50,200,500")
    parser.add_argument("--senders", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rate", type=float, default=None, help="fixed posts/s instead of a closed loop")
    parser.add_argument("--targets", default="council,relay")
    parser.add_argument("--processes", type=int, default=1, help="council processes (>1: PostgreSQL + Redis)")
    parser.add_argument("--pg", action="store_true", help="council on PostgreSQL even with one process")
    parser.add_argument("--memory", type=int, default=0, help="only measure RSS with this many idle clients")
    parser.add_argument("--per-event", action="store_true",
                        help='subscribers join without "batch": one "event" message per event')
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="council-fanout-"))
    if args.memory:
        target = start_council(tmp, 1, pg=args.pg)
        try:
            r = asyncio.run(idle_memory(target, args.memory, 5.0))
        finally:
            target.stop()
        print(f"{r['target']}: {r['clients']} idle clients joined to one room: RSS {r['rss_before_mb']:.0f} MB "
              f"before, {r['rss_after_mb']:.0f} MB after ({r['per_client_kb']:.0f} KB per client)")
        return
    print(HEADER, flush=True)
    for subs in [int(s) for s in args.subs.split(",")]:
        for name in args.targets.split(","):
            target = (start_relay(tmp) if name == "relay"
                      else start_council(tmp / f"c{subs}-{secrets.token_hex(2)}", args.processes, pg=args.pg))
            try:
                result = asyncio.run(run_load(target, subs, args.senders, args.seconds, args.rate,
                                              batch=not args.per_event))
            finally:
                target.stop()
            print(row(result), flush=True)


if __name__ == "__main__":
    main()
