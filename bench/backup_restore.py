"""Time and size of `council backup` and `council restore` on the seeded demo council.

For each engine: a new database migrated to head, `council seed-demo`, and F evidence
files of K KiB each (random bytes, attached to the demo's rooms), then the backup
service into a new directory and the restore service into a new empty database and
store, R times; the figure is the median of the service calls (the CLI adds its own
start-up, a few seconds of imports, on top). PostgreSQL needs the local server
(``--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres``).

    .venv/bin/python bench/backup_restore.py [--engines sqlite,postgresql] [--files 20] [--file-kb 256] [--runs 3]
"""

from __future__ import annotations

import argparse
import io
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from council import create_app
from council.auth.models import User
from council.backup.services import backup, restore
from council.evidence.services import upload_file
from council.evidence.storage import BlobStore
from council.extensions import database, settings
from council.migrate import upgrade
from council.rooms.models import Room


def admin(pg: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(pg.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(sql)


def new_database(engine: str, tmp: Path, pg: str, made: list[str]) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp / f'{secrets.token_hex(4)}.db'}"
    name = f"council_bench_{secrets.token_hex(5)}"
    admin(pg, f'CREATE DATABASE "{name}"')
    made.append(name)
    return f"{pg.rpartition('/')[0]}/{name}"


def seeded(url: str, tmp: Path, files: int, file_kb: int):  # type: ignore[no-untyped-def]
    upgrade(url)
    app = create_app({"COUNCIL_DATABASE_URL": url, "COUNCIL_SECRET_KEY": "bench", "COUNCIL_ASYNC_MODE": "threading",
                      "INSTANCE_PATH": str(tmp / "source")})
    result = app.test_cli_runner().invoke(args=["council", "seed-demo"])
    assert result.exit_code == 0, (result.output, result.exception)
    store = BlobStore(settings(app).files_dir)
    with database(app).transaction() as s:
        rooms = list(s.scalars(select(Room).where(Room.status == "open").order_by(Room.id)))
        for n in range(files):
            room = rooms[n % len(rooms)]
            lead = s.get(User, room.created_by_id)
            upload_file(s, actor=lead, store=store, max_bytes=1 << 30, subject="room", subject_id=room.id,
                        content=io.BytesIO(os.urandom(file_kb * 1024)), name=f"capture-{n}.pcap")
    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--file-kb", type=int, default=256)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    print("| engine | rows | evidence files | database part | files part | backup s | restore s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for engine in args.engines.split(","):
        tmp = Path(tempfile.mkdtemp(prefix="bench-backup-"))
        made: list[str] = []
        try:
            source = seeded(new_database(engine, tmp, args.pg, made), tmp, args.files, args.file_kb)
            backups, restores, done = [], [], None
            for run in range(args.runs):
                path = tmp / f"backup-{run}"
                t = time.perf_counter()
                done = backup(database_url=database(source).url, files_dir=settings(source).files_dir, path=path)
                backups.append(time.perf_counter() - t)
                target = new_database(engine, tmp, args.pg, made)
                t = time.perf_counter()
                restore(database_url=target, files_dir=tmp / f"restored-files-{run}", path=path)
                restores.append(time.perf_counter() - t)
            assert done is not None
            db_part = done.manifest.database_part.size
            files_part = sum(p.size for p in done.manifest.file_parts)
            rows = sum(done.manifest.facts.tables.values())
            print(f"| {engine} | {rows:,} | {len(done.manifest.file_parts)} | {db_part / 1e6:.2f} MB | "
                  f"{files_part / 1e6:.2f} MB | {statistics.median(backups):.2f} | {statistics.median(restores):.2f} |")
            database(source).dispose()
        finally:
            for name in made:
                admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
