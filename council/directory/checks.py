"""Communication checks: can the council reach every organisation's duty contact,
and how fast do they answer?

Who starts one: the council's secretary or a platform admin of the national CERT
(any organisations, by default the whole council), or a member of a sectoral or
provincial CERT (organisations below it only, by default all of them). The
starter's own organisation is not checked unless named.

Each checked organisation's duty contact is told (kind ``comms_check``, urgent)
with a one-click answer link: the people on duty now; if nobody is, the points
of contact of its team record who are council users; if none, every active
member. Any active member of a checked organisation answers for it, once: the
first answer counts, later ones get that answer back. A check closes when its
starter (or another overseer) closes it, or by itself at ``closes_at`` (the
scheduler's sweep claims it with a conditional UPDATE, so once).

Who sees a check: its overseers — the starter's organisation, the secretary and
chair, platform admins — see every row and the summary; a checked organisation
sees the check and its own row. Anyone else: 404.
"""

from __future__ import annotations

import re
import secrets
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from council.audit.services import record
from council.auth.models import User
from council.db import utcnow
from council.directory.models import CommsCheck, CommsCheckOrg
from council.directory.roster import on_duty
from council.directory.services import contact_users
from council.errors import Conflict, Forbidden, Invalid, NotFound
from council.notifications.mentions import members_of
from council.notifications.services import Note, notify
from council.orgs.models import Organization
from council.orgs.services import child_org_ids
from council.text import clean_text

TREE_TIERS = ("sectoral", "provincial")
OVERSEER_OFFICES = ("secretary", "chair")
BATCH = 50


def _holds(session: Session, user: User, offices: tuple[str, ...]) -> bool:
    from council.governance.offices import holds_office

    return holds_office(session, user, offices)


# The one-click link's token as made (secrets.token_urlsafe): anything else is refused before comparing.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")

@dataclass(frozen=True)
class Reach:
    """What a person may check: everything (``council``) or the organisations ``below`` theirs."""

    council: bool
    secretary: bool
    below: frozenset[int]


def reach_of(session: Session, user: User) -> Reach | None:
    """None: the person may not start a check."""
    if not user.active:
        return None
    secretary = _holds(session, user, ("secretary",))
    if secretary or (user.is_admin and user.org.tier == "national"):
        return Reach(True, secretary, frozenset())
    # A check sends urgent mail to every organisation below: the CERT's org admins start one.
    if user.org.tier in TREE_TIERS and user.org_admin:
        return Reach(False, False, frozenset(child_org_ids(session, {user.org_id})))
    return None


def _national_admin(user: User) -> bool:
    return user.is_admin and user.org.tier == "national"


def candidates(session: Session, user: User) -> list[Organization]:
    """The organisations the person may check (the start form's choices)."""
    reach = reach_of(session, user)
    if reach is None:
        return []
    orgs = session.scalars(select(Organization).order_by(Organization.name))
    return [o for o in orgs if reach.council or o.id in reach.below]


