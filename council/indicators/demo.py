"""The demo's indicators: the ransomware room gets the operator's IOCs (shared by the
banking CERT, one marked AMBER+STRICT) and sightings by Indus Bank CSIRT and the
National CERT; Indus Bank's incident report holds what its own responders found (one
of them also in the room, so "also in" shows). Written just after the last audit entry,
so audit times never run backwards. Idempotent: a room or report that holds indicators
is left as it is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.audit.models import AuditEntry
from council.auth.models import User
from council.db import history_clock, utcnow
from council.indicators import services
from council.indicators.models import Indicator
from council.rooms.models import Room

ROOM = "Ransomware on a payment switch operator"
IOCS = [
    {"type": "domain", "value": "switch-update[.]net", "confidence": 85, "tags": ["c2", "lockbit"],
     "description": "Beacon every 60 s over HTTPS from the settlement hosts."},
    {"type": "ipv4", "value": "198.51.100[.]23", "confidence": 85, "tags": ["c2"],
     "description": "Resolves from `switch-update.net`; seen on the operator's egress."},
    {"type": "url", "value": "hxxps://switch-update[.]net/api/v2/beat", "confidence": 70, "tags": ["c2"]},
    {"type": "sha256", "value": "5f2b7e3c9d1a4b6e8f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1b3d",
     "confidence": 90, "tags": ["encryptor"], "description": "The encryptor found on 14 settlement hosts."},
    {"type": "file_name", "value": "svc_settle.exe", "confidence": 60, "tags": ["encryptor"]},
    {"type": "email", "value": "treasury-desk[@]stbank-notice[.]com", "confidence": 50, "tags": ["phishing"],
     "description": "Sender of the initial phishing mail to the operator's finance team."},
    {"type": "ipv4", "value": "203.0.113[.]140", "confidence": 75, "tlp": "AMBER+STRICT", "tags": ["exfiltration"],
     "description": "Exfiltration target; the operator asks that this stays with the participating organisations."},
]
SIGHTINGS = [  # (index into IOCS, who, count, where, minutes after the IOCs)
    (0, "csirt@indusbank.example", 12, "ATM network proxy", 3),
    (1, "csirt@indusbank.example", 4, "core firewall", 4),
    (0, "duty@ncert.example", 2, "national sensor grid", 6),
    (3, "csirt@indusbank.example", 1, "card switch jump host", 8),
]


REPORT = "Ransomware on the national payment switch (Indus Bank's view)"
REPORT_IOCS = [
    {"type": "ipv4", "value": "198.51.100[.]23", "confidence": 90, "tags": ["c2"],
     "description": "Our ATM proxy logs show the settlement hosts beaconing here from 06:31."},
    {"type": "url", "value": "hxxp://198.51.100[.]23:8443/dl/svc_settle.exe", "confidence": 80, "tags": ["loader"],
     "description": "Where the jump host fetched the encryptor."},
    {"type": "user_agent", "value": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) SettleSync/2.1", "confidence": 60,
     "tags": ["c2"]},
]


def seed(session: Session) -> None:
    _seed_room(session)
    _seed_report(session)


def _seed_report(session: Session) -> None:
    from council.indicators import reports
    from council.reporting.models import Incident

    incident = session.scalar(select(Incident).where(Incident.title == REPORT))
    reporter = session.scalar(select(User).where(User.email == "csirt@indusbank.example"))
    if incident is None or reporter is None or session.scalar(
            select(Indicator.id).where(Indicator.incident_id == incident.id).limit(1)):
        return
    last = session.scalar(select(func.max(AuditEntry.at)))
    with history_clock(last + timedelta(seconds=1) if last else utcnow()):
        reports.add_many_to_report(session, actor=reporter, incident_id=incident.id, items=REPORT_IOCS)


def _seed_room(session: Session) -> None:
    room = session.scalar(select(Room).where(Room.title == ROOM))
    if room is None or session.scalar(select(Indicator.id).where(Indicator.room_id == room.id).limit(1)):
        return
    users = {u.email: u for u in session.scalars(select(User).where(User.email.in_(
        ["lead@bankcert.example", "csirt@indusbank.example", "duty@ncert.example"])))}
    sharer = users.get("lead@bankcert.example")
    if sharer is None:
        return
    last = session.scalar(select(func.max(AuditEntry.at)))
    start = max(utcnow() - timedelta(minutes=30), last + timedelta(seconds=1)) if last else utcnow()
    with history_clock(start):
        plain = [i for i in IOCS if "tlp" not in i]
        added, _skipped = services.add_many(session, actor=sharer, room_id=room.id, items=plain)
    with history_clock(start + timedelta(seconds=30)):
        strict = services.add_indicator(session, actor=sharer, room_id=room.id, given=IOCS[-1])
    by_index = {n: ind for n, ind in enumerate(sorted(added, key=lambda i: i.id))}
    by_index[len(IOCS) - 1] = strict
    for index, email, count, where, minutes in SIGHTINGS:
        if email not in users:
            continue
        moment = start + timedelta(minutes=minutes)
        with history_clock(moment):
            services.report_sighting(session, actor=users[email], indicator_id=by_index[index].id,
                                     seen_at=(moment - timedelta(minutes=1)).isoformat(), count=count, location=where)
    session.flush()
