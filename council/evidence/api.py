"""REST of evidence files: upload to a room or an incident (multipart), list, the
file's record, the download (always an attachment, audited) and removal."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from council.api.auth import api_user, authenticate
from council.api.contract import READ, WRITE, endpoint
from council.errors import Forbidden
from council.evidence import services
from council.evidence import shapes as s
from council.evidence.transfer import (
    answer_too_large,
    blob_store,
    cross_site,
    head,
    max_bytes,
    read_upload,
    send,
)
from council.extensions import database
from council.web import commit, db

bp = Blueprint("evidence_api", __name__, url_prefix="/api/v1")
bp.before_request(authenticate)  # an upload's size limit is set before, by the app (evidence/__init__.py)
UPLOAD_ERRORS = (*WRITE, 413)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Any:
    return answer_too_large()


def _upload(subject: str, subject_id: int) -> Any:
    upload = read_upload()
    row = services.upload_file(db(), actor=api_user(), store=blob_store(), max_bytes=max_bytes(), subject=subject,
                               subject_id=subject_id, content=upload.stream, name=upload.name,
                               declared_type=upload.declared_type, tlp=upload.tlp, sample=upload.sample)
    commit()
    return services.file_json(row, services.subject_marking(db(), api_user(), row)), 201


@endpoint(bp, "/rooms/<int:room_id>/files", "POST", raw_body=s.UPLOAD_BODY, responses={201: s.FileOut},
          errors=UPLOAD_ERRORS, summary="Attach a file to a room (a member or lead): a `file` event in its stream",
          description="Multipart: `file`, and optionally `tlp` (never looser than the room's) and `sample`. "
                      "The answer carries the SHA-256 and size of the content as received.")
def upload_to_room(room_id: int) -> Any:
    return _upload("room", room_id)


@endpoint(bp, "/rooms/<int:room_id>/files", "GET", responses={200: s.Files},
          summary="The room's files the caller may see, newest first")
def room_files(room_id: int) -> Any:
    rows = services.list_files(db(), actor=api_user(), subject="room", subject_id=room_id)
    return {"files": [services.file_json(r, services.subject_marking(db(), api_user(), r)) for r in rows],
            "max_bytes": max_bytes()}


@endpoint(bp, "/indicators/<int:indicator_id>/files", "POST", raw_body=s.UPLOAD_BODY, responses={201: s.FileOut},
          errors=UPLOAD_ERRORS, summary="Attach a file to an indicator (its room's writers); a file event in its room",
          refusal=services.REFUSED)
def upload_to_indicator(indicator_id: int) -> Any:
    return _upload("indicator", indicator_id)


@endpoint(bp, "/indicators/<int:indicator_id>/files", "GET", responses={200: s.Files},
          summary="An indicator's files the caller may see, newest first")
def indicator_files(indicator_id: int) -> Any:
    rows = services.list_files(db(), actor=api_user(), subject="indicator", subject_id=indicator_id)
    return {"files": [services.file_json(r, services.subject_marking(db(), api_user(), r)) for r in rows],
            "max_bytes": max_bytes()}


@endpoint(bp, "/incidents/<int:incident_id>/files", "POST", raw_body=s.UPLOAD_BODY, responses={201: s.FileOut},
          errors=UPLOAD_ERRORS, summary="Attach a file to an incident report (those who read it in full)")
def upload_to_incident(incident_id: int) -> Any:
    return _upload("incident", incident_id)


@endpoint(bp, "/incidents/<int:incident_id>/files", "GET", responses={200: s.Files},
          summary="The incident's files the caller may see, newest first")
def incident_files(incident_id: int) -> Any:
    rows = services.list_files(db(), actor=api_user(), subject="incident", subject_id=incident_id)
    return {"files": [services.file_json(r, services.subject_marking(db(), api_user(), r)) for r in rows],
            "max_bytes": max_bytes()}


@endpoint(bp, "/files/<int:file_id>/meta", "GET", responses={200: s.FileOut},
          summary="A file's record: name, size, SHA-256, marking, uploader, time")
def file_meta(file_id: int) -> Any:
    row = services.load_file(db(), api_user(), file_id)
    return services.file_json(row, services.subject_marking(db(), api_user(), row))


@endpoint(bp, "/files/<int:file_id>", "GET", responses={200: None}, errors=(*READ, 403, 410),
          extra_content=s.DOWNLOAD_CONTENT,
          summary="Download a file (always an attachment; a malware sample as its AES zip); audited",
          description="410 when the record exists but its content is missing from the store.")
def download(file_id: int) -> Response:
    if cross_site():
        raise Forbidden(_("Files are fetched by the platform's own pages or with a token, not from another site."))
    if request.method == "HEAD":
        return head(services.load_file(db(), api_user(), file_id))
    with database().transaction() as session:  # a GET's session is read-only: the audit row in its own write
        user = session.merge(api_user(), load=False)
        found = services.download(session, actor=user, store=blob_store(), file_id=file_id)
    return send(found)


@endpoint(bp, "/files/<int:file_id>", "DELETE", responses={200: s.Removed}, errors=(400, 401, 403, 404, 409),
          summary="Remove a file (its uploader, or the room's lead); content another file uses stays")
def remove(file_id: int) -> Any:
    services.remove_file(db(), actor=api_user(), store=blob_store(), file_id=file_id)
    commit()
    return {"id": file_id, "removed": True}