def start_check(session: Session, *, actor: User, org_ids: list[int] | None = None, hours: int = 24,
                message: str = "", now: datetime | None = None) -> tuple[CommsCheck, int]:
    """Start a check and tell every checked organisation's duty contact; (check, people told)."""
    reach = reach_of(session, actor)
    if reach is None:
        raise Forbidden(_("Communication checks are started by the council's secretary, a platform admin of the "
                        "national CERT, or a sectoral or provincial CERT's org admins within its own tree."))
    if session.scalar(select(CommsCheck.id).where(CommsCheck.starter_org_id == actor.org_id,
                                                  CommsCheck.status == "open").limit(1)) is not None:
        raise Conflict(_("Your organisation already has a check running: close it before starting another."))
    refused = _("The check was not started.")
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 168:
        raise Invalid(refused, {"hours": _("Hours until it closes: a whole number from 1 to 168.")})
    message = clean_text(str(message or "")).strip()
    if len(message) > 500:
        raise Invalid(refused, {"message": _("At most 500 characters.")})
    if org_ids is None:
        wanted = (set(session.scalars(select(Organization.id))) if reach.council else set(reach.below))
        wanted.discard(actor.org_id)
    else:
        if len(org_ids) > 5000:
            raise Invalid(refused, {"orgs": _("At most 5,000 organisations.")})
        wanted = set(org_ids)
        known = set(session.scalars(select(Organization.id).where(Organization.id.in_(sorted(wanted)))))
        if wanted - known:
            unknown = ", ".join(map(str, sorted(wanted - known)[:10]))
            raise Invalid(refused, {"orgs": _("No such organisation: %(ids)s.", ids=unknown)})
        outside = sorted(wanted - reach.below) if not reach.council else []
        if outside:
            names = session.scalars(select(Organization.name).where(Organization.id.in_(outside[:10])))
            raise Forbidden(ngettext("Only organisations below yours: %(names)s is outside your tree.",
                                     "Only organisations below yours: %(names)s are outside your tree.",
                                     len(outside), names=", ".join(names)))
    if not wanted:
        raise Invalid(refused, {"orgs": _("No organisation to check.")})
    now = now or utcnow()
    check = CommsCheck(status="open", message=message, started_by_id=actor.id, starter_org_id=actor.org_id,
                       as_secretary=reach.secretary, started_at=now, closes_at=now + timedelta(hours=hours))
    session.add(check)
    session.flush()
    told = _tell(session, check, sorted(wanted), actor, now)
    record(session, action="comms_check.start", actor=actor, target_type="comms_check", target_id=check.id, at=now,
           details={"orgs": len(wanted), "told": told, "hours": hours, "as_secretary": reach.secretary,
                    "whole": org_ids is None})
    return check, told


def duty_contacts(session: Session, org_ids: list[int], now: datetime) -> dict[int, tuple[str, list[User]]]:
    """Organisation id -> (how, people): on duty now, else its record's points of contact
    who are users, else every active member (``nobody`` when it has none)."""
    duty = on_duty(session, org_ids, now)
    contacts = contact_users(session, [o for o in org_ids if o not in duty])
    rest = [o for o in org_ids if o not in duty and o not in contacts]
    members: dict[int, list[User]] = {}
    for user in members_of(session, rest):
        members.setdefault(user.org_id, []).append(user)
    out: dict[int, tuple[str, list[User]]] = {}
    for org_id in org_ids:
        if org_id in duty:
            out[org_id] = ("duty", [s.user for s in duty[org_id]])
        elif org_id in contacts:
            out[org_id] = ("contacts", contacts[org_id])
        elif org_id in members:
            out[org_id] = ("members", members[org_id])
        else:
            out[org_id] = ("nobody", [])
    return out


def answer_url(check_id: int, token: str) -> str:
    return f"/comms-checks/{check_id}/answer?t={token}"


def _tell(session: Session, check: CommsCheck, org_ids: list[int], actor: User, now: datetime) -> int:
    told = 0
    starter = check.starter_org.name
    for start in range(0, len(org_ids), BATCH):
        chunk = org_ids[start:start + BATCH]
        for org_id, (via, people) in duty_contacts(session, chunk, now).items():
            row = CommsCheckOrg(check_id=check.id, org_id=org_id, sent_at=now, via=via,
                                answer_token=secrets.token_urlsafe(24))
            check.orgs.append(row)
            session.flush()
            note = Note(kind="comms_check", title=f"Communication check from {starter}: answer for {row.org.name}",
                        url=answer_url(check.id, row.answer_token), subject=f"comms_check:{check.id}",
                        ref=f"check {check.id}", urgent=True, dedupe_key=f"comms_check:{check.id}:org:{org_id}",
                        body=check.message or "Open the link to answer that your organisation is reachable.")
            row.told = len(notify(session, note, people, actor=actor, now=now))
            told += row.told
    return told


# --- seeing a check -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sight:
    oversees: bool
    mine: CommsCheckOrg | None


