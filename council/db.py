"""Database engines, sessions and the typed declarative base.

Two engines share one database. Reads use plain transactions; writes use the
*write* engine, which on SQLite opens ``BEGIN IMMEDIATE`` under a process-wide
lock. Why: SQLite allows one writer; a deferred transaction that reads and then
writes can fail with "database is locked" when another writer slipped in, and
under gevent a writer that yields mid-transaction would make the next writer
spin in SQLite's C busy-wait and freeze the whole process. Taking the (gevent
aware, once monkey-patched) lock first turns that into an ordinary cooperative
wait. On PostgreSQL both engines are the same pool and row locks do the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import DateTime, MetaData, String, Text, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from council.groupcommit import GroupCommit

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_MS = 15000
WRITE_LOCK_TIMEOUT_S = 30.0


# Trusted code writing history (the demo, imports of past records) sets the
# clock for what it writes, so every row, event and audit entry carries the
# time it describes; everything else reads the real clock.
_HISTORY_CLOCK: ContextVar[datetime | None] = ContextVar("council_history_clock", default=None)


@event.listens_for(Session, "before_flush")
def _clean_strings(session: Session, _context: Any, _instances: Any) -> None:
    """Every string an ORM row is written with loses NUL (PostgreSQL refuses it in
    text) and, in short columns (names, titles), bidi controls: one rule for every
    slice, so no form or endpoint can forget it. Event rows written by Core are
    cleaned where they are written (rooms/stream.py)."""
    from council.text import clean_line, clean_text

    for obj in (*session.new, *session.dirty):
        table = getattr(obj, "__table__", None)
        if table is None:
            continue
        for column in table.columns:
            if not isinstance(column.type, String):
                continue
            value = obj.__dict__.get(column.key)
            if isinstance(value, str):
                cleaned = clean_text(value) if isinstance(column.type, Text) else clean_line(value)
                if cleaned != value:
                    setattr(obj, column.key, cleaned)


def utcnow() -> datetime:
    return _HISTORY_CLOCK.get() or datetime.now(UTC)


@contextmanager
def history_clock(at: datetime) -> Iterator[None]:
    """Within the block, "now" is ``at`` (for seeds and imports of the past only)."""
    token = _HISTORY_CLOCK.set(at)
    try:
        yield
    finally:
        _HISTORY_CLOCK.reset(token)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite keeps no zone; without this, values would come back naive and
    comparisons with aware datetimes would fail at run time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store UTC-aware times only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Database:
    """Engines and session factories for one configured database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._write_lock = threading.Lock()
        if self.is_sqlite:
            self.read_engine = self._sqlite_engine(url, immediate=False)
            self.write_engine = self._sqlite_engine(url, immediate=True)
        else:
            # hide_parameters: a database error's message (logged) never carries the values
            # of its statement — post bodies, descriptions, indicator values.
            self.read_engine = create_engine(
                url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
            )
            self.write_engine = self.read_engine
        self._read = sessionmaker(self.read_engine, expire_on_commit=False)
        self._write = sessionmaker(self.write_engine, expire_on_commit=False)
        # Where committed sessions hand their queued realtime events (set by the app).
        self.sender: Callable[[Any], None] | None = None
        # Whether mail is configured: the notification service writes outbox rows only then.
        self.mail_on = False
        # Keys derived from the app's secret key, by purpose (council/auth/sealing.py; set by the app).
        self.keys: dict[str, bytes] = {}
        # Chat posts and other small room writes share transactions under load (groupcommit.py).
        self.grouped = GroupCommit(self)

    def _sqlite_engine(self, url: str, *, immediate: bool) -> Engine:
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            if immediate:
                if not self._write_lock.acquire(timeout=WRITE_LOCK_TIMEOUT_S):
                    raise TimeoutError("timed out waiting for the database write lock")
                conn.info["council_write_lock"] = True
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                except Exception:
                    self._release(conn)
                    raise
            else:
                conn.exec_driver_sql("BEGIN")

        if immediate:
            event.listen(engine, "commit", self._release)
            event.listen(engine, "rollback", self._release)
        return engine

    def _release(self, conn: Any) -> None:
        if conn.info.pop("council_write_lock", False):
            self._write_lock.release()

    def session(self, *, write: bool) -> Session:
        session = (self._write if write else self._read)()
        session.info["council_sender"] = self.sender
        session.info["council_mail_on"] = self.mail_on
        session.info["council_keys"] = self.keys
        return session

    @contextmanager
    def transaction(self, after_commit: Callable[[Session], None] | None = None) -> Iterator[Session]:
        """A write session committed once at the end, rolled back on error.

        ``after_commit`` runs once the commit is durable; it is where queued
        realtime events go out, never inside the transaction.
        """
        session = self.session(write=True)
        try:
            yield session
            session.commit()
            if after_commit is not None:
                after_commit(session)
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()
