"""The manifest of a backup: what it holds, and how to tell it arrived unchanged.

``manifest.json`` names the format, when and from what database kind and Alembic
revision it was made, the row count of every table, every room's last seq and the
audit chain's tip — all read inside the same snapshot the database part was made
from, so a restore can compare what it put back with what was there — and the
SHA-256 and size of every part (the database file and each evidence file).
The facts are read generically (every table the snapshot holds), so a table added
by a later migration is counted without this module knowing of it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from council.errors import Invalid

FORMAT = 1
NAME = "manifest.json"
CHUNK = 1 << 20
# Rows only the migrations write: a database holding nothing else is empty (see holds_data).
MIGRATION_FILLED = {"alembic_version", "audit_head", "crisis_levels"}
_FILE_PART = re.compile(r"^files/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{64})(\.zip)?$")


@dataclass(frozen=True)
class Part:
    path: str  # relative to the backup directory, always with "/"
    sha256: str
    size: int


@dataclass(frozen=True)
class Facts:
    """What a database holds, for the manifest and for checking a restore against it."""

    revision: str | None
    tables: dict[str, int]
    room_seqs: dict[str, int]
    audit_tip: dict[str, Any]

    def differences(self, other: Facts) -> list[str]:
        """Each way ``other`` (a restored database) differs from these facts, in words."""
        out = []
        if self.revision != other.revision:
            out.append(f"revision {other.revision} instead of {self.revision}")
        for name in sorted(set(self.tables) | set(other.tables)):
            if self.tables.get(name) != other.tables.get(name):
                out.append(f"table {name}: {other.tables.get(name)} rows instead of {self.tables.get(name)}")
        if self.room_seqs != other.room_seqs:
            out.append("rooms' last seq differ")
        if self.audit_tip != other.audit_tip:
            out.append(f"audit tip {other.audit_tip} instead of {self.audit_tip}")
        return out


@dataclass(frozen=True)
class Manifest:
    created_at: str
    database_kind: str  # "sqlite" or "postgresql"
    facts: Facts
    parts: list[Part]
    tool: str = ""  # what made the database part ("sqlite3 3.40.1", "pg_dump (PostgreSQL) 15.20")
    server_version: str = ""
    missing_files: list[str] = field(default_factory=list)
    format: int = FORMAT

    @property
    def database_part(self) -> Part:
        return next(p for p in self.parts if not p.path.startswith("files/"))

    @property
    def file_parts(self) -> list[Part]:
        return [p for p in self.parts if p.path.startswith("files/")]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format, "created_at": self.created_at,
            "database": {"kind": self.database_kind, "revision": self.facts.revision, "tool": self.tool,
                         "server_version": self.server_version},
            "tables": self.facts.tables, "rooms": self.facts.room_seqs, "audit": self.facts.audit_tip,
            "parts": [{"path": p.path, "sha256": p.sha256, "size": p.size} for p in self.parts],
            "missing_files": self.missing_files,
        }

    def write(self, directory: Path) -> None:
        """Written last, and renamed into place: a directory without a manifest is no backup."""
        tmp = directory / (NAME + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, directory / NAME)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read(directory: Path) -> Manifest:
    """The manifest of the backup in ``directory``; Invalid when absent or not one this code reads."""
    path = directory / NAME
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise Invalid(f"{directory} holds no {NAME}: not a backup, or an unfinished one") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise Invalid(f"{path} cannot be read as JSON ({exc})") from exc
    try:
        if doc["format"] != FORMAT:
            raise Invalid(f"{path} has format {doc['format']!r}; this version reads format {FORMAT}")
        db = doc["database"]
        if db["kind"] not in ("sqlite", "postgresql"):
            raise Invalid(f"{path}: unknown database kind {db['kind']!r}")
        parts = [Part(_part_path(p["path"]), str(p["sha256"]), int(p["size"])) for p in doc["parts"]]
        facts = Facts(db["revision"], {str(k): int(v) for k, v in doc["tables"].items()},
                      {str(k): int(v) for k, v in doc["rooms"].items()}, dict(doc["audit"]))
        manifest = Manifest(str(doc["created_at"]), db["kind"], facts, parts, str(db.get("tool", "")),
                            str(db.get("server_version", "")), [str(m) for m in doc.get("missing_files", [])])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Invalid(f"{path} is not a complete manifest ({type(exc).__name__}: {exc})") from exc
    if sum(1 for p in parts if not p.path.startswith("files/")) != 1:
        raise Invalid(f"{path} must name exactly one database part")
    return manifest


def _part_path(value: Any) -> str:
    """A part's path, refused unless it is one a backup writes (never ``..``, never absolute)."""
    text = str(value)
    if text in ("database.sqlite3", "database.pgdump") or _FILE_PART.fullmatch(text):
        return text
    raise ValueError(f"unexpected part path {text!r}")