def sight_of(session: Session, user: User, check: CommsCheck) -> Sight | None:
    if not user.active:
        return None
    mine = next((row for row in check.orgs if row.org_id == user.org_id), None)
    oversees = (user.org_id == check.starter_org_id or _national_admin(user)
                or _holds(session, user, OVERSEER_OFFICES))
    if not oversees and mine is None:
        return None
    return Sight(oversees, mine)


def load_check(session: Session, user: User, check_id: int) -> tuple[CommsCheck, Sight]:
    check = session.get(CommsCheck, check_id)
    sight = sight_of(session, user, check) if check is not None else None
    if check is None or sight is None:
        raise NotFound(_("No such communication check."))
    return check, sight


def sees_check(session: Session, user: User, check_id: int) -> str | None:
    """The notification subject checker ("comms_check:<id>")."""
    check = session.get(CommsCheck, check_id)
    if check is None or not user.active:
        return None
    if user.org_id in check.org_ids or user.org_id == check.starter_org_id:
        return "CLEAR"
    return "CLEAR" if sight_of(session, user, check) is not None else None


def list_checks(session: Session, user: User, *, status: str | None = None, limit: int = 100) -> list[CommsCheck]:
    """The checks the person sees, open first, newest first."""
    stmt = select(CommsCheck)
    if status:
        stmt = stmt.where(CommsCheck.status == status)
    if not (_national_admin(user) or _holds(session, user, OVERSEER_OFFICES)):
        mine = select(CommsCheckOrg.check_id).where(CommsCheckOrg.org_id == user.org_id)
        stmt = stmt.where((CommsCheck.starter_org_id == user.org_id) | CommsCheck.id.in_(mine))
    rows = session.scalars(stmt.order_by(CommsCheck.id.desc()).limit(max(1, min(limit, 500))))
    return sorted(rows, key=lambda c: (c.status != "open", -c.id))


def awaiting(session: Session, user: User) -> list[CommsCheck]:
    """Open checks still waiting for the person's organisation's answer."""
    if not user.active:
        return []
    return list(session.scalars(select(CommsCheck).join(CommsCheckOrg, CommsCheckOrg.check_id == CommsCheck.id)
                                .where(CommsCheck.status == "open", CommsCheckOrg.org_id == user.org_id,
                                       CommsCheckOrg.answered_at.is_(None))
                                .order_by(CommsCheck.id.desc()).limit(20)))


# --- answering and closing ------------------------------------------------------------------------

def answer(session: Session, *, actor: User, check_id: int, token: str | None = None,
           now: datetime | None = None) -> tuple[CommsCheckOrg, bool]:
    """The actor answers for their organisation; (its row, whether this was the first answer).
    ``token``: the one-click link's, which must be the organisation's own."""
    check, sight = load_check(session, actor, check_id)
    row = sight.mine
    if row is None:
        raise Forbidden(_("Only a member of a checked organisation answers, for their own organisation."))
    if token is not None and not (TOKEN.fullmatch(token) and secrets.compare_digest(token, row.answer_token)):
        raise Forbidden(_("This answer link is not your organisation's; use the button on the check's page."))
    if row.answered_at is not None:
        return row, False
    now = now or utcnow()
    if check.status != "open" or now >= check.closes_at:
        raise Conflict(_("The check closed before your organisation answered."))
    # Claimed only while the check is open: an answer racing its close either lands before
    # the close (and is in its summary) or not at all.
    still_open = exists(select(CommsCheck.id).where(CommsCheck.id == check.id, CommsCheck.status == "open",
                                                    CommsCheck.closes_at > now))
    claimed = session.execute(update(CommsCheckOrg).where(
        CommsCheckOrg.check_id == check.id, CommsCheckOrg.org_id == row.org_id, CommsCheckOrg.answered_at.is_(None),
        still_open).values(answered_at=now, answered_by_id=actor.id).execution_options(synchronize_session=False))
    session.refresh(row)
    if claimed.rowcount != 1:  # someone of the organisation answered a moment ago, or the check closed
        if row.answered_at is None:
            raise Conflict(_("The check closed before your organisation answered."))
        return row, False
    record(session, action="comms_check.answer", actor=actor, target_type="comms_check", target_id=check.id, at=now,
           details={"org_id": row.org_id, "seconds": round(row.answer_seconds or 0.0, 3), "via": row.via})
    return row, True


