"""Upgrading a database that holds data: from the oldest migration to head, every row survives.

The database is made at the first revision, then every table that exists there gets a
row, built from the reflected schema (foreign keys point at the row of the table they
refer to, NOT NULL columns get a value of their type, single-column CHECK constraints
listing values get the first of them), so a table a later revision adds at the base is
filled without this test knowing its name; a table left empty fails the test. The
audit row is written as the appender writes it (hash over the canonical row, the head
pointing at it), so after the upgrade ``verify-audit``'s check must still pass.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime, timedelta
from typing import Any

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Boolean, Float, Integer, MetaData, Numeric, String, Table, create_engine, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from council.audit.services import GENESIS, compute_hash, verify
from council.migrate import alembic_config, current_revision, upgrade

AT = datetime(2026, 11, 29, 8, 30, tzinfo=UTC)
_QUOTED = re.compile(r"'([^']*)'")
_LENGTH = re.compile(r"length\((\w+)\)\s*=\s*(\d+)")
_ONE_OF = re.compile(r"\((\w+) IS NULL\)\s*<>\s*\((\w+) IS NULL\)", re.I)  # one of two set
_NULL = object()


def start_revision(url: str, which: str) -> str:
    """``oldest``: the first migration; ``previous``: the one before head (the newest
    migration then runs on a database holding a row in every table)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    if which == "oldest":
        found = script.get_base()
    else:
        head = script.get_revision(script.get_current_head())
        found = head.down_revision if head is not None else None
    assert isinstance(found, str)
    return found


def _listed_values(conn: Connection, table: Table) -> dict[str, Any]:
    """Column → a value its CHECK constraints allow: the first listed value of a constraint on
    one column, a string of the length ``length(col) = N`` demands, an end after its start, and
    the second of two columns of which exactly one is set (``(a IS NULL) <> (b IS NULL)``) left null."""
    out: dict[str, Any] = {}
    for check in inspect(conn).get_check_constraints(table.name):
        text = check["sqltext"]
        for column, length in _LENGTH.findall(text):
            out[column] = "a" * int(length)
        for _first, second in _ONE_OF.findall(text):
            out[second] = _NULL
        if re.search(r"\bends_at\b\s*>\s*\bstarts_at\b", text):
            out["ends_at"] = AT + timedelta(hours=1)
        bare = _QUOTED.sub("''", text)  # a listed value ("crisis-level") is no column name ("level")
        named = [c.name for c in table.columns if re.search(rf"\b{re.escape(c.name)}\b", bare)]
        values = _QUOTED.findall(text)
        if len(named) == 1 and values:
            out.setdefault(named[0], values[0])
    return out


def _value(column: Any, n: int, listed: dict[str, Any]) -> Any:
    if column.name in listed:
        return listed[column.name]
    kind = column.type
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, Integer | Numeric | Float):
        return 1
    if isinstance(kind, String):
        text = f"upgrade-{n}-{column.name}"
        return "{}" if kind.length is None else text[: kind.length]
    return "{}"


def _python_type(column: Any) -> Any:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def row_for(conn: Connection, table: Table, n: int, firsts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    listed = _listed_values(conn, table)
    row: dict[str, Any] = {}
    for column in table.columns:
        fk = next(iter(column.foreign_keys), None)
        if listed.get(column.name) is _NULL:
            row[column.name] = None
        elif fk is not None:
            referred = fk.column.table.name
            row[column.name] = None if referred == table.name else firsts[referred][fk.column.name]
        elif column.primary_key and isinstance(column.type, Integer):
            row[column.name] = 1
        elif column.nullable and column.name not in listed:
            row[column.name] = None
        elif column.name in listed:
            row[column.name] = listed[column.name]
        elif _python_type(column) is datetime:
            row[column.name] = AT
        elif _python_type(column) is date:
            row[column.name] = AT.date()
        else:
            row[column.name] = _value(column, n, listed)
    return row


def fill_every_table(url: str) -> dict[str, int]:
    """One row in every table that has none (in foreign-key order); the row counts after."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            meta = MetaData()
            meta.reflect(conn)
            firsts: dict[str, dict[str, Any]] = {}
            for n, table in enumerate(meta.sorted_tables):
                existing = conn.execute(select(table).limit(1)).mappings().first()
                if existing is not None:  # written by the migrations (the audit head at genesis)
                    firsts[table.name] = dict(existing)
                    continue
                row = row_for(conn, table, n, firsts)
                if table.name == "audit_log":
                    row.update(id=1, prev_hash=GENESIS, details='{"why":"upgrade test"}', at=AT)
                    row["hash"] = compute_hash(row)
                conn.execute(table.insert().values(row))
                firsts[table.name] = row
            audit = firsts.get("audit_log")
            if audit is not None and "audit_head" in meta.tables:
                conn.execute(meta.tables["audit_head"].update().values(last_id=1, last_hash=audit["hash"], count=1))
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in meta.sorted_tables}
    finally:
        engine.dispose()


def counts_and_audit(url: str, names: list[str]) -> tuple[dict[str, int], Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            quote = conn.dialect.identifier_preparer.quote
            counts = {name: conn.exec_driver_sql(f"SELECT count(*) FROM {quote(name)}").scalar_one()
                      for name in names}
            session = Session(bind=conn)
            try:
                audit = verify(session)
            finally:
                session.close()
    finally:
        engine.dispose()
    return counts, audit


def check_upgrade_keeps_every_row(url: str, which: str = "oldest", *, at_head: bool = False) -> None:
    """``at_head``: the database at ``url`` is already at head (a copy of the tests' template),
    and is taken down to the start with the migrations' downgrades (one step for ``previous``,
    much cheaper than migrating up from nothing)."""
    first = start_revision(url, which)
    if at_head:
        command.downgrade(alembic_config(url), first)
    else:
        upgrade(url, first)
    assert current_revision(url) == first
    before = fill_every_table(url)
    assert before and all(before.values()), f"tables left empty at {first}: {[t for t, c in before.items() if not c]}"
    upgrade(url)
    assert current_revision(url) == ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    after, audit = counts_and_audit(url, [name for name in before if name != "alembic_version"])
    assert after == {name: count for name, count in before.items() if name != "alembic_version"}
    assert audit.ok and audit.count == 1, audit


def test_every_row_written_at_the_oldest_revision_survives_the_upgrade_to_head(tmp_path):
    check_upgrade_keeps_every_row(f"sqlite:///{tmp_path / 'old.db'}", "oldest")


def test_every_row_written_before_the_newest_migration_survives_it(tmp_path, template_db):
    shutil.copy(template_db, tmp_path / "previous.db")
    check_upgrade_keeps_every_row(f"sqlite:///{tmp_path / 'previous.db'}", "previous", at_head=True)
