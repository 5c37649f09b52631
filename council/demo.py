"""The demo council: a national CERT, sectoral CERTs, organisational CERTs and
their people, the history other slices add, then the live rooms of today.
Idempotent: what exists (by name, email or title) is left as it is.

The demo is written in the order things happened, each step under the
history clock (council.db.history_clock): people three months ago, the
slices' past records (oldest first), then this morning's rooms. So audit and
event times never run backwards, whatever was seeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.actors import SYSTEM
from council.auth.models import User
from council.auth.services import create_user, find_user
from council.db import history_clock, utcnow
from council.orgs.models import Organization
from council.orgs.services import create_org, find_org_by_name

DEMO_PASSWORD = "council-demo-2026"
EPOCH_DAYS = 90  # the council was set up this long ago

# (name, tier, sector, parent)
ORGS: list[tuple[str, str, str | None, str | None]] = [
    ("National CERT", "national", "government", None),
    ("Banking Sector CERT", "sectoral", "banking-finance", "National CERT"),
    ("Telecom Sector CERT", "sectoral", "telecom", "National CERT"),
    ("Energy Sector CERT", "sectoral", "energy", "National CERT"),
    ("Health Sector CERT", "sectoral", "health", "National CERT"),
    ("Government Sector CERT", "sectoral", "government", "National CERT"),
    ("Transport Sector CERT", "sectoral", "transport", "National CERT"),
    ("Indus Bank CSIRT", "organizational", "banking-finance", "Banking Sector CERT"),
    ("Crescent Telecom CSIRT", "organizational", "telecom", "Telecom Sector CERT"),
    ("Northern Grid CSIRT", "organizational", "energy", "Energy Sector CERT"),
    ("Punjab CERT", "provincial", "government", "National CERT"),
]

# Bodies seated on the council that are not CERTs: (name, kind).
BODIES: list[tuple[str, str]] = [
    ("Ministry of IT & Telecom", "ministry"),
    ("Ministry of Defence", "ministry"),
    ("Ministry of Foreign Affairs", "ministry"),
    ("Ministry of Interior", "ministry"),
    ("National Security Division", "ministry"),
    ("Pakistan Telecommunication Authority", "regulator"),
    ("Software Industry Association", "industry"),
    ("University Cyber Security Centre", "academia"),
    ("Digital Rights Forum", "civil-society"),
]

# (email, name, org, role, what the login shows off) — README.md lists the same.
USERS: list[tuple[str, str, str, str, str]] = [
    ("admin@ncert.example", "Ayesha Siddiqui", "National CERT", "admin",
     "platform admin, National CERT (a player in the demo drill)"),
    ("duty@ncert.example", "Bilal Ahmed", "National CERT", "member",
     "duty officer, National CERT (lead of the ransomware room, director of the drills)"),
    ("lead@bankcert.example", "Sana Qureshi", "Banking Sector CERT", "member",
     "Banking Sector CERT (a player in the demo drill)"),
    ("analyst@telcocert.example", "Omar Farooq", "Telecom Sector CERT", "member",
     "Telecom Sector CERT (lead of the BGP room)"),
    ("soc@energycert.example", "Hina Javed", "Energy Sector CERT", "member", "Energy Sector CERT"),
    ("ir@healthcert.example", "Kamran Malik", "Health Sector CERT", "member",
     "Health Sector CERT (evaluator of the drills)"),
    ("ops@govcert.example", "Zara Hussain", "Government Sector CERT", "member",
     "Government Sector CERT (controller of the demo drill)"),
    ("ops@transportcert.example", "Imran Shah", "Transport Sector CERT", "member",
     "Transport Sector CERT (controller of the October drill)"),
    ("csirt@indusbank.example", "Fatima Raza", "Indus Bank CSIRT", "member", "Indus Bank CSIRT (under banking)"),
    ("noc@crescent.example", "Usman Tariq", "Crescent Telecom CSIRT", "member", "Crescent Telecom CSIRT"),
    ("soc@northerngrid.example", "Maryam Khan", "Northern Grid CSIRT", "member", "Northern Grid CSIRT"),
    ("chair@moitt.example", "Khalid Mehmood", "Ministry of IT & Telecom", "member",
     "chair of the CERT Council (Federal Secretary IT)"),
    ("dg@ncert.example", "Haider Ali", "National CERT", "member",
     "secretary of the council (Director General, National CERT)"),
    ("council@mod.example", "Asad Mir", "Ministry of Defence", "member", "council seat, Ministry of Defence"),
    ("council@mofa.example", "Rabia Anwar", "Ministry of Foreign Affairs", "member",
     "council seat, Ministry of Foreign Affairs"),
    ("council@interior.example", "Faisal Butt", "Ministry of Interior", "member", "council seat, Ministry of Interior"),
    ("council@nsd.example", "Saima Noor", "National Security Division", "member",
     "council seat, National Security Division"),
    ("council@pta.example", "Nadia Karim", "Pakistan Telecommunication Authority", "member",
     "council seat, the telecom regulator"),
    ("cert@punjab.example", "Ahmed Raza", "Punjab CERT", "member", "Punjab CERT (provincial), council seat"),
    ("council@softwareindustry.example", "Sara Baig", "Software Industry Association", "member",
     "one-year council seat, industry"),
    ("council@university.example", "Tahir Hassan", "University Cyber Security Centre", "member",
     "one-year council seat, academia"),
    ("council@digitalrights.example", "Mehreen Aziz", "Digital Rights Forum", "member",
     "one-year council seat, civil society"),
]

Seeder = Callable[[Session], Any]


def seed(session: Session, history: Iterable[Seeder] = ()) -> list[tuple[str, str]]:
    """Create what is missing, oldest first; return the demo logins to print.
    ``history``: the slices' seeders of past records, run between the people and today."""
    with history_clock(demo_epoch()):
        seed_people(session)
        from council.reporting.demo import seed_regimes

        seed_regimes(session)
        from council.governance.demo import seed_council

        seed_council(session)
    for seeder in history:
        seeder(session)
    from council.advisories.demo import seed_advisories

    seed_advisories(session)
    from council.governance.demo import seed_extraordinary_meeting

    seed_extraordinary_meeting(session)
    seed_rooms(session)
    from council.directory import demo as directory

    # Team records, rosters and a communication check: written just after this morning's rooms.
    directory.seed(session, {o.name: o for o in session.scalars(select(Organization))},
                   {u.email: u for u in session.scalars(select(User))}, utcnow())
    from council.indicators.demo import seed as seed_indicators

    seed_indicators(session)
    return [(email, what) for email, _n, _o, _r, what in USERS]


