"""What a request pays for observability: the metrics and the JSON log line.

On a fresh SQLite database made by the migrations, times ``GET /healthz``
through the Flask test client (no database touched: what remains is Flask,
the login gate, the security headers and our after_request) in rounds that
alternate: root logger at WARNING (the request line is not even formatted)
and the serving set-up (JSON lines to an in-memory stream). Also times the
two parts alone: ``metrics.observe_request`` (a counter and a histogram) and
one JSON line. Prints a markdown table of medians in microseconds.

    .venv/bin/python bench/observability_overhead.py [--requests 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import io
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def per_call_us(fn, n: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from council import create_app
    from council.migrate import upgrade
    from council.observability import logformat, metrics

    folder = Path(tempfile.mkdtemp())
    upgrade(f"sqlite:///{folder / 'council.db'}")
    app = create_app({"COUNCIL_DATABASE_URL": f"sqlite:///{folder / 'council.db'}", "COUNCIL_SECRET_KEY": "bench",
                      "COUNCIL_ASYNC_MODE": "threading", "INSTANCE_PATH": str(folder / "instance")})
    client = app.test_client()
    root = logging.getLogger()
    for _ in range(200):
        client.get("/healthz")

    quiet: list[float] = []
    logged: list[float] = []
    for _ in range(args.rounds):
        root.setLevel(logging.WARNING)
        quiet.append(per_call_us(lambda: client.get("/healthz"), args.requests))
        handler = logformat.configure("json", stream=io.StringIO())
        logged.append(per_call_us(lambda: client.get("/healthz"), args.requests))
        root.removeHandler(handler)

    observe = per_call_us(lambda: metrics.observe_request("/rooms/<int:room_id>", "GET", 200, 0.01), 100_000)
    logformat.configure("json", stream=io.StringIO())
    line = logging.getLogger("council.request")
    extra = {"request_id": "0" * 32, "user_id": 1, "org_id": 2, "route": "/rooms/<int:room_id>", "method": "GET",
             "status": 200, "duration_ms": 1.25}
    one_line = per_call_us(lambda: line.info("%s %s %s", "GET", "/rooms/<int:room_id>", 200, extra=extra), 20_000)

    print("| what | median µs |")
    print("| --- | ---: |")
    print(f"| `GET /healthz`, request line not logged (root at WARNING) | {statistics.median(quiet):.0f} |")
    print(f"| `GET /healthz`, JSON request line written | {statistics.median(logged):.0f} |")
    print(f"| `metrics.observe_request` alone (counter + histogram) | {observe:.1f} |")
    print(f"| one JSON log line alone | {one_line:.1f} |")


if __name__ == "__main__":
    main()
