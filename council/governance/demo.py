"""The demo council as a body: its chair, secretary and fourteen seats (ministries,
the telecom regulator, the national, sectoral and provincial CERTs, and one-year
seats for industry, academia and civil society), the inaugural meeting of three
months ago with its recommendation and drafted minutes, and last night's
extraordinary meeting on the VPN gateway advisory, which adopted those minutes
and raised the national level to Elevated; the next regular meeting is convened.

Two calls, each in its place on the demo's timeline (council/demo.py): the
seats and the inaugural meeting just after the people; the extraordinary
meeting after the advisories and before this morning's rooms, its steps placed
just after the last record written, so audit times never run backwards.
Idempotent: a meeting of the same title is left alone.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.audit.models import AuditEntry
from council.auth.models import User
from council.db import history_clock, utcnow
from council.governance import acts, meetings, minutes, seats
from council.governance.models import Meeting, Seat
from council.orgs.models import Organization
from council.rooms.stream import post

INAUGURAL = "Inaugural meeting of the council on the platform"
EXTRAORDINARY = "Extraordinary meeting: exploitation of edge VPN gateways"
NEXT = "Regular meeting — December"

# (organisation, office, seat label, one-year?, primary, alternate)
SEATS: list[tuple[str, str, str, bool, str, str | None]] = [
    ("National CERT", "secretary", "National CERT (Director General)", False, "dg@ncert.example", "duty@ncert.example"),
    ("Ministry of IT & Telecom", "chair", "Federal Secretary IT", False, "chair@moitt.example", None),
    ("Ministry of Defence", "member", "Ministry of Defence", False, "council@mod.example", None),
    ("Ministry of Foreign Affairs", "member", "Ministry of Foreign Affairs", False, "council@mofa.example", None),
    ("Ministry of Interior", "member", "Ministry of Interior", False, "council@interior.example", None),
    ("National Security Division", "member", "National Security Division", False, "council@nsd.example", None),
    ("Pakistan Telecommunication Authority", "member", "Telecom regulator", False, "council@pta.example", None),
    ("Banking Sector CERT", "member", "Sectoral CERT (banking)", False, "lead@bankcert.example", None),
    ("Telecom Sector CERT", "member", "Sectoral CERT (telecom)", False, "analyst@telcocert.example", None),
    ("Energy Sector CERT", "member", "Sectoral CERT (energy)", False, "soc@energycert.example", None),
    ("Punjab CERT", "member", "Provincial CERT", False, "cert@punjab.example", None),
    ("Software Industry Association", "member", "Industry (one-year)", True, "council@softwareindustry.example", None),
    ("University Cyber Security Centre", "member", "Academia (one-year)", True, "council@university.example", None),
    ("Digital Rights Forum", "member", "Civil society (one-year)", True, "council@digitalrights.example", None),
]


def _user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).one_or_none()


def _org(session: Session, name: str) -> Organization | None:
    return session.scalars(select(Organization).where(Organization.name == name)).one_or_none()


def _meeting(session: Session, title: str) -> Meeting | None:
    return session.scalars(select(Meeting).where(Meeting.title == title)).first()


def _decide(session: Session, room_id: int, proposer: User, voters: list[User], closer: User, at: Any,
            payload: dict[str, Any], rationale: str, decision_id: int | None = None) -> int:
    """Propose (unless given), let each voter support, close: one step a minute apart."""
    if decision_id is None:
        with history_clock(at()):
            event, _ = post(session, actor=proposer, room_id=room_id, kind="decision", payload={"op": "propose",
                                                                                               **payload})
        decision_id = int(json.loads(event.data)["decision_id"])
    for voter in voters:
        with history_clock(at()):
            post(session, actor=voter, room_id=room_id, kind="decision",
                 payload={"op": "position", "decision_id": decision_id, "position": "support"})
    with history_clock(at()):
        post(session, actor=closer, room_id=room_id, kind="decision",
             payload={"op": "close", "decision_id": decision_id, "rationale": rationale})
    return decision_id


def seed_council(session: Session) -> None:
    """The seats (from the council's first day) and the inaugural meeting, in its first hours."""
    admin, secretary = _user(session, "admin@ncert.example"), _user(session, "dg@ncert.example")
    if admin is None or secretary is None or session.scalar(select(func.count()).select_from(Seat)):
        return
    epoch = utcnow()  # the history clock: the council's first day on the platform
    first_day = epoch.date()
    clock = iter(range(1, 600))

    def at() -> datetime:
        return epoch + timedelta(minutes=next(clock))

    # A term that ended before the platform: the register keeps who held the industry seat before.
    past = _org(session, "Crescent Telecom CSIRT")
    people: dict[str, User] = {}
    for org_name, office, label, one_year, primary, alternate in SEATS:
        org = _org(session, org_name)
        rep = _user(session, primary)
        alt = _user(session, alternate) if alternate else None
        if org is None or rep is None:
            continue
        people[primary] = rep
        actor = admin if office == "secretary" else secretary
        with history_clock(at()):
            if org_name == "Software Industry Association" and past is not None:
                seats.create_seat(session, actor=actor, org_id=past.id, office="member",
                                  label="Industry (one-year)", term_start=first_day - timedelta(days=400),
                                  term_end=first_day - timedelta(days=35))
            seats.create_seat(session, actor=actor, org_id=org.id, office=office, label=label,
                              term_start=first_day - timedelta(days=30) if one_year else first_day,
                              term_end=(first_day + timedelta(days=335)) if one_year else None,
                              representatives=[(rep.id, "primary")] + ([(alt.id, "alternate")] if alt else []))
    if _meeting(session, INAUGURAL) is not None or "chair@moitt.example" not in people:
        return
    chair = people["chair@moitt.example"]
    with history_clock(at()):
        meeting = meetings.convene(session, actor=secretary, title=INAUGURAL, kind="regular", tlp="CLEAR",
                                   starts_at=epoch + timedelta(hours=2), agenda=[
                                       {"title": "Terms of reference and the platform's rules of access"},
                                       {"title": "Organisational CERTs in every federal ministry"},
                                       {"title": "Any other business"}])
    present = [s[4] for s in SEATS if s[4] not in ("council@mofa.example", "council@digitalrights.example")]
    for email in present:
        rep = people.get(email)
        if rep is not None:
            with history_clock(at()):
                meetings.record_attendance(session, actor=secretary, meeting_id=meeting.id, org_id=rep.org_id,
                                           present=True, user_id=rep.id)
    voters = [people[e] for e in ("dg@ncert.example", "council@mod.example", "council@interior.example",
                                  "council@pta.example", "lead@bankcert.example", "analyst@telcocert.example",
                                  "cert@punjab.example", "council@softwareindustry.example") if e in people]
    _decide(session, meeting.room_id, secretary, voters, chair, at, {
        "title": "Recommend that every federal ministry designates an organisational CERT within 90 days",
        "type": "recommendation", "addressee": "Federal Government (Cabinet Division)", "rule": "majority",
        "background": "Under the CERT Rules 2023 each organisation reports to its sectoral CERT; eleven "
                      "ministries have no team to report from."},
        "Adopted by a clear majority of the seats present; the secretary forwards it to the Cabinet Division.")
    with history_clock(at()):
        meetings.close_meeting(session, actor=secretary, meeting_id=meeting.id)
    with history_clock(at()):
        minutes.draft(session, actor=secretary, meeting_id=meeting.id)


def seed_extraordinary_meeting(session: Session, now: datetime | None = None) -> None:
    """Last night: the extraordinary meeting on the advisory (just after it), adopting the
    inaugural minutes and raising the level to Elevated; the next regular meeting convened."""
    now = now or utcnow()
    secretary, chair = _user(session, "dg@ncert.example"), _user(session, "chair@moitt.example")
    first = _meeting(session, INAUGURAL)
    if secretary is None or chair is None or first is None or _meeting(session, EXTRAORDINARY) is not None:
        return
    last = session.scalar(select(func.max(AuditEntry.at)))
    start = max(now - timedelta(hours=20, minutes=55), last + timedelta(seconds=1)) if last else now
    clock = iter(range(1, 600))

    def at() -> datetime:
        return start + timedelta(seconds=20 * next(clock))

    from council.advisories.demo import NATIONAL_TITLE
    from council.advisories.models import Advisory

    advisory = session.scalars(select(Advisory.id).where(Advisory.title == NATIONAL_TITLE)).first()
    agenda: list[dict[str, Any]] = [{"title": "Exploitation of edge VPN gateways: the national picture"}]
    if advisory is not None:
        agenda[0]["link"] = f"advisory:{advisory}"
    agenda += [{"title": "Adoption of the minutes of the inaugural meeting"}, {"title": "The national crisis level"}]
    with history_clock(at()):
        meeting = meetings.convene(session, actor=secretary, title=EXTRAORDINARY, kind="extraordinary",
                                   tlp="AMBER+STRICT", starts_at=start + timedelta(minutes=2), agenda=agenda)
    reps = {r.user.email: r.user for s in seats.current_seats(session) for r in s.representatives}
    for email in ("dg@ncert.example", "chair@moitt.example", "council@mod.example", "council@interior.example",
                  "council@nsd.example", "council@pta.example", "lead@bankcert.example",
                  "analyst@telcocert.example", "cert@punjab.example"):
        rep = reps.get(email)
        if rep is not None:
            with history_clock(at()):
                meetings.record_attendance(session, actor=secretary, meeting_id=meeting.id, org_id=rep.org_id,
                                           present=True, user_id=rep.id)
    voters = [reps[e] for e in ("dg@ncert.example", "council@mod.example", "council@nsd.example",
                                "council@pta.example", "lead@bankcert.example", "analyst@telcocert.example",
                                "cert@punjab.example", "council@interior.example") if e in reps]
    record = minutes.minutes_of(session, first.id)
    if record is not None and record.status == "draft":
        with history_clock(at()):
            adoption = minutes.propose_adoption(session, actor=secretary, minutes_id=record.id,
                                                at_meeting_id=meeting.id)
        _decide(session, meeting.room_id, secretary, voters, chair, at, {}, "Adopted without amendment.",
                decision_id=adoption.id)
    _decide(session, meeting.room_id, secretary, voters, chair, at, {
        "title": "Raise the national cyber-crisis level to 1 · Elevated", "type": "crisis-level", "level": 1,
        "background": "Two government organisations compromised through edge VPN gateways; exploitation "
                      "is spreading. Elevated: every CERT watches and shares."},
        "The seats agree the threat is of national interest; the level stays under daily review.")
    from council.decisions.models import Decision

    rec = session.scalars(select(Decision).where(Decision.type == "recommendation")).first()
    if rec is not None and rec.outcome == "adopted":
        with history_clock(at()):
            acts.record_outcome(session, actor=secretary, decision_id=rec.id, status="accepted",
                                decided_by="Federal Cabinet", decided_on=(start - timedelta(days=40)).date(),
                                note="Cabinet Division circulated the instruction to all ministries.")
    if _meeting(session, NEXT) is None:
        day: date = (now + timedelta(days=6)).date()
        with history_clock(at()):
            meetings.convene(session, actor=secretary, title=NEXT, kind="regular",
                             starts_at=datetime(day.year, day.month, day.day, 6, 0, tzinfo=now.tzinfo),
                             agenda=[{"title": "Minutes of the extraordinary meeting"},
                                     {"title": "Review of the crisis level"},
                                     {"title": "Communication checks: results of November"}])
    with history_clock(at()):
        meetings.close_meeting(session, actor=secretary, meeting_id=meeting.id)
