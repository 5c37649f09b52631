"""`make run-cluster`: two app processes on PostgreSQL with Redis between them.

Creates the database if missing, applies the migrations, seeds the demo
(idempotent), then starts ``python -m council.server`` twice, each on its own
port with the same database, secret and Redis, prints both URLs and waits;
Ctrl-C stops both.

    .venv/bin/python scripts/run_cluster.py [--db council_cluster] [--ports 5001,5002]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=os.environ.get("CLUSTER_DB", "council_cluster"))
    parser.add_argument("--pg", default=os.environ.get("CLUSTER_PG", "postgresql+psycopg://postgres@127.0.0.1:5432"))
    parser.add_argument("--redis", default=os.environ.get("CLUSTER_REDIS", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--ports", default=os.environ.get("CLUSTER_PORTS", "5001,5002"))
    args = parser.parse_args()

    import psycopg
    import redis

    admin = args.pg.replace("+psycopg", "") + "/postgres"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (args.db,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{args.db}"')
                print(f"created database {args.db}")
    except psycopg.OperationalError as exc:
        print(f"error: PostgreSQL not reachable at {admin}: {exc}", file=sys.stderr)
        return 1
    try:
        redis.Redis.from_url(args.redis, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        print(f"error: Redis not reachable at {args.redis}: {exc}", file=sys.stderr)
        return 1

    url = f"{args.pg}/{args.db}"
    env = {k: v for k, v in os.environ.items() if k != "FLASK_RUN_FROM_CLI"}
    env.update({"COUNCIL_DATABASE_URL": url, "COUNCIL_REDIS_URL": args.redis, "COUNCIL_ASYNC_MODE": "gevent",
                "PYTHONUNBUFFERED": "1"})
    flask = [sys.executable, "-m", "flask", "--app", "wsgi", "council"]
    subprocess.run([*flask, "init"], cwd=ROOT, env=env, check=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True)

    ports = [int(p) for p in args.ports.split(",")]
    procs = [subprocess.Popen([sys.executable, "-m", "council.server", "--host", args.host, "--port", str(port)],
                              cwd=ROOT, env=env) for port in ports]

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        for port in ports:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://{args.host}:{port}/healthz", timeout=1):
                        break
                except OSError:
                    time.sleep(0.2)
        print("\nCERT Council cluster (PostgreSQL database "
              f"{args.db}, Redis {args.redis}) — the same council on both:")
        for port in ports:
            print(f"  http://{args.host}:{port}/")
        print("Sign in on one, watch the same room on the other. Ctrl-C stops both.", flush=True)
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()
        for p in procs:
            p.wait(10)


if __name__ == "__main__":
    sys.exit(main())
