"""Duty rosters: who of an organisation is on duty when, and who is on duty now.

An organisation's org admins and the platform admins edit its roster; everyone
signed in sees it (it is a directory). The people on duty now are also told of
every urgent notification addressed to their organisation's members
(:func:`on_duty_for`, registered with the notification service).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.directory.models import DutyShift
from council.directory.shapes import zones
from council.errors import Forbidden, Invalid, NotFound
from council.orgs.models import Organization
from council.text import clean_line

MAX_SHIFT = timedelta(days=14)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def refused() -> str:
    """The refusal of a shift, in the reader's language."""
    return _("The shift was not saved.")


def may_edit(user: Any, org_id: int) -> bool:
    """The organisation's org admins and the platform admins edit its record and roster."""
    if not getattr(user, "active", True):  # the CLI's SYSTEM actor has no account to deactivate
        return False
    return bool(user.is_admin or (getattr(user, "org_admin", False) and user.org_id == org_id))


def require_editor(user: Any, org_id: int) -> None:
    if not may_edit(user, org_id):
        raise Forbidden(_("Only the organisation's org admins and the platform admins change its record and roster."))


def get_org(session: Session, org_id: int) -> Organization:
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFound(_("No such organisation."))
    return org


def on_duty(session: Session, org_ids: Iterable[int], now: datetime | None = None) -> dict[int, list[DutyShift]]:
    """Organisation id -> its shifts covering ``now`` (active people only), earliest end first."""
    now = now or utcnow()
    ids = sorted(set(org_ids))
    out: dict[int, list[DutyShift]] = {}
    if not ids:
        return out
    rows = session.scalars(select(DutyShift).join(User, User.id == DutyShift.user_id)
                           .where(DutyShift.org_id.in_(ids), DutyShift.starts_at <= now, DutyShift.ends_at > now,
                                  User.active.is_(True), User.org_id == DutyShift.org_id)
                           .order_by(DutyShift.ends_at, DutyShift.id))
    for shift in rows:
        out.setdefault(shift.org_id, []).append(shift)
    return out


def on_duty_for(session: Session, recipients: list[User], now: datetime) -> list[User]:
    """The urgent route: the people on duty now in each recipient's organisation."""
    found = on_duty(session, {u.org_id for u in recipients}, now)
    return [shift.user for shifts in found.values() for shift in shifts]


def roster(session: Session, org_id: int, now: datetime | None = None, days: int = 14) -> list[DutyShift]:
    """The shifts of the organisation that have not ended, up to ``days`` ahead."""
    now = now or utcnow()
    get_org(session, org_id)
    # Only people who can still be reached: active, and still of the organisation.
    return list(session.scalars(select(DutyShift).join(User, User.id == DutyShift.user_id).where(
        DutyShift.org_id == org_id, DutyShift.ends_at > now, DutyShift.starts_at < now + timedelta(days=days),
        User.active.is_(True), User.org_id == org_id).order_by(DutyShift.starts_at, DutyShift.id)))


def moment(value: Any, field: str, tz: str | None) -> datetime:
    """ISO 8601 text (or a datetime); without an offset, read in ``tz`` (as a browser's
    datetime-local field sends wall time) or else UTC."""
    bad = Invalid(refused(), {field: _("An ISO 8601 time, e.g. 2026-12-01T08:00 or 2026-12-01T03:00:00Z.")})
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str) and 0 < len(value) <= 64:
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise bad from None
    else:
        raise bad
    if parsed.tzinfo is None:
        if tz and tz not in zones():
            raise Invalid(refused(), {"tz": _("An IANA time zone name, e.g. Asia/Karachi.")})
        parsed = parsed.replace(tzinfo=ZoneInfo(tz) if tz else UTC)
    try:
        when = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        raise bad from None
    if not EARLIEST <= when < LATEST:
        raise bad
    return when


def add_shift(session: Session, *, actor: Any, org_id: int, user_id: int, starts_at: Any, ends_at: Any,
              note: str = "", tz: str | None = None, now: datetime | None = None) -> DutyShift:
    org = get_org(session, org_id)
    require_editor(actor, org.id)
    errors: dict[str, str] = {}
    person = session.get(User, user_id)
    if person is None or person.org_id != org.id or not person.active:
        errors["user_id"] = _("Choose an active member of %(org)s.", org=org.name)
    start = moment(starts_at, "starts_at", tz)
    end = moment(ends_at, "ends_at", tz)
    if end <= start:
        errors["ends_at"] = _("The shift ends after it starts.")
    elif end - start > MAX_SHIFT:
        errors["ends_at"] = _("A shift lasts at most 14 days.")
    now = now or utcnow()
    if end <= now:
        errors.setdefault("ends_at", _("The shift is over already: a roster says who will be on duty."))
    note = clean_line(str(note or "").strip())
    if len(note) > 200:
        errors["note"] = _("At most 200 characters.")
    if errors:
        raise Invalid(refused(), errors)
    shift = DutyShift(org_id=org.id, user_id=user_id, starts_at=start, ends_at=end, note=note,
                      created_by_id=actor.id, created_at=now)
    session.add(shift)
    session.flush()
    record(session, action="directory.shift_add", actor=actor, target_type="org", target_id=org.id, at=now,
           details={"shift_id": shift.id, "user_id": user_id, "starts_at": start.isoformat(),
                    "ends_at": end.isoformat(), "note": note})
    return shift


def remove_shift(session: Session, *, actor: Any, org_id: int, shift_id: int,
                 now: datetime | None = None) -> DutyShift:
    org = get_org(session, org_id)
    require_editor(actor, org.id)
    shift = session.get(DutyShift, shift_id)
    if shift is None or shift.org_id != org.id:  # the row touched, not only the URL's organisation
        raise NotFound(_("No such shift on this roster."))
    session.delete(shift)
    session.flush()
    record(session, action="directory.shift_remove", actor=actor, target_type="org", target_id=org.id, at=now,
           details={"shift_id": shift_id, "user_id": shift.user_id, "starts_at": shift.starts_at.isoformat(),
                    "ends_at": shift.ends_at.isoformat()})
    return shift


def shift_json(shift: DutyShift, now: datetime) -> dict[str, Any]:
    return {"id": shift.id, "org_id": shift.org_id, "user_id": shift.user_id, "name": shift.user.name,
            "starts_at": shift.starts_at.isoformat(), "ends_at": shift.ends_at.isoformat(), "note": shift.note,
            "on_duty": shift.covers(now)}
