"""Demo content of the exercises slice: the scenario library (exercises/library/*.json)
and a planned drill on the first scenario. Idempotent (by title)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from council.auth.services import find_user
from council.orgs.services import find_org_by_name
from exercises.models import Exercise, Scenario
from exercises.runs.services import create_exercise
from exercises.scenarios.services import import_json

LIBRARY = Path(__file__).resolve().parent / "library"


def seed(session: Session) -> None:
    author = find_user(session, "duty@ncert.example")
    if author is None:
        return
    for path in sorted(LIBRARY.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if session.scalars(select(Scenario.id).where(Scenario.title == doc["title"])).first() is None:
            import_json(session, actor=author, doc=doc)
    session.flush()
    title = "Banking sector drill: payment switch ransomware (cohort A)"
    scenario = session.scalars(select(Scenario).where(Scenario.title.ilike("%payment switch%"))).first()
    if scenario is None or session.scalars(select(Exercise.id).where(Exercise.title == title)).first():
        return
    names = sorted({n.strip() for i in scenario.injects for n in i.recipients.split(";")} - {"all", ""})
    orgs = [o for o in (find_org_by_name(session, n) for n in names) if o is not None]
    orgs += [o for o in (find_org_by_name(session, "National CERT"),) if o is not None and o not in orgs]
    players = {o.name: [] for o in orgs}
    for email, org in (("lead@bankcert.example", "Banking Sector CERT"),
                       ("csirt@indusbank.example", "Indus Bank CSIRT"),
                       ("analyst@telcocert.example", "Telecom Sector CERT")):
        if org in players:
            players[org].append(email)
    create_exercise(session, actor=author, scenario_id=scenario.id, title=title, org_ids=[o.id for o in orgs],
                    controllers=["ops@govcert.example"], evaluators=["ir@healthcert.example"],
                    observers=["admin@ncert.example"], players=players, speed=10, tlp="AMBER")
