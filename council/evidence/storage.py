"""Content of evidence files, outside the database, named by its SHA-256.

``root/ab/cd/abcdef…`` holds a file's bytes; ``root/ab/cd/abcdef….zip`` a malware
sample's, inside a zip encrypted with AES under the community's password
(``infected``), the only form a sample takes at rest or on the way out. The
client's file name never reaches a path.

An upload is read in chunks into a temporary file in ``root`` (the same file
system), hashed and measured as it goes (refused as soon as it passes the limit)
and renamed into place at once: a reader never sees half a file, and the same
content is stored once. Python's zipfile reads AES zips but cannot write them;
pyzipper (a maintained fork of zipfile) writes WinZip AES, which 7-Zip, unzip
front-ends and analysis sandboxes all open.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyzipper
from flask_babel import gettext as _

from council.errors import DomainError

CHUNK = 1 << 16
SAMPLE_PASSWORD = b"infected"
SAMPLE_WARNING = ("Malware sample: served only inside an AES-encrypted zip, password \"infected\". "
                  "Open it only in an isolated analysis environment.")


class TooLarge(DomainError):
    """413: the content passed the size limit."""

    status = 413


@dataclass(frozen=True)
class Stored:
    sha256: str
    size: int
    head: bytes  # the first bytes, for telling the media type (never for serving)


def key(sha256: str, sample: bool) -> str:
    """The path of a content inside the store (a hash: nothing a client chose)."""
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError("not a SHA-256 in hex")
    return f"{sha256[:2]}/{sha256[2:4]}/{sha256}" + (".zip" if sample else "")


class BlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str, sample: bool) -> Path:
        return self.root / key(sha256, sample)

    def exists(self, sha256: str, sample: bool) -> bool:
        return self.path(sha256, sample).is_file()

    def put(self, stream: BinaryIO, *, max_bytes: int, sample: bool = False) -> Stored:
        """Store what ``stream`` holds (at most ``max_bytes``, else TooLarge and nothing kept)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd, raw_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        raw = Path(raw_name)
        try:
            digest, size, head = hashlib.sha256(), 0, b""
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(_("Files are at most %(size)s.", size=_megabytes(max_bytes)),
                                       {"file": _("At most %(size)s.", size=_megabytes(max_bytes))})
                    if len(head) < 512:
                        head += chunk[:512 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            sha = digest.hexdigest()
            final = self.path(sha, sample)
            if final.is_file():
                # Fresh again: the sweep keeps what was touched lately (an upload of this content
                # may be about to commit its row).
                os.utime(final)
            else:
                final.parent.mkdir(parents=True, exist_ok=True)
                if sample:
                    self._zip_into(raw, final, member=sha)
                else:
                    os.replace(raw, final)
            return Stored(sha, size, head)
        finally:
            raw.unlink(missing_ok=True)

    def _zip_into(self, raw: Path, final: Path, *, member: str) -> None:
        fd, zip_name = tempfile.mkstemp(dir=final.parent, prefix=".sample-")
        os.close(fd)
        try:
            with pyzipper.AESZipFile(zip_name, "w", compression=pyzipper.ZIP_DEFLATED,
                                     encryption=pyzipper.WZ_AES) as archive:
                archive.setpassword(SAMPLE_PASSWORD)
                archive.setencryption(pyzipper.WZ_AES, nbits=256)
                archive.write(raw, arcname=member)
            os.replace(zip_name, final)
        finally:
            Path(zip_name).unlink(missing_ok=True)

    def open(self, sha256: str, sample: bool) -> BinaryIO | None:
        """The stored bytes (a sample: its zip), or None when the content is missing."""
        try:
            return self.path(sha256, sample).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            return None

    def remove(self, sha256: str, sample: bool) -> None:
        self.path(sha256, sample).unlink(missing_ok=True)

    def stale(self, older_than: float) -> Iterator[tuple[Path, str | None, bool]]:
        """Every file of the store not touched for ``older_than`` seconds: (path, its sha256 and
        sample flag — or None for a temp file an interrupted upload left)."""
        if not self.root.is_dir():
            return
        limit = time.time() - older_than
        for path in self.root.rglob("*"):
            try:
                if not path.is_file() or path.stat().st_mtime > limit:
                    continue
            except OSError:
                continue
            name = path.name
            if name.startswith((".upload-", ".sample-")):
                yield path, None, False
                continue
            sha, sample = (name[:-4], True) if name.endswith(".zip") else (name, False)
            if len(sha) == 64 and all(c in "0123456789abcdef" for c in sha) and path == self.path(sha, sample):
                yield path, sha, sample


def _megabytes(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else _("%(num)s bytes", num=n)
