"""The evidence files of a backup, and putting them back.

Why copying after the database snapshot is consistent: content is stored under its
SHA-256 and never changed in place (an upload writes a temporary file and renames it;
the same content again only touches it), so a file the snapshot names is, whenever it
is read, exactly the bytes the row describes. Content is only ever removed by the
hourly orphan sweep (council/evidence/services.py), and only once no row has named
it and it has not been touched for an hour. So: the snapshot first, then every file
it names — files uploaded after the snapshot are not needed (their rows are not in
it), and files whose rows were removed after it are still there unless a sweep ran
in between and found them untouched for an hour. That narrow case (and a store that
lost a file before the backup) is reported as a missing file in the manifest and on
the terminal, never silently.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from council.backup.manifest import CHUNK, Part, file_key
from council.evidence.storage import BlobStore, key


def copy_referenced(store: BlobStore, referenced: list[tuple[str, bool]], dest: Path) -> tuple[list[Part], list[str]]:
    """Copy each named content into ``dest/files/…`` (hashing as it goes): (parts, missing keys)."""
    parts, missing = [], []
    for sha, sample in referenced:
        name = key(sha, sample)
        source = store.path(sha, sample)
        target = dest / "files" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            parts.append(_copy(source, target, f"files/{name}"))
        except FileNotFoundError:
            missing.append(name)
    return parts, missing


def _copy(source: Path, target: Path, part_path: str) -> Part:
    digest, size = hashlib.sha256(), 0
    with source.open("rb") as src, target.open("wb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return Part(part_path, digest.hexdigest(), size)


def put_back(backup: Path, parts: list[Part], store_root: Path) -> int:
    """Copy the backup's files into the store (skipping contents already there: the same
    name is the same content). Each lands by rename, so the app never sees half a file;
    a temp file an interrupted restore leaves is named as an upload's, for the sweep to
    clear. Copies get a fresh mtime, so the orphan sweep leaves them alone for its hour."""
    restored = 0
    for part in parts:
        target = store_root / file_key(part.path)
        if target.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _copy(backup / part.path, tmp, part.path)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        restored += 1
    return restored