def close_check(session: Session, *, actor: User, check_id: int, now: datetime | None = None) -> CommsCheck:
    """The starter (or another overseer) closes the check; closing a closed one changes nothing."""
    check, _sight = load_check(session, actor, check_id)
    closers = (actor.id == check.started_by_id or _national_admin(actor) or _holds(session, actor, OVERSEER_OFFICES)
               or (actor.org_id == check.starter_org_id and actor.org_admin))
    if not closers:
        raise Forbidden(_("The check's starter (or their organisation's admins, the secretary or chair) closes it."))
    if check.status == "closed":
        return check
    now = now or utcnow()
    if _claim_close(session, check.id, now, actor.id):
        session.refresh(check)
        _record_close(session, check, actor, now)
    else:
        session.refresh(check)
    return check


def _claim_close(session: Session, check_id: int, now: datetime, by: int | None) -> bool:
    claimed = session.execute(update(CommsCheck).where(CommsCheck.id == check_id, CommsCheck.status == "open")
                              .values(status="closed", closed_at=now, closed_by_id=by)
                              .execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def _record_close(session: Session, check: CommsCheck, actor: User | None, now: datetime) -> None:
    result = summary(check)
    record(session, action="comms_check.close", actor=actor, target_type="comms_check", target_id=check.id, at=now,
           details={"auto": actor is None, "orgs": result["orgs"], "answered": result["answered"],
                    "median_seconds": result["median_seconds"], "worst_seconds": result["worst_seconds"]})


def sweep(session: Session, now: datetime | None = None) -> list[int]:
    """The scheduler's job: close the checks whose time is up (each claimed once)."""
    now = now or utcnow()
    due = list(session.scalars(select(CommsCheck.id).where(CommsCheck.status == "open", CommsCheck.closes_at <= now)
                               .order_by(CommsCheck.id).limit(100)))
    closed = []
    for check_id in due:
        if _claim_close(session, check_id, now, None):
            check = session.get(CommsCheck, check_id)
            if check is not None:
                session.refresh(check)
                _record_close(session, check, None, now)
            closed.append(check_id)
    return closed


# --- the after-action summary ---------------------------------------------------------------------

def tier_of(org: Organization) -> str:
    return org.tier_label


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return _("%(num)s s", num=format(seconds, ".0f"))
    if seconds < 3600:
        return _("%(num)s min", num=format(seconds / 60, ".0f"))
    return _("%(num)s h", num=format(seconds / 3600, ".1f"))


def _times(rows: list[CommsCheckOrg]) -> list[float]:
    return [r.answer_seconds for r in rows if r.answer_seconds is not None]


def summary(check: CommsCheck) -> dict[str, Any]:
    """Median and worst answer time per tier, the unanswered counted and named, and the
    same in sentences for an after-action report."""
    rows = list(check.orgs)
    tiers: dict[str, list[CommsCheckOrg]] = {}
    for row in rows:
        tiers.setdefault(tier_of(row.org), []).append(row)
    per_tier = []
    for tier, members in sorted(tiers.items()):
        times = _times(members)
        per_tier.append({"tier": tier, "orgs": len(members), "answered": len(times),
                         "unanswered": len(members) - len(times),
                         "median_seconds": statistics.median(times) if times else None,
                         "worst_seconds": max(times) if times else None})
    times = _times(rows)
    unanswered = sorted(r.org.name for r in rows if r.answered_at is None)
    median = statistics.median(times) if times else None
    worst = max(times) if times else None
    # The sentences are shown (the check's page), never stored: in the reader's language.
    if times:
        lines = [_("%(answered)s of %(total)s organisations answered; median %(median)s, worst %(worst)s.",
                   answered=len(times), total=len(rows), median=duration(median), worst=duration(worst))]
    else:
        lines = [_("%(answered)s of %(total)s organisations answered.", answered=len(times), total=len(rows))]
    for t in per_tier:
        tier = _(t["tier"]) if t["tier"] else t["tier"]  # a registered label: in the catalogue
        if t["answered"]:
            lines.append(_("%(tier)s: %(answered)s of %(total)s answered, median %(median)s, worst %(worst)s.",
                           tier=tier, answered=t["answered"], total=t["orgs"],
                           median=duration(t["median_seconds"]), worst=duration(t["worst_seconds"])))
        else:
            lines.append(_("%(tier)s: %(answered)s of %(total)s answered.", tier=tier, answered=t["answered"],
                           total=t["orgs"]))
    nobody = sorted(r.org.name for r in rows if r.via == "nobody")
    if unanswered:
        lines.append(_("Unanswered (%(num)s): %(names)s.", num=len(unanswered),
                       names=", ".join(unanswered[:30]) + (" …" if len(unanswered) > 30 else "")))
    if nobody:
        lines.append(_("Nobody to tell (%(num)s), no active member: %(names)s.", num=len(nobody),
                       names=", ".join(nobody[:30])))
    fallback = sum(1 for r in rows if r.via in ("contacts", "members"))
    if fallback:
        lines.append(ngettext("%(num)d organisation had nobody on duty and was reached through points of contact "
                              "or all members: keep the rosters filled.",
                              "%(num)d organisations had nobody on duty and were reached through points of contact "
                              "or all members: keep the rosters filled.", fallback))
    return {"orgs": len(rows), "answered": len(times), "unanswered": len(rows) - len(times),
            "median_seconds": median, "worst_seconds": worst, "tiers": per_tier,
            "unanswered_orgs": unanswered, "lines": lines}


def row_json(row: CommsCheckOrg) -> dict[str, Any]:
    return {"org_id": row.org_id, "org": row.org.name, "tier": tier_of(row.org), "sent_at": row.sent_at.isoformat(),
            "answered_at": row.answered_at.isoformat() if row.answered_at else None,
            "user_id": row.answered_by_id, "answered_by": row.answered_by.name if row.answered_by else None,
            "via": row.via, "told": row.told, "answer_seconds": row.answer_seconds}


def check_json(check: CommsCheck, sight: Sight) -> dict[str, Any]:
    rows = check.orgs if sight.oversees else [r for r in check.orgs if sight.mine and r.org_id == sight.mine.org_id]
    return {"id": check.id, "status": check.status, "message": check.message,
            "started_at": check.started_at.isoformat(),
            "closes_at": check.closes_at.isoformat(),
            "closed_at": check.closed_at.isoformat() if check.closed_at else None,
            "started_by": check.started_by.name, "starter_org_id": check.starter_org_id,
            "starter_org": check.starter_org.name, "oversees": sight.oversees,
            "orgs": [row_json(r) for r in rows], "mine": row_json(sight.mine) if sight.mine else None,
            "summary": summary(check) if sight.oversees else None}


def brief_json(session: Session, check: CommsCheck, user: User) -> dict[str, Any]:
    mine = next((r for r in check.orgs if r.org_id == user.org_id), None)
    sight = sight_of(session, user, check)
    oversees = bool(sight and sight.oversees)
    return {"id": check.id, "status": check.status, "started_at": check.started_at.isoformat(),
            "closes_at": check.closes_at.isoformat(),
            "closed_at": check.closed_at.isoformat() if check.closed_at else None,
            "starter_org": check.starter_org.name,
            # Counts over the whole check are for those who oversee it (a checked organisation sees its own row).
            "orgs": len(check.orgs) if oversees else None,
            "answered": sum(1 for r in check.orgs if r.answered_at is not None) if oversees else None,
            "mine_answered": None if mine is None else mine.answered_at is not None}
