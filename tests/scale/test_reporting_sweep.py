"""The overdue sweep marks each stage once with two processes running the
scheduler on PostgreSQL (each claims its row with UPDATE … WHERE overdue_at IS
NULL), and references stay unique when both file at the same instant."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from council.audit.models import AuditEntry
from council.audit.services import verify
from council.auth.models import User
from council.db import utcnow
from council.extensions import database
from council.reporting import regimes, services
from council.reporting.models import Incident, IncidentStage
from tests.scale.conftest import Cluster, World


def _file(world: World, reporter_id: int, hours_ago: float) -> int:
    with database(world.app).transaction() as s:
        if not regimes.history(s, "scale-fast"):
            regimes.save_version(s, actor=None, key="scale-fast", title="Fast", sectors=[], audience="chain",
                                 stages=[{"key": "first", "title": "First", "hours": 1, "clock": "detection"},
                                         {"key": "second", "title": "Second", "hours": 2, "clock": "detection"}])
        incident, _ = services.file_incident(
            s, actor=s.get(User, reporter_id), title="Scale incident", type="incident", tlp="GREEN",
            detected_at=(utcnow() - timedelta(hours=hours_ago)).isoformat(), regime_keys=["scale-fast"])
        return incident.id


def test_two_processes_mark_each_overdue_stage_exactly_once(cluster: Cluster, world: World):
    reporter = world.person()
    ids = [_file(world, reporter.id, hours_ago=3) for _ in range(5)]  # both stages of each are overdue
    cluster.start(2)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        with world.session() as s:
            marked = s.scalars(select(IncidentStage).where(IncidentStage.incident_id.in_(ids),
                                                           IncidentStage.overdue_at.is_not(None))).all()
        if len(marked) == 10:
            break
        time.sleep(0.5)  # the processes' schedulers run on their own clock (every 15 s)
    time.sleep(1.0)
    with world.session() as s:
        marks = s.scalars(select(AuditEntry).where(AuditEntry.action == "incident.stage_overdue")).all()
        assert verify(s).ok
    mine = [m for m in marks if int(m.target_id) in ids]
    assert len(mine) == 10, [m.details for m in mine]
    assert "scheduled job" not in cluster.logs()


def test_filing_at_the_same_instant_gives_unique_references(world: World):
    reporter = world.person()
    _file(world, reporter.id, hours_ago=0.1)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(10)
            _file(world, reporter.id, hours_ago=0.1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with world.session() as s:
        refs = [i.ref for i in s.scalars(select(Incident).where(Incident.reporter_user_id == reporter.id))]
    assert len(refs) == 7 and len(set(refs)) == 7
