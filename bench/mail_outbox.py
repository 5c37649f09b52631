"""The notification fan-out and the mail outbox's send rate.

1. notify(): one notification to R people (default 1,500: 500 organisations × 3)
   in one transaction, with an immediate mail row each — the write a room opened
   for every organisation, or an advisory, costs. Median and p95 of a few runs.
2. outbox.deliver(): M mails (default 2,000) claimed in batches of 50 and sent
   over SMTP to an aiosmtpd sink in a *separate process* (so the figure is the
   sender's), timed wall-clock and as this process's CPU per mail.

    .venv/bin/python bench/mail_outbox.py [--recipients 1500] [--mails 2000]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select

from bench.scratch import scratch_app
from council.actors import SYSTEM
from council.auth.models import User
from council.auth.passwords import hash_password
from council.config import MailSettings
from council.extensions import database, settings
from council.notifications import outbox
from council.notifications.models import MailOutbox
from council.notifications.services import Note, notify
from council.orgs.services import create_org


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def people(app, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    with database(app).transaction() as s:
        org = create_org(s, actor=SYSTEM, name="Bench CERT", tier="national")
        pw = hash_password("bench password 123")
        s.execute(insert(User), [{"email": f"p{i}@bench.example", "name": f"Person {i}", "handle": f"p{i}",
                                  "org_id": org.id, "role": "member", "password_hash": pw} for i in range(count)])
        return list(s.scalars(select(User.id).order_by(User.id)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--recipients", type=int, default=1500)
    parser.add_argument("--mails", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    port = free_port()
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                             "-c", "aiosmtpd.handlers.Sink"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        app = scratch_app("council-mail-bench-")
        app.extensions["council_settings"] = replace(settings(app), mail=MailSettings(
            host="127.0.0.1", port=port, security="none", user="", password="", sender="council@bench.example"))
        database(app).mail_on = True
        ids = people(app, max(args.recipients, 100))
        times = []
        for run in range(args.runs):
            with database(app).transaction() as s:
                users = list(s.scalars(select(User).where(User.id.in_(ids[: args.recipients]))))
                start = time.perf_counter()
                notify(s, Note(kind="advisory", title=f"Advisory {run}", url="/advisories/1"), users)
                s.flush()
            times.append((time.perf_counter() - start) * 1000)
        with database(app).transaction() as s:
            s.execute(MailOutbox.__table__.delete())
        p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
        print(f"| notify() to {args.recipients:,} people (+ {args.recipients:,} mail rows), ms | "
              f"median {statistics.median(times):.0f} | p95 {p95:.0f} |")

        with database(app).transaction() as s:
            users = list(s.scalars(select(User).where(User.id.in_(ids[:100]))))
            for i in range(args.mails // 100):
                notify(s, Note(kind="mention", title=f"Mail {i}", url="/notifications", tlp="GREEN",
                               body="A short body of a few words.", dedupe_key=f"m{i}"), users)
        for _ in range(50):  # the sink is up
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        sent = 0
        while True:
            counts = outbox.deliver(app)
            sent += counts["sent"]
            if not any(counts.values()):
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        with database(app).transaction() as s:
            left = s.scalar(select(func.count()).select_from(MailOutbox).where(MailOutbox.status != "sent"))
        print(f"| outbox: {sent:,} mails sent (left unsent: {left}) | {sent / wall:.0f} mails/s | "
              f"{cpu * 1000 / max(sent, 1):.2f} ms CPU per mail |")
    finally:
        sink.terminate()
        sink.wait(5)


if __name__ == "__main__":
    main()
