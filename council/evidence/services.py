"""Evidence files: attach, list, download (audited), remove.

A file belongs to a subject (a room, an incident, an indicator: subjects.py) and
carries its own marking, never looser than the subject's. It is seen by those who
see the subject and clear the file's marking there; to anyone else it does not
exist (404). An upload to a subject with a room is a ``file`` event in that room's
stream (kind.py), so it is live and in the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.access import TLP_ORDER, can_write, not_looser
from council.audit.services import record
from council.auth.models import User
from council.errors import Conflict, Forbidden, Gone, Invalid, NotFound
from council.evidence import filenames
from council.evidence.models import EvidenceFile
from council.evidence.storage import SAMPLE_WARNING, BlobStore
from council.evidence.subjects import subject_kind
from council.rooms.models import TLPS, Room
from council.rooms.stream import Draft, append, iso
from council.rooms.visibility import load_visible

REFUSED = "The file was not attached."  # English (an endpoint's declared refusal); answered as refused()


def refused() -> str:
    return _("The file was not attached.")


def _no_such(subject: str) -> str:
    """"No such room." (one sentence per kind: a kind's name is not glued into a sentence)."""
    known = {"room": _("No such room."), "incident": _("No such incident."), "indicator": _("No such indicator.")}
    return known.get(subject) or _("No such %(kind)s.", kind=subject)


def _at_least(subject_tlp: str, subject: str) -> str:
    known = {"room": _("At least TLP:%(tlp)s, the marking of the room.", tlp=subject_tlp),
             "incident": _("At least TLP:%(tlp)s, the marking of the incident.", tlp=subject_tlp),
             "indicator": _("At least TLP:%(tlp)s, the marking of the indicator.", tlp=subject_tlp)}
    return known.get(subject) or _("At least TLP:%(tlp)s, the marking of the %(kind)s.", tlp=subject_tlp,
                                   kind=subject)


def visible(session: Session, user: User, row: EvidenceFile) -> bool:
    kind = subject_kind(row.subject_kind)
    return kind.marking(session, user, row.subject_id, row.tlp) is not None


def file_json(row: EvidenceFile, subject_tlp: str | None = None) -> dict[str, Any]:
    """``subject_tlp``: the subject's marking now — a room raised since the upload makes its
    files at least that strict (``effective_tlp``, what the reader must treat it as)."""
    effective = row.tlp if subject_tlp is None or TLP_ORDER[row.tlp] >= TLP_ORDER[subject_tlp] else subject_tlp
    out: dict[str, Any] = {
        "effective_tlp": effective,
        "id": row.id, "subject": {"kind": row.subject_kind, "id": row.subject_id}, "room_id": row.room_id,
        "name": filenames.shown(row.name), "size": row.size, "sha256": row.sha256, "tlp": row.tlp,
        "sample": row.sample, "media_type": row.media_type,
        "uploaded_by": {"id": row.uploaded_by.id, "name": row.uploaded_by.name},
        "org": {"id": row.org.id, "name": row.org.name}, "uploaded_at": iso(row.uploaded_at),
        "download_url": f"/files/{row.id}", "api_url": f"/api/v1/files/{row.id}",
    }
    if row.sample:
        out["warning"] = SAMPLE_WARNING
    return out


def subject_marking(session: Session, actor: User, row: EvidenceFile) -> str | None:
    """The marking of the file's subject now, as ``actor`` sees it (for ``effective_tlp``)."""
    return subject_kind(row.subject_kind).marking(session, actor, row.subject_id, None)


def _marking(value: Any, subject_tlp: str, kind: str) -> str:
    if value in (None, ""):
        return subject_tlp
    if value not in TLPS:
        raise Invalid(refused(), {"tlp": _("Use one of: %(choices)s.", choices=", ".join(TLPS))})
    if not not_looser(value, subject_tlp):
        raise Invalid(refused(), {"tlp": _at_least(subject_tlp, kind)})
    return str(value)


def upload_file(
    session: Session, *, actor: User, store: BlobStore, max_bytes: int, subject: str, subject_id: int,
    content: BinaryIO, name: Any, declared_type: Any = None, tlp: Any = None, sample: bool = False,
) -> EvidenceFile:
    """Attach ``content`` to a subject the actor may see and add to. Everything is checked
    before a byte is stored; the content is stored (once per hash) before the row exists."""
    kind = subject_kind(subject)
    subject_tlp = kind.marking(session, actor, subject_id, None)
    if subject_tlp is None:
        raise NotFound(_no_such(subject))
    if kind.may_attach is not None:
        kind.may_attach(session, actor, subject_id)
    marking = _marking(tlp, subject_tlp, subject)
    if kind.marking(session, actor, subject_id, marking) is None:
        raise Invalid(refused(), {"tlp": _("You would not see a file marked TLP:%(tlp)s here yourself.",
                                           tlp=marking)})
    kept = filenames.kept(name if isinstance(name, str) else "")
    stored = store.put(content, max_bytes=max_bytes, sample=bool(sample))
    if stored.size == 0:
        store.remove(stored.sha256, bool(sample))  # never a row's: empty files are refused
        raise Invalid(refused(), {"file": _("The file is empty.")})
    if not sample and (store.exists(stored.sha256, True) or session.scalar(select(func.count()).select_from(
            EvidenceFile).where(EvidenceFile.sha256 == stored.sha256, EvidenceFile.sample.is_(True)))):
        # Known malware is never kept or served raw: not this copy either.
        if not session.scalar(select(func.count()).select_from(EvidenceFile).where(
                EvidenceFile.sha256 == stored.sha256, EvidenceFile.sample.is_(False))):
            store.remove(stored.sha256, False)
        raise Invalid(refused(), {"sample": _("This content is a known malware sample: mark it as one.")})
    room_id = kind.room_of(session, subject_id)
    row = EvidenceFile(subject_kind=subject, subject_id=subject_id, room_id=room_id, tlp=marking,
                       name=kept or "file", media_type=filenames.media_type(stored.head, declared_type),
                       size=stored.size, sha256=stored.sha256, sample=bool(sample), uploaded_by=actor,
                       uploaded_by_id=actor.id, org_id=actor.org_id)
    session.add(row)
    session.flush()
    details = {"file_id": row.id, "sha256": row.sha256, "size": row.size, "tlp": row.tlp, "sample": row.sample,
               "subject": f"{subject}:{subject_id}"}
    if room_id is not None:
        room, _role = load_visible(session, actor, room_id)
        append(session, room=room, kind="file", actor=actor, draft=Draft(
            data={"op": "added", "file_id": row.id, "tlp": row.tlp, "file": file_json(row, room.tlp)}, audit=details))
    else:
        record(session, action="file.upload", actor=actor, target_type="file", target_id=row.id, details=details)
    return row


def list_files(session: Session, *, actor: User, subject: str, subject_id: int) -> list[EvidenceFile]:
    """The subject's files the actor may see, newest first (NotFound: the subject is not theirs to see)."""
    kind = subject_kind(subject)
    if kind.marking(session, actor, subject_id, None) is None:
        raise NotFound(_no_such(subject))
    rows = session.scalars(select(EvidenceFile).where(
        EvidenceFile.subject_kind == subject, EvidenceFile.subject_id == subject_id,
    ).order_by(EvidenceFile.uploaded_at.desc(), EvidenceFile.id.desc()))
    return [row for row in rows if kind.marking(session, actor, subject_id, row.tlp) is not None]


def load_file(session: Session, actor: User, file_id: int) -> EvidenceFile:
    row = session.get(EvidenceFile, file_id)
    if row is None or row.subject_kind not in _known() or not visible(session, actor, row):
        raise NotFound(_("No such file."))
    return row


def _known() -> set[str]:
    from council.evidence.subjects import SUBJECTS

    return set(SUBJECTS)


@dataclass
class Download:
    file_id: int
    content: BinaryIO
    filename: str
    mimetype: str
    sample: bool


def download(session: Session, *, actor: User, store: BlobStore, file_id: int) -> Download:
    """Open a file the actor may see, and audit it (the caller commits: a short write of its own)."""
    row = load_file(session, actor, file_id)
    if not store.exists(row.sha256, row.sample):
        raise Gone(_("This file's content is missing from the store; ask the platform's operators."))
    record(session, action="file.download", actor=actor, target_type="file", target_id=row.id, room_id=row.room_id,
           details={"sha256": row.sha256, "subject": f"{row.subject_kind}:{row.subject_id}", "sample": row.sample})
    content = store.open(row.sha256, row.sample)  # opened last: nothing left open if the audit row fails
    if content is None:
        raise Gone(_("This file's content is missing from the store; ask the platform's operators."))
    name = filenames.shown(row.name)
    if row.sample:
        return Download(row.id, content, name + ".zip", "application/zip", True)
    return Download(row.id, content, name, "application/octet-stream", False)


def remove_file(session: Session, *, actor: User, store: BlobStore, file_id: int) -> EvidenceFile:
    """Remove a file's row (its uploader while they may write in the room, or the room's lead;
    never in a closed room: its record is closed). The content is left to the sweep, which
    deletes it once no row has named it for an hour."""
    row = load_file(session, actor, file_id)
    room: Room | None = None
    if row.room_id is not None:
        room, role = load_visible(session, actor, row.room_id)
        if room.status == "closed":
            raise Conflict(_("The room is closed: its evidence is part of the record."))
        allowed = (row.uploaded_by_id == actor.id and can_write(role)) or role == "lead"
    else:
        allowed = row.uploaded_by_id == actor.id
    if not allowed:
        raise Forbidden(_("Only the uploader (or the room's lead) may remove a file."))
    details = {"file_id": row.id, "sha256": row.sha256, "subject": f"{row.subject_kind}:{row.subject_id}"}
    if room is not None:
        append(session, room=room, kind="file", actor=actor, draft=Draft(
            data={"op": "removed", "file_id": row.id, "tlp": row.tlp}, audit=details))
    else:
        record(session, action="file.remove", actor=actor, target_type="file", target_id=row.id, details=details)
    session.delete(row)
    session.flush()
    return row


ORPHAN_AGE_S = 3600


def sweep_orphans(session: Session, store: BlobStore, older_than: float = ORPHAN_AGE_S) -> list[str]:
    """The scheduler's job: delete content no row names any more, and temp files interrupted
    uploads left, once untouched for an hour. Removing a file never deletes at once: an upload
    of the same content may be about to commit its row (it touches the content; see put)."""
    removed = []
    for path, sha, sample in store.stale(older_than):
        if sha is not None and session.scalar(select(func.count()).select_from(EvidenceFile).where(
                EvidenceFile.sha256 == sha, EvidenceFile.sample == sample)):
            continue
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed
