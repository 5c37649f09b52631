"""The demo's advisories: the national CERT's GREEN advisory to every organisation
(acknowledged by some, overdue for the others), and the Banking Sector CERT's
AMBER advisory to its tree, acknowledged and being mitigated by Indus Bank.

Written last night (22 to 21 hours ago), each step under the history clock at
its own time, when called between the slices' past records and this morning's
rooms; called later, the same steps happen just after the last record written,
so audit times always run forwards. Idempotent: an advisory of the same title is
left alone; nothing is written before the demo's people exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from council.advisories import services
from council.advisories.models import Advisory
from council.audit.models import AuditEntry
from council.auth.models import User
from council.db import history_clock, utcnow

NATIONAL_TITLE = "Actively exploited remote code execution in edge VPN gateways"
BANKING_TITLE = "Card-not-present fraud campaign using cloned payment pages"


def _user(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).one_or_none()


def _exists(session: Session, title: str) -> bool:
    return session.scalars(select(Advisory.id).where(Advisory.title == title)).first() is not None


def seed_advisories(session: Session, now: datetime | None = None) -> None:
    now = now or utcnow()
    duty, bank_lead = _user(session, "duty@ncert.example"), _user(session, "lead@bankcert.example")
    indus, crescent = _user(session, "csirt@indusbank.example"), _user(session, "noc@crescent.example")
    if duty is None or bank_lead is None or indus is None or crescent is None:
        return  # the demo's people come first

    # Last night, or (when the demo calls this after today's records) just after the last of them,
    # the same steps compressed into what is left before now: audit times never run backwards.
    last = session.scalar(select(func.max(AuditEntry.at)))
    start = max(now - timedelta(hours=22), last + timedelta(seconds=1)) if last else now - timedelta(hours=22)
    factor = min(1.0, max((now - start).total_seconds(), 0.0) / (70 * 60))

    def at(hours_ago: float) -> datetime:
        return start + timedelta(hours=(22 - hours_ago) * factor)

    if not _exists(session, NATIONAL_TITLE):
        with history_clock(at(22)):
            national = services.publish(
                session, actor=duty, title=NATIONAL_TITLE, tlp="GREEN", severity="critical", ack_hours=1,
                audience={"all": True}, cves=["CVE-2026-21887", "CVE-2026-21893"],
                products=["Edge VPN gateway 22.x", "Edge VPN gateway 23.x"], now=at(22),
                body="Two chained flaws in the web interface of **edge VPN gateways** allow an unauthenticated "
                     "attacker to run code as root. Exploitation has been seen against two Pakistani "
                     "organisations since yesterday.",
                actions="1. Apply the vendor's fixed release, or disable the web interface on the WAN side.\n"
                        "2. Run the vendor's integrity checker and report any mismatch to the National CERT.\n"
                        "3. Rotate VPN credentials and session keys after patching.")
        for user, hours, applicable, status, comment in (
                (bank_lead, 21.8, "yes", "mitigated", "Sector members told; our own gateway patched."),
                (indus, 21.7, "no", "not_affected", "No gateways of this make."),
                (crescent, 21.5, "yes", "mitigating", "Web interface closed on the WAN side; patch window tonight.")):
            with history_clock(at(hours)):
                services.acknowledge(session, actor=user, advisory_id=national.id, applicable=applicable,
                                     status=status, comment=comment, now=at(hours))
    if not _exists(session, BANKING_TITLE):
        with history_clock(at(21.2)):
            banking = services.publish(
                session, actor=bank_lead, title=BANKING_TITLE, tlp="AMBER", severity="high", ack_hours=48,
                audience={"all": True}, products=["Hosted payment pages"], now=at(21.2),
                body="Cloned hosted payment pages on look-alike domains harvest card data and one-time codes. "
                     "Indicators are shared in the banking room.",
                actions="Block the listed domains at the proxy and tell card holders through the usual channel.")
        with history_clock(at(21)):
            services.acknowledge(session, actor=indus, advisory_id=banking.id, applicable="yes",
                                 status="mitigating", comment="Domains blocked; customer notice drafted.", now=at(21))
    session.flush()
