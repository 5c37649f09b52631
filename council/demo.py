"""The demo council: a national CERT, sectoral CERTs, organisational CERTs and
their people. Idempotent: what exists (by name or email) is left as it is."""

from __future__ import annotations

from sqlalchemy.orm import Session

from council.actors import SYSTEM
from council.auth.services import create_user, find_user
from council.orgs.services import create_org, find_org_by_name

DEMO_PASSWORD = "council-demo-2026"

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
]

# (email, name, org, role, what the login shows off)
USERS: list[tuple[str, str, str, str, str]] = [
    ("admin@ncert.example", "Ayesha Siddiqui", "National CERT", "admin", "platform admin, National CERT"),
    ("duty@ncert.example", "Bilal Ahmed", "National CERT", "member", "duty officer, National CERT"),
    ("lead@bankcert.example", "Sana Qureshi", "Banking Sector CERT", "member", "Banking Sector CERT lead"),
    ("analyst@telcocert.example", "Omar Farooq", "Telecom Sector CERT", "member", "Telecom Sector CERT analyst"),
    ("soc@energycert.example", "Hina Javed", "Energy Sector CERT", "member", "Energy Sector CERT"),
    ("ir@healthcert.example", "Kamran Malik", "Health Sector CERT", "member", "Health Sector CERT"),
    ("ops@govcert.example", "Zara Hussain", "Government Sector CERT", "member", "Government Sector CERT"),
    ("ops@transportcert.example", "Imran Shah", "Transport Sector CERT", "member", "Transport Sector CERT"),
    ("csirt@indusbank.example", "Fatima Raza", "Indus Bank CSIRT", "member", "Indus Bank CSIRT (under banking)"),
    ("noc@crescent.example", "Usman Tariq", "Crescent Telecom CSIRT", "member", "Crescent Telecom CSIRT"),
    ("soc@northerngrid.example", "Maryam Khan", "Northern Grid CSIRT", "member", "Northern Grid CSIRT"),
]


def seed(session: Session) -> list[tuple[str, str]]:
    """Create what is missing; return the demo logins to print."""
    for name, tier, sector, parent in ORGS:
        if find_org_by_name(session, name) is None:
            parent_org = find_org_by_name(session, parent) if parent else None
            create_org(session, actor=SYSTEM, name=name, tier=tier, sector=sector,
                       parent_id=parent_org.id if parent_org else None)
    for email, name, org_name, role, _what in USERS:
        if find_user(session, email) is None:
            org = find_org_by_name(session, org_name)
            assert org is not None
            create_user(session, actor=SYSTEM, email=email, name=name, org_id=org.id, role=role,
                        password=DEMO_PASSWORD)
    session.flush()
    seed_rooms(session)
    return [(email, what) for email, _n, _o, _r, what in USERS]


def _room_exists(session: Session, title: str) -> bool:
    from sqlalchemy import select

    from council.rooms.models import Room

    return session.scalars(select(Room.id).where(Room.title == title)).first() is not None


def seed_rooms(session: Session) -> None:
    """Two live incident rooms with a believable first hours of coordination."""
    from datetime import timedelta

    from council.db import utcnow
    from council.rooms.services import create_room
    from council.rooms.stream import post

    def user(email: str):  # type: ignore[no-untyped-def]
        found = find_user(session, email)
        assert found is not None
        return found

    def org_id(name: str) -> int:
        org = find_org_by_name(session, name)
        assert org is not None
        return org.id

    now = utcnow()
    title = "Ransomware on a payment switch operator"
    if not _room_exists(session, title):
        duty, bank, indus = user("duty@ncert.example"), user("lead@bankcert.example"), user("csirt@indusbank.example")
        room = create_room(
            session, actor=duty, title=title, severity="critical", tlp="AMBER",
            org_ids=[org_id("Banking Sector CERT"), org_id("Indus Bank CSIRT")],
            summary=("Card and interbank transfers through the national payment switch are failing since "
                     "early morning. The operator reports encrypted hosts in its settlement segment."),
            member_emails=["lead@bankcert.example", "csirt@indusbank.example"],
        )
        steps = [
            (duty, "status", {"sitrep_cadence_min": 240}),
            (bank, "timeline", {"category": "detection", "occurred_at": (now - timedelta(hours=5)).isoformat(),
                                "body": "Switch operator's SOC sees mass file renames on settlement servers."}),
            (bank, "message", {"body": "Operator confirms **LockBit-style** ransom note on 14 hosts. "
                                       "Card authorisations failing for three banks."}),
            (indus, "message", {"body": "Indus Bank sees ATM declines from 06:40. We have moved to "
                                        "offline stand-in limits for debit cards."}),
            (duty, "timeline", {"category": "containment", "occurred_at": (now - timedelta(hours=3)).isoformat(),
                                "body": "Settlement segment isolated from the core network by the operator."}),
            (duty, "action", {"title": "Collect IOCs from the operator and share at TLP:AMBER",
                              "assignee_org_id": org_id("Banking Sector CERT"),
                              "due_at": (now + timedelta(hours=2)).isoformat()}),
            (duty, "action", {"title": "Draft a holding statement for the State Bank liaison",
                              "assignee_org_id": org_id("National CERT")}),
            (bank, "sitrep", {"situation": "Payment switch settlement segment encrypted; card traffic degraded.",
                              "impact": "Three banks with failing authorisations; ATM networks on stand-in.",
                              "actions_taken": "Segment isolated; backups verified offline.",
                              "next_steps": "Rebuild settlement hosts from golden images.",
                              "requests": "National CERT to coordinate with the telecom CERT on C2 blocking."}),
            (duty, "message", {"body": "Next council call at the top of the hour. Sector CERTs: sitrep before then."}),
        ]
        for actor, kind, payload in steps:
            post(session, actor=actor, room_id=room.id, kind=kind, payload=payload)

    title = "BGP route leak affecting telecom prefixes"
    if not _room_exists(session, title):
        telco, duty = user("analyst@telcocert.example"), user("duty@ncert.example")
        room = create_room(
            session, actor=telco, title=title, severity="medium", tlp="GREEN",
            org_ids=[org_id("Telecom Sector CERT"), org_id("Crescent Telecom CSIRT"), org_id("National CERT")],
            summary="A foreign AS announced more-specifics of Crescent Telecom's prefixes for 40 minutes.",
        )
        for actor, kind, payload in [
            (telco, "timeline", {"category": "detection", "occurred_at": (now - timedelta(hours=1)).isoformat(),
                                 "body": "Route monitoring alerts on /24 more-specifics from an unknown origin AS."}),
            (telco, "message", {"body": "Announcements withdrawn after contact with the upstream's NOC. "
                                        "Checking whether traffic was intercepted."}),
            (duty, "message", {"body": "Thanks. Please share the affected prefixes list here when ready."}),
        ]:
            post(session, actor=actor, room_id=room.id, kind=kind, payload=payload)
