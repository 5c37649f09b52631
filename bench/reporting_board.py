"""The national board and the statistics over many incidents.

Fills a fresh SQLite database with N incidents (bulk Core inserts: the filing
path is measured by the tests, not here) spread over 12 months, 11 sectors and
the taxonomy's classes, each under the council default regime (three stages in
every state: pending, submitted, accepted, some late, some overdue), all
forwarded to the national CERT; then times, as the national CERT's duty officer:

* GET /incidents/board   (the page's default: filed in the last 90 days)
* GET /incidents/board?days=all (every incident: one GROUP BY over every stage row)
* GET /api/v1/incidents/stats (per month × sector × class, medians in Python)

and prints the median and p95 ms of each. ``--pg`` runs the same on a fresh
PostgreSQL database (BENCH_PG, as bench/fanout.py) instead of SQLite.

    .venv/bin/python bench/reporting_board.py [--incidents 100000] [--requests 15] [--pg]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

from bench.scratch import scratch_app
from council import create_app
from council.actors import SYSTEM
from council.auth.services import create_user
from council.auth.tokens import create_token
from council.db import utcnow
from council.extensions import database
from council.migrate import upgrade
from council.orgs.models import SECTORS
from council.orgs.services import create_org
from council.reporting import regimes
from council.reporting.models import Incident, IncidentRegime, IncidentStage
from council.reporting.taxonomy import classes

PASSWORD = "bench pass phrase 2026"


def fill(app, n: int) -> tuple[str, int]:
    rng = random.Random(7)
    with database(app).transaction() as s:
        national = create_org(s, actor=SYSTEM, name="National CERT", tier="national", sector="government")
        sectorals = [create_org(s, actor=SYSTEM, name=f"{label} CERT", tier="sectoral", sector=key,
                                parent_id=national.id) for key, label in SECTORS.items()]
        duty = create_user(s, actor=SYSTEM, email="duty@bench.example", name="Duty", org_id=national.id,
                           role="member", password=PASSWORD)
        reporter = create_user(s, actor=SYSTEM, email="rep@bench.example", name="Reporter",
                               org_id=sectorals[0].id, role="member", password=PASSWORD)
        regime = regimes.save_version(s, actor=None, **regimes.BASELINE)
        _row, token = create_token(s, actor=SYSTEM, user=duty, label="bench")
        reporter_id, national_id, regime_id = reporter.id, national.id, regime.id
        orgs = [(o.id, o.sector) for o in sectorals]
    pairs = [(c, t) for c, types in classes().items() if c != "test" for t in types]
    now = utcnow()
    stages = regimes.stages_of(regime)
    batch = 5000
    for start in range(0, n, batch):
        incidents, links, rows = [], [], []
        for i in range(start, min(n, start + batch)):
            org_id, sector = orgs[i % len(orgs)]
            cls, typ = pairs[rng.randrange(len(pairs))]
            detected = now - timedelta(days=rng.uniform(0, 365))
            incidents.append({"id": i + 1, "ref": f"INC-B-{i + 1:07d}", "title": f"Incident {i}", "type": "incident",
                              "class_key": cls, "type_key": typ, "detected_at": detected, "aware_at": detected,
                              "description": "", "description_html": "", "impact": "{}", "cross_sector": False,
                              "cross_border": False, "tlp": "AMBER", "sector": sector, "reporter_org_id": org_id,
                              "reporter_user_id": reporter_id, "reviewer_org_id": org_id,
                              "national_org_id": national_id, "consent_full": False, "forwarded_at": detected,
                              "created_at": detected, "updated_at": detected})
            links.append({"incident_id": i + 1, "regime_id": regime_id})
            state = rng.random()
            for position, stage in enumerate(stages):
                due = detected + timedelta(hours=stage["hours"]) if stage["clock"] != "previous" else None
                submitted = None if state < 0.2 + 0.25 * position else detected + timedelta(
                    hours=rng.uniform(1, stage["hours"] * 1.3))
                rows.append({"incident_id": i + 1, "regime_id": regime_id, "key": stage["key"],
                             "title": stage["title"], "position": position, "hours": stage["hours"],
                             "clock": stage["clock"], "due_at": due,
                             "status": "pending" if submitted is None else rng.choice(("submitted", "accepted")),
                             "first_submitted_at": submitted, "submitted_at": submitted,
                             "late": bool(submitted and due and submitted > due), "body": "", "body_html": "",
                             "fields": "{}", "review_comment": ""})
        with database(app).transaction() as s:
            s.execute(insert(Incident), incidents)
            s.execute(insert(IncidentRegime), links)
            s.execute(insert(IncidentStage), rows)
    return token, regime_id


def timed(client, path: str, headers: dict[str, str], requests: int) -> list[float]:
    out = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    args = parser.parse_args()
    drop = None
    if args.pg:
        app, drop = pg_app()
    else:
        app = scratch_app("council-board-")
    try:
        return measure(app, args)
    finally:
        if drop is not None:
            drop()


def pg_app():
    """A migrated fresh PostgreSQL database, and a function that drops it."""
    import secrets
    import tempfile

    import psycopg

    admin = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"council_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin.replace("postgresql://", "postgresql+psycopg://").rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    app = create_app({"COUNCIL_DATABASE_URL": url, "COUNCIL_SECRET_KEY": "bench", "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": tempfile.mkdtemp(prefix="council-board-pg-")})

    def drop() -> None:
        database(app).read_engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return app, drop


def measure(app, args) -> int:
    started = time.perf_counter()
    token, _regime = fill(app, args.incidents)
    print(f"filled {args.incidents} incidents in {time.perf_counter() - started:.1f} s")
    client = app.test_client()
    # The board is a page: sign in as a browser would.
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": "duty@bench.example", "password": PASSWORD, "csrf_token": csrf})
    with database(app).session(write=False) as s:
        assert s.scalar(select(Incident.id).limit(1)) == 1
    if args.pg:
        with database(app).transaction() as s:
            s.execute(text("ANALYZE"))
    for name, path, headers in (("national board, 90 days", "/incidents/board", {}),
                                ("national board, all", "/incidents/board?days=all", {}),
                                ("statistics (REST)", "/api/v1/incidents/stats",
                                 {"Authorization": f"Bearer {token}"})):
        times = timed(client, path, headers, args.requests)
        times.sort()
        print(f"{name:<24} median {statistics.median(times):8.1f} ms   p95 {times[int(len(times) * 0.95) - 1]:8.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
