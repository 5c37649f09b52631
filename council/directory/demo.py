"""The demo's directory: every CERT gets a team record (FIRST's fields, with a
24/7 line, business hours and its people as points of contact), a roster with
someone on duty now and the next shift, and the council has one past
communication check, answered by most organisations within minutes.

The check happened three days ago, or (when the demo calls this after later
records) just after the last audit entry, so audit times never run backwards.
Idempotent: an organisation with a record, a roster or a past check is left as it is.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.actors import SYSTEM
from council.audit.models import AuditEntry
from council.auth.models import User
from council.db import history_clock
from council.directory import checks, roster, services
from council.directory.models import CommsCheck, DutyShift, TeamRecord
from council.directory.shapes import FirstTeam
from council.orgs.models import Organization

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# Minutes each organisation took to answer the past check (None: it did not answer).
ANSWER_MINUTES = (2, 4, 3, 7, 11, 5, None, 16, 9, None)


def _record(org: Organization, people: list[User], n: int) -> FirstTeam:
    digest = hashlib.sha1(f"demo key {org.name}".encode()).hexdigest().upper()
    sector = {"sectoral": "sector", "provincial": "sector", "national": "national"}.get(org.tier or "", "enterprise")
    hours = {f"{d}_1_{w}": t for d in WEEKDAYS for w, t in (("open", "09:00"), ("close", "17:00"))}
    contacts = [{"name": u.name, "email": u.email, "-council-role": "primary" if i == 0 else "deputy",
                 "-council-phone": f"+92 51 9100 {n:02d}{i + 1}", "languages": ["urd", "eng"]}
                for i, u in enumerate(people[:3])]
    return FirstTeam.model_validate({
        "short-team-name": org.short_name.upper(), "official-team-name": org.name,
        "host": org.parent.name if org.parent else "Government of Pakistan",
        "country": "Pakistan", "country-code": ["PK"], "email": f"{org.short_name}@cert.example",
        "phone-numbers": [f"+92 51 9100 {n:02d}0"], "-council-emergency-phone": f"+92 300 555 {n:04d}",
        "enckeys": [digest], "website": [f"https://{org.short_name}.cert.example/"],
        "operating-hours": hours, "operating-hours-freetext": "Monday to Friday 09:00 to 17:00 PKT; the 24/7 "
                                                               "line is answered at all times.",
        "-council-time-zone": "Asia/Karachi", "constituency": org.sector_label or "All sectors",
        "constituency-description": f"The constituency of {org.name} within the CERT Council.",
        "cert-type": ["government", sector] if org.tier in ("national", "sectoral") else [sector],
        "languages": ["urd", "eng"], "preferred language": "eng", "team-members": contacts,
    }, strict=False)


def seed(session: Session, orgs_by_name: dict[str, Organization], users_by_email: dict[str, User],
         now: datetime) -> None:
    people: dict[int, list[User]] = {}
    for user in sorted(users_by_email.values(), key=lambda u: u.id):
        if user.active:
            people.setdefault(user.org_id, []).append(user)
    certs = sorted((o for o in orgs_by_name.values() if o.is_cert), key=lambda o: o.id)
    last = session.scalar(select(func.max(AuditEntry.at)))
    start = max(now - timedelta(days=3), last + timedelta(seconds=1)) if last else now - timedelta(days=3)
    span = max((now - start).total_seconds(), 1.0)

    def at(fraction: float) -> datetime:
        return start + timedelta(seconds=span * fraction)

    with history_clock(at(0.01)):
        for n, org in enumerate(certs, start=1):
            if session.get(TeamRecord, org.id) is None:
                team = _record(org, people.get(org.id, []), n)
                services.save_record(session, actor=SYSTEM, org_id=org.id, team=team, now=at(0.01))
    _past_check(session, certs, people, users_by_email, at, min(1.0, span / (3 * 86400)))
    for org in certs:
        staff = people.get(org.id, [])
        if not staff or session.scalar(select(DutyShift.id).where(DutyShift.org_id == org.id).limit(1)):
            continue
        with history_clock(at(0.99)):
            for i, (begins, ends) in enumerate(((-4, 8), (8, 20))):
                person = staff[i % len(staff)]
                roster.add_shift(session, actor=SYSTEM, org_id=org.id, user_id=person.id,
                                 starts_at=now + timedelta(hours=begins), ends_at=now + timedelta(hours=ends),
                                 note="Day shift" if i == 0 else "Night shift", now=at(0.99))
    session.flush()


def _past_check(session: Session, certs: list[Organization], people: dict[int, list[User]],
                users_by_email: dict[str, User], at: Callable[[float], datetime], factor: float) -> None:
    """Three days ago (``factor`` < 1: the same steps compressed into a shorter past)."""
    starter = users_by_email.get("admin@ncert.example")
    if starter is None or session.scalar(select(CommsCheck.id).limit(1)) is not None:
        return
    with history_clock(at(0.02)):
        check, _told = checks.start_check(session, actor=starter, hours=2, now=at(0.02),
                                          org_ids=[o.id for o in certs if o.id != starter.org_id],
                                          message="Quarterly communication check: please answer within the hour.")
    answers = []
    for n, row in enumerate(sorted(check.orgs, key=lambda r: r.org_id)):
        minutes = ANSWER_MINUTES[n % len(ANSWER_MINUTES)]
        staff = people.get(row.org_id, [])
        if minutes is not None and staff:
            answers.append((row.sent_at + timedelta(minutes=minutes * factor), staff[0]))
    for moment, person in sorted(answers, key=lambda a: a[0]):  # in the order they happened
        with history_clock(moment):
            checks.answer(session, actor=person, check_id=check.id, now=moment)
    closed = check.started_at + timedelta(hours=2 * factor)
    with history_clock(closed):
        checks.close_check(session, actor=starter, check_id=check.id, now=closed)

