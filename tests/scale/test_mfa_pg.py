"""On PostgreSQL a code is taken once even when two requests bring it at the same moment:
the factor's row is locked (FOR UPDATE) before the code is compared, so the second
request waits for the first to commit and then finds the step used. Without the lock
both would read "no step used yet" and both sessions would be verified."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from council import create_app
from council.auth import mfa
from council.auth.models import User
from council.extensions import database
from tests.factories import Factory, totp_code
from tests.scale.conftest import SECRET

pytestmark = pytest.mark.scale


def _waiting_on_a_lock(url: str) -> bool:
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                           "AND wait_event_type = 'Lock'").fetchone()
    return bool(row and row[0])


def test_one_code_brought_twice_at_once_verifies_one_session(pg_url: str, tmp_path: Path) -> None:
    app = create_app({"COUNCIL_DATABASE_URL": pg_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True})
    try:
        person = Factory(app).user("twice@example.org", second_factor=True)
        code = totp_code(app, person.email)
        first_checked, first_may_commit = threading.Event(), threading.Event()
        results: dict[str, bool] = {}

        def first() -> None:
            with database(app).transaction() as s:
                results["first"] = mfa.verify(s, user=s.get(User, person.id), code=code).ok
                first_checked.set()
                first_may_commit.wait(30)  # holds the factor's row lock until the second waits on it

        def second() -> None:
            with database(app).transaction() as s:
                results["second"] = mfa.verify(s, user=s.get(User, person.id), code=code).ok

        one = threading.Thread(target=first)
        one.start()
        assert first_checked.wait(30)
        two = threading.Thread(target=second)
        two.start()
        for _ in range(300):  # the second request is blocked on the row, not finished
            if _waiting_on_a_lock(pg_url) or not two.is_alive():
                break
            two.join(0.1)
        assert two.is_alive() and "second" not in results, "the second check did not wait for the first"
        first_may_commit.set()
        one.join(30)
        two.join(30)
        assert results == {"first": True, "second": False}
    finally:
        database(app).dispose()
