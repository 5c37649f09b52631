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
    return [(email, what) for email, _n, _o, _r, what in USERS]
