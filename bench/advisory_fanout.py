"""An advisory to 500 organisations of 3 people each: publishing and the matrix.

Fills a fresh database made by the migrations (SQLite in a temporary folder, or
the empty PostgreSQL database named by ``--pg URL``) with a national CERT and N
organisations of P people (bulk Core inserts: people are not what is measured),
then, as the national CERT's duty officer, times:

* publish: ``services.publish`` to every organisation, committed — the advisory,
  its version, N delivery rows, N × P notifications (each recipient's sight asked
  again by the notification service) and the audit row;
* the matrix as JSON (``GET /api/v1/advisories/<id>/matrix``, bearer token);
* the matrix page (``GET /advisories/<id>/matrix``, signed in).

Each repetition publishes a new advisory; the matrix is read on the last one.
Prints a markdown table of median and p95 in milliseconds.

    .venv/bin/python bench/advisory_fanout.py [--orgs 500] [--people 3] [--reps 7] [--pg URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench.scratch import scratch_app
from council import create_app, realtime
from council.actors import SYSTEM
from council.advisories import services
from council.auth.models import User
from council.auth.services import create_user
from council.auth.tokens import create_token
from council.db import utcnow
from council.extensions import database
from council.migrate import upgrade
from council.notifications.models import Notification
from council.orgs.models import SECTORS, Organization
from council.orgs.services import create_org

PASSWORD = "bench pass phrase 2026"


def fill(app, orgs: int, people: int) -> tuple[int, str]:
    """(the duty officer's id, their API token)."""
    with database(app).transaction() as s:
        national = create_org(s, actor=SYSTEM, name="National CERT", tier="national", sector="government")
        duty = create_user(s, actor=SYSTEM, email="duty@bench.example", name="Duty", org_id=national.id,
                           role="member", password=PASSWORD)
        _row, token = create_token(s, actor=SYSTEM, user=duty, label="bench")
        duty_id, national_id, password_hash = duty.id, national.id, duty.password_hash
    sectors = list(SECTORS)
    now = utcnow()
    with database(app).transaction() as s:
        s.execute(insert(Organization), [
            {"name": f"Bench Org {i:04d}", "short_name": f"bench-org-{i:04d}", "tier": "organizational",
             "sector": sectors[i % len(sectors)], "parent_id": national_id, "created_at": now} for i in range(orgs)])
        ids = list(s.scalars(select(Organization.id).where(Organization.tier == "organizational")
                             .order_by(Organization.id)))
        s.execute(insert(User), [
            {"email": f"p{n}.o{org_id}@bench.example", "name": f"Person {n} of {org_id}",
             "handle": f"p{n}-o{org_id}", "org_id": org_id, "role": "member", "org_admin": n == 0, "active": True,
             "password_hash": password_hash, "created_at": now}
            for org_id in ids for n in range(people)])
    return duty_id, token


def publish_once(app, duty_id: int, n: int) -> tuple[float, int]:
    started = time.perf_counter()
    with database(app).transaction(after_commit=realtime.flush) as s:
        advisory = services.publish(
            s, actor=s.get(User, duty_id), title=f"Bench advisory {n}", tlp="GREEN", severity="high",
            body="Patch the **gateway** now.", audience={"all": True}, ack_hours=72, cves=["CVE-2026-12345"],
            products=["Acme VPN 9"], actions="1. Patch\n2. Rotate keys")
        advisory_id = advisory.id
    return (time.perf_counter() - started) * 1000, advisory_id


def timed_get(client, path: str, headers: dict[str, str], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        out.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(len(ordered) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=500)
    parser.add_argument("--people", type=int, default=3)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--pg", metavar="URL", help="an empty PostgreSQL database (postgresql+psycopg://…)")
    args = parser.parse_args()
    if args.pg:
        upgrade(args.pg)
        app = create_app({"COUNCIL_DATABASE_URL": args.pg, "COUNCIL_SECRET_KEY": "bench",
                          "COUNCIL_ASYNC_MODE": "threading", "INSTANCE_PATH": tempfile.mkdtemp(prefix="adv-pg-")})
    else:
        app = scratch_app("council-advisories-")
    started = time.perf_counter()
    duty_id, token = fill(app, args.orgs, args.people)
    print(f"filled {args.orgs} organisations × {args.people} people in {time.perf_counter() - started:.1f} s")
    publishes, advisory_id = [], 0
    for n in range(args.reps):
        ms, advisory_id = publish_once(app, duty_id, n)
        publishes.append(ms)
    with database(app).session(write=False) as s:
        told = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.subject == f"advisory:{advisory_id}"))
    assert told == args.orgs * args.people, told
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": "duty@bench.example", "password": PASSWORD, "csrf_token": csrf})
    matrix_json = timed_get(client, f"/api/v1/advisories/{advisory_id}/matrix",
                            {"Authorization": f"Bearer {token}"}, args.reps)
    matrix_page = timed_get(client, f"/advisories/{advisory_id}/matrix", {}, args.reps)
    engine = "PostgreSQL" if args.pg else "SQLite"
    print(f"\n{engine}, {args.orgs} organisations × {args.people} people ({told} notifications an advisory), "
          f"{args.reps} repetitions\n")
    print("| step | median ms | p95 ms |")
    print("|---|---:|---:|")
    for name, values in (("publish (deliveries + notifications, committed)", publishes),
                         ("matrix JSON (REST)", matrix_json), ("matrix page", matrix_page)):
        print(f"| {name} | {statistics.median(values):.1f} | {p95(values):.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
