"""`council backup` / `council restore` on PostgreSQL (pg_dump -Fc / pg_restore): a backup
taken while events are being posted restores into an empty database exactly as its
manifest describes it; a database holding data is refused without --force and replaced
with it; a changed part is refused with nothing written. And the upgrade check of
tests/test_upgrade_data.py, on PostgreSQL."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, inspect

from council import create_app
from council.extensions import database, settings
from tests.backups import (
    audit_tip,
    files_under,
    room_seqs,
    seed_council,
    stored_evidence,
    table_counts,
    write_load,
)
from tests.factories import Factory
from tests.scale.conftest import SECRET, World, _admin_exec, database_url

pytestmark = pytest.mark.scale


def run(app: Flask, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(args=["council", *args])


@pytest.fixture
def bare_pg() -> Iterator[str]:
    """A new PostgreSQL database with nothing in it (not even the migrations' tables)."""
    name = f"council_test_{secrets.token_hex(6)}"
    _admin_exec(f'CREATE DATABASE "{name}"')
    try:
        yield database_url(name)
    finally:
        _admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def target(bare_pg: str, tmp_path: Path) -> Iterator[Flask]:
    app = create_app({"COUNCIL_DATABASE_URL": bare_pg, "COUNCIL_SECRET_KEY": SECRET, "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": str(tmp_path / "target"), "TESTING": True})
    yield app
    database(app).dispose()


def tables(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(inspect(conn).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def backed_up(world: World, tmp_path: Path) -> tuple[Path, dict]:
    make = Factory(world.app)
    council = seed_council(make)
    path = tmp_path / "backup"
    with write_load(make, council) as load:
        before = load.posted
        result = run(world.app, "backup", str(path))
        during = load.posted - before
    assert result.exit_code == 0, result.output
    assert during > 0, "no event was posted while the backup ran: it held writers up"
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["database"]["kind"] == "postgresql" and manifest["database"]["tool"].startswith("pg_dump")
    assert sorted(p["path"] for p in manifest["parts"])[0] == "database.pgdump"
    assert sum(room_seqs(world.app).values()) > sum(manifest["rooms"].values()) >= 8 + before
    return path, manifest


def test_a_backup_under_write_load_restores_into_an_empty_database_as_its_manifest_says(world, backed_up, target):
    path, manifest = backed_up
    result = run(target, "restore", str(path))
    assert result.exit_code == 0, result.output
    assert f"Audit chain intact: {manifest['audit']['count']} rows; tip {manifest['audit']['last_hash']}" \
        in result.stdout
    assert table_counts(target, list(manifest["tables"])) == manifest["tables"]
    assert room_seqs(target) == manifest["rooms"]
    assert audit_tip(target) == (True, manifest["audit"]["last_id"], manifest["audit"]["last_hash"])
    evidence = stored_evidence(target)
    assert len(evidence) == 3 and all(present for *_rest, present in evidence)
    assert run(target, "verify-audit").exit_code == 0

    # Now it holds data: refused (nothing changed) without --force, replaced with it.
    Factory(target).org("Written after the restore")
    refused = run(target, "restore", str(path))
    assert refused.exit_code == 1 and refused.stderr.startswith("error: the database is not empty")
    assert audit_tip(target)[1] == manifest["audit"]["last_id"] + 1
    database(target).dispose()
    forced = run(target, "restore", str(path), "--force")
    assert forced.exit_code == 0, forced.output
    assert room_seqs(target) == manifest["rooms"]
    assert audit_tip(target) == (True, manifest["audit"]["last_id"], manifest["audit"]["last_hash"])


def test_restore_refuses_a_changed_dump_and_writes_nothing(world, target, bare_pg, tmp_path):
    path = tmp_path / "plain-backup"
    assert run(world.app, "backup", str(path)).exit_code == 0
    dump = path / "database.pgdump"
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    result = run(target, "restore", str(path))
    assert result.exit_code == 1 and "database.pgdump does not match the manifest" in result.stderr
    assert tables(bare_pg) == []
    assert files_under(settings(target).files_dir) == []


def test_every_row_written_at_the_oldest_revision_survives_the_upgrade_to_head_on_postgresql(bare_pg):
    """tests/test_upgrade_data.py's check on PostgreSQL: a row in every table at the first
    revision, all of them still there at head, the audit chain still verifying."""
    from tests.test_upgrade_data import check_upgrade_keeps_every_row

    check_upgrade_keeps_every_row(bare_pg, "oldest")
