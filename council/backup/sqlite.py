"""The SQLite database part: made and put back with SQLite's online backup API.

``sqlite3.Connection.backup`` copies the pages inside one read transaction (all pages
in a single step), so the copy is the database as of one moment; in WAL mode, which
the platform always uses, writers carry on while it reads. Copying the file itself
would not do: the last commits may still sit in the ``-wal`` file, and a copy taken
mid-write is torn.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Connection

from council.db import SQLITE_BUSY_TIMEOUT_MS
from council.errors import Invalid

PART = "database.sqlite3"


def database_path(url: str) -> Path:
    name = make_url(url).database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise Invalid(f"the SQLite database must be a file to back up or restore (COUNCIL_DATABASE_URL: {url})")
    return Path(name)


def version() -> str:
    return f"sqlite3 {sqlite3.sqlite_version}"


def snapshot(url: str, dest: Path) -> None:
    """Copy the live database at ``url`` into ``dest`` (a new file, left in rollback-journal
    mode so the backup is one self-contained file)."""
    source_path = database_path(url)
    if not source_path.is_file():
        raise Invalid(f"no SQLite database at {source_path}")
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        target = sqlite3.connect(dest)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
    finally:
        source.close()


def put_back(part: Path, url: str) -> None:
    """Overwrite the database at ``url`` (made if absent) with the backup's pages, through
    SQLite, so a ``-wal`` file the old database left is dealt with, not mixed in."""
    target_path = database_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{part}?mode=ro", uri=True)
    try:
        target = sqlite3.connect(target_path, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
        try:
            source.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
        finally:
            target.close()
    finally:
        source.close()


@contextmanager
def connect(url_or_path: str | Path) -> Iterator[Connection]:
    """A plain connection (no write lock, no pragmas beyond SQLite's own) for reading facts."""
    url = url_or_path if isinstance(url_or_path, str) else f"sqlite:///{url_or_path}"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def exists(url: str) -> bool:
    path = database_path(url)
    return path.is_file() and path.stat().st_size > 0