def file_key(part_path: str) -> str:
    """The evidence store key of a file part (``files/ab/cd/abcd….zip`` → ``ab/cd/abcd….zip``)."""
    match = _FILE_PART.fullmatch(part_path)
    if match is None or match.group(3)[:2] != match.group(1) or match.group(3)[2:4] != match.group(2):
        raise Invalid(f"unexpected file part {part_path!r}")
    return part_path.removeprefix("files/")


def hash_file(path: Path) -> Part:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return Part(path.name, digest.hexdigest(), size)


def check_parts(directory: Path, manifest: Manifest) -> None:
    """Every part present with the size and SHA-256 the manifest gives, before anything is written."""
    for part in manifest.parts:
        path = directory / part.path
        if not path.is_file():
            raise Invalid(f"backup part {part.path} is missing")
        found = hash_file(path)
        if found.size != part.size or found.sha256 != part.sha256:
            raise Invalid(f"backup part {part.path} does not match the manifest "
                          f"(sha256 {found.sha256[:12]}…, {found.size} bytes; "
                          f"manifest: {part.sha256[:12]}…, {part.size} bytes); nothing was restored")


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def read_facts(conn: Connection) -> Facts:
    """Counts, seqs and the audit tip as ``conn`` sees them (inside its transaction's snapshot)."""
    names = sorted(inspect(conn).get_table_names())
    tables = {name: int(conn.exec_driver_sql(f"SELECT count(*) FROM {_quote(conn, name)}").scalar_one())
              for name in names}
    revision = None
    if "alembic_version" in names:
        revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    seqs: dict[str, int] = {}
    if "rooms" in names:
        seqs = {str(i): int(s) for i, s in conn.exec_driver_sql("SELECT id, last_seq FROM rooms ORDER BY id")}
    tip: dict[str, Any] = {}
    if "audit_head" in names:
        row = conn.exec_driver_sql("SELECT last_id, last_hash, count FROM audit_head WHERE id = 1").first()
        if row is not None:
            tip = {"last_id": int(row[0]), "last_hash": str(row[1]), "count": int(row[2])}
    return Facts(revision, tables, seqs, tip)


def holds_data(conn: Connection) -> str | None:
    """Why the database is not empty (None: it is). Empty is no tables at all, or only
    what the migrations write (``council init`` on a new database): the Alembic
    version, the audit head at genesis, the crisis levels' reference rows."""
    names = inspect(conn).get_table_names()
    for name in sorted(names):
        if name in MIGRATION_FILLED:
            continue
        if conn.exec_driver_sql(f"SELECT 1 FROM {_quote(conn, name)} LIMIT 1").first() is not None:
            return f"table {name} has rows"
    if "audit_head" in names:
        last = conn.exec_driver_sql("SELECT max(last_id) FROM audit_head").scalar()
        if last:
            return f"the audit chain has {last} rows"
    return None


def referenced_files(conn: Connection) -> list[tuple[str, bool]]:
    """Every (sha256, sample) the snapshot's evidence rows name."""
    if "evidence_files" not in inspect(conn).get_table_names():
        return []
    return [(str(sha), bool(sample)) for sha, sample in conn.exec_driver_sql(
        "SELECT DISTINCT sha256, sample FROM evidence_files ORDER BY sha256")]
