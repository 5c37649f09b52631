"""The hash-chained audit record: appends verify, every kind of tampering is
named by row, and concurrent writers still produce one linear chain."""

from __future__ import annotations

import itertools
import json
import threading

import pytest
from sqlalchemy import select, text

from council.audit.models import AuditEntry, AuditHead
from council.audit.services import GENESIS, compute_hash, record, verify
from council.extensions import database

ROWS = 5


def append(app, n: int = ROWS) -> None:
    with database(app).transaction() as s:
        for i in range(n):
            record(s, action="test.event", target_type="thing", target_id=i, details={"n": i, "note": "ünïcode"})


def check(app):
    with database(app).session(write=False) as s:
        return verify(s)


def sql(app, statement: str) -> None:
    """Raw SQL straight at the database, as someone with file access would."""
    with database(app).write_engine.begin() as conn:
        conn.exec_driver_sql(statement)


def cli_verify(app):
    return app.test_cli_runner().invoke(args=["council", "verify-audit"])


def test_recorded_rows_verify_and_link_from_genesis(app):
    append(app)
    result = check(app)
    assert (result.ok, result.count, result.bad_id) == (True, ROWS, None)
    with database(app).session(write=False) as s:
        rows = list(s.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        head = s.get(AuditHead, 1)
    assert [r.id for r in rows] == list(range(1, ROWS + 1))
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert all(compute_hash(r) == r.hash for r in rows)
    assert (head.last_id, head.last_hash, head.count) == (ROWS, rows[-1].hash, ROWS)
    assert result.last_hash == rows[-1].hash
    assert json.loads(rows[0].details) == {"n": 0, "note": "ünïcode"}


def actions(session) -> list[str]:
    return [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_rows_are_written_in_one_insert_yet_visible_inside_their_transaction(app):
    """record() keeps rows pending until the session flushes: a query in the
    same transaction sees them, a rolled-back savepoint drops only its own, and
    a session closed unwritten leaves nothing behind, even when reused."""
    db = database(app)
    s = db.session(write=True)
    record(s, action="kept.1")
    with s.begin_nested():
        record(s, action="kept.2")
    with pytest.raises(RuntimeError), s.begin_nested():
        record(s, action="dropped.savepoint")
        raise RuntimeError
    record(s, action="kept.3")
    assert actions(s) == ["kept.1", "kept.2", "kept.3"]
    record(s, action="kept.4")
    s.commit()
    record(s, action="dropped.closed")
    s.close()
    record(s, action="kept.5")  # the same session object, a new transaction
    s.commit()
    s.close()
    with db.session(write=False) as r:
        assert actions(r) == ["kept.1", "kept.2", "kept.3", "kept.4", "kept.5"]
    result = check(app)
    assert (result.ok, result.count) == (True, 5)


def test_a_rolled_back_transaction_leaves_no_audit_row(app):
    append(app, 2)
    with pytest.raises(RuntimeError), database(app).transaction() as s:
        record(s, action="test.event")
        raise RuntimeError("the change failed")
    assert check(app).count == 2 and check(app).ok


@pytest.mark.parametrize(("statement", "bad_id", "reason"), [
    ("UPDATE audit_log SET details = '{\"n\":99}' WHERE id = 3", 3, "content does not match its hash"),
    ("UPDATE audit_log SET details = 'not json' WHERE id = 3", 3, "content does not match its hash"),
    ("UPDATE audit_log SET action = 'innocent' WHERE id = 2", 2, "content does not match its hash"),
    ("UPDATE audit_log SET actor_label = 'someone else' WHERE id = 1", 1, "content does not match its hash"),
    ("DELETE FROM audit_log WHERE id = 3", 4, "row(s) missing before it"),
    ("DELETE FROM audit_log WHERE id = 5", 5, "row(s) missing at the end of the chain"),
    ("DELETE FROM audit_log WHERE id >= 4", 5, "row(s) missing at the end of the chain"),
    ("INSERT INTO audit_log (id, at, actor_label, action, target_type, target_id, details, prev_hash, hash) "
     "SELECT 6, at, 'forger', 'test.forged', '', '', '{}', hash, 'f00d' FROM audit_log WHERE id = 5",
     6, "content does not match its hash"),
    ("UPDATE audit_log SET prev_hash = (SELECT hash FROM audit_log WHERE id = 1) WHERE id = 3",
     3, "prev_hash does not match the row before"),
])
def test_tampering_is_detected_and_the_row_named(app, statement, bad_id, reason):
    append(app)
    sql(app, statement)
    result = check(app)
    assert result.ok is False
    assert (result.bad_id, result.reason) == (bad_id, reason)
    cli = cli_verify(app)
    assert cli.exit_code != 0
    assert cli.stderr.startswith(f"error: audit chain broken at row {bad_id}: {reason}")


def _rehash(app, row_id: int, **changes: object) -> None:
    """Rewrite a row *and* its hash, as someone who knows the scheme would."""
    with database(app).write_engine.begin() as conn:
        if changes:
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            conn.execute(text(f"UPDATE audit_log SET {sets} WHERE id = :id"), {**changes, "id": row_id})
    with database(app).transaction() as s:
        row = s.get(AuditEntry, row_id)
        s.execute(text("UPDATE audit_log SET hash = :h WHERE id = :id"), {"h": compute_hash(row), "id": row_id})


def test_a_rewritten_middle_row_with_a_recomputed_hash_breaks_the_next_link(app):
    append(app)
    _rehash(app, 3, details='{"n":99}')
    result = check(app)
    assert (result.ok, result.bad_id, result.reason) == (False, 4, "prev_hash does not match the row before")


def test_a_rewritten_last_row_with_a_recomputed_hash_no_longer_matches_the_head(app):
    append(app)
    _rehash(app, ROWS, details='{"n":99}')
    result = check(app)
    assert (result.ok, result.bad_id, result.reason) == (False, ROWS, "last row does not match the recorded tip")


def test_a_forged_row_with_a_valid_hash_past_the_tip_is_named(app):
    append(app)
    sql(app, "INSERT INTO audit_log (id, at, actor_label, action, target_type, target_id, details, prev_hash, hash) "
             "SELECT 6, at, 'forger', 'test.forged', '', '', '{}', hash, 'placeholder' FROM audit_log WHERE id = 5")
    _rehash(app, 6)
    result = check(app)
    assert (result.ok, result.bad_id, result.reason) == (False, 6, "row(s) after the recorded end of the chain")
    assert "broken at row 6" in cli_verify(app).stderr


def test_concurrent_appends_from_eight_threads_form_one_linear_chain(app):
    threads_n, per_thread = 8, 5
    barrier = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with database(app).transaction() as s:
                    record(s, action="test.concurrent", target_type="thread", target_id=k, details={"i": i})
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    total = threads_n * per_thread
    result = check(app)
    assert (result.ok, result.count) == (True, total)
    with database(app).session(write=False) as s:
        ids = list(s.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
        per_thread_seen = {k: 0 for k in range(threads_n)}
        for target in s.scalars(select(AuditEntry.target_id)):
            per_thread_seen[int(target)] += 1
    assert ids == list(range(1, total + 1))
    assert set(per_thread_seen.values()) == {per_thread}
