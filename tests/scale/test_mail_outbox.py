"""The mail outbox with two app processes on PostgreSQL: while the SMTP server
is down, mail waits (and is retried with backoff); when it comes back, every mail
is sent exactly once — the processes claim rows with FOR UPDATE SKIP LOCKED."""

from __future__ import annotations

import time

from sqlalchemy import select

from council.auth.models import User
from council.extensions import database
from council.notifications.models import MailOutbox
from council.notifications.services import Note, notify
from tests.council.test_notifications import Smtp
from tests.scale.conftest import Cluster, World

MAILS = 30


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.25)  # the processes' workers run on their own clock (every 2 s)
    return False


def test_two_processes_send_each_mail_once_after_an_smtp_outage(cluster: Cluster, world: World):
    smtp = Smtp()  # not started: the server is down
    people = [world.person() for _ in range(3)]
    database(world.app).mail_on = True
    with database(world.app).transaction() as s:
        users = [s.get(User, p.id) for p in people]
        for i in range(MAILS // 3):
            notify(s, Note(kind="mention", title=f"Outage mail {i}", url="/notifications",
                           dedupe_key=f"outage:{i}"), users)
    with world.session() as s:
        ids = [row.id for row in s.scalars(select(MailOutbox))]
    assert len(ids) == MAILS
    cluster.start(2, COUNCIL_SMTP_HOST="127.0.0.1", COUNCIL_SMTP_PORT=str(smtp.port), COUNCIL_SMTP_SECURITY="none",
                  COUNCIL_MAIL_FROM="council@ncert.example")

    def tried() -> bool:
        with world.session() as s:
            return all(r.attempts >= 1 for r in s.scalars(select(MailOutbox).where(MailOutbox.id.in_(ids))))

    assert _wait(tried, 30), "the processes never tried the SMTP server"
    with world.session() as s:
        rows = s.scalars(select(MailOutbox).where(MailOutbox.id.in_(ids))).all()
        assert {r.status for r in rows} == {"pending"} and all("SMTP" in r.last_error for r in rows)
    smtp.start()
    try:
        def sent() -> bool:
            with world.session() as s:
                return all(r.status == "sent" for r in s.scalars(select(MailOutbox).where(MailOutbox.id.in_(ids))))

        assert _wait(sent, 60), "mail was not sent after the server came back"
        time.sleep(3)  # one more pass of both workers: nothing is sent twice
        with world.session() as s:
            rows = s.scalars(select(MailOutbox).where(MailOutbox.id.in_(ids))).all()
            workers = {r.claimed_by.split(":")[1] for r in rows}
        subjects = sorted(m["Subject"] for m in smtp.mails)
        assert subjects == sorted(f"[TLP:CLEAR] Outage mail {i}" for i in range(MAILS // 3) for _ in range(3))
        assert len({m["Message-ID"] for m in smtp.mails}) == MAILS
        assert workers, "no process recorded its claim"
    finally:
        smtp.stop()
