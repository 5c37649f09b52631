"""The periodic audit anchor is written once per period on PostgreSQL too: two
apps (as two processes would) race for the same period behind a barrier, and
the conditional UPDATE of the clock row lets exactly one of them anchor. The
anchor then checks out against the PostgreSQL chain."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from council import create_app
from council.audit.anchors import check, read_anchors, scheduled
from council.audit.services import record
from council.audit.signing import load
from council.db import utcnow
from council.extensions import database, settings
from tests.scale.conftest import SECRET

pytestmark = pytest.mark.scale


def test_two_processes_racing_for_a_period_write_one_anchor(pg_url: str, tmp_path: Path) -> None:
    apps = [create_app({"COUNCIL_DATABASE_URL": pg_url, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "threading",
                        "INSTANCE_PATH": str(tmp_path / "instance"), "TESTING": True}) for _ in range(2)]
    try:
        with database(apps[0]).transaction() as s:
            for i in range(3):
                record(s, action="test.event", details={"n": i})
        now, barrier = utcnow(), threading.Barrier(2)
        results: list[object] = []

        def race(app) -> None:  # type: ignore[no-untyped-def]
            barrier.wait()
            with database(app).transaction() as s:
                results.append(scheduled(s, settings(app).anchor, origin="pg", now=now))

        threads = [threading.Thread(target=race, args=(app,)) for app in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sum(r is not None for r in results) == 1 and len(results) == 2
        conf = settings(apps[0]).anchor
        anchors = read_anchors(conf.anchors_path)
        assert [a.last_id for a in anchors] == [3]
        with database(apps[1]).session(write=False) as s:
            assert check(s, anchors, load(conf.key_path).public_key()).ok
    finally:
        for app in apps:
            database(app).dispose()
