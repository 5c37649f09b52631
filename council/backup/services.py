"""``council backup`` and ``council restore``: the two operations, engine by engine.

Backup: the database snapshot first (its facts and the files it names read in the
same snapshot), then the files it names (files.py says why that order is
consistent), then the manifest, written last. Restore: every check before anything
is written (manifest, every part's SHA-256, the revision, the target's emptiness,
the tools), then the database, then the files, then proof: the restored database's
facts equal the manifest's and the audit chain verifies as ``verify-audit`` does.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from council.audit.services import Verification, verify
from council.backup import files, manifest, postgres, sqlite
from council.backup.manifest import Facts, Manifest
from council.errors import Conflict, Invalid
from council.evidence.storage import BlobStore
from council.migrate import alembic_config


@dataclass(frozen=True)
class BackupDone:
    path: Path
    manifest: Manifest


@dataclass(frozen=True)
class RestoreDone:
    manifest: Manifest
    facts: Facts
    audit: Verification
    files_restored: int
    head: str | None  # this code's newest revision

    @property
    def needs_migration(self) -> bool:
        return self.facts.revision != self.head


def kind_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _prepare_directory(path: Path) -> bool:
    """Refuse anything but a new or empty directory; True when this call made it."""
    if path.exists() and not path.is_dir():
        raise Invalid(f"{path} exists and is not a directory")
    if path.is_dir():
        if any(path.iterdir()):
            raise Invalid(f"{path} is not empty; back up into a new or empty directory")
        return False
    try:
        path.mkdir(parents=True)
    except OSError as exc:
        raise Invalid(f"cannot make {path}: {exc.strerror}") from exc
    return True


def backup(*, database_url: str, files_dir: str | Path, path: Path) -> BackupDone:
    """Back up the running platform's database and evidence files into ``path``."""
    kind = kind_of(database_url)
    if kind == "sqlite":
        sqlite.database_path(database_url)  # refuse a memory database before making the directory
    made = _prepare_directory(path)
    try:
        result = _backup_into(kind, database_url, BlobStore(files_dir), path)
    except BaseException:
        # Nothing half-written: what this call put there goes again.
        if made:
            shutil.rmtree(path, ignore_errors=True)
        else:
            for child in path.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        raise
    return result


def _backup_into(kind: str, url: str, store: BlobStore, path: Path) -> BackupDone:
    if kind == "sqlite":
        db_file = path / sqlite.PART
        sqlite.snapshot(url, db_file)
        with sqlite.connect(db_file) as conn:
            facts = manifest.read_facts(conn)
            referenced = manifest.referenced_files(conn)
        tool, server = sqlite.version(), ""
    else:
        db_file = path / postgres.PART
        with postgres.snapshot_connection(url) as (conn, snapshot_id):
            major = postgres.server_major(conn)
            pg_dump = postgres.find_tool("pg_dump", major)
            postgres.dump(url, snapshot_id, db_file, pg_dump)
            facts = manifest.read_facts(conn)
            referenced = manifest.referenced_files(conn)
            server = ".".join(str(n) for n in (conn.dialect.server_version_info or ()))
        tool = pg_dump.text
    file_parts, missing = files.copy_referenced(store, referenced, path)
    parts = [manifest.hash_file(db_file), *file_parts]
    made = Manifest(manifest.now_iso(), kind, facts, parts, tool, server, missing)
    made.write(path)
    return BackupDone(path, made)


def _known_revisions(url: str) -> tuple[ScriptDirectory, str | None]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return script, script.get_current_head()


def restore(*, database_url: str, files_dir: str | Path, path: Path, force: bool = False) -> RestoreDone:
    """Restore the backup in ``path`` into the configured database (empty, unless ``force``)
    and evidence store. The platform must not be running against that database."""
    made = manifest.read(path)
    kind = kind_of(database_url)
    if made.database_kind != kind:
        raise Invalid(f"this is a {made.database_kind} backup; COUNCIL_DATABASE_URL names a {kind} database")
    script, head = _known_revisions(database_url)
    revision = made.facts.revision
    if revision is None or _revision_unknown(script, revision):
        raise Invalid(f"the backup is at revision {revision}, unknown to this version of the platform "
                      "(made by a newer one?); restore it with that version")
    manifest.check_parts(path, made)
    part = path / made.database_part.path
    if kind == "sqlite":
        occupied = _sqlite_occupied(database_url)
        if occupied and not force:
            raise Conflict(f"the database is not empty ({occupied}); nothing was restored (--force overwrites it)")
        sqlite.put_back(part, database_url)
    else:
        with postgres.connect(database_url) as conn:
            pg_restore = postgres.find_tool("pg_restore", postgres.server_major(conn))
            has_tables = bool(inspect(conn).get_table_names())
            occupied = manifest.holds_data(conn)
        if occupied and not force:
            raise Conflict(f"the database is not empty ({occupied}); nothing was restored (--force overwrites it)")
        postgres.put_back(part, database_url, pg_restore, clear=has_tables)
    restored_files = files.put_back(path, made.file_parts, Path(files_dir))
    connect = sqlite.connect if kind == "sqlite" else postgres.connect
    with connect(database_url) as conn:
        facts = manifest.read_facts(conn)
        session = Session(bind=conn)
        try:
            audit = verify(session)
        finally:
            session.close()
    differences = made.facts.differences(facts)
    if differences:
        raise Invalid("the backup WAS restored but does not match its manifest (do not serve from it; restore "
                      "another backup with --force): " + "; ".join(differences[:5]))
    if not audit.ok:
        raise Invalid(f"the backup WAS restored but its audit chain is broken at row {audit.bad_id}: {audit.reason} "
                      "(do not serve from it; restore another backup with --force)")
    return RestoreDone(made, facts, audit, restored_files, head)


def _revision_unknown(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is None
    except Exception:  # alembic raises its own errors for ids it does not know
        return True


def _sqlite_occupied(url: str) -> str | None:
    if not sqlite.exists(url):
        return None
    with sqlite.connect(url) as conn:
        return manifest.holds_data(conn)
