"""History paging: a page of 50 events at 1k, 10k and 100k events in a room.

Measures GET /api/v1/rooms/<id>/events?before=<seq>&limit=50 through the
Flask test client (token auth, access check, query, serialisation), at random
depths in the room, on a fresh SQLite database. Prints median and p95 ms.

    .venv/bin/python bench/history_paging.py [--sizes 1000,10000,100000] [--requests 300]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, update

from bench.scratch import scratch_app
from council.actors import SYSTEM
from council.auth.services import create_user
from council.auth.tokens import create_token
from council.db import utcnow
from council.extensions import database
from council.orgs.services import create_org
from council.rooms.models import Room, RoomEvent
from council.rooms.services import create_room
from council.text import render_markdown


def fill(app, room_id: int, author_id: int, total: int) -> None:
    """Bulk-insert messages up to ``total`` events (the stream path is measured elsewhere)."""
    body = "Status update: **containment** in progress, see [runbook](https://runbook.example/ir)."
    html = render_markdown(body)
    with database(app).transaction() as s:
        start = s.get(Room, room_id).last_seq
        rows = [{"room_id": room_id, "seq": seq, "kind": "message", "author_id": author_id,
                 "created_at": utcnow(), "body": body, "body_html": html, "data": "{}"}
                for seq in range(start + 1, total + 1)]
        for i in range(0, len(rows), 5000):
            s.execute(insert(RoomEvent), rows[i:i + 5000])
        s.execute(update(Room).where(Room.id == room_id).values(last_seq=total))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    app = scratch_app("council-bench-")
    with database(app).transaction() as s:
        org = create_org(s, actor=SYSTEM, name="Bench CERT", tier="national")
        user = create_user(s, actor=SYSTEM, email="bench@example.org", name="Bench", org_id=org.id,
                           role="member", password="bench-password-123")
        _t, token = create_token(s, actor=SYSTEM, user=user, label="bench")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    rng = random.Random(7)
    print(f"{'events':>8} {'median ms':>10} {'p95 ms':>8} {'latest page ms':>15}")
    results = {}
    for size in [int(s) for s in args.sizes.split(",")]:
        with database(app).transaction() as s:
            room = create_room(s, actor=s.merge(user), title=f"Room {size}", severity="low", tlp="GREEN",
                               org_ids=[org.id])
            room_id, author_id = room.id, user.id
        fill(app, room_id, author_id, size)
        timings, latest = [], []
        for _ in range(args.requests):
            before = rng.randint(51, size)
            t0 = time.perf_counter()
            resp = client.get(f"/api/v1/rooms/{room_id}/events?before={before}&limit=50", headers=headers)
            timings.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200 and len(resp.get_json()["events"]) == 50
        for _ in range(50):
            t0 = time.perf_counter()
            resp = client.get(f"/api/v1/rooms/{room_id}/events?limit=50", headers=headers)
            latest.append((time.perf_counter() - t0) * 1000)
            assert resp.get_json()["events"][-1]["seq"] == size
        timings.sort()
        med, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
        results[size] = {"median_ms": round(med, 2), "p95_ms": round(p95, 2),
                         "latest_median_ms": round(statistics.median(latest), 2)}
        print(f"{size:>8} {med:>10.2f} {p95:>8.2f} {statistics.median(latest):>15.2f}")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
