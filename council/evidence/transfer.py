"""Files over HTTP, shared by the REST endpoints and the pages: the request's size
limit, reading a multipart upload, and sending a download with the headers that
keep a browser from ever rendering it from the platform's origin."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from flask import Response, current_app, request
from flask_babel import gettext as _

from council.errors import Invalid
from council.evidence import filenames
from council.evidence.services import Download, refused
from council.evidence.storage import CHUNK, BlobStore
from council.extensions import settings

MB = 1024 * 1024
FORM_SLACK = 64 * 1024  # the multipart envelope and the small fields around the file
UPLOAD_FIELDS = frozenset({"file", "tlp", "sample", "csrf_token"})
# The endpoints that take a file: their requests may be as large as a file (others keep the app's limit).
UPLOAD_ENDPOINTS = {"evidence_api.upload_to_room", "evidence_api.upload_to_incident", "evidence.upload_to_incident",
                    "evidence_api.upload_to_indicator"}


def blob_store() -> BlobStore:
    return BlobStore(settings().files_dir)


def max_bytes() -> int:
    return settings().file_max_mb * MB


def limit_upload() -> None:
    """before_request, first of all: an upload's request may carry one file at the configured
    limit — when it carries credentials (anonymous requests keep the app's limit). The body is
    read here, before anything opens a database transaction: on SQLite a write transaction
    holds the one write lock, and a slow link must not hold every writer of the platform."""
    if request.endpoint in UPLOAD_ENDPOINTS and (request.authorization is not None
                                                 or current_app.config["SESSION_COOKIE_NAME"] in request.cookies):
        request.max_content_length = max_bytes() + FORM_SLACK
        request.files  # noqa: B018 - parse (and spool to disk) now


def too_large_text() -> str:
    return _("Files are at most %(num)s MB (COUNCIL_FILE_MAX_MB).", num=settings().file_max_mb)


def answer_too_large() -> Any:
    return {"error": too_large_text(), "fields": {"file": _("At most %(num)s MB.", num=settings().file_max_mb)}}, 413


@dataclass
class Upload:
    stream: BinaryIO
    name: str
    declared_type: str | None
    tlp: str | None
    sample: bool


def read_upload() -> Upload:
    """The multipart fields an upload may carry, checked; anything else is refused."""
    errors: dict[str, str] = {}
    for name in sorted((set(request.form) | set(request.files)) - UPLOAD_FIELDS):
        errors[name[:64]] = _("Not a field of this request.")
    for name in UPLOAD_FIELDS:
        if len(request.form.getlist(name)) + len(request.files.getlist(name)) > 1:
            errors[name] = _("Send it once.")
    part = request.files.get("file")
    stream: BinaryIO | None = None
    client_name, declared = "", None
    if part is not None:
        stream, client_name, declared = part.stream, part.filename or "", part.mimetype or None
    elif "file" in request.form:
        errors["file"] = _("Send the file as a file part (with a file name), not as a text field.")
    else:
        errors["file"] = _("Required: the file, as the multipart part named file.")
    for name in ("tlp", "sample", "csrf_token"):
        if name in request.files:  # a flag sent as a file would be silently ignored: a sample stored raw
            errors[name] = _("Send it as a text field.")
    tlp = request.form.get("tlp") or None
    sample = request.form.get("sample", "false")
    if sample not in ("true", "false"):
        errors["sample"] = _("true or false.")
    if errors:
        raise Invalid(refused(), errors)
    assert stream is not None
    return Upload(stream, client_name, declared, tlp, sample == "true")


def _chunks(content: BinaryIO) -> Iterator[bytes]:
    with content:
        while chunk := content.read(CHUNK):
            yield chunk


def cross_site() -> bool:
    """A download asked for by another site's page (a link or an image there): refused, so
    nobody downloads a sample — and is audited as having done so — by visiting a page elsewhere."""
    return request.headers.get("Sec-Fetch-Site") == "cross-site"


def head(row: Any) -> Response:
    """HEAD: the headers a download would have, no content, nothing audited (nothing was sent)."""
    name = filenames.shown(row.name) + (".zip" if row.sample else "")
    response = current_app.response_class(b"", mimetype="application/zip" if row.sample else "application/octet-stream")
    _protect(response, name, row.sample)
    return response


def _protect(response: Response, filename: str, sample: bool) -> None:
    response.headers["Content-Disposition"] = filenames.content_disposition(filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if sample:
        response.headers["X-Council-Warning"] = "malware sample: AES zip, password infected"


def send(found: Download) -> Response:
    """The download: an attachment, never sniffed, never rendered, never cached."""
    try:
        length = os.fstat(found.content.fileno()).st_size
    except (AttributeError, OSError):
        length = None
    response = current_app.response_class(_chunks(found.content), mimetype=found.mimetype, direct_passthrough=True)
    if length is not None:
        response.content_length = length
    _protect(response, found.filename, found.sample)
    return response
