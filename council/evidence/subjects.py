"""What a file can be attached to: a small registry, one entry per subject kind.

Each kind says, for a person and a subject id,

* ``marking(session, user, subject_id, tlp)``: the subject's marking now if the
  person may see it *and* an item marked ``tlp`` inside it (None: only the
  subject), else None. This is the one visibility rule of files: a file is seen
  by those who see its subject and clear the file's own marking there.
* ``room_of(session, subject_id)``: the room whose stream tells of an upload
  (None: the subject has no room; its own page lists its files).
* ``may_attach(session, user, subject_id)``: raise Forbidden/Conflict when the
  person may see the subject but not add to it.

"room" and "incident" are registered by the evidence slice itself; another slice
registers its own kind from its init_app (see register_subject_kind).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from council.access import can_see, can_write
from council.auth.models import User
from council.errors import Conflict, Forbidden, NotFound
from council.reporting.visibility import FULL_FORWARD, load_incident
from council.rooms.visibility import facts_of, load_visible, viewer_of

Marking = Callable[[Session, User, int, "str | None"], "str | None"]


@dataclass(frozen=True)
class SubjectKind:
    name: str
    marking: Marking
    room_of: Callable[[Session, int], int | None] = lambda _session, _id: None
    may_attach: Callable[[Session, User, int], None] | None = None


SUBJECTS: dict[str, SubjectKind] = {}


def register_subject_kind(kind: SubjectKind) -> None:
    SUBJECTS[kind.name] = kind


def subject_kind(name: str) -> SubjectKind:
    """The registered kind; an unknown kind is nothing to see (deny by default)."""
    found = SUBJECTS.get(name)
    if found is None:
        raise NotFound(_("No such subject."))
    return found


# --- rooms -------------------------------------------------------------------------

def room_marking(session: Session, user: User, room_id: int, tlp: str | None) -> str | None:
    """A room's marking when the person sees it (and, with ``tlp``, an item so marked in it:
    the room's organisations and members, under the stricter marking)."""
    try:
        room, _role = load_visible(session, user, room_id)
    except NotFound:
        return None
    if tlp is not None and not can_see(viewer_of(session, user), replace(facts_of(room), tlp=tlp)):
        return None
    return room.tlp


def room_may_attach(session: Session, user: User, room_id: int) -> None:
    room, role = load_visible(session, user, room_id)
    if not can_write(role):
        raise Forbidden(_("Observers read, never write."))
    if room.status == "closed":
        raise Conflict(_("The room is closed. The lead can reopen it."))


# --- incidents -----------------------------------------------------------------------

def incident_marking(session: Session, user: User, incident_id: int, tlp: str | None) -> str | None:
    """The incident's own rule (council/reporting/visibility.py): its reporter and reviewer
    see its files; the national CERT once forwarded, under the file's marking as under a
    report's (CLEAR, GREEN, AMBER or the reporter's consent). A stub reader sees no files."""
    try:
        incident, sight = load_incident(session, user, incident_id)
    except NotFound:
        return None
    if not sight.full:
        return None
    if tlp is not None and sight.relation == "national" and not (tlp in FULL_FORWARD or incident.consent_full):
        return None
    return incident.tlp


def incident_may_attach(session: Session, user: User, incident_id: int) -> None:
    load_incident(session, user, incident_id)  # anyone who reads it in full may add evidence


def register_core() -> None:
    register_subject_kind(SubjectKind("room", room_marking, room_of=lambda _s, room_id: room_id,
                                      may_attach=room_may_attach))
    register_subject_kind(SubjectKind("incident", incident_marking, may_attach=incident_may_attach))