def demo_epoch() -> datetime:
    return (utcnow() - timedelta(days=EPOCH_DAYS)).replace(hour=9, minute=0, second=0, microsecond=0)


def seed_people(session: Session) -> None:
    for name, tier, sector, parent in ORGS:
        if find_org_by_name(session, name) is None:
            parent_org = find_org_by_name(session, parent) if parent else None
            create_org(session, actor=SYSTEM, name=name, tier=tier, sector=sector,
                       parent_id=parent_org.id if parent_org else None)
    for name, kind in BODIES:
        if find_org_by_name(session, name) is None:
            create_org(session, actor=SYSTEM, name=name, tier=None, kind=kind)
    for email, name, org_name, role, _what in USERS:
        if find_user(session, email) is None:
            org = find_org_by_name(session, org_name)
            assert org is not None
            create_user(session, actor=SYSTEM, email=email, name=name, org_id=org.id, role=role,
                        password=DEMO_PASSWORD)
    session.flush()


def _room_exists(session: Session, title: str) -> bool:
    from council.rooms.models import Room

    return session.scalars(select(Room.id).where(Room.title == title)).first() is not None


def _user(session: Session, email: str) -> User:
    found = find_user(session, email)
    assert found is not None, email
    return found


def _org_id(session: Session, name: str) -> int:
    org = find_org_by_name(session, name)
    assert org is not None, name
    return org.id


