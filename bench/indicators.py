"""Indicator search over many indicators, and the exports of a large room.

Fills a fresh database (bulk Core inserts: the adding path is measured by the tests,
not here) with N indicators (default 1,000,000: IPv4 addresses, domains, SHA-256
hashes and URLs, marked CLEAR to AMBER+STRICT) in 2,000 rooms of 20 organisations,
and one more room of 10,000 indicators with 5,000 sightings by 5 organisations.
Then, as a user of one organisation (which takes part in a tenth of the rooms):

* search (REST, the access filter applied in SQL): an exact value held in several rooms,
  a refanged exact value, a prefix matching thousands (the first 200), and a miss;
* export of the 10,000-indicator room as a STIX 2.1 bundle, a MISP event and CSV.

and prints the median and p95 ms of each. ``--pg`` runs the same on a fresh
PostgreSQL database (BENCH_PG, as bench/reporting_board.py).

    .venv/bin/python bench/indicators.py [--indicators 1000000] [--requests 15] [--pg]
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text

from bench.reporting_board import pg_app
from bench.scratch import scratch_app
from council.actors import SYSTEM
from council.auth.services import create_user
from council.auth.tokens import create_token
from council.db import utcnow
from council.extensions import database
from council.indicators.models import Indicator, Sighting
from council.orgs.services import create_org
from council.rooms.models import Room, RoomOrg

PASSWORD = "bench pass phrase 2026"
ROOMS, ORGS = 2000, 20
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER", "AMBER+STRICT")


def value_of(i: int) -> tuple[str, str]:
    kind = i % 10
    if kind < 4:
        n = i // 10 * 4 + kind
        return "ipv4", f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    if kind < 7:
        return "domain", f"host{i}.c2-{i % 997}.example.com"
    if kind < 9:
        return "sha256", hashlib.sha256(str(i).encode()).hexdigest()
    return "url", f"https://cdn{i % 5000}.example.net/p/{i}"


def fill(app, n: int) -> tuple[str, int]:
    with database(app).transaction() as s:
        orgs = [create_org(s, actor=SYSTEM, name=f"Bench CERT {k}", tier="sectoral") for k in range(ORGS)]
        user = create_user(s, actor=SYSTEM, email="analyst@bench.example", name="Analyst", org_id=orgs[0].id,
                           role="member", password=PASSWORD)
        _row, token = create_token(s, actor=SYSTEM, user=user, label="bench")
        org_ids, user_id = [o.id for o in orgs], user.id
    now = utcnow()
    rooms = [{"id": r + 1, "title": f"Incident room {r}", "severity": "high", "tlp": TLPS[r % len(TLPS)],
              "kind": "incident", "status": "open", "created_by_id": user_id, "created_at": now, "updated_at": now}
             for r in range(ROOMS + 1)]
    room_orgs = [{"room_id": r + 1, "org_id": org_ids[(r + k) % ORGS]} for r in range(ROOMS) for k in range(2)]
    room_orgs += [{"room_id": ROOMS + 1, "org_id": org_ids[0]}]
    with database(app).transaction() as s:
        s.execute(insert(Room), rooms)
        s.execute(insert(RoomOrg), room_orgs)
    batch = 20_000
    for start in range(0, n, batch):
        rows = []
        for i in range(start, min(n, start + batch)):
            type_, value = value_of(i)
            room = i % ROOMS + 1
            rows.append({"room_id": room, "type": type_, "value": value, "tlp": rooms[room - 1]["tlp"],
                         "confidence": 50, "description": "", "description_html": "", "tags": "[]",
                         "source_org_id": org_ids[room % ORGS], "created_by_id": user_id, "created_at": now,
                         "updated_at": now, "status": "active", "seq": 0})
        # The same value in several rooms: every 50th indicator again in 3 other rooms.
        rows += [{**r, "room_id": (r["room_id"] + k * 7) % ROOMS + 1} for r in rows[::50] for k in (1, 2, 3)]
        with database(app).transaction() as s:
            s.execute(insert(Indicator), rows)
    big = ROOMS + 1
    with database(app).transaction() as s:
        rows = []
        for i in range(10_000):
            type_, value = value_of(n + i)
            rows.append({"room_id": big, "type": type_, "value": value, "tlp": "AMBER", "confidence": 70,
                         "description": "Seen in the loader's configuration", "description_html": "",
                         "tags": '["c2"]', "source_org_id": org_ids[0], "created_by_id": user_id,
                         "created_at": now, "updated_at": now, "first_seen": now - timedelta(days=3),
                         "last_seen": now - timedelta(hours=2), "status": "active", "seq": 0})
        s.execute(insert(Indicator), rows)
        first = s.execute(text("SELECT min(id) FROM indicators WHERE room_id = :r"), {"r": big}).scalar()
        s.execute(insert(Sighting), [{"indicator_id": first + i * 2, "org_id": org_ids[i % 5], "user_id": user_id,
                                      "seen_at": now - timedelta(hours=i % 48), "count": 1 + i % 7,
                                      "location": "edge", "note": "", "created_at": now, "seq": 0}
                                     for i in range(5000)])
    return token, big


def timed(client, path: str, headers: dict[str, str], requests: int) -> tuple[list[float], int]:
    out, size = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
        size = len(response.get_data())
    return sorted(out), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    drop = None
    app = None
    if args.pg:
        app, drop = pg_app()
    else:
        app = scratch_app("council-indicators-")
    try:
        started = time.perf_counter()
        token, big = fill(app, args.indicators)
        print(f"filled {args.indicators:,} indicators (+ repeats and a 10,000-indicator room) "
              f"in {time.perf_counter() - started:.1f} s")
        with database(app).transaction() as s:
            s.execute(text("ANALYZE"))
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        held = value_of(50)[1]  # in 4 rooms
        for name, path in (("search, exact (in 4 rooms)", f"/api/v1/indicators/search?q={held}"),
                           ("search, exact, defanged", "/api/v1/indicators/search?q=host55.c2-55.example[.]com"),
                           ("search, prefix 10.0. (first 200)", "/api/v1/indicators/search?q=10.0."),
                           ("search, miss", "/api/v1/indicators/search?q=192.0.2.1")):
            times, size = timed(client, path, headers, args.requests)
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{name:<34} median {statistics.median(times):8.1f} ms   p95 {p95:8.1f} ms   {size:,} bytes")
        for name, path in (("export STIX 2.1, 10,000", f"/api/v1/rooms/{big}/export.stix.json"),
                           ("export MISP, 10,000", f"/api/v1/rooms/{big}/export.misp.json"),
                           ("export CSV, 10,000", f"/api/v1/rooms/{big}/indicators.csv")):
            times, size = timed(client, path, headers, max(3, args.requests // 5))
            print(f"{name:<34} median {statistics.median(times):8.1f} ms   max {times[-1]:8.1f} ms"
                  f"   {size / 1e6:.1f} MB")
    finally:
        if drop is not None:
            drop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
