"""The demo's reporting: the council default regime and the banking regime, an
overdue early warning from the telecom sector, and the payment-switch ransomware
reported by Indus Bank from its room — banking early warning accepted by the
Banking Sector CERT and forwarded, the notification due within hours."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.models import User
from council.reporting import regimes, services
from council.reporting.models import Incident


def seed_regimes(session: Session) -> None:
    for definition in (regimes.BASELINE, regimes.BANKING):
        if not regimes.history(session, definition["key"]):
            regimes.save_version(session, actor=None, **definition)


def _exists(session: Session, title: str) -> bool:
    return session.scalars(select(Incident.id).where(Incident.title == title)).first() is not None


def overdue_telecom(session: Session, reporter: User, now: datetime) -> None:
    """Filed yesterday evening; its early warning (24 h from awareness) is now overdue."""
    title = "Unauthorised routing changes on a transit router"
    if _exists(session, title):
        return
    services.file_incident(
        session, actor=reporter, title=title, type="incident", tlp="GREEN",
        classification={"class": "intrusions", "type": "system-compromise"},
        detected_at=(now - timedelta(hours=27)).isoformat(), aware_at=(now - timedelta(hours=26)).isoformat(),
        description="A transit router's configuration changed outside any change window; BGP sessions flapped.",
        impact={"services": "IP transit for two regional ISPs", "users_affected": 40_000})


def ransomware_steps(session: Session, room_id: int, reporter: User, reviewer: User,
                     now: datetime) -> list[tuple[int, Callable[[], Any]]]:
    """(minutes ago, step) for the ransomware room's timeline: filed from the room,
    the banking early warning and the council's early warning submitted and accepted."""
    title = "Ransomware on the national payment switch (Indus Bank's view)"
    if _exists(session, title):
        return []
    made: dict[str, int] = {}

    def file() -> None:
        incident, _ = services.file_incident(
            session, actor=reporter, title=title, type="incident", tlp="AMBER",
            classification={"class": "malicious-code", "type": "infected-system"},
            detected_at=(now - timedelta(hours=6, minutes=40)).isoformat(),
            aware_at=(now - timedelta(hours=5)).isoformat(), room_id=room_id, cross_sector=True,
            description="ATM and card declines since 06:40; the switch operator's settlement segment is encrypted.",
            impact={"services": "Debit cards, ATM withdrawals", "users_affected": 1_200_000,
                    "critical_infrastructure": True})
        made["id"] = incident.id

    def submit(key: str, regime: str, body: str) -> Callable[[], Any]:
        return lambda: services.submit_stage(session, actor=reporter, incident_id=made["id"], key=key,
                                             regime_key=regime, body=body)

    def accept(key: str, regime: str) -> Callable[[], Any]:
        return lambda: services.review_stage(session, actor=reviewer, incident_id=made["id"], key=key,
                                             regime_key=regime, decision="accepted", comment="Received, thank you.")

    return [
        (250, file),
        (245, submit("early-warning", "banking-strict",
                     "Card and ATM traffic failing since 06:40; stand-in limits active for debit cards.")),
        (225, accept("early-warning", "banking-strict")),
        (215, submit("early-warning", "council-baseline",
                     "Suspected ransomware at the payment switch operator; no cross-border impact known yet.")),
        (205, accept("early-warning", "council-baseline")),
    ]