def seed_rooms(session: Session) -> None:
    """Two live incident rooms with a believable first hours of coordination,
    each step written at the time it happened this morning."""
    from council.reporting import demo as reporting
    from council.rooms.services import create_room
    from council.rooms.stream import post

    now = utcnow()
    with history_clock(now - timedelta(hours=20)):
        reporting.overdue_telecom(session, _user(session, "noc@crescent.example"), now)
    title = "Ransomware on a payment switch operator"
    if not _room_exists(session, title):
        duty, bank = _user(session, "duty@ncert.example"), _user(session, "lead@bankcert.example")
        indus = _user(session, "csirt@indusbank.example")
        opened = now - timedelta(hours=5, minutes=20)
        with history_clock(opened):
            room = create_room(
                session, actor=duty, title=title, severity="critical", tlp="AMBER",
                org_ids=[_org_id(session, "Banking Sector CERT"), _org_id(session, "Indus Bank CSIRT")],
                summary=("Card and interbank transfers through the national payment switch are failing since "
                         "early morning. The operator reports encrypted hosts in its settlement segment."),
                member_emails=["lead@bankcert.example", "csirt@indusbank.example"],
            )
        steps: list[tuple[int, User, str, dict[str, Any]]] = [
            (318, duty, "status", {"sitrep_cadence_min": 240}),
            (310, bank, "timeline", {"category": "detection", "occurred_at": (now - timedelta(hours=6)).isoformat(),
                                     "body": "Switch operator's SOC sees mass file renames on settlement servers."}),
            (300, bank, "message", {"body": "Operator confirms **LockBit-style** ransom note on 14 hosts. "
                                            "Card authorisations failing for three banks."}),
            (290, indus, "message", {"body": "Indus Bank sees ATM declines from 06:40. We have moved to "
                                             "offline stand-in limits for debit cards."}),
            (240, duty, "timeline", {"category": "containment",
                                     "occurred_at": (now - timedelta(hours=4, minutes=10)).isoformat(),
                                     "body": "Settlement segment isolated from the core network by the operator."}),
            (235, duty, "action", {"title": "Collect IOCs from the operator and share at TLP:AMBER",
                                   "assignee_org_id": _org_id(session, "Banking Sector CERT"),
                                   "due_at": (now + timedelta(hours=2)).isoformat()}),
            (230, duty, "action", {"title": "Draft a holding statement for the State Bank liaison",
                                   "assignee_org_id": _org_id(session, "National CERT"),
                                   "due_at": (now - timedelta(minutes=30)).isoformat()}),
            (200, bank, "sitrep", {
                "situation": "Payment switch settlement segment encrypted; card traffic degraded.",
                "impact": "Three banks with failing authorisations; ATM networks on stand-in.",
                "actions_taken": "Segment isolated; backups verified offline.",
                "next_steps": "Rebuild settlement hosts from golden images.",
                "requests": "National CERT to coordinate with the telecom CERT on C2 blocking."}),
            (60, duty, "message", {"body": "Next council call at the top of the hour. "
                                           "Sector CERTs: sitrep before then. @sana.qureshi please bring "
                                           "the banks' authorisation figures; @telecom-sector-cert the C2 "
                                           "blocking status."}),
        ]
        timed: list[tuple[int, Callable[[], Any]]] = [
            (m, lambda a=actor, k=kind, p=payload: post(session, actor=a, room_id=room.id, kind=k, payload=p))
            for m, actor, kind, payload in steps]
        timed += _room_decisions(session, room.id, duty, bank, indus, now)
        timed += reporting.ransomware_steps(session, room.id, indus, bank, now)
        for minutes_ago, step in sorted(timed, key=lambda t: -t[0]):
            with history_clock(now - timedelta(minutes=minutes_ago)):
                step()

    title = "BGP route leak affecting telecom prefixes"
    if not _room_exists(session, title):
        telco, duty = _user(session, "analyst@telcocert.example"), _user(session, "duty@ncert.example")
        with history_clock(now - timedelta(minutes=35)):
            room = create_room(
                session, actor=telco, title=title, severity="medium", tlp="GREEN",
                org_ids=[_org_id(session, "Telecom Sector CERT"), _org_id(session, "Crescent Telecom CSIRT"),
                         _org_id(session, "National CERT")],
                summary="A foreign AS announced more-specifics of Crescent Telecom's prefixes for 40 minutes.",
            )
        for minutes_ago, actor, kind, payload in [
            (32, telco, "timeline", {"category": "detection",
                                     "occurred_at": (now - timedelta(hours=1, minutes=40)).isoformat(),
                                     "body": "Route monitoring alerts on /24 more-specifics from an "
                                             "unknown origin AS."}),
            (25, telco, "message", {"body": "Announcements withdrawn after contact with the upstream's NOC. "
                                            "Checking whether traffic was intercepted."}),
            (10, duty, "message", {"body": "Thanks. Please share the affected prefixes list here when ready."}),
        ]:
            with history_clock(now - timedelta(minutes=minutes_ago)):
                post(session, actor=actor, room_id=room.id, kind=kind, payload=payload)


def _room_decisions(session: Session, room_id: int, duty: User, bank: User, indus: User,
                    now: datetime) -> list[tuple[int, Callable[[], Any]]]:
    """One decision taken this morning, one still waiting for the National CERT's position:
    steps (minutes ago, write) for the room's timeline."""
    import json

    from council.rooms.stream import post

    made: dict[str, int] = {}

    def step(actor: User, name: str, payload: dict[str, Any]) -> Callable[[], Any]:
        def run() -> None:
            if "decision_id" in payload:
                payload["decision_id"] = made[payload["decision_id"]]
            event, _ = post(session, actor=actor, room_id=room_id, kind="decision", payload=payload)
            made.setdefault(name, int(json.loads(event.data)["decision_id"]))
        return run

    return [
        (180, step(duty, "sinkhole", {
            "op": "propose", "title": "Ask ISPs to sinkhole the ransomware's C2 domains", "rule": "majority",
            "background": "Two C2 domains seen in the operator's proxy logs; blocking them nationally cuts the "
                          "encryptor off from its operators."})),
        (175, step(bank, "", {"op": "position", "decision_id": "sinkhole", "position": "support"})),
        (172, step(indus, "", {"op": "position", "decision_id": "sinkhole", "position": "support",
                               "comment": "Our proxies already block them; no side effects seen."})),
        (170, step(duty, "", {"op": "position", "decision_id": "sinkhole", "position": "support"})),
        (165, step(duty, "", {"op": "close", "decision_id": "sinkhole", "rationale": (
            "All three organisations support; the Telecom Sector CERT relays the list to ISPs.")})),
        (45, step(bank, "contingency", {
            "op": "propose", "rule": "majority",
            "title": "Recommend the State Bank activates the payment-system contingency plan",
            "background": "Card traffic is still degraded; the plan moves settlement to the backup site within "
                          "four hours.", "deadline": (now + timedelta(hours=3)).isoformat()})),
        (40, step(indus, "", {"op": "position", "decision_id": "contingency", "position": "support"})),
    ]
