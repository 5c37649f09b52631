"""The declared shapes of evidence files: the multipart upload and the answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from council.api.shapes import Count, Id, Out
from council.rooms.models import TLPS

Tlp = Literal[TLPS]  # type: ignore[valid-type]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the original content, hex")]

UPLOAD_BODY: dict[str, Any] = {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "additionalProperties": False,
    "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "The file (its name is kept as data, never as a path)"},
        "tlp": {"type": "string", "enum": list(TLPS),
                "description": "The file's own marking, never looser than its subject's (default: the subject's)"},
        "sample": {"type": "string", "enum": ["true", "false"],
                   "description": "A malware sample: stored and served only inside an AES zip, password "
                                  "\"infected\""},
    }}}}
DOWNLOAD_CONTENT: dict[int, dict[str, Any]] = {200: {
    "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
    "application/zip": {"schema": {"type": "string", "format": "binary"}},
}}


class Person(Out):
    id: Id
    name: str


class SubjectRef(Out):
    kind: str
    id: Id


class FileOut(Out):
    id: Id
    subject: SubjectRef
    room_id: Id | None
    name: str = Field(description="The client's name, made safe for display")
    size: Count = Field(description="Bytes of the original content")
    sha256: Sha256
    tlp: Tlp
    sample: bool
    media_type: str = Field(description="What the content looks like; recorded, never used to serve it")
    uploaded_by: Person
    org: Person
    uploaded_at: str
    download_url: str
    api_url: str
    warning: str | None = Field(None, description="Present for malware samples")


class Files(Out):
    files: list[FileOut]
    max_bytes: Count


class Removed(Out):
    id: Id
    removed: bool
