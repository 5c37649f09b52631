"""The PostgreSQL database part: ``pg_dump -Fc`` in the snapshot the manifest is read in,
``pg_restore`` to put it back.

The backup opens a REPEATABLE READ transaction, exports its snapshot
(``pg_export_snapshot()``) and hands it to ``pg_dump --snapshot``: the dump, the
manifest's counts and the list of evidence files to copy all describe the same
moment, while the platform keeps writing (neither blocks writers).

pg_dump refuses a server newer than itself, and pg_restore an archive from a newer
pg_dump, so the tools are looked for on PATH and in ``/usr/lib/postgresql/*/bin``
(Debian's side-by-side versions) and the newest is used; a version older than the
server is refused up front, naming what to install.
"""

from __future__ import annotations

import glob
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, make_url
from sqlalchemy.engine import Connection

from council.config import child_environment
from council.errors import Invalid

PART = "database.pgdump"
TOOL_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Tool:
    path: str
    version: tuple[int, ...]
    text: str  # "pg_dump (PostgreSQL) 15.20 (Debian …)"

    @property
    def major(self) -> int:
        return self.version[0]


def _version_of(path: str) -> Tool | None:
    try:
        done = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return None
    match = re.search(r"(\d+)(?:\.(\d+))?", done.stdout)
    if done.returncode != 0 or match is None:
        return None
    numbers = tuple(int(n) for n in match.groups() if n is not None)
    return Tool(path, numbers, done.stdout.strip())


def find_tool(name: str, server_major: int) -> Tool:
    """The newest ``name`` (pg_dump, pg_restore) on PATH or in /usr/lib/postgresql/*/bin."""
    candidates = {p for p in (shutil.which(name), *glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) if p}
    tools = [t for t in map(_version_of, sorted(candidates)) if t is not None]
    if not tools:
        raise Invalid(f"{name} not found on PATH or in /usr/lib/postgresql/*/bin; "
                      f"install the PostgreSQL {server_major} client tools")
    best = max(tools, key=lambda t: t.version)
    if best.major < server_major:
        raise Invalid(f"{best.path} is version {best.major}, older than the server ({server_major}); "
                      f"install the PostgreSQL {server_major} client tools")
    return best


def libpq(url: str) -> tuple[str, dict[str, str]]:
    """The database URL as libpq reads it, and the environment carrying its password
    (PGPASSWORD: never on a command line, where ``ps`` would show it)."""
    parsed = make_url(url)
    env = child_environment()
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=TOOL_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise Invalid(f"{what} failed: {exc}") from exc
    if done.returncode != 0:
        detail = " ".join(done.stderr.strip().splitlines()[-3:]) or f"exit {done.returncode}"
        raise Invalid(f"{what} failed: {detail}")


@contextmanager
def snapshot_connection(url: str) -> Iterator[tuple[Connection, str]]:
    """A REPEATABLE READ transaction and the id of its exported snapshot, open for the block."""
    engine = create_engine(url)
    try:
        with engine.connect() as raw:
            conn = raw.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot_id = str(conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one())
                yield conn, snapshot_id
    finally:
        engine.dispose()


def server_major(conn: Connection) -> int:
    info = conn.dialect.server_version_info or (0,)
    return int(info[0])


def dump(url: str, snapshot_id: str, dest: Path, tool: Tool) -> None:
    target, env = libpq(url)
    _run([tool.path, "--format=custom", "--snapshot", snapshot_id, "--no-owner", "--file", str(dest),
          "--dbname", target], env, "pg_dump")


def put_back(part: Path, url: str, tool: Tool, *, clear: bool) -> None:
    """Restore the archive into the database at ``url``. ``clear``: it holds tables (a
    database ``council init`` made, or one being overwritten with --force): the schema is
    dropped and made again first, so no table the archive lacks (a later migration's)
    survives beside the restored ones, then given back to the database's owner as
    PostgreSQL 15 creates it. The archive is read first (``pg_restore --list``: its header
    and table of contents), so a tool that cannot read it refuses before anything is dropped."""
    target, env = libpq(url)
    _run([tool.path, "--list", str(part)], env, "pg_restore (reading the archive; nothing was changed)")
    if clear:
        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
                if server_major(conn) >= 14:
                    conn.exec_driver_sql("ALTER SCHEMA public OWNER TO pg_database_owner")
                conn.exec_driver_sql("GRANT USAGE ON SCHEMA public TO PUBLIC")
        finally:
            engine.dispose()
    _run([tool.path, "--no-owner", "--exit-on-error", "--single-transaction", "--dbname", target, str(part)],
         env, "pg_restore")


@contextmanager
def connect(url: str) -> Iterator[Connection]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()
