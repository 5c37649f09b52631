"""Pages of evidence files: the download (the same service as the REST one), the
incident page's upload form, and what the room and incident pages show."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.exceptions import RequestEntityTooLarge

from council.auth.login import current_account
from council.auth.models import User
from council.errors import DomainError
from council.evidence import services
from council.evidence.storage import SAMPLE_WARNING
from council.evidence.transfer import blob_store, cross_site, head, max_bytes, read_upload, send, too_large_text
from council.extensions import database, settings
from council.rooms.models import TLPS, Room
from council.web import commit, db, error_page, flash_errors

bp = Blueprint("evidence", __name__)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Any:
    return error_page(413, too_large_text())


@bp.get("/files/<int:file_id>")
def download(file_id: int) -> Any:
    if cross_site():
        return error_page(403, _("Open files from the platform's own pages, not from a link on another site."))
    if request.method == "HEAD":
        return head(services.load_file(db(), current_account(), file_id))
    with database().transaction() as session:  # every download audited, in a short write of its own
        user = session.merge(current_account(), load=False)
        found = services.download(session, actor=user, store=blob_store(), file_id=file_id)
    return send(found)


@bp.post("/incidents/<int:incident_id>/files")
def upload_to_incident(incident_id: int) -> Any:
    back = url_for("reporting.show", incident_id=incident_id) + "#files-h"
    try:
        upload = read_upload()
        row = services.upload_file(db(), actor=current_account(), store=blob_store(), max_bytes=max_bytes(),
                                   subject="incident", subject_id=incident_id, content=upload.stream,
                                   name=upload.name, declared_type=upload.declared_type, tlp=upload.tlp,
                                   sample=upload.sample)
    except DomainError as err:
        if err.status == 404:
            raise
        flash_errors(err)
        db().rollback()
        return redirect(back)
    commit()
    flash(_("Attached: SHA-256 %(hash)s.", hash=row.sha256), "success")
    return redirect(back)


def _limits() -> dict[str, Any]:
    return {"file_max_mb": settings().file_max_mb, "file_max_bytes": max_bytes(), "sample_warning": SAMPLE_WARNING}


def room_boot(session: Session, user: User, room: Room, _role: str) -> dict[str, Any]:
    """The room page's files (those the viewer may see), newest first."""
    rows = services.list_files(session, actor=user, subject="room", subject_id=room.id)
    return {"files": [services.file_json(r, services.subject_marking(session, user, r)) for r in rows], **_limits()}


def incident_panel(session: Session, user: User, incident: Any, sight: Any) -> dict[str, Any] | None:
    """The incident page's Evidence section (None for a stub reader: no content, no files)."""
    if not sight.full:
        return None
    rows = services.list_files(session, actor=user, subject="incident", subject_id=incident.id)
    floor = TLPS.index(incident.tlp)
    return {"files": [services.file_json(r, services.subject_marking(session, user, r)) for r in rows],
            "tlps": TLPS[floor:], "script": "js/evidence_page.js",
            **_limits()}
