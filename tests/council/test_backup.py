"""`council backup` / `council restore` on SQLite: a backup taken while events are being
posted restores into an empty database exactly as its manifest describes it, and every
refusal (a directory in use, a database holding data, a part that changed, a revision
this code does not know) is one error line with nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from council.extensions import database, settings
from council.migrate import current_revision
from tests.backups import (
    audit_tip,
    files_under,
    room_seqs,
    seed_council,
    stored_evidence,
    table_counts,
    write_load,
)
from tests.conftest import make_app
from tests.factories import Factory


def app_on(directory: Path, db_file: str = "council.db"):
    """An app on a database file that does not exist yet (nothing made by the migrations)."""
    from council import create_app

    directory.mkdir(exist_ok=True)
    return create_app({"COUNCIL_DATABASE_URL": f"sqlite:///{directory / db_file}", "COUNCIL_SECRET_KEY": "k",
                       "COUNCIL_ASYNC_MODE": "threading", "INSTANCE_PATH": str(directory / "instance"),
                       "TESTING": True})


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["council", *args])


def one_error_line(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture
def target(tmp_path, template_db):
    """A second platform: a database `council init` made (empty), its own evidence store."""
    (tmp_path / "target").mkdir()
    app = make_app(tmp_path / "target", template_db)
    yield app
    database(app).dispose()


@pytest.fixture
def backed_up(app, make, tmp_path):
    """A seeded council backed up under write load: (backup directory, manifest)."""
    council = seed_council(make)
    path = tmp_path / "backup"
    with write_load(make, council) as load:
        before = load.posted
        result = run(app, "backup", str(path))
    assert result.exit_code == 0, result.output
    assert f"written to {path}" in result.stdout and "3 evidence files" in result.stdout
    manifest = json.loads((path / "manifest.json").read_text())
    # The writer carried on past the snapshot, which holds only what was committed when it was taken.
    live = room_seqs(app)
    assert sum(live.values()) > sum(manifest["rooms"].values()) >= 8 + before
    return path, manifest


def test_a_backup_under_write_load_restores_into_an_empty_database_as_its_manifest_says(app, backed_up, target):
    path, manifest = backed_up
    assert manifest["format"] == 1 and manifest["database"]["kind"] == "sqlite"
    assert manifest["database"]["revision"] == current_revision(database(app).url)
    assert {p["path"] for p in manifest["parts"]} >= {"database.sqlite3"}
    assert len([p for p in manifest["parts"] if p["path"].startswith("files/")]) == 3
    assert manifest["tables"]["evidence_files"] == 3 and manifest["tables"]["room_events"] == sum(
        manifest["rooms"].values())

    result = run(target, "restore", str(path))

    assert result.exit_code == 0, result.output
    assert f"Audit chain intact: {manifest['audit']['count']} rows; tip {manifest['audit']['last_hash']}" \
        in result.stdout
    assert "3 evidence files copied" in result.stdout
    assert "council init" not in result.stdout  # the backup is at this code's head
    assert table_counts(target, list(manifest["tables"])) == manifest["tables"]
    assert room_seqs(target) == manifest["rooms"]
    assert audit_tip(target) == (True, manifest["audit"]["last_id"], manifest["audit"]["last_hash"])
    evidence = stored_evidence(target)
    assert len(evidence) == 3 and all(present for _sha, _sample, present in evidence)
    assert [sample for _sha, sample, _present in evidence] == [False, False, True]
    verified = run(target, "verify-audit")
    assert verified.exit_code == 0 and manifest["audit"]["last_hash"] in verified.stdout


def test_backup_refuses_a_directory_in_use_or_a_file_and_writes_nothing(app, tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine")
    one_error_line(run(app, "backup", str(used)), "is not empty")
    assert files_under(used) == ["notes.txt"]
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    one_error_line(run(app, "backup", str(a_file)), "not a directory")
    assert a_file.read_text() == "x"


def test_a_backup_into_an_existing_empty_directory_works(app, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run(app, "backup", str(empty))
    assert result.exit_code == 0, result.output
    assert files_under(empty) == ["database.sqlite3", "manifest.json"]


def test_restore_refuses_a_database_holding_data_unless_forced(backed_up, target):
    path, manifest = backed_up
    Factory(target).org("Already here")
    before = (room_seqs(target), audit_tip(target))

    one_error_line(run(target, "restore", str(path)), "not empty", "--force")
    assert (room_seqs(target), audit_tip(target)) == before
    assert files_under(settings(target).files_dir) == []

    forced = run(target, "restore", str(path), "--force")
    assert forced.exit_code == 0, forced.output
    assert room_seqs(target) == manifest["rooms"]
    assert audit_tip(target)[1:] == (manifest["audit"]["last_id"], manifest["audit"]["last_hash"])


@pytest.mark.parametrize("part", ["database.sqlite3", "files"])
def test_restore_refuses_a_part_that_changed_and_writes_nothing(backed_up, tmp_path, part):
    path, manifest = backed_up
    changed = path / next(p["path"] for p in manifest["parts"] if p["path"].startswith(part))
    data = bytearray(changed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    changed.write_bytes(bytes(data))
    fresh = tmp_path / "fresh"
    app = app_on(fresh, "restored.db")
    try:
        one_error_line(run(app, "restore", str(path)), "does not match the manifest", "nothing was restored")
        assert not (fresh / "restored.db").exists()
        assert files_under(settings(app).files_dir) == []
    finally:
        database(app).dispose()


def test_restore_refuses_a_revision_this_code_does_not_know(backed_up, target):
    path, manifest = backed_up
    manifest["database"]["revision"] = "9999"
    (path / "manifest.json").write_text(json.dumps(manifest))
    before = room_seqs(target)
    one_error_line(run(target, "restore", str(path)), "revision 9999", "unknown")
    assert room_seqs(target) == before


def test_restore_refuses_a_directory_without_a_manifest(target, tmp_path):
    one_error_line(run(target, "restore", str(tmp_path)), "manifest.json")


def test_restore_of_an_older_revision_tells_the_operator_to_migrate(tmp_path, template_db):
    """A database at an older revision restores to that revision, and the operator is told
    to run `council init`, which then brings it to head."""
    from alembic import command

    from council.migrate import alembic_config

    old = tmp_path / "old"
    old.mkdir()
    shutil.copy(template_db, old / "council.db")
    command.downgrade(alembic_config(f"sqlite:///{old / 'council.db'}"), "-1")
    previous = current_revision(f"sqlite:///{old / 'council.db'}")
    source = make_app(old, template_db)
    target = app_on(tmp_path / "new")
    try:
        made = run(source, "backup", str(tmp_path / "backup"))
        assert made.exit_code == 0, made.output
        restored = run(target, "restore", str(tmp_path / "backup"))
        assert restored.exit_code == 0, restored.output
        assert f"at revision {previous}" in restored.stdout and "council init" in restored.stdout
        assert current_revision(database(target).url) == previous
        assert run(target, "init").exit_code == 0
        assert current_revision(database(target).url) != previous
    finally:
        database(source).dispose()
        database(target).dispose()
